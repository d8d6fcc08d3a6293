//! The `file` source against real files: append, rename-rotation, truncation.

use std::io::Write;
use std::time::Duration;

use slipway::config::LogSourceConfig;
use slipway::feeds::logs::{SourceOptions, SourceStatus, TemplateVars, spawn_source_with};
use tokio::sync::mpsc;

use super::{Seen, fast_options, until};

fn append(path: &std::path::Path, lines: impl IntoIterator<Item = String>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut text = String::new();
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    f.write_all(text.as_bytes()).unwrap();
}

fn config(path: &std::path::Path) -> LogSourceConfig {
    LogSourceConfig::File {
        path: path.display().to_string(),
    }
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix} {i}")).collect()
}

#[tokio::test]
async fn starts_with_the_last_lines_then_follows_appends_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    append(&path, numbered("old", 0..10));
    let (tx, mut rx) = mpsc::channel(16);
    let opts = SourceOptions {
        initial_lines: 3,
        ..fast_options()
    };
    let _h = spawn_source_with(&config(&path), &TemplateVars::default(), opts, tx);
    let mut seen = Seen::default();
    let mut expected = numbered("old", 7..10);
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= 3
    })
    .await;
    assert_eq!(seen.lines, expected);
    assert!(seen.statuses.contains(&SourceStatus::Following));

    // Appends, including a line written in two pieces.
    append(&path, numbered("a", 0..500));
    {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"half").unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(80));
        f.write_all(b" and half\n").unwrap();
    }
    expected.extend(numbered("a", 0..500));
    expected.push("half and half".into());
    let n = expected.len();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= n
    })
    .await;
    assert_eq!(seen.lines, expected);

    // Rotation: the last lines of the old file land just before the rename, and the new
    // file gets lines at once. None lost, none twice.
    append(&path, numbered("before-rotate", 0..200));
    std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
    append(&path, numbered("after-rotate", 0..200));
    expected.extend(numbered("before-rotate", 0..200));
    expected.extend(numbered("after-rotate", 0..200));
    let n = expected.len();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= n
    })
    .await;
    assert_eq!(seen.lines, expected);

    // Truncation: reading starts over from the top, with a marker.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(0).unwrap();
    drop(f);
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        !s.gaps.is_empty()
    })
    .await;
    assert_eq!(seen.gaps, ["file truncated; reading from the start"]);
    append(&path, numbered("after-truncate", 0..50));
    expected.extend(numbered("after-truncate", 0..50));
    let n = expected.len();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= n
    })
    .await;
    assert_eq!(seen.lines, expected);

    // Nothing more arrives: no duplicates trickling in late.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(e) = rx.try_recv() {
        seen.take(e);
    }
    assert_eq!(seen.lines.len(), expected.len());
}

#[tokio::test]
async fn a_steady_writer_across_a_rotation_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.log");
    append(&path, Vec::new());
    let (tx, mut rx) = mpsc::channel(16);
    let opts = SourceOptions {
        initial_lines: 0,
        ..fast_options()
    };
    let _h = spawn_source_with(&config(&path), &TemplateVars::default(), opts, tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.statuses.contains(&SourceStatus::Following)
    })
    .await;
    let writer_path = path.clone();
    let rotated = dir.path().join("busy.log.1");
    let writer = std::thread::spawn(move || {
        for i in 0..3000 {
            if i == 1500 {
                std::fs::rename(&writer_path, &rotated).unwrap();
            }
            append(&writer_path, [format!("line {i}")]);
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
    until(&mut rx, &mut seen, Duration::from_secs(10), |s| {
        s.lines.len() >= 3000
    })
    .await;
    writer.join().unwrap();
    assert_eq!(seen.lines, numbered("line", 0..3000));
}

#[tokio::test]
async fn a_missing_file_is_waited_for_and_read_once_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.log");
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(&config(&path), &TemplateVars::default(), fast_options(), tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.statuses
            .iter()
            .any(|st| matches!(st, SourceStatus::Failed(m) if m.contains("does not exist")))
    })
    .await;
    append(&path, numbered("x", 0..3));
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= 3
    })
    .await;
    assert_eq!(seen.lines, numbered("x", 0..3));
    assert_eq!(seen.statuses.last(), Some(&SourceStatus::Following));
}

#[tokio::test]
async fn a_deleted_file_is_said_to_be_gone_not_followed_and_followed_again_when_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    append(&path, numbered("a", 0..3));
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(&config(&path), &TemplateVars::default(), fast_options(), tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(5), |s| {
        s.lines.len() >= 3
    })
    .await;
    assert_eq!(seen.statuses.last(), Some(&SourceStatus::Following));
    std::fs::remove_file(&path).unwrap();
    until(
        &mut rx,
        &mut seen,
        Duration::from_secs(10),
        |s| matches!(s.statuses.last(), Some(SourceStatus::Failed(m)) if m.contains("is gone")),
    )
    .await;
    // It comes back (a writer restarted): followed from its start.
    append(&path, numbered("b", 0..2));
    until(&mut rx, &mut seen, Duration::from_secs(10), |s| {
        s.lines.len() >= 5
    })
    .await;
    assert_eq!(seen.lines[3..], numbered("b", 0..2));
    assert_eq!(seen.statuses.last(), Some(&SourceStatus::Following));
}
