//! What a promote or rollback confirmation must tell beyond the plan, in words both
//! front ends show: the dashboard's dialog and the CLI's prompt. Pure: the board, the
//! change set, the lock holder and a clock in; facts out.
//!
//! - versions the platform no longer confirms (stale or unknown), with their age;
//! - a rollback over a migration: code goes back, the schema does not;
//! - someone else deploying right now, so moving metrics may be theirs;
//! - how many commits are left unshown after the first few entries.

use chrono::{DateTime, Utc};

use super::freshness::{Freshness, ago, at_and_ago};
use super::lock::Holder;
use super::release::{Board, Phase, TransferKind};
use crate::model::StackId;
use crate::vcs::{ChangeSet, Commit};

/// How much a fact asks for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    /// Worth knowing (someone else deploying another stack).
    Note,
    /// Read before confirming (versions not confirmed, the schema stays).
    Warn,
}

/// One sentence for a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub weight: Weight,
    pub text: String,
}

impl Fact {
    fn warn(text: String) -> Fact {
        Fact {
            weight: Weight::Warn,
            text,
        }
    }
}

/// `stack`'s versions, when the platform does not confirm them now: the dialog's numbers
/// are last known, and what runs may differ.
pub fn versions(board: &Board, stack: &StackId, now: DateTime<Utc>) -> Option<Fact> {
    let why = |e: Option<&super::freshness::ReadError>| {
        e.map(|e| {
            format!(
                "the platform did not answer ({}, {})",
                crate::text::one_line(&e.message, 80),
                ago(e.at, now)
            )
        })
        .unwrap_or_else(|| "no read has come back since".to_string())
    };
    match board.freshness(stack, now)? {
        Freshness::Stale { known_at, error } => Some(Fact::warn(format!(
            "⚠ Versions are stale: last known {}; {}. What runs now may differ.",
            at_and_ago(known_at, now),
            why(error.as_ref())
        ))),
        Freshness::Unknown { error } => Some(Fact::warn(format!(
            "⚠ Versions are unknown: {}.",
            why(Some(&error))
        ))),
        Freshness::Fresh | Freshness::Reading => None,
    }
}

/// Whether a risk flag marks a schema change (`migration`, `migrations`, `schema`).
fn is_schema_risk(risk: &str) -> bool {
    let r = risk.to_ascii_lowercase();
    r.contains("migration") || r.contains("schema")
}

/// Every commit of the set, merged ones included, each once.
fn all_commits(cs: &ChangeSet) -> Vec<&Commit> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in &cs.commits {
        for c in std::iter::once(c).chain(c.merged.iter()) {
            if seen.insert(c.id.as_str()) {
                out.push(c);
            }
        }
    }
    out
}

/// A rollback over `reverted` (the commits it takes off): when any changed the schema,
/// the code goes back and the schema does not.
pub fn schema_stays(reverted: &ChangeSet) -> Option<Fact> {
    let migrations: Vec<&Commit> = all_commits(reverted)
        .into_iter()
        .filter(|c| !c.is_merge && c.risks.iter().any(|r| is_schema_risk(r)))
        .collect();
    let first = migrations.first()?;
    let which = match migrations.len() {
        1 => format!(
            "{} {}",
            first.short,
            crate::text::one_line(&first.subject, 40)
        ),
        n => format!(
            "{} {} and {} more",
            first.short,
            crate::text::one_line(&first.subject, 40),
            n - 1
        ),
    };
    Some(Fact::warn(format!(
        "⚠ Rolling back code does not roll back the schema: the MIGRATION ({which}) stays applied; the old code must work with it, or revert it by hand."
    )))
}

/// Everyone else moving a stack now, and whose it is: this dashboard's own earlier
/// requests, a colleague's (from the journal or the lock), or the platform's.
pub fn others_deploying(
    board: &Board,
    stack: &StackId,
    lock: Option<&Holder>,
    now: DateTime<Utc>,
) -> Vec<Fact> {
    board
        .stacks
        .iter()
        .filter(|s| &s.id != stack)
        .filter_map(|s| {
            let t = s.phase.in_flight()?;
            let lock_holder =
                lock.filter(|h| h.action.to_lowercase().contains(&s.name.to_lowercase()));
            let own = !matches!(t.kind, TransferKind::External);
            let who = match (&s.deployer, lock_holder) {
                _ if own => "You are".to_string(),
                (Some(user), _) => format!("{user} is"),
                (None, Some(h)) => format!("{} is", h.user),
                (None, None) => "Someone outside this slipway is".to_string(),
            };
            let verb = match &s.phase {
                Phase::RollingBack(_) => "rolling back",
                Phase::Verifying(_) => "verifying",
                _ => "deploying",
            };
            let whose = if own { "that change's" } else { "theirs" };
            Some(Fact {
                weight: Weight::Note,
                text: format!(
                    "{who} {verb} {} (started {}): metrics that move may be {whose}.",
                    s.name,
                    ago(t.started, now)
                ),
            })
        })
        .collect()
}

/// Commits `cs` holds beyond those its first `shown` entries stand for (a merge stands
/// for itself and what it merged): "…and N more commits".
pub fn commits_beyond(cs: &ChangeSet, shown: usize) -> usize {
    let mut seen = std::collections::HashSet::new();
    for c in cs.commits.iter().take(shown) {
        for c in std::iter::once(c).chain(c.merged.iter()) {
            seen.insert(c.id.as_str());
        }
    }
    cs.count.saturating_sub(seen.len())
}

/// Everything a promotion's confirmation must say beyond its plan.
pub fn promote(
    board: &Board,
    stack: &StackId,
    lock: Option<&Holder>,
    now: DateTime<Utc>,
) -> Vec<Fact> {
    let mut facts: Vec<Fact> = versions(board, stack, now).into_iter().collect();
    facts.extend(others_deploying(board, stack, lock, now));
    facts
}

/// Everything a rollback's confirmation must say beyond its plan; `reverted` is what it
/// takes off, when the history is read.
pub fn rollback(
    board: &Board,
    stack: &StackId,
    reverted: Option<&ChangeSet>,
    lock: Option<&Holder>,
    now: DateTime<Utc>,
) -> Vec<Fact> {
    let mut facts: Vec<Fact> = versions(board, stack, now).into_iter().collect();
    facts.extend(reverted.and_then(schema_stays));
    facts.extend(others_deploying(board, stack, lock, now));
    facts
}
