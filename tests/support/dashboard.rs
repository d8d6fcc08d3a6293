//! A release on the dashboard built from fixed data, so its pictures never change by
//! themselves: four stacks over a real git history with fixed dates (so fixed commit ids),
//! metrics with one stack flagged, log lines and a deployment's output, a frozen clock.
//!
//! What the engine would have done (a promotion, its deployment, the release report) is
//! fed as the events the engine sends for it, built with the engine's own board functions
//! and report builder, so a picture shows what a user of the real engine sees.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use slipway::config::{BadDirection, LogsConfig};
use slipway::engine::release::{Board, StackRelease};
use slipway::engine::{Action, Event};
use slipway::feeds::logs::{LineBatch, LogFeedEvent, SourceStatus};
use slipway::feeds::metrics::{
    Flag, MetricsUpdate, Point, SeriesUpdate, Shift, Source, SourceReport, SourceTotals, Verdict,
    Watch,
};
use slipway::journal::{Act, Entry};
use slipway::model::{
    DeployState, DeploymentId, DeploymentRef, Env, Instance, StackId, StackVersions, Version,
};
use slipway::report::{self, Context, Draft, RepoAccess, Scope};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;
use slipway::vcs::{RiskRules, diff};

use super::gitrepo::GitRepo;

/// The dashboard and the repository its changes were read from (kept alive with it).
pub struct Release {
    pub app: App,
    /// Full commit ids: what Bruce runs on live, what Cedric and Sally run on live, and
    /// what every stack runs on test.
    pub old: String,
    pub live: String,
    pub test: String,
    repo: GitRepo,
}

pub const STACKS: [(&str, &str); 4] = [
    ("www", "WWW"),
    ("cedric", "Cedric"),
    ("sally", "Sally"),
    ("bruce", "Bruce"),
];

/// The four stacks with `test` on test and, in `STACKS` order, these versions on live.
pub fn board_on(test: &str, live: [&str; 4]) -> Board {
    let mut board = Board::new(
        STACKS
            .iter()
            .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
            .collect(),
    );
    for ((id, _), l) in STACKS.iter().zip(live) {
        board.apply_versions(
            &StackId::new(id),
            StackVersions::pair(
                Version::new(test.to_string()),
                Version::new(l.to_string()),
                None,
            ),
        );
    }
    board
}

/// What the dashboard is told of the release at start; `metrics_series` as configured.
pub fn app_info(metrics_series: usize) -> AppInfo {
    AppInfo {
        release: "belfrage".into(),
        platform: "http https://deploy.example/api".into(),
        logs: LogsConfig::default(),
        metrics_series,
        stops_with_us: None,
    }
}

/// Four stacks: WWW live, Cedric and Sally pending on one range, Bruce on an older one.
pub fn release(theme: Theme) -> Release {
    release_with(theme, 3)
}

/// As [`release`]; `metrics_series` as the config would say (0: no metrics configured).
pub fn release_with(theme: Theme, metrics_series: usize) -> Release {
    let mut r = GitRepo::new();
    let old = r.commit("Dana", "Initial routing", &[("lib/router.ex", "r")]);
    let live = r.commit(
        "Alice",
        "Add cache headers (#1201)",
        &[("lib/cache.ex", "c")],
    );
    r.commit(
        "Bob",
        "Add routes column (#1230)",
        &[("priv/repo/migrations/1_routes.exs", "m")],
    );
    r.commit("Carol", "Bump plug (#1231)", &[("mix.lock", "x")]);
    let test = r.commit(
        "Alice",
        "Fix cache key for personalised pages (#1234)",
        &[("lib/cache.ex", "c2")],
    );
    let repo = git2::Repository::open(r.path()).unwrap_or_else(|e| panic!("repo: {e}"));
    let rules = RiskRules::defaults();
    let board = board_on(&test, [&test, &live, &live, &old]);
    let info = app_info(metrics_series);
    let mut app = App::new(info, theme, board.clone());
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board));
    for l in [&live, &old] {
        let cs = diff(&repo, l, &test, &rules).unwrap_or_else(|e| panic!("diff: {e}"));
        app.on_engine_event(Event::Changes {
            live: Version::new(l.clone()),
            test: Version::new(test.clone()),
            changes: Arc::new(Ok(cs)),
        });
    }
    Release {
        app,
        old,
        live,
        test,
        repo: r,
    }
}

