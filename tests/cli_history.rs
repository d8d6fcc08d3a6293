//! `slipway history` reads the release journal: filtered by stack, newest last, JSON as
//! recorded, torn lines counted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::io::Write;
use std::process::Command;

use slipway::journal::{Entry, append};

#[test]
fn history_prints_the_journal_by_stack_and_as_json() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("belfrage.jsonl");
    let config = dir.path().join("slipway.toml");
    std::fs::write(
        &config,
        format!(
            "[release]\nname = \"belfrage\"\njournal = \"{}\"\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\n[[stacks]]\nid = \"www\"\n[[stacks]]\nid = \"sally\"\n",
            journal.display()
        ),
    )
    .expect("config");
    let a = "3f2a1c4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let b = "9be77d1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    append(
        &journal,
        &Entry::new(slipway::journal::Act::Promote)
            .stack("www")
            .versions(a, b),
    )
    .expect("append");
    append(
        &journal,
        &Entry::new(slipway::journal::Act::Promote)
            .stack("sally")
            .versions(a, b),
    )
    .expect("append");
    append(
        &journal,
        &Entry::new(slipway::journal::Act::DeployFinished)
            .stack("sally")
            .versions(a, b)
            .deployment("5639228")
            .outcome("failed")
            .detail("health check"),
    )
    .expect("append");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .expect("open")
        .write_all(b"{torn")
        .expect("write");

    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("XDG_STATE_HOME", dir.path())
            .output()
            .expect("runs");
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
            out.status.code(),
        )
    };
    let (out, err, code) = run(&["history", "--stack", "Sally"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("promote") && lines[0].contains("3f2a1c4 → 9be77d1"),
        "{out}"
    );
    assert!(lines[1].contains("#5639228  failed: health check"), "{out}");
    assert!(err.contains("1 line(s)"), "the torn line is counted: {err}");
    let (out, _, _) = run(&["history", "--json", "-n", "1"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["action"], "deploy_finished");
    assert_eq!(v["outcome"], "failed");
}
