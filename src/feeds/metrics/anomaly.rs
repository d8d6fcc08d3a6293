//! Is a series worse since its stack was promoted? Pure functions over a [`SeriesHistory`].
//!
//! The recent window after the promotion is compared with the baseline before it by a
//! one-sided Mann–Whitney U test (rank based: no assumption about the distribution, robust
//! to outliers) plus a minimum relative shift of the median, so that a significant but tiny
//! change is not flagged. A flag needs that for `consecutive` evaluations in a row, so a
//! short blip is not a spike. Whatever cannot be judged says why: never a silent pass.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::history::{Point, SeriesHistory};
use crate::config::{AnomalyConfig, BadDirection};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The stack has not been promoted in this release: nothing to judge.
    NotPromoted,
    /// Promoted, but no sample from before the promotion (slipway started afterwards).
    NoBaseline,
    InsufficientData {
        reason: Insufficient,
    },
    /// Looks like the baseline.
    Ok,
    /// Worse than the baseline, not yet for long enough to flag.
    Watching {
        consecutive: u32,
        needed: u32,
    },
    /// Rose in the bad direction (errors, latency) and stayed up.
    Spike {
        since: DateTime<Utc>,
        magnitude: Shift,
    },
    /// Fell in the bad direction (traffic) and stayed down.
    Drop {
        since: DateTime<Utc>,
        magnitude: Shift,
    },
}

impl Verdict {
    pub fn is_flag(&self) -> bool {
        matches!(self, Verdict::Spike { .. } | Verdict::Drop { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Insufficient {
    FewBaselineSamples {
        have: usize,
        need: usize,
    },
    /// Just promoted, or the source has gaps: fewer values than half the recent window.
    FewRecentSamples {
        have: usize,
        need: usize,
    },
    /// Too little traffic for the value to mean anything (a ratio of two requests).
    LowTraffic {
        traffic: f64,
        min: f64,
    },
}

impl std::fmt::Display for Insufficient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Insufficient::FewBaselineSamples { have, need } => {
                write!(f, "{have} of {need} samples before the promotion")
            }
            Insufficient::FewRecentSamples { have, need } => {
                write!(f, "{have} of {need} samples since the promotion")
            }
            Insufficient::LowTraffic { traffic, min } => {
                write!(f, "traffic {traffic:.3}/s below {min}/s")
            }
        }
    }
}

/// How far the recent window moved from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shift {
    pub baseline_median: f64,
    pub recent_median: f64,
    /// (recent − baseline) / |baseline|; ±∞ when the baseline median is 0.
    pub relative: f64,
    /// One-sided, in the bad direction.
    pub p_value: f64,
}

/// Per (stack, series): how many evaluations in a row were bad, since when.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    consecutive: u32,
    since: Option<DateTime<Utc>>,
}

impl Detector {
    /// Judges the series as of `now` (call once per round, after pushing its point).
    pub fn evaluate(
        &mut self,
        history: &SeriesHistory,
        bad: BadDirection,
        settings: &AnomalyConfig,
        now: DateTime<Utc>,
    ) -> Verdict {
        let verdict = judge(history, bad, settings);
        let shift = match verdict {
            Judgement::Verdict(v) => {
                self.consecutive = 0;
                self.since = None;
                return v;
            }
            Judgement::Worse(shift) => shift,
        };
        self.consecutive = self.consecutive.saturating_add(1);
        let since = *self.since.get_or_insert(now);
        if self.consecutive < settings.consecutive {
            return Verdict::Watching {
                consecutive: self.consecutive,
                needed: settings.consecutive,
            };
        }
        match bad {
            BadDirection::Up => Verdict::Spike {
                since,
                magnitude: shift,
            },
            BadDirection::Down => Verdict::Drop {
                since,
                magnitude: shift,
            },
        }
    }
}

enum Judgement {
    Verdict(Verdict),
    Worse(Shift),
}