/// [`release`] with every pane holding something: WWW promoted through this dashboard
/// (its deployment's output and end), metrics (Sally's errors flagged), and the followed
/// instance's log lines.
pub fn busy_release(theme: Theme) -> Release {
    let mut rel = release_with(theme, 3);
    let app = &mut rel.app;
    // Before its promotion WWW ran what Cedric and Sally still run.
    versions_read(app, "www", &rel.live, &rel.test);
    promote(
        app,
        "www",
        at_clock(12, 0, 5),
        WWW_DEPLOYMENT,
        WWW_DEPLOY_LINES,
    );
    deploy_finished(app, "www", WWW_DEPLOYMENT, DeployState::Succeeded);
    // After the deployment, so the status line says what a user reads last: the flag.
    for (id, _) in STACKS {
        app.on_engine_event(Event::Metrics(Box::new(metrics(id))));
    }
    let www = StackId::new("www");
    app.on_engine_event(Event::LogTarget {
        stack: www,
        instance: Some("www-1a15".into()),
        description: "file /var/log/belfrage/www-1a15.log".into(),
    });
    app.on_engine_event(www_log(LogFeedEvent::Status(SourceStatus::Following)));
    log_lines(app, LOG_LINES);
    rel
}

/// Cedric's promotion under way, as the engine reports it while the deployment runs: the
/// board with the deployment in flight, the job's first output, its progress (2 of 6
/// instances).
pub fn cedric_promoting(app: &mut App) {
    promote(
        app,
        "cedric",
        at_clock(12, 3, 10),
        CEDRIC_DEPLOYMENT,
        CEDRIC_DEPLOY_LINES,
    );
    let mut board = app.board().clone();
    board.progress(
        &StackId::new("cedric"),
        Some(2.0 / 6.0),
        Some("Updating instances 2/6".into()),
    );
    app.on_engine_event(Event::Board(board));
}

/// More lines from the followed instance (WWW's `www-1a15`), as its log feed sends them.
pub fn log_lines(app: &mut App, lines: &[&str]) {
    let lines = lines.iter().map(|l| l.as_bytes()).collect::<LineBatch>();
    app.on_engine_event(www_log(LogFeedEvent::Lines { lines, dropped: 0 }));
}

fn www_log(event: LogFeedEvent) -> Event {
    Event::Log {
        stack: StackId::new("www"),
        instance: "www-1a15".into(),
        event,
    }
}

/// The platform's read of a stack's versions, as the engine applies it to its board.
fn versions_read(app: &mut App, stack: &str, live: &str, test: &str) {
    let mut board = app.board().clone();
    board.apply_versions(
        &StackId::new(stack),
        StackVersions::pair(Version::new(test), Version::new(live), None),
    );
    app.on_engine_event(Event::Board(board));
}

/// A promotion onto live as the engine carries it out (`engine/deploys.rs`): checked,
/// marked promoting, the platform's deployment started, its output streamed.
fn promote(app: &mut App, stack: &str, at: DateTime<Utc>, deployment: &str, output: &[&str]) {
    let id = StackId::new(stack);
    let mut board = app.board().clone();
    let plan = board
        .check_promote(&id, None, false)
        .unwrap_or_else(|r| panic!("{stack}: {r}"));
    board.begin_promotion(&plan, at);
    app.on_engine_event(Event::Board(board.clone()));
    let deployment = DeploymentRef {
        id: DeploymentId::new(deployment),
        url: None,
    };
    board.deployment_started(&id, deployment.clone());
    app.on_engine_event(Event::Board(board));
    app.on_engine_event(Event::DeployStarted {
        stack: id.clone(),
        deployment: deployment.clone(),
        action: Action::Promote,
    });
    app.on_engine_event(Event::DeployOutput {
        stack: id,
        deployment: deployment.id,
        lines: output
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    });
}

