//! Small faults of a command-line citizen, against the real binary: a closed pipe ends a
//! command quietly; an announcement is posted once per release and kind unless asked
//! `--again`; without a `[repo]`, `diff` and `announce` say so at once and post nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::served::serve;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A config with a platform nobody serves and no `[repo]`; a webhook at `hook`.
fn repo_less_config(dir: &Path, hook: &str) -> PathBuf {
    let path = dir.join("slipway.toml");
    std::fs::write(
        &path,
        format!(
            r#"[release]
name = "belfrage"
journal = "{journal}"

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"
timeout_secs = 1
retries = 0

[[stacks]]
id = "www"

[announce]
kind = "webhook"
url = "{hook}"
"#,
            journal = dir.join("journal.jsonl").display()
        ),
    )
    .unwrap();
    path
}

fn slipway(config: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(state.join("slipway.log"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .expect("slipway runs")
}

#[test]
fn history_into_a_pipe_closed_early_ends_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_less_config(dir.path(), "http://127.0.0.1:9/hook");
    // Far more than a pipe buffer holds, so the writer meets the closed pipe.
    let mut journal = String::new();
    for i in 0..5000 {
        journal.push_str(&format!(
            "{{\"at\":\"2026-12-01T10:00:00Z\",\"user\":\"alice\",\"host\":\"web-3\",\"action\":\"smoke\",\"stack\":\"www\",\"detail\":\"run {i} of the checks, all of them passed in good time\"}}\n"
        ));
    }
    std::fs::write(dir.path().join("journal.jsonl"), journal).unwrap();
    for args in [
        &["history", "-n", "5000"][..],
        &["history", "--json", "-n", "5000"][..],
    ] {
        // `slipway history | head -1`
        let mut child: Child = Command::new(env!("CARGO_BIN_EXE_slipway"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("XDG_STATE_HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("run 0"), "{first}");
        // The reader goes away, as `head` does.
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: quiet, not {stderr}");
    }
}

/// A repository with `n` commits, made in one `git fast-import` (seconds for thousands).
fn long_history(dir: &Path, n: usize) {
    let git = |args: &[&str], input: Option<&str>| {
        let mut c = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        if let Some(text) = input {
            std::io::Write::write_all(c.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
        }
        drop(c.stdin.take());
        assert!(c.wait().unwrap().success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"], None);
    let mut stream = String::new();
    for i in 0..n {
        let msg = format!("Change number {i} of the routing layer, with a long enough subject\n");
        let file = format!("file {i}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{m}\ncommitter Dev <dev@example.com> {t} +0000\ndata {ml}\n{msg}",
            m = i + 1,
            t = 1_790_000_000 + i,
            ml = msg.len()
        ));
        if i > 0 {
            stream.push_str(&format!("from :{i}\n"));
        }
        stream.push_str(&format!(
            "M 644 inline f{}.txt\ndata {}\n{file}\n",
            i % 50,
            file.len()
        ));
    }
    git(&["fast-import", "--quiet"], Some(&stream));
}

#[test]
fn diff_into_a_pipe_closed_early_ends_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    long_history(dir.path(), 3000);
    let repo = dir.path().display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args([
            "diff",
            "--repo",
            &repo,
            "--live",
            "main~2999",
            "--test",
            "main",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("2999 commits"), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "quiet, not {stderr}");
}

#[test]
fn without_a_repo_diff_and_announce_say_so_at_once_and_post_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A webhook that would record any connection.
    let hook = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = repo_less_config(
        dir.path(),
        &format!("http://{}/hook", hook.local_addr().unwrap()),
    );
    for args in [&["diff"][..], &["announce", "--yes"][..]] {
        let started = Instant::now();
        let out = slipway(&config, dir.path(), args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("no [repo] section"), "{args:?}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
    hook.set_nonblocking(true).unwrap();
    assert!(
        hook.accept().is_err(),
        "nothing may be posted without the changes"
    );
}

#[test]
fn the_same_announcement_is_posted_once_unless_again() {
    let s = serve();
    let run = |args: &[&str]| slipway(&s.config, s.state.path(), args);
    let out = run(&["announce", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("#belfrage: posted"), "{stderr}");

    let out = run(&["announce", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("already sent") && stderr.contains("--again"),
        "{stderr}"
    );
    assert!(!stderr.contains("posted"), "{stderr}");
    // A dry run still shows the draft.
    let out = run(&["announce", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = run(&["announce", "--yes", "--again"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("#belfrage: posted"), "{stderr}");
    // The completion message is another kind: not refused for the announcement, and
    // posted into the thread the earlier process started (threads are saved).
    let out = run(&["announce", "--complete", "--yes"]);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("already sent"), "{stderr}");
    assert!(stderr.contains("#belfrage:"), "it was tried: {stderr}");
}
