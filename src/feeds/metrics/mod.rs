//! Metrics feed: Prometheus exposition scraped from every instance of every stack, and
//! `PromQL` against a Prometheus server, turned each interval into one value per configured
//! series per stack, judged against the stack's pre-promotion baseline.
//!
//! The feed runs as its own task and talks only through channels: it reads the instances
//! and promotion times from `watch` channels and sends [`MetricsUpdate`]s. It knows nothing
//! of the engine or the front ends.

pub mod aggregate;
pub mod anomaly;
pub mod change;
pub mod control;
pub mod exposition;
mod feed;
pub mod history;
pub mod persist;
pub mod promql;
pub mod scrape;
mod update;
mod validate;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use anomaly::{Basis, Flag, Hold, Insufficient, Shift, Verdict};
pub use change::{LiveView, Rollout, Watch, WatchCause};
pub use control::ControlComparison;
pub use feed::Feed;
pub use history::Point;
pub use update::{
    BadLineReport, Baseline, MetricsUpdate, SeriesUpdate, Source, SourceProblem, SourceReport,
    SourceTotals,
};
pub use validate::validate;

use crate::config::MetricsConfig;
use crate::model::{Instance, StackId};

/// Rounds between two saves of the histories to the state directory.
const SAVE_EVERY: u32 = 5;

/// Starts the feed. Every `interval_secs` it asks every source of every stack at once,
/// then sends one [`MetricsUpdate`] per stack, in the order of `stacks`. `PromQL` series
/// are first filled from `query_range`, and histories saved at `store` by an earlier run
/// are taken back. The task ends when `tx` is closed.
pub fn spawn(
    config: MetricsConfig,
    stacks: Vec<StackId>,
    instances: watch::Receiver<HashMap<StackId, Vec<Instance>>>,
    live: watch::Receiver<LiveView>,
    store: Option<PathBuf>,
    tx: mpsc::Sender<MetricsUpdate>,
) -> JoinHandle<()> {
    tokio::spawn(run(config, stacks, instances, live, store, tx))
}

async fn run(
    config: MetricsConfig,
    stacks: Vec<StackId>,
    instances: watch::Receiver<HashMap<StackId, Vec<Instance>>>,
    live: watch::Receiver<LiveView>,
    store: Option<PathBuf>,
    tx: mpsc::Sender<MetricsUpdate>,
) {
    let interval = Duration::from_secs(config.interval_secs.max(1));
    let mut feed = Feed::new(config, stacks);
    if let Some(path) = store.clone() {
        let loaded = tokio::task::spawn_blocking(move || persist::load(&path))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        match loaded {
            Ok(saved) => feed.restore(saved, Utc::now()),
            Err(message) => tracing::warn!(%message, "metric history not restored"),
        }
    }
    tokio::select! {
        () = feed.backfill(Utc::now()) => {}
        () = tx.closed() => return,
    }
    let mut ticker = tokio::time::interval(interval);
    // A round slower than the interval (timeouts) delays the next one rather than
    // firing a burst of catch-up rounds.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rounds = 0u32;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = tx.closed() => return,
        }
        // Cloned so no watch lock is held across the round's awaits.
        let instances_now = instances.borrow().clone();
        let live_now = live.borrow().clone();
        let updates = tokio::select! {
            u = feed.round(&instances_now, &live_now) => u,
            () = tx.closed() => return,
        };
        for update in updates {
            if tx.send(update).await.is_err() {
                return;
            }
        }
        rounds = rounds.wrapping_add(1);
        if let Some(path) = &store
            && rounds.is_multiple_of(SAVE_EVERY)
        {
            let saved = feed.saved(Utc::now());
            let path = path.clone();
            // Off the async threads; a failure is logged, the watch goes on without it.
            tokio::task::spawn_blocking(move || {
                if let Err(e) = persist::save(&path, &saved) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot save metric history");
                }
            });
        }
    }
}
