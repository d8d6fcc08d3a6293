//! The `PromQL` source: against a loopback server that answers like Prometheus' HTTP API,
//! and against a real Prometheus (Debian's `prometheus` package) scraping a loopback
//! exposition endpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeZone, Utc};
use slipway::config::{AnomalyConfig, BadDirection, MetricsConfig, PrometheusConfig, SeriesConfig};
use slipway::feeds::metrics::promql::{Prometheus, QueryError};
use slipway::feeds::metrics::{self, MetricsUpdate, Source, SourceProblem};
use slipway::model::{StackId, Version};
use tokio::sync::{mpsc, watch};

fn json(body: &str) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Answers by the query text, the way Prometheus would.
async fn query(Query(p): Query<HashMap<String, String>>) -> Response {
    let q = p.get("query").map_or("", String::as_str);
    let t = p.get("time").map_or("0", String::as_str);
    match q {
        "sum(rate(errors{stack=\"sally\"}[1m]))" => json(&format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[{t},"0.25"]}}]}}}}"#
        )),
        "sum(rate(errors{stack=\"bruce\"}[1m]))" => json(&format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[{t},"NaN"]}}]}}}}"#
        )),
        "scalar(up)" => json(&format!(
            r#"{{"status":"success","data":{{"resultType":"scalar","result":[{t},"7"]}}}}"#
        )),
        "plus_inf" => json(&format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[{t},"+Inf"]}}]}}}}"#
        )),
        "absent_series" => json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#),
        "up" => json(&format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[
                {{"metric":{{"instance":"a"}},"value":[{t},"1"]}},
                {{"metric":{{"instance":"b"}},"value":[{t},"1"]}}]}}}}"#
        )),
        "up[5m]" => json(
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}"#,
        ),
        "\"hello\"" => json(&format!(
            r#"{{"status":"success","data":{{"resultType":"string","result":[{t},"hello"]}}}}"#
        )),
        "sum(" => (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}"#,
        )
            .into_response(),
        "overloaded" => (StatusCode::SERVICE_UNAVAILABLE, "upstream busy").into_response(),
        "garbage" => json("<html>not json</html>"),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
        }
        _ => json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#),
    }
}

/// A matrix from `start` to `end` every `step`: value = seconds since `start`, one NaN.
async fn query_range(Query(p): Query<HashMap<String, String>>) -> Response {
    let num = |k: &str| {
        p.get(k)
            .and_then(|v| v.trim_end_matches('s').parse::<f64>().ok())
    };
    let (Some(start), Some(end), Some(step)) = (num("start"), num("end"), num("step")) else {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"status":"error","errorType":"bad_data","error":"missing start/end/step"}"#,
        )
            .into_response();
    };
    if p.get("query").is_some_and(|q| q == "sum(") {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
        )
            .into_response();
    }
    let mut values = Vec::new();
    let mut t = start;
    while t <= end && values.len() < 11_000 {
        let v = if values.len() == 2 {
            "\"NaN\"".to_string()
        } else {
            format!("\"{}\"", t - start)
        };
        values.push(format!("[{t},{v}]"));
        t += step;
    }
    json(&format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[{}]}}]}}}}"#,
        values.join(",")
    ))
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

async fn fake_prometheus() -> SocketAddr {
    serve(
        Router::new()
            .route("/api/v1/query", get(query))
            .route("/api/v1/query_range", get(query_range)),
    )
    .await
}

fn prom_config(addr: SocketAddr) -> PrometheusConfig {
    PrometheusConfig {
        url: format!("http://{addr}/"),
        timeout_secs: 1,
        backfill: true,
        auth: None,
    }
}