/// The platform reported the deployment ended (no smoke checks configured, so a
/// successful one makes the stack live at once).
fn deploy_finished(app: &mut App, stack: &str, deployment: &str, state: DeployState) {
    let id = StackId::new(stack);
    let mut board = app.board().clone();
    board.deployment_finished(&id, state.clone(), None, false);
    app.on_engine_event(Event::Board(board));
    app.on_engine_event(Event::DeployFinished {
        stack: id,
        deployment: DeploymentId::new(deployment),
        state,
        message: None,
    });
}

/// The engine's answer to `R` once Cedric's promotion is under way: the report built from
/// the journal this release wrote and the repository (`report::build` over
/// `report::select`, as `report::gather` does), with the dashboard's frozen time.
pub fn report_draft(rel: &Release) -> Event {
    let (live, test) = (rel.live.as_str(), rel.test.as_str());
    let entries = vec![
        journaled(at_clock(11, 58, 40), Act::Announce)
            .versions(live, test)
            .detail("release message sent to chat"),
        journaled(at_clock(12, 0, 5), Act::Promote)
            .stack("www")
            .env("live")
            .versions(live, test),
        journaled(at_clock(12, 0, 6), Act::DeployStarted)
            .stack("www")
            .deployment(WWW_DEPLOYMENT)
            .env("live")
            .versions(live, test)
            .detail("promote"),
        journaled(at_clock(12, 1, 20), Act::DeployFinished)
            .stack("www")
            .deployment(WWW_DEPLOYMENT)
            .outcome("succeeded")
            .env("live")
            .versions(live, test),
        journaled(at_clock(12, 3, 10), Act::Promote)
            .stack("cedric")
            .env("live")
            .versions(live, test),
        journaled(at_clock(12, 3, 11), Act::DeployStarted)
            .stack("cedric")
            .deployment(CEDRIC_DEPLOYMENT)
            .env("live")
            .versions(live, test)
            .detail("promote"),
    ];
    let window = report::select(&entries, &Scope::default()).unwrap_or_else(|e| panic!("{e}"));
    let ranges = report::ranges(&window.entries, "live");
    let shipped = report::shipped(
        &RepoAccess::Path(rel.repo.path_buf()),
        &ranges,
        &RiskRules::defaults(),
    );
    let ctx = Context {
        service: "belfrage".into(),
        stacks: STACKS
            .iter()
            .map(|(id, name)| ((*id).to_string(), (*name).to_string()))
            .collect(),
        live_env: "live".into(),
        journal: "/home/alice/.local/state/slipway/journal/belfrage.jsonl".into(),
        unreadable: 0,
        generated_at: at_clock(12, 4, 0),
    };
    let built = report::build(&ctx, &window, shipped);
    Event::ReportDraft(Ok(Draft::new(
        &built,
        Ok(vec!["#belfrage (the release thread)".into()]),
    )))
}

/// An entry as the engine records it, by alice on her laptop.
fn journaled(at: DateTime<Utc>, act: Act) -> Entry {
    let mut e = Entry::new(act);
    e.at = at;
    e.user = "alice".into();
    e.host = "laptop".into();
    e
}

const WWW_DEPLOYMENT: &str = "5639225";
const CEDRIC_DEPLOYMENT: &str = "5639226";

const LOG_LINES: &[&str] = &[
    "2026-03-01T12:03:58.457Z INFO  [NNFQO2cbO4AeCsWCO-I2] GET / -> 200 in 12ms route=HomePage",
    "2026-03-01T12:03:59.120Z WARN  [Svhc9pB3G1KDnqG6cddQ] slow origin fabl 1800ms",
    "2026-03-01T12:04:00.001Z ERROR [uHCp3K2zUYzMWrUpzhoS] upstream timeout after 5000ms route=Article",
    "{\"level\":\"error\",\"msg\":\"pool down\"}",
    "2026-03-01T12:04:01.300Z DEBUG [ngPOJFu40IakHfwO2mGd] cache miss for /news/articles/c0451",
];

