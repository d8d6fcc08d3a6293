//! The dashboard's panes, one module each.

pub mod changes;
pub mod deploy;
pub mod logs;
pub mod metrics;
pub mod stacks;
