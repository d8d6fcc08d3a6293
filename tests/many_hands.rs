//! Many slipway processes on one release, started at the same instant: the real binary
//! against a loopback deploy platform that counts what it is asked. Exactly one
//! deployment per round, whether or not the platform itself refuses a second one (409);
//! the others are refused naming the holder of the release lock or what already moved;
//! the journal holds each action once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const OLD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const NEW: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
/// How long a deployment runs on the fake platform.
const DEPLOY_TIME: Duration = Duration::from_millis(400);

#[derive(Default)]
struct Platform {
    /// Answer 409 while a deployment is in flight, as most platforms do.
    conflicts: bool,
    live: String,
    posts: usize,
    /// id → (version, started)
    deployments: HashMap<u64, (String, Instant)>,
    active: Option<u64>,
    /// The platform's release lock (its optional endpoints): the holder's JSON.
    lock: Option<Value>,
}

type Shared = Arc<Mutex<Platform>>;

fn lock(p: &Shared) -> std::sync::MutexGuard<'_, Platform> {
    p.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Settles deployments whose time is up: live moves to their version.
fn settle(p: &mut Platform) {
    if let Some(id) = p.active
        && let Some((version, started)) = p.deployments.get(&id).cloned()
        && started.elapsed() >= DEPLOY_TIME
    {
        p.live = version;
        p.active = None;
    }
}

async fn env(
    State(p): State<Shared>,
    UrlPath((_stack, env)): UrlPath<(String, String)>,
) -> Response {
    let mut p = lock(&p);
    settle(&mut p);
    let version = if env == "test" {
        NEW.to_string()
    } else {
        p.live.clone()
    };
    let deployment = p
        .active
        .filter(|_| env == "live")
        .map(|id| json!({"id": id.to_string(), "state": "running"}));
    Json(json!({"version": version, "deployment": deployment})).into_response()
}

async fn deploy(State(p): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut p = lock(&p);
    settle(&mut p);
    p.posts += 1;
    if p.conflicts && p.active.is_some() {
        return (
            StatusCode::CONFLICT,
            Json(json!({"error": "a deployment is already in flight"})),
        )
            .into_response();
    }
    let id = 1000 + p.posts as u64;
    let version = body["version"].as_str().unwrap_or_default().to_string();
    p.deployments.insert(id, (version, Instant::now()));
    p.active = Some(id);
    (StatusCode::CREATED, Json(json!({"id": id.to_string()}))).into_response()
}

async fn status(State(p): State<Shared>, UrlPath((_s, id)): UrlPath<(String, u64)>) -> Response {
    let mut p = lock(&p);
    settle(&mut p);
    let done = p
        .deployments
        .get(&id)
        .is_some_and(|(_, t)| t.elapsed() >= DEPLOY_TIME);
    let state = if done { "succeeded" } else { "running" };
    Json(json!({"id": id.to_string(), "state": state})).into_response()
}

async fn output(UrlPath((_s, id)): UrlPath<(String, u64)>) -> Response {
    Json(json!({"lines": [format!("deployment {id} running")], "next_offset": 1, "complete": true}))
        .into_response()
}

async fn take_lock(State(p): State<Shared>, Json(me): Json<Value>) -> Response {
    let mut p = lock(&p);
    match &p.lock {
        Some(h) if h["pid"] != me["pid"] || h["host"] != me["host"] => {
            (StatusCode::CONFLICT, Json(h.clone())).into_response()
        }
        _ => {
            p.lock = Some(me);
            StatusCode::OK.into_response()
        }
    }
}

async fn release_lock(State(p): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut p = lock(&p);
    let mine = p
        .lock
        .as_ref()
        .is_some_and(|h| h["pid"] == body["holder"]["pid"] && h["host"] == body["holder"]["host"]);
    if mine || body["force"] == true {
        p.lock = None;
    }
    StatusCode::OK.into_response()
}

