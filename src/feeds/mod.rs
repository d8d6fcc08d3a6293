//! Data that flows in from outside while the dashboard runs.

pub mod logs;
pub mod metrics;
pub mod smoke;
