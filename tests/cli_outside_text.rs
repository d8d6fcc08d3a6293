//! Text from outside reaches a person only through the sanitiser, and a configured
//! secret echoed back reaches nobody: every subcommand of the real binary runs against a
//! loopback platform and chat stand-in whose answers (versions, deployment ids, error
//! messages, deploy output, smoke bodies) and whose repository (commit subjects) and log
//! file hold terminal payloads — OSC 52 clipboard writes, OSC 0 titles, `ESC[2J`, cursor
//! moves, DCS strings, 8-bit C1 controls, U+202E — and the platform token itself.
//! Into a pipe, stdout and stderr hold no ESC, no C1 control and no bidi control; the
//! token appears in no output, not in the journal, not in `history`, not in the
//! diagnostics log written at `SLIPWAY_LOG=trace`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

#[path = "support/gitrepo.rs"]
mod gitrepo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Every payload of the issue, run together.
const P: &str = "\u{1b}]52;c;cGF5bG9hZA==\u{07}\u{1b}]0;owned\u{07}\u{1b}[2J\u{1b}[10;10H\u{1b}Pq#0;2;0\u{1b}\\\u{9b}31m\u{9d}0;t\u{9c}\u{202e}\u{200f}";

const TOKEN: &str = "tok-SECRET-5f1e-9a7c-never-show";
const HOOK_SECRET: &str = "hooks/T000/B000/SECRETHOOK8x8x";

/// What the stand-in saw, to prove the token was really sent.
#[derive(Clone, Default)]
struct Seen {
    auth: Arc<Mutex<Vec<String>>>,
    /// An abort was asked for: the deployment in flight ends `aborted`.
    aborted: Arc<std::sync::atomic::AtomicBool>,
}

#[allow(clippy::unused_async, reason = "an axum handler is an async fn")]
async fn platform(seen: Seen, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.auth.lock().unwrap().push(auth.clone());
    // Echo whatever credential came with the request, as a careless platform does.
    let echo = format!("{P} credential {auth:?} ");
    let path = uri.path().to_string();
    let offset0 = uri.query().is_none_or(|q| q.contains("offset=0"));
    let j = |v: serde_json::Value| (StatusCode::OK, axum::Json(v)).into_response();
    let fail = |code: u16, v: serde_json::Value| {
        (StatusCode::from_u16(code).unwrap(), axum::Json(v)).into_response()
    };
    let versions = |live: &str, test: &str, env: &str| -> String {
        if env == "live" {
            live.into()
        } else {
            test.into()
        }
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (live, test) = REVS.get().cloned().unwrap_or_default();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["stacks", "www", "environments", env]) => {
            j(json!({ "version": versions(&live, &test, env) }))
        }
        ("GET", ["stacks", "sally", "environments", env]) => {
            let mut v =
                json!({ "version": versions(&format!("1a1a1a1{P}"), &format!("9f9f9f9{P}"), env) });
            if *env == "live" {
                v["deployment"] = json!({ "id": format!("77{P}") });
            }
            j(v)
        }
        ("GET", ["stacks", "bruce", "environments", _]) => fail(
            500,
            json!({ "error": format!("{echo}versions unavailable") }),
        ),
        ("POST", ["stacks", _, "environments", "live", "deployments"]) => (
            StatusCode::CREATED,
            axum::Json(json!({ "id": "501", "url": format!("http://deploy.example/{P}") })),
        )
            .into_response(),
        ("GET", ["stacks", "www", "deployments", _]) => {
            j(json!({ "id": "501", "state": "failed", "message": format!("{echo}boom") }))
        }
        ("GET", ["stacks", _, "deployments", _]) => {
            let state = if seen.aborted.load(std::sync::atomic::Ordering::SeqCst) {
                "aborted"
            } else {
                "running"
            };
            j(json!({ "state": state, "progress": 0.5, "message": format!("{echo}busy") }))
        }
        ("GET", ["stacks", _, "deployments", _, "output"]) if offset0 => j(json!({
            "lines": [format!("step 1 {echo}"), "\u{1b}[31mred\u{1b}[0m done", format!("{P}\r{P}progress")],
            "next_offset": 3,
            "complete": true,
        })),
        ("GET", ["stacks", _, "deployments", _, "output"]) => {
            j(json!({ "lines": [], "next_offset": 3, "complete": true }))
        }
        ("POST", ["stacks", _, "deployments", _, "abort"]) => {
            seen.aborted
                .store(true, std::sync::atomic::Ordering::SeqCst);
            fail(500, json!({ "error": format!("{echo}cannot abort") }))
        }
        ("GET", ["stacks", _, "environments", _, "instances"]) => {
            j(json!([{ "id": "i1", "host": "127.0.0.1" }]))
        }
        ("GET", ["stacks", _, "environments", _, "config"]) => j(json!({})),
        ("GET", ["smoke"]) => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("{echo}smoke")).into_response()
        }
        ("POST", ["hooks", ..]) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{P} no such hook {path} {auth}"),
        )
            .into_response(),
        _ => fail(404, json!({ "error": format!("{P}no route {path}") })),
    }
}

