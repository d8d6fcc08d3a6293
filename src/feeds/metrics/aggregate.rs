//! From samples to one number per series: select by metric name and label matchers on each
//! instance, then aggregate across instances (sum, avg, max, min, counter rate, histogram
//! quantile), optionally divided by a second query and scaled.
//!
//! Counter arithmetic follows Prometheus: a counter that went down was reset, so its
//! increase is its new value; a quantile is `histogram_quantile` over the per-second
//! increase of the buckets summed by `le` across instances.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use regex::Regex;

use super::exposition::{Sample, Value};
use crate::config::{Aggregate, ScrapeQuery};

/// A compiled [`ScrapeQuery`].
#[derive(Debug, Clone)]
pub struct Query {
    pub metric: String,
    matchers: Vec<(String, Matcher)>,
    pub aggregate: Aggregate,
    quantile: f64,
}

#[derive(Debug, Clone)]
enum Matcher {
    Exact(String),
    /// Anchored at both ends, as `PromQL`'s `=~`.
    Regex(Regex),
}

impl Query {
    pub fn compile(q: &ScrapeQuery) -> Result<Query, String> {
        let mut matchers = Vec::new();
        for (label, value) in &q.labels {
            let m = match value.strip_prefix('~') {
                Some(re) => Matcher::Regex(
                    Regex::new(&format!("^(?:{re})$"))
                        .map_err(|e| format!("label {label}: bad regex: {e}"))?,
                ),
                None => Matcher::Exact(value.clone()),
            };
            matchers.push((label.clone(), m));
        }
        Ok(Query {
            metric: q.metric.clone(),
            matchers,
            aggregate: q.aggregate,
            quantile: q.quantile.unwrap_or(0.5),
        })
    }

    fn matches(&self, labels: &HashMap<String, String>) -> bool {
        self.matchers.iter().all(|(name, m)| {
            // An absent label matches the empty string, as in PromQL.
            let v = labels.get(name).map_or("", String::as_str);
            match m {
                Matcher::Exact(want) => v == want,
                Matcher::Regex(re) => re.is_match(v),
            }
        })
    }

    /// What one instance's scrape, read at `at`, holds for this query.
    pub fn select(&self, samples: &[Sample], at: DateTime<Utc>) -> Selection {
        let mut sel = Selection {
            at: Some(at),
            ..Selection::default()
        };
        match self.aggregate {
            Aggregate::Quantile => self.select_buckets(samples, &mut sel),
            _ => {
                for s in samples.iter().filter(|s| s.metric == self.metric) {
                    let v = match s.value {
                        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                        Value::Histogram(_) | Value::Summary(_) => continue,
                    };
                    sel.metric_seen = true;
                    if self.matches(&s.labels) {
                        sel.series.push(Selected {
                            key: s.labels.to_string(),
                            at: s.timestamp,
                            reading: Reading::Scalar(v),
                        });
                    }
                }
            }
        }
        sel
    }

    /// Histogram buckets: typed histograms (named by their base name), and `_bucket` lines
    /// of exporters that leave out the `# TYPE` line.
    fn select_buckets(&self, samples: &[Sample], sel: &mut Selection) {
        let base = self.metric.strip_suffix("_bucket").unwrap_or(&self.metric);
        let bucket_name = format!("{base}_bucket");
        let mut untyped: HashMap<String, Selected> = HashMap::new();
        for s in samples {
            if s.metric == base
                && let Value::Histogram(buckets) = &s.value
            {
                sel.metric_seen = true;
                if self.matches(&s.labels) {
                    let mut b: Vec<(f64, f64)> =
                        buckets.iter().map(|c| (c.less_than, c.count)).collect();
                    b.sort_by(|x, y| x.0.total_cmp(&y.0));
                    sel.series.push(Selected {
                        key: s.labels.to_string(),
                        at: s.timestamp,
                        reading: Reading::Buckets(b),
                    });
                }
            } else if s.metric == bucket_name
                && let Value::Counter(v) | Value::Untyped(v) = s.value
                && let Some(le) = s.labels.get("le").and_then(super::exposition::parse_float)
            {
                sel.metric_seen = true;
                let mut labels = (*s.labels).clone();
                labels.remove("le");
                if self.matches(&labels) {
                    let key = label_key(&labels);
                    let entry = untyped.entry(key.clone()).or_insert_with(|| Selected {
                        key,
                        at: s.timestamp,
                        reading: Reading::Buckets(Vec::new()),
                    });
                    if let Reading::Buckets(b) = &mut entry.reading {
                        b.push((le, v));
                    }
                }
            }
        }
        for (_, mut s) in untyped {
            if let Reading::Buckets(b) = &mut s.reading {
                b.sort_by(|x, y| x.0.total_cmp(&y.0));
            }
            sel.series.push(s);
        }
    }
}

