//! Pre-flight gates: "is now a good time?" before anything goes live (reference 001), and
//! "has someone else looked at it?" (004). Pure functions over what the engine knows —
//! the board, the diffs, the journal, the lock, the metric flags, the clock — so the
//! dashboard, `slipway check` and the engine's refusal of a blocked promotion all read
//! the same answer. Each item is pass, warn or block with a one-line reason; what could
//! not be judged says so (`evaluated: false`): a pass when the check is simply not set
//! up (no repository, no freeze windows), a warning when it is set up and its data could
//! not be had (the diff failed).

pub mod access;
pub mod changes;
pub mod flight;
pub mod freeze;
pub mod health;
pub mod settings;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::changes::{DiffResult, Pair};
use super::lock::Holder;
use super::release::Board;
use crate::model::{Approval, Env, StackId, Version};

pub use freeze::FreezeWindow;
pub use settings::windows;

pub use crate::config::Level;

/// The gates, with names that are stable in JSON and in the journal (`override` entries
/// list them): `freeze`, `risky_changes`, `drift`, `in_flight`, `source_health`,
/// `live_flagged`, `lock`, `approval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    Freeze,
    RiskyChanges,
    Drift,
    InFlight,
    SourceHealth,
    LiveFlagged,
    Lock,
    Approval,
}

impl Gate {
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Freeze => "freeze",
            Gate::RiskyChanges => "risky_changes",
            Gate::Drift => "drift",
            Gate::InFlight => "in_flight",
            Gate::SourceHealth => "source_health",
            Gate::LiveFlagged => "live_flagged",
            Gate::Lock => "lock",
            Gate::Approval => "approval",
        }
    }

    /// In words, for the header and dialogs.
    pub fn label(self) -> &'static str {
        match self {
            Gate::Freeze => "freeze",
            Gate::RiskyChanges => "risky changes",
            Gate::Drift => "drift",
            Gate::InFlight => "in flight",
            Gate::SourceHealth => "source health",
            Gate::LiveFlagged => "live flagged",
            Gate::Lock => "lock",
            Gate::Approval => "approval",
        }
    }
}

/// One promotion a gate is about: a stack's move onto `env` from `source_env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub stack: StackId,
    /// Display name (`Sally`).
    pub name: String,
    pub source_env: Env,
    pub env: Env,
    /// What `env` runs now.
    pub from: Version,
    /// What goes there (what `source_env` runs).
    pub to: Version,
}

impl Step {
    /// `live 710ec2f → c570624`.
    pub fn words(&self) -> String {
        format!("{} {} → {}", self.env, self.from.short(), self.to.short())
    }
}

/// One gate's answer. Per-promotion gates (risky changes, drift, source health, approval)
/// name the step; release-wide ones (freeze, in flight, live flagged, lock) do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub gate: Gate,
    pub level: Level,
    /// False when the gate could not judge (not set up, or its data missing): the
    /// reason says why, so an unknown never reads as a pass.
    pub evaluated: bool,
    pub reason: String,
    /// Whether a block may be gone past with a reason (a missing approval may not,
    /// unless config says so).
    #[serde(default = "yes")]
    pub overridable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
}

fn yes() -> bool {
    true
}

impl Item {
    pub fn new(gate: Gate, level: Level, reason: impl Into<String>) -> Item {
        Item {
            gate,
            level,
            evaluated: true,
            reason: reason.into(),
            overridable: true,
            step: None,
        }
    }

    /// Not judged; the reason starts `not evaluated:`.
    pub fn not_evaluated(gate: Gate, level: Level, why: impl AsRef<str>) -> Item {
        Item {
            evaluated: false,
            ..Item::new(gate, level, format!("not evaluated: {}", why.as_ref()))
        }
    }

    pub fn about(mut self, step: &Step) -> Item {
        self.step = Some(step.clone());
        self
    }

    /// `freeze: 'weekend' freeze until …`, `Sally risky changes: 2 migration in 14 commits`.
    pub fn line(&self) -> String {
        match &self.step {
            Some(s) => format!("{} {}: {}", s.name, self.gate.label(), self.reason),
            None => format!("{}: {}", self.gate.label(), self.reason),
        }
    }

    /// `✓`, `⚠`, `⛔`, or `·` for a pass that judged nothing.
    pub fn mark(&self) -> &'static str {
        if self.level == Level::Pass && !self.evaluated {
            "·"
        } else {
            self.level.mark()
        }
    }
}

/// What was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Scope {
    /// The release as it stands: every stack's next promotion that is checked.
    Release,
    /// One promotion.
    Promotion { step: Step },
}

/// Every gate's answer at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub scope: Scope,
    pub items: Vec<Item>,
}

impl Report {
    pub fn worst(&self) -> Level {
        self.items
            .iter()
            .map(|i| i.level)
            .max()
            .unwrap_or(Level::Pass)
    }

