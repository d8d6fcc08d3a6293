//! A stack's smoke tests as the dashboard knows them.

use crate::feeds::smoke::SmokeReport;

#[derive(Debug, Clone, PartialEq)]
pub enum Smoke {
    Running,
    Done(SmokeReport),
}
