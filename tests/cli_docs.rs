//! `slipway completions SHELL` and `slipway man`, run as a user would.

use std::process::Command;

fn slipway(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .output()
        .expect("slipway runs")
}

#[test]
fn bash_completion_is_valid_bash_and_knows_every_subcommand_and_flag() {
    let out = slipway(&["completions", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).unwrap();
    for word in [
        "promote",
        "rollback",
        "status",
        "check-config",
        "--override-order",
        "--to",
    ] {
        assert!(script.contains(word), "{word} is completed");
    }
    // Real bash parses it (syntax only: nothing runs).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slipway.bash");
    std::fs::write(&path, &script).unwrap();
    let parsed = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
}

#[test]
fn man_page_is_roff_naming_the_commands_and_an_unknown_shell_is_refused() {
    let out = slipway(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH slipway 1"), "{page}");
    assert!(page.contains("promote"), "{page}");

    let bad = slipway(&["completions", "nosh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values"));
}
