//! Three environments end to end: the real `slipway demo --environments 3` in a real
//! terminal (tmux) at 80×24, promoting one stack dev → staging → live, with the steps
//! that would skip an environment or the order refused.
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
    format!(
        "XDG_STATE_HOME={} {bin} demo --environments 3 --step-ms 40",
        state.display()
    )
}

/// The Stacks pane's row of a stack, as words: marker+number, name, live, staging,
/// dev, then the state.
fn row(screen: &str, name: &str) -> Vec<String> {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")) && l.starts_with('┃'))
        .map(|l| {
            l.trim_matches('┃')
                .split('┃')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn one_stack_goes_dev_then_staging_then_live_and_no_step_is_skipped() {
    let t = Tmux::start(&demo_command(), 80, 24);
    let first = t.wait_for("the first frame with versions", 30, |s| {
        row(s, "WWW").iter().any(|w| w == "[Promote]")
    });
    // A column per environment, live first, and the pair named in the header.
    assert!(first.contains("live    staging dev"), "{first}");
    assert!(first.contains("WWW · staging "), "{first}");
    assert!(first.contains(" from dev"), "{first}");
    let start = row(&first, "WWW");
    let (live, staging, dev) = (start[2].clone(), start[3].clone(), start[4].clone());
    assert_eq!(live, staging, "staging starts on live's version: {start:?}");
    assert_ne!(dev, staging, "dev has the new version: {start:?}");

    // Straight to live is refused: the new version has not been on staging.
    t.keys(&[":"]);
    t.keys(&["-l", "promote www live"]);
    t.keys(&["Enter"]);
    let refused = t.wait_text("has not been on staging yet", 5);
    assert!(!refused.contains("Promote WWW to live?"), "{refused}");

    // dev → staging.
    t.keys(&["Enter"]);
    let dialog = t.wait_text("Promote WWW to staging?", 5);
    assert!(dialog.contains("(the version on dev)"), "{dialog}");
    t.keys(&["Enter"]);
    let on_staging = t.wait_for("WWW on staging", 60, |s| {
        let r = row(s, "WWW");
        r.len() > 5 && r[3] == dev && r[5] == "[Promote]"
    });
    assert_eq!(row(&on_staging, "WWW")[2], live, "live is untouched");
    assert!(on_staging.contains("WWW · live "), "{on_staging}");

    // Sally's step to staging waits for Cedric's (the order holds per environment).
    t.keys(&["3", "Enter"]);
    let out_of_order = t.wait_text("Promote Sally to staging?", 5);
    assert!(
        out_of_order.contains("Out of order: Cedric is not on staging yet."),
        "{out_of_order}"
    );
    // Escape on its own: followed at once by a key it would read as Alt+key.
    t.keys(&["Escape"]);
    t.wait_for("the dialog closed", 5, |s| !s.contains("Promote Sally"));
    t.keys(&["1"]);

    // staging → live.
    t.keys(&["Enter"]);
    let dialog = t.wait_text("Promote WWW to live?", 5);
    assert!(dialog.contains("(the version on staging)"), "{dialog}");
    t.keys(&["Enter"]);
    let done = t.wait_for("WWW live everywhere", 90, |s| {
        row(s, "WWW").iter().any(|w| w == "✓")
    });
    let r = row(&done, "WWW");
    assert_eq!((&r[2], &r[3], &r[4]), (&dev, &dev, &dev), "{done}");
    assert!(done.contains("1/4 live"), "{done}");

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(10), 0);
}
