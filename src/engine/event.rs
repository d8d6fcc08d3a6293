//! What the engine and its feeds tell front ends. Front ends build all their state from these.

pub use crate::engine::changes::{DiffResult, RepoState};
use crate::engine::release::{Board, Refusal};
use crate::model::{DeployState, DeploymentId, DeploymentRef, Env, Instance, StackId, Version};

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// What became of a request (promote, rollback, abort), named by its id.
    Answer {
        id: super::RequestId,
        stack: StackId,
        action: Action,
        answer: Answer,
    },
    /// The engine is read-only: it refuses whatever would change the release (sent once,
    /// first, so the dashboard says so in its header).
    ReadOnly,
    /// The engine is a dry run (`--dry-run`): actions are checked and shown, never sent
    /// (sent once, first, like `ReadOnly`).
    DryRun,
    /// The release board changed (versions, phases). Small, so it is sent whole.
    Board(Board),
    /// A full round of version reads finished (each stack either updated or reported an error).
    Refreshed,
    /// A request was not carried out; `Refusal::can_override` says whether the user may insist.
    Refused {
        action: Action,
        refusal: Refusal,
    },
    /// Who holds the release lock now (`None`: nobody).
    Lock(Option<crate::engine::lock::Holder>),
    /// The pre-flight gates of the release as they stand, sent when they change.
    Gates(crate::engine::gates::Report),
    /// The answer to `Command::CheckGates` (and the check before a promotion, under the
    /// promotion's id).
    GateCheck {
        id: super::RequestId,
        result: Result<crate::engine::gates::Report, Refusal>,
    },
    /// Something went wrong outside slipway (platform, feed); the dashboard goes on.
    Problem {
        context: String,
        message: String,
    },
    /// Something worth a line in the status bar.
    Notice(String),
    DeployStarted {
        stack: StackId,
        deployment: DeploymentRef,
        action: Action,
    },
    /// New output lines of a deployment, in order, unsanitised (front ends sanitise).
    DeployOutput {
        stack: StackId,
        deployment: DeploymentId,
        lines: Vec<String>,
    },
    DeployFinished {
        stack: StackId,
        deployment: DeploymentId,
        state: DeployState,
        message: Option<String>,
    },
    Instances {
        stack: StackId,
        env: Env,
        instances: Vec<Instance>,
    },
    /// Where the repository stands (cloning, ready, failed), in words.
    Repo(RepoState),
    /// A fetch asked for with `Command::Fetch` finished (a clone under way counts as it).
    Fetched(Result<(), FetchError>),
    /// The diff between two versions; every stack on that pair of versions shares it.
    Changes {
        live: Version,
        test: Version,
        changes: DiffResult,
    },
    LineStats(Box<crate::vcs::Commit>),
    /// The patch asked for with `Command::Patch`, or why there is none.
    Patch {
        commit: String,
        result: Result<crate::vcs::patch::Patch, String>,
    },
    /// One metrics round for one stack: values, history, verdicts, source problems.
    Metrics(Box<crate::feeds::metrics::MetricsUpdate>),
    /// What the Logs pane is following now (or why nothing).
    LogTarget {
        stack: StackId,
        instance: Option<String>,
        /// The source in words (`ssh web-1:/var/log/app.log`), or why there is none.
        description: String,
    },
    /// Lines, status changes and gaps of the followed log, unsanitised.
    Log {
        stack: StackId,
        instance: String,
        event: crate::feeds::logs::LogFeedEvent,
    },
    SmokeStarted {
        stack: StackId,
        cause: SmokeCause,
    },
    Smoke {
        stack: StackId,
        cause: SmokeCause,
        report: crate::feeds::smoke::SmokeReport,
    },
    /// A drafted message for the user to read and edit before sending.
    AnnouncementDraft {
        kind: AnnouncementKind,
        text: String,
        /// Where it would go (channels or a webhook's host).
        targets: Vec<String>,
    },
    /// What happened to a post, per channel.
    Announced {
        what: Posted,
        delivery: crate::notify::Delivery,
    },
    FileWritten {
        path: std::path::PathBuf,
        result: Result<usize, WriteError>,
    },
    /// The release report asked for with `Command::DraftReport`, or why there is none.
    ReportDraft(Result<crate::report::Draft, String>),
    /// The journal as a timeline per stack, asked for with `Command::LoadHistory`, or why
    /// it could not be read.
    History(Result<crate::history::Timeline, String>),
    ConfigDiff {
        stack: StackId,
        result: Result<crate::configdiff::ConfigDiff, ConfigDiffError>,
    },
}

/// The engine's word on one request: taken, refused, or finished with an outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Checked and under way: the journal has it, the platform is being asked.
    Accepted,
    /// Not carried out (nothing was sent).
    Refused(Refusal),
    Finished(Outcome),
}

