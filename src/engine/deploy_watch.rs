//! Follows one deployment on the platform: streams its output to the front end and
//! reports status changes to the engine until it has finished and its output is drained.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Event;
use crate::model::{DeployStatus, DeploymentId, StackId};
use crate::platform::Platform;

/// What a watcher tells the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchReport {
    Status(DeployStatus),
    /// The platform could not be read for a while; the watcher keeps trying.
    Trouble(String),
    /// The platform answers again after trouble.
    Answering,
    Finished {
        deployment: DeploymentId,
        status: DeployStatus,
    },
}

/// After the platform says a deployment finished, how many more reads of its output to
/// make while waiting for `complete` (some platforms flush the last lines late).
const DRAIN_READS: u32 = 4;
/// The longest wait between polls while the platform is failing.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

pub async fn watch(
    platform: Arc<dyn Platform>,
    stack: StackId,
    deployment: DeploymentId,
    events: mpsc::Sender<Event>,
    reports: mpsc::Sender<(StackId, WatchReport)>,
) {
    let poll = platform.poll_interval();
    let report = |r: WatchReport| {
        let reports = reports.clone();
        let stack = stack.clone();
        async move {
            let _ = reports.send((stack, r)).await;
        }
    };
    let mut offset = 0u64;
    let mut last_status: Option<DeployStatus> = None;
    // Set once the platform says the deployment ended; output is then drained.
    let mut finished: Option<DeployStatus> = None;
    let mut drain_left = DRAIN_READS;
    let mut failures = 0u32;
    loop {
        let mut trouble = None;
        let mut output_complete = false;
        match platform
            .deployment_output(&stack, &deployment, offset)
            .await
        {
            Ok(chunk) => {
                offset = chunk.next_offset.max(offset);
                output_complete = chunk.complete;
                if !chunk.lines.is_empty() {
                    let _ = events
                        .send(Event::DeployOutput {
                            stack: stack.clone(),
                            deployment: deployment.clone(),
                            lines: chunk.lines,
                        })
                        .await;
                }
            }
            Err(e) => trouble = Some(e.to_string()),
        }
        if finished.is_some() {
            if output_complete || drain_left == 0 {
                break;
            }
            drain_left -= 1;
        } else {
            // Status is read after output, so output read before a "finished" status is
            // followed by at least one more read: no last lines are lost.
            match platform.deployment_status(&stack, &deployment).await {
                Ok(status) => {
                    if status.state.is_finished() {
                        finished = Some(status.clone());
                    }
                    if last_status.as_ref() != Some(&status) {
                        last_status = Some(status.clone());
                        report(WatchReport::Status(status)).await;
                    }
                }
                Err(e) => trouble = Some(e.to_string()),
            }
        }
        let delay = match trouble {
            Some(message) => {
                failures += 1;
                // Say it when trouble starts, then every tenth failure, not on every poll.
                if failures == 1 || failures.is_multiple_of(10) {
                    report(WatchReport::Trouble(format!("{message} (still trying)"))).await;
                }
                (poll * 2u32.saturating_pow(failures.min(5))).min(MAX_BACKOFF)
            }
            None => {
                if failures > 0 {
                    report(WatchReport::Answering).await;
                }
                failures = 0;
                if finished.is_some() {
                    // Draining: the last lines usually follow within moments.
                    poll.min(Duration::from_millis(200))
                } else {
                    poll
                }
            }
        };
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = finished {
        report(WatchReport::Finished { deployment, status }).await;
    }
}
