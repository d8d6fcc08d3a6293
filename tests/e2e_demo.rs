//! The real `slipway demo` binary in a real terminal (tmux): what a new user does first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use support::tmux::Tmux;

fn demo_command(extra: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_slipway");
    let state = tempfile::tempdir().expect("state dir").keep();
    format!(
        "XDG_STATE_HOME={} {bin} demo --step-ms 60 {extra}",
        state.display()
    )
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
fn promote_www_by_keys_then_quit_cleanly() {
    let t = Tmux::start(&demo_command(""), 120, 40);
    let first = t.wait_for("the first frame with versions", 30, |s| {
        row(s, "WWW").contains("[Promote]")
    });
    assert!(first.contains("Stacks"), "{first}");
    for pane in ["Changes", "Metrics", "Logs", "Deploy"] {
        assert!(first.contains(pane), "pane {pane} is on screen:\n{first}");
    }
    assert!(t.alternate_screen());

    t.keys(&["Enter"]);
    let dialog = t.wait_text("Promote WWW to live?", 5);
    assert!(dialog.contains("Environment  live"), "{dialog}");
    t.keys(&["Enter"]);
    t.wait_text("Deploy · WWW #5639226", 10);
    let done = t.wait_for("WWW live", 60, |s| row(s, "WWW").contains("✓ live"));
    assert!(done.contains("1/4 live"), "{done}");
    // The promotion counts as live only after the smoke checks passed; then the
    // selection moves on to the next stack, and 1 goes back to WWW's deployment.
    t.wait_text("WWW: smoke tests 3/3 passed", 20);
    t.wait_for("Cedric selected", 20, |s| {
        row(s, "Cedric").contains("▶2 Cedric")
    });
    t.keys(&["1"]);
    let done = t.wait_text("Deploy · WWW #5639226", 10);
    assert!(done.contains("#5639226 · succeeded"), "{done}");

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(10), 0);
    assert!(
        !t.alternate_screen(),
        "the terminal is restored after quitting"
    );
}

#[test]
fn fifty_enters_start_exactly_one_deployment() {
    let t = Tmux::start(&demo_command(""), 120, 40);
    t.wait_for("the first frame with versions", 30, |s| {
        row(s, "WWW").contains("[Promote]")
    });
    let enters = vec!["Enter"; 50];
    t.keys(&enters);
    t.wait_for("WWW live", 60, |s| row(s, "WWW").contains("✓ live"));
    // The selection moves on to Cedric once WWW is live; its deployment is on WWW.
    t.wait_for("Cedric selected", 20, |s| {
        row(s, "Cedric").contains("▶2 Cedric")
    });
    t.keys(&["1"]);
    let done = t.wait_text("Deploy · WWW #5639226", 10);
    assert!(
        !done.contains("5639227"),
        "a second deployment started:\n{done}"
    );
    assert!(
        row(&done, "Cedric").contains("[Promote]"),
        "no press went to the next stack:\n{done}"
    );
    // The extra presses were refused with a message, not queued.
    t.keys(&["q"]);
    // Quitting with nothing in flight does not ask.
    assert_eq!(t.wait_exit(10), 0);
}

#[test]
fn out_of_order_needs_an_override_and_quitting_mid_deploy_asks() {
    let t = Tmux::start(&demo_command(""), 120, 40);
    t.wait_for("the first frame with versions", 30, |s| {
        row(s, "Sally").contains("[Promote]")
    });
    t.keys(&["3", "Enter"]);
    let dialog = t.wait_text("Promote Sally to live?", 5);
    assert!(
        dialog.contains("Out of order: WWW, Cedric are not live yet."),
        "{dialog}"
    );
    // Enter alone does nothing until the override key is pressed.
    t.keys(&["Enter"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(t.screen().contains("Promote Sally to live?"));
    t.keys(&["o", "Enter"]);
    t.wait_for("Sally promoting", 10, |s| row(s, "Sally").contains('⟳'));
    t.keys(&["q"]);
    let ask = t.wait_text("Quit slipway?", 5);
    // The demo's platform lives in this process: quitting stops the deployment too,
    // and the dialog says so rather than promising it goes on.
    assert!(ask.contains("Quitting stops it"), "{ask}");
    assert!(!ask.contains("goes on without"), "{ask}");
    t.keys(&["y"]);
    assert_eq!(t.wait_exit(10), 0);
    assert!(!t.alternate_screen());
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = Tmux::start(&demo_command(""), 100, 30);
    t.wait_for("the first frame", 30, |s| s.contains("Stacks"));
    let shell = t.pane_pid();
    let out = std::process::Command::new("pkill")
        .args(["-TERM", "-P", &shell.to_string(), "slipway"])
        .output()
        .expect("pkill runs");
    assert!(out.status.success(), "slipway was found and signalled");
    assert_eq!(t.wait_exit(10), 0);
    assert!(
        !t.alternate_screen(),
        "SIGTERM leaves the terminal as it found it"
    );
}

#[test]
fn small_and_huge_terminals_draw_without_panicking() {
    for (w, h) in [(80, 24), (60, 16), (40, 10), (300, 100)] {
        let t = Tmux::start(&demo_command(""), w, h);
        let s = t.wait_for("a frame", 30, |s| {
            s.contains("slipway") || s.contains("too small")
        });
        if w >= 60 && h >= 16 {
            t.wait_for("stacks at this size", 30, |s| s.contains("WWW"));
        } else {
            assert!(s.contains("Terminal too small"), "{w}x{h}:\n{s}");
        }
        t.keys(&["q"]);
        assert_eq!(t.wait_exit(10), 0, "{w}x{h}");
    }
}

#[test]
fn a_panic_restores_the_terminal_and_shows_its_message() {
    // As a user runs it: without RUST_BACKTRACE, the message is one short block.
    let t = Tmux::start(
        &format!("RUST_BACKTRACE=0 SLIPWAY_TEST_PANIC=1 {}", demo_command("")),
        100,
        30,
    );
    let code = t.wait_exit(30);
    assert_eq!(code, 101, "a panic exits with Rust's panic status");
    assert!(
        !t.alternate_screen(),
        "the terminal left the alternate screen"
    );
    let screen = t.wait_text("a test panic", 5);
    assert!(screen.contains("SLIPWAY_TEST_PANIC is set"), "{screen}");
}
