//! The engine against a platform that misbehaves: 500s, garbage JSON, dropped connections
//! and silence become error events the user sees; nothing panics, and the engine keeps
//! serving other commands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::sync::Arc;
use std::time::Duration;

use slipway::config::Config;
use slipway::engine::release::Phase;
use slipway::engine::{self, Command, Event};
use slipway::model::StackId;
use slipway::validation::parse_str;
use support::rawhttp::{Reply, Script, serve};
use tokio::sync::mpsc::Receiver;

fn config(base: &str) -> Config {
    // The journal goes to a temporary file, not the user's state directory.
    let journal = std::env::temp_dir()
        .join(format!(
            "slipway-faults-{}-{}.jsonl",
            std::process::id(),
            fastrand::u32(..)
        ))
        .display()
        .to_string();
    let text = format!(
        r#"[release]
name = "faults"
refresh_secs = 3600
journal = "{journal}"

[platform]
kind = "http"
base_url = "{base}"
timeout_secs = 1
retries = 1
retry_backoff_ms = 10
poll_ms = 50

[[stacks]]
id = "good"
[[stacks]]
id = "e500"
[[stacks]]
id = "garbage"
[[stacks]]
id = "closed"
[[stacks]]
id = "silent"
"#
    );
    parse_str(&text, std::path::Path::new("test.toml")).expect("test config parses")
}

fn version(v: &str) -> Reply {
    Reply::Json(200, format!(r#"{{"version":"{v}","deployment":null}}"#))
}

fn script_versions(script: &Script) {
    script.on(
        "GET",
        "/stacks/good/environments/test",
        vec![version("bbbbbbbbbbbbbbbb")],
    );
    script.on(
        "GET",
        "/stacks/good/environments/live",
        vec![version("aaaaaaaaaaaaaaaa")],
    );
    for env in ["test", "live"] {
        script.on(
            "GET",
            &format!("/stacks/e500/environments/{env}"),
            vec![Reply::Text(500, "internal explosion".into())],
        );
        script.on(
            "GET",
            &format!("/stacks/garbage/environments/{env}"),
            vec![Reply::Text(200, "{not json".into())],
        );
        script.on(
            "GET",
            &format!("/stacks/closed/environments/{env}"),
            vec![Reply::Close],
        );
        script.on(
            "GET",
            &format!("/stacks/silent/environments/{env}"),
            vec![Reply::Hang],
        );
    }
}

/// An engine on a scripted platform serving the usual versions.
async fn engine_on(script: &Script) -> (slipway::engine::EngineHandle, Receiver<Event>) {
    script_versions(script);
    let base = serve(script.clone()).await;
    let cfg = Arc::new(config(&base));
    let platform = slipway::platform::from_config(&cfg).expect("platform");
    engine::start(cfg, platform)
}

/// Collects events until `done` says so or the time runs out.
async fn until(
    events: &mut Receiver<Event>,
    secs: u64,
    mut done: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(secs), async {
        while let Some(ev) = events.recv().await {
            let stop = done(&ev);
            seen.push(ev);
            if stop {
                break;
            }
        }
    })
    .await;
    seen
}

fn problems(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Problem { context, message } => Some(format!("{context}: {message}")),
            _ => None,
        })
        .collect()
}