async fn read_lock(State(p): State<Shared>) -> Response {
    match lock(&p).lock.clone() {
        Some(h) => Json(h).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(p: Shared) -> SocketAddr {
    let router = Router::new()
        .route("/lock", get(read_lock).post(take_lock).delete(release_lock))
        .route("/stacks/{stack}/environments/{env}", get(env))
        .route(
            "/stacks/{stack}/environments/{env}/deployments",
            post(deploy),
        )
        .route("/stacks/{stack}/deployments/{id}", get(status))
        .route("/stacks/{stack}/deployments/{id}/output", get(output))
        .with_state(p);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

fn write_config(dir: &Path, addr: SocketAddr) -> PathBuf {
    write_config_locking(dir, addr, false)
}

/// With `platform_lock`, the platform's release lock is used too.
fn write_config_locking(dir: &Path, addr: SocketAddr, platform_lock: bool) -> PathBuf {
    let path = dir.join("slipway.toml");
    let journal = dir.join("journal.jsonl");
    std::fs::write(
        &path,
        format!(
            r#"[release]
name = "hands"
journal = "{}"

[platform]
kind = "http"
base_url = "http://{addr}"
timeout_secs = 5
poll_ms = 50

[platform.capabilities]
config = false
instances = false
lock = {platform_lock}

[[stacks]]
id = "www"
"#,
            journal.display()
        ),
    )
    .expect("write config");
    path
}

fn promote(config: &Path, state: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(config)
        .args(["promote", "www", "--yes"])
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("slipway runs")
}

/// Waits for every process started together; their outputs and what each said.
async fn finish_all(children: Vec<std::process::Child>) -> (Vec<Output>, Vec<String>) {
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect()
    })
    .await
    .expect("join");
    let said = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect();
    (outputs, said)
}

fn journal(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every journal line is whole JSON"))
        .collect()
}

fn count(entries: &[Value], action: &str) -> usize {
    entries.iter().filter(|e| e["action"] == action).count()
}

/// `n` promotions of one stack started together, `rounds` times.
async fn rounds(conflicts: bool, n: usize, rounds: usize) {
    let p: Shared = Arc::new(Mutex::new(Platform {
        conflicts,
        live: OLD.into(),
        ..Platform::default()
    }));
    let addr = serve(Arc::clone(&p)).await;
    for round in 0..rounds {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), addr);
        {
            let mut p = lock(&p);
            p.live = OLD.into();
            p.active = None;
            p.posts = 0;
        }
        let children: Vec<_> = (0..n).map(|_| promote(&config, dir.path())).collect();
        let (outputs, said) = finish_all(children).await;
        let posts = lock(&p).posts;
        assert_eq!(
            posts, 1,
            "round {round} (409: {conflicts}, {n} at once): {posts} deployments asked for\n{said:#?}"
        );
        let ok = outputs.iter().filter(|o| o.status.success()).count();
        assert_eq!(ok, 1, "round {round}: one promotion succeeds\n{said:#?}");
        for (o, text) in outputs.iter().zip(&said) {
            if !o.status.success() {
                assert_eq!(o.status.code(), Some(2), "refused, not failed: {text}");
                assert!(
                    text.contains("locked by")
                        || text.contains("already runs")
                        || text.contains("already in flight"),
                    "the refusal names the holder or what moved: {text}"
                );
            }
        }
        // The journal: one promotion and its outcome, one refusal per other process.
        let entries = journal(dir.path());
        assert_eq!(count(&entries, "promote"), 1, "{entries:#?}");
        assert_eq!(count(&entries, "deploy_finished"), 1, "{entries:#?}");
        assert_eq!(count(&entries, "refused"), n - 1, "{entries:#?}");
        assert!(
            !dir.path().join("journal.lock").exists(),
            "the lock is released when the action ends"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_promotions_at_once_start_one_deployment_without_409() {
    rounds(false, 2, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_promotions_at_once_start_one_deployment_with_409() {
    rounds(true, 2, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_promotions_at_once_start_one_deployment() {
    rounds(false, 5, 5).await;
}

/// `kill -9` of a promoting CLI at a random moment, then the same command again (a
/// restart), 40 times: no journal line is ever torn, every deployment the platform ran is
/// named in the journal by its id (journaled by its starter, adopted by the restart, or
/// recorded as observed), and the dead process's lock is taken over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_promotion_then_restart_leaves_a_whole_journal() {
    let p: Shared = Arc::new(Mutex::new(Platform {
        conflicts: true,
        live: OLD.into(),
        ..Platform::default()
    }));
    let addr = serve(Arc::clone(&p)).await;
    let mut rng = fastrand::Rng::with_seed(9);
    let (mut adopted, mut observed, mut taken_over) = (0, 0, 0);
    for round in 0..40 {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), addr);
        {
            let mut p = lock(&p);
            p.live = OLD.into();
            p.active = None;
            p.deployments.clear();
        }
        let mut first = promote(&config, dir.path());
        let delay = Duration::from_millis(rng.u64(0..700));
        tokio::time::sleep(delay).await;
        let _ = first.kill(); // SIGKILL
        let _ = first.wait();
        // The restart: the same command again, to its end.
        let second = promote(&config, dir.path());
        let out = tokio::task::spawn_blocking(move || second.wait_with_output())
            .await
            .expect("join")
            .expect("wait");
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        // Let a deployment the restart did not follow finish on the platform.
        tokio::time::sleep(DEPLOY_TIME).await;
        let entries = journal(dir.path());
        let ids: Vec<String> = lock(&p).deployments.keys().map(u64::to_string).collect();
        for id in &ids {
            assert!(
                entries.iter().any(|e| e["deployment"] == id.as_str()),
                "round {round} (killed after {delay:?}): deployment {id} is not in the journal\n{said}\n{entries:#?}"
            );
        }
        adopted += count(&entries, "adopted");
        observed += count(&entries, "observed");
        taken_over += count(&entries, "lock_taken_over");
        assert!(
            !dir.path().join("journal.lock").exists(),
            "round {round}: the lock is released at the end\n{said}"
        );
    }
    eprintln!(
        "40 kill -9 rounds: {adopted} deployments adopted, {observed} observed, {taken_over} locks taken over"
    );
}

/// A promotion that ends live has journaled its outcome before the command exits, so a
/// rollback started right after finds its target, 10 times in 10.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_right_after_a_cli_promotion_finds_its_target() {
    let p: Shared = Arc::new(Mutex::new(Platform {
        conflicts: true,
        live: OLD.into(),
        ..Platform::default()
    }));
    let addr = serve(Arc::clone(&p)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), addr);
    for round in 0..10 {
        let promoted = promote(&config, dir.path());
        let out = tokio::task::spawn_blocking(move || promoted.wait_with_output())
            .await
            .expect("join")
            .expect("wait");
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let entries = journal(dir.path());
        assert_eq!(
            count(&entries, "deploy_finished"),
            2 * round + 1,
            "{entries:#?}"
        );
        let back = Command::new(env!("CARGO_BIN_EXE_slipway"))
            .arg("--config")
            .arg(&config)
            .args(["rollback", "www", "--yes"])
            .env("XDG_STATE_HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("rollback runs");
        assert!(
            back.status.success(),
            "round {round}: the rollback finds its target: {}",
            String::from_utf8_lossy(&back.stderr)
        );
        assert_eq!(lock(&p).live, OLD, "round {round}");
    }
}

/// Two machines (each its own state directory, so no shared lock file) promoting at the
/// same instant: the platform's lock makes them exclude each other, 10 rounds of 10.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_exclude_each_other_through_the_platform_lock() {
    let p: Shared = Arc::new(Mutex::new(Platform {
        conflicts: false,
        live: OLD.into(),
        ..Platform::default()
    }));
    let addr = serve(Arc::clone(&p)).await;
    for round in 0..10 {
        let (a, b) = (
            tempfile::tempdir().expect("machine a"),
            tempfile::tempdir().expect("machine b"),
        );
        let (ca, cb) = (
            write_config_locking(a.path(), addr, true),
            write_config_locking(b.path(), addr, true),
        );
        {
            let mut p = lock(&p);
            p.live = OLD.into();
            p.active = None;
            p.posts = 0;
        }
        let children = vec![promote(&ca, a.path()), promote(&cb, b.path())];
        let (outputs, said) = finish_all(children).await;
        assert_eq!(lock(&p).posts, 1, "round {round}: {said:#?}");
        assert_eq!(
            outputs.iter().filter(|o| o.status.success()).count(),
            1,
            "round {round}: {said:#?}"
        );
        assert!(
            lock(&p).lock.is_none(),
            "round {round}: the platform's lock is let go at the end"
        );
    }
}