fn label_key(labels: &HashMap<String, String>) -> String {
    let mut pairs: Vec<_> = labels.iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(",")
}

/// What one instance's scrape holds for one query: only the matching series, so that the
/// previous round's can be kept for rates without keeping whole scrapes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// When the scrape was read.
    pub at: Option<DateTime<Utc>>,
    /// Whether the metric exists at all on this instance (if it does but no series matches
    /// the labels, a sum is 0: a labelled counter is only created on its first increment).
    pub metric_seen: bool,
    pub series: Vec<Selected>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    /// The series' labels (without `le`), to pair it with the previous scrape's.
    pub key: String,
    pub at: DateTime<Utc>,
    pub reading: Reading,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Scalar(f64),
    /// Cumulative `(le, count)` pairs, sorted by `le`.
    Buckets(Vec<(f64, f64)>),
}

/// One instance's selection now, and in the round before (for rates).
#[derive(Debug, Clone, Copy)]
pub struct InstanceReading<'a> {
    pub previous: Option<&'a Selection>,
    pub current: &'a Selection,
}

/// One number for one query across instances, and how much traffic stands behind it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Aggregated {
    /// `None` when there is nothing to compute from (no instance has the metric, no earlier
    /// scrape to take a rate over, a histogram without observations).
    pub value: Option<f64>,
    /// For histograms: observations per second. A latency from three requests means little.
    pub traffic: Option<f64>,
}

