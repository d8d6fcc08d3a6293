//! The `ssh` source against a real sshd on loopback.

use std::io::Write;
use std::time::Duration;

use slipway::config::LogSourceConfig;
use slipway::feeds::logs::{SourceOptions, SourceStatus, TemplateVars, spawn_source_with};
use tokio::sync::mpsc;

use super::sshd::{HOST, Sshd};
use super::{Seen, fast_options, until};

fn source(sshd: &Sshd, path: &std::path::Path) -> LogSourceConfig {
    LogSourceConfig::Ssh {
        host: "{host}".into(),
        path: path.display().to_string(),
        options: sshd.client_options(),
        connect_timeout_secs: 5,
    }
}

fn vars() -> TemplateVars {
    TemplateVars {
        host: HOST.into(),
        ..Default::default()
    }
}

fn append(path: &std::path::Path, lines: &[&str]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

/// Kills the remote `tail` serving `path` (as if the connection dropped).
fn kill_remote_tail(path: &std::path::Path) -> bool {
    let wanted = path.display().to_string();
    let mut killed = false;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.first().is_some_and(|a| a.ends_with("tail")) && args.contains(&wanted) {
            std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
            killed = true;
        }
    }
    killed
}

#[tokio::test]
async fn follows_a_remote_file_and_marks_the_gap_after_a_reconnect() {
    let Some(sshd) = Sshd::start() else { return };
    let log = sshd.dir.path().join("remote app.log");
    append(&log, &["one", "two", "three"]);
    let (tx, mut rx) = mpsc::channel(16);
    let opts = SourceOptions {
        initial_lines: 2,
        ..fast_options()
    };
    let _h = spawn_source_with(&source(&sshd, &log), &vars(), opts, tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(15), |s| {
        s.lines.len() >= 2
    })
    .await;
    assert_eq!(seen.lines, ["two", "three"]);
    assert!(seen.statuses.contains(&SourceStatus::Following), "{seen:?}");

    append(&log, &["four"]);
    until(&mut rx, &mut seen, Duration::from_secs(10), |s| {
        s.lines.len() >= 3
    })
    .await;
    assert_eq!(seen.lines[2], "four");

    // The remote side goes away: reconnect, mark the gap, carry on from the end.
    assert!(kill_remote_tail(&log), "remote tail not found");
    until(&mut rx, &mut seen, Duration::from_secs(15), |s| {
        !s.gaps.is_empty()
    })
    .await;
    assert!(
        seen.gaps[0].starts_with("reconnected after"),
        "{:?}",
        seen.gaps
    );
    assert!(
        seen.statuses
            .iter()
            .any(|s| matches!(s, SourceStatus::Reconnecting { .. })),
        "{seen:?}"
    );
    // Let the new tail start before writing (lines in between are the gap).
    tokio::time::sleep(Duration::from_millis(500)).await;
    append(&log, &["five"]);
    until(&mut rx, &mut seen, Duration::from_secs(10), |s| {
        s.lines.len() >= 4
    })
    .await;
    assert_eq!(
        seen.lines,
        ["two", "three", "four", "five"],
        "no repeats after reconnecting"
    );
}

#[tokio::test]
async fn a_closed_port_shows_ssh_own_error_then_connects_when_it_opens() {
    let Some(mut sshd) = Sshd::prepare() else {
        return;
    };
    let log = sshd.dir.path().join("app.log");
    append(&log, &["hello over ssh"]);
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(&source(&sshd, &log), &vars(), fast_options(), tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(15), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Failed(_)))
    })
    .await;
    let message = seen
        .statuses
        .iter()
        .find_map(|st| match st {
            SourceStatus::Failed(m) => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        message.contains("Connection refused") && message.contains(&sshd.port.to_string()),
        "ssh's own message expected, got {message:?}"
    );
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Reconnecting { .. }))
    })
    .await;

    sshd.spawn();
    until(&mut rx, &mut seen, Duration::from_secs(20), |s| {
        !s.lines.is_empty()
    })
    .await;
    assert_eq!(seen.lines, ["hello over ssh"]);
    assert_eq!(seen.statuses.last(), Some(&SourceStatus::Following));
    assert!(
        seen.gaps.is_empty(),
        "never connected before: nothing missed"
    );
}

#[tokio::test]
async fn authentication_failure_is_reported_not_prompted() {
    let Some(sshd) = Sshd::start() else { return };
    std::fs::write(sshd.dir.path().join("authorized_keys"), "").unwrap();
    let log = sshd.dir.path().join("app.log");
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(&source(&sshd, &log), &vars(), fast_options(), tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(15), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Failed(_)))
    })
    .await;
    let failed = seen.statuses.iter().find_map(|st| match st {
        SourceStatus::Failed(m) => Some(m.clone()),
        _ => None,
    });
    assert!(
        failed
            .as_deref()
            .is_some_and(|m| m.contains("Permission denied")),
        "{failed:?}"
    );
}
