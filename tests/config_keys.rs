//! `[keys]` in a real config: `check-config` names a conflict by its key path and line and
//! exits non-zero, and a valid override takes effect in the real dashboard (in tmux, on a
//! served demo environment): the configured key promotes, the default one no longer
//! does, and the help shows the configured key.
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

fn check_config(text: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("slipway.toml");
    std::fs::write(&path, text).expect("write config");
    let out = Command::new(BIN)
        .arg("check-config")
        .arg(&path)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .expect("slipway runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn demo_config() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"))
        .expect("config/demo.toml")
}

#[test]
fn check_config_reports_a_key_conflict_and_fails() {
    let base = demo_config();
    let (code, out, _) = check_config(&base);
    assert_eq!(code, Some(0), "the demo config is fine as it is: {out}");

    // Two global actions on one key.
    let text = format!("{base}\n[keys.global]\npromote = \"r\"\n");
    let line = text.lines().count();
    let (code, _, err) = check_config(&text);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("keys.global.promote"), "{err}");
    assert!(err.contains("rollback"), "names the other action: {err}");
    assert!(err.contains(&format!(":{line}:")), "names the line: {err}");

    // A pane key that would hide a global one while the pane is focused.
    let (code, _, err) = check_config(&format!("{base}\n[keys.logs]\npause = \"p\"\n"));
    assert_ne!(code, Some(0), "{err}");
    assert!(
        err.contains("keys.logs.pause") && err.contains("promote"),
        "{err}"
    );

    // A key that does not parse, and an action that does not exist.
    let (code, _, err) = check_config(&format!("{base}\n[keys.global]\nzoom = \"Ctrl-\"\n"));
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("keys.global.zoom"), "{err}");
    let (code, _, err) = check_config(&format!("{base}\n[keys.global]\npromot = \"P\"\n"));
    assert_ne!(code, Some(0), "{err}");
    assert!(
        err.contains("keys.global.promot") && err.contains("promote"),
        "{err}"
    );

    // A valid override passes.
    let (code, out, err) = check_config(&format!(
        "{base}\n[keys.global]\npromote = \"P\"\n[keys.logs]\npause = \"space\"\n"
    ));
    assert_eq!(code, Some(0), "{out}{err}");
}

#[test]
fn a_configured_key_takes_effect_in_the_dashboard() {
    let s = serve();
    let mut text = std::fs::read_to_string(&s.config).expect("served config");
    text.push_str("\n[keys.global]\npromote = \"P\"\n");
    let config = s.state.path().join("keys.toml");
    std::fs::write(&config, text).expect("write config");
    let t = Tmux::start(
        &format!(
            "XDG_STATE_HOME={} {BIN} --config {}",
            s.state.path().display(),
            config.display()
        ),
        120,
        40,
    );
    t.wait_for("the first frame with versions", 60, |s| {
        s.contains("[Promote]")
    });
    // The default key no longer promotes...
    t.keys(&["p"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !t.screen().contains("Promote WWW to live?"),
        "p opened the dialog:\n{}",
        t.screen()
    );
    // ...the configured one does.
    t.keys(&["P"]);
    let dialog = t.wait_text("Promote WWW to live?", 10);
    assert!(dialog.contains("y promote"), "{dialog}");
    t.keys(&["Escape"]);
    t.wait_for("the dialog closed", 10, |s| {
        !s.contains("Promote WWW to live?")
    });
    // The help lists the key as configured.
    t.keys(&["?"]);
    let help = t.wait_text("promote the selected stack to live", 10);
    let row = help
        .lines()
        .find(|l| l.contains("promote the selected stack to live"))
        .unwrap_or_default();
    assert!(row.contains(" P "), "{row}");
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(10), 0);
}