static REVS: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

async fn serve(seen: Seen) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap| {
        let seen = seen.clone();
        async move { platform(seen, m, u, h).await }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    base: String,
    _repo: gitrepo::GitRepo,
}

fn setup(base: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = gitrepo::GitRepo::new();
    let live = repo.commit("Ann Dev", "First commit", &[("a.txt", "1")]);
    repo.commit(
        &format!("Mallory{P}"),
        &format!("Fix {P} the cache (#12)"),
        &[("config/app.toml", "x")],
    );
    let test = repo.commit("Bob", &format!("Add {P}routes"), &[("b.txt", "2")]);
    let _ = REVS.set((live, test));
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(
        dir.path().join("logs/i1.log"),
        format!("12:00:01 INFO ok\n12:00:02 ERROR {P} bad {TOKEN}\n"),
    )
    .unwrap();
    let config = dir.path().join("slipway.toml");
    std::fs::write(
        &config,
        format!(
            r#"[release]
name = "belfrage"
journal = "{journal}"

[platform]
kind = "http"
base_url = "{base}"
timeout_secs = 3
retries = 0
poll_ms = 100

[platform.auth]
token_env = "SLIPWAY_TEST_PLATFORM_TOKEN"

[[stacks]]
id = "www"
instances = [{{ id = "i1", host = "127.0.0.1" }}]

[[stacks.smoke]]
name = "health"
url = "{base}/smoke"
timeout_ms = 2000

[[stacks]]
id = "sally"

[[stacks]]
id = "bruce"

[repo]
path = "{repo}"

[logs]
source = {{ kind = "file", path = "{logs}/{{instance}}.log" }}

[announce]
kind = "webhook"
url_env = "SLIPWAY_TEST_HOOK_URL"
"#,
            journal = dir.path().join("journal.jsonl").display(),
            repo = repo.path().display(),
            logs = dir.path().join("logs").display(),
        ),
    )
    .unwrap();
    Setup {
        dir,
        config,
        base: base.to_string(),
        _repo: repo,
    }
}

fn slipway(s: &Setup, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(&s.config)
        .arg("--log-file")
        .arg(s.dir.path().join("slipway.log"))
        .args(args)
        .env("XDG_STATE_HOME", s.dir.path().join("state"))
        .env("SLIPWAY_TEST_PLATFORM_TOKEN", TOKEN)
        .env("SLIPWAY_TEST_HOOK_URL", format!("{}/{HOOK_SECRET}", s.base))
        .env("SLIPWAY_LOG", "trace")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("slipway runs");
    // Read both pipes while waiting, and never wait forever.
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return false;
            }
        }
        let _ = Command::new("kill").arg(pid.to_string()).status();
        true
    });
    let out = child.wait_with_output().expect("slipway ends");
    let killed = watchdog.join().unwrap_or(false);
    assert!(
        !killed,
        "`slipway {}` did not end within 60 s:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The characters a terminal would act on (or that reorder text): ESC, any C0 control
/// but newline, DEL, C1 controls, bidi controls.
fn raw_controls(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|&(_, c)| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        })
        .collect()
}

fn check(name: &str, out: &Output, shown: &mut Vec<(String, String)>) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let raw = raw_controls(&text);
        assert!(
            raw.is_empty(),
            "`slipway {name}` {stream} holds raw controls {raw:?}:\n{text:?}"
        );
        shown.push((format!("{name} {stream}"), text));
    }
}

