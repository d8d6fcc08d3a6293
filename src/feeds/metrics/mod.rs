//! Metrics feed: Prometheus exposition scraped from every instance, and PromQL.

pub mod aggregate;
pub mod anomaly;
pub mod control;
pub mod exposition;
pub mod history;