fn judge(history: &SeriesHistory, bad: BadDirection, s: &AnomalyConfig) -> Judgement {
    if history.promoted_at().is_none() {
        return Judgement::Verdict(Verdict::NotPromoted);
    }
    let baseline: Vec<&Point> = history.baseline().collect();
    if baseline.is_empty() {
        return Judgement::Verdict(Verdict::NoBaseline);
    }
    let recent = history.recent_after_promotion(s.recent_window);
    // Traffic first: without traffic a ratio or a latency has no value at all, and "few
    // samples" would hide why.
    for window in [&recent, &baseline] {
        let traffic: Vec<f64> = window.iter().filter_map(|p| p.traffic).collect();
        if let Some(t) = median(&traffic)
            && t < s.min_traffic
        {
            return insufficient(Insufficient::LowTraffic {
                traffic: t,
                min: s.min_traffic,
            });
        }
    }
    let base_values = values(&baseline);
    if base_values.len() < s.min_baseline_samples {
        return insufficient(Insufficient::FewBaselineSamples {
            have: base_values.len(),
            need: s.min_baseline_samples,
        });
    }
    let need = s.recent_window.div_ceil(2);
    let recent_values = values(&recent);
    if recent_values.len() < need {
        return insufficient(Insufficient::FewRecentSamples {
            have: recent_values.len(),
            need,
        });
    }
    match compare(&recent_values, &base_values, bad, s) {
        Some(shift) => Judgement::Worse(shift),
        None => Judgement::Verdict(Verdict::Ok),
    }
}

fn insufficient(reason: Insufficient) -> Judgement {
    Judgement::Verdict(Verdict::InsufficientData { reason })
}

fn values(points: &[&Point]) -> Vec<f64> {
    points
        .iter()
        .filter_map(|p| p.value)
        .filter(|v| v.is_finite())
        .collect()
}

/// `Some(shift)` when `recent` is worse than `reference` in the bad direction: significant
/// by the rank test and shifted by at least the minimum effect.
pub fn compare(
    recent: &[f64],
    reference: &[f64],
    bad: BadDirection,
    s: &AnomalyConfig,
) -> Option<Shift> {
    let shift = shift(recent, reference, bad)?;
    let (effect, beyond_normal) = match bad {
        BadDirection::Up => (
            shift.relative,
            quantile(reference, 1.0 - NORMAL_RANGE).is_some_and(|q| shift.recent_median > q),
        ),
        BadDirection::Down => (
            -shift.relative,
            quantile(reference, NORMAL_RANGE).is_some_and(|q| shift.recent_median < q),
        ),
    };
    (shift.p_value < s.p_value && effect >= s.min_effect && effect > 0.0 && beyond_normal)
        .then_some(shift)
}

/// The recent median must also lie beyond this share of the baseline (its 90th percentile
/// for a rise): the relative effect alone is blind to how noisy the series is, and a noisy
/// series moves 20% often enough to flag without it.
const NORMAL_RANGE: f64 = 0.1;

/// The `q` quantile by linear interpolation between order statistics; `None` when empty.
pub fn quantile(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(s[lo] + (s[hi] - s[lo]) * (pos - lo as f64))
}

/// Medians, relative shift and one-sided p-value of `recent` against `reference`.
pub fn shift(recent: &[f64], reference: &[f64], bad: BadDirection) -> Option<Shift> {
    let recent_median = median(recent)?;
    let baseline_median = median(reference)?;
    let diff = recent_median - baseline_median;
    let relative = if baseline_median != 0.0 {
        diff / baseline_median.abs()
    } else if diff > 0.0 {
        f64::INFINITY
    } else if diff < 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    Some(Shift {
        baseline_median,
        recent_median,
        relative,
        p_value: mann_whitney_p(recent, reference, bad),
    })
}

/// The middle value (mean of the two middle ones for even counts); `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    })
}

/// One-sided Mann–Whitney U p-value that `x` tends to be higher (`Up`) or lower (`Down`)
/// than `y`: normal approximation with tie correction and continuity correction. All values
/// tied (no variance) gives 1: no evidence of a difference.
pub fn mann_whitney_p(x: &[f64], y: &[f64], direction: BadDirection) -> f64 {
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    if x.is_empty() || y.is_empty() {
        return 1.0;
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && all[j].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j share their average.
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        rank_sum_x += avg_rank * all[i..j].iter().filter(|e| e.1).count() as f64;
        i = j;
    }
    let u = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let nf = n as f64;
    let variance = n1 * n2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let sd = variance.sqrt();
    let z = match direction {
        BadDirection::Up => (u - mean - 0.5) / sd,
        BadDirection::Down => (mean - u - 0.5) / sd,
    };
    normal_sf(z)
}

/// P(Z > z) for a standard normal Z.
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7,
/// plenty for comparing against a p-value threshold).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
#[path = "anomaly_tests.rs"]
mod tests;
