//! What a confirmation shows before a promotion or a rollback, as plain facts: the
//! commits it ships (or reverts), their risk counts, drift, and the gates that do not
//! pass. The dashboard's dialog and the CLI's prompt both word these, so the two cannot
//! tell a user different things. No UI here: strings and numbers only.

use crate::engine::gates::{Item, Level};
use crate::vcs::ChangeSet;

/// Commit subjects listed at most; the rest are counted.
pub const SHOWN: usize = 6;

/// What moving from one version to another brings (or, for a rollback, takes away).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeFacts {
    /// `14 commits · 2 risky · DRIFT`.
    pub summary: String,
    /// The risk flags present, upper case (`MIGRATION`, `CONFIG`).
    pub risks: Vec<String>,
    /// Commits with a risk flag.
    pub risky: usize,
    /// `c570624 Fix cache key for… #1234`, newest first, at most `SHOWN`.
    pub shown: Vec<String>,
    /// Commits not listed: counted in commits (merged ones too), not list entries.
    pub more_commits: usize,
    /// Commits live has that test lacks (removed from live by this move).
    pub drift: Option<usize>,
}

impl ChangeFacts {
    /// `subject_chars`: where a subject is cut, as the front end has room (the dialog's
    /// box is narrower than a terminal line).
    pub fn of(cs: &ChangeSet, subject_chars: usize) -> Self {
        let listed = &cs.commits[..cs.commits.len().min(SHOWN)];
        let shown = listed
            .iter()
            .map(|c| {
                let mut text = format!(
                    "{} {}",
                    c.short,
                    crate::text::one_line(&c.subject, subject_chars)
                );
                if let Some(pr) = c.pr.map(|p| p.to_string())
                    && !c.subject.contains(&pr)
                {
                    text.push_str(&format!(" {pr}"));
                }
                text
            })
            .collect();
        // A listed merge stands for the commits it merged as well.
        let listed_commits: usize = listed.iter().map(|c| 1 + c.merged.len()).sum();
        ChangeFacts {
            summary: cs.summary(),
            risks: cs.risk_counts.keys().map(|r| r.to_uppercase()).collect(),
            risky: cs.risky,
            shown,
            more_commits: cs.count.saturating_sub(listed_commits),
            drift: cs.drift.as_ref().map(|d| d.live_only.len()),
        }
    }

    /// The summary with its risk flags: `14 commits · 2 risky (MIGRATION, CONFIG)`.
    pub fn headline(&self) -> String {
        if self.risks.is_empty() {
            self.summary.clone()
        } else {
            format!("{} ({})", self.summary, self.risks.join(", "))
        }
    }

    /// `…and 8 more commits`, when some are not listed.
    pub fn more_line(&self) -> Option<String> {
        (self.more_commits > 0).then(|| {
            format!(
                "…and {} more commit{}",
                self.more_commits,
                if self.more_commits == 1 { "" } else { "s" }
            )
        })
    }

    /// The drift warning: a move that removes commits from live says so.
    pub fn drift_line(&self) -> Option<String> {
        self.drift.map(|n| {
            format!(
                "⚠ Live has {n} commit{} test lacks; this removes {} from live.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            )
        })
    }
}

/// The gates of one promotion that do not pass, as last judged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateFacts {
    /// Whether any judgement was there to read.
    pub judged: bool,
    /// `(blocks, "✗ freeze: weekend freeze until Mon 07:00")` per gate not passing.
    pub failing: Vec<(bool, String)>,
    /// Labels of the gates that block (an override with a reason goes past them).
    pub blocking: Vec<String>,
    /// A block no override goes past (a missing approval).
    pub stuck: bool,
}

impl GateFacts {
    pub fn of(items: &[&Item], judged: bool) -> Self {
        let mut facts = GateFacts {
            judged: judged && !items.is_empty(),
            ..GateFacts::default()
        };
        for i in items.iter().filter(|i| i.level != Level::Pass) {
            let blocks = i.level == Level::Block;
            if blocks {
                facts.blocking.push(i.gate.label().to_string());
                facts.stuck |= !i.overridable;
            }
            facts.failing.push((
                blocks,
                format!("{} {}: {}", i.mark(), i.gate.label(), i.reason),
            ));
        }
        facts.blocking.dedup();
        facts
    }

    /// The gates in one line: `all pass`, `2 not passing`, or not judged yet.
    pub fn headline(&self) -> String {
        if !self.judged {
            "not judged yet; checked when you confirm".into()
        } else if self.failing.is_empty() {
            "all pass".into()
        } else {
            format!("{} not passing", self.failing.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vcs::Commit;

    fn commit(short: &str, merged: usize) -> Commit {
        Commit {
            id: format!("{short}0000000000"),
            short: short.into(),
            author: "Ed".into(),
            email: String::new(),
            time: chrono::Utc::now(),
            subject: format!("subject {short}"),
            body: String::new(),
            pr: None,
            files: Vec::new(),
            risks: Vec::new(),
            merged: (0..merged).map(|i| commit(&format!("m{i}"), 0)).collect(),
            is_merge: merged > 0,
        }
    }

    #[test]
    fn more_counts_commits_not_list_entries() {
        // Eight entries, one a merge of three: eleven commits; six listed (with the
        // merge's three), so five more.
        let mut commits: Vec<Commit> = (0..8).map(|i| commit(&format!("c{i}"), 0)).collect();
        commits[1] = commit("merge", 3);
        let cs = ChangeSet {
            live: "a".into(),
            test: "b".into(),
            commits,
            count: 11,
            risky: 1,
            risk_counts: [("migration".to_string(), 1)].into(),
            drift: None,
        };
        let f = ChangeFacts::of(&cs, 48);
        assert_eq!(f.shown.len(), SHOWN);
        assert_eq!(f.more_line().as_deref(), Some("…and 2 more commits"));
        assert_eq!(f.headline(), "11 commits · 1 risky (MIGRATION)");
    }
}
