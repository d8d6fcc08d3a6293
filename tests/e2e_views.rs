//! The real `slipway demo` in tmux: after a promotion the selection moves on to the next
//! stack in order, and `H` shows what the journal recorded.
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

/// The row of a stack in the Stacks pane.
fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| {
            l.contains(&format!(" {name} "))
                && (l.contains("[Promote]") || l.contains('✓') || l.contains('⟳'))
        })
        .unwrap_or("")
}

#[test]
fn after_a_promotion_the_next_stack_is_selected_and_h_shows_the_history() {
    let t = Tmux::start(&demo_command(), 100, 30);
    let first = t.wait_for("the first frame with versions", 30, |s| {
        row(s, "WWW").contains("[Promote]")
    });
    assert!(first.contains("next: WWW"), "{first}");
    assert!(row(&first, "WWW").contains("▶1 WWW"), "{first}");

    t.keys(&["Enter"]);
    t.wait_text("Promote WWW to live?", 5);
    t.keys(&["Enter"]);
    t.wait_for("WWW live", 60, |s| row(s, "WWW").contains("✓ live"));
    // Once it counts as live (smoke checks passed) the selection moves to Cedric.
    let moved = t.wait_for("Cedric selected", 20, |s| {
        row(s, "Cedric").contains("▶2 Cedric")
    });
    assert!(moved.contains("next: Cedric"), "{moved}");
    assert!(!row(&moved, "WWW").contains('▶'), "{moved}");
    assert!(
        moved.contains("Cedric · live "),
        "the header follows:\n{moved}"
    );

    t.keys(&["H"]);
    let history = t.wait_for("the journal on screen", 10, |s| {
        s.contains("History · newest first") && s.contains("deploy_finished")
    });
    for want in [
        "WWW · 1 promotion/rollback",
        "promote live ",
        "#5639226",
        "succeeded",
    ] {
        assert!(history.contains(want), "'{want}':\n{history}");
    }
    t.keys(&["Escape"]);
    t.wait_for("the history closed", 5, |s| !s.contains("History · newest"));

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(10), 0);
}
