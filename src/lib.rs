//! slipway: a terminal dashboard for driving a software release from test to live.

pub mod cli;
pub mod config;
pub mod configdiff;
pub mod demo;
pub mod engine;
pub mod feeds;
pub mod history;
pub mod http_body;
pub mod journal;
pub mod model;
pub mod notify;
pub mod platform;
pub mod report;
pub mod secrets;
pub mod telemetry;
pub mod text;
pub mod tui;
pub mod validation;
pub mod vcs;
