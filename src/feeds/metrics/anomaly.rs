//! Is a series worse since its stack's live version changed? Pure functions over a
//! [`SeriesHistory`].
//!
//! The recent window since the new version took traffic is compared with the healthy
//! period before the change by a one-sided Mann–Whitney U test (rank based: no assumption
//! about the distribution, robust to outliers) plus a minimum relative shift of the median,
//! so that a significant but tiny change is not flagged. A flag needs that for
//! `consecutive` evaluations in a row, so a short blip is not a spike; once raised it holds
//! until as many evaluations in a row show recovery, never merely because data stopped or
//! a rollback started. Whatever cannot be judged says why: never a pass by default.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::change::Rollout;
use super::control::ControlComparison;
use super::history::{Point, SeriesHistory};
use crate::config::{AnomalyConfig, BadDirection};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Live has not changed in this release: nothing to judge.
    Unchanged,
    /// A deployment runs on the stack: no verdict on a half-deployed stack.
    RollingOut {
        progress: Option<f32>,
        rolling_back: bool,
    },
    /// The new version took traffic; fewer samples since than a verdict needs.
    Collecting { have: usize, need: usize },
    /// Cannot be judged, and why.
    NotEvaluated { reason: Insufficient },
    /// The source gave no value this round; the newest value is `age_secs` old.
    Stale { age_secs: i64 },
    /// Looks like the baseline: the only verdict that reads as healthy.
    Ok,
    /// Worse, not yet for long enough to flag.
    Watching {
        consecutive: u32,
        needed: u32,
        basis: Basis,
    },
    /// Rose in the bad direction (errors, latency) and stayed up.
    Spike(Flag),
    /// Fell in the bad direction (traffic) and stayed down.
    Drop(Flag),
}

/// A raised flag: since when, how far, against what, and why it still stands if the
/// newest data does not show it (a rollback running, a source gone quiet).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub since: DateTime<Utc>,
    pub magnitude: Shift,
    pub basis: Basis,
    pub hold: Option<Hold>,
}

/// What the comparison was made against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The stack's own healthy period before the change.
    Baseline,
    /// The stacks still on the old version over the same rounds (the baseline is short).
    OtherStacks,
}

/// Why a raised flag stands without fresh evidence for it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "hold", rename_all = "snake_case")]
pub enum Hold {
    /// The rollback runs; the flagged version may still serve.
    RollingBack {
        progress: Option<f32>,
    },
    /// The source stopped: no data is no recovery.
    Stale {
        age_secs: i64,
    },
    /// Back on the old version, too few samples yet to show recovery.
    AwaitingData {
        have: usize,
        need: usize,
    },
    /// Data looks healthy again, not yet for long enough.
    Recovering {
        ok: u32,
        needed: u32,
    },
    NotEvaluated {
        reason: Insufficient,
    },
}

impl Flag {
    /// A flag raised on fresh evidence against the stack's own baseline.
    pub fn fresh(since: DateTime<Utc>, magnitude: Shift) -> Flag {
        Flag {
            since,
            magnitude,
            basis: Basis::Baseline,
            hold: None,
        }
    }
}

impl Verdict {
    pub fn is_flag(&self) -> bool {
        matches!(self, Verdict::Spike(_) | Verdict::Drop(_))
    }

    pub fn flag(&self) -> Option<&Flag> {
        match self {
            Verdict::Spike(f) | Verdict::Drop(f) => Some(f),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Insufficient {
    /// Live changed, and no sample from before the change exists (slipway started after).
    NoBaseline,
    FewBaselineSamples {
        have: usize,
        need: usize,
    },
    /// The source has never given a value.
    NoData,
    /// Too little traffic for the value to mean anything (a ratio of two requests).
    LowTraffic {
        traffic: f64,
        min: f64,
    },
}

impl std::fmt::Display for Insufficient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Insufficient::NoBaseline => write!(f, "no samples from before the change"),
            Insufficient::FewBaselineSamples { have, need } => {
                write!(f, "baseline {have}/{need}")
            }
            Insufficient::NoData => write!(f, "no data yet"),
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

/// What else the detector needs to know this round.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// A deployment running on the stack.
    pub rollout: Option<Rollout>,
    /// This series against the stacks still on the old version, this round.
    pub control: Option<&'a ControlComparison>,
}

/// Per (stack, series): runs of bad and good evaluations, and the flag they raised.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    bad_run: u32,
    good_run: u32,
    since: Option<DateTime<Utc>>,
    flag: Option<(Shift, Basis)>,
}

impl Detector {
    pub fn is_flagged(&self) -> bool {
        self.flag.is_some()
    }

