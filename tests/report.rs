//! The release report of a real (simulated) release: the engine drives the embedded demo
//! — announce, promote WWW, promote Sally out of order (its smoke checks fail), roll
//! Sally back — and the report built from the journal and the demo's git repository is
//! compared with a snapshot (times, ids and the user normalised). The JSON and the
//! `slipway report` command are checked on a journal written by hand.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use slipway::demo::{DemoOptions, start};
use slipway::engine::{self, Answer, Command, EngineHandle, Event, Outcome, SmokeCause};
use slipway::journal::{Entry, append};
use slipway::model::StackId;
use slipway::report::{self, Scope};
use tokio::sync::mpsc::Receiver;

async fn until<T>(
    events: &mut Receiver<Event>,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(Duration::from_secs(secs), async {
        while let Some(ev) = events.recv().await {
            if let Some(t) = pick(&ev) {
                return Some(t);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(t)) => t,
        _ => panic!("timed out after {secs}s waiting for {what}"),
    }
}

/// Sends a command and waits for the engine's last word on it.
async fn finished(engine: &EngineHandle, events: &mut Receiver<Event>, cmd: Command) -> Outcome {
    let id = engine.send(cmd).await.expect("engine running");
    until(events, 60, "the request to finish", |e| match e {
        Event::Answer {
            id: a,
            answer: Answer::Finished(o),
            ..
        } if *a == id => Some(o.clone()),
        Event::Answer {
            id: a,
            answer: Answer::Refused(r),
            ..
        } if *a == id => panic!("refused: {r}"),
        _ => None,
    })
    .await
}

/// Times, durations, deployment ids, the user and the temporary paths vary per run.
fn normalise(text: &str, journal: &Path) -> String {
    let me = format!(
        "{}@{}",
        slipway::journal::os_user(),
        slipway::journal::host_name()
    );
    let mut out = text
        .replace(&journal.display().to_string(), "<journal>")
        .replace(&me, "<user>@<host>");
    for (pattern, with) in [
        (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
        (r"\d{2}:\d{2}:\d{2}", "hh:mm:ss"),
        (r"\d{2}:\d{2}", "hh:mm"),
        (r"\b\d+(h \d{2}m|m \d{2}s|s)\b", "<took>"),
        (r"· #\d+", "· #<deployment>"),
        (r"\d+(\.\d+)?ms", "<ms>ms"),
    ] {
        let re = regex::Regex::new(pattern).expect("pattern");
        out = re.replace_all(&out, with).into_owned();
    }
    // The demo's history is dated relative to today, so its commit ids change from week
    // to week: each becomes a label in order of first appearance, which keeps which id
    // appears where (a release's "from" matching a stack's rollback target).
    let sha = regex::Regex::new(r"\b[0-9a-f]{7,40}\b").expect("pattern");
    let mut seen: Vec<String> = Vec::new();
    out = sha
        .replace_all(&out, |c: &regex::Captures<'_>| {
            let id = c[0].to_string();
            let n = seen.iter().position(|s| *s == id).unwrap_or_else(|| {
                seen.push(id);
                seen.len() - 1
            });
            format!("<c{n}>")
        })
        .into_owned();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_a_demo_release_with_a_rollback() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let config = env.config().expect("demo config");
    let journal = config.release.journal_path();
    let config = Arc::new(config);
    let platform = slipway::platform::from_config(&config).expect("platform");
    // No metric feed: flags would be raised at times a test cannot pin down (the
    // journaling of flags has its own tests).
    let (engine, mut events) = engine::start_with(config.clone(), platform, engine::Feeds::NONE);
    until(&mut events, 20, "the first refresh", |e| {
        matches!(e, Event::Refreshed).then_some(())
    })
    .await;
    release_with_a_rollback(&engine, &mut events).await;

    let repo = report::repo_access(&config);
    let built = report::gather(&config, &Scope::default(), &repo).expect("report");
    let md = report::markdown(&built);
    assert!(!md.contains('\x1b'), "no escape sequences");
    insta::assert_snapshot!("demo_release", normalise(&md, &journal));
    check_the_report_json(&built);
    env.shutdown().await;
}

/// Announce, promote WWW, promote Sally out of order (its smoke checks fail), roll Sally
/// back and wait for the smoke checks after the rollback.
async fn release_with_a_rollback(engine: &EngineHandle, events: &mut Receiver<Event>) {
    let www = StackId::new("www");
    let sally = StackId::new("sally");
    engine
        .send(Command::Announce {
            text: "belfrage is going out".into(),
            kind: slipway::engine::AnnouncementKind::Release,
            force: false,
            again: false,
        })
        .await;
    until(events, 20, "the announcement", |e| match e {
        Event::Announced {
            what: slipway::engine::Posted::Announcement(slipway::engine::AnnouncementKind::Release),
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    let outcome = finished(
        engine,
        events,
        Command::Promote {
            stack: www.clone(),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        },
    )
    .await;
    assert!(matches!(outcome, Outcome::Live { .. }), "{outcome:?}");
    let outcome = finished(
        engine,
        events,
        Command::Promote {
            stack: sally.clone(),
            expected: None,
            override_order: true,
            to: None,
            override_gates: None,
        },
    )
    .await;
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
    let outcome = finished(
        engine,
        events,
        Command::Rollback {
            stack: sally.clone(),
            to: None,
        },
    )
    .await;
    assert!(matches!(outcome, Outcome::RolledBack { .. }), "{outcome:?}");
    until(
        events,
        30,
        "Sally's smoke checks after the rollback",
        |e| match e {
            Event::Smoke {
                stack,
                cause: SmokeCause::Rollback,
                ..
            } if *stack == sally => Some(()),
            _ => None,
        },
    )
    .await;
}

/// The same report for machines: every section is there, with the facts in fields.
fn check_the_report_json(built: &report::Report) {
    let json = serde_json::to_value(built).expect("JSON");
    assert_eq!(json["format"], 1);
    assert_eq!(json["service"], "belfrage");
    assert_eq!(json["shipped"]["state"], "listed");
    assert!(json["shipped"]["count"].as_u64().unwrap_or(0) > 0, "{json}");
    let stacks = json["stacks"].as_array().expect("stacks");
    let outcomes: Vec<&str> = stacks
        .iter()
        .map(|s| s["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        outcomes,
        ["promoted", "not_promoted", "rolled_back", "not_promoted"]
    );
    let sally_steps = stacks[2]["steps"].as_array().expect("steps");
    assert_eq!(sally_steps.len(), 2);
    assert_eq!(sally_steps[1]["action"], "rollback");
    assert!(sally_steps[1]["duration_secs"].is_i64());
    assert_eq!(json["announcements"].as_array().map(Vec::len), Some(1));
}

fn at(e: Entry, rfc3339: &str) -> Entry {
    let mut e = e;
    e.at = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("time")
        .with_timezone(&chrono::Utc);
    e.user = "alice".into();
    e.host = "laptop".into();
    e
}

/// A config without a repository and a journal written by hand, for the command.
fn hand_written(dir: &Path) -> std::path::PathBuf {
    let journal = dir.join("j.jsonl");
    let cfg = dir.join("slipway.toml");
    std::fs::write(
        &cfg,
        format!(
            "[release]\nname = \"belfrage\"\njournal = \"{}\"\n\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\n\n[[stacks]]\nid = \"www\"\nname = \"WWW\"\n\n[[stacks]]\nid = \"sally\"\nname = \"Sally\"\n",
            journal.display()
        ),
    )
    .expect("config written");
    let v1 = "1111111111111111111111111111111111111111";
    let v2 = "2222222222222222222222222222222222222222";
    for e in [
        at(
            Entry::new(slipway::journal::Act::Approve)
                .env("live")
                .versions(v1, v2)
                .detail("staging signed off"),
            "2026-11-22T11:58:00Z",
        ),
        at(
            Entry::new(slipway::journal::Act::Override)
                .stack("sally")
                .detail("friday: agreed with \x1b[31mDana\x1b[0m | lead"),
            "2026-11-22T11:59:00Z",
        ),
        at(
            Entry::new(slipway::journal::Act::Promote)
                .stack("www")
                .env("live")
                .versions(v1, v2),
            "2026-11-22T12:00:00Z",
        ),
        at(
            Entry::new(slipway::journal::Act::DeployStarted)
                .stack("www")
                .env("live")
                .versions(v1, v2)
                .deployment("41"),
            "2026-11-22T12:00:01Z",
        ),
        at(
            Entry::new(slipway::journal::Act::DeployFinished)
                .stack("www")
                .env("live")
                .versions(v1, v2)
                .deployment("41")
                .outcome("succeeded"),
            "2026-11-22T12:02:14Z",
        ),
        at(
            Entry::new(slipway::journal::Act::Flag)
                .stack("www")
                .series("errors")
                .versions(v1, v2)
                .outcome("spike")
                .detail(
                    "errors SPIKE +340% against its baseline before the change, since 12:03:10 UTC",
                ),
            "2026-11-22T12:04:00Z",
        ),
    ] {
        append(&journal, &e).expect("journal written");
    }
    cfg
}

fn slipway(cfg: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .output()
        .expect("slipway runs")
}

#[test]
fn the_report_command_prints_json_and_markdown_and_explains_what_it_cannot_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = hand_written(dir.path());

    let out = slipway(&cfg, &["report", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for key in [
        "format",
        "service",
        "version",
        "scope",
        "first",
        "last",
        "generated_at",
        "journal",
        "entries",
        "unreadable_lines",
        "shipped",
        "stacks",
        "overrides",
        "approvals",
        "announcements",
        "refusals",
        "other",
        "people",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json:#}");
    }
    assert_eq!(json["shipped"]["state"], "not_configured");
    assert_eq!(
        json["entries"], 6,
        "the approval and override before the promotion count"
    );
    let www = &json["stacks"][0];
    assert_eq!(www["outcome"], "promoted");
    assert_eq!(www["state"], "live runs 2222222");
    assert_eq!(www["steps"][0]["duration_secs"], 133);
    assert_eq!(www["steps"][0]["by"], "alice@laptop");
    assert_eq!(www["flags"][0]["series"], "errors");
    assert_eq!(www["flags"][0]["effect"], "spike");
    assert_eq!(
        json["approvals"][0]["text"],
        "approved 2222222 onto live: staging signed off"
    );
    assert_eq!(json["overrides"][0]["stack"], "sally");

    let out = slipway(&cfg, &["report"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        md.starts_with("# Release report: belfrage 2222222\n"),
        "{md}"
    );
    assert!(md.contains("| promote to live | `1111111` → `2222222` | alice@laptop | 12:00:01 | 12:02:14 | 2m 13s | succeeded · #41 |"), "{md}");
    assert!(md.contains("the commits are not listed"), "{md}");
    assert!(
        md.contains("agreed with Dana \\| lead"),
        "escapes gone, the table safe: {md}"
    );
    assert!(!md.contains('\x1b'));

    let out = slipway(&cfg, &["report", "--release", "abcdef0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no promotion of abcdef0") && err.contains("2222222"),
        "{err}"
    );

    let out = slipway(&cfg, &["report", "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since last tuesday"));
}
