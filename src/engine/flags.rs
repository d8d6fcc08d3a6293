//! Metric flags into the journal, so the release report (and anyone reading the journal)
//! knows when a stack's metrics were flagged. Bounded: one entry per flag raised (a
//! series going from unflagged to SPIKE or DROP), not one per sample. Several dashboards
//! watching one release would each see the flag: the journal is read first, and a flag
//! already recorded for the same change is not recorded again.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::runner::Engine;
use crate::feeds::metrics::{Basis, MetricsUpdate, Verdict};
use crate::journal::Entry;
use crate::model::{StackId, Version};

/// A series newly flagged.
#[derive(Debug, Clone, PartialEq)]
pub struct Raised {
    pub stack: StackId,
    pub series: String,
    /// `spike` or `drop`.
    pub effect: &'static str,
    pub since: DateTime<Utc>,
    pub relative: f64,
    pub basis: Basis,
    /// The change of live it is about: before → now, and when its baseline ended.
    pub change: Option<(Version, Version, DateTime<Utc>)>,
}

/// Which series are flagged now, per stack: at most stacks × series entries.
#[derive(Debug, Default)]
pub struct FlagTracker {
    flagged: HashSet<(StackId, String)>,
}

impl FlagTracker {
    /// The series of this update that were not flagged before and are now.
    pub fn update(&mut self, u: &MetricsUpdate) -> Vec<Raised> {
        let mut raised = Vec::new();
        for s in &u.series {
            let key = (u.stack.clone(), s.name.clone());
            let effect = match &s.verdict {
                Verdict::Spike(_) => "spike",
                Verdict::Drop(_) => "drop",
                _ => {
                    self.flagged.remove(&key);
                    continue;
                }
            };
            let Some(flag) = s.verdict.flag() else {
                continue;
            };
            if self.flagged.insert(key) {
                raised.push(Raised {
                    stack: u.stack.clone(),
                    series: s.name.clone(),
                    effect,
                    since: flag.since,
                    relative: flag.magnitude.relative,
                    basis: flag.basis,
                    change: u
                        .watch
                        .as_ref()
                        .map(|w| (w.before.clone(), w.now.clone(), w.baseline_until)),
                });
            }
        }
        raised
    }
}

impl Raised {
    /// `errors SPIKE +340% against its baseline, since 12:03:10 UTC`.
    pub fn describe(&self) -> String {
        let against = match self.basis {
            Basis::Baseline => "its baseline before the change",
            Basis::OtherStacks => "the stacks still on the old version",
        };
        format!(
            "{} {} {} against {against}, since {}",
            self.series,
            self.effect.to_uppercase(),
            relative(self.relative),
            self.since.format("%H:%M:%S UTC")
        )
    }

    /// Whether `e` records this flag already (written by another slipway, or by this
    /// one before a restart).
    fn recorded_by(&self, e: &Entry) -> bool {
        e.is(crate::journal::Act::Flag)
            && e.stack.as_deref() == Some(self.stack.as_str())
            && e.series.as_deref() == Some(self.series.as_str())
            && match &self.change {
                Some((before, now, baseline_until)) => {
                    e.from.as_deref() == Some(before.as_str())
                        && e.to.as_deref() == Some(now.as_str())
                        && e.at >= *baseline_until
                }
                None => e.at >= self.since,
            }
    }
}

/// `+340%`, `−45%`, `×31`, `from 0`.
fn relative(rel: f64) -> String {
    if rel.is_nan() {
        return "(no value)".into();
    }
    if rel.is_infinite() {
        return "from 0".into();
    }
    if rel >= 9.0 {
        return format!("×{:.0}", rel + 1.0);
    }
    let pct = rel * 100.0;
    if pct >= 0.0 {
        format!("+{pct:.0}%")
    } else {
        format!("−{:.0}%", -pct)
    }
}

impl Engine {
    pub(super) async fn flag_raised(&mut self, raised: Raised) {
        if self.read_only() {
            return;
        }
        let path = self.config.release.journal_path();
        let probe = raised.clone();
        let known = tokio::task::spawn_blocking(move || {
            crate::journal::read(&path)
                .is_ok_and(|(entries, _)| entries.iter().rev().any(|e| probe.recorded_by(e)))
        })
        .await
        .unwrap_or(false);
        if known {
            return;
        }
        let mut entry = Entry::new(crate::journal::Act::Flag)
            .stack(&raised.stack)
            .series(&raised.series)
            .outcome(raised.effect)
            .detail(raised.describe());
        if let Some((before, now, _)) = &raised.change {
            entry = entry.versions(before, now);
        }
        self.record(entry).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BadDirection;
    use crate::feeds::metrics::{Flag, SeriesUpdate, Shift, Watch};

    fn update(verdict: Verdict) -> MetricsUpdate {
        MetricsUpdate {
            stack: StackId::new("sally"),
            at: Utc::now(),
            watch: Some(Watch::took_traffic(
                Version::new("aaa"),
                Version::new("bbb"),
                Utc::now(),
            )),
            series: vec![SeriesUpdate {
                name: "errors".into(),
                unit: "%".into(),
                bad: BadDirection::Up,
                value: Some(4.0),
                verdict,
                control: None,
                history: Vec::new(),
            }],
            sources: Vec::new(),
            baseline: Default::default(),
        }
    }

    fn spike() -> Verdict {
        Verdict::Spike(Flag::fresh(
            Utc::now(),
            Shift {
                baseline_median: 1.0,
                recent_median: 4.4,
                relative: 3.4,
                p_value: 0.001,
            },
        ))
    }

    #[test]
    fn one_entry_per_flag_raised_not_per_sample() {
        let mut t = FlagTracker::default();
        let first = t.update(&update(spike()));
        assert_eq!(first.len(), 1);
        assert!(
            first[0]
                .describe()
                .starts_with("errors SPIKE +340% against its baseline")
        );
        for _ in 0..10 {
            assert!(t.update(&update(spike())).is_empty(), "still the same flag");
        }
        assert!(t.update(&update(Verdict::Ok)).is_empty());
        assert_eq!(
            t.update(&update(spike())).len(),
            1,
            "raised again after it cleared"
        );
    }

    #[test]
    fn a_flag_recorded_by_another_slipway_is_recognised() {
        let mut t = FlagTracker::default();
        let raised = t.update(&update(spike())).remove(0);
        let entry = Entry::new(crate::journal::Act::Flag)
            .stack("sally")
            .series("errors")
            .versions("aaa", "bbb");
        assert!(raised.recorded_by(&entry));
        assert!(!raised.recorded_by(&entry.clone().series("p99")));
        assert!(!raised.recorded_by(&entry.versions("aaa", "ccc")));
    }
}