    /// Judges the series as of `now` (call once per round, after pushing its point).
    pub fn evaluate(
        &mut self,
        history: &SeriesHistory,
        bad: BadDirection,
        settings: &AnomalyConfig,
        now: DateTime<Utc>,
        ctx: Context<'_>,
    ) -> Verdict {
        let needed = settings.consecutive.max(1);
        match judge(history, bad, settings, ctx) {
            Evidence::Worse(shift, basis) => {
                self.good_run = 0;
                self.bad_run = self.bad_run.saturating_add(1);
                let since = *self.since.get_or_insert(now);
                if self.flag.is_none() && self.bad_run < needed {
                    return Verdict::Watching {
                        consecutive: self.bad_run,
                        needed,
                        basis,
                    };
                }
                self.flag = Some((shift, basis));
                flagged(bad, since, shift, basis, None)
            }
            Evidence::Elevated => {
                self.good_run = 0;
                match self.flag {
                    Some((shift, basis)) => {
                        flagged(bad, self.since.unwrap_or(now), shift, basis, None)
                    }
                    None => Verdict::Watching {
                        consecutive: self.bad_run,
                        needed,
                        basis: Basis::Baseline,
                    },
                }
            }
            evidence @ (Evidence::NotWorse | Evidence::NotWorseThanOthers) => {
                self.bad_run = 0;
                // Cleared by the other stacks alone, the baseline is still too short to
                // call the series ok.
                let settled = match evidence {
                    Evidence::NotWorse => Verdict::Ok,
                    _ => Verdict::NotEvaluated {
                        reason: short_baseline(history, settings.min_baseline_samples),
                    },
                };
                let Some((shift, basis)) = self.flag else {
                    self.since = None;
                    return settled;
                };
                self.good_run = self.good_run.saturating_add(1);
                if self.good_run >= needed {
                    *self = Detector::default();
                    return settled;
                }
                let hold = Hold::Recovering {
                    ok: self.good_run,
                    needed,
                };
                flagged(bad, self.since.unwrap_or(now), shift, basis, Some(hold))
            }
            Evidence::Nothing(verdict) => {
                let Some((shift, basis)) = self.flag else {
                    if matches!(verdict, Verdict::Unchanged | Verdict::RollingOut { .. }) {
                        *self = Detector::default();
                    }
                    return verdict;
                };
                let hold = match verdict {
                    Verdict::RollingOut { progress, .. } => Hold::RollingBack { progress },
                    Verdict::Stale { age_secs } => Hold::Stale { age_secs },
                    Verdict::Collecting { have, need } => Hold::AwaitingData { have, need },
                    Verdict::NotEvaluated { reason } => Hold::NotEvaluated { reason },
                    // Live is back where it was and nothing is watched: the change is gone.
                    _ => {
                        *self = Detector::default();
                        return verdict;
                    }
                };
                flagged(bad, self.since.unwrap_or(now), shift, basis, Some(hold))
            }
        }
    }
}

fn flagged(
    bad: BadDirection,
    since: DateTime<Utc>,
    magnitude: Shift,
    basis: Basis,
    hold: Option<Hold>,
) -> Verdict {
    let flag = Flag {
        since,
        magnitude,
        basis,
        hold,
    };
    match bad {
        BadDirection::Up => Verdict::Spike(flag),
        BadDirection::Down => Verdict::Drop(flag),
    }
}

enum Evidence {
    Worse(Shift, Basis),
    /// Looks worse, not significantly so: neither a flag nor a pass.
    Elevated,
    NotWorse,
    /// The baseline is short, and the stacks still on the old version are no better:
    /// enough to clear a flag raised against them, not enough to call it ok.
    NotWorseThanOthers,
    /// No evidence either way this round, and why.
    Nothing(Verdict),
}

fn judge(
    history: &SeriesHistory,
    bad: BadDirection,
    s: &AnomalyConfig,
    ctx: Context<'_>,
) -> Evidence {
    let nothing = Evidence::Nothing;
    if history.baseline_until().is_none() {
        return nothing(Verdict::Unchanged);
    }
    if let Some(r) = ctx.rollout {
        return nothing(Verdict::RollingOut {
            progress: r.progress,
            rolling_back: r.rolling_back,
        });
    }
    let Some(from) = history.judged_from() else {
        return nothing(Verdict::RollingOut {
            progress: None,
            rolling_back: false,
        });
    };
    // This round gave nothing (no value, and no traffic figure saying why): whatever came
    // before, no verdict is fresh.
    let fresh = history.latest().is_some_and(|p| {
        p.at >= from && (p.value.is_some_and(f64::is_finite) || p.traffic.is_some())
    });
    if !fresh && history.latest().is_some_and(|p| p.at >= from) {
        return match history.latest_value() {
            Some(p) => nothing(Verdict::Stale {
                age_secs: history
                    .latest()
                    .map_or(0, |l| (l.at - p.at).num_seconds().max(0)),
            }),
            None => nothing(Verdict::NotEvaluated {
                reason: Insufficient::NoData,
            }),
        };
    }
    let baseline: Vec<&Point> = history.baseline().collect();
    let recent = history.recent(s.recent_window);
    // Traffic first: without traffic a ratio or a latency has no value at all, and "few
    // samples" would hide why.
    for window in [&recent, &baseline] {
        let traffic: Vec<f64> = window.iter().filter_map(|p| p.traffic).collect();
        if let Some(t) = median(&traffic)
            && t < s.min_traffic
        {
            return nothing(Verdict::NotEvaluated {
                reason: Insufficient::LowTraffic {
                    traffic: t,
                    min: s.min_traffic,
                },
            });
        }
    }
    let need = s.recent_window.div_ceil(2);
    let recent_values = values(&recent);
    if recent_values.len() < need {
        return nothing(Verdict::Collecting {
            have: recent_values.len(),
            need,
        });
    }
    let base_values = values(&baseline);
    if base_values.len() < s.min_baseline_samples {
        // The stacks still on the old version stand in for the short baseline: worse than
        // them raises a flag, and no longer worse is the recovery that clears it.
        match ctx.control {
            Some(c) if c.worse => return Evidence::Worse(c.shift, Basis::OtherStacks),
            Some(_) => return Evidence::NotWorseThanOthers,
            None => {}
        }
        let reason = if base_values.is_empty() {
            Insufficient::NoBaseline
        } else {
            Insufficient::FewBaselineSamples {
                have: base_values.len(),
                need: s.min_baseline_samples,
            }
        };
        return nothing(Verdict::NotEvaluated { reason });
    }
    match compare(&recent_values, &base_values, bad, s) {
        Some(shift) => Evidence::Worse(shift, Basis::Baseline),
        None if elevated(&recent_values, &base_values, bad, s) => Evidence::Elevated,
        None => Evidence::NotWorse,
    }
}

/// Beyond the baseline's normal range by the minimum effect, but not (yet) significant:
/// too few samples to flag, too many to call healthy.
fn elevated(recent: &[f64], reference: &[f64], bad: BadDirection, s: &AnomalyConfig) -> bool {
    let Some(sh) = shift(recent, reference, bad) else {
        return false;
    };
    match bad {
        BadDirection::Up => {
            sh.relative >= s.min_effect
                && quantile(reference, 1.0 - NORMAL_RANGE).is_some_and(|q| sh.recent_median > q)
        }
        BadDirection::Down => {
            -sh.relative >= s.min_effect
                && quantile(reference, NORMAL_RANGE).is_some_and(|q| sh.recent_median < q)
        }
    }
}

/// Why a short baseline cannot be judged by, in the detector's words.
fn short_baseline(history: &SeriesHistory, need: usize) -> Insufficient {
    let have = history
        .baseline()
        .filter(|p| p.value.is_some_and(f64::is_finite))
        .count();
    if have == 0 {
        Insufficient::NoBaseline
    } else {
        Insufficient::FewBaselineSamples { have, need }
    }
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
        f64::midpoint(s[m - 1], s[m])
    })
}

/// One-sided Mann–Whitney U p-value that `x` tends to be higher (`Up`) or lower (`Down`)
/// than `y`: normal approximation with tie correction and continuity correction. All values
/// tied (no variance) gives 1: no evidence of a difference.
#[allow(
    clippy::float_cmp,
    reason = "ties are exactly equal samples; an epsilon would merge distinct values"
)]
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
