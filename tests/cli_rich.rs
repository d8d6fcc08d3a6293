//! The command line as rich as the dashboard (issue 13), against `slipway demo --serve`
//! as a second terminal uses it: one old → new form for versions, prompts that show the
//! dialog's facts, the CLI's own gestures in refusals, announcements that read right after
//! progress, verdicts in `status`, and `promote --watch` ending clean or on a flag.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::process::{Command, Output, Stdio};
use support::served::{Serve, serve};

fn slipway_with(s: &Serve, config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("XDG_STATE_HOME", s.state.path())
        .stdin(Stdio::null())
        .output()
        .expect("slipway runs")
}

fn slipway(s: &Serve, args: &[&str]) -> Output {
    slipway_with(s, &s.config, args)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A stack's (live, test) versions, short, as `status --json` reports them.
fn versions(s: &Serve, id: &str) -> (String, String) {
    let out = slipway(s, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let st = v["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .expect("the stack")
        .clone();
    let short = |k: &str| st[k].as_str().unwrap()[..7].to_string();
    (short("live"), short("test"))
}

#[test]
fn versions_prompts_gestures_announcements_and_verdicts_against_a_served_demo() {
    let s = serve();
    let (old, new) = versions(&s, "www");
    assert_ne!(old, new);
    let step = format!("live {old} → {new} from test");

    // status: old → new with the environment names, and no verdict made up.
    let out = slipway(&s, &["status"]);
    let table = text(&out.stdout);
    let www = table.lines().find(|l| l.contains("WWW")).unwrap();
    assert!(www.contains(&format!("pending: {step}")), "{table}");
    assert!(www.contains("not yet evaluated"), "{table}");
    assert!(!table.contains('⇢'), "{table}");

    // The promote prompt shows what the dialog shows, before it asks.
    let out = slipway(&s, &["promote", "www"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("Promote WWW: {step}?")), "{err}");
    assert!(err.contains("Ships") && err.contains("commits · "), "{err}");
    assert!(
        err.contains("risky (") && err.contains("MIGRATION"),
        "{err}"
    );
    assert!(err.contains("more commits"), "counted in commits: {err}");
    assert!(err.contains("Gates"), "{err}");

    // A refusal words the remedy in the CLI's gestures.
    let out = slipway(&s, &["rollback", "www", "--yes"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("slipway rollback www --to VERSION"), "{err}");
    assert!(!err.contains(":rollback"), "{err}");

    // After a promotion: the smoke results, then the same old → new form.
    let out = slipway(&s, &["promote", "www", "--yes"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("WWW: smoke tests passed: 3/3 passed"), "{err}");
    assert!(err.contains(&format!("WWW shipped: {step}")), "{err}");
    let out = slipway(&s, &["status"]);
    let table = text(&out.stdout);
    let www = table.lines().find(|l| l.contains("WWW")).unwrap();
    assert!(www.contains("smoke passed (3/3 passed)"), "{table}");

    // The announcement reads right after progress: WWW is live, shipped from the old
    // version (from the journal); the others still go old → new.
    let out = slipway(&s, &["--dry-run", "announce"]);
    let draft = text(&out.stdout) + &text(&out.stderr);
    assert!(
        draft.contains(&format!("*WWW*: live on `{new}` (shipped, from `{old}`)")),
        "{draft}"
    );
    // Each stack not promoted yet goes from its own live version (the demo's stacks do not
    // all run the same one).
    let (sally_live, sally_test) = versions(&s, "sally");
    assert_eq!(sally_test, new);
    assert!(
        draft.contains(&format!("*Sally*: live `{sally_live}` → `{new}` from test")),
        "{draft}"
    );
    assert!(!draft.contains(&format!("`{new}` → `{new}`")), "{draft}");
    let out = slipway(&s, &["--dry-run", "announce", "--complete"]);
    let done = text(&out.stdout) + &text(&out.stderr);
    assert!(done.contains("*Cedric*: not promoted"), "{done}");
    assert!(!done.contains("skipped"), "{done}");

    // The rollback prompt shows the commits it takes off live.
    let out = slipway(&s, &["rollback", "www"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("Roll WWW back: live {new} → {old}?")),
        "{err}"
    );
    assert!(err.contains("Reverts") && err.contains("commits"), "{err}");
}

#[test]
fn promote_watch_ends_clean_or_exits_3_on_a_flag() {
    let s = serve();
    // A clean release, watched briefly: 0, and it says how the watch ended.
    let out = slipway(&s, &["promote", "www", "--yes", "--watch", "3s"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("watching its metrics for 3s"), "{err}");
    assert!(err.contains("watch ended after 3s with no flag"), "{err}");

    let out = slipway(&s, &["promote", "cedric", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Sally's release is bad on purpose: its errors and p99 rise once it takes traffic.
    // Its smoke tests would fail at once, so they are off here to let the watch see it.
    let config = std::fs::read_to_string(&s.config).unwrap();
    assert!(config.contains("after_promotion = true"));
    let quiet = s.state.path().join("no-smoke.toml");
    std::fs::write(
        &quiet,
        config.replace("after_promotion = true", "after_promotion = false"),
    )
    .unwrap();
    let out = slipway_with(
        &s,
        &quiet,
        &["promote", "sally", "--yes", "--watch", "120s"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("Sally: FLAGGED: errors SPIKE"), "{err}");
    assert!(err.contains("slipway rollback sally"), "{err}");
    // The verdicts were printed as they changed before the flag.
    assert!(err.contains("errors worse 1/3"), "{err}");
}
