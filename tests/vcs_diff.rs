//! live..test against real repositories: linear history, merges, squash subjects, risk
//! flags, drift and unknown versions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use slipway::model::Env;
use slipway::vcs::{DiffError, RiskRules, diff};
use support::gitrepo::GitRepo;

fn open(r: &GitRepo) -> git2::Repository {
    git2::Repository::open(r.path()).expect("open repo")
}

#[test]
fn linear_history_newest_first_with_authors_and_files() {
    let mut r = GitRepo::new();
    let live = r.commit("Alice", "Initial routes", &[("lib/routes.ex", "a")]);
    r.commit("Bob", "Add cache headers", &[("lib/cache.ex", "b")]);
    r.commit(
        "Carol",
        "Fix cache key for personalised pages (#1230)",
        &[("lib/cache.ex", "c")],
    );
    let test = r.commit("Alice", "Tune timeouts", &[("lib/http.ex", "d")]);
    let cs = diff(&open(&r), &live, &test, &RiskRules::defaults()).expect("diff");
    let subjects: Vec<&str> = cs.commits.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Tune timeouts",
            "Fix cache key for personalised pages (#1230)",
            "Add cache headers"
        ]
    );
    assert_eq!(cs.count, 3);
    assert_eq!(cs.commits[1].author, "Carol");
    assert_eq!(
        cs.commits[1].pr.map(|p| p.to_string()),
        Some("#1230".into())
    );
    assert_eq!(cs.commits[2].files[0].path, "lib/cache.ex");
    assert_eq!(cs.commits[2].files[0].status, 'A');
    assert_eq!(cs.risky, 0);
    assert!(cs.drift.is_none());
    assert_eq!(cs.test, test);
}

#[test]
fn merges_are_one_entry_with_their_commits_and_risks() {
    let mut r = GitRepo::new();
    let live = r.commit("Alice", "Initial", &[("lib/a.ex", "a")]);
    r.git(&["checkout", "-q", "-b", "bob/routes"]);
    r.commit(
        "Bob",
        "Add routes column",
        &[("priv/repo/migrations/20261101_add_routes.exs", "m")],
    );
    r.commit("Bob", "Use routes column", &[("lib/routes.ex", "r")]);
    r.checkout(&["main"]);
    r.commit("Alice", "Bump deps", &[("mix.lock", "x")]);
    let test = r.merge("bob/routes", "Merge pull request #1234 from bob/routes");
    let cs = diff(&open(&r), &live, &test, &RiskRules::defaults()).expect("diff");
    assert_eq!(cs.commits.len(), 2, "first-parent line: merge + Bump deps");
    let merge = &cs.commits[0];
    assert!(merge.is_merge);
    assert_eq!(merge.pr.map(|p| p.to_string()), Some("#1234".into()));
    let merged: Vec<&str> = merge.merged.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(merged, ["Use routes column", "Add routes column"]);
    assert_eq!(merge.risks, ["migration"]);
    assert_eq!(cs.commits[1].risks, ["dependencies"]);
    assert_eq!(cs.count, 4);
    assert_eq!(cs.risky, 2);
    assert_eq!(cs.risk_counts.get("migration"), Some(&1));
    // Same count as git itself.
    let git_count: usize = r
        .git(&["rev-list", "--count", &format!("{live}..{test}")])
        .parse()
        .unwrap();
    assert_eq!(cs.count, git_count);
}

#[test]
fn drift_lists_what_live_has_and_test_lacks() {
    let mut r = GitRepo::new();
    let base = r.commit("Alice", "Base", &[("lib/a.ex", "a")]);
    let test = r.commit("Alice", "Feature", &[("lib/b.ex", "b")]);
    r.git(&["checkout", "-q", "-b", "hotfix", &base]);
    let live = r.commit(
        "Dave",
        "Hotfix: disable flaky route",
        &[("config/prod.exs", "off")],
    );
    let cs = diff(&open(&r), &live, &test, &RiskRules::defaults()).expect("diff");
    let drift = cs.drift.expect("drift is reported");
    assert_eq!(drift.live_only.len(), 1);
    assert_eq!(drift.live_only[0].subject, "Hotfix: disable flaky route");
    assert_eq!(drift.live_only[0].risks, ["config"]);
    // What test adds over the common base still shows.
    assert_eq!(cs.commits.len(), 1);
    assert_eq!(cs.commits[0].subject, "Feature");
}

#[test]
fn unknown_versions_say_which_environment() {
    let mut r = GitRepo::new();
    let head = r.commit("Alice", "Only", &[("a", "a")]);
    let e = diff(
        &open(&r),
        "0123456789abcdef0123456789abcdef01234567",
        &head,
        &RiskRules::defaults(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, DiffError::UnknownVersion { env, .. } if env == &Env::live()),
        "{e}"
    );
    assert!(e.to_string().contains("not in the repository"));
    let e = diff(&open(&r), &head, "nosuchtag", &RiskRules::defaults()).unwrap_err();
    assert!(matches!(
        &e,
        DiffError::UnknownVersion { env, .. } if env == &Env::test()
    ));
}