#[tokio::test]
async fn instant_queries_and_their_failures() {
    let addr = fake_prometheus().await;
    let prom = Prometheus::new(&prom_config(addr)).expect("client");
    let now = Utc::now();
    let ask = |q: &'static str| {
        let prom = prom.clone();
        async move { prom.instant(q, now).await }
    };
    assert_eq!(
        ask("sum(rate(errors{stack=\"sally\"}[1m]))").await,
        Ok(Some(0.25))
    );
    assert_eq!(ask("scalar(up)").await, Ok(Some(7.0)));
    // NaN and infinities are no value, not a number on screen.
    assert_eq!(
        ask("sum(rate(errors{stack=\"bruce\"}[1m]))").await,
        Ok(None)
    );
    assert_eq!(ask("plus_inf").await, Ok(None));
    assert_eq!(ask("absent_series").await, Ok(None));
    assert_eq!(ask("up").await, Err(QueryError::ManySeries(2)));
    assert!(matches!(ask("up[5m]").await, Err(QueryError::WrongType(_))));
    assert!(matches!(
        ask("\"hello\"").await,
        Err(QueryError::WrongType(_))
    ));
    match ask("sum(").await {
        Err(QueryError::Api { kind, message }) => {
            assert_eq!(kind, "bad_data");
            assert!(message.contains("unclosed left parenthesis"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ask("overloaded").await, Err(QueryError::Status(503)));
    assert!(matches!(
        ask("garbage").await,
        Err(QueryError::BadAnswer(_))
    ));
    let started = Instant::now();
    assert_eq!(ask("slow").await, Err(QueryError::Timeout { secs: 1 }));
    assert!(started.elapsed() < Duration::from_secs(3));
    // Nothing listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let gone = Prometheus::new(&prom_config(closed)).expect("client");
    assert!(matches!(
        gone.instant("up", now).await,
        Err(QueryError::Unreachable(_))
    ));
}

#[tokio::test]
async fn range_queries_fill_history() {
    let addr = fake_prometheus().await;
    let prom = Prometheus::new(&prom_config(addr)).expect("client");
    let start = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");
    let end = start + chrono::Duration::seconds(50);
    let points = prom
        .range("anything", start, end, Duration::from_secs(5))
        .await
        .expect("range");
    assert_eq!(points.len(), 11);
    assert_eq!(points[0], (start, Some(0.0)));
    assert_eq!(points[2].1, None, "NaN is a gap");
    assert_eq!(points[10], (end, Some(50.0)));
    assert!(matches!(
        prom.range("sum(", start, end, Duration::from_secs(5)).await,
        Err(QueryError::Api { .. })
    ));
}

fn promql_series(name: &str, q: &str) -> SeriesConfig {
    SeriesConfig {
        name: name.into(),
        metric: None,
        promql: Some(q.into()),
        labels: Default::default(),
        aggregate: Default::default(),
        quantile: None,
        divide_by: None,
        scale: 100.0,
        unit: "%".into(),
        bad: BadDirection::Up,
        baseline_promql: None,
    }
}

async fn next_for(rx: &mut mpsc::Receiver<MetricsUpdate>, stack: &str) -> MetricsUpdate {
    loop {
        let u = tokio::time::timeout(Duration::from_secs(15), rx.recv())
            .await
            .expect("an update in time")
            .expect("feed running");
        if u.stack.as_str() == stack {
            return u;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_backfills_then_queries_each_round_per_stack() {
    let addr = fake_prometheus().await;
    let config = MetricsConfig {
        interval_secs: 1,
        history: 20,
        timeout_secs: 1,
        prometheus: Some(prom_config(addr)),
        series: vec![
            promql_series("errors", "sum(rate(errors{stack=\"{stack}\"}[1m]))"),
            promql_series("broken", "sum("),
        ],
        ..MetricsConfig::default()
    };
    let (_i, inst_rx) = watch::channel(HashMap::new());
    let (_p, live_rx) = watch::channel(metrics::LiveView::default());
    let (tx, mut rx) = mpsc::channel(8);
    let _feed = metrics::spawn(
        config,
        vec![StackId::new("sally"), StackId::new("bruce")],
        inst_rx,
        live_rx,
        None,
        tx,
    );
    let u = next_for(&mut rx, "sally").await;
    let errors = &u.series[0];
    // 20 points of history asked for, ending now; plus this round's.
    assert!(errors.history.len() >= 20, "{}", errors.history.len());
    assert_eq!(errors.value, Some(25.0), "0.25 scaled by 100");
    let report = u
        .sources
        .iter()
        .find(|s| matches!(s.source, Source::Prometheus { .. }))
        .expect("a Prometheus source report");
    let kinds: Vec<(String, bool)> = report
        .problems
        .iter()
        .filter_map(|p| match p {
            SourceProblem::Query {
                series, backfill, ..
            } => Some((series.clone(), *backfill)),
            _ => None,
        })
        .collect();
    assert!(kinds.contains(&("broken".into(), true)), "{kinds:?}");
    assert!(kinds.contains(&("broken".into(), false)), "{kinds:?}");
    // Bruce's query answers NaN: a gap, not NaN on screen.
    let b = next_for(&mut rx, "bruce").await;
    assert_eq!(b.series[0].value, None);
    let u = next_for(&mut rx, "sally").await;
    assert_eq!(u.series[0].value, Some(25.0));
    assert_eq!(u.sources[0].totals.rounds, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scraped_series_takes_its_baseline_from_prometheus_scaled_like_its_rounds() {
    let addr = fake_prometheus().await;
    let config = MetricsConfig {
        interval_secs: 1,
        history: 20,
        timeout_secs: 1,
        scrape_url: Some("http://127.0.0.1:9/{instance}".into()),
        prometheus: Some(prom_config(addr)),
        series: vec![SeriesConfig {
            metric: Some("http_requests_total".into()),
            promql: None,
            baseline_promql: Some("sum(rate(errors{stack=\"{stack}\"}[1m]))".into()),
            ..promql_series("errors", "")
        }],
        ..MetricsConfig::default()
    };
    let (_i, inst_rx) = watch::channel(HashMap::new());
    let (_p, live_rx) = watch::channel(metrics::LiveView::default());
    let (tx, mut rx) = mpsc::channel(8);
    let _feed = metrics::spawn(
        config,
        vec![StackId::new("sally")],
        inst_rx,
        live_rx,
        None,
        tx,
    );
    let u = next_for(&mut rx, "sally").await;
    let history = &u.series[0].history;
    // Twenty points from query_range (value = seconds into the range, one NaN), scaled by
    // 100 as the scraped rounds are: 19 s into the range reads 1,900, not 19.
    assert!(history.len() >= 20, "{}", history.len());
    let top = history
        .iter()
        .filter_map(|p| p.value)
        .fold(0.0_f64, f64::max);
    assert!((1_800.0..=2_000.0).contains(&top), "{top}");
    assert!(u.baseline.have >= 18, "{:?}", u.baseline);
}

// --- A real Prometheus --------------------------------------------------------------

/// The `prometheus` binary, or why the test cannot run. In CI (`CI` set) a missing binary
/// fails the test: the CI script installs Debian's `prometheus` package.
fn prometheus_binary() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("prometheus"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the prometheus binary is missing; CI must install it (apt-get install prometheus)"
        );
        eprintln!("skipped: no prometheus binary (apt-get install prometheus)");
    }
    found
}

/// A real Prometheus on a free loopback port scraping `app` every second (labelled
/// `stack="sally"`); its data lives in the returned directory.
fn start_prometheus(
    binary: &std::path::Path,
    app: SocketAddr,
) -> (tokio::process::Child, u16, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(
        &config_path,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: app\n    static_configs:\n\
             \x20     - targets: ['{app}']\n        labels:\n          stack: sally\n"
        ),
    )
    .expect("write config");
    let port = free_port();
    let child = tokio::process::Command::new(binary)
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start prometheus");
    (child, port, dir)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scraping_a_loopback_endpoint() {
    let Some(binary) = prometheus_binary() else {
        return;
    };
    let start = Arc::new(Instant::now());
    let app_start = Arc::clone(&start);
    let app = serve(Router::new().route(
        "/metrics",
        get(move || {
            let e = app_start.elapsed().as_secs_f64();
            async move {
                format!(
                    "# TYPE app_requests_total counter\napp_requests_total {}\n\
                     # TYPE app_temperature gauge\napp_temperature 21.5\n",
                    100.0 * e
                )
            }
        }),
    ))
    .await;
    let (mut child, port, _dir) = start_prometheus(&binary, app);
    let prom = Prometheus::new(&PrometheusConfig {
        url: format!("http://127.0.0.1:{port}"),
        timeout_secs: 2,
        backfill: true,
        auth: None,
    })
    .expect("client");

    // Wait (bounded) until Prometheus has scraped the endpoint.
    let deadline = Instant::now() + Duration::from_secs(60);
    let temperature = loop {
        if let Ok(Some(v)) = prom
            .instant("sum(app_temperature{stack=\"sally\"})", Utc::now())
            .await
        {
            break v;
        }
        assert!(Instant::now() < deadline, "Prometheus never had the sample");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(temperature, 21.5);
    // A rate over real scrapes: 100/s, once the 5 s window is full of samples (before
    // that Prometheus extrapolates from a partial window and answers less).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = None;
    while Instant::now() < deadline {
        last = prom
            .instant(
                "sum(rate(app_requests_total{stack=\"sally\"}[5s]))",
                Utc::now(),
            )
            .await
            .ok()
            .flatten();
        if last.is_some_and(|v| (v - 100.0).abs() < 10.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(last.is_some_and(|v| (v - 100.0).abs() < 10.0), "{last:?}");
    // History for the backfill.
    let now = Utc::now();
    let points = prom
        .range(
            "sum(app_temperature)",
            now - chrono::Duration::seconds(10),
            now,
            Duration::from_secs(1),
        )
        .await
        .expect("query_range");
    assert!(!points.is_empty());
    assert!(points.iter().all(|(_, v)| v.is_none_or(|v| v == 21.5)));
    // Its own error answers are understood.
    match prom.instant("sum(", Utc::now()).await {
        Err(QueryError::Api { kind, .. }) => assert_eq!(kind, "bad_data"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        prom.instant("sum(app_requests_total{stack=\"nobody\"})", Utc::now())
            .await,
        Ok(None)
    );
    let _ = child.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_holds_when_the_real_prometheus_stops_answering() {
    let Some(binary) = prometheus_binary() else {
        return;
    };
    // A gauge this test moves: 20 while healthy, 80 once the release is bad.
    let level = Arc::new(std::sync::atomic::AtomicU64::new(20));
    let served = Arc::clone(&level);
    let app = serve(Router::new().route(
        "/metrics",
        get(move || {
            let v = served.load(std::sync::atomic::Ordering::SeqCst);
            async move { format!("# TYPE app_latency_ms gauge\napp_latency_ms {v}\n") }
        }),
    ))
    .await;
    let (mut child, port, _dir) = start_prometheus(&binary, app);
    let prom_cfg = PrometheusConfig {
        url: format!("http://127.0.0.1:{port}"),
        timeout_secs: 1,
        backfill: false,
        auth: None,
    };
    let prom = Prometheus::new(&prom_cfg).expect("client");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(
        prom.instant("sum(app_latency_ms{stack=\"sally\"})", Utc::now())
            .await,
        Ok(Some(_))
    ) {
        assert!(Instant::now() < deadline, "Prometheus never had the sample");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let config = MetricsConfig {
        interval_secs: 1,
        history: 60,
        timeout_secs: 1,
        prometheus: Some(prom_cfg),
        anomaly: AnomalyConfig {
            min_baseline_samples: 5,
            recent_window: 4,
            consecutive: 2,
            p_value: 0.05,
            ..AnomalyConfig::default()
        },
        series: vec![SeriesConfig {
            scale: 1.0,
            unit: "ms".into(),
            ..promql_series("p99", "sum(app_latency_ms{stack=\"{stack}\"})")
        }],
        ..MetricsConfig::default()
    };
    let sally = StackId::new("sally");
    let (_i, inst_rx) = watch::channel(HashMap::new());
    let (live_tx, live_rx) = watch::channel(metrics::LiveView::default());
    let (tx, mut rx) = mpsc::channel(8);
    let _feed = metrics::spawn(config, vec![sally.clone()], inst_rx, live_rx, None, tx);
    for _ in 0..6 {
        next_for(&mut rx, "sally").await;
    }
    // The bad release takes traffic.
    live_tx.send_replace(metrics::LiveView {
        watches: HashMap::from([(
            sally.clone(),
            metrics::Watch::took_traffic(Version::new("old"), Version::new("bad"), Utc::now()),
        )]),
        live: HashMap::from([(sally.clone(), Version::new("bad"))]),
    });
    level.store(80, std::sync::atomic::Ordering::SeqCst);
    let mut seen = Vec::new();
    loop {
        let u = next_for(&mut rx, "sally").await;
        seen.push(u.series[0].verdict.clone());
        if u.series[0].verdict.is_flag() {
            break;
        }
        assert!(seen.len() < 30, "never flagged: {seen:?}");
    }
    // Prometheus goes away. The values stop; the flag does not, and never reads ok.
    let _ = child.kill().await;
    let mut after = Vec::new();
    for _ in 0..6 {
        let u = next_for(&mut rx, "sally").await;
        after.push((u.series[0].value, u.series[0].verdict.clone()));
    }
    assert!(
        after.iter().all(|(_, v)| v.is_flag()),
        "the flag holds while the source is down: {after:#?}"
    );
    let (value, verdict) = after.last().cloned().expect("six rounds");
    assert_eq!(value, None, "no value without Prometheus");
    assert!(
        matches!(
            verdict.flag().and_then(|f| f.hold),
            Some(metrics::Hold::Stale { age_secs }) if age_secs >= 3
        ),
        "{verdict:?}"
    );
    let problems = |u: &MetricsUpdate| u.troubled_sources().count();
    let u = next_for(&mut rx, "sally").await;
    assert_eq!(problems(&u), 1, "the Prometheus source says why");
}
