//! Feeds: tasks that watch something outside slipway and report what they see as plain data.
//! They never import `tui`: the engine forwards their events to whichever front end runs.

pub mod logs;
