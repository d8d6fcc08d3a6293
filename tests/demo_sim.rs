//! The embedded demo environment, driven the way slipway drives a real platform: through
//! the `http` platform adapter built from the demo's own config, plus plain HTTP for the
//! metrics and smoke endpoints. Deployments run with a short step time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use slipway::demo::{DemoEnvironment, DemoOptions, FIRST_DEPLOYMENT_ID};
use slipway::model::{DeployState, DeployStatus, DeploymentId, Env, StackId, Version};
use slipway::platform::{DeployRequest, Platform, PlatformError};

const STACKS: [&str; 4] = ["www", "cedric", "sally", "bruce"];

/// A deployment of `version` to `env`, as the engine asks for one.
fn req(stack: &StackId, env: Env, version: &Version, rollback: bool) -> DeployRequest {
    DeployRequest {
        stack: stack.clone(),
        env,
        version: version.clone(),
        previous: version.clone(),
        rollback,
        user: "tester".into(),
    }
}

async fn demo(step_ms: u64) -> (DemoEnvironment, Arc<dyn Platform>) {
    let env = slipway::demo::start(DemoOptions {
        step_ms,
        ..DemoOptions::fast()
    })
    .await
    .expect("the demo starts");
    let platform = slipway::platform::from_config(&env.config().expect("demo config parses"))
        .expect("the adapter builds");
    (env, platform)
}

