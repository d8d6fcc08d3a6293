//! The drift view in the real `slipway demo` (tmux): it says so in words when there is
//! none, and the demo's Cedric stack, whose live runs a hotfix test lacks, shows it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use support::tmux::Tmux;

fn demo_command() -> String {
    let bin = env!("CARGO_BIN_EXE_slipway");
    let state = tempfile::tempdir().expect("state dir").keep();
    format!("XDG_STATE_HOME={} {bin} demo --step-ms 60", state.display())
}

/// The Changes pane's part of each line (right of the Stacks pane).
fn changes(screen: &str) -> String {
    screen
        .lines()
        .filter_map(|l| l.split_once('┃').and_then(|(_, rest)| rest.split_once('┃')))
        .map(|(_, right)| format!("{right}\n"))
        .collect()
}

#[test]
fn drift_view_says_no_drift_and_cedric_shows_the_hotfix_on_live() {
    let t = Tmux::start(&demo_command(), 160, 40);
    t.wait_for("WWW's changes", 30, |s| s.contains("17 commits · 3 risky"));

    // WWW: live is an ancestor of test. The drift view says so rather than stay blank.
    t.keys(&["Tab", "d"]);
    let none = t.wait_text("No drift", 10);
    assert!(none.contains("Changes · drift"), "{none}");
    assert!(
        none.contains("promoting removes nothing"),
        "the view says what it means:\n{none}"
    );
    assert!(!none.contains("DRIFT:"), "{none}");

    // Cedric: live holds a hotfix that never reached main.
    t.keys(&["d", "BTab", "2"]);
    let cedric = t.wait_text("DRIFT: live has 1 commit test lacks", 20);
    assert!(
        cedric.contains("· Cedric ·"),
        "the header names the stack:\n{cedric}"
    );
    let listed = changes(&cedric);
    assert!(listed.contains("⚠ DRIFT"), "{cedric}");
    assert!(
        !listed.contains("Hotfix"),
        "the commits view lists what ships:\n{cedric}"
    );
    t.keys(&["Tab", "d"]);
    let shown = t.wait_text("Hotfix: raise the origin timeout", 10);
    assert!(shown.contains("Changes · drift"), "{shown}");
    assert!(shown.contains("d: back"), "{shown}");
    assert!(!shown.contains("No drift"), "{shown}");

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(10), 0);
}