const WWW_DEPLOY_LINES: &[&str] = &[
    "[12:00:06] Deploying 7a87378 to live",
    "[12:00:31] Updating instances 6/6",
    "[12:01:12] Health checks passing on 6 of 6",
];

const CEDRIC_DEPLOY_LINES: &[&str] = &[
    "[12:03:12] Deploying 7a87378 to live",
    "[12:03:20] Updating instances 2/6",
    "[12:03:31] Health checks passing on 2 of 6",
];

/// 2026-03-01 at `h:m:s` UTC, the day of this release.
fn at_clock(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, m, s)
        .single()
        .unwrap_or_default()
}

fn t0() -> DateTime<Utc> {
    at_clock(12, 0, 0)
}

/// Rounds before the promotion, and since (one every 2 s).
const BEFORE: usize = 40;
const AFTER: usize = 20;

fn at(i: usize) -> DateTime<Utc> {
    t0() + Duration::seconds(2 * i as i64)
}

fn history(before: f64, after: f64) -> Vec<Point> {
    (0..BEFORE + AFTER)
        .map(|i| {
            let level = if i < BEFORE { before } else { after };
            let wobble = 1.0 + 0.02 * ((i % 3) as f64 - 1.0);
            Point {
                at: at(i),
                value: Some(level * wobble),
                traffic: Some(100.0),
            }
        })
        .collect()
}

fn series(name: &str, unit: &str, bad: BadDirection, before: f64, after: f64) -> SeriesUpdate {
    SeriesUpdate {
        name: name.into(),
        unit: unit.into(),
        bad,
        value: Some(after),
        verdict: Verdict::Ok,
        control: None,
        history: history(before, after),
    }
}

/// A stack's metrics; Sally's errors spiked after its promotion.
pub fn metrics(stack: &str) -> MetricsUpdate {
    let scale = match stack {
        "www" => 1.0,
        "cedric" => 4.0,
        "sally" => 15.0,
        _ => 40.0,
    };
    let mut errors = series("errors", "%", BadDirection::Up, 0.2, 0.2);
    if stack == "sally" {
        errors = SeriesUpdate {
            verdict: Verdict::Spike(Flag::fresh(
                at(BEFORE + 6),
                Shift {
                    baseline_median: 0.9,
                    recent_median: 4.1,
                    relative: 3.5,
                    p_value: 0.0004,
                },
            )),
            ..series("errors", "%", BadDirection::Up, 0.9, 4.1)
        };
    }
    MetricsUpdate {
        baseline: Default::default(),
        stack: StackId::new(stack),
        at: at(BEFORE + AFTER),
        watch: Some(Watch::took_traffic(
            Version::new("old"),
            Version::new("new"),
            at(BEFORE),
        )),
        series: vec![
            series(
                "req/s",
                "/s",
                BadDirection::Down,
                41.0 * scale,
                41.0 * scale,
            ),
            errors,
            series("p99", "ms", BadDirection::Up, 98.0, 104.0),
        ],
        sources: (0..2)
            .map(|i| SourceReport {
                source: Source::Instance {
                    id: format!("{stack}-{i}"),
                    url: format!("http://{stack}-{i}:9100/metrics"),
                },
                problems: Vec::new(),
                totals: SourceTotals {
                    rounds: 60,
                    ..Default::default()
                },
            })
            .collect(),
    }
}

/// The engine's answer to the instance picker's question: WWW's instances on live.
pub fn instances() -> Event {
    Event::Instances {
        stack: StackId::new("www"),
        env: Env::live(),
        instances: ["www-1a15", "www-4eef", "www-77c0"]
            .iter()
            .map(|id| Instance {
                id: id.to_string(),
                host: format!("10.0.4.{}", id.len()),
            })
            .collect(),
    }
}
