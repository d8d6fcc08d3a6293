//! `slipway diff --repo … --json` against what `git log` says about the same repository.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use support::gitrepo::GitRepo;

fn slipway(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("slipway-test-state"),
        )
        .output()
        .expect("slipway runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn history() -> (GitRepo, String, String) {
    let mut r = GitRepo::new();
    let live = r.commit("Alice", "Base", &[("lib/a.ex", "a")]);
    r.git(&["checkout", "-q", "-b", "bob/routes"]);
    r.commit(
        "Bob",
        "Add routes column",
        &[("priv/repo/migrations/1_routes.exs", "m")],
    );
    r.commit(
        "Bob",
        "Use routes",
        &[("lib/routes.ex", "r"), ("lib/a.ex", "a2")],
    );
    r.checkout(&["main"]);
    r.commit("Carol", "Bump plug (#41)", &[("mix.lock", "x")]);
    r.merge("bob/routes", "Merge pull request #42 from bob/routes");
    let test = r.commit("Alice", "Tune pool size", &[("config/prod.exs", "pool 20")]);
    (r, live, test)
}

#[test]
fn json_matches_git_log() {
    let (r, live, test) = history();
    let path = r.path().to_string_lossy().to_string();
    let (code, out, err) = slipway(&[
        "diff", "--repo", &path, "--live", &live, "--test", &test, "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let range = format!("{live}..{test}");

    // First-parent commits, in git's order.
    let ours: Vec<String> = v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let git_first: Vec<String> = r
        .git(&["log", "--first-parent", "--format=%H", &range])
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(ours, git_first);

    // All commits, merged ones included, as a set and as a count.
    let mut all = BTreeSet::new();
    for c in v["commits"].as_array().unwrap() {
        all.insert(c["id"].as_str().unwrap().to_string());
        for m in c["merged"].as_array().unwrap() {
            all.insert(m["id"].as_str().unwrap().to_string());
        }
    }
    let git_all: BTreeSet<String> = r
        .git(&["log", "--format=%H", &range])
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(all, git_all);
    assert_eq!(v["count"].as_u64(), Some(git_all.len() as u64));

    // Files of each non-merge commit as git log --name-only lists them.
    for c in v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["is_merge"] == false)
    {
        let id = c["id"].as_str().unwrap();
        let ours: BTreeSet<String> = c["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        let theirs: BTreeSet<String> = r
            .git(&["log", "-1", "--name-only", "--format=", id])
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        assert_eq!(ours, theirs, "files of {id}");
    }
    // Authors and subjects as git prints them.
    let head = &v["commits"][0];
    assert_eq!(head["author"], r.git(&["log", "-1", "--format=%an", &test]));
    assert_eq!(head["subject"], "Tune pool size");
    assert_eq!(head["risks"], serde_json::json!(["config"]));
    let merge = &v["commits"][1];
    assert_eq!(merge["pr"]["number"], 42);
    assert_eq!(merge["risks"], serde_json::json!(["migration"]));
}

#[test]
fn text_output_and_bad_revision() {
    let (r, live, test) = history();
    let path = r.path().to_string_lossy().to_string();
    let (code, out, _) = slipway(&["diff", "--repo", &path, "--live", &live, "--test", &test]);
    assert_eq!(code, 0);
    assert!(out.contains("5 commits · 3 risky"), "{out}");
    assert!(out.contains("#42"), "{out}");
    assert!(
        out.contains("└"),
        "merged commits are listed under their merge: {out}"
    );
    let (code, _, err) = slipway(&[
        "diff",
        "--repo",
        &path,
        "--live",
        "deadbeefdeadbeef",
        "--test",
        &test,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("live version deadbeefdeadbeef is not in the repository"),
        "{err}"
    );
    let (code, _, err) = slipway(&["diff", "--repo", &path, "--live", &live]);
    assert_ne!(code, 0);
    assert!(err.contains("--test"), "{err}");
}

/// A config whose one stack's versions come from a script (live and test as given), and
/// whose `[repo]` is `repo`.
fn config_mode(dir: &std::path::Path, repo: &std::path::Path, live: &str, test: &str) -> String {
    let script = dir.join("versions.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nif [ \"$1\" = live ]; then echo {live}; else echo {test}; fi\n"),
    )
    .unwrap();
    let config = dir.join("slipway.toml");
    std::fs::write(
        &config,
        format!(
            r#"[release]
name = "belfrage"
journal = "{journal}"

[platform]
kind = "command"
versions = ["sh", "{script}", "{{env}}"]
promote = ["true"]
rollback = ["true"]

[repo]
path = "{repo}"

[[stacks]]
id = "www"
"#,
            journal = dir.join("journal.jsonl").display(),
            script = script.display(),
            repo = repo.display(),
        ),
    )
    .unwrap();
    config.display().to_string()
}

#[test]
fn stat_in_config_mode_counts_lines_per_commit_and_in_all() {
    let (r, live, test) = history();
    let dir = tempfile::tempdir().unwrap();
    let config = config_mode(dir.path(), r.path(), &live, &test);

    let (code, out, err) = slipway(&["-c", &config, "diff", "--stat"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 commits · 3 risky"), "{out}");
    // The total is what git says the release changes.
    let short = r.git(&["diff", "--shortstat", &live, &test]);
    let count = |what: &str| -> u32 {
        short
            .split(", ")
            .find(|p| p.contains(what))
            .and_then(|p| p.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let (added, removed) = (count("insertion"), count("deletion"));
    assert_eq!((added, removed), (5, 1), "{short}");
    assert!(
        out.contains(&format!(
            "total: +{added} -{removed} lines in 5 file changes"
        )),
        "total: {out}"
    );
    // Each commit's own counts: the merge brings in the branch's three files.
    let line_of = |subject: &str| {
        out.lines()
            .find(|l| l.contains(subject))
            .unwrap_or_else(|| panic!("{subject} in {out}"))
            .to_string()
    };
    assert!(line_of("Tune pool size").ends_with(" +1 -0"), "{out}");
    assert!(
        line_of("Merge pull request #42").ends_with(" +3 -1"),
        "{out}"
    );
    assert!(line_of("Use routes").ends_with(" +2 -1"), "{out}");

    // Without --stat the text carries no counts.
    let (code, plain, err) = slipway(&["-c", &config, "diff"]);
    assert_eq!(code, 0, "{err}");
    assert!(!plain.contains("total:"), "{plain}");
    assert!(
        plain
            .lines()
            .any(|l| l.contains("Tune pool size") && !l.ends_with(" +1 -0")),
        "{plain}"
    );

    // And the JSON carries them per file.
    let (code, json, err) = slipway(&["-c", &config, "diff", "--stat", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let head = &v["stacks"][0]["changes"]["commits"][0];
    assert_eq!(head["subject"], "Tune pool size");
    assert_eq!(head["files"][0]["added"], 1);
    assert_eq!(head["files"][0]["removed"], 0);
}
