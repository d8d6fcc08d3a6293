//! Reconnect delays: doubling from `min` to `max`, with a little jitter so that twenty
//! instances' sources do not all knock on the bastion at the same second.

use std::time::Duration;

use tokio::time::Instant;

use super::SourceStatus;
use super::batch::{Closed, Outbox};

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let factor = 1u32 << self.attempt.min(16);
        self.attempt = self.attempt.saturating_add(1);
        let base = self.min.saturating_mul(factor).min(self.max);
        let jitter = base.mul_f64(fastrand::f64() * 0.1);
        (base + jitter).min(self.max)
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Waits `delay`, telling the view "reconnecting in Ns" each second (so the pane can show a
/// countdown without a timer of its own) and keeping the outbox flowing meanwhile.
pub(crate) async fn countdown(out: &mut Outbox, delay: Duration) -> Result<(), Closed> {
    let end = Instant::now() + delay;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        out.status(SourceStatus::Reconnecting {
            in_secs: left.as_secs_f64().ceil() as u64,
        })?;
        let step = left.min(Duration::from_secs(1));
        tokio::time::sleep(step).await;
        out.tick()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let d: Vec<u64> = (0..5).map(|_| b.next_delay().as_millis() as u64).collect();
        assert!((1000..=1100).contains(&d[0]), "{d:?}");
        assert!((2000..=2200).contains(&d[1]), "{d:?}");
        assert!((4000..=4400).contains(&d[2]), "{d:?}");
        assert_eq!(d[3], 5000);
        b.reset();
        assert!(b.next_delay() < Duration::from_millis(1101));
    }
}
