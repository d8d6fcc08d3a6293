//! A bounded window of one series' values for one stack, with the moment the stack was
//! promoted. The samples before the promotion are also kept apart (bounded as well), so the
//! baseline survives while the sparkline scrolls past it.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One round's value. `None` values are gaps (the source failed, nothing to compute from).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    /// The traffic behind the value, where the series has such a notion (see `Aggregated`).
    pub traffic: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct SeriesHistory {
    capacity: usize,
    points: VecDeque<Point>,
    /// Points taken while the stack was not promoted, newest last.
    before: VecDeque<Point>,
    promoted_at: Option<DateTime<Utc>>,
    /// Points that scrolled out of `points` (shown as "older samples dropped" if wanted).
    dropped: u64,
}

impl SeriesHistory {
    /// `capacity` points are kept for display, and as many for the baseline.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        SeriesHistory {
            capacity,
            points: VecDeque::with_capacity(capacity),
            before: VecDeque::new(),
            promoted_at: None,
            dropped: 0,
        }
    }

    /// Adds a point. Points must come in time order; an older or equal one is ignored
    /// (a backfill overlapping the first live round, a clock step back).
    pub fn push(&mut self, p: Point) {
        if self.points.back().is_some_and(|last| p.at <= last.at) {
            return;
        }
        if self.points.len() == self.capacity {
            self.points.pop_front();
            self.dropped += 1;
        }
        self.points.push_back(p);
        if self.promoted_at.is_none_or(|t| p.at < t) {
            if self.before.len() == self.capacity {
                self.before.pop_front();
            }
            self.before.push_back(p);
        }
    }

    /// Sets (or clears, after a rollback) when the stack was promoted.
    pub fn set_promoted(&mut self, at: Option<DateTime<Utc>>) {
        if at.is_none() && self.promoted_at.is_some() {
            // Back to the old version: what follows is baseline again, and what came
            // before the promotion is still valid.
            self.before
                .retain(|p| self.promoted_at.is_none_or(|t| p.at < t));
        }
        self.promoted_at = at;
    }

    pub fn promoted_at(&self) -> Option<DateTime<Utc>> {
        self.promoted_at
    }

    pub fn points(&self) -> &VecDeque<Point> {
        &self.points
    }

    pub fn latest(&self) -> Option<&Point> {
        self.points.back()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Points before the promotion (all points while not promoted), oldest first.
    pub fn baseline(&self) -> impl Iterator<Item = &Point> {
        let t = self.promoted_at;
        self.before
            .iter()
            .filter(move |p| t.is_none_or(|t| p.at < t))
    }

    /// The last `n` points at or after the promotion (none while not promoted), oldest first.
    pub fn recent_after_promotion(&self, n: usize) -> Vec<&Point> {
        let Some(t) = self.promoted_at else {
            return Vec::new();
        };
        let mut v: Vec<&Point> = self
            .points
            .iter()
            .rev()
            .take_while(|p| p.at >= t)
            .take(n)
            .collect();
        v.reverse();
        v
    }

    /// The points from `from` on, oldest first.
    pub fn since(&self, from: DateTime<Utc>) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(move |p| p.at >= from)
    }

    /// A copy of the displayed window, oldest first.
    pub fn snapshot(&self) -> Vec<Point> {
        self.points.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::seconds(s)
    }

    fn p(s: i64, v: f64) -> Point {
        Point {
            at: t(s),
            value: Some(v),
            traffic: None,
        }
    }

    #[test]
    fn bounded_and_ordered() {
        let mut h = SeriesHistory::new(3);
        for s in 0..5 {
            h.push(p(s, s as f64));
        }
        h.push(p(2, 99.0));
        let values: Vec<_> = h.points().iter().filter_map(|p| p.value).collect();
        assert_eq!(values, vec![2.0, 3.0, 4.0]);
        assert_eq!(h.dropped(), 2);
    }

    #[test]
    fn baseline_outlives_the_display_window() {
        let mut h = SeriesHistory::new(4);
        for s in 0..4 {
            h.push(p(s, 1.0));
        }
        h.set_promoted(Some(t(4)));
        for s in 4..10 {
            h.push(p(s, 2.0));
        }
        assert!(h.points().iter().all(|p| p.value == Some(2.0)));
        assert_eq!(h.baseline().count(), 4);
        let recent: Vec<_> = h.recent_after_promotion(3).iter().map(|p| p.at).collect();
        assert_eq!(recent, vec![t(7), t(8), t(9)]);
    }

    #[test]
    fn promotion_time_in_the_past_splits_what_is_there() {
        let mut h = SeriesHistory::new(10);
        for s in 0..6 {
            h.push(p(s, s as f64));
        }
        h.set_promoted(Some(t(3)));
        assert_eq!(h.baseline().count(), 3);
        assert_eq!(h.recent_after_promotion(10).len(), 3);
        // Rolled back: everything is baseline again from now on.
        h.set_promoted(None);
        h.push(p(6, 6.0));
        assert_eq!(h.baseline().count(), 4);
        assert!(h.recent_after_promotion(10).is_empty());
    }
}
