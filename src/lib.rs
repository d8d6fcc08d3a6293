//! slipway: a terminal dashboard for driving a software release from test to live.

pub mod config;
pub mod engine;
pub mod feeds;
pub mod model;
pub mod platform;
pub mod secrets;
pub mod text;
pub mod tui;