#[test]
fn same_version_is_an_empty_diff_and_tags_resolve() {
    let mut r = GitRepo::new();
    r.commit("Alice", "One", &[("a", "1")]);
    r.git(&["tag", "v1.0.0"]);
    let head = r.commit("Alice", "Two", &[("a", "2")]);
    let cs = diff(&open(&r), &head, &head, &RiskRules::defaults()).expect("diff");
    assert_eq!((cs.count, cs.commits.len()), (0, 0));
    let cs = diff(&open(&r), "v1.0.0", "main", &RiskRules::defaults()).expect("diff");
    assert_eq!(cs.count, 1);
}

#[test]
fn line_stats_are_filled_on_demand() {
    let mut r = GitRepo::new();
    let live = r.commit("Alice", "One", &[("a.txt", "1\n2\n3\n")]);
    let test = r.commit("Alice", "Two", &[("a.txt", "1\nTWO\n3\n4\n")]);
    let repo = open(&r);
    let mut cs = diff(&repo, &live, &test, &RiskRules::defaults()).expect("diff");
    assert_eq!(cs.commits[0].files[0].added, None);
    slipway::vcs::fill_line_stats(&repo, &mut cs.commits[0]).expect("stats");
    assert_eq!(
        (cs.commits[0].files[0].added, cs.commits[0].files[0].removed),
        (Some(2), Some(1))
    );
}

/// The hand-written tree walk agrees with `git diff-tree` on every commit of a random
/// history: adds, edits, deletes, nested directories, and a path that turns from a file
/// into a directory and back.
#[test]
fn changed_files_match_git_diff_tree_on_a_random_history() {
    let mut r = GitRepo::new();
    let mut rng = fastrand::Rng::with_seed(7);
    let dirs = [
        "",
        "lib",
        "lib/web",
        "lib/web/views",
        "priv/repo/migrations",
        "config",
        "a",
    ];
    let mut first = None;
    for n in 0..60 {
        let mut files = Vec::new();
        for _ in 0..rng.usize(1..5) {
            let dir = dirs[rng.usize(..dirs.len())];
            let name = format!("f{}.ex", rng.usize(..12));
            let path = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            files.push((path, format!("content {n} {}", rng.u32(..))));
        }
        // Now and then delete a tracked file.
        if n % 7 == 3 {
            let tracked = r.git(&["ls-files"]);
            if let Some(victim) = tracked
                .lines()
                .nth(rng.usize(..tracked.lines().count().max(1)))
            {
                r.git(&["rm", "-q", victim]);
            }
        }
        // A path that is a file, then a directory, then a file again.
        if n == 20 {
            files.push(("a/swap".into(), "file".into()));
        }
        if n == 30 {
            r.git(&["rm", "-q", "--ignore-unmatch", "a/swap"]);
            files.push(("a/swap/inner.ex".into(), "dir".into()));
        }
        if n == 40 {
            r.git(&["rm", "-q", "-r", "--ignore-unmatch", "a/swap"]);
            files.push(("a/swap".into(), "file again".into()));
        }
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let id = r.commit("Ann", &format!("change {n}"), &refs);
        first.get_or_insert(id);
    }
    let root = first.expect("commits");
    let head = r.head();
    let cs = diff(&open(&r), &root, &head, &RiskRules::defaults()).expect("diff");
    assert_eq!(cs.commits.len(), 59);
    for c in &cs.commits {
        let mut ours: Vec<String> = c
            .files
            .iter()
            .map(|f| format!("{}\t{}", f.status, f.path))
            .collect();
        ours.sort();
        let mut git: Vec<String> = r
            .git(&[
                "diff-tree",
                "--no-commit-id",
                "-r",
                "--name-status",
                "--no-renames",
                &c.id,
            ])
            .lines()
            .map(String::from)
            .collect();
        git.sort();
        assert_eq!(ours, git, "files of {} ({})", c.short, c.subject);
    }
}

fn is_ancestor(r: &GitRepo, ancestor: &str, of: &str) -> bool {
    std::process::Command::new("git")
        .args(["merge-base", "--is-ancestor", ancestor, of])
        .current_dir(r.path())
        .status()
        .expect("git merge-base")
        .success()
}

fn rev_list(r: &GitRepo, args: &[&str]) -> Vec<String> {
    let mut all = vec!["rev-list"];
    all.extend_from_slice(args);
    r.git(&all).lines().map(String::from).collect()
}

