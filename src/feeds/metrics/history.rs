//! A bounded window of one series' values for one stack, with the change being watched:
//! where the healthy period before it ends (`baseline_until`) and where the new version
//! took traffic (`judged_from`). The samples before the change are also kept apart
//! (bounded as well), so the baseline survives while the sparkline scrolls past it, and
//! survives a rollback: the old version is judged against the same healthy period.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One round's value. `None` values are gaps (the source failed, nothing to compute from).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// Points of the healthy period (before `baseline_until`), newest last.
    before: VecDeque<Point>,
    baseline_until: Option<DateTime<Utc>>,
    judged_from: Option<DateTime<Utc>>,
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
            baseline_until: None,
            judged_from: None,
            dropped: 0,
        }
    }

    /// A history restored from saved points (a restart): both windows, bounded again.
    pub fn restored(capacity: usize, points: Vec<Point>, before: Vec<Point>) -> Self {
        let mut h = SeriesHistory::new(capacity);
        let mut merged: Vec<Point> = before.into_iter().chain(points).collect();
        merged.sort_by_key(|p| p.at);
        merged.dedup_by_key(|p| p.at);
        for p in merged {
            h.push(p);
        }
        h
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
        if self.baseline_until.is_none_or(|t| p.at < t) {
            self.push_before(p);
        }
    }

    fn push_before(&mut self, p: Point) {
        if self.before.back().is_some_and(|last| p.at <= last.at) {
            return;
        }
        if self.before.len() == self.capacity {
            self.before.pop_front();
        }
        self.before.push_back(p);
    }

    /// Sets the change being watched: the end of the healthy period and the moment the
    /// new version took traffic (`None` while it rolls out). `baseline_until = None`: no
    /// change, every sample from now on is baseline again.
    pub fn set_watch(
        &mut self,
        baseline_until: Option<DateTime<Utc>>,
        judged_from: Option<DateTime<Utc>>,
    ) {
        if baseline_until != self.baseline_until {
            let old = self.baseline_until;
            // The healthy period is what came before the new end: samples already taken
            // after an earlier change that settled are baseline for the next one. With no
            // change at all, what was taken during the dropped one is left out.
            let cut = baseline_until.or(old);
            let mut all: Vec<Point> = self
                .before
                .iter()
                .chain(self.points.iter())
                .copied()
                .filter(|p| cut.is_none_or(|t| p.at < t))
                .collect();
            all.sort_by_key(|p| p.at);
            all.dedup_by_key(|p| p.at);
            self.before.clear();
            self.baseline_until = baseline_until;
            for p in all {
                self.push_before(p);
            }
        }
        self.judged_from = judged_from;
    }

    pub fn baseline_until(&self) -> Option<DateTime<Utc>> {
        self.baseline_until
    }

    pub fn judged_from(&self) -> Option<DateTime<Utc>> {
        self.judged_from
    }

    pub fn points(&self) -> &VecDeque<Point> {
        &self.points
    }

    pub fn latest(&self) -> Option<&Point> {
        self.points.back()
    }

    /// The newest point that has a value: how old the data is when a source stops.
    pub fn latest_value(&self) -> Option<&Point> {
        self.points
            .iter()
            .rev()
            .find(|p| p.value.is_some_and(f64::is_finite))
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Points of the healthy period before the change (all points without one), oldest first.
    pub fn baseline(&self) -> impl Iterator<Item = &Point> {
        let t = self.baseline_until;
        self.before
            .iter()
            .filter(move |p| t.is_none_or(|t| p.at < t))
    }

    /// The last `n` points since the new version took traffic (none before), oldest first.
    pub fn recent(&self, n: usize) -> Vec<&Point> {
        let Some(t) = self.judged_from else {
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

    /// A copy of the healthy period's points beyond the displayed window, for saving.
    pub fn baseline_snapshot(&self) -> Vec<Point> {
        let first_shown = self.points.front().map(|p| p.at);
        self.before
            .iter()
            .filter(|p| first_shown.is_none_or(|f| p.at < f))
            .copied()
            .collect()
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
        h.set_watch(Some(t(4)), Some(t(4)));
        for s in 4..10 {
            h.push(p(s, 2.0));
        }
        assert!(h.points().iter().all(|p| p.value == Some(2.0)));
        assert_eq!(h.baseline().count(), 4);
        let recent: Vec<_> = h.recent(3).iter().map(|p| p.at).collect();
        assert_eq!(recent, vec![t(7), t(8), t(9)]);
    }

    #[test]
    fn change_in_the_past_splits_what_is_there() {
        let mut h = SeriesHistory::new(10);
        for s in 0..6 {
            h.push(p(s, s as f64));
        }
        h.set_watch(Some(t(3)), Some(t(3)));
        assert_eq!(h.baseline().count(), 3);
        assert_eq!(h.recent(10).len(), 3);
    }

    #[test]
    fn rollout_samples_are_neither_baseline_nor_judged() {
        let mut h = SeriesHistory::new(20);
        for s in 0..10 {
            h.push(p(s, 1.0));
        }
        h.set_watch(Some(t(10)), None);
        for s in 10..14 {
            h.push(p(s, 5.0));
        }
        assert!(
            h.recent(10).is_empty(),
            "nothing is judged while rolling out"
        );
        h.set_watch(Some(t(10)), Some(t(14)));
        h.push(p(14, 9.0));
        assert_eq!(h.baseline().count(), 10);
        let recent: Vec<_> = h.recent(10).iter().filter_map(|p| p.value).collect();
        assert_eq!(recent, vec![9.0]);
    }

    #[test]
    fn a_rollback_keeps_the_healthy_period_as_baseline() {
        let mut h = SeriesHistory::new(20);
        for s in 0..10 {
            h.push(p(s, 1.0));
        }
        h.set_watch(Some(t(10)), Some(t(10)));
        for s in 10..15 {
            h.push(p(s, 50.0));
        }
        // The rollback is judged from its own swap, against the same baseline.
        h.set_watch(Some(t(10)), Some(t(15)));
        h.push(p(15, 1.0));
        assert!(h.baseline().all(|p| p.value == Some(1.0)));
        assert_eq!(h.baseline().count(), 10);
        assert_eq!(h.recent(10).len(), 1);
    }

    #[test]
    fn a_later_change_takes_the_settled_samples_as_its_baseline() {
        let mut h = SeriesHistory::new(40);
        for s in 0..5 {
            h.push(p(s, 1.0));
        }
        h.set_watch(Some(t(5)), Some(t(5)));
        for s in 5..20 {
            h.push(p(s, 2.0));
        }
        h.set_watch(Some(t(20)), Some(t(20)));
        assert_eq!(h.baseline().count(), 20);
    }

    #[test]
    fn restored_histories_keep_both_windows() {
        let before: Vec<Point> = (0..5).map(|s| p(s, 1.0)).collect();
        let shown: Vec<Point> = (5..8).map(|s| p(s, 2.0)).collect();
        let h = SeriesHistory::restored(3, shown, before);
        assert_eq!(h.points().len(), 3);
        assert_eq!(h.baseline().count(), 3, "bounded to the capacity");
        assert_eq!(h.latest_value().and_then(|p| p.value), Some(2.0));
    }
}