/// How an accepted request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Live runs `version` and, where checks are configured, passed them.
    Live {
        version: Version,
    },
    RolledBack {
        version: Version,
    },
    /// The abort was requested from the platform; the deployment ends aborted.
    AbortRequested,
    /// The deployment ended aborted; live runs `live`.
    Aborted {
        live: Version,
    },
    /// The platform refused or could not be reached: nothing changed on live.
    NotStarted {
        reason: String,
    },
    /// It failed (the deployment, its smoke checks, or an outcome left in doubt).
    Failed {
        reason: String,
    },
    /// `--dry-run`: the checks passed and this is exactly what would be sent; nothing was.
    DryRun {
        plan: Vec<String>,
    },
    /// The approval is recorded (journal; and the platform when `shared`).
    Approved {
        env: Env,
        from: Version,
        to: Version,
        shared: bool,
    },
}

/// Why smoke checks ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmokeCause {
    /// After a promotion: the stack is live only if they pass.
    Promotion,
    /// After a rollback: to show the old version is healthy again.
    Rollback,
    /// Someone asked.
    Request,
}

/// The user-visible action an event refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Promote,
    Rollback,
    Abort,
    /// Posting an announcement or completion message to chat.
    Announce,
    /// Taking the release lock from another operator.
    StealLock,
    /// Posting the release report to the release's chat thread.
    PostReport,
    Approve,
}

impl Action {
    /// The bare verb: "promote", "roll back" (dialog titles, "Dry run: promote Sally").
    pub fn verb(self) -> &'static str {
        match self {
            Action::Promote => "promote",
            Action::Rollback => "roll back",
            Action::Abort => "abort",
            Action::Announce => "announce",
            Action::StealLock => "steal the lock",
            Action::PostReport => "post the report",
            Action::Approve => "approve",
        }
    }

    /// The "-ing" form: "Not promoting: …".
    pub fn progressive(self) -> &'static str {
        match self {
            Action::Promote => "promoting",
            Action::Rollback => "rolling back",
            Action::Abort => "aborting",
            Action::Announce => "announcing",
            Action::StealLock => "stealing the lock",
            Action::PostReport => "posting the report",
            Action::Approve => "approving",
        }
    }

    /// The past form: "Sally promoted".
    pub fn past(self) -> &'static str {
        match self {
            Action::Promote => "promoted",
            Action::Rollback => "rolled back",
            Action::Abort => "aborted",
            Action::Announce => "announced",
            Action::StealLock => "stole the lock",
            Action::PostReport => "posted the report",
            Action::Approve => "approved",
        }
    }
}

/// Which of a release's two announcements: the one before it, or the completion message
/// after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnouncementKind {
    Release,
    Completion,
}

impl AnnouncementKind {
    /// The journal's word (`release message sent to chat`): stable, on disk.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementKind::Release => "release",
            AnnouncementKind::Completion => "completion",
        }
    }

    /// In a sentence: "release announcement", "completion message".
    pub fn words(self) -> &'static str {
        match self {
            AnnouncementKind::Release => "release announcement",
            AnnouncementKind::Completion => "completion message",
        }
    }
}

/// What a post to chat was, as `Event::Announced` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Announcement(AnnouncementKind),
    /// The release report, into the release's thread.
    Report,
    /// A stack's deployment started (the stack's name).
    DeployStart(String),
    /// A stack's deployment ended (the stack's name).
    DeployResult(String),
}

impl std::fmt::Display for Posted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Posted::Announcement(kind) => f.write_str(kind.words()),
            Posted::Report => f.write_str("release report"),
            Posted::DeployStart(stack) => write!(f, "{stack} deploy start"),
            Posted::DeployResult(stack) => write!(f, "{stack} deploy result"),
        }
    }
}

/// Why `Command::Fetch` did not bring the repository up to date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No repository is configured: there is nothing to fetch.
    #[error("no [repo] in config: add path = or url = to see the commits")]
    NotConfigured,
    /// The first clone (which a fetch asked for during it waits on) failed.
    #[error("{0}")]
    Clone(String),
    /// `git fetch` failed or timed out.
    #[error("{0}")]
    Fetch(String),
}

/// Why `Command::WriteFile` did not write the file: the system's error, its kind kept
/// for those who branch on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WriteError {
    pub kind: std::io::ErrorKind,
    pub message: String,
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// Why the configuration diff between two environments is not there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigDiffError {
    /// The platform keeps no configuration per environment (its description).
    #[error("not available: {0} has no configuration per environment")]
    Unsupported(String),
    /// The platform could not give one environment's configuration.
    #[error("{0}")]
    Platform(String),
    /// The configured secret patterns do not compile.
    #[error("{0}")]
    SecretPatterns(String),
}
