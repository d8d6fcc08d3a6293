//! What the metrics feed sends: one [`MetricsUpdate`] per stack per round, complete in
//! itself (history included), so a front end renders sparklines, values and flags from the
//! latest update alone, and a dropped or late update loses nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::anomaly::Verdict;
use super::change::Watch;
use super::control::ControlComparison;
use super::exposition::BadLine;
use super::history::Point;
use super::promql::QueryError;
use super::scrape::FetchError;
use crate::config::BadDirection;
use crate::model::StackId;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsUpdate {
    pub stack: StackId,
    /// When the round started.
    pub at: DateTime<Utc>,
    /// The change of live being judged (`None`: live has not changed in this release).
    pub watch: Option<Watch>,
    /// In config order.
    pub series: Vec<SeriesUpdate>,
    /// Every source asked for this stack, healthy ones too ("5 of 6 sources answered").
    pub sources: Vec<SourceReport>,
    /// How much healthy period there is to judge a change by (its thinnest series).
    pub baseline: Baseline,
}

/// Samples of the healthy period before a change (all samples while live is unchanged),
/// against what a verdict needs: a promotion dialog says when it will be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Baseline {
    pub have: usize,
    pub need: usize,
    pub interval_secs: u64,
}

impl Baseline {
    pub fn ready(&self) -> bool {
        self.have >= self.need
    }

    /// Seconds until enough samples exist, if nothing is missed.
    pub fn ready_in_secs(&self) -> u64 {
        (self.need.saturating_sub(self.have) as u64) * self.interval_secs
    }
}

impl MetricsUpdate {
    /// Where the sparklines mark the change: the traffic swap (or its start while it
    /// rolls out); `None` when live has not changed.
    pub fn marker(&self) -> Option<DateTime<Utc>> {
        self.watch.as_ref().map(Watch::marker)
    }

    /// Series flagged SPIKE or DROP: the stack's row shows them and offers rollback.
    pub fn flagged(&self) -> impl Iterator<Item = &SeriesUpdate> {
        self.series.iter().filter(|s| s.verdict.is_flag())
    }

    /// Sources with a problem this round.
    pub fn troubled_sources(&self) -> impl Iterator<Item = &SourceReport> {
        self.sources.iter().filter(|s| !s.problems.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesUpdate {
    pub name: String,
    pub unit: String,
    pub bad: BadDirection,
    /// This round's value; `None` is a gap (nothing to compute from: see the sources).
    pub value: Option<f64>,
    pub verdict: Verdict,
    /// Against the stacks still on the old version, once this stack's new version took
    /// traffic and both have data.
    pub control: Option<ControlComparison>,
    /// Oldest first, at most `metrics.history` points.
    pub history: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    Instance { id: String, url: String },
    Prometheus { url: String },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Instance { id, .. } => write!(f, "{id}"),
            Source::Prometheus { url } => write!(f, "Prometheus {url}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceReport {
    pub source: Source,
    /// This round's problems; empty when all was well.
    pub problems: Vec<SourceProblem>,
    pub totals: SourceTotals,
}

/// Counts since the feed started, per source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceTotals {
    pub rounds: u64,
    /// Rounds in which the source gave nothing (unreachable, timeout, HTTP error).
    pub failed: u64,
    pub lines_not_understood: u64,
    /// Series-rounds in which a configured series was missing.
    pub series_missing: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceProblem {
    /// No text from an instance this round.
    Fetch {
        #[serde(serialize_with = "display")]
        error: FetchError,
    },
    /// "N lines not understood" (of `of` sample lines read), with the first few.
    NotUnderstood {
        lines: usize,
        of: usize,
        examples: Vec<BadLineReport>,
    },
    /// Configured metrics this source does not have at all.
    MissingSeries { series: Vec<String> },
    /// A `PromQL` series failed this round (or, with `backfill`, when filling the history).
    Query {
        series: String,
        backfill: bool,
        #[serde(serialize_with = "display")]
        error: QueryError,
    },
    /// The source could not be set up at all (a missing token file, say).
    Setup { message: String },
}

/// [`BadLine`] for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLineReport {
    pub line: usize,
    pub reason: String,
    pub text: String,
}

impl From<&BadLine> for BadLineReport {
    fn from(b: &BadLine) -> Self {
        BadLineReport {
            line: b.line,
            reason: b.reason.to_string(),
            text: b.text.clone(),
        }
    }
}

impl std::fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceProblem::Fetch { error } => write!(f, "{error}"),
            SourceProblem::NotUnderstood { lines, of, .. } => {
                write!(f, "{lines} of {of} lines not understood")
            }
            SourceProblem::MissingSeries { series } => {
                write!(f, "series missing: {}", series.join(", "))
            }
            SourceProblem::Query {
                series,
                backfill,
                error,
            } => {
                let when = if *backfill { " (history)" } else { "" };
                write!(f, "{series}{when}: {error}")
            }
            SourceProblem::Setup { message } => write!(f, "{message}"),
        }
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