/// Aggregates one query over every instance's reading.
pub fn aggregate(q: &Query, readings: &[InstanceReading<'_>]) -> Aggregated {
    let seen = readings.iter().any(|r| r.current.metric_seen);
    let scalars = || {
        readings
            .iter()
            .flat_map(|r| r.current.series.iter())
            .filter_map(|s| match s.reading {
                // NaN means "no value" (a gauge nobody set, a summary without observations).
                Reading::Scalar(v) if !v.is_nan() => Some(v),
                _ => None,
            })
    };
    let value = match q.aggregate {
        Aggregate::Sum => seen.then(|| scalars().sum()),
        Aggregate::Avg => {
            let (n, total) = scalars().fold((0usize, 0.0), |(n, t), v| (n + 1, t + v));
            (n > 0).then(|| total / n as f64)
        }
        Aggregate::Max => scalars().reduce(f64::max),
        Aggregate::Min => scalars().reduce(f64::min),
        Aggregate::Rate => rate(readings),
        Aggregate::Quantile => {
            let summed = bucket_rates(readings);
            // Observations per second: the +Inf bucket, which counts every one.
            let traffic = summed
                .as_ref()
                .map(|b| b.iter().map(|&(_, c)| c).fold(0.0, f64::max));
            return Aggregated {
                value: summed.and_then(|mut b| histogram_quantile(q.quantile, &mut b)),
                traffic,
            };
        }
    };
    Aggregated {
        value,
        traffic: None,
    }
}

/// The increase of a counter between two readings, a reset counted as a restart from zero.
pub fn counter_increase(previous: f64, current: f64) -> f64 {
    if current < previous {
        current
    } else {
        current - previous
    }
}

fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> Option<f64> {
    let dt = (b - a).num_milliseconds() as f64 / 1000.0;
    (dt > 0.0).then_some(dt)
}

/// Per-second increase summed over every matching series of every instance that has a
/// previous reading. `None` until at least one instance has been read twice.
fn rate(readings: &[InstanceReading<'_>]) -> Option<f64> {
    let mut total = None;
    for r in readings {
        let Some(prev) = r.previous else { continue };
        let before: HashMap<&str, &Selected> =
            prev.series.iter().map(|s| (s.key.as_str(), s)).collect();
        let mut sum = 0.0;
        for s in &r.current.series {
            let Reading::Scalar(v) = s.reading else {
                continue;
            };
            // A series new since the last scrape was created by its first increments.
            let (p, since) = match before.get(s.key.as_str()) {
                Some(p) => match p.reading {
                    Reading::Scalar(pv) => (pv, p.at),
                    Reading::Buckets(_) => continue,
                },
                None if prev.metric_seen => match prev.at {
                    Some(at) => (0.0, at),
                    None => continue,
                },
                None => continue,
            };
            if v.is_nan() || p.is_nan() {
                continue;
            }
            if let Some(dt) = seconds_between(since, s.at) {
                sum += counter_increase(p, v) / dt;
            }
        }
        if prev.metric_seen || r.current.metric_seen {
            *total.get_or_insert(0.0) += sum;
        }
    }
    total
}

/// Per-second increase of every bucket, summed by `le` across series and instances.
fn bucket_rates(readings: &[InstanceReading<'_>]) -> Option<Vec<(f64, f64)>> {
    let mut by_le: HashMap<u64, (f64, f64)> = HashMap::new();
    let mut any = false;
    for r in readings {
        let Some(prev) = r.previous else { continue };
        // Read twice with the metric present: no buckets then means no observations.
        any |= prev.metric_seen || r.current.metric_seen;
        let before: HashMap<&str, &Selected> =
            prev.series.iter().map(|s| (s.key.as_str(), s)).collect();
        for s in &r.current.series {
            let Reading::Buckets(cur) = &s.reading else {
                continue;
            };
            // A series new since the last scrape counts from zero, as for counters.
            let (old, since): (&[(f64, f64)], _) = match before.get(s.key.as_str()) {
                Some(p) => match &p.reading {
                    Reading::Buckets(old) => (old, p.at),
                    Reading::Scalar(_) => continue,
                },
                None if prev.metric_seen => match prev.at {
                    Some(at) => (&[], at),
                    None => continue,
                },
                None => continue,
            };
            let Some(dt) = seconds_between(since, s.at) else {
                continue;
            };
            for &(le, count) in cur {
                let old_count = old
                    .iter()
                    .find(|(ole, _)| ole.to_bits() == le.to_bits())
                    .map_or(0.0, |&(_, c)| c);
                let e = by_le.entry(le.to_bits()).or_insert((le, 0.0));
                e.1 += counter_increase(old_count, count) / dt;
            }
        }
    }
    if !any {
        return None;
    }
    let mut buckets: Vec<(f64, f64)> = by_le.into_values().collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(buckets)
}

/// Prometheus' `histogram_quantile`: linear interpolation within the bucket the rank falls
/// in. `buckets` are cumulative `(le, count)` pairs sorted by `le`; the last must be `+Inf`.
/// `None` where Prometheus answers NaN (no observations, no `+Inf` bucket).
pub fn histogram_quantile(q: f64, buckets: &mut [(f64, f64)]) -> Option<f64> {
    if buckets.len() < 2 || q.is_nan() {
        return None;
    }
    if buckets.last().map(|b| b.0) != Some(f64::INFINITY) {
        return None;
    }
    // Counts that go down between buckets come from scrapes racing increments; Prometheus
    // makes them monotonic the same way.
    let mut max = f64::NEG_INFINITY;
    for b in buckets.iter_mut() {
        if b.1.is_nan() {
            return None;
        }
        max = max.max(b.1);
        b.1 = max;
    }
    let observations = buckets[buckets.len() - 1].1;
    if observations <= 0.0 {
        return None;
    }
    if q < 0.0 {
        return Some(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return Some(f64::INFINITY);
    }
    let rank = q * observations;
    let b = buckets
        .iter()
        .position(|&(_, c)| c >= rank)
        .unwrap_or(buckets.len() - 1);
    if b == buckets.len() - 1 {
        return Some(buckets[buckets.len() - 2].0);
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return Some(buckets[0].0);
    }
    let (start, count_before) = if b == 0 {
        (0.0, 0.0)
    } else {
        (buckets[b - 1].0, buckets[b - 1].1)
    };
    let end = buckets[b].0;
    let in_bucket = buckets[b].1 - count_before;
    if in_bucket <= 0.0 {
        return Some(start);
    }
    Some(start + (end - start) * (rank - count_before) / in_bucket)
}

/// `numerator / denominator × scale`, with no value (not NaN or ∞ on screen) when the
/// denominator is zero or either side is missing. The denominator is the traffic.
pub fn ratio(numerator: Aggregated, denominator: Aggregated, scale: f64) -> Aggregated {
    let value = match (numerator.value, denominator.value) {
        (Some(n), Some(d)) if d != 0.0 => finite(n / d * scale),
        _ => None,
    };
    Aggregated {
        value,
        traffic: denominator.value,
    }
}

/// Scales a value; non-finite results become "no value".
pub fn scaled(a: Aggregated, scale: f64) -> Aggregated {
    Aggregated {
        value: a.value.and_then(|v| finite(v * scale)),
        traffic: a.traffic,
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
