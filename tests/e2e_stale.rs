//! The real dashboard (in tmux) on a served demo whose serving process is then stopped:
//! every pane whose source fails says so with the age of what it shows, nothing reads as
//! live or promotable any more, and `p` opens a promote dialog that says the versions
//! are stale.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::process::Command;

use support::served::serve;
use support::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_slipway");

/// The Stacks pane's rows (between its heavy borders), one per stack.
fn stack_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with('┃'))
        .filter_map(|l| l.split('┃').nth(1))
        .filter(|r| {
            ["WWW", "Cedric", "Sally", "Bruce"]
                .iter()
                .any(|n| r.contains(n))
        })
        .map(str::to_string)
        .collect()
}

/// `last known 16:36 (23s ago)`: a time of day and an age.
fn says_last_known_with_age(row: &str) -> bool {
    let re = regex::Regex::new(r"⚠ last known \d\d:\d\d \(\d+[smhd]( \d+m)? ago\)").unwrap();
    re.is_match(row)
}

#[test]
fn a_stopped_platform_shows_as_stale_everywhere_and_in_the_promote_dialog() {
    let mut s = serve();
    let t = Tmux::start(
        &format!(
            "XDG_STATE_HOME={} {BIN} --config {}",
            s.state.path().display(),
            s.config.display()
        ),
        160,
        45,
    );
    // Running: versions read, the log followed, a rate measured (`39/s`).
    let rate = regex::Regex::new(r"^│req/s .*\d/s ").unwrap();
    let screen = t.wait_for("versions, a followed log and a measured rate", 40, |sc| {
        sc.contains("[Promote]")
            && sc.contains("· following")
            && sc.lines().any(|l| rate.is_match(l))
    });
    assert!(!screen.contains("last known"), "{screen}");

    // Stop the serving process as a person would (Ctrl-C / SIGTERM): its platform goes
    // away and it deletes its log files.
    let stopped = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stopped.success());
    let _ = s.child.wait();

    let screen = t.wait_for("every stack marked last known", 30, |sc| {
        let rows = stack_rows(sc);
        rows.len() == 4 && rows.iter().all(|r| says_last_known_with_age(r))
    });
    let rows = stack_rows(&screen);
    assert!(
        !rows
            .iter()
            .any(|r| r.contains("✓ live") || r.contains("[Promote]")),
        "{screen}"
    );
    assert!(
        screen.contains("⚠ 4 not confirmed by the platform"),
        "{screen}"
    );

    // The log file is gone: the Logs pane says so, with the age, and not `following`.
    let screen = t.wait_for("the Logs pane saying its file is gone", 30, |sc| {
        sc.lines()
            .any(|l| l.contains("╭ Logs · ") && l.contains("· failed ") && l.contains("s ago: "))
    });
    let logs_title = screen
        .lines()
        .find(|l| l.contains("╭ Logs · "))
        .unwrap_or_default();
    assert!(!logs_title.contains("following"), "{logs_title}");

    // Metrics: no data, since when.
    t.wait_for("the Metrics pane saying it has no data", 30, |sc| {
        sc.lines()
            .any(|l| l.contains("╭ Metrics · ") && l.contains("⚠ no data since "))
    });

    // `p`: the dialog says the versions are stale, with their age.
    t.keys(&["p"]);
    let screen = t.wait_text("Promote WWW to live?", 10);
    assert!(
        screen.contains("⚠ Versions are stale: last known "),
        "{screen}"
    );
    assert!(screen.contains("the platform did not"), "{screen}");
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    t.wait_exit(10);
}
