//! The embedded simulated environment behind `slipway demo`.

mod assets;
mod env_config;
mod platform_sim;
mod repo;
mod topology;
