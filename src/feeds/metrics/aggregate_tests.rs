#![allow(clippy::float_cmp)] // the exact values parsed and computed are the point
use std::collections::BTreeMap;

use chrono::{Duration, TimeZone};

use super::*;
use crate::feeds::metrics::exposition::{Wanted, parse};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0)
        .single()
        .unwrap_or_default()
}

fn query(metric: &str, labels: &[(&str, &str)], aggregate: Aggregate, q: Option<f64>) -> Query {
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Query::compile(&ScrapeQuery {
        metric: metric.into(),
        labels,
        aggregate,
        quantile: q,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn select(q: &Query, text: &str, at: DateTime<Utc>) -> Selection {
    let e = parse(text, at, &Wanted::all());
    assert_eq!(e.not_understood, 0, "{:?}", e.examples);
    q.select(&e.samples, at)
}

/// Aggregates one query over instances, each given as (previous text, current text).
fn agg(q: &Query, instances: &[(Option<&str>, &str)], dt_secs: i64) -> Aggregated {
    let sel: Vec<(Option<Selection>, Selection)> = instances
        .iter()
        .map(|(prev, cur)| {
            (
                prev.map(|p| select(q, p, t0())),
                select(q, cur, t0() + Duration::seconds(dt_secs)),
            )
        })
        .collect();
    let readings: Vec<InstanceReading<'_>> = sel
        .iter()
        .map(|(p, c)| InstanceReading {
            previous: p.as_ref(),
            current: c,
        })
        .collect();
    aggregate(q, &readings)
}

const A1: &str = r#"# HELP http_requests_total Requests handled.
# TYPE http_requests_total counter
http_requests_total{code="200",method="GET"} 1000
http_requests_total{code="200",method="POST"} 100
http_requests_total{code="503",method="GET"} 10
# HELP inflight Requests in flight.
# TYPE inflight gauge
inflight{pool="a"} 3
inflight{pool="b"} 5
inflight{pool="c"} NaN
# HELP lat Request latency.
# TYPE lat histogram
lat_bucket{route="/",le="0.1"} 100
lat_bucket{route="/",le="0.5"} 180
lat_bucket{route="/",le="1"} 200
lat_bucket{route="/",le="+Inf"} 200
lat_sum{route="/"} 40
lat_count{route="/"} 200
lat_bucket{route="/health",le="0.1"} 50
lat_bucket{route="/health",le="0.5"} 50
lat_bucket{route="/health",le="1"} 50
lat_bucket{route="/health",le="+Inf"} 50
"#;

// Ten seconds later: 600 more GETs, 50 more POSTs, 20 more 503s, 100 more observations on /.
const A2: &str = r#"# TYPE http_requests_total counter
http_requests_total{code="200",method="GET"} 1600
http_requests_total{code="200",method="POST"} 150
http_requests_total{code="503",method="GET"} 30
# TYPE inflight gauge
inflight{pool="a"} 4
inflight{pool="b"} 6
inflight{pool="c"} NaN
# TYPE lat histogram
lat_bucket{route="/",le="0.1"} 110
lat_bucket{route="/",le="0.5"} 190
lat_bucket{route="/",le="1"} 300
lat_bucket{route="/",le="+Inf"} 300
lat_bucket{route="/health",le="0.1"} 50
lat_bucket{route="/health",le="0.5"} 50
lat_bucket{route="/health",le="1"} 50
lat_bucket{route="/health",le="+Inf"} 50
"#;

// The second instance restarted between scrapes: its counters start again.
const B1: &str = "# TYPE http_requests_total counter\n\
    http_requests_total{code=\"200\",method=\"GET\"} 5000\n\
    # TYPE inflight gauge\ninflight{pool=\"a\"} 10\n";
const B2: &str = "# TYPE http_requests_total counter\n\
    http_requests_total{code=\"200\",method=\"GET\"} 40\n\
    # TYPE inflight gauge\ninflight{pool=\"a\"} +Inf\n";

fn approx(a: Option<f64>, b: f64) {
    match a {
        Some(a) => assert!((a - b).abs() < 1e-9, "{a} != {b}"),
        None => panic!("no value, expected {b}"),
    }
}

#[test]
fn gauges_sum_avg_max_min_skip_nan() {
    let q = |a| query("inflight", &[], a, None);
    approx(agg(&q(Aggregate::Sum), &[(None, A2)], 10).value, 10.0);
    approx(agg(&q(Aggregate::Avg), &[(None, A2)], 10).value, 5.0);
    approx(agg(&q(Aggregate::Max), &[(None, A2)], 10).value, 6.0);
    approx(agg(&q(Aggregate::Min), &[(None, A2)], 10).value, 4.0);
    // Across instances; label matchers (exact and anchored regex).
    let pool_a = query("inflight", &[("pool", "a")], Aggregate::Sum, None);
    approx(agg(&pool_a, &[(None, A1), (None, B1)], 10).value, 13.0);
    let ab = query("inflight", &[("pool", "~a|b")], Aggregate::Avg, None);
    approx(agg(&ab, &[(None, A1)], 10).value, 4.0);
    let anchored = query("inflight", &[("pool", "~")], Aggregate::Sum, None);
    approx(agg(&anchored, &[(None, A1)], 10).value, 0.0);
}

#[test]
fn infinity_survives_aggregation_but_is_no_value_after_scaling() {
    let q = query("inflight", &[("pool", "a")], Aggregate::Max, None);
    let a = agg(&q, &[(None, A2), (None, B2)], 10);
    assert_eq!(a.value, Some(f64::INFINITY));
    assert_eq!(scaled(a, 1.0).value, None);
}

#[test]
fn rate_of_counters_across_instances_handles_resets() {
    let q = query("http_requests_total", &[], Aggregate::Rate, None);
    // A alone: (600 + 50 + 20) / 10 s.
    approx(agg(&q, &[(Some(A1), A2)], 10).value, 67.0);
    // B restarted: its increase is its new value, 40 / 10 s.
    approx(agg(&q, &[(Some(A1), A2), (Some(B1), B2)], 10).value, 71.0);
    // Without a previous scrape there is no rate yet.
    assert_eq!(agg(&q, &[(None, A2)], 10).value, None);
    let errors = query(
        "http_requests_total",
        &[("code", "~5..")],
        Aggregate::Rate,
        None,
    );
    approx(agg(&errors, &[(Some(A1), A2)], 10).value, 2.0);
}

#[test]
fn a_labelled_counter_that_appears_counts_from_zero_and_absence_is_zero() {
    let errors = query(
        "http_requests_total",
        &[("code", "500")],
        Aggregate::Rate,
        None,
    );
    let before = "http_requests_total{code=\"200\"} 10\n";
    let after = "http_requests_total{code=\"200\"} 20\nhttp_requests_total{code=\"500\"} 5\n";
    approx(agg(&errors, &[(Some(before), after)], 5).value, 1.0);
    // No 500s at all yet: the error rate is zero, not missing.
    approx(agg(&errors, &[(Some(before), before)], 5).value, 0.0);
    let sum = query(
        "http_requests_total",
        &[("code", "500")],
        Aggregate::Sum,
        None,
    );
    approx(agg(&sum, &[(None, before)], 5).value, 0.0);
    // A metric no instance has is missing, not zero.
    let other = query("nope_total", &[], Aggregate::Rate, None);
    assert_eq!(agg(&other, &[(Some(before), after)], 5).value, None);
    let other = query("nope", &[], Aggregate::Sum, None);
    assert_eq!(agg(&other, &[(None, after)], 5).value, None);
}

#[test]
fn quantile_from_bucket_rates_summed_by_le() {
    // Over 10 s, on "/": 10 in ≤0.1, none in (0.1,0.5], 90 in (0.5,1]; "/health" saw
    // nothing. Per second, cumulative: 1, 1, 10, 10.
    let q = query("lat", &[], Aggregate::Quantile, Some(0.5));
    let a = agg(&q, &[(Some(A1), A2)], 10);
    // Rank 5 of 10 lies 4 into the (0.5, 1] bucket of 9 → 0.5 + 0.5 × 4/9.
    approx(a.value, 0.5 + 0.5 * 4.0 / 9.0);
    approx(a.traffic, 10.0);
    let p10 = query(
        "lat_bucket",
        &[("route", "/")],
        Aggregate::Quantile,
        Some(0.1),
    );
    approx(agg(&p10, &[(Some(A1), A2)], 10).value, 0.1);
    // Only /health: no observations, so no latency (and zero traffic).
    let h = query(
        "lat",
        &[("route", "/health")],
        Aggregate::Quantile,
        Some(0.99),
    );
    let a = agg(&h, &[(Some(A1), A2)], 10);
    assert_eq!(a.value, None);
    assert_eq!(a.traffic, Some(0.0));
    // Two instances sum their bucket rates before interpolating.
    let a = agg(&q, &[(Some(A1), A2), (Some(A1), A2)], 10);
    approx(a.value, 0.5 + 0.5 * 4.0 / 9.0);
    approx(a.traffic, 20.0);
}

#[test]
fn quantile_of_untyped_buckets() {
    let q = query("lat", &[], Aggregate::Quantile, Some(0.9));
    let prev = "lat_bucket{le=\"1\"} 0\nlat_bucket{le=\"2\"} 0\nlat_bucket{le=\"+Inf\"} 0\n";
    let cur = "lat_bucket{le=\"1\"} 50\nlat_bucket{le=\"2\"} 100\nlat_bucket{le=\"+Inf\"} 100\n";
    approx(agg(&q, &[(Some(prev), cur)], 10).value, 1.8);
}

#[test]
fn histogram_quantile_matches_prometheus_edge_cases() {
    // Rank in the +Inf bucket: the highest finite bound.
    let mut b = vec![(1.0, 1.0), (2.0, 2.0), (f64::INFINITY, 10.0)];
    assert_eq!(histogram_quantile(0.99, &mut b), Some(2.0));
    // No +Inf bucket, or no observations: no value.
    assert_eq!(histogram_quantile(0.5, &mut [(1.0, 1.0), (2.0, 2.0)]), None);
    assert_eq!(
        histogram_quantile(0.5, &mut [(1.0, 0.0), (f64::INFINITY, 0.0)]),
        None
    );
    // A first bucket with a negative bound is returned as it is.
    let mut b = vec![(-1.0, 5.0), (0.0, 6.0), (f64::INFINITY, 6.0)];
    assert_eq!(histogram_quantile(0.5, &mut b), Some(-1.0));
    // Non-monotonic counts are made monotonic.
    let mut b = vec![(1.0, 10.0), (2.0, 5.0), (f64::INFINITY, 10.0)];
    assert_eq!(histogram_quantile(0.5, &mut b), Some(0.5));
    assert_eq!(histogram_quantile(f64::NAN, &mut b), None);
}

#[test]
fn ratio_has_no_value_for_zero_over_zero() {
    let v = |x: f64| Aggregated {
        value: Some(x),
        traffic: None,
    };
    approx(ratio(v(2.0), v(67.0), 100.0).value, 200.0 / 67.0);
    assert_eq!(ratio(v(2.0), v(67.0), 100.0).traffic, Some(67.0));
    assert_eq!(ratio(v(0.0), v(0.0), 100.0).value, None);
    assert_eq!(ratio(v(1.0), v(0.0), 1.0).value, None);
    assert_eq!(ratio(Aggregated::default(), v(1.0), 1.0).value, None);
    assert_eq!(ratio(v(f64::NAN), v(1.0), 1.0).value, None);
}

#[test]
fn counter_increase_is_prometheus_like() {
    assert_eq!(counter_increase(10.0, 15.0), 5.0);
    assert_eq!(counter_increase(10.0, 3.0), 3.0);
    assert_eq!(counter_increase(0.0, 0.0), 0.0);
}
