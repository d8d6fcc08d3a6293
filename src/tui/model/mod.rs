//! The dashboard model: everything the screen shows that is derived from engine events
//! and read by more than one part of it (the header, the panes, the dialogs, the status
//! line). It is updated once per engine event, before the panes see the event, and read
//! through the drawing context (`Ctx::model`). Panes keep only their cursor, scroll, hit
//! boxes and view options. No I/O here.

pub mod changes;
pub mod metrics;
pub mod smoke;

use std::collections::HashMap;

use crate::engine::Event;
use crate::feeds::metrics::Baseline;
use crate::model::StackId;
pub use changes::Diffs;
pub use metrics::StackView;
pub use smoke::Smoke;

#[derive(Default)]
pub struct Model {
    /// Each stack's latest metrics round, digested.
    metrics: HashMap<StackId, StackView>,
    /// Each stack's smoke tests: running, or the last report (until the next deployment).
    smoke: HashMap<StackId, Smoke>,
    /// The diffs between versions, and where the repository stands.
    pub changes: Diffs,
}

/// What one engine event changed in the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Something shown changed: redraw.
    pub changed: bool,
    /// The set of a stack's flagged series changed (the status line says so).
    pub flags_moved: bool,
}

impl Model {
    pub fn new() -> Self {
        Model::default()
    }

    /// Takes one engine event in.
    pub fn apply(&mut self, event: &Event) -> Applied {
        let mut out = Applied::default();
        match event {
            Event::Metrics(update) => {
                let view = StackView::after(self.metrics.get(&update.stack), update);
                // Values and sparklines move with every round.
                out.changed = true;
                out.flags_moved = self.flagged(&update.stack) != view.flagged.as_slice();
                self.metrics.insert(update.stack.clone(), view);
            }
            Event::SmokeStarted { stack, .. } => {
                out.changed =
                    self.smoke.insert(stack.clone(), Smoke::Running) != Some(Smoke::Running);
            }
            Event::Smoke { stack, report, .. } => {
                self.smoke
                    .insert(stack.clone(), Smoke::Done(report.clone()));
                out.changed = true;
            }
            // A new deployment makes the last smoke test's verdict stale.
            Event::DeployStarted { stack, .. } => {
                out.changed = self.smoke.remove(stack).is_some();
            }
            Event::Repo(_) | Event::Changes { .. } | Event::ConfigDiff { .. } => {
                out.changed = self.changes.apply(event);
            }
            _ => {}
        }
        out
    }

    /// Every stack's latest metrics, digested.
    pub fn metrics(&self) -> &HashMap<StackId, StackView> {
        &self.metrics
    }

    /// A stack's latest metrics, digested.
    pub fn metrics_of(&self, stack: &StackId) -> Option<&StackView> {
        self.metrics.get(stack)
    }

    /// How much healthy period the stack's metrics have, as of the latest round.
    pub fn baseline_of(&self, stack: &StackId) -> Option<Baseline> {
        self.metrics.get(stack).map(|v| v.baseline)
    }

    /// The stack's flagged series by name (empty: not flagged).
    pub fn flagged(&self, stack: &StackId) -> &[String] {
        self.metrics
            .get(stack)
            .map_or(&[], |v| v.flagged.as_slice())
    }

    /// How many stacks are flagged now: the one count the header and the panes share.
    pub fn flagged_stacks(&self) -> usize {
        self.metrics.values().filter(|v| v.is_flagged()).count()
    }

    /// The stack's worst metric verdict in words when it asks for attention (a flag, a
    /// watch, stale data).
    pub fn attention_of(&self, stack: &StackId) -> Option<&metrics::Words> {
        self.metrics.get(stack).and_then(StackView::attention)
    }

    /// The stack's last smoke report, and whether checks are running now.
    pub fn smoke_of(&self, stack: &StackId) -> (Option<&crate::feeds::smoke::SmokeReport>, bool) {
        match self.smoke.get(stack) {
            Some(Smoke::Done(r)) => (Some(r), false),
            Some(Smoke::Running) => (None, true),
            None => (None, false),
        }
    }

    pub fn smoke(&self, stack: &StackId) -> Option<&Smoke> {
        self.smoke.get(stack)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::config::BadDirection;
    use crate::feeds::metrics::{Basis, Flag, MetricsUpdate, SeriesUpdate, Shift, Verdict};
    use crate::model::Version;

    fn round(stack: &str, verdict: Verdict) -> Event {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
            .single()
            .unwrap_or_default();
        Event::Metrics(Box::new(MetricsUpdate {
            baseline: Default::default(),
            stack: StackId::new(stack),
            at,
            watch: None,
            series: vec![SeriesUpdate {
                name: "errors".into(),
                unit: "%".into(),
                bad: BadDirection::Up,
                value: Some(4.1),
                verdict,
                control: None,
                history: Vec::new(),
            }],
            sources: Vec::new(),
        }))
    }

    fn spike() -> Verdict {
        let since = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
            .single()
            .unwrap_or_default();
        Verdict::Spike(Flag::fresh(
            since,
            Shift {
                baseline_median: 1.0,
                recent_median: 4.1,
                relative: 3.1,
                p_value: 0.0001,
            },
        ))
    }

    #[test]
    fn one_count_one_threshold_and_a_flag_is_news_once() {
        let mut m = Model::new();
        assert!(m.apply(&round("sally", spike())).flags_moved);
        assert!(!m.apply(&round("sally", spike())).flags_moved);
        // A watch asks for attention but is no flag.
        let watch = Verdict::Watching {
            consecutive: 1,
            needed: 3,
            basis: Basis::Baseline,
        };
        assert!(!m.apply(&round("www", watch)).flags_moved);
        assert_eq!(m.flagged_stacks(), 1);
        assert_eq!(m.flagged(&StackId::new("sally")), ["errors"]);
        assert!(m.flagged(&StackId::new("www")).is_empty());
        let www = m
            .attention_of(&StackId::new("www"))
            .map(|w| w.short.as_str());
        assert_eq!(www, Some("watch"));
        let sally = m
            .attention_of(&StackId::new("sally"))
            .map(|w| w.short.as_str());
        assert_eq!(sally, Some("▲ SPIKE"));
        assert!(m.apply(&round("sally", Verdict::Ok)).flags_moved);
        assert_eq!(m.flagged_stacks(), 0);
    }

    #[test]
    fn diffs_are_bounded_oldest_first() {
        let mut m = Model::new();
        let failed = || Arc::new(Err(crate::vcs::DiffError::Git("x".into())));
        for i in 0..40 {
            m.apply(&Event::Changes {
                live: Version::new(format!("live{i}")),
                test: Version::new("test"),
                changes: failed(),
            });
        }
        let has = |i: usize| {
            m.changes
                .get(&Version::new(format!("live{i}")), &Version::new("test"))
                .is_some()
        };
        assert!(!has(0) && !has(7), "the oldest went first");
        assert!(has(8) && has(39), "the newest 32 are kept");
    }
}
