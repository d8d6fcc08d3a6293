//! The whole watch-the-rollout loop through the engine on the embedded demo, whose Sally
//! release is bad on purpose: promote Sally, see the error spike and the failed smoke
//! check, roll back, see the error rate come down.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::sync::Arc;
use std::time::Duration;

use slipway::config::Config;
use slipway::demo::{DemoEnvironment, DemoOptions, start};
use slipway::engine::release::{Phase, Refusal};
use slipway::engine::{self, Command, EngineHandle, Event, SmokeCause};
use slipway::feeds::metrics::{MetricsUpdate, Verdict};
use slipway::model::{StackId, Version};
use tokio::sync::mpsc::Receiver;

fn sally() -> StackId {
    StackId::new("sally")
}

/// The demo's config, tuned for a test: a sample a second and a short baseline, so a
/// spike is judged within seconds (the same knobs a real config has).
fn fast(mut c: Config, auto_rollback: bool) -> Config {
    // Tuned through the config's own validation: a test must not use settings a user
    // would be refused.
    c.metrics.interval_secs = 1;
    c.metrics.timeout_secs = 1;
    c.metrics.anomaly.min_baseline_samples = 8;
    c.metrics.anomaly.recent_window = 4;
    c.metrics.anomaly.consecutive = 2;
    c.metrics.anomaly.p_value = 0.01;
    c.smoke.auto_rollback = auto_rollback;
    let text = toml::to_string(&c).expect("config serialises");
    slipway::validation::parse_str(&text, std::path::Path::new("test.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

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

fn errors_of(u: &MetricsUpdate) -> Option<(Option<f64>, Verdict)> {
    u.series
        .iter()
        .find(|s| s.name == "errors")
        .map(|s| (s.value, s.verdict.clone()))
}

fn sally_phase(ev: &Event) -> Option<Phase> {
    match ev {
        Event::Board(b) => b.get(&sally()).map(|s| s.phase.clone()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_release_is_flagged_fails_smoke_and_rolls_back_to_health() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let config = Arc::new(fast(env.config().expect("demo config"), false));
    let journal = config.release.journal_path();
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start(config, platform);
    until(&mut events, 20, "the first refresh", |e| {
        matches!(e, Event::Refreshed).then_some(())
    })
    .await;

    // A baseline before the promotion: healthy error rate on Sally.
    let healthy = until(
        &mut events,
        20,
        "a baseline of Sally's error rate",
        |e| match e {
            Event::Metrics(u)
                if u.stack == sally() && u.series.iter().any(|s| s.history.len() >= 10) =>
            {
                errors_of(u).and_then(|(v, _)| v)
            }
            _ => None,
        },
    )
    .await;
    assert!(healthy < 2.0, "Sally starts healthy: {healthy}%");

    promote_sally_and_see_smoke_fail(&handle, &mut events).await;
    see_the_error_spike(&mut events).await;
    see_a_typed_rollback_target_refused(&handle, &mut events).await;
    roll_back_and_see_recovery(&handle, &mut events, &env).await;
    see_the_flag_journaled_once(&journal, &env);
    env.shutdown().await;
}

/// The deployment succeeds, then the smoke checks fail: the stack is Failed, not Live.
async fn promote_sally_and_see_smoke_fail(handle: &EngineHandle, events: &mut Receiver<Event>) {
    handle
        .send(Command::Promote {
            stack: sally(),
            expected: None,
            override_order: true,
            to: None,
            override_gates: None,
        })
        .await;
    let report = until(
        events,
        30,
        "Sally's smoke checks after the promotion",
        |e| match e {
            Event::Smoke {
                stack,
                cause: SmokeCause::Promotion,
                report,
            } if *stack == sally() => Some(report.clone()),
            _ => None,
        },
    )
    .await;
    assert!(!report.passed(), "{report:?}");
    let failed: Vec<_> = report
        .failed()
        .map(|c| (c.name.clone(), c.status))
        .collect();
    assert_eq!(failed, [("article".to_string(), Some(500))]);
    let phase = until(events, 10, "Sally failed", |e| {
        sally_phase(e).filter(|p| matches!(p, Phase::Failed { .. }))
    })
    .await;
    assert!(
        matches!(&phase, Phase::Failed { reason, .. } if reason.contains("article")),
        "{phase:?}"
    );
}

/// The error rate is flagged as a spike within the configured window.
async fn see_the_error_spike(events: &mut Receiver<Event>) {
    let (value, verdict) = until(events, 40, "a SPIKE on Sally's error rate", |e| match e {
        Event::Metrics(u) if u.stack == sally() => {
            errors_of(u).filter(|(_, v)| matches!(v, Verdict::Spike { .. }))
        }
        _ => None,
    })
    .await;
    assert!(
        value.is_some_and(|v| v > 4.0),
        "errors during the spike: {value:?} ({verdict:?})"
    );
}

/// A rollback target typed by hand is checked against the repository: a typo is
/// refused before anything is sent, and the stack keeps its phase.
async fn see_a_typed_rollback_target_refused(handle: &EngineHandle, events: &mut Receiver<Event>) {
    handle
        .send(Command::Rollback {
            stack: sally(),
            to: Some(Version::new("deadbee")),
        })
        .await;
    let refusal = until(events, 10, "the typo refused", |e| match e {
        Event::Refused { refusal, .. } => Some(refusal.clone()),
        _ => None,
    })
    .await;
    assert!(
        matches!(refusal, Refusal::UnknownVersion { .. }),
        "{refusal:?}"
    );
}

/// Roll back to the version live ran before the promotion: the flag holds until the
/// data shows recovery, then clears to a verdict of evidence.
async fn roll_back_and_see_recovery(
    handle: &EngineHandle,
    events: &mut Receiver<Event>,
    env: &DemoEnvironment,
) {
    handle
        .send(Command::Rollback {
            stack: sally(),
            to: None,
        })
        .await;
    // While the rollback runs and right after it, the flag stays up: the bad version
    // may still serve, and no data yet shows recovery.
    let mut held = Vec::new();
    let phase = until(events, 30, "Sally rolled back", |e| {
        if let Event::Metrics(u) = e
            && u.stack == sally()
            && let Some((_, v)) = errors_of(u)
        {
            held.push(v);
        }
        sally_phase(e).filter(|p| matches!(p, Phase::RolledBack(_)))
    })
    .await;
    assert!(
        held.iter().all(Verdict::is_flag),
        "the flag never clears during the rollback: {held:?}"
    );
    let Phase::RolledBack(t) = phase else {
        unreachable!()
    };
    assert_eq!(t.to.as_str(), env.versions().live_older);
    let next = until(events, 10, "a round after the rollback", |e| match e {
        Event::Metrics(u) if u.stack == sally() => errors_of(u).map(|(_, v)| v),
        _ => None,
    })
    .await;
    assert!(
        next.flag().is_some_and(|f| f.hold.is_some()),
        "held until data shows recovery: {next:?}"
    );
    // And the error rate comes back down.
    let after = until(
        events,
        30,
        "Sally's error rate back to normal",
        |e| match e {
            Event::Metrics(u) if u.stack == sally() => {
                errors_of(u).and_then(|(v, _)| v).filter(|v| *v < 2.0)
            }
            _ => None,
        },
    )
    .await;
    assert!(after < 2.0);
    // Recovery shows in the data: the flag clears to a verdict of evidence.
    until(events, 60, "Sally's errors judged ok again", |e| match e {
        Event::Metrics(u) if u.stack == sally() => {
            errors_of(u).filter(|(_, v)| *v == Verdict::Ok).map(|_| ())
        }
        _ => None,
    })
    .await;
}

/// The journal has the flag once (for the release report), not once per sample, nor
/// again while it held through the rollback.
fn see_the_flag_journaled_once(journal: &std::path::Path, env: &DemoEnvironment) {
    let (entries, _) = slipway::journal::read(journal).expect("journal");
    let flags: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "flag" && e.series.as_deref() == Some("errors"))
        .collect();
    assert_eq!(flags.len(), 1, "{flags:#?}");
    assert_eq!(flags[0].stack.as_deref(), Some("sally"));
    assert_eq!(flags[0].outcome.as_deref(), Some("spike"));
    assert_eq!(flags[0].to.as_deref(), Some(env.versions().test.as_str()));
    assert!(
        flags[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("errors SPIKE")),
        "{:?}",
        flags[0].detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_rollback_starts_by_itself_and_says_so() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let config = Arc::new(fast(env.config().expect("demo config"), true));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start(config, platform);
    until(&mut events, 20, "the first refresh", |e| {
        matches!(e, Event::Refreshed).then_some(())
    })
    .await;
    handle
        .send(Command::Promote {
            stack: sally(),
            expected: None,
            override_order: true,
            to: None,
            override_gates: None,
        })
        .await;
    let notice = until(
        &mut events,
        40,
        "the automatic rollback notice",
        |e| match e {
            Event::Notice(n) if n.contains("rolling back automatically") => Some(n.clone()),
            _ => None,
        },
    )
    .await;
    assert!(notice.starts_with("Sally: smoke tests failed"), "{notice}");
    until(&mut events, 30, "Sally rolled back", |e| {
        sally_phase(e).filter(|p| matches!(p, Phase::RolledBack(_)))
    })
    .await;
    // The rollback is checked too, and the old version passes.
    let report = until(
        &mut events,
        20,
        "smoke checks after the rollback",
        |e| match e {
            Event::Smoke {
                stack,
                cause: SmokeCause::Rollback,
                report,
            } if *stack == sally() => Some(report.clone()),
            _ => None,
        },
    )
    .await;
    assert!(report.passed(), "{report:?}");
    env.shutdown().await;
}

/// A full promotion of WWW through the engine and the http adapter against the
/// simulator: the output streams in order, a second promote meanwhile is refused, and
/// live ends on test's version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_streams_output_refuses_a_second_and_moves_live() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let config = Arc::new(env.config().expect("demo config"));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start(config, platform);
    until(&mut events, 20, "the first refresh", |e| {
        matches!(e, Event::Refreshed).then_some(())
    })
    .await;
    let www = StackId::new("www");
    let promote = || Command::Promote {
        stack: StackId::new("www"),
        expected: None,
        override_order: false,
        to: None,
        override_gates: None,
    };
    handle.send(promote()).await;
    handle.send(promote()).await;
    let mut output = Vec::new();
    let mut refused = None;
    let finished = until(&mut events, 60, "WWW's deployment to finish", |e| match e {
        Event::DeployOutput { stack, lines, .. } if *stack == www => {
            output.extend(lines.iter().cloned());
            None
        }
        Event::Refused { refusal, .. } => {
            refused = Some(refusal.clone());
            None
        }
        Event::DeployFinished { stack, state, .. } if *stack == www => Some(state.clone()),
        _ => None,
    })
    .await;
    assert_eq!(finished, slipway::model::DeployState::Succeeded);
    assert!(
        matches!(
            &refused,
            Some(slipway::engine::release::Refusal::InFlight { .. })
        ),
        "the second promote is refused as in flight: {refused:?}"
    );
    see_the_output_whole_and_in_order(&output, &env).await;
    let phase = until(
        &mut events,
        30,
        "WWW live after its smoke checks",
        |e| match e {
            Event::Board(b) => b
                .get(&www)
                .filter(|s| s.phase == Phase::Live)
                .and_then(|s| s.versions.clone()),
            _ => None,
        },
    )
    .await;
    assert_eq!(phase.live().as_str(), env.versions().test);
    drop(handle);
    see_the_promotion_journaled_and_recovered(&env).await;
    env.shutdown().await;
}

/// The job's steps arrive in order, each line once: the stream equals the platform's
/// own copy of the terminal.
async fn see_the_output_whole_and_in_order(output: &[String], env: &DemoEnvironment) {
    let find = |needle: &str| output.iter().position(|l| l.contains(needle));
    let (fetch, update, done) = (
        find("Fetching artefact"),
        find("Updating instances"),
        find("WWW live is now running"),
    );
    assert!(
        fetch.is_some() && update.is_some() && done.is_some(),
        "{output:#?}"
    );
    assert!(fetch < update && update < done, "{output:#?}");
    // Nothing lost or repeated: the stream equals the platform's own copy of the terminal.
    let terminal = reqwest::get(format!("{}/deployments/5639226", env.base_url()))
        .await
        .expect("the terminal page")
        .text()
        .await
        .expect("its text");
    let expected: Vec<&str> = terminal.lines().collect();
    assert_eq!(output, expected);
}

/// The journal recorded who promoted what, and a new engine (a restart, or the CLI in
/// another terminal) recovers the rollback target from it.
async fn see_the_promotion_journaled_and_recovered(env: &DemoEnvironment) {
    let www = StackId::new("www");
    let journal = env.dir().join("journal.jsonl");
    let text = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let t = std::fs::read_to_string(&journal).unwrap_or_default();
            if t.contains("\"smoke\"") {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the journal records the smoke run");
    let actions: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["stack"] == "www")
        .filter_map(|v| v["action"].as_str().map(String::from))
        .collect();
    assert_eq!(
        actions,
        [
            "promote",
            "refused",
            "deploy_started",
            "deploy_finished",
            "smoke"
        ],
        "{text}"
    );
    let config = Arc::new(env.config().expect("demo config"));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (_again, mut events) = engine::start(config, platform);
    let target = until(
        &mut events,
        20,
        "the rollback target recovered",
        |e| match e {
            Event::Board(b) => b.get(&www).and_then(|s| s.previous_live.clone()),
            _ => None,
        },
    )
    .await;
    assert_eq!(target.as_str(), env.versions().live_recent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_engine_posts_into_the_same_announcement_thread() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let config = Arc::new(fast(env.config().expect("demo config"), false));
    let messages = || async {
        let url = format!("{}/chat/messages", env.base_url());
        let v: serde_json::Value = reqwest::get(&url)
            .await
            .expect("chat stand-in answers")
            .json()
            .await
            .expect("json");
        v.as_array().cloned().unwrap_or_default()
    };
    {
        let platform = slipway::platform::from_config(&config).expect("platform");
        let (handle, mut events) = engine::start(config.clone(), platform);
        handle
            .send(Command::Announce {
                text: "Releasing belfrage".into(),
                kind: slipway::engine::AnnouncementKind::Release,
                force: false,
                again: false,
            })
            .await;
        until(&mut events, 20, "the announcement posted", |e| match e {
            Event::Announced { .. } => Some(()),
            _ => None,
        })
        .await;
        // The engine goes away (a crash or a quit) with the thread known only to it.
    }
    // Each channel's announcement starts its thread.
    let threads: std::collections::HashMap<String, String> = messages()
        .await
        .iter()
        .filter(|m| m["text"] == "Releasing belfrage")
        .filter_map(|m| {
            Some((
                m["channel"].as_str()?.to_string(),
                m["ts"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert!(!threads.is_empty(), "the announcement is in the channels");

    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start(config.clone(), platform);
    until(&mut events, 20, "the first refresh", |e| {
        matches!(e, Event::Refreshed).then_some(())
    })
    .await;
    handle
        .send(Command::Promote {
            stack: StackId::new("www"),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await;
    until(&mut events, 20, "the deploy start posted", |e| match e {
        Event::Announced {
            what: slipway::engine::Posted::DeployStart(_),
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    let replies: Vec<_> = messages()
        .await
        .into_iter()
        .filter(|m| m["text"] != "Releasing belfrage")
        .collect();
    // One update per channel, each in the thread its announcement started.
    let mut replied: Vec<&str> = replies
        .iter()
        .filter_map(|m| m["thread_ts"].as_str())
        .collect();
    let mut started: Vec<&str> = threads.values().map(String::as_str).collect();
    replied.sort_unstable();
    started.sort_unstable();
    assert_eq!(replied, started, "{replies:#?}");
    env.shutdown().await;
}
