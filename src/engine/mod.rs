//! The one place actions happen. Front ends send `Command`s and receive `Event`s; the
//! engine owns the platform, the release board and the feeds.

mod announce;
mod changes;
mod command;
pub mod confirm_facts;
pub mod confirm_warnings;
mod deploy_watch;
mod deploys;
mod dry_run;
mod event;
mod flags;
pub mod freshness;
mod gate_state;
mod gate_tasks;
pub mod gates;
mod history_task;
mod journal_writer;
pub mod lock;
mod logs;
mod read_only;
mod reads;
mod recovery;
pub mod release;
mod repo_tasks;
mod report;
mod requests;
mod runner;
pub mod verdict;
mod watches;

pub use runner::{EVENT_CAPACITY, EngineHandle, Feeds, start, start_with};

pub use announce::release_key;
pub use command::{Command, Request, RequestId};
pub use event::{
    Action, AnnouncementKind, Answer, ConfigDiffError, DiffResult, Event, FetchError, Outcome,
    Posted, RepoState, SmokeCause, WriteError,
};
