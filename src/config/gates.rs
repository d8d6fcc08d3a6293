//! `[gates]` (freeze windows) and `[approval]` (who must look before a promotion): the
//! pre-flight checks' settings. Windows stay text here so an error keeps its line; the
//! engine parses them (`engine::gates::windows`), and its `validate` parses them once
//! at load so a bad window is refused with its key.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesConfig {
    /// The time zone of windows that name none (an IANA name, `Europe/London`). There is
    /// no default: a freeze read in the wrong zone is an hour off half the year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A freeze starting within this many minutes warns ("time enough to finish?").
    #[serde(default = "notice_mins")]
    pub notice_mins: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<FreezeConfig>,
}

impl Default for GatesConfig {
    fn default() -> Self {
        GatesConfig {
            time_zone: None,
            notice_mins: notice_mins(),
            freeze: Vec::new(),
        }
    }
}

/// `[[gates.freeze]]`: one window. `from` and `to` are both dates (`2026-12-24`, whole
/// days, or `2026-12-24 15:00`), both a weekday and time (`Fri 15:00`, weekly) or both a
/// time (`17:00`, daily).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeConfig {
    pub name: String,
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `block` (the default: promoting needs an override with a reason) or `warn`.
    #[serde(default = "block")]
    pub level: Level,
}

/// `[approval]`: environments whose promotions need another user's approval of the exact
/// step (`slipway approve`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// May `--override-gates` go past a missing approval? Off by default: the promoter
    /// overriding their own four-eyes check would make it a formality.
    #[serde(default)]
    pub overridable: bool,
}

impl ApprovalConfig {
    pub fn environments(&self) -> Vec<crate::model::Env> {
        self.environments
            .iter()
            .map(crate::model::Env::new)
            .collect()
    }
}

fn notice_mins() -> u64 {
    60
}

fn block() -> Level {
    Level::Block
}

/// How a gate judges: ordered, so the worst of several is their maximum.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Pass,
    Warn,
    Block,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Pass => "pass",
            Level::Warn => "warn",
            Level::Block => "block",
        }
    }

    /// `✓`, `⚠`, `⛔`.
    pub fn mark(self) -> &'static str {
        match self {
            Level::Pass => "✓",
            Level::Warn => "⚠",
            Level::Block => "⛔",
        }
    }
}
