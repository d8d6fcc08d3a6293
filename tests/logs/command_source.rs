//! The `command` source with real child processes.

use std::time::Duration;

use slipway::config::LogSourceConfig;
use slipway::feeds::logs::{SourceStatus, TemplateVars, spawn_source_with};
use tokio::sync::mpsc;

use super::{Seen, fast_options, until};

fn command(cmd: &str) -> LogSourceConfig {
    LogSourceConfig::Command {
        command: cmd.into(),
        restart: false,
    }
}

/// Gone, or a zombie waiting for a parent that is not us to reap it: either way not running.
pub fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

#[tokio::test]
async fn output_and_exit_code_are_reported() {
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(
        &command("printf 'one\\ntwo\\n'; echo oops >&2; printf 'no newline'; exit 3"),
        &TemplateVars::default(),
        fast_options(),
        tx,
    );
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Ended { .. }))
    })
    .await;
    assert_eq!(
        seen.statuses.last(),
        Some(&SourceStatus::Ended { code: Some(3) })
    );
    let mut lines = seen.lines.clone();
    lines.sort();
    assert_eq!(lines, ["no newline", "one", "oops", "two"]);
    // The channel closes after the end.
    assert!(rx.recv().await.is_none());
}

#[tokio::test]
async fn template_values_are_quoted_for_the_shell() {
    let (tx, mut rx) = mpsc::channel(16);
    let vars = TemplateVars {
        instance: "a b; echo INJECTED".into(),
        ..Default::default()
    };
    let _h = spawn_source_with(&command("echo {instance}"), &vars, fast_options(), tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Ended { .. }))
    })
    .await;
    assert_eq!(seen.lines, ["a b; echo INJECTED"]);
}

#[tokio::test]
async fn dropping_the_handle_kills_the_whole_process_group() {
    let (tx, mut rx) = mpsc::channel(16);
    let handle = spawn_source_with(
        &command("echo $$; sleep 1000 & echo $!; wait"),
        &TemplateVars::default(),
        fast_options(),
        tx,
    );
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= 2
    })
    .await;
    let pids: Vec<u32> = seen.lines.iter().map(|l| l.parse().unwrap()).collect();
    assert!(
        pids.iter().all(|&p| !is_dead(p)),
        "both running before the drop"
    );
    drop(handle);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !pids.iter().all(|&p| is_dead(p)) {
        assert!(
            std::time::Instant::now() < deadline,
            "processes {pids:?} still running after the handle was dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn progress_lines_are_handed_out_while_the_line_is_still_open() {
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(
        &command(
            "printf 'copy 10%%\\r'; sleep 0.4; printf 'copy 60%%\\r'; sleep 0.4; printf 'copy done\\n'",
        ),
        &TemplateVars::default(),
        fast_options(),
        tx,
    );
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Ended { .. }))
    })
    .await;
    assert_eq!(seen.lines, ["copy 10%\r", "copy 60%\r", "copy done"]);
}

#[tokio::test]
async fn a_restarting_command_runs_again_with_a_marker() {
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(
        &LogSourceConfig::Command {
            command: "echo run; exit 1".into(),
            restart: true,
        },
        &TemplateVars::default(),
        fast_options(),
        tx,
    );
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(10), |s| {
        s.lines.len() >= 2
    })
    .await;
    assert_eq!(seen.lines, ["run", "run"]);
    assert!(
        seen.gaps[0].starts_with("command restarted after"),
        "{:?}",
        seen.gaps
    );
    assert!(
        seen.statuses
            .contains(&SourceStatus::Ended { code: Some(1) })
    );
    assert!(
        seen.statuses
            .iter()
            .any(|s| matches!(s, SourceStatus::Reconnecting { .. })),
        "{seen:?}"
    );
}
