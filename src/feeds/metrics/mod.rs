//! Metrics feed: Prometheus exposition scraped from every instance, and PromQL.

pub mod aggregate;
pub mod exposition;
