//! `slipway promote --watch DURATION`: after the deployment and its smoke tests, the
//! stack's metrics as the dashboard judges them (the same engine, metrics feed and
//! anomaly verdicts), printed whenever they change. A flag ends it with exit status 3, so
//! CI can stop a release the way `kubectl argo rollouts` is used; a watch that ends with
//! no flag exits 0 and says what was judged.

use std::process::ExitCode;
use std::time::Duration;

use super::exit;
use crate::engine::Event;
use crate::feeds::metrics::{MetricsUpdate, Verdict};
use crate::model::StackId;

pub(super) async fn run(
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    stack: &StackId,
    name: &str,
    limit: Duration,
) -> ExitCode {
    eprintln!(
        "slipway: {name}: watching its metrics for {}s (exit 3 on a flag)",
        limit.as_secs()
    );
    let mut last: Option<String> = None;
    let mut judged = false;
    let watch = async {
        while let Some(ev) = events.recv().await {
            match ev {
                Event::Metrics(update) if &update.stack == stack => {
                    let line = verdicts(&update);
                    judged |= update
                        .series
                        .iter()
                        .any(|s| matches!(s.verdict, Verdict::Ok | Verdict::Watching { .. }));
                    if last.as_deref() != Some(line.as_str()) {
                        eprintln!("slipway: {name}: {line}");
                        last = Some(line);
                    }
                    let flagged: Vec<String> = update
                        .flagged()
                        .map(|s| format!("{} {}", s.name, word(&s.verdict)))
                        .collect();
                    if !flagged.is_empty() {
                        return Some(flagged);
                    }
                }
                Event::Problem { context, message } => {
                    eprintln!("slipway: {context}: {message}");
                }
                _ => {}
            }
        }
        None
    };
    match tokio::time::timeout(limit, watch).await {
        Ok(Some(flagged)) => {
            eprintln!(
                "slipway: {name}: FLAGGED: {}; consider `slipway rollback {stack}`",
                flagged.join(", ")
            );
            ExitCode::from(exit::FLAGGED)
        }
        Ok(None) => {
            eprintln!("slipway: the engine stopped during the watch");
            ExitCode::from(exit::FAILED)
        }
        Err(_) if judged => {
            eprintln!(
                "slipway: {name}: watch ended after {}s with no flag",
                limit.as_secs()
            );
            ExitCode::SUCCESS
        }
        Err(_) => {
            // Nothing was judged: say so rather than let silence read as healthy.
            eprintln!(
                "slipway: {name}: watch ended after {}s with no flag, but the metrics were not judged yet ({})",
                limit.as_secs(),
                last.as_deref().unwrap_or("no metrics read")
            );
            ExitCode::SUCCESS
        }
    }
}

/// Before a watched promotion: the metrics' healthy period to judge the change by, read
/// for as long as it needs (as the dashboard's dialog says "baseline 5/12, ready in
/// ~14 s"). Without one, a change can only be compared with the other stacks.
pub(super) async fn baseline(
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    stack: &StackId,
    name: &str,
) {
    // The first read says how long the rest takes; bounded whatever it says.
    let first = async {
        while let Some(ev) = events.recv().await {
            if let Event::Metrics(update) = ev
                && &update.stack == stack
            {
                return Some(update.baseline);
            }
        }
        None
    };
    let Ok(Some(b)) = tokio::time::timeout(Duration::from_secs(30), first).await else {
        eprintln!("slipway: {name}: no metrics read yet; promoting without a baseline");
        return;
    };
    if b.ready() {
        return;
    }
    let wait = Duration::from_secs((b.ready_in_secs() + 2 * b.interval_secs + 5).min(600));
    eprintln!(
        "slipway: {name}: reading a baseline to judge the change by ({}/{} samples, ready in ~{} s)",
        b.have,
        b.need,
        b.ready_in_secs()
    );
    let rest = async {
        while let Some(ev) = events.recv().await {
            if let Event::Metrics(update) = ev
                && &update.stack == stack
                && update.baseline.ready()
            {
                return true;
            }
        }
        false
    };
    if !matches!(tokio::time::timeout(wait, rest).await, Ok(true)) {
        eprintln!("slipway: {name}: the baseline is still short; promoting all the same");
    }
}

/// `errors ok · p99 collecting 3/12 · req/s SPIKE`.
fn verdicts(update: &MetricsUpdate) -> String {
    if update.series.is_empty() {
        return "no metrics configured".into();
    }
    update
        .series
        .iter()
        .map(|s| format!("{} {}", s.name, word(&s.verdict)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn word(v: &Verdict) -> String {
    match v {
        Verdict::Unchanged => "unchanged".into(),
        Verdict::RollingOut { .. } => "rolling out".into(),
        Verdict::Collecting { have, need } => format!("collecting {have}/{need}"),
        Verdict::NotEvaluated { reason } => format!("not evaluated ({reason})"),
        Verdict::Stale { age_secs } => format!("stale ({age_secs}s old)"),
        Verdict::Ok => "ok".into(),
        Verdict::Watching {
            consecutive,
            needed,
            ..
        } => format!("worse {consecutive}/{needed}"),
        Verdict::Spike(_) => "SPIKE".into(),
        Verdict::Drop(_) => "DROP".into(),
    }
}
