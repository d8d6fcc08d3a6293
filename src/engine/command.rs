//! What front ends ask the engine to do.

use crate::model::{Env, StackId, Version};

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
    },
    /// Deploy the previous live version (or `to`) back onto live.
    Rollback {
        stack: StackId,
        to: Option<Version>,
    },
    Abort {
        stack: StackId,
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
