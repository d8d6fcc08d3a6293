//! The command line against `slipway demo --serve` running as a separate process, as a
//! second terminal would use it: status, promote (streaming the deploy output), the
//! order refusal, check-config, history, and a clean stop on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::served::{Serve, serve};

fn slipway(s: &Serve, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(&s.config)
        .args(args)
        .env("XDG_STATE_HOME", s.state.path())
        .stdin(Stdio::null())
        .output()
        .expect("slipway runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn status_promote_refusal_history_and_sigterm_against_a_served_demo() {
    let s = serve();
    let out = slipway(&s, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let phases: Vec<&str> = v["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["pending"; 4]);

    // Out of order: refused with the way to insist.
    let out = slipway(&s, &["promote", "Sally", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--override-order"),
        "{}",
        text(&out.stderr)
    );

    // Without a terminal, promote needs --yes rather than waiting for an answer.
    let out = slipway(&s, &["promote", "www"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("add --yes"),
        "{}",
        text(&out.stderr)
    );

    let out = slipway(&s, &["promote", "www", "--yes"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("WWW shipped: live "), "{stderr}");
    // The deploy output as the Deploy pane shows it: the progress line once, at its end,
    // and into a pipe no escape or carriage return at all.
    assert_eq!(
        stdout.matches("Downloading artefact").count(),
        1,
        "{stdout}"
    );
    assert!(stdout.contains("Downloading artefact 100%"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\r'),
        "{stdout:?}"
    );
    assert!(stdout.contains("Deployment 5639226 succeeded"), "{stdout}");

    let out = slipway(&s, &["check-config", &s.config.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    let out = slipway(&s, &["history", "--stack", "www"]);
    let history = text(&out.stdout);
    assert!(
        history.contains("promote") && history.contains("deploy_finished"),
        "{history}"
    );

    // SIGTERM stops the served environment cleanly.
    let mut s = s;
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = s.child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "demo --serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(Path::new(&s.config).exists());
}

#[test]
fn diff_fetch_clones_a_repository_given_by_url_and_lists_the_changes() {
    let s = serve();
    // The same environment, with the repository given as a URL slipway must clone.
    let text = std::fs::read_to_string(&s.config).expect("config");
    let start = text.find("[repo]").expect("a [repo] section");
    let path_line = text[start..]
        .lines()
        .find(|l| l.starts_with("path = "))
        .expect("a repo path");
    let path: String = toml::from_str::<toml::Table>(path_line).expect("toml")["path"]
        .as_str()
        .expect("a string")
        .to_string();
    let by_url = text.replacen(path_line, &format!("url = \"file://{path}\""), 1);
    let config = s.state.path().join("by-url.toml");
    std::fs::write(&config, by_url).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(&config)
        .args(["diff", "--fetch", "--stack", "cedric", "--json"])
        .env("XDG_STATE_HOME", s.state.path())
        .env("XDG_CACHE_HOME", s.state.path().join("cache"))
        .stdin(Stdio::null())
        .output()
        .expect("slipway runs");
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let changes = &v["stacks"][0]["changes"];
    assert!(changes["count"].as_u64().is_some_and(|n| n >= 10), "{v}");
    assert!(
        changes["risk_counts"]["migration"].as_u64() == Some(1),
        "{v}"
    );
    assert!(
        s.state.path().join("cache/slipway/repos").exists(),
        "cloned into the cache"
    );
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Each CLI command's journal entries, counted: every smoke run of four stacks is four
/// entries, a refusal is one, and none are lost because the command exited.
#[test]
fn every_command_journals_each_of_its_actions_once() {
    let s = serve();
    let journal = {
        let cfg: toml::Value =
            toml::from_str(&std::fs::read_to_string(&s.config).expect("config")).expect("toml");
        PathBuf::from(cfg["release"]["journal"].as_str().expect("journal path"))
    };
    let count = |action: &str| {
        std::fs::read_to_string(&journal)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("whole JSON lines"))
            .filter(|e| e["action"] == action)
            .count()
    };
    for run in 1..=5 {
        let out = slipway(&s, &["smoke"]);
        assert!(out.status.code().is_some(), "{}", text(&out.stderr));
        assert_eq!(count("smoke"), 4 * run, "smoke run {run}");
    }
    for run in 1..=4 {
        let out = slipway(&s, &["promote", "sally", "--yes"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert_eq!(count("refused"), run, "refusal {run}");
    }
}
