//! The simulator's clock: a tick every `world.tick`, with the real time since the last
//! one (capped, so a stalled machine does not produce a burst), until the demo stops.

use std::time::Duration;

use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Longest stretch of simulated time one tick may cover.
const MAX_STEP_SECS: f64 = 5.0;

pub struct Ticker {
    interval: Interval,
    last: Instant,
}

impl Ticker {
    pub fn new(period: Duration) -> Ticker {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ticker {
            interval,
            last: Instant::now(),
        }
    }

    /// Waits for the next tick: seconds since the last one, or None once cancelled.
    pub async fn next(&mut self, cancel: &CancellationToken) -> Option<f64> {
        tokio::select! {
            () = cancel.cancelled() => return None,
            _ = self.interval.tick() => {}
        }
        let now = Instant::now();
        let dt = (now - self.last).as_secs_f64().min(MAX_STEP_SECS);
        self.last = now;
        Some(dt)
    }
}
