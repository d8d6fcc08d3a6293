//! What the gates know between evaluations: the freeze windows, and what the journal (and
//! the platform) says about approvals, smoke runs and which versions have started moving.
//! The journal part is a pure function of its entries, so any process reading the same
//! journal judges the same.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::gates::{FreezeWindow, Report, SmokeSeen};
use crate::journal::Entry;
use crate::model::{Approval, Env, StackId, Version};

/// Per stack, the metric series flagged on live now; written by the metrics feed's relay.
pub type Flags = Arc<Mutex<HashMap<StackId, Vec<String>>>>;

/// The platform's approvals per stack and environment, or why they could not be read.
pub type ApprovalReads = Vec<((StackId, Env), Result<Vec<Approval>, String>)>;

#[derive(Debug, Default)]
pub struct GateState {
    pub windows: Vec<FreezeWindow>,
    pub journal: JournalFacts,
    /// The platform's approvals per stack and environment, as last read (or why not).
    pub platform_approvals: HashMap<(StackId, Env), Result<Vec<Approval>, String>>,
    pub flags: Flags,
    /// The release-wide report last sent to front ends.
    pub last: Option<Report>,
}

/// What the journal says, for the gates.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JournalFacts {
    pub approvals: Vec<Approval>,
    /// Newest smoke run per stack, environment and version.
    pub smoke: HashMap<(StackId, Env, Version), SmokeSeen>,
    /// Versions a promotion moved (or was asked to): their release has started.
    pub promoted: HashSet<Version>,
}

impl JournalFacts {
    /// Reads entries oldest first; entries without an environment are about `live` (they
    /// predate configurable environments).
    #[cfg(test)]
    pub fn from_entries(entries: &[Entry], live: &Env) -> JournalFacts {
        let mut facts = JournalFacts::default();
        for e in entries {
            facts.apply(e, live);
        }
        facts
    }

    /// One more entry: this engine's own as it writes it, or every entry of a read of the
    /// journal. The journal only grows, so facts only grow too and an entry seen twice
    /// changes nothing: a read that started before this engine's last write (and so lacks
    /// it) cannot take back what that write said.
    pub fn apply(&mut self, e: &Entry, live: &Env) {
        let Some(stack) = e.stack.as_deref().map(StackId::new) else {
            return;
        };
        let env = e.env.as_deref().map_or_else(|| live.clone(), Env::new);
        match crate::journal::Act::parse(&e.action) {
            Some(crate::journal::Act::Approve) => {
                if let (Some(from), Some(to)) = (&e.from, &e.to) {
                    let a = Approval {
                        stack,
                        env,
                        from: Version::new(from.clone()),
                        to: Version::new(to.clone()),
                        user: e.user.clone(),
                        host: e.host.clone(),
                        at: e.at,
                    };
                    if !self.approvals.contains(&a) {
                        self.approvals.push(a);
                    }
                }
            }
            Some(crate::journal::Act::Promote) => {
                if let Some(to) = &e.to {
                    self.promoted.insert(Version::new(to.clone()));
                }
            }
            // Only runs that name the version they checked (written since the gates).
            Some(crate::journal::Act::Smoke) => {
                if let (Some(to), Some(outcome)) = (&e.to, &e.outcome) {
                    let summary = e
                        .detail
                        .as_deref()
                        .map(|d| d.split_once(": ").map_or(d, |(_, s)| s))
                        .unwrap_or_default()
                        .to_string();
                    let key = (stack, env, Version::new(to.clone()));
                    if self.smoke.get(&key).is_none_or(|s| s.at <= e.at) {
                        let seen = SmokeSeen {
                            passed: outcome == crate::journal::outcome::PASSED,
                            summary,
                            at: e.at,
                            by: e.actor(),
                        };
                        self.smoke.insert(key, seen);
                    }
                }
            }
            _ => {}
        }
    }
}

impl GateState {
    /// Every approval known: the journal's and the platform's, without repeats.
    pub fn approvals(&self) -> Vec<Approval> {
        let mut all = self.journal.approvals.clone();
        for a in self.platform_approvals.values().flatten().flatten() {
            let seen = all
                .iter()
                .any(|b| b.user == a.user && b.at == a.at && b.to == a.to && b.from == a.from);
            if !seen {
                all.push(a.clone());
            }
        }
        all
    }

    /// Why the platform's approvals could not be read, if that is so for `stack` on `env`.
    pub fn platform_problem(&self, stack: &StackId, env: &Env) -> Option<String> {
        match self.platform_approvals.get(&(stack.clone(), env.clone())) {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    pub fn flags(&self) -> HashMap<StackId, Vec<String>> {
        self.flags.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_gives_approvals_smoke_runs_and_started_versions() {
        let entries = vec![
            Entry::new(crate::journal::Act::Promote)
                .stack("sally")
                .env("staging")
                .versions("old", "new"),
            Entry::new(crate::journal::Act::Approve)
                .stack("sally")
                .env("live")
                .versions("old", "new"),
            {
                let mut e = Entry::new(crate::journal::Act::Smoke)
                    .stack("sally")
                    .env("staging")
                    .outcome("failed")
                    .detail("Promotion: 2/3 passed; article: expected 200, got 500");
                e.to = Some("new".into());
                e
            },
            // Before the gates: no version, not used.
            Entry::new(crate::journal::Act::Smoke)
                .stack("www")
                .outcome("failed"),
        ];
        let facts = JournalFacts::from_entries(&entries, &Env::live());
        assert!(facts.promoted.contains(&Version::new("new")));
        assert_eq!(facts.approvals.len(), 1);
        assert_eq!(facts.approvals[0].env, Env::live());
        let key = (
            StackId::new("sally"),
            Env::new("staging"),
            Version::new("new"),
        );
        let seen = facts.smoke.get(&key).expect("the run");
        assert!(!seen.passed);
        assert_eq!(seen.summary, "2/3 passed; article: expected 200, got 500");
        assert_eq!(facts.smoke.len(), 1);

        // A read of the journal that began before the last write lacks it: it takes
        // nothing back, and entries seen twice count once.
        let mut again = facts.clone();
        for e in &entries[..2] {
            again.apply(e, &Env::live());
        }
        assert_eq!(again, facts);
    }
}
