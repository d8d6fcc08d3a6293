//! The gates and approvals through the real binary, against `slipway demo --serve` in its
//! own process: `slipway check`'s exit status (0 pass, 1 warn, 2 block) and JSON, a
//! freeze overridden from the command line, and an approval that counts only when
//! another user gave it — separate processes with different `USER`s, one of them with
//! its own journal, as on another machine, so the approval reaches it through the
//! platform.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::served::{Serve, serve};

fn slipway(s: &Serve, config: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("XDG_STATE_HOME", s.state.path())
        .env("USER", user)
        .env("LOGNAME", user)
        .stdin(Stdio::null())
        .output()
        .expect("slipway runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The served config with `extra` appended (and its journal moved, when asked).
fn config_with(s: &Serve, name: &str, extra: &str, journal: Option<&Path>) -> PathBuf {
    let mut text = std::fs::read_to_string(&s.config).expect("the served config");
    if let Some(j) = journal {
        text = text
            .lines()
            .map(|l| {
                if l.starts_with("journal = ") {
                    format!("journal = {:?}", j.display().to_string())
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    text.push('\n');
    text.push_str(extra);
    let path = s.state.path().join(name);
    std::fs::write(&path, text).expect("config written");
    path
}

fn journal_of(config: &Path) -> Vec<slipway::journal::Entry> {
    let loaded = slipway::validation::load_file(config).expect("config loads");
    slipway::journal::read(&loaded.config.release.journal_path())
        .expect("journal")
        .0
}

#[test]
fn check_exits_0_1_or_2_and_a_freeze_is_overridden_with_a_reason() {
    let s = serve();
    the_demo_release_warns(&s);

    // With no path judged risky, every gate passes.
    let quiet = config_with(&s, "quiet.toml", "[changes]\nrisk = {}\n", None);
    let out = slipway(&s, &quiet, "carol", &["check", "www"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("WWW risky changes"), "{stdout}");
    assert!(stdout.contains("none risky"), "{stdout}");
    assert!(stdout.trim_end().ends_with("verdict: pass"), "{stdout}");

    let frozen = a_freeze_around_today_blocks(&s);
    a_promotion_in_the_freeze_needs_an_override_with_a_reason(&s, &frozen);
    let reason = "INC-7 fix, agreed with the release manager";
    let out = slipway(
        &s,
        &frozen,
        "carol",
        &[
            "promote",
            "www",
            "--yes",
            "--override-gates",
            "--reason",
            reason,
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("⛔ freeze: 'year end' freeze until"),
        "{stderr}"
    );
    the_override_is_journaled(&s, &frozen, reason);
}

/// The demo's release ships migrations, configuration and dependency changes, and
/// Cedric's live runs a hotfix test lacks: `check` warns (exit 1).
fn the_demo_release_warns(s: &Serve) {
    let out = slipway(s, &s.config, "carol", &["check"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("Pre-flight gates · belfrage: "),
        "{stdout}"
    );
    assert!(stdout.contains("⚠  warn   WWW risky changes"), "{stdout}");
    assert!(stdout.contains("·  pass   freeze"), "{stdout}");
    assert!(
        stdout.contains("not evaluated: no freeze windows configured"),
        "{stdout}"
    );
    // And Cedric's live runs a hotfix test lacks: drift, a warning too.
    assert!(stdout.contains("⚠  warn   Cedric drift"), "{stdout}");
    assert!(stdout.contains("✓  pass   WWW drift"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("verdict: warn (risky changes, drift)"),
        "{stdout}"
    );
}

/// A change freeze around today: `check --json` blocks (exit 2), and says why. The
/// config with the freeze.
fn a_freeze_around_today_blocks(s: &Serve) -> PathBuf {
    let today = chrono::Utc::now().date_naive();
    let freeze = format!(
        "[gates]\ntime_zone = \"Europe/London\"\n[[gates.freeze]]\nname = \"year end\"\nfrom = \"{}\"\nto = \"{}\"\n",
        today.pred_opt().expect("yesterday"),
        today.succ_opt().expect("tomorrow")
    );
    let frozen = config_with(s, "frozen.toml", &freeze, None);
    let out = slipway(s, &frozen, "carol", &["check", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["worst"], "block");
    assert_eq!(doc["scope"], "release");
    let items = doc["items"].as_array().expect("items");
    let freeze_item = items
        .iter()
        .find(|i| i["gate"] == "freeze")
        .expect("the freeze gate");
    assert_eq!(freeze_item["level"], "block");
    assert_eq!(freeze_item["evaluated"], true);
    assert!(
        freeze_item["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("'year end' freeze until ")),
        "{freeze_item}"
    );
    assert!(
        items
            .iter()
            .any(|i| i["gate"] == "risky_changes" && i["step"]["stack"] == "www"),
        "per-step items name their step: {doc}"
    );
    frozen
}

/// Promoting in the freeze is refused, an override without a reason too, and a
/// `--reason` that nothing uses.
fn a_promotion_in_the_freeze_needs_an_override_with_a_reason(s: &Serve, frozen: &Path) {
    let out = slipway(s, frozen, "carol", &["promote", "www", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the pre-flight gates block: freeze: 'year end'"),
        "{stderr}"
    );
    assert!(stderr.contains("--override-gates --reason"), "{stderr}");
    let out = slipway(
        s,
        frozen,
        "carol",
        &["promote", "www", "--yes", "--override-gates"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "--override-gates needs --reason"
    );
    let out = slipway(s, frozen, "carol", &["rollback", "www", "--reason", "why"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a --reason nothing uses is refused"
    );
    assert!(text(&out.stderr).contains("--reason goes with --steal-lock"));
}

/// The override is journaled with who, why, which gates and which step, and `history`
/// shows it to whoever reads the journal later.
fn the_override_is_journaled(s: &Serve, frozen: &Path, reason: &str) {
    let entries = journal_of(frozen);
    let o = entries
        .iter()
        .find(|e| e.action == "override")
        .expect("the override is journaled");
    assert_eq!(o.user, "carol");
    assert_eq!(o.reason.as_deref(), Some(reason));
    assert_eq!(o.gates, ["freeze"]);
    assert_eq!(o.stack.as_deref(), Some("www"));
    assert_eq!(o.env.as_deref(), Some("live"));
    assert!(o.from.is_some() && o.to.is_some());
    // `history` shows it to whoever reads the journal later.
    let out = slipway(s, frozen, "carol", &["history", "--json"]);
    assert!(text(&out.stdout).contains("\"action\":\"override\""));
    let out = slipway(s, frozen, "carol", &["history", "--stack", "www"]);
    let history = text(&out.stdout);
    assert!(
        history.contains(&format!("gates: freeze  reason: {reason}")),
        "{history}"
    );
}

#[test]
fn an_approval_counts_only_from_another_user_and_reaches_another_machine_through_the_platform() {
    let s = serve();
    let approval = "[approval]\nenvironments = [\"live\"]\n";
    let alice = config_with(&s, "alice.toml", approval, None);
    // Bob's slipway keeps its own journal, as on another machine.
    let bob_journal = s.state.path().join("bob").join("journal.jsonl");
    let bob = config_with(&s, "bob.toml", approval, Some(&bob_journal));

    let out = slipway(&s, &alice, "alice", &["promote", "www", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("WWW approval: live "), "{stderr}");
    assert!(
        stderr.contains("not approved: another user runs `slipway approve www --to live`"),
        "{stderr}"
    );
    assert!(stderr.contains("another user must approve it"), "{stderr}");

    // Her own approval is recorded, and does not let her promote.
    let out = slipway(&s, &alice, "alice", &["approve", "www", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("WWW: approved live "), "{stderr}");
    assert!(
        stderr.contains("kept in the journal and the platform"),
        "{stderr}"
    );
    let out = slipway(&s, &alice, "alice", &["promote", "www", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("approved only by alice, who promotes"),
        "{stderr}"
    );
    // Nor does an override: a missing approval is not overridden by default.
    let out = slipway(
        &s,
        &alice,
        "alice",
        &[
            "promote",
            "www",
            "--yes",
            "--override-gates",
            "--reason",
            "in a hurry",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is not overridden"));

    // Bob approves on his machine: alice's slipway sees it through the platform.
    let out = slipway(&s, &bob, "bob", &["approve", "www", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = slipway(&s, &alice, "alice", &["check", "www"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("✓  pass   WWW approval"), "{stdout}");
    assert!(stdout.contains("approved by bob@"), "{stdout}");
    let out = slipway(&s, &alice, "alice", &["promote", "www", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("WWW shipped: live "), "{stderr}");

    // Each approval is in the journal of whoever gave it, with the exact step.
    let mine = journal_of(&alice);
    let theirs = journal_of(&bob);
    let approve_of = |entries: &[slipway::journal::Entry], user: &str| {
        entries
            .iter()
            .find(|e| e.action == "approve" && e.user == user)
            .cloned()
            .unwrap_or_else(|| panic!("no approval by {user}: {entries:#?}"))
    };
    let a = approve_of(&mine, "alice");
    let b = approve_of(&theirs, "bob");
    assert!(
        !mine
            .iter()
            .any(|e| e.action == "approve" && e.user == "bob")
    );
    assert_eq!(
        (a.stack.as_deref(), a.env.as_deref()),
        (Some("www"), Some("live"))
    );
    assert_eq!((&a.from, &a.to), (&b.from, &b.to));
    let promoted = mine
        .iter()
        .find(|e| e.action == "promote")
        .expect("the promotion");
    assert_eq!((&promoted.from, &promoted.to), (&b.from, &b.to));
    // Nothing is waiting on WWW now: there is nothing to approve.
    let out = slipway(&s, &bob, "bob", &["approve", "www", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already runs"),
        "{}",
        text(&out.stderr)
    );
}
