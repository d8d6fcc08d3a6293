//! A changed stack against the stacks whose live still runs the old version, over the same
//! rounds: when every stack got worse at once (an upstream outage, the evening peak), the
//! release is probably not why. Reported beside the verdict; it decides the verdict only
//! when the stack's own baseline is too short to judge by.

use serde::Serialize;

use super::anomaly::{Shift, compare, median, shift};
use super::history::SeriesHistory;
use crate::config::{AnomalyConfig, BadDirection};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlComparison {
    /// Stacks still on the old version whose values were pooled.
    pub control_stacks: usize,
    /// Whether values were taken relative to each stack's own median before the promotion
    /// (totals and rates, which differ by stack size), rather than as they are (ratios,
    /// averages, latencies).
    pub normalised: bool,
    /// The changed stack since it took traffic (`recent_median`) against the control
    /// stacks' values over the same rounds (`baseline_median`).
    pub shift: Shift,
    /// Worse than the control stacks by the same test and effect size as the detector.
    pub worse: bool,
}

/// Compares `promoted` since its new version took traffic with `controls` over the same rounds. `intensive`
/// says the values of different stacks are comparable as they are. `None` when either
/// side lacks data.
pub fn compare_with_control(
    promoted: &SeriesHistory,
    controls: &[&SeriesHistory],
    intensive: bool,
    bad: BadDirection,
    s: &AnomalyConfig,
) -> Option<ControlComparison> {
    let t = promoted.baseline_until()?;
    // Every round since the swap still in the window, not just the detector's recent
    // window: a single control stack gives only as many values as rounds, and the question
    // is how this stack has done since its change next to the others.
    let recent = promoted.recent(usize::MAX);
    let from = recent.first()?.at;
    let need = s.recent_window.div_ceil(2);
    // The level each stack is measured against: 1 for comparable values, else its median
    // before the promotion (stacks without a usable one are left out).
    let level = |h: &SeriesHistory| -> Option<f64> {
        if intensive {
            return Some(1.0);
        }
        let before: Vec<f64> = h
            .baseline()
            .filter(|p| p.at < t)
            .filter_map(|p| p.value)
            .filter(|v| v.is_finite())
            .collect();
        median(&before).filter(|m| *m != 0.0 && m.is_finite())
    };
    let promoted_level = level(promoted)?;
    let promoted_values: Vec<f64> = recent
        .iter()
        .filter_map(|p| p.value)
        .filter(|v| v.is_finite())
        .map(|v| v / promoted_level)
        .collect();
    if promoted_values.len() < need {
        return None;
    }
    let mut control_values = Vec::new();
    let mut control_stacks = 0;
    for c in controls {
        let Some(l) = level(c) else { continue };
        let before = control_values.len();
        control_values.extend(
            c.since(from)
                .filter_map(|p| p.value)
                .filter(|v| v.is_finite())
                .map(|v| v / l),
        );
        if control_values.len() > before {
            control_stacks += 1;
        }
    }
    if control_values.len() < need {
        return None;
    }
    Some(ControlComparison {
        control_stacks,
        normalised: !intensive,
        shift: shift(&promoted_values, &control_values, bad)?,
        worse: compare(&promoted_values, &control_values, bad, s).is_some(),
    })
}