/// Polls a deployment to the end the way the engine does: output from the last offset,
/// then status, until the output is complete and the state is final.
async fn follow(
    p: &dyn Platform,
    stack: &StackId,
    id: &DeploymentId,
) -> (DeployStatus, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut offset = 0;
    let mut lines = Vec::new();
    loop {
        let chunk = p
            .deployment_output(stack, id, offset)
            .await
            .expect("output");
        assert!(chunk.next_offset >= offset, "offsets never go back");
        offset = chunk.next_offset;
        lines.extend(chunk.lines);
        let status = p.deployment_status(stack, id).await.expect("status");
        if chunk.complete && status.state.is_finished() {
            return (status, lines);
        }
        assert!(
            Instant::now() < deadline,
            "deployment {id} did not finish: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn is_full_hash(v: &Version) -> bool {
    v.as_str().len() == 40 && v.as_str().chars().all(|c| c.is_ascii_hexdigit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_instances_and_config_look_like_the_reference_setup() {
    let (env, p) = demo(20).await;
    let mut tests = Vec::new();
    for s in STACKS {
        let v = p.versions(&StackId::new(s)).await.unwrap();
        assert!(is_full_hash(v.source()) && is_full_hash(v.live()), "{v:?}");
        assert_ne!(v.source(), v.live(), "{s}: something to release");
        assert_eq!(v.in_flight, None);
        tests.push(v.source().clone());
    }
    assert!(
        tests.windows(2).all(|w| w[0] == w[1]),
        "one test version for all stacks"
    );
    let versions = env.versions();
    assert_eq!(tests[0].as_str(), versions.test);

    let mut counts = Vec::new();
    for s in STACKS {
        let live = p.instances(&StackId::new(s), &Env::live()).await.unwrap();
        let test = p.instances(&StackId::new(s), &Env::test()).await.unwrap();
        assert!((1..=2).contains(&test.len()));
        assert!(
            live.iter()
                .all(|i| i.id.starts_with(&format!("{s}-")) && i.host.starts_with("10."))
        );
        counts.push(live.len());
    }
    assert_eq!(counts, vec![2, 3, 4, 6]);

    let live = p
        .config(&StackId::new("sally"), &Env::live())
        .await
        .unwrap();
    let test = p
        .config(&StackId::new("sally"), &Env::test())
        .await
        .unwrap();
    assert_ne!(live, test);
    assert!(live.contains_key("DB_PASSWORD") && live.contains_key("API_TOKEN"));

    // The repository has the versions the platform reports.
    let repo = git2::Repository::open(env.repo_path()).unwrap();
    let head = repo.head().unwrap().target().unwrap().to_string();
    assert_eq!(head, versions.test);
    for v in [&versions.live_recent, &versions.live_older] {
        repo.find_commit(git2::Oid::from_str(v).unwrap()).unwrap();
    }
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoting_www_streams_the_deploy_terminal_and_moves_live() {
    let (env, p) = demo(15).await;
    let www = StackId::new("www");
    let before = p.versions(&www).await.unwrap();
    let started = p
        .deploy(&req(&www, Env::live(), before.source(), false))
        .await
        .unwrap();
    assert_eq!(started.id.as_str(), FIRST_DEPLOYMENT_ID.to_string());
    assert!(
        started
            .url
            .as_deref()
            .is_some_and(|u| u.ends_with("/deployments/5639226"))
    );
    // While it runs, the versions endpoint shows it, so a second slipway would attach.
    let during = p.versions(&www).await.unwrap();
    assert_eq!(during.in_flight.as_ref().map(|f| &f.id), Some(&started.id));

    let (status, lines) = follow(p.as_ref(), &www, &started.id).await;
    assert_eq!(status.state, DeployState::Succeeded);
    assert_eq!(status.progress, Some(1.0));
    let text = lines.join("\n");
    let order = [
        "Deployment 5639226 created: promotion of WWW",
        "Fetching artefact",
        "Validating release",
        "Creating launch template",
        "Updating instances 1/2",
        "Updating instances 2/2",
        "Swapping traffic",
        "GET /articles/1 -> \u{1b}[32m200",
        "Terminating 2 old instances",
        "Deployment 5639226 succeeded",
    ];
    let mut at = 0;
    for step in order {
        let found = text[at..]
            .find(step)
            .unwrap_or_else(|| panic!("'{step}' after byte {at} in:\n{text}"));
        at += found + step.len();
    }
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with('[') && l.as_bytes().get(9) == Some(&b']')),
        "timestamps"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("  12%\r") && l.ends_with("100%")),
        "raw \\r progress"
    );
    assert!(text.contains("\u{1b}[32mOK\u{1b}[0m"), "raw ANSI green");
    assert!(text.contains("\u{1b}[33mWARN\u{1b}[0m"), "raw ANSI yellow");

    let after = p.versions(&www).await.unwrap();
    assert_eq!(after.live(), before.source());
    assert_eq!(after.in_flight, None);
    // Other stacks are untouched.
    let cedric = p.versions(&StackId::new("cedric")).await.unwrap();
    assert_ne!(cedric.live(), cedric.source());
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_promotion_conflicts_and_abort_leaves_live_alone() {
    let (env, p) = demo(300).await;
    let bruce = StackId::new("bruce");
    let before = p.versions(&bruce).await.unwrap();
    let first = p
        .deploy(&req(&bruce, Env::live(), before.source(), false))
        .await
        .unwrap();
    let second = p
        .deploy(&req(&bruce, Env::live(), before.source(), false))
        .await;
    match second {
        Err(PlatformError::Conflict { detail, .. }) => {
            assert!(detail.contains("5639226"), "{detail}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Test is a different environment: no conflict there.
    let on_test = p
        .deploy(&req(
            &bruce,
            Env::test(),
            &Version::new(env.versions().live_older),
            true,
        ))
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(400)).await;
    p.abort(&bruce, &first.id).await.unwrap();
    let status = p.deployment_status(&bruce, &first.id).await.unwrap();
    assert_eq!(status.state, DeployState::Aborted);
    let (_, lines) = follow(p.as_ref(), &bruce, &first.id).await;
    let text = lines.join("\n");
    assert!(
        text.contains("aborted") && text.contains("slipway/"),
        "says who aborted:\n{text}"
    );
    assert!(!text.contains("succeeded"));

    // Waiting longer than the deployment would have taken changes nothing.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after = p.versions(&bruce).await.unwrap();
    assert_eq!(after.live(), before.live());
    assert!(
        after
            .in_flight
            .as_ref()
            .is_none_or(|f| f.env != Env::live()),
        "nothing in flight on live: {:?}",
        after.in_flight
    );
    // Aborting a finished deployment is refused; a new promotion is allowed again.
    assert!(matches!(
        p.abort(&bruce, &first.id).await,
        Err(PlatformError::Conflict { .. })
    ));
    let again = p
        .deploy(&req(&bruce, Env::live(), before.source(), false))
        .await
        .unwrap();
    assert_eq!(again.id.as_str(), (FIRST_DEPLOYMENT_ID + 2).to_string());
    p.abort(&bruce, &again.id).await.unwrap();
    p.abort(&bruce, &on_test.id).await.unwrap();
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors() {
    let (env, p) = demo(20).await;
    let unknown_version = p
        .deploy(&req(
            &StackId::new("www"),
            Env::live(),
            &Version::new("0123456789abcdef0123456789abcdef01234567"),
            false,
        ))
        .await;
    assert!(
        matches!(&unknown_version, Err(PlatformError::Status { status: 400, detail, .. }) if detail.contains("unknown version")),
        "{unknown_version:?}"
    );
    let unknown_stack = p.versions(&StackId::new("nope")).await;
    assert!(
        matches!(
            unknown_stack,
            Err(PlatformError::Status { status: 404, .. })
        ),
        "{unknown_stack:?}"
    );
    let missing = p
        .deployment_status(&StackId::new("www"), &DeploymentId::new("42"))
        .await;
    assert!(matches!(
        missing,
        Err(PlatformError::Status { status: 404, .. })
    ));

    let client = reqwest::Client::new();
    let api = env.api_url();
    let r = client
        .get(format!(
            "{api}/stacks/www/deployments/5639226/output?offset=abc"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"].as_str().is_some_and(|e| e.contains("offset")));
    let r = client
        .post(format!("{api}/stacks/www/environments/live/deployments"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    env.shutdown().await;
}

/// Sums of one scrape of many instances: (all requests, 5xx requests, latency sum, count).
async fn scrape_totals(
    client: &reqwest::Client,
    env: &DemoEnvironment,
    instances: &[String],
) -> (f64, f64, f64, f64) {
    let mut totals = (0.0, 0.0, 0.0, 0.0);
    for i in instances {
        let url = format!("{}/instances/{i}/metrics", env.base_url());
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        let scrape =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
        for s in &scrape.samples {
            match (&s.metric[..], &s.value) {
                ("http_requests_total", prometheus_parse::Value::Counter(v)) => {
                    totals.0 += v;
                    if s.labels.get("status").is_some_and(|st| st.starts_with('5')) {
                        totals.1 += v;
                    }
                }
                ("http_request_duration_seconds", prometheus_parse::Value::Histogram(_)) => {}
                ("http_request_duration_seconds_sum", prometheus_parse::Value::Untyped(v)) => {
                    totals.2 += v;
                }
                ("http_request_duration_seconds_count", prometheus_parse::Value::Untyped(v)) => {
                    totals.3 += v;
                }
                _ => {}
            }
        }
    }
    totals
}

/// Error ratio and mean latency of the traffic between two scrapes.
async fn window(
    client: &reqwest::Client,
    env: &DemoEnvironment,
    instances: &[String],
) -> (f64, f64) {
    // Instances restart (their counters reset) on the traffic tick after a deployment
    // succeeds; start the window after that.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let a = scrape_totals(client, env, instances).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let b = scrape_totals(client, env, instances).await;
    let requests = b.0 - a.0;
    assert!(requests > 100.0, "traffic flows: {requests}");
    ((b.1 - a.1) / requests, (b.2 - a.2) / (b.3 - a.3).max(1.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_and_counters_grow() {
    let (env, p) = demo(20).await;
    let instances = p
        .instances(&StackId::new("cedric"), &Env::live())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/instances/{}/metrics", env.base_url(), instances[0].id);
    let resp = client.get(&url).send().await.unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    for needle in [
        "# TYPE http_requests_total counter",
        "# TYPE http_request_duration_seconds histogram",
        "# TYPE process_resident_memory_bytes gauge",
        "# HELP beam_process_count",
        "le=\"+Inf\"",
        "status=\"503\"",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    let ids = vec![instances[0].id.clone()];
    let first = scrape_totals(&client, &env, &ids).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = scrape_totals(&client, &env, &ids).await;
    assert!(
        second.0 > first.0 && second.3 > first.3,
        "{first:?} → {second:?}"
    );

    let missing = client
        .get(format!("{}/instances/nope-0000/metrics", env.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    env.shutdown().await;
}

fn sizes(dir: &Path) -> BTreeMap<String, u64> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_log_files_grow() {
    let (env, p) = demo(20).await;
    let sally = p
        .instances(&StackId::new("sally"), &Env::live())
        .await
        .unwrap();
    // The config's log path template names files the demo writes.
    let config = env.config().expect("demo config parses");
    let template = match &config.logs.source {
        Some(slipway::config::LogSourceConfig::File { path }) => path.clone(),
        other => panic!("the demo config has a file log source, not {other:?}"),
    };
    let path = template.replace("{instance}", &sally[0].id);
    // Every instance's writer opens its file on its first tick (poll: a loaded machine
    // may take a moment to schedule them all).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut before = sizes(env.log_dir());
    while before.len() < 15 + 6 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        before = sizes(env.log_dir());
    }
    assert!(before.len() >= 15 + 6, "a log per instance: {before:?}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = sizes(env.log_dir());
    let grown = after
        .iter()
        .filter(|(k, v)| before.get(*k).is_some_and(|b| *v > b))
        .count();
    assert!(grown >= 15, "live logs keep growing ({grown} grew)");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().count() > 10);
    assert!(text.contains(" INFO  [") && text.contains("\"level\":"));
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bad_release_hurts_sally_until_it_is_rolled_back() {
    let (env, p) = demo(10).await;
    let sally = StackId::new("sally");
    let client = reqwest::Client::new();
    let ids: Vec<String> = p
        .instances(&sally, &Env::live())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    let article = format!("{}/sites/sally/articles/1", env.base_url());
    let health = format!("{}/sites/sally/healthz", env.base_url());

    let (errors_before, latency_before) = window(&client, &env, &ids).await;
    assert!(errors_before < 0.02, "healthy before: {errors_before}");
    assert_eq!(client.get(&article).send().await.unwrap().status(), 200);
    let home = client
        .get(format!("{}/sites/sally/", env.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("<title>"));

    let versions = p.versions(&sally).await.unwrap();
    let old = versions.live().clone();
    let promote = p
        .deploy(&req(&sally, Env::live(), versions.source(), false))
        .await
        .unwrap();
    let (status, lines) = follow(p.as_ref(), &sally, &promote.id).await;
    assert_eq!(status.state, DeployState::Succeeded);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("GET /articles/1 -> \u{1b}[33m500 upstream timeout")),
        "the deploy job's smoke check fails on the bad release"
    );

    let (errors_bad, latency_bad) = window(&client, &env, &ids).await;
    assert!(
        errors_bad > 0.04,
        "errors rise after promotion: {errors_bad}"
    );
    assert!(
        latency_bad > 2.0 * latency_before,
        "latency rises: {latency_before} → {latency_bad}"
    );
    let resp = client.get(&article).send().await.unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["error"],
        "upstream timeout"
    );
    assert_eq!(
        client
            .get(&health)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    // Other stacks are fine on the same release.
    let www = p.versions(&StackId::new("www")).await.unwrap();
    let w = p
        .deploy(&req(&StackId::new("www"), Env::live(), www.source(), false))
        .await
        .unwrap();
    follow(p.as_ref(), &StackId::new("www"), &w.id).await;
    let www_article = client
        .get(format!("{}/sites/www/articles/1", env.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(www_article.status(), 200);

    let rollback = p
        .deploy(&req(&sally, Env::live(), &old, true))
        .await
        .unwrap();
    let (status, lines) = follow(p.as_ref(), &sally, &rollback.id).await;
    assert_eq!(status.state, DeployState::Succeeded);
    assert!(lines[0].contains("rollback of"));
    assert_eq!(p.versions(&sally).await.unwrap().live(), &old);
    let (errors_after, _) = window(&client, &env, &ids).await;
    assert!(
        errors_after < 0.02,
        "recovered after rollback: {errors_after}"
    );
    assert_eq!(client.get(&article).send().await.unwrap().status(), 200);

    // The restarts show in the instance's log with the version it now runs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = std::fs::read_to_string(env.log_dir().join(format!("{}.log", ids[0]))).unwrap();
    assert!(log.contains(&format!(
        "Starting belfrage {}",
        &versions.source().as_str()[..7]
    )));
    assert!(log.contains(&format!("Starting belfrage {}", &old.as_str()[..7])));
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_toml_round_trips_and_points_at_the_demo() {
    let (env, _p) = demo(20).await;
    let text = env.config_toml();
    let parsed = slipway::validation::parse_str(&text, Path::new("demo.toml")).unwrap();
    assert_eq!(parsed, env.config().expect("demo config parses"));
    assert!(text.contains(&env.api_url()));
    assert_eq!(parsed.release.name, "belfrage");
    let names: Vec<String> = parsed
        .stacks
        .iter()
        .map(slipway::config::StackConfig::display_name)
        .collect();
    assert_eq!(names, vec!["WWW", "Cedric", "Sally", "Bruce"]);
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_the_server_and_removes_the_temporary_dir() {
    let (env, p) = demo(200).await;
    let dir = env.dir().to_path_buf();
    let base = env.base_url();
    let www = StackId::new("www");
    let v = p.versions(&www).await.unwrap();
    // A deployment in flight must not keep anything alive.
    p.deploy(&req(&www, Env::live(), v.source(), false))
        .await
        .unwrap();
    assert!(dir.join("repo").join(".git").is_dir());
    env.shutdown().await;
    assert!(!dir.exists(), "{} removed", dir.display());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    assert!(
        client
            .get(format!("{base}/sites/www/healthz"))
            .send()
            .await
            .is_err()
    );

    // Dropping without shutdown stops the tasks too.
    let (env, _p) = demo(20).await;
    let base = env.base_url();
    let logs = env.log_dir().to_path_buf();
    drop(env);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        client
            .get(format!("{base}/sites/www/healthz"))
            .send()
            .await
            .is_err()
    );
    assert!(!logs.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_dir_is_kept_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DemoOptions {
        dir: Some(dir.path().to_path_buf()),
        ..DemoOptions::fast()
    };
    let first = slipway::demo::start(opts.clone()).await.unwrap();
    let versions = first.versions();
    first.shutdown().await;
    assert!(dir.path().join("repo").is_dir() && dir.path().join("logs").is_dir());
    // A second run replaces its own repository and gets the very same hashes.
    let second = slipway::demo::start(opts).await.unwrap();
    assert_eq!(second.versions(), versions);
    second.shutdown().await;

    // Someone else's directory in the way is not deleted.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("repo")).unwrap();
    std::fs::write(other.path().join("repo").join("notes.txt"), "mine").unwrap();
    let refused = slipway::demo::start(DemoOptions {
        dir: Some(other.path().to_path_buf()),
        ..DemoOptions::fast()
    })
    .await;
    assert!(refused.is_err());
    assert!(other.path().join("repo").join("notes.txt").is_file());
}
