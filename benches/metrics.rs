//! Metrics budgets. A round every 5 s over 200 endpoints must stay under 10% of one core:
//! one scrape-and-aggregate round under 500 ms of CPU.
//!
//! `cargo bench --bench metrics`. Results and the machine go in docs/metrics.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use slipway::config::{
    Aggregate, AnomalyConfig, BadDirection, MetricsConfig, ScrapeQuery, SeriesConfig,
};
use slipway::feeds::metrics::Feed;
use slipway::feeds::metrics::exposition::{Wanted, parse};
use slipway::model::{Instance, StackId};

/// About 2,000 sample lines as a service's exporter writes them: a latency histogram per
/// route, request counters by route and code, process gauges, and many other families.
fn exposition(seed: u64) -> String {
    let mut s = String::with_capacity(256 * 1024);
    let routes = 20;
    let w = &mut s;
    let _ = writeln!(w, "# HELP http_request_duration_seconds Request latency.");
    let _ = writeln!(w, "# TYPE http_request_duration_seconds histogram");
    let les = [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
    ];
    for r in 0..routes {
        let mut cum = 0u64;
        for (i, le) in les.iter().enumerate() {
            cum += (seed + r + i as u64) * 7 % 100 + 1;
            let _ = writeln!(
                w,
                "http_request_duration_seconds_bucket{{handler=\"/api/v1/r{r}\",method=\"GET\",le=\"{le}\"}} {cum}"
            );
        }
        let _ = writeln!(
            w,
            "http_request_duration_seconds_sum{{handler=\"/api/v1/r{r}\",method=\"GET\"}} {}.5",
            cum / 10
        );
        let _ = writeln!(
            w,
            "http_request_duration_seconds_count{{handler=\"/api/v1/r{r}\",method=\"GET\"}} {cum}"
        );
    }
    let _ = writeln!(w, "# HELP http_requests_total Requests handled.");
    let _ = writeln!(w, "# TYPE http_requests_total counter");
    for r in 0..routes {
        for code in ["200", "404", "500"] {
            let _ = writeln!(
                w,
                "http_requests_total{{handler=\"/api/v1/r{r}\",code=\"{code}\"}} {}",
                seed * 1000 + r * 37
            );
        }
    }
    let _ = writeln!(w, "# TYPE process_open_fds gauge\nprocess_open_fds 42");
    let _ = writeln!(w, "# TYPE inflight gauge\ninflight 3");
    let mut lines = 20 * 13 + 60 + 2;
    let mut family = 0;
    while lines < 2000 {
        let _ = writeln!(w, "# HELP app_thing_{family}_total Something counted.");
        let _ = writeln!(w, "# TYPE app_thing_{family}_total counter");
        for shard in 0..8 {
            let _ = writeln!(
                w,
                "app_thing_{family}_total{{shard=\"{shard}\",kind=\"widget\"}} {}",
                seed + family * 8 + shard
            );
            lines += 1;
        }
        family += 1;
    }
    s
}

fn q(metric: &str, labels: &[(&str, &str)], aggregate: Aggregate) -> ScrapeQuery {
    ScrapeQuery {
        metric: metric.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        aggregate,
        quantile: Some(0.99),
    }
}

fn series(name: &str, query: ScrapeQuery, divide_by: Option<ScrapeQuery>) -> SeriesConfig {
    SeriesConfig {
        name: name.into(),
        metric: Some(query.metric),
        promql: None,
        labels: query.labels,
        aggregate: query.aggregate,
        quantile: query.quantile,
        divide_by,
        scale: 1.0,
        unit: String::new(),
        bad: BadDirection::Up,
        baseline_promql: None,
    }
}

fn config() -> MetricsConfig {
    MetricsConfig {
        interval_secs: 5,
        history: 240,
        scrape_url: Some("http://{host}/metrics".into()),
        timeout_secs: 4,
        prometheus: None,
        anomaly: AnomalyConfig::default(),
        series: vec![
            series(
                "req/s",
                q("http_requests_total", &[], Aggregate::Rate),
                None,
            ),
            series(
                "errors",
                q("http_requests_total", &[("code", "~5..")], Aggregate::Rate),
                Some(q("http_requests_total", &[], Aggregate::Rate)),
            ),
            series(
                "p99",
                q("http_request_duration_seconds", &[], Aggregate::Quantile),
                None,
            ),
            series("inflight", q("inflight", &[], Aggregate::Avg), None),
        ],
    }
}

fn bench_parse(c: &mut Criterion) {
    let text = exposition(1);
    let real = include_str!("../tests/fixtures/prometheus-2.42-self.metrics");
    let at = Utc::now();
    let wanted = Wanted::names(["http_requests_total", "http_request_duration_seconds"]);
    let mut g = c.benchmark_group("exposition");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse every line (2,000 series)", |b| {
        b.iter(|| parse(black_box(&text), at, &Wanted::all()));
    });
    g.bench_function("parse configured metrics only (2,000 series)", |b| {
        b.iter(|| parse(black_box(&text), at, &wanted));
    });
    g.throughput(Throughput::Bytes(real.len() as u64));
    g.bench_function("parse every line (Prometheus 2.42 /metrics)", |b| {
        b.iter(|| parse(black_box(real), at, &Wanted::all()));
    });
    g.finish();
}

fn bench_round(c: &mut Criterion) {
    // 4 stacks × 50 instances = 200 endpoints, each with its own text.
    let stacks: Vec<StackId> = ["www", "cedric", "sally", "bruce"]
        .iter()
        .map(StackId::new)
        .collect();
    let mut bodies = Vec::new();
    for (si, stack) in stacks.iter().enumerate() {
        for i in 0..50 {
            let instance = Instance {
                id: format!("{stack}-{i}"),
                host: format!("10.0.{si}.{i}:9100"),
            };
            bodies.push((stack.clone(), instance, exposition((si * 50 + i) as u64)));
        }
    }
    let bytes: usize = bodies.iter().map(|b| b.2.len()).sum();
    eprintln!(
        "round: {} endpoints, {:.1} MB of exposition text",
        bodies.len(),
        bytes as f64 / 1e6
    );
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let changed_at = t0 + Duration::seconds(600);
    let promoted = slipway::feeds::metrics::LiveView {
        watches: HashMap::from([(
            stacks[2].clone(),
            slipway::feeds::metrics::Watch::took_traffic(
                slipway::model::Version::new("old"),
                slipway::model::Version::new("new"),
                changed_at,
            ),
        )]),
        live: stacks
            .iter()
            .map(|s| (s.clone(), slipway::model::Version::new("old")))
            .collect(),
    };
    let mut feed = Feed::new(config(), stacks);
    let mut round = 0i64;
    let mut g = c.benchmark_group("round");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("scrape-and-aggregate, 200 endpoints × 2,000 series", |b| {
        b.iter_batched(
            || {
                bodies
                    .iter()
                    .map(|(s, i, t)| (s.clone(), i.clone(), Ok(t.clone())))
                    .collect::<Vec<_>>()
            },
            |bodies| {
                round += 1;
                // A round every 5 s; the history fills and the detector runs for real.
                let now = t0 + Duration::seconds(5 * round);
                black_box(feed.round_from_bodies(bodies, &promoted, now))
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench_parse, bench_round);
criterion_main!(benches);
