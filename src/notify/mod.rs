//! Release announcements in chat: the announcement drafted from the change summary, a
//! thread reply per stack as its deployment starts and finishes, and a completion
//! message in the same thread.
//!
//! This module knows nothing of the engine or the UI.

mod summary;
pub mod template;

pub use summary::{
    CommitLine, Completion, DeployInfo, DeployOutcome, ReleaseSummary, StackLine, StackResult,
};
pub use template::{TemplateError, Templates};