fn assert_no_secret(shown: &[(String, String)]) {
    for (where_, text) in shown {
        for secret in [TOKEN, HOOK_SECRET] {
            assert!(
                !text.contains(secret),
                "the secret {secret} leaked into {where_}:\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_prints_outside_text_safely_and_never_the_token() {
    let seen = Seen::default();
    let base = serve(seen.clone()).await;
    let s = setup(&base);
    // An entry written earlier (by an older slipway, say) with the payload and the token.
    let old = json!({
        "at": "2026-12-01T10:00:00Z", "user": "old", "host": "h", "action": "deploy_finished",
        "stack": "www", "detail": format!("{P} prewritten {TOKEN}"),
    });
    std::fs::write(s.dir.path().join("journal.jsonl"), format!("{old}\n")).unwrap();
    let s = Arc::new(s);
    let mut shown: Vec<(String, String)> = Vec::new();
    let outputs = run_every_subcommand(&s, &mut shown).await;
    the_outside_text_was_printed(&outputs);
    // JSON keeps the text, escaped: a script reading it gets the same characters back.
    let status: serde_json::Value =
        serde_json::from_slice(&outputs[1].1.stdout).unwrap_or_else(|e| {
            panic!(
                "status --json: {e}:\n{}",
                String::from_utf8_lossy(&outputs[1].1.stdout)
            )
        });
    assert!(status["stacks"].is_array(), "{status}");

    // check-config: a key holding the payload is named in the error, harmlessly.
    let bad = s.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[release]\nname = \"x\"\n\"evil\\u001b]0;t\\u0007\\u009b2J\\u202ekey\" = 1\n",
    )
    .unwrap();
    let out = slipway(&s, &["check-config", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    check("check-config", &out, &mut shown);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("evil"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The token was sent, and echoed back: yet nothing shows it.
    assert!(
        seen.auth
            .lock()
            .unwrap()
            .iter()
            .any(|a| a == &format!("Bearer {TOKEN}"))
    );
    let journal = std::fs::read_to_string(s.dir.path().join("journal.jsonl")).unwrap_or_default();
    // Everything but the line the test wrote itself.
    let written: String = journal
        .lines()
        .filter(|l| !l.contains("prewritten"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(written.contains("promote"), "{written}");
    shown.push(("the journal".into(), written));
    let log = std::fs::read_to_string(s.dir.path().join("slipway.log")).unwrap_or_default();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "a trace log was written"
    );
    shown.push(("the log file".into(), log));
    assert_no_secret(&shown);
}

/// Runs every subcommand that prints outside text, one after another, each checked for
/// raw controls; their outputs by name, in that order.
async fn run_every_subcommand(
    s: &Arc<Setup>,
    shown: &mut Vec<(String, String)>,
) -> Vec<(&'static str, Output)> {
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("status", vec!["status"]),
        ("status --json", vec!["status", "--json"]),
        // Sally's deployment #77 is in flight on this platform, which the gates block:
        // overridden, so the promotion's own output (the outside text) is printed.
        (
            "promote",
            vec![
                "promote",
                "www",
                "--yes",
                "--override-gates",
                "--reason",
                "outside-text test",
            ],
        ),
        (
            "rollback",
            vec!["rollback", "www", "--to", "1a1a1a1", "--yes"],
        ),
        ("abort", vec!["abort", "sally", "--yes"]),
        ("smoke", vec!["smoke"]),
        ("smoke --json", vec!["smoke", "--json"]),
        ("diff", vec!["diff"]),
        ("diff --json", vec!["diff", "--json"]),
        ("announce --dry-run", vec!["announce", "--dry-run"]),
        (
            "announce --complete",
            vec!["announce", "--complete", "--yes"],
        ),
        ("logs", vec!["logs", "www", "-n", "10"]),
        ("history", vec!["history"]),
        ("history --json", vec!["history", "--json"]),
    ];
    let mut outputs = Vec::new();
    for (name, args) in runs {
        let s = s.clone();
        let args: Vec<String> = args.iter().map(std::string::ToString::to_string).collect();
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            slipway(&s, &args)
        })
        .await
        .unwrap();
        check(name, &out, shown);
        outputs.push((name, out));
    }
    outputs
}

/// The test means something only if the outside text really got printed.
fn the_outside_text_was_printed(outputs: &[(&str, Output)]) {
    let text_of = |name: &str| -> String {
        outputs
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, o)| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .collect()
    };
    assert!(
        text_of("status").contains("versions unavailable"),
        "{}",
        text_of("status")
    );
    assert!(
        text_of("promote").contains("red done"),
        "{}",
        text_of("promote")
    );
    assert!(
        text_of("promote").contains("boom"),
        "{}",
        text_of("promote")
    );
    assert!(
        text_of("abort").contains("cannot abort"),
        "{}",
        text_of("abort")
    );
    assert!(text_of("diff").contains("the cache"), "{}", text_of("diff"));
    assert!(
        text_of("announce --dry-run").contains("the cache"),
        "{}",
        text_of("announce --dry-run")
    );
    assert!(
        text_of("logs").contains("bad [redacted]"),
        "{}",
        text_of("logs")
    );
    assert!(
        text_of("history").contains("prewritten [redacted]"),
        "{}",
        text_of("history")
    );
    assert!(
        text_of("promote").contains("[redacted]"),
        "{}",
        text_of("promote")
    );
    // The chat stand-in's echo of the secret webhook address was shown, masked.
    assert!(
        text_of("announce --complete").contains("no such hook [redacted]"),
        "{}",
        text_of("announce --complete")
    );
}
