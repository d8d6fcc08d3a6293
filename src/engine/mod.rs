//! The one place actions happen. Front ends send `Command`s and receive `Event`s; the
//! engine owns the platform, the release board and the feeds.

mod command;
mod event;
pub mod release;

pub use command::Command;
pub use event::{Action, Event};
