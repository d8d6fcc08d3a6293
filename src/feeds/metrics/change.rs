//! What the feed is asked to judge: per stack, the latest change of the version live runs,
//! whoever made it. The engine derives these from what the platform reports and what the
//! journal records; the feed only reads them. A stack without a watch has not changed in
//! this release, and all its samples are baseline.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{StackId, Version};

/// One change of a stack's live version, from the healthy period before it to the moment
/// the new version took traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    /// What live ran in the healthy period before the change (the baseline's version).
    pub before: Version,
    /// What live runs, or is being moved to. After a rollback, `before` again.
    pub now: Version,
    pub cause: WatchCause,
    /// Who made the change (`alice@web-3`), when the journal knows; `None`: changed
    /// outside slipway (CI, the platform's own UI, another tool).
    pub by: Option<String>,
    /// The healthy period ends here: the deployment started, or the old version was last
    /// seen on live. Samples before it are the baseline, whatever happens after.
    pub baseline_until: DateTime<Utc>,
    /// When `now` took traffic (the deployment finished, or live was first seen running
    /// it). `None` while it rolls out: no verdict is given on a half-deployed stack.
    pub traffic_since: Option<DateTime<Utc>>,
    /// A deployment in flight on the stack, if any.
    pub rollout: Option<Rollout>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchCause {
    Promotion,
    /// Back to the version of the healthy period; judged against the same baseline.
    Rollback,
    /// Live changed and slipway did not start it (nor did the journal record it).
    Outside,
}

impl WatchCause {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchCause::Promotion => "promoted",
            WatchCause::Rollback => "rolled back",
            WatchCause::Outside => "changed outside slipway",
        }
    }
}

/// A deployment running on the stack while it is watched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    /// 0.0..=1.0 when the platform reports it.
    pub progress: Option<f32>,
    /// A rollback of the watched change: a flag stays up, with these words, until the old
    /// version has taken traffic and data shows recovery.
    pub rolling_back: bool,
}

impl Watch {
    /// A promotion from `before` to `now` that took traffic at `at` (its deployment
    /// started at the same moment): the simplest settled change.
    pub fn took_traffic(before: Version, now: Version, at: DateTime<Utc>) -> Watch {
        Watch {
            before,
            now,
            cause: WatchCause::Promotion,
            by: None,
            baseline_until: at,
            traffic_since: Some(at),
            rollout: None,
        }
    }

    /// The moment the sparklines mark: the traffic swap, or the start while rolling out.
    pub fn marker(&self) -> DateTime<Utc> {
        self.traffic_since.unwrap_or(self.baseline_until)
    }

    /// Same change (same baseline): a detector's flag carries over between these, so a
    /// rollback keeps the alarm of the release it undoes.
    pub fn same_change(&self, other: &Watch) -> bool {
        self.baseline_until == other.baseline_until && self.before == other.before
    }

    /// `promoted by alice@web-3`, `changed outside slipway`, `rolled back`.
    pub fn describe(&self) -> String {
        match &self.by {
            Some(by) if self.cause != WatchCause::Outside => {
                format!("{} by {by}", self.cause.as_str())
            }
            _ => self.cause.as_str().to_string(),
        }
    }
}

/// Everything the feed needs to know about live, sent whole on every change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveView {
    pub watches: HashMap<StackId, Watch>,
    /// What each stack's live runs, as last read from the platform. A stack whose live
    /// still runs a watch's `before` version serves as a control for it.
    pub live: HashMap<StackId, Version>,
}

impl LiveView {
    /// Stacks (other than `stack`) whose live runs `version`, known from observation only.
    pub fn running<'a>(
        &'a self,
        version: &'a Version,
        stack: &'a StackId,
    ) -> impl Iterator<Item = &'a StackId> + 'a {
        self.live
            .iter()
            .filter(move |(s, v)| *s != stack && *v == version)
            // A stack changed in this release (or changing now) is no control.
            .filter(move |(s, _)| !self.watches.contains_key(*s))
            .map(|(s, _)| s)
    }
}
