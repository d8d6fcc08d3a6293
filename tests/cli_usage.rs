//! `slipway completions SHELL` and `slipway man`, run as a user would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

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

#[test]
fn demo_refuses_a_config_rather_than_ignoring_it() {
    let out = slipway(&["--config", "/tmp/mine.toml", "demo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("takes no --config"), "{err}");
    assert!(err.contains("slipway --config /tmp/mine.toml"), "{err}");
}

#[test]
fn a_mistyped_word_is_never_answered_with_a_mutating_subcommand() {
    // "abortt" is one letter from abort: clap alone would offer "a similar subcommand
    // exists: 'abort'".
    let out = slipway(&["abortt"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("similar") && !err.contains("'abort'"),
        "{err}"
    );
    assert!(err.contains("unrecognized subcommand 'abortt'"), "{err}");
    assert!(err.contains("status"), "lists the subcommands: {err}");
    // A read-only guess is still offered.
    let out = slipway(&["statuss"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("similar subcommand exists: 'status'"), "{err}");
}

/// Every flag and argument of every subcommand says what it is for: `--help`, the man
/// page and the completions are drawn from these texts, and a bare `--json` or `STACK`
/// leaves a newcomer guessing.
#[test]
fn every_flag_and_argument_has_help_text() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            let has = |t: Option<&clap::builder::StyledStr>| {
                t.is_some_and(|t| !t.to_string().trim().is_empty())
            };
            if !has(arg.get_help()) && !has(arg.get_long_help()) {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cmd = <slipway::cli::Cli as clap::CommandFactory>::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "slipway", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:#?}");
    // And the help a user reads shows it.
    let out = slipway(&["rollback", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Stack id or name"), "{help}");
}
