//! Log sources and the log view against real files, processes, sshd and HTTP servers on
//! loopback, and the view rendered into ratatui's `TestBackend`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod command_source;
mod file_source;
mod firehose;
mod http_source;
mod render;
mod sanitize_props;
mod ssh_source;
mod sshd;

use std::time::Duration;

use slipway::feeds::logs::{LogFeedEvent, SourceOptions, SourceStatus};
use tokio::sync::mpsc;

/// Options that keep tests quick: short batches and back-off.
pub fn fast_options() -> SourceOptions {
    SourceOptions {
        batch_interval: Duration::from_millis(10),
        poll_interval: Duration::from_millis(20),
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        ..SourceOptions::default()
    }
}

/// Everything a source said, in order.
#[derive(Debug, Default)]
pub struct Seen {
    pub lines: Vec<String>,
    pub statuses: Vec<SourceStatus>,
    pub gaps: Vec<String>,
    pub dropped: u64,
}

impl Seen {
    pub fn take(&mut self, event: LogFeedEvent) {
        match event {
            LogFeedEvent::Lines { lines, dropped } => {
                self.dropped += dropped;
                self.lines.extend(
                    lines
                        .iter()
                        .map(|l| String::from_utf8_lossy(l).into_owned()),
                );
            }
            LogFeedEvent::Status(s) => self.statuses.push(s),
            LogFeedEvent::Gap { reason } => self.gaps.push(reason.to_string()),
        }
    }
}

/// Receives until `done` holds, failing the test with what was seen after `within`.
pub async fn until(
    rx: &mut mpsc::Receiver<LogFeedEvent>,
    seen: &mut Seen,
    within: Duration,
    mut done: impl FnMut(&Seen) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    while !done(seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => seen.take(e),
            Ok(None) => {
                assert!(done(seen), "source ended early; seen: {seen:#?}");
                return;
            }
            Err(_) => panic!("timed out; seen: {seen:#?}"),
        }
    }
}
