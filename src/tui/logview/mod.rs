//! The log view shared by the Logs pane and the Deploy pane: a bounded, filterable,
//! followable list of sanitised lines. The panes own a [`LogViewState`] each, feed it raw
//! lines (or [`crate::feeds::logs::LogFeedEvent`]s), turn keys into its methods and draw it
//! with [`LogView`] / [`render`]. Nothing here performs I/O: saving and copying return the
//! text (or escape sequence) for the caller to hand on.

mod compact;
mod export;
mod json;
mod level;
mod render;
mod state;
mod wrap;

pub use export::osc52;
pub use level::{Level, detect as detect_level};
pub use render::{LogView, LogViewStyles, render};
pub use state::{LogViewState, SaveScope};
