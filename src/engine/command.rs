//! What front ends ask the engine to do.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::{Env, StackId, Version};

/// Names one request to the engine; the engine's answers to it carry the same id, so a
/// front end knows when its own action was taken, refused or finished without guessing
/// from the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// A new id, unique in this process.
    pub fn next() -> RequestId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        RequestId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A command with the id its answers will carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub command: Command,
}

impl From<Command> for Request {
    fn from(command: Command) -> Request {
        Request {
            id: RequestId::next(),
            command,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Read every stack's versions now instead of waiting for the next refresh.
    Refresh,
    /// Promote test's version of `stack` to live. `expected` is the test version the user
    /// saw when confirming; the engine refuses if test has moved since.
    Promote {
        stack: StackId,
        expected: Option<Version>,
        override_order: bool,
        /// Onto this environment instead of the stack's next promotion's target.
        to: Option<Env>,
        /// Go past blocking pre-flight gates, for this reason (journaled with the gates).
        override_gates: Option<String>,
    },
    /// Judge the pre-flight gates now: the release (`stack` None) or one stack's
    /// promotion (its next, or onto `to`). Answered with `Event::GateCheck`.
    CheckGates {
        stack: Option<StackId>,
        to: Option<Env>,
    },
    /// This user approves the stack's promotion onto `to` (its next when `None`), exactly
    /// as it stands: what `to` runs now → the version going there.
    Approve {
        stack: StackId,
        to: Option<Env>,
    },
    /// Deploy the previous live version (or `to`) back onto live.
    Rollback {
        stack: StackId,
        to: Option<Version>,
    },
    Abort {
        stack: StackId,
    },
    /// Remove another operator's release lock on purpose (`--steal-lock --reason`); the
    /// reason is journaled with whom it was taken from.
    StealLock {
        reason: String,
    },
    /// The user is looking at this stack: its diff goes first, its logs are followed.
    Select {
        stack: StackId,
    },
    /// Fetch the repository (new commits, tags) and retry diffs that failed.
    Fetch,
    /// Count lines added/removed per file of one commit (answered with `Event::LineStats`).
    LineStats {
        commit: Box<crate::vcs::Commit>,
    },
    /// Compare a stack's configuration on test and live (answered with `Event::ConfigDiff`).
    ConfigDiff {
        stack: StackId,
        /// The two environments to compare (later, earlier); the stack's next promotion's
        /// when `None`.
        between: Option<(Env, Env)>,
    },
    /// Run a stack's smoke checks now (answered with `Event::Smoke`).
    Smoke {
        stack: StackId,
    },
    /// Write text to a file (saving a log view): the UI does no I/O of its own.
    WriteFile {
        path: std::path::PathBuf,
        contents: String,
    },
    /// Draft the release announcement or the completion message from the board and the
    /// diffs (answered with `Event::AnnouncementDraft`).
    DraftAnnouncement {
        kind: super::AnnouncementKind,
    },
    /// Post an announcement the user has read and perhaps edited. `force` re-sends posts
    /// whose outcome was unknown.
    Announce {
        text: String,
        kind: super::AnnouncementKind,
        force: bool,
        /// Post once more even where it was delivered (`slipway announce --again`).
        again: bool,
    },
    /// Follow one instance's log (None: the stack's first instance).
    FollowLogs {
        stack: StackId,
        instance: Option<String>,
    },
    /// Ask the platform for a stack's instances (answered with `Event::Instances`).
    ListInstances {
        stack: StackId,
        env: Env,
    },
    /// Build the release report from the journal and the diff (answered with
    /// `Event::ReportDraft`).
    DraftReport {
        scope: crate::report::Scope,
    },
    /// Post the release report (as read, perhaps edited) to the release's chat thread.
    PostReport {
        text: String,
    },
    /// Read the journal as a timeline per stack (answered with `Event::History`).
    LoadHistory,
    /// One commit's patch, bounded (answered with `Event::Patch`).
    Patch {
        commit: String,
    },
}

impl Command {
    /// What carrying this command out would change outside this process, as the action
    /// a read-only engine refuses it as; `None` for commands that only read (or write a
    /// file the user asked for).
    ///
    /// This is the one place a command is classified: the match has no wildcard, so a new
    /// command does not compile until it is put on one side or the other here (and the
    /// test below lists it).
    pub fn mutation(&self) -> Option<super::Action> {
        use super::Action;
        match self {
            Command::Promote { .. } => Some(Action::Promote),
            Command::Rollback { .. } => Some(Action::Rollback),
            Command::Abort { .. } => Some(Action::Abort),
            Command::StealLock { .. } => Some(Action::StealLock),
            Command::Announce { .. } => Some(Action::Announce),
            Command::PostReport { .. } => Some(Action::PostReport),
            // Recorded in the journal and, where it can, on the platform: it changes who
            // may promote.
            Command::Approve { .. } => Some(Action::Approve),
            // Reads: the platform's versions and instances, the repository, the feeds.
            Command::CheckGates { .. }
            | Command::Refresh
            | Command::Select { .. }
            | Command::Fetch
            | Command::LineStats { .. }
            | Command::ConfigDiff { .. }
            | Command::FollowLogs { .. }
            | Command::ListInstances { .. }
            | Command::DraftAnnouncement { .. }
            | Command::DraftReport { .. }
            | Command::LoadHistory
            | Command::Patch { .. } => None,
            // GET requests to the stack's own endpoints: they change nothing, and a
            // read-only watcher may want to know whether the site answers.
            Command::Smoke { .. } => None,
            // A local file the user named (a saved log view or report), not the release.
            Command::WriteFile { .. } => None,
        }
    }

    /// Whether a read-only engine refuses it: it would deploy, abort, post to chat, or
    /// take the release lock.
    pub fn is_mutating(&self) -> bool {
        self.mutation().is_some()
    }

    /// The stack it is about, for the answer to a refused request.
    pub fn stack(&self) -> Option<&StackId> {
        match self {
            Command::Promote { stack, .. }
            | Command::Rollback { stack, .. }
            | Command::Abort { stack }
            | Command::Select { stack }
            | Command::ConfigDiff { stack, .. }
            | Command::Smoke { stack }
            | Command::FollowLogs { stack, .. }
            | Command::ListInstances { stack, .. } => Some(stack),
            _ => None,
        }
    }

    /// For the diagnostics log: the command without bulky or user-written text.
    pub fn describe(&self) -> String {
        match self {
            Command::WriteFile { path, contents } => {
                format!(
                    "WriteFile {{ path: {}, {} bytes }}",
                    path.display(),
                    contents.len()
                )
            }
            Command::Announce {
                kind, force, text, ..
            } => {
                format!(
                    "Announce {{ kind: {kind:?}, force: {force}, {} chars }}",
                    text.len()
                )
            }
            Command::LineStats { commit } => format!("LineStats {{ {} }}", commit.short),
            Command::PostReport { text } => format!("PostReport {{ {} chars }}", text.len()),
            other => format!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Action;

    /// One command of every kind. `kind` below has no wildcard either: a new command
    /// fails to compile here until it has a sample, and the assertions say which
    /// side of `mutation` it must be on.
    fn one_of_each() -> Vec<Command> {
        let stack = StackId::new("sally");
        vec![
            Command::Refresh,
            Command::Promote {
                stack: stack.clone(),
                expected: None,
                override_order: false,
                to: None,
                override_gates: None,
            },
            Command::Rollback {
                stack: stack.clone(),
                to: None,
            },
            Command::Abort {
                stack: stack.clone(),
            },
            Command::StealLock { reason: "r".into() },
            Command::Select {
                stack: stack.clone(),
            },
            Command::Fetch,
            Command::LineStats {
                commit: Box::new(crate::vcs::Commit {
                    id: "a".into(),
                    short: "a".into(),
                    author: String::new(),
                    email: String::new(),
                    time: chrono::Utc::now(),
                    subject: String::new(),
                    body: String::new(),
                    pr: None,
                    files: Vec::new(),
                    risks: Vec::new(),
                    merged: Vec::new(),
                    is_merge: false,
                }),
            },
            Command::ConfigDiff {
                stack: stack.clone(),
                between: None,
            },
            Command::Smoke {
                stack: stack.clone(),
            },
            Command::WriteFile {
                path: "x".into(),
                contents: String::new(),
            },
            Command::DraftAnnouncement {
                kind: crate::engine::AnnouncementKind::Release,
            },
            Command::Announce {
                text: String::new(),
                kind: crate::engine::AnnouncementKind::Release,
                force: false,
                again: false,
            },
            Command::FollowLogs {
                stack: stack.clone(),
                instance: None,
            },
            Command::ListInstances {
                stack: stack.clone(),
                env: Env::live(),
            },
            Command::DraftReport {
                scope: Default::default(),
            },
            Command::PostReport {
                text: String::new(),
            },
            Command::CheckGates {
                stack: None,
                to: None,
            },
            Command::Approve { stack, to: None },
            Command::LoadHistory,
            Command::Patch { commit: "a".into() },
        ]
    }

    fn kind(c: &Command) -> usize {
        match c {
            Command::Refresh => 0,
            Command::Promote { .. } => 1,
            Command::Rollback { .. } => 2,
            Command::Abort { .. } => 3,
            Command::StealLock { .. } => 4,
            Command::Select { .. } => 5,
            Command::Fetch => 6,
            Command::LineStats { .. } => 7,
            Command::ConfigDiff { .. } => 8,
            Command::Smoke { .. } => 9,
            Command::WriteFile { .. } => 10,
            Command::DraftAnnouncement { .. } => 11,
            Command::Announce { .. } => 12,
            Command::FollowLogs { .. } => 13,
            Command::ListInstances { .. } => 14,
            Command::DraftReport { .. } => 15,
            Command::PostReport { .. } => 16,
            Command::CheckGates { .. } => 17,
            Command::Approve { .. } => 18,
            Command::LoadHistory => 19,
            Command::Patch { .. } => 20,
        }
    }

    #[test]
    fn every_command_is_classified_and_sampled() {
        let all = one_of_each();
        let mut kinds: Vec<usize> = all.iter().map(kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(
            kinds,
            (0..=20).collect::<Vec<_>>(),
            "one sample per command"
        );
        let mutating: Vec<(usize, Action)> = all
            .iter()
            .filter_map(|c| c.mutation().map(|a| (kind(c), a)))
            .collect();
        // Everything that deploys, aborts, posts to chat or takes the lock; nothing else.
        assert_eq!(
            mutating,
            [
                (1, Action::Promote),
                (2, Action::Rollback),
                (3, Action::Abort),
                (4, Action::StealLock),
                (12, Action::Announce),
                (16, Action::PostReport),
                (18, Action::Approve),
            ]
        );
    }
}
