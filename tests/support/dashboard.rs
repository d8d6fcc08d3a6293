//! A release on the dashboard built from fixed data, so its pictures never change by
//! themselves: four stacks over a real git history with fixed dates (so fixed commit ids),
//! metrics with one stack flagged, log lines and a deployment's output, a frozen clock.
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
use slipway::model::{DeploymentId, DeploymentRef, Env, Instance, StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;
use slipway::vcs::{RiskRules, diff};

use super::gitrepo::GitRepo;

/// The dashboard and the repository its changes were read from (kept alive with it).
pub struct Release {
    pub app: App,
    _repo: GitRepo,
}

pub const STACKS: [(&str, &str); 4] = [
    ("www", "WWW"),
    ("cedric", "Cedric"),
    ("sally", "Sally"),
    ("bruce", "Bruce"),
];

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
    let mut board = Board::new(
        STACKS
            .iter()
            .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
            .collect(),
    );
    for (id, l) in [
        ("www", &test),
        ("cedric", &live),
        ("sally", &live),
        ("bruce", &old),
    ] {
        board.apply_versions(
            &StackId::new(id),
            StackVersions::pair(Version::new(test.clone()), Version::new(l.clone()), None),
        );
    }
    let info = AppInfo {
        release: "belfrage".into(),
        platform: "http https://deploy.example/api".into(),
        logs: LogsConfig::default(),
        metrics_series,
        stops_with_us: None,
    };
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
    Release { app, _repo: r }
}

/// [`release`] with every pane holding something: metrics (Sally's errors flagged), the
/// followed instance's log lines, and a deployment's output.
pub fn busy_release(theme: Theme) -> Release {
    let mut rel = release_with(theme, 3);
    let app = &mut rel.app;
    for (id, _) in STACKS {
        app.on_engine_event(Event::Metrics(Box::new(metrics(id))));
    }
    let www = StackId::new("www");
    app.on_engine_event(Event::LogTarget {
        stack: www.clone(),
        instance: Some("www-1a15".into()),
        description: "file /var/log/belfrage/www-1a15.log".into(),
    });
    let log = |event| Event::Log {
        stack: StackId::new("www"),
        instance: "www-1a15".into(),
        event,
    };
    app.on_engine_event(log(LogFeedEvent::Status(SourceStatus::Following)));
    let lines = LOG_LINES
        .iter()
        .map(|l| l.as_bytes())
        .collect::<LineBatch>();
    app.on_engine_event(log(LogFeedEvent::Lines { lines, dropped: 0 }));
    app.on_engine_event(Event::DeployStarted {
        stack: www.clone(),
        deployment: DeploymentRef {
            id: DeploymentId::new("5639226"),
            url: None,
        },
        action: Action::Promote,
    });
    app.on_engine_event(Event::DeployOutput {
        stack: www,
        deployment: DeploymentId::new("5639226"),
        lines: DEPLOY_LINES
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    });
    rel
}

const LOG_LINES: &[&str] = &[
    "2026-03-01T12:03:58.457Z INFO  [NNFQO2cbO4AeCsWCO-I2] GET / -> 200 in 12ms route=HomePage",
    "2026-03-01T12:03:59.120Z WARN  [Svhc9pB3G1KDnqG6cddQ] slow origin fabl 1800ms",
    "2026-03-01T12:04:00.001Z ERROR [uHCp3K2zUYzMWrUpzhoS] upstream timeout after 5000ms route=Article",
    "{\"level\":\"error\",\"msg\":\"pool down\"}",
    "2026-03-01T12:04:01.300Z DEBUG [ngPOJFu40IakHfwO2mGd] cache miss for /news/articles/c0451",
];

const DEPLOY_LINES: &[&str] = &[
    "[12:03:12] Deploying c570624 to live",
    "[12:03:20] Updating instances 2/6",
    "[12:03:31] Health checks passing on 2 of 6",
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
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
