//! The dashboard's panes, one module each.

pub mod deploy;
pub mod placeholder;
pub mod stacks;
