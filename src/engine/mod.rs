//! The one place actions happen. Front ends send `Command`s and receive `Event`s; the
//! engine owns the platform, the release board and the feeds.

mod announce;
mod changes;
mod command;
mod deploy_watch;
mod deploys;
mod event;
mod journal_writer;
mod logs;
pub mod release;
mod repo_tasks;
mod runner;
mod watches;

pub use runner::{EVENT_CAPACITY, EngineHandle, start};

pub use announce::release_key;
pub use command::Command;
pub use event::{Action, DiffResult, Event, RepoState, SmokeCause};
