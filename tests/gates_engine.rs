//! The pre-flight gates through the real engine on the embedded demo (its platform,
//! repository, smoke endpoints and metrics), and the change gates on real repositories:
//! a freeze refused then overridden (and journaled), a deployment in flight and another
//! operator's lock, smoke failing on staging before the step to live, live flagged by the
//! metrics, risky commits and drift.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use slipway::config::{Config, FreezeConfig};
use slipway::demo::{DemoOptions, start};
use slipway::engine::gates::{self, Gate, Item, Level, RepoFacts, Report, Step};
use slipway::engine::release::Refusal;
use slipway::engine::{self, Answer, Command, Event, Feeds, Outcome, RequestId};
use slipway::model::{Env, StackId, Version};
use support::gitrepo::GitRepo;
use tokio::sync::mpsc::Receiver;

fn id(s: &str) -> StackId {
    StackId::new(s)
}

/// Through the config's own validation, as a user's file would be.
fn validated(c: Config) -> Config {
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

fn answer_to(req: RequestId) -> impl FnMut(&Event) -> Option<Answer> {
    move |e| match e {
        Event::Answer { id, answer, .. } if *id == req && *answer != Answer::Accepted => {
            Some(answer.clone())
        }
        _ => None,
    }
}

fn check_answer(req: RequestId) -> impl FnMut(&Event) -> Option<Report> {
    move |e| match e {
        Event::GateCheck {
            id,
            result: Ok(report),
        } if *id == req => Some(report.clone()),
        Event::GateCheck { id, result: Err(r) } if *id == req => {
            panic!("the check was refused: {r}")
        }
        _ => None,
    }
}

fn item<'a>(report: &'a Report, gate: Gate, stack: Option<&str>) -> &'a Item {
    report
        .items
        .iter()
        .find(|i| i.gate == gate && i.step.as_ref().map(|s| s.stack.as_str()) == stack)
        .unwrap_or_else(|| panic!("no {gate:?} item for {stack:?} in {report:#?}"))
}

fn promote(stack: &str, override_order: bool, reason: Option<&str>) -> Command {
    Command::Promote {
        stack: id(stack),
        expected: None,
        override_order,
        to: None,
        override_gates: reason.map(str::to_string),
    }
}

async fn send(handle: &engine::EngineHandle, cmd: Command) -> RequestId {
    handle.send(cmd).await.expect("the engine runs")
}