fn phase_of(events: &[Event], stack: &str) -> Option<Phase> {
    events.iter().rev().find_map(|e| match e {
        Event::Board(b) => b.get(&StackId::new(stack)).map(|s| s.phase.clone()),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_become_problems_and_the_good_stack_still_promotes() {
    let script = Script::default();
    let (handle, mut events) = engine_on(&script).await;

    let first = until(&mut events, 15, |e| matches!(e, Event::Refreshed)).await;
    let p = problems(&first);
    assert!(
        p.iter()
            .any(|m| m.contains("e500") && m.contains("500") && m.contains("internal explosion")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("garbage") && m.contains("not JSON")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("closed") && m.contains("cannot reach")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("silent") && m.contains("timed out")),
        "{p:#?}"
    );
    // Reads are retried (once, as configured) before giving up; writes never are.
    assert_eq!(script.count("GET /stacks/e500/environments/test"), 2);
    assert_eq!(phase_of(&first, "good"), Some(Phase::Pending));
    assert_eq!(phase_of(&first, "e500"), Some(Phase::Unknown));

    // The engine still serves commands: promote the healthy stack to the end.
    script.on(
        "POST",
        "/stacks/good/environments/live/deployments",
        vec![Reply::Json(201, r#"{"id":"77"}"#.into())],
    );
    script.on(
        "GET",
        "/stacks/good/deployments/77",
        vec![
            Reply::Json(200, r#"{"state":"running","progress":0.5}"#.into()),
            // A garbage status mid-deployment is reported and survived.
            Reply::Text(200, "<html>gateway</html>".into()),
            Reply::Json(200, r#"{"state":"succeeded","progress":1.0}"#.into()),
        ],
    );
    script.on(
        "GET",
        "/stacks/good/deployments/77/output?offset=0",
        vec![Reply::Json(
            200,
            r#"{"lines":["step one","step two"],"next_offset":2,"complete":false}"#.into(),
        )],
    );
    script.on(
        "GET",
        "/stacks/good/deployments/77/output?offset=2",
        vec![Reply::Json(
            200,
            r#"{"lines":["done"],"next_offset":3,"complete":true}"#.into(),
        )],
    );
    // Read once more under the release lock before the promotion (still the old
    // version), then the new one once it has moved.
    script.on(
        "GET",
        "/stacks/good/environments/live",
        vec![version("aaaaaaaaaaaaaaaa"), version("bbbbbbbbbbbbbbbb")],
    );
    assert!(
        handle
            .send(Command::Promote {
                stack: StackId::new("good"),
                expected: None,
                override_order: false,
                to: None,
                override_gates: None,
            })
            .await
            .is_some()
    );
    let run = until(&mut events, 20, |e| {
        matches!(e, Event::DeployFinished { .. })
    })
    .await;
    let output: Vec<String> = run
        .iter()
        .filter_map(|e| match e {
            Event::DeployOutput { lines, .. } => Some(lines.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(output, ["step one", "step two", "done"]);
    assert!(
        problems(&run)
            .iter()
            .any(|m| m.contains("not JSON") && m.contains("still trying")),
        "{:#?}",
        problems(&run)
    );
    assert_eq!(phase_of(&run, "good"), Some(Phase::Live));
    assert_eq!(
        script.count("POST /stacks/good/environments/live/deployments"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_or_lost_promote_is_failed_and_never_retried() {
    let script = Script::default();
    let (handle, mut events) = engine_on(&script).await;
    until(&mut events, 15, |e| matches!(e, Event::Refreshed)).await;

    script.on(
        "POST",
        "/stacks/good/environments/live/deployments",
        vec![Reply::Close],
    );
    handle
        .send(Command::Promote {
            stack: StackId::new("good"),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await;
    let run = until(&mut events, 10, |e| matches!(e, Event::Problem { .. })).await;
    let p = problems(&run);
    assert!(
        p.iter()
            .any(|m| m.contains("promote good") && m.contains("answer was lost")),
        "a dropped connection after sending must say the outcome is unknown: {p:#?}"
    );
    assert!(
        matches!(phase_of(&run, "good"), Some(Phase::Failed { .. })),
        "{:?}",
        phase_of(&run, "good")
    );
    // Exactly one attempt: a promote that may have happened is never sent again.
    assert_eq!(
        script.count("POST /stacks/good/environments/live/deployments"),
        1
    );

    // And a platform 409 is shown with the platform's own words.
    script.on(
        "POST",
        "/stacks/good/environments/live/deployments",
        vec![Reply::Json(
            409,
            r#"{"error":"deployment 12 is running"}"#.into(),
        )],
    );
    handle
        .send(Command::Promote {
            stack: StackId::new("good"),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await;
    let run = until(&mut events, 10, |e| matches!(e, Event::Problem { .. })).await;
    assert!(
        problems(&run)
            .iter()
            .any(|m| m.contains("deployment 12 is running")),
        "{:#?}",
        problems(&run)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_promote_requests_start_exactly_one_deployment() {
    let script = Script::default();
    script_versions(&script);
    script.on(
        "POST",
        "/stacks/good/environments/live/deployments",
        vec![Reply::Json(201, r#"{"id":"1"}"#.into())],
    );
    script.on(
        "GET",
        "/stacks/good/deployments/1",
        vec![Reply::Json(200, r#"{"state":"running"}"#.into())],
    );
    script.on(
        "GET",
        "/stacks/good/deployments/1/output?offset=0",
        vec![Reply::Json(
            200,
            r#"{"lines":[],"next_offset":0,"complete":false}"#.into(),
        )],
    );
    let base = serve(script.clone()).await;
    let cfg = Arc::new(config(&base));
    let platform = slipway::platform::from_config(&cfg).expect("platform");
    let (handle, mut events) = engine::start(cfg, platform);
    until(&mut events, 15, |e| matches!(e, Event::Refreshed)).await;
    for _ in 0..50 {
        handle
            .send(Command::Promote {
                stack: StackId::new("good"),
                expected: None,
                override_order: false,
                to: None,
                override_gates: None,
            })
            .await;
    }
    let mut refused = 0;
    until(&mut events, 3, |e| {
        if matches!(e, Event::Refused { .. }) {
            refused += 1;
        }
        false
    })
    .await;
    assert_eq!(refused, 49);
    assert_eq!(
        script.count("POST /stacks/good/environments/live/deployments"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_platform_rejects_is_a_message_not_a_state() {
    let script = Script::default();
    let (handle, mut events) = engine_on(&script).await;
    let run = until(&mut events, 15, |e| matches!(e, Event::Refreshed)).await;
    assert_eq!(phase_of(&run, "good"), Some(Phase::Pending));

    script.on(
        "POST",
        "/stacks/good/environments/live/deployments",
        vec![Reply::Json(400, r#"{"error":"no such version"}"#.into())],
    );
    handle
        .send(Command::Promote {
            stack: StackId::new("good"),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await;
    let run = until(&mut events, 10, |e| matches!(e, Event::Problem { .. })).await;
    assert!(
        problems(&run).iter().any(|m| m.contains("no such version")),
        "{:#?}",
        problems(&run)
    );
    // Nothing was deployed: the stack keeps its phase, never `failed`.
    assert_eq!(phase_of(&run, "good"), Some(Phase::Pending));
    assert!(
        !run.iter().any(|e| matches!(
            e,
            Event::Board(b) if b.get(&StackId::new("good")).is_some_and(|s| matches!(s.phase, Phase::Failed { .. }))
        )),
        "a rejected request never shows the stack as failed"
    );
}
