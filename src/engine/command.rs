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
    /// Draft the release announcement (or, with `completion`, the completion message)
    /// from the board and the diffs (answered with `Event::AnnouncementDraft`).
    DraftAnnouncement {
        completion: bool,
    },
    /// Post an announcement the user has read and perhaps edited. `force` re-sends posts
    /// whose outcome was unknown.
    Announce {
        text: String,
        completion: bool,
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
}

impl Command {
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
                completion,
                force,
                text,
                ..
            } => {
                format!(
                    "Announce {{ completion: {completion}, force: {force}, {} chars }}",
                    text.len()
                )
            }
            Command::LineStats { commit } => format!("LineStats {{ {} }}", commit.short),
            other => format!("{other:?}"),
        }
    }
}
