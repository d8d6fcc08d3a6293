//! What a platform sends is bounded: a 50 MB answer is refused with a clear error past
//! the limit, and 50 MB of deploy output streams through without staying resident. The
//! peak RSS of the real binary is measured (`VmHWM`) and must stay under 100 MB.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

const MB: usize = 1_000_000;
/// Deploy output served in total, in polls of this size.
const OUTPUT_TOTAL: usize = 50 * MB;
const OUTPUT_POLL: usize = 2 * MB;
const LINE: usize = 200;

/// A body of `len` bytes sent in 64 KiB chunks without a Content-Length (chunked): the
/// client cannot know the size until it has read it.
fn streamed(prefix: &'static str, len: usize) -> Response {
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let n = len / chunk.len();
    let head = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(prefix)) });
    let rest = futures::stream::iter((0..n).map(move |_| Ok(chunk.clone())));
    let body = Body::from_stream(futures::StreamExt::chain(head, rest));
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

#[allow(clippy::unused_async, reason = "an axum handler is an async fn")]
async fn platform(polls: Arc<AtomicUsize>, method: Method, uri: Uri) -> Response {
    let parts: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(str::to_string)
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let j = |v: serde_json::Value| (StatusCode::OK, axum::Json(v)).into_response();
    let total_polls = OUTPUT_TOTAL / OUTPUT_POLL;
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["stacks", "big", "environments", _]) => streamed("{\"version\":\"", 50 * MB),
        ("GET", ["stacks", "www", "environments", env]) => {
            j(json!({ "version": if *env == "live" { "1111111" } else { "2222222" } }))
        }
        ("POST", ["stacks", "www", "environments", "live", "deployments"]) => {
            (StatusCode::CREATED, axum::Json(json!({ "id": "42" }))).into_response()
        }
        ("GET", ["stacks", "www", "deployments", "42"]) => {
            let done = polls.load(Ordering::SeqCst) >= total_polls;
            j(json!({ "state": if done { "succeeded" } else { "running" } }))
        }
        ("GET", ["stacks", "www", "deployments", "42", "output"]) => {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            if n >= total_polls {
                return j(json!({ "lines": [], "next_offset": n, "complete": true }));
            }
            let line = format!(
                "{:<width$}",
                format!("[12:00:00] poll {n} \u{1b}[32mok\u{1b}[0m"),
                width = LINE
            );
            let lines: Vec<&str> = std::iter::repeat_n(line.as_str(), OUTPUT_POLL / LINE).collect();
            j(json!({ "lines": lines, "next_offset": n + 1, "complete": false }))
        }
        ("GET", ["stacks", _, "environments", _, "instances"]) => j(json!([])),
        _ => (StatusCode::NOT_FOUND, "no route").into_response(),
    }
}

async fn serve() -> (String, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let p = polls.clone();
    let app = Router::new().fallback(move |m: Method, u: Uri| {
        let p = p.clone();
        async move { platform(p, m, u).await }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), polls)
}

fn config(dir: &Path, base: &str) -> PathBuf {
    let path = dir.join("slipway.toml");
    std::fs::write(
        &path,
        format!(
            r#"[release]
name = "belfrage"
journal = "{journal}"

[platform]
kind = "http"
base_url = "{base}"
timeout_secs = 20
retries = 0
poll_ms = 50

[[stacks]]
id = "www"

[[stacks]]
id = "big"
"#,
            journal = dir.join("journal.jsonl").display()
        ),
    )
    .unwrap();
    path
}

struct Run {
    code: Option<i32>,
    stdout_bytes: usize,
    stderr: String,
    /// Peak resident set size, from /proc/PID/status `VmHWM`.
    peak_rss_kb: u64,
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn run(config: &Path, state: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(state.join("slipway.log"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("slipway runs");
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let mut n = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match std::io::Read::read(&mut stdout, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    n += k;
                    // Keep a little, to look at.
                    if sink.len() < 4096 {
                        sink.extend_from_slice(&buf[..k.min(4096)]);
                    }
                }
            }
        }
        n
    });
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`slipway {}` did not end within 240 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout_bytes = reader.join().unwrap_or(0);
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    Run {
        code: status.code(),
        stdout_bytes,
        stderr,
        peak_rss_kb: peak,
    }
}

const BUDGET_KB: u64 = 100 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_answer_and_50_mb_of_deploy_output_stay_under_100_mb() {
    let (base, polls) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &base);

    let (c, d) = (cfg.clone(), dir.path().to_path_buf());
    let status = tokio::task::spawn_blocking(move || run(&c, &d, &["status"]))
        .await
        .unwrap();
    eprintln!(
        "status with a 50 MB answer: peak RSS {} kB",
        status.peak_rss_kb
    );
    assert!(
        status.stderr.contains("answer larger than 4 MiB"),
        "the user is told why: {}",
        status.stderr
    );
    assert!(
        status.peak_rss_kb > 0 && status.peak_rss_kb < BUDGET_KB,
        "{} kB",
        status.peak_rss_kb
    );

    let (c, d) = (cfg.clone(), dir.path().to_path_buf());
    let promote = tokio::task::spawn_blocking(move || run(&c, &d, &["promote", "www", "--yes"]))
        .await
        .unwrap();
    eprintln!(
        "promote streaming {} MB of deploy output ({} bytes printed): peak RSS {} kB",
        OUTPUT_TOTAL / MB,
        promote.stdout_bytes,
        promote.peak_rss_kb
    );
    assert_eq!(promote.code, Some(0), "{}", promote.stderr);
    assert!(polls.load(Ordering::SeqCst) >= OUTPUT_TOTAL / OUTPUT_POLL);
    // Every line went through (sanitised: the colour codes are gone into a pipe).
    assert!(
        promote.stdout_bytes >= OUTPUT_TOTAL * 9 / 10,
        "{} bytes printed",
        promote.stdout_bytes
    );
    assert!(
        promote.peak_rss_kb < BUDGET_KB,
        "{} kB",
        promote.peak_rss_kb
    );
}
