//! Metrics feed: Prometheus exposition scraped from every instance of every stack, and
//! PromQL against a Prometheus server, turned each interval into one value per configured
//! series per stack, judged against the stack's pre-promotion baseline.
//!
//! The feed runs as its own task and talks only through channels: it reads the instances
//! and promotion times from `watch` channels and sends [`MetricsUpdate`]s. It knows nothing
//! of the engine or the front ends.

pub mod aggregate;
pub mod anomaly;
pub mod control;
pub mod exposition;
mod feed;
pub mod history;
pub mod promql;
pub mod scrape;
mod update;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use anomaly::{Insufficient, Shift, Verdict};
pub use control::ControlComparison;
pub use feed::Feed;
pub use history::Point;
pub use update::{
    BadLineReport, MetricsUpdate, SeriesUpdate, Source, SourceProblem, SourceReport, SourceTotals,
};

use crate::config::MetricsConfig;
use crate::model::{Instance, StackId};

/// Starts the feed. Every `interval_secs` it asks every source of every stack at once,
/// then sends one [`MetricsUpdate`] per stack, in the order of `stacks`. PromQL series
/// are first filled from `query_range`. The task ends when `tx` is closed.
pub fn spawn(
    config: MetricsConfig,
    stacks: Vec<StackId>,
    instances: watch::Receiver<HashMap<StackId, Vec<Instance>>>,
    promoted_at: watch::Receiver<HashMap<StackId, DateTime<Utc>>>,
    tx: mpsc::Sender<MetricsUpdate>,
) -> JoinHandle<()> {
    tokio::spawn(run(config, stacks, instances, promoted_at, tx))
}

async fn run(
    config: MetricsConfig,
    stacks: Vec<StackId>,
    instances: watch::Receiver<HashMap<StackId, Vec<Instance>>>,
    promoted_at: watch::Receiver<HashMap<StackId, DateTime<Utc>>>,
    tx: mpsc::Sender<MetricsUpdate>,
) {
    let interval = Duration::from_secs(config.interval_secs.max(1));
    let mut feed = Feed::new(config, stacks);
    tokio::select! {
        _ = feed.backfill(Utc::now()) => {}
        _ = tx.closed() => return,
    }
    let mut ticker = tokio::time::interval(interval);
    // A round slower than the interval (timeouts) delays the next one rather than
    // firing a burst of catch-up rounds.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tx.closed() => return,
        }
        // Cloned so no watch lock is held across the round's awaits.
        let instances_now = instances.borrow().clone();
        let promoted_now = promoted_at.borrow().clone();
        let updates = tokio::select! {
            u = feed.round(&instances_now, &promoted_now) => u,
            _ = tx.closed() => return,
        };
        for update in updates {
            if tx.send(update).await.is_err() {
                return;
            }
        }
    }
}
