//! A large, realistic repository for benchmarks, written with `git fast-import` (seconds,
//! not minutes) and kept under target/ between runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds (once) a repository of `commits` commits on main: every 10th is a merge of a
/// two-commit branch; files across lib/, test/, config/, migrations and lock files.
/// Returns its path and the hashes of main's first-parent commits, oldest first.
pub fn big_repo(commits: usize) -> (PathBuf, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-repo-{commits}"));
    if !dir.join("done").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        git(&dir, &["init", "-q", "-b", "main"]);
        let mut child = Command::new("git")
            .args(["fast-import", "--quiet"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import");
        let mut w = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
        let mut mark = 0usize;
        let mut main_mark = 0usize;
        let mut t = 1_700_000_000u64;
        let mut made = 0usize;
        while made < commits {
            let author = ["alice", "bob", "carol", "dave", "erin"][made % 5];
            if made % 10 == 9 && main_mark > 0 {
                // A branch of two commits off main, merged back.
                let mut side = main_mark;
                for k in 0..2 {
                    mark += 1;
                    t += 60;
                    commit(
                        &mut w,
                        mark,
                        "refs/heads/side",
                        author,
                        t,
                        &format!("Side work {made}-{k}"),
                        Some(side),
                        None,
                        &paths(made * 7 + k),
                    );
                    side = mark;
                }
                mark += 1;
                t += 60;
                let subject = format!(
                    "Merge pull request #{} from {author}/topic-{made}",
                    1000 + made
                );
                commit(
                    &mut w,
                    mark,
                    "refs/heads/main",
                    "merger",
                    t,
                    &subject,
                    Some(main_mark),
                    Some(side),
                    &[],
                );
                made += 3;
            } else {
                mark += 1;
                t += 60;
                let subject = format!(
                    "Change number {made} in the routing layer (#{})",
                    1000 + made
                );
                commit(
                    &mut w,
                    mark,
                    "refs/heads/main",
                    author,
                    t,
                    &subject,
                    (main_mark > 0).then_some(main_mark),
                    None,
                    &paths(made),
                );
                made += 1;
            }
            main_mark = mark;
        }
        drop(w);
        assert!(
            child.wait().expect("fast-import ends").success(),
            "fast-import failed"
        );
        git(&dir, &["checkout", "-q", "-f", "main"]);
        std::fs::write(dir.join("done"), "").expect("marker");
    }
    let hashes = first_parent(&dir);
    (dir, hashes)
}

/// Builds (once) a linear repository of `commits` commits on main with a small tree (24
/// files in three directories) where each commit changes one file: the shape where the
/// fixed cost per commit (message, PR number, risk flags, output) dominates, since there
/// is almost no tree to compare. Every 20th file touched is a migration or config file.
/// Returns its path and main's commits, oldest first.
pub fn small_tree_repo(commits: usize) -> (PathBuf, Vec<String>) {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-repo-small-{commits}"));
    if !dir.join("done").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        git(&dir, &["init", "-q", "-b", "main"]);
        let mut child = Command::new("git")
            .args(["fast-import", "--quiet"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import");
        let mut w = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
        let mut t = 1_700_000_000u64;
        for n in 0..commits {
            let author = ["alice", "bob", "carol", "dave", "erin"][n % 5];
            let path = match n % 20 {
                7 => "priv/repo/migrations/0001_init.exs".to_string(),
                13 => "config/prod.exs".to_string(),
                k => format!("lib/part_{}.ex", k % 22),
            };
            let files = if n == 0 {
                // The first commit lays out the whole tree.
                (0..22)
                    .map(|k| (format!("lib/part_{k}.ex"), format!("v0 {k}\n")))
                    .chain([
                        ("priv/repo/migrations/0001_init.exs".into(), "init\n".into()),
                        ("config/prod.exs".into(), "config\n".into()),
                    ])
                    .collect()
            } else {
                vec![(path, format!("version {n}\n"))]
            };
            let subject = if n % 3 == 0 {
                format!("Tune part {} for release {n} (#{})", n % 22, 2000 + n)
            } else {
                format!("Tune part {} for release {n}", n % 22)
            };
            t += 60;
            commit(
                &mut w,
                n + 1,
                "refs/heads/main",
                author,
                t,
                &subject,
                (n > 0).then_some(n),
                None,
                &files,
            );
        }
        drop(w);
        assert!(
            child.wait().expect("fast-import ends").success(),
            "fast-import failed"
        );
        git(&dir, &["checkout", "-q", "-f", "main"]);
        std::fs::write(dir.join("done"), "").expect("marker");
    }
    (dir.clone(), first_parent(&dir))
}

fn first_parent(dir: &Path) -> Vec<String> {
    let list = Command::new("git")
        .args(["rev-list", "--first-parent", "--reverse", "main"])
        .current_dir(dir)
        .output()
        .expect("rev-list");
    String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(String::from)
        .collect()
}

fn paths(n: usize) -> Vec<(String, String)> {
    let mut p = vec![
        (
            format!("lib/belfrage/module_{}.ex", n % 400),
            format!("defmodule M{n} do\n  def f, do: {n}\nend\n"),
        ),
        (
            format!("test/module_{}_test.exs", n % 400),
            format!("test {n}\n"),
        ),
    ];
    if n.is_multiple_of(37) {
        p.push((
            format!("priv/repo/migrations/{n:06}_change.exs"),
            "alter table\n".into(),
        ));
    }
    if n.is_multiple_of(23) {
        p.push((
            "config/prod.exs".into(),
            format!("config :pool, size: {}\n", n % 50),
        ));
    }
    if n.is_multiple_of(41) {
        p.push(("mix.lock".into(), format!("lock {n}\n")));
    }
    p
}

#[allow(clippy::too_many_arguments)]
fn commit(
    w: &mut impl Write,
    mark: usize,
    branch: &str,
    author: &str,
    t: u64,
    subject: &str,
    from: Option<usize>,
    merge: Option<usize>,
    files: &[(String, String)],
) {
    let _ = writeln!(w, "commit {branch}\nmark :{mark}");
    let _ = writeln!(w, "author {author} <{author}@example.com> {t} +0000");
    let _ = writeln!(w, "committer {author} <{author}@example.com> {t} +0000");
    let _ = writeln!(w, "data {}\n{subject}", subject.len());
    if let Some(f) = from {
        let _ = writeln!(w, "from :{f}");
    }
    if let Some(m) = merge {
        let _ = writeln!(w, "merge :{m}");
    }
    for (path, content) in files {
        let _ = writeln!(
            w,
            "M 100644 inline {path}\ndata {}\n{content}",
            content.len()
        );
    }
    let _ = writeln!(w);
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .map(|s| s.success());
    assert!(matches!(ok, Ok(true)), "git {args:?}");
}