fn journal(config: &Config) -> Vec<slipway::journal::Entry> {
    slipway::journal::read(&config.release.journal_path())
        .expect("journal")
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_blocks_until_overridden_with_a_reason_and_the_override_is_journaled() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let mut c = env.config().expect("demo config");
    // A daily window around now, London time.
    let london = Utc::now().with_timezone(&chrono_tz::Europe::London);
    let hhmm = |d: chrono::Duration| (london + d).format("%H:%M").to_string();
    c.gates.time_zone = Some("Europe/London".into());
    c.gates.freeze.push(FreezeConfig {
        name: "incident".into(),
        from: hhmm(chrono::Duration::hours(-1)),
        to: hhmm(chrono::Duration::hours(1)),
        time_zone: None,
        level: Level::Block,
    });
    let config = Arc::new(validated(c));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start_with(config.clone(), platform, Feeds::NONE);

    // The release's report says so as soon as the versions are read.
    let report = until(&mut events, 30, "the release's gates", |e| match e {
        Event::Gates(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    assert_eq!(report.headline(), Some((Level::Block, "⛔ freeze".into())));
    assert!(
        item(&report, Gate::Freeze, None)
            .reason
            .starts_with("'incident' freeze until "),
        "{report:#?}"
    );

    let req = send(&handle, promote("www", false, None)).await;
    let refused = until(&mut events, 30, "the refusal", answer_to(req)).await;
    let Answer::Refused(refusal @ Refusal::GatesBlocked { .. }) = refused else {
        panic!("expected the gates to block: {refused:?}");
    };
    assert!(refusal.can_override());
    assert!(
        refusal
            .to_string()
            .contains("freeze: 'incident' freeze until"),
        "{refusal}"
    );

    // A blank reason is no reason.
    let req = send(&handle, promote("www", false, Some("   "))).await;
    let again = until(&mut events, 30, "the second refusal", answer_to(req)).await;
    assert!(
        matches!(again, Answer::Refused(Refusal::GatesBlocked { .. })),
        "{again:?}"
    );

    let reason = "INC-42: the fix for the outage";
    let req = send(&handle, promote("www", false, Some(reason))).await;
    let done = until(&mut events, 60, "the promotion", answer_to(req)).await;
    assert!(
        matches!(done, Answer::Finished(Outcome::Live { .. })),
        "{done:?}"
    );

    let entries = journal(&config);
    let overrides: Vec<_> = entries.iter().filter(|e| e.action == "override").collect();
    assert_eq!(overrides.len(), 1, "{entries:#?}");
    let o = overrides[0];
    assert_eq!(o.user, slipway::journal::os_user());
    assert_eq!(o.stack.as_deref(), Some("www"));
    assert_eq!(o.env.as_deref(), Some("live"));
    assert_eq!(o.gates, ["freeze"]);
    assert_eq!(o.reason.as_deref(), Some(reason));
    let promoted = entries
        .iter()
        .find(|e| e.action == "promote")
        .expect("the promotion");
    assert_eq!((&o.from, &o.to), (&promoted.from, &promoted.to));
    assert!(
        o.at <= promoted.at,
        "the override is on record before the promotion"
    );
    let refusals = entries
        .iter()
        .filter(|e| {
            e.action == "refused"
                && e.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("gates block"))
        })
        .count();
    assert_eq!(refusals, 2);
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_in_flight_and_another_operators_lock_block() {
    let env = start(DemoOptions {
        step_ms: 250,
        ..DemoOptions::fast()
    })
    .await
    .expect("demo starts");
    let config = Arc::new(env.config().expect("demo config"));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start_with(config.clone(), platform, Feeds::NONE);
    until(&mut events, 30, "the first refresh", |e| {
        matches!(e, Event::Refreshed).then_some(())
    })
    .await;

    let www = send(&handle, promote("www", false, None)).await;
    until(&mut events, 30, "WWW deploying", |e| match e {
        Event::Board(b) => b
            .get(&id("www"))
            .and_then(|s| s.phase.in_flight())
            .and_then(|t| t.deployment.clone()),
        _ => None,
    })
    .await;
    let check = send(
        &handle,
        Command::CheckGates {
            stack: None,
            to: None,
        },
    )
    .await;
    let report = until(&mut events, 30, "the check", check_answer(check)).await;
    let flight = item(&report, Gate::InFlight, None);
    assert_eq!(flight.level, Level::Block);
    assert!(
        flight.reason.starts_with("deployment in flight: WWW #"),
        "{}",
        flight.reason
    );
    // Cedric may go out of order, not on top of a running deployment.
    let cedric = send(&handle, promote("cedric", true, None)).await;
    let refused = until(&mut events, 30, "Cedric refused", answer_to(cedric)).await;
    assert!(
        matches!(&refused, Answer::Refused(Refusal::GatesBlocked { blocking, .. })
            if blocking.iter().any(|b| b.starts_with("in flight: deployment in flight: WWW"))),
        "{refused:?}"
    );
    let done = until(&mut events, 60, "WWW done", answer_to(www)).await;
    assert!(
        matches!(done, Answer::Finished(Outcome::Live { .. })),
        "{done:?}"
    );

    // Another operator, on another machine, takes the release lock.
    let lock_path = config.release.journal_path().with_extension("lock");
    let bob = slipway::model::LockHolder {
        user: "bob".into(),
        host: "elsewhere".into(),
        pid: 1,
        action: "promoting Bruce".into(),
        since: Utc::now(),
    };
    std::fs::write(&lock_path, serde_json::to_vec(&bob).expect("json")).expect("lock file");
    handle.send(Command::Refresh).await;
    let report = until(&mut events, 30, "the lock in the gates", |e| match e {
        Event::Gates(r) if item(r, Gate::Lock, None).level == Level::Block => Some(r.clone()),
        _ => None,
    })
    .await;
    assert!(
        item(&report, Gate::Lock, None)
            .reason
            .starts_with("held by bob@elsewhere · promoting Bruce"),
        "{report:#?}"
    );
    assert_eq!(item(&report, Gate::InFlight, None).level, Level::Pass);
    std::fs::remove_file(&lock_path).expect("unlock");
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_failing_on_staging_blocks_the_step_to_live_and_later_staging_steps_go_unchecked() {
    let env = start(DemoOptions {
        environments: 3,
        ..DemoOptions::fast()
    })
    .await
    .expect("demo starts");
    let mut c = env.config().expect("demo config");
    // Sally's checks fail whatever they reach: the environment before live is unhealthy.
    for s in c.stacks.iter_mut().filter(|s| s.id == id("sally")) {
        for check in &mut s.smoke {
            check.expect_status = 418;
            check.retries = 0;
        }
    }
    let config = Arc::new(validated(c));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start_with(config.clone(), platform, Feeds::NONE);
    let board = until(
        &mut events,
        30,
        "the first board with versions",
        |e| match e {
            Event::Board(b) if b.stacks.iter().all(|s| s.versions.is_some()) => Some(b.clone()),
            _ => None,
        },
    )
    .await;
    let head = board
        .get(&id("sally"))
        .and_then(|s| s.versions.as_ref())
        .and_then(|v| v.version(&Env::new("dev")).cloned())
        .expect("dev's version");

    let req = send(
        &handle,
        Command::Promote {
            stack: id("sally"),
            expected: None,
            override_order: true,
            to: Some(Env::new("staging")),
            override_gates: None,
        },
    )
    .await;
    let done = until(&mut events, 60, "Sally on staging", answer_to(req)).await;
    assert!(
        matches!(&done, Answer::Finished(Outcome::Failed { reason }) if reason.contains("smoke")),
        "{done:?}"
    );
    let smoke = journal(&config)
        .into_iter()
        .rfind(|e| e.action == "smoke")
        .expect("the smoke run");
    assert_eq!(smoke.env.as_deref(), Some("staging"));
    assert_eq!(smoke.to.as_deref(), Some(head.as_str()));

    let check = send(
        &handle,
        Command::CheckGates {
            stack: Some(id("sally")),
            to: Some(Env::live()),
        },
    )
    .await;
    let report = until(&mut events, 30, "the check", check_answer(check)).await;
    let health = item(&report, Gate::SourceHealth, Some("sally"));
    assert_eq!(health.level, Level::Block, "{health:?}");
    assert!(
        health.reason.contains(&format!(
            "smoke checks failed on staging for {}",
            Version::new(head.as_str()).short()
        )),
        "{}",
        health.reason
    );
    // The release has started (Sally's step took the new version): the others' steps
    // onto staging are no longer checked; live ones always are.
    let check = send(
        &handle,
        Command::CheckGates {
            stack: None,
            to: None,
        },
    )
    .await;
    let report = until(&mut events, 30, "the release check", check_answer(check)).await;
    let steps: Vec<(String, String)> = report
        .items
        .iter()
        .filter_map(|i| i.step.as_ref())
        .map(|s| (s.stack.to_string(), s.env.to_string()))
        .collect();
    assert!(
        !steps.iter().any(|(_, e)| e == "staging"),
        "staging steps after the first go unchecked: {steps:?}"
    );
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_flagged_by_the_metrics_warns_before_the_next_promotion() {
    let env = start(DemoOptions::fast()).await.expect("demo starts");
    let mut c = env.config().expect("demo config");
    // A sample a second and a short baseline, as tests/engine_demo.rs does.
    c.metrics.interval_secs = 1;
    c.metrics.timeout_secs = 1;
    c.metrics.anomaly.min_baseline_samples = 8;
    c.metrics.anomaly.recent_window = 4;
    c.metrics.anomaly.consecutive = 2;
    c.metrics.anomaly.p_value = 0.01;
    let config = Arc::new(validated(c));
    let platform = slipway::platform::from_config(&config).expect("platform");
    let (handle, mut events) = engine::start(config, platform);
    until(&mut events, 30, "a baseline on Sally", |e| match e {
        Event::Metrics(u) if u.stack == id("sally") && u.baseline.ready() => Some(()),
        _ => None,
    })
    .await;
    let req = send(&handle, promote("sally", true, None)).await;
    until(
        &mut events,
        60,
        "Sally's promotion to finish",
        answer_to(req),
    )
    .await;
    let report = until(&mut events, 60, "live flagged in the gates", |e| match e {
        Event::Gates(r) if item(r, Gate::LiveFlagged, None).level == Level::Warn => Some(r.clone()),
        _ => None,
    })
    .await;
    let flagged = item(&report, Gate::LiveFlagged, None);
    assert!(
        flagged.reason.starts_with("flagged on live: Sally "),
        "{}",
        flagged.reason
    );
    assert!(flagged.evaluated);
    env.shutdown().await;
}

/// A repository where test (main) adds a migration, a config change and a lock file
/// update, and live runs a hotfix branch test never got.
fn drifted_repo() -> (GitRepo, String, String) {
    let mut repo = GitRepo::new();
    repo.commit("Ann", "Initial", &[("lib/app.ex", "v1")]);
    repo.git(&["branch", "hotfix"]);
    repo.commit(
        "Bob",
        "Add routes column (#12)",
        &[("priv/repo/migrations/20261201_routes.exs", "alter")],
    );
    repo.commit(
        "Cy",
        "Raise the pool size",
        &[("config/prod.exs", "pool: 20")],
    );
    repo.commit("Dee", "Bump plug", &[("mix.lock", "plug 1.16")]);
    let test = repo.commit("Ed", "Fix the cache key", &[("lib/app.ex", "v2")]);
    repo.checkout(&["hotfix"]);
    let live = repo.commit(
        "Flo",
        "Hotfix the origin timeout",
        &[("lib/origin.ex", "t")],
    );
    (repo, live, test)
}

#[test]
fn risky_changes_and_drift_on_a_real_repository() {
    let (repo, live, test) = drifted_repo();
    let git = git2::Repository::open(repo.path()).expect("opens");
    let rules = slipway::vcs::RiskRules::defaults();
    let cs = slipway::vcs::diff(&git, &live, &test, &rules).expect("diff");
    let step = Step {
        stack: id("sally"),
        name: "Sally".into(),
        source_env: Env::test(),
        env: Env::live(),
        from: Version::new(live.as_str()),
        to: Version::new(test.as_str()),
    };
    let mut diffs = HashMap::new();
    diffs.insert((step.from.clone(), step.to.clone()), Arc::new(Ok(cs)));
    let repo_facts = RepoFacts::Ready(&diffs);
    let risky = gates::changes::risky(&repo_facts, &step);
    assert_eq!(risky.level, Level::Warn);
    assert_eq!(
        risky.reason,
        "1 config, 1 dependencies, 1 migration in 4 commits"
    );
    let drift = gates::changes::drift(&repo_facts, &step);
    assert_eq!(drift.level, Level::Warn);
    assert!(
        drift.reason.starts_with("live holds 1 commit test lacks (")
            && drift.reason.contains("Hotfix the origin timeout"),
        "{}",
        drift.reason
    );

    // Live an ancestor of test, and nothing risky: both pass.
    let mut clean = GitRepo::new();
    let old = clean.commit("Ann", "Initial", &[("lib/app.ex", "v1")]);
    let new = clean.commit("Bob", "Fix", &[("lib/app.ex", "v2")]);
    let git = git2::Repository::open(clean.path()).expect("opens");
    let cs = slipway::vcs::diff(&git, &old, &new, &rules).expect("diff");
    let step = Step {
        from: Version::new(old.as_str()),
        to: Version::new(new.as_str()),
        ..step
    };
    let mut diffs = HashMap::new();
    diffs.insert((step.from.clone(), step.to.clone()), Arc::new(Ok(cs)));
    let repo_facts = RepoFacts::Ready(&diffs);
    assert_eq!(
        gates::changes::risky(&repo_facts, &step).reason,
        "1 commit, none risky"
    );
    assert_eq!(gates::changes::drift(&repo_facts, &step).level, Level::Pass);
    // A version the repository does not have: said, and worth a look.
    let unknown = Step {
        to: Version::new("0123456789abcdef0123456789abcdef01234567"),
        ..step
    };
    let mut diffs = HashMap::new();
    diffs.insert(
        (unknown.from.clone(), unknown.to.clone()),
        Arc::new(slipway::vcs::diff(
            &git,
            unknown.from.as_str(),
            unknown.to.as_str(),
            &rules,
        )),
    );
    let missing = gates::changes::risky(&RepoFacts::Ready(&diffs), &unknown);
    assert_eq!((missing.level, missing.evaluated), (Level::Warn, false));
    assert!(
        missing.reason.starts_with("not evaluated: "),
        "{}",
        missing.reason
    );
    let none = gates::changes::risky(&RepoFacts::NotConfigured, &unknown);
    assert_eq!(
        (none.level, none.reason.as_str()),
        (
            Level::Pass,
            "not evaluated: no repository configured ([repo])"
        )
    );
}
