//! Read-only mode, enforced by the engine: every command that would change the release
//! is refused with words that say why, and nothing reaches the platform, the chat
//! webhook or the journal. A real loopback server stands in for both and records every
//! request it sees; a control run without read-only shows the same server does see a
//! promotion, so an empty record means something.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use slipway::config::Config;
use slipway::engine::release::Refusal;
use slipway::engine::{self, Action, Answer, Command, EngineHandle, Event};
use slipway::model::{StackId, Version};
use slipway::validation::parse_str;
use support::rawhttp::{Reply, Script, serve};
use tokio::sync::mpsc::Receiver;

fn config(base: &str, journal: &Path, read_only: bool) -> Config {
    let text = format!(
        r#"[release]
name = "ro"
refresh_secs = 3600
journal = "{journal}"
read_only = {read_only}

[platform]
kind = "http"
base_url = "{base}"
timeout_secs = 1
retries = 0
retry_backoff_ms = 10
poll_ms = 50
capabilities = {{ lock = true }}

[[stacks]]
id = "www"

[announce]
kind = "webhook"
url = "{base}/hooks/releases"
timeout_secs = 1
"#,
        journal = journal.display()
    );
    parse_str(&text, Path::new("test.toml")).expect("test config parses")
}

fn script() -> Script {
    let s = Script::default();
    let version = |v: &str| Reply::Json(200, format!(r#"{{"version":"{v}","deployment":null}}"#));
    s.on(
        "GET",
        "/stacks/www/environments/test",
        vec![version("bbbbbbbbbbbbbbbb")],
    );
    s.on(
        "GET",
        "/stacks/www/environments/live",
        vec![version("aaaaaaaaaaaaaaaa")],
    );
    s.on("GET", "/lock", vec![Reply::Text(404, String::new())]);
    s.on("POST", "/lock", vec![Reply::Json(200, "{}".into())]);
    s.on("DELETE", "/lock", vec![Reply::Json(200, "{}".into())]);
    s.on(
        "POST",
        "/stacks/www/environments/live/deployments",
        vec![Reply::Json(201, r#"{"id":"77"}"#.into())],
    );
    s.on(
        "POST",
        "/hooks/releases",
        vec![Reply::Json(200, "{}".into())],
    );
    s
}

struct Harness {
    script: Script,
    engine: EngineHandle,
    events: Receiver<Event>,
    journal: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start(read_only: bool) -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = dir.path().join("ro.jsonl");
    let script = script();
    let base = serve(script.clone()).await;
    let cfg = Arc::new(config(&base, &journal, read_only));
    let platform = slipway::platform::from_config(&cfg).expect("platform");
    let (engine, mut events) = engine::start_with(cfg, platform, engine::Feeds::NONE);
    let mut said_read_only = false;
    let refreshed = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(ev) = events.recv().await {
            match ev {
                Event::ReadOnly => said_read_only = true,
                Event::Refreshed => return true,
                _ => {}
            }
        }
        false
    })
    .await;
    assert_eq!(refreshed, Ok(true), "the first read of versions");
    assert_eq!(
        said_read_only, read_only,
        "the engine says whether it is read-only"
    );
    Harness {
        script,
        engine,
        events,
        journal,
        _dir: dir,
    }
}

/// Requests that were not reads.
fn writes(script: &Script) -> Vec<String> {
    script
        .seen
        .lock()
        .map(|s| {
            s.iter()
                .filter(|k| !k.starts_with("GET "))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Sends `cmd` to a read-only engine and checks it is refused as `action`, with an
/// answer where it names a stack, and that nothing was sent or journaled.
async fn refused_and_nothing_sent(cmd: Command, action: Action) {
    let mut h = start(true).await;
    let names_stack = matches!(
        cmd,
        Command::Promote { .. } | Command::Rollback { .. } | Command::Abort { .. }
    );
    let id = h.engine.send(cmd).await.expect("engine running");
    let mut refused = None;
    let mut answered = None;
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = h.events.recv().await {
            match ev {
                Event::Refused { action: a, refusal } => refused = Some((a, refusal)),
                Event::Answer {
                    id: answered_id,
                    answer,
                    ..
                } if answered_id == id => answered = Some(answer),
                _ => {}
            }
            if refused.is_some() && (answered.is_some() || !names_stack) {
                break;
            }
        }
    })
    .await;
    let (a, refusal) = refused.expect("a refusal is said to every front end");
    assert_eq!(a, action);
    assert_eq!(refusal, Refusal::ReadOnly);
    let words = refusal.to_string();
    assert!(
        words.starts_with("read-only: slipway was started with --read-only")
            && words.ends_with("nothing was sent"),
        "{words}"
    );
    if names_stack {
        assert_eq!(answered, Some(Answer::Refused(Refusal::ReadOnly)));
    }
    // Anything sent would have gone out right away; give it time to show anyway.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(writes(&h.script), Vec::<String>::new(), "nothing but reads");
    assert!(
        !h.journal.exists(),
        "a read-only engine writes no journal entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_is_refused_and_nothing_is_sent() {
    refused_and_nothing_sent(
        Command::Promote {
            stack: StackId::new("www"),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        },
        Action::Promote,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_is_refused_and_nothing_is_sent() {
    refused_and_nothing_sent(
        Command::Rollback {
            stack: StackId::new("www"),
            to: Some(Version::new("cccccccccccccccc")),
        },
        Action::Rollback,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_is_refused_and_nothing_is_sent() {
    refused_and_nothing_sent(
        Command::Abort {
            stack: StackId::new("www"),
        },
        Action::Abort,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announce_is_refused_and_nothing_is_posted() {
    refused_and_nothing_sent(
        Command::Announce {
            text: "belfrage is going out".into(),
            kind: slipway::engine::AnnouncementKind::Release,
            force: false,
            again: true,
        },
        Action::Announce,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_steal_is_refused_and_nothing_is_sent() {
    refused_and_nothing_sent(
        Command::StealLock {
            reason: "bob went home".into(),
        },
        Action::StealLock,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_the_report_is_refused_and_nothing_is_posted() {
    refused_and_nothing_sent(
        Command::PostReport {
            text: "# Release report".into(),
        },
        Action::PostReport,
    )
    .await;
}

/// The control: the same engine and server, not read-only, do send the promotion (and
/// journal it), so the empty records above are the engine's doing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_read_only_the_same_promotion_reaches_the_platform() {
    let mut h = start(false).await;
    let id = h
        .engine
        .send(Command::Promote {
            stack: StackId::new("www"),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await
        .expect("engine running");
    let accepted = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = h.events.recv().await {
            if let Event::Answer { id: a, answer, .. } = ev
                && a == id
            {
                return Some(answer);
            }
        }
        None
    })
    .await;
    assert_eq!(accepted, Ok(Some(Answer::Accepted)));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while h
        .script
        .count("POST /stacks/www/environments/live/deployments")
        == 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the promotion was sent: {:?}",
            writes(&h.script)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let journal = std::fs::read_to_string(&h.journal).expect("journal written");
    assert!(journal.contains(r#""action":"promote""#), "{journal}");
}

/// `--read-only` on the command line reaches the engine of a CLI command: refused with
/// the same words, exit status 2, the demo platform never asked to deploy, nothing
/// posted, nothing journaled.
#[test]
fn the_read_only_flag_refuses_cli_promotions_and_announcements() {
    let served = support::served::serve();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["--read-only", "--config"])
        .arg(&served.config)
        .args(["promote", "www", "--yes"])
        .env("XDG_STATE_HOME", served.state.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("slipway runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refused: read-only: slipway was started with --read-only"),
        "{stderr}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["--config"])
        .arg(&served.config)
        .args(["--read-only", "announce", "--yes"])
        .env("XDG_STATE_HOME", served.state.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("slipway runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused: read-only"), "{stderr}");
    let config = slipway::validation::load_file(&served.config).expect("demo config");
    let journal = config.config.release.journal_path();
    let (entries, _) = slipway::journal::read(&journal).expect("journal readable");
    assert!(entries.is_empty(), "nothing journaled: {entries:?}");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["--config"])
        .arg(&served.config)
        .args(["status", "--json"])
        .env("XDG_STATE_HOME", served.state.path())
        .output()
        .expect("slipway status runs");
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    let www = &doc["stacks"][0];
    assert_eq!(www["id"], "www");
    assert_ne!(
        www["live"], www["test"],
        "live still runs the old version: {www}"
    );
    assert!(www["deployment"].is_null(), "nothing is moving: {www}");
}
