//! The metrics feed end to end against loopback exposition servers whose counters the test
//! drives: values and rates, a counted problem for each bad source while the good ones
//! still count, and a SPIKE after a promotion.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use slipway::config::{
    Aggregate, AnomalyConfig, BadDirection, MetricsConfig, ScrapeQuery, SeriesConfig,
};
use slipway::feeds::metrics::scrape::FetchError;
use slipway::feeds::metrics::{self, MetricsUpdate, SourceProblem, Verdict};
use slipway::model::{Instance, StackId, Version};
use tokio::sync::{mpsc, watch};

struct App {
    start: Instant,
    /// After the "promotion", instance good1 fails 20% of its requests instead of ~0.7%.
    bad_release: AtomicBool,
}

/// Counters grow with time at fixed rates, so the expected rates are known.
async fn metrics(Path(instance): Path<String>, State(app): State<Arc<App>>) -> Response {
    let e = app.start.elapsed().as_secs_f64();
    let exposition = |req_rate: f64, err_rate: f64, inflight: u32| {
        format!(
            "# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\n\
             app_requests_total{{code=\"200\"}} {}\n{}\
             # TYPE app_inflight gauge\napp_inflight {inflight}\n\
             # TYPE lat histogram\n\
             lat_bucket{{le=\"0.1\"}} {}\nlat_bucket{{le=\"0.5\"}} {}\nlat_bucket{{le=\"+Inf\"}} {}\n\
             lat_sum 1\nlat_count {}\n",
            req_rate * e,
            if err_rate > 0.0 {
                format!("app_requests_total{{code=\"500\"}} {}\n", err_rate * e)
            } else {
                String::new()
            },
            10.0 * e,
            30.0 * e,
            40.0 * e,
            40.0 * e,
        )
    };
    match instance.as_str() {
        "good1" => {
            let err = if app.bad_release.load(Ordering::SeqCst) {
                // Keep the counter monotonic: the extra errors start from the flip.
                1.0 + 200.0
            } else {
                1.0
            };
            exposition(100.0, err, 3).into_response()
        }
        "good2" => exposition(50.0, 0.0, 4).into_response(),
        // Like good1 before the bad release, for the control stack.
        "ctl" => exposition(100.0, 1.0, 3).into_response(),
        "fail" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "garbage" => "<html>\n<body>Bad gateway</body>\napp_requests_total{path=\"/a,b\"} 1\n"
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            exposition(1000.0, 0.0, 100).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(app: Arc<App>) -> SocketAddr {
    let router = Router::new()
        .route("/m/{instance}", get(metrics))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

fn query(metric: &str, labels: &[(&str, &str)], aggregate: Aggregate) -> ScrapeQuery {
    ScrapeQuery {
        metric: metric.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        aggregate,
        quantile: Some(0.5),
    }
}

fn series(name: &str, q: ScrapeQuery, bad: BadDirection) -> SeriesConfig {
    SeriesConfig {
        name: name.into(),
        metric: Some(q.metric),
        promql: None,
        labels: q.labels,
        aggregate: q.aggregate,
        quantile: q.quantile,
        divide_by: None,
        scale: 1.0,
        unit: String::new(),
        bad,
        baseline_promql: None,
    }
}

fn config(anomaly: AnomalyConfig) -> MetricsConfig {
    let mut errors = series(
        "errors",
        query("app_requests_total", &[("code", "~5..")], Aggregate::Rate),
        BadDirection::Up,
    );
    errors.divide_by = Some(query("app_requests_total", &[], Aggregate::Rate));
    errors.scale = 100.0;
    errors.unit = "%".into();
    MetricsConfig {
        interval_secs: 1,
        history: 60,
        scrape_url: Some("http://{host}/m/{instance}".into()),
        timeout_secs: 1,
        prometheus: None,
        anomaly,
        series: vec![
            series(
                "req/s",
                query("app_requests_total", &[], Aggregate::Rate),
                BadDirection::Down,
            ),
            series(
                "inflight",
                query("app_inflight", &[], Aggregate::Sum),
                BadDirection::Up,
            ),
            errors,
            series(
                "p50",
                query("lat", &[], Aggregate::Quantile),
                BadDirection::Up,
            ),
        ],
    }
}

fn instances(addr: SocketAddr, ids: &[&str]) -> Vec<Instance> {
    ids.iter()
        .map(|id| Instance {
            id: id.to_string(),
            host: addr.to_string(),
        })
        .collect()
}

async fn next_for(rx: &mut mpsc::Receiver<MetricsUpdate>, stack: &str) -> MetricsUpdate {
    loop {
        let u = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an update within 10 s")
            .expect("feed running");
        if u.stack.as_str() == stack {
            return u;
        }
    }
}

fn value(u: &MetricsUpdate, name: &str) -> Option<f64> {
    u.series
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.value)
}

fn near(v: Option<f64>, want: f64, tolerance: f64) -> bool {
    v.is_some_and(|v| (v - want).abs() <= want.abs() * tolerance)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_count_and_bad_sources_are_counted_problems() {
    let app = Arc::new(App {
        start: Instant::now(),
        bad_release: AtomicBool::new(false),
    });
    let addr = serve(app).await;
    let (a, b) = (StackId::new("a"), StackId::new("b"));
    let map = HashMap::from([
        (
            a.clone(),
            instances(addr, &["good1", "good2", "fail", "garbage", "slow"]),
        ),
        (b.clone(), instances(addr, &["good2"])),
    ]);
    let (_inst_tx, inst_rx) = watch::channel(map);
    let (_live_tx, live_rx) = watch::channel(metrics::LiveView::default());
    let (tx, mut rx) = mpsc::channel(16);
    let handle = metrics::spawn(
        config(AnomalyConfig::default()),
        vec![a, b],
        inst_rx,
        live_rx,
        None,
        tx,
    );

    // The first round has no earlier scrape to take a rate over.
    let first = next_for(&mut rx, "a").await;
    assert_eq!(value(&first, "req/s"), None);
    assert_eq!(value(&first, "inflight"), Some(7.0), "3 + 4, NaN-free");
    let second = next_for(&mut rx, "a").await;
    let third = next_for(&mut rx, "a").await;
    for u in [&second, &third] {
        assert!(
            near(value(u, "req/s"), 151.0, 0.1),
            "{:?}",
            value(u, "req/s")
        );
        assert!(
            near(value(u, "errors"), 100.0 / 151.0, 0.1),
            "{:?}",
            value(u, "errors")
        );
        // Bucket rates 10/s, 30/s, 40/s summed over both: rank 20 of 40 → 0.1 + 0.4 × ½.
        assert!(near(value(u, "p50"), 0.3, 0.01), "{:?}", value(u, "p50"));
        assert_eq!(value(u, "inflight"), Some(7.0));
        assert!(u.series.iter().all(|s| s.verdict == Verdict::Unchanged));
    }
    assert_eq!(third.series[0].history.len(), 3);

    let problems = |id: &str| {
        third
            .sources
            .iter()
            .find(|s| matches!(&s.source, metrics::Source::Instance { id: i, .. } if i == id))
            .map_or_else(
                || panic!("no report for {id}"),
                |s| (s.problems.clone(), s.totals),
            )
    };
    let (p, _) = problems("good1");
    assert!(p.is_empty(), "{p:?}");
    let (p, totals) = problems("fail");
    assert_eq!(
        p,
        vec![SourceProblem::Fetch {
            error: FetchError::Status(500)
        }]
    );
    assert_eq!((totals.rounds, totals.failed), (3, 3));
    let (p, _) = problems("slow");
    assert!(
        matches!(
            p.as_slice(),
            [SourceProblem::Fetch {
                error: FetchError::Timeout { .. }
            }]
        ),
        "{p:?}"
    );
    let (p, totals) = problems("garbage");
    match p.as_slice() {
        [
            SourceProblem::NotUnderstood {
                lines,
                of,
                examples,
            },
            SourceProblem::MissingSeries { series },
        ] => {
            assert_eq!((*lines, *of), (3, 3));
            assert_eq!(examples.len(), 3);
            assert_eq!(series.len(), 4, "{series:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(totals.lines_not_understood, 9);
    assert_eq!(totals.series_missing, 12);
    assert_eq!(third.troubled_sources().count(), 3);

    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("the feed ends when its receiver is gone")
        .expect("no panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_release_is_flagged_as_a_spike_and_compared_with_the_control() {
    let app = Arc::new(App {
        start: Instant::now(),
        bad_release: AtomicBool::new(false),
    });
    let addr = serve(Arc::clone(&app)).await;
    let (sally, bruce) = (StackId::new("sally"), StackId::new("bruce"));
    let map = HashMap::from([
        (sally.clone(), instances(addr, &["good1", "good2"])),
        (bruce.clone(), instances(addr, &["ctl"])),
    ]);
    let (_inst_tx, inst_rx) = watch::channel(map);
    let (live_tx, live_rx) = watch::channel(metrics::LiveView {
        watches: HashMap::new(),
        live: HashMap::from([
            (sally.clone(), Version::new("old")),
            (bruce.clone(), Version::new("old")),
        ]),
    });
    let (tx, mut rx) = mpsc::channel(16);
    // Small windows so the test takes seconds, not minutes.
    let anomaly = AnomalyConfig {
        min_baseline_samples: 4,
        recent_window: 4,
        consecutive: 2,
        p_value: 0.05,
        ..AnomalyConfig::default()
    };
    let _handle = metrics::spawn(
        config(anomaly),
        vec![sally.clone(), bruce.clone()],
        inst_rx,
        live_rx,
        None,
        tx,
    );
    for _ in 0..6 {
        next_for(&mut rx, "sally").await;
    }
    // Promote sally; bruce, not yet promoted, is the control. The new version fails far
    // more requests.
    live_tx.send_replace(metrics::LiveView {
        watches: HashMap::from([(
            sally.clone(),
            metrics::Watch::took_traffic(Version::new("old"), Version::new("new"), Utc::now()),
        )]),
        live: HashMap::from([
            (sally.clone(), Version::new("new")),
            (bruce.clone(), Version::new("old")),
        ]),
    });
    app.bad_release.store(true, Ordering::SeqCst);
    let mut verdicts = Vec::new();
    let mut flagged = None;
    for _ in 0..10 {
        let u = next_for(&mut rx, "sally").await;
        let errors = u.series.iter().find(|s| s.name == "errors").cloned();
        let errors = errors.expect("errors series");
        verdicts.push(errors.verdict.clone());
        if errors.verdict.is_flag() {
            flagged = Some((u, errors));
            break;
        }
    }
    let (u, errors) = flagged.unwrap_or_else(|| panic!("no spike: {verdicts:?}"));
    assert!(matches!(errors.verdict, Verdict::Spike(_)));
    assert!(u.watch.is_some());
    assert_eq!(u.flagged().count(), 1, "only the error ratio moved");
    // The watch went Collecting → Watching → Spike, never a silent Ok in between.
    assert!(
        verdicts
            .iter()
            .any(|v| matches!(v, Verdict::Watching { .. })),
        "{verdicts:?}"
    );
    // The control stack did not move: the release is the likely cause.
    let control = errors.control.expect("a control comparison");
    assert_eq!(control.control_stacks, 1);
    assert!(!control.normalised, "an error ratio is compared as it is");
    assert!(control.worse, "{control:?}");
}
