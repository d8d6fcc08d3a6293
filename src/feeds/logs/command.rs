//! The `command` source: `sh -c COMMAND`, stdout and stderr as lines, exit code reported.
//! With `restart`, the command is run again (with back-off) after it exits, for commands
//! such as `kubectl logs -f` that end when a connection drops.

use std::time::Duration;

use tokio::time::Instant;

use super::backoff::{Backoff, countdown};
use super::batch::Outbox;
use super::child::spawn_group;
use super::pump::{ChildLines, PumpEnd, pump};
use super::{GapReason, LogFeedEvent, SourceOptions, SourceStatus};

struct Both;

impl ChildLines for Both {
    fn stdout(&mut self, line: &[u8], out: &mut Outbox) {
        out.push_line(line);
    }
    fn stderr(&mut self, line: &[u8], out: &mut Outbox) {
        out.push_line(line);
    }
}

/// A run shorter than this counts as a failure for back-off purposes.
const STABLE_RUN: Duration = Duration::from_secs(10);

pub(super) async fn run(command: String, restart: bool, opts: SourceOptions, mut out: Outbox) {
    let mut backoff = Backoff::new(opts.backoff_min, opts.backoff_max);
    let mut stopped_at: Option<Instant> = None;
    loop {
        if out.status(SourceStatus::Connecting).is_err() {
            return;
        }
        let args = vec!["-c".to_string(), command.clone()];
        let started = Instant::now();
        match spawn_group("sh", &args) {
            Err(e) => {
                let _ = out.status(SourceStatus::Failed(format!("cannot start sh: {e}")));
            }
            Ok(spawned) => {
                if out.status(SourceStatus::Following).is_err() {
                    return;
                }
                if let Some(at) = stopped_at.take() {
                    let gap = LogFeedEvent::Gap {
                        reason: GapReason::Restarted {
                            after: at.elapsed(),
                        },
                    };
                    if out.event(gap).is_err() {
                        return;
                    }
                }
                match pump(
                    spawned,
                    &mut Both,
                    &mut out,
                    opts.max_line_bytes,
                    opts.batch_interval,
                )
                .await
                {
                    PumpEnd::Closed => return,
                    PumpEnd::Exited(status) => {
                        let _ = out.status(SourceStatus::Ended {
                            code: status.code(),
                        });
                    }
                    PumpEnd::WaitFailed(e) => {
                        let _ = out.status(SourceStatus::Failed(format!(
                            "lost track of the command: {e}"
                        )));
                    }
                }
            }
        }
        if !restart {
            out.finish(Duration::from_secs(5)).await;
            return;
        }
        if started.elapsed() >= STABLE_RUN {
            backoff.reset();
        }
        stopped_at = Some(Instant::now());
        if countdown(&mut out, backoff.next_delay()).await.is_err() {
            return;
        }
    }
}
