//! The dashboard's panes, one module each.

pub mod changes;
pub mod deploy;
pub mod placeholder;
pub mod stacks;