    pub fn blocking(&self) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.level == Level::Block)
            .collect()
    }

    /// The items a promotion of `stack` onto `env` (`from` → `to`) is checked against:
    /// the release-wide ones and those about exactly that step. Empty when the report
    /// does not cover that promotion (it is not checked, or it is not the stack's next).
    pub fn for_step(&self, stack: &StackId, env: &Env, from: &Version, to: &Version) -> Vec<&Item> {
        let about = |s: &Step| &s.stack == stack && &s.env == env && &s.from == from && &s.to == to;
        if !self
            .items
            .iter()
            .any(|i| i.step.as_ref().is_some_and(about))
        {
            return Vec::new();
        }
        self.items
            .iter()
            .filter(|i| i.step.as_ref().is_none_or(about))
            .collect()
    }

    /// The headline and a shorter form for a narrow header (`⚠ risky changes`, `⚠ 1
    /// gate`); `None` when every gate passes.
    pub fn headline_forms(&self) -> Option<(String, String)> {
        let (level, full) = self.headline()?;
        let mut gates: Vec<Gate> = self
            .items
            .iter()
            .filter(|i| i.level == level)
            .map(|i| i.gate)
            .collect();
        gates.sort();
        gates.dedup();
        let n = gates.len();
        let short = format!("{} {n} gate{}", level.mark(), if n == 1 { "" } else { "s" });
        Some((full, short))
    }

    /// For the header: `⛔ freeze`, `⛔ 2 gates`, `⚠ risky changes`, `⚠ 3 gates`; `None`
    /// when every gate passes.
    pub fn headline(&self) -> Option<(Level, String)> {
        let worst = self.worst();
        if worst == Level::Pass {
            return None;
        }
        let mut gates: Vec<Gate> = self
            .items
            .iter()
            .filter(|i| i.level == worst)
            .map(|i| i.gate)
            .collect();
        gates.sort();
        gates.dedup();
        let text = match gates.as_slice() {
            [one] => format!("{} {}", worst.mark(), one.label()),
            many => format!("{} {} gates", worst.mark(), many.len()),
        };
        Some((worst, text))
    }
}

/// Where the repository's diffs stand.
pub enum RepoFacts<'a> {
    NotConfigured,
    /// Being cloned, say.
    NotReady(String),
    Failed(String),
    Ready(&'a HashMap<Pair, DiffResult>),
}

/// What the metric verdicts say about live.
pub enum MetricsFacts<'a> {
    NotConfigured,
    /// This process runs no metrics feed (a command): the dashboard judges them.
    NotWatched,
    /// Per stack, the series flagged now (empty or absent: none).
    Watched(&'a HashMap<StackId, Vec<String>>),
}

/// The newest smoke run on one environment for one version, from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeSeen {
    pub passed: bool,
    pub summary: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// Who must approve what, and the approvals known (journal and platform).
pub struct ApprovalFacts<'a> {
    /// Environments whose promotions need another user's approval.
    pub required: &'a [Env],
    /// Who would promote (this process's user).
    pub user: &'a str,
    pub seen: &'a [Approval],
    /// The platform holds approvals but could not be read.
    pub problem: Option<&'a str>,
    /// A missing approval may be overridden with a reason (`[approval] overridable`).
    pub overridable: bool,
}

/// Everything the gates judge by.
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    pub freeze: &'a [FreezeWindow],
    /// How far ahead a freeze that is about to start warns.
    pub notice: Duration,
    pub board: &'a Board,
    pub repo: RepoFacts<'a>,
    /// Newest smoke run per stack, environment and version.
    pub smoke: &'a HashMap<(StackId, Env, Version), SmokeSeen>,
    /// Stacks with smoke checks configured.
    pub smoke_configured: &'a HashSet<StackId>,
    pub metrics: MetricsFacts<'a>,
    /// Someone else's hold on the release lock.
    pub lock: Option<&'a Holder>,
    pub approval: ApprovalFacts<'a>,
    /// Versions a journaled promotion already moved: the release of those has started.
    pub promoted: &'a HashSet<Version>,
}

impl Facts<'_> {
    /// Whether a promotion is checked: onto live, onto an environment that needs an
    /// approval, or the first of its version (the start of the release). Later steps
    /// between earlier environments go unchecked, as in the reference processes.
    pub fn gated(&self, step: &Step) -> bool {
        let live = self
            .board
            .get(&step.stack)
            .and_then(|s| s.versions.as_ref())
            .is_none_or(|v| v.live_env() == &step.env);
        live || self.approval.required.contains(&step.env) || !self.promoted.contains(&step.to)
    }
}

/// The next promotion of every stack that has one and is not moving.
pub fn pending_steps(board: &Board) -> Vec<Step> {
    board
        .stacks
        .iter()
        .filter(|s| s.phase.in_flight().is_none())
        .filter_map(|s| {
            let v = s.versions.as_ref()?;
            (v.source() != v.target()).then(|| Step {
                stack: s.id.clone(),
                name: s.name.clone(),
                source_env: v.source_env().clone(),
                env: v.target_env().clone(),
                from: v.target().clone(),
                to: v.source().clone(),
            })
        })
        .collect()
}

/// Every gate for `scope`: the release-wide ones, then each checked step's own.
pub fn evaluate(facts: &Facts<'_>, scope: Scope) -> Report {
    let mut items = vec![
        freeze::gate(facts.freeze, facts.now, facts.notice),
        flight::gate(facts.board),
        health::live_flagged(&facts.metrics, facts.board),
        access::lock(facts.lock),
    ];
    let steps = match &scope {
        Scope::Release => pending_steps(facts.board)
            .into_iter()
            .filter(|s| facts.gated(s))
            .collect(),
        Scope::Promotion { step } => vec![step.clone()],
    };
    for step in &steps {
        items.push(changes::risky(&facts.repo, step).about(step));
        items.push(changes::drift(&facts.repo, step).about(step));
        items.push(health::source(facts.smoke, facts.smoke_configured, step).about(step));
        items.push(access::approval(&facts.approval, step).about(step));
    }
    Report {
        at: facts.now,
        scope,
        items,
    }
}

#[cfg(test)]
mod tests;
