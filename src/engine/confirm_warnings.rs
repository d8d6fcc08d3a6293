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
        e.map_or_else(
            || "no read has come back since".to_string(),
            |e| {
                format!(
                    "the platform did not answer ({}, {})",
                    crate::text::one_line(&e.message, 80),
                    ago(e.at, now)
                )
            },
        )
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::engine::release::{StackRelease, Transfer};
    use crate::model::{Env, StackVersions, Version};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn commit(id: &str, risks: &[&str], merged: Vec<Commit>) -> Commit {
        Commit {
            id: id.into(),
            short: id.into(),
            author: "a".into(),
            email: "a@x".into(),
            time: t0(),
            subject: format!("subject {id}"),
            body: String::new(),
            pr: None,
            files: Vec::new(),
            risks: risks.iter().map(std::string::ToString::to_string).collect(),
            is_merge: !merged.is_empty(),
            merged,
        }
    }

    fn set(commits: Vec<Commit>, count: usize) -> ChangeSet {
        ChangeSet {
            live: "l".into(),
            test: "t".into(),
            commits,
            count,
            risky: 0,
            risk_counts: Default::default(),
            drift: None,
        }
    }

    #[test]
    fn commits_beyond_the_shown_entries_count_what_merges_brought_in() {
        let merge = commit(
            "m",
            &["migration"],
            vec![
                commit("m1", &[], vec![]),
                commit("m2", &["migration"], vec![]),
            ],
        );
        let cs = set(
            vec![commit("a", &[], vec![]), commit("b", &[], vec![]), merge],
            6,
        );
        assert_eq!(
            commits_beyond(&cs, 2),
            4,
            "the merge and its two, and one more"
        );
        assert_eq!(commits_beyond(&cs, 3), 1);
        assert_eq!(commits_beyond(&cs, 10), 1, "never more entries than exist");
        // The migration came in through the merge: named by its own commit.
        let fact = schema_stays(&cs).map(|f| f.text).unwrap_or_default();
        assert!(
            fact.contains("the MIGRATION (m2 subject m2) stays applied"),
            "{fact}"
        );
        assert_eq!(
            schema_stays(&set(vec![commit("a", &["config"], vec![])], 1)),
            None
        );
    }

    #[test]
    fn who_is_deploying_comes_from_the_journal_then_the_lock_then_says_outside() {
        let stack = |id: &str, kind: Option<TransferKind>| {
            let mut s = StackRelease::new(StackId::new(id), id.to_uppercase());
            s.versions = Some(StackVersions::pair(
                Version::new("n"),
                Version::new("o"),
                None,
            ));
            if let Some(kind) = kind {
                s.phase = Phase::Promoting(Transfer {
                    from: Version::new("o"),
                    to: Version::new("n"),
                    deployment: None,
                    started: t0(),
                    progress: None,
                    message: None,
                    kind,
                    env: Env::live(),
                });
            }
            s
        };
        let mut board = Board::new(vec![
            stack("www", None),
            stack("bruce", Some(TransferKind::External)),
            stack("sally", Some(TransferKind::Promotion)),
        ]);
        let now = t0() + Duration::seconds(125);
        let me = StackId::new("www");
        let texts = |b: &Board, lock: Option<&Holder>| -> Vec<String> {
            others_deploying(b, &me, lock, now)
                .into_iter()
                .map(|f| f.text)
                .collect()
        };
        assert_eq!(
            texts(&board, None),
            [
                "Someone outside this slipway is deploying BRUCE (started 2m ago): metrics that move may be theirs.",
                "You are deploying SALLY (started 2m ago): metrics that move may be that change's.",
            ]
        );
        let holder = Holder {
            user: "cedric".into(),
            host: "h".into(),
            pid: 1,
            action: "promoting Bruce".into(),
            since: t0(),
        };
        assert!(texts(&board, Some(&holder))[0].starts_with("cedric is deploying BRUCE"));
        board.deployer(&StackId::new("bruce"), "dana".into());
        assert!(texts(&board, Some(&holder))[0].starts_with("dana is deploying BRUCE"));
        // The stack being promoted is never its own "someone else".
        assert!(
            others_deploying(&board, &StackId::new("bruce"), None, now)
                .iter()
                .all(|f| !f.text.contains("BRUCE"))
        );
    }
}