/// A history of branches and merges where some commits share a second and some clocks
/// ran backwards: for ranges between any two of its commits, the commits listed, the
/// first-parent line, each merge's commits in order and the drift list are what
/// `git rev-list` (`--date-order`, `--first-parent`) says, and drift is reported exactly
/// when live is not an ancestor of test.
#[test]
fn ranges_list_what_git_rev_list_lists_with_merges_shared_seconds_and_skewed_clocks() {
    let mut r = GitRepo::new();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut commits = vec![r.commit("Ann", "root", &[("f0", "0")])];
    let mut branches = vec!["main".to_string()];
    for n in 1..150 {
        match rng.u8(..10) {
            0 => {
                let name = format!("b{n}");
                let from = commits[rng.usize(..commits.len())].clone();
                r.git(&["checkout", "-q", "-b", &name, &from]);
                branches.push(name);
            }
            1 | 2 => {
                let branch = branches[rng.usize(..branches.len())].clone();
                r.checkout(&["main"]);
                if branch != "main" {
                    commits.push(r.merge(&branch, &format!("Merge {branch} ({n})")));
                }
            }
            3 => r.checkout(&[&branches[rng.usize(..branches.len())].clone()]),
            _ => {
                let path = format!("f{n}");
                commits.push(r.commit("Bob", &format!("change {n}"), &[(&path, "x")]));
            }
        }
        match rng.u8(..8) {
            0 => r.shift_clock(-3600),
            1 => r.shift_clock(-3 * 86_400),
            _ => {}
        }
    }
    let repo = open(&r);
    let mut with_drift = 0;
    for _ in 0..40 {
        let live = commits[rng.usize(..commits.len())].clone();
        let test = commits[rng.usize(..commits.len())].clone();
        let cs = diff(&repo, &live, &test, &RiskRules::defaults()).expect("diff");
        let range = format!("{live}..{test}");
        let date_order = rev_list(&r, &["--date-order", &range]);
        assert_eq!(cs.count, date_order.len(), "count of {range}");
        let line: Vec<&str> = cs.commits.iter().map(|c| c.id.as_str()).collect();
        // Test's first parents while they are in the range (`--first-parent` with a
        // range also stops marking live's side at first parents, so it can differ).
        let chain = rev_list(&r, &["--first-parent", &test]);
        let expected_line: Vec<&str> = chain
            .iter()
            .map(String::as_str)
            .take_while(|id| date_order.iter().any(|d| d == id))
            .collect();
        assert_eq!(line, expected_line, "first-parent line of {range}");
        let mut listed: Vec<&str> = line.clone();
        for c in &cs.commits {
            let merged: Vec<&str> = c.merged.iter().map(|m| m.id.as_str()).collect();
            let places: Vec<usize> = merged
                .iter()
                .map(|id| date_order.iter().position(|d| d == id).expect("in range"))
                .collect();
            assert!(
                places.is_sorted(),
                "merged commits of {} in git's order",
                c.short
            );
            listed.extend(merged);
        }
        listed.sort_unstable();
        let mut expected: Vec<&str> = date_order.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(listed, expected, "every commit of {range} listed once");
        // Drift is judged by ancestry, which is exact; the list is what git walks (git
        // itself can list commits test has when clocks ran backwards by days).
        match &cs.drift {
            None => assert!(is_ancestor(&r, &live, &test), "drift missed in {range}"),
            Some(d) => {
                assert!(!is_ancestor(&r, &live, &test), "false drift in {range}");
                with_drift += 1;
                let live_only = rev_list(&r, &["--date-order", &format!("{test}..{live}")]);
                let ids: Vec<&str> = d.live_only.iter().map(|c| c.id.as_str()).collect();
                assert_eq!(ids, live_only, "drift of {range}, in git's date order");
            }
        }
    }
    assert!(with_drift > 5, "the history exercises drift ({with_drift})");
}

/// A shallow clone (CI checks out this way) has commits whose parents are missing: the
/// walk treats them as roots, as git does, instead of failing on the missing object.
#[test]
fn shallow_clones_diff_up_to_their_cut() {
    let mut r = GitRepo::new();
    for n in 0..8 {
        r.commit("Ann", &format!("change {n}"), &[(&format!("f{n}"), "x")]);
    }
    let clone = tempfile::tempdir().expect("dir");
    let url = format!("file://{}", r.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "4", &url])
        .arg(clone.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git clone");
    assert!(status.success());
    let repo = git2::Repository::open(clone.path()).expect("open clone");
    assert!(repo.is_shallow());
    let cs =
        diff(&repo, "HEAD~2", "HEAD", &RiskRules::defaults()).expect("diff in a shallow clone");
    let subjects: Vec<&str> = cs.commits.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, ["change 7", "change 6"]);
    // The whole history the clone has: its oldest commit is the cut.
    let cs = diff(&repo, "HEAD~3", "HEAD", &RiskRules::defaults()).expect("diff");
    assert_eq!(cs.count, 3);
    assert!(cs.drift.is_none());
}
