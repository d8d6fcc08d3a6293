//! The release report's preview (`R`) on the dashboard, rendered into ratatui's
//! `TestBackend` at the smallest supported size and a large one: the report as it will be
//! saved or posted, scrolling, saving and posting through engine commands (the UI does
//! no I/O), and the read-only header.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::KeyCode;
use slipway::engine::release::{Board, StackRelease};
use slipway::engine::{Command, Event};
use slipway::journal::Entry;
use slipway::model::{StackId, StackVersions, Version};
use slipway::report::{self, Context, Draft, Shipped, Window};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;
use support::screen::{commands, draw, key};

const V1: &str = "3f2a1c4e5d6b7a8091a2b3c4d5e6f708192a3b4c";
const V2: &str = "9be77d1a2b3c4d5e6f708192a3b4c5d6e7f80912";

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .expect("time")
        + chrono::Duration::seconds(secs)
}

fn entry(secs: i64, action: &str, stack: &str) -> Entry {
    let mut e =
        Entry::new(slipway::journal::Act::parse(action).expect("a journal word")).stack(stack);
    e.at = at(secs);
    e.user = "alice".into();
    e.host = "laptop".into();
    e
}

/// A release: WWW promoted, Sally promoted, flagged and rolled back.
fn draft(post_to: Result<Vec<String>, String>) -> Draft {
    let entries = vec![
        entry(0, "promote", "www").env("live").versions(V1, V2),
        entry(1, "deploy_started", "www").deployment("5639226"),
        entry(39, "deploy_finished", "www")
            .deployment("5639226")
            .outcome("succeeded"),
        entry(45, "smoke", "www")
            .outcome("passed")
            .detail("Promotion: 3/3 passed"),
        entry(120, "promote", "sally").env("live").versions(V1, V2),
        entry(121, "deploy_started", "sally").deployment("5639227"),
        entry(160, "deploy_finished", "sally")
            .deployment("5639227")
            .outcome("succeeded"),
        entry(166, "smoke", "sally")
            .outcome("failed")
            .detail("Promotion: 2/3 passed; article: expected 200, got 500"),
        entry(240, "flag", "sally")
            .series("errors")
            .versions(V1, V2)
            .outcome("spike")
            .detail(
                "errors SPIKE +340% against its baseline before the change, since 12:03:10 UTC",
            ),
        entry(250, "rollback", "sally").env("live").versions(V2, V1),
        entry(251, "deploy_started", "sally").deployment("5639228"),
        entry(290, "deploy_finished", "sally")
            .deployment("5639228")
            .outcome("succeeded"),
    ];
    let ctx = Context {
        service: "belfrage".into(),
        stacks: vec![
            ("www".into(), "WWW".into()),
            ("cedric".into(), "Cedric".into()),
            ("sally".into(), "Sally".into()),
            ("bruce".into(), "Bruce".into()),
        ],
        live_env: "live".into(),
        journal: "/home/alice/.local/state/slipway/journal/belfrage.jsonl".into(),
        unreadable: 0,
        generated_at: at(300),
    };
    let window = Window {
        version: Some(V2.into()),
        entries,
        describe: "the release of 9be77d1".into(),
    };
    let r = report::build(&ctx, &window, Shipped::NotConfigured);
    Draft::new(&r, post_to)
}

fn app() -> App {
    let mut board = Board::new(
        [
            ("www", "WWW"),
            ("cedric", "Cedric"),
            ("sally", "Sally"),
            ("bruce", "Bruce"),
        ]
        .iter()
        .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
        .collect(),
    );
    for id in ["www", "cedric", "sally", "bruce"] {
        board.apply_versions(
            &StackId::new(id),
            StackVersions::pair(Version::new(V2), Version::new(V1), None),
        );
    }
    let info = AppInfo {
        release: "belfrage".into(),
        platform: "http https://deploy.example/api".into(),
        logs: Default::default(),
        metrics_series: 3,
        stops_with_us: None,
    };
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board));
    app
}

/// `R` asks the engine for the report; its answer opens the preview.
fn open(app: &mut App, post_to: Result<Vec<String>, String>) {
    key(app, KeyCode::Char('R'));
    let sent = commands(app);
    assert!(
        matches!(sent.as_slice(), [Command::DraftReport { scope }] if *scope == Default::default()),
        "{sent:?}"
    );
    app.on_engine_event(Event::ReportDraft(Ok(draft(post_to))));
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "the shape a draft carries: where to post, or why not"
)]
fn slack() -> Result<Vec<String>, String> {
    Ok(vec!["#belfrage (the release thread)".into()])
}

#[test]
fn the_report_preview_at_80x24() {
    let mut a = app();
    open(&mut a, slack());
    let s = draw(&mut a, 80, 24);
    assert!(s.contains("Release report · belfrage 9be77d1"), "{s}");
    assert!(s.contains("# Release report: belfrage 9be77d1"), "{s}");
    assert!(s.contains("w save"), "{s}");
    assert!(s.contains("p post to thread"), "{s}");
    insta::assert_snapshot!("report_80x24_top", s);
    // Scrolled to the end: Sally's rollback and the footer.
    key(&mut a, KeyCode::Char('G'));
    let s = draw(&mut a, 80, 24);
    assert!(s.contains("Times in UTC"), "{s}");
    insta::assert_snapshot!("report_80x24_end", s);
    key(&mut a, KeyCode::Char('g'));
    assert!(draw(&mut a, 80, 24).contains("# Release report"));
}

#[test]
fn the_report_preview_at_120x38() {
    let mut a = app();
    open(&mut a, slack());
    let s = draw(&mut a, 120, 38);
    assert!(
        s.contains("### Sally: rolled back to 3f2a1c4 on live"),
        "{s}"
    );
    assert!(s.contains("| rollback on live |"), "{s}");
    assert!(s.contains("errors SPIKE"), "{s}");
    insta::assert_snapshot!("report_120x38", s);
}

#[test]
fn saving_and_posting_go_through_the_engine() {
    let mut a = app();
    open(&mut a, slack());
    draw(&mut a, 80, 24);
    key(&mut a, KeyCode::Char('w'));
    let sent = commands(&mut a);
    match sent.as_slice() {
        [Command::WriteFile { path, contents }] => {
            assert_eq!(
                path.display().to_string(),
                "release-report-belfrage-9be77d1.md"
            );
            assert!(contents.starts_with("# Release report: belfrage 9be77d1\n"));
        }
        other => panic!("{other:?}"),
    }
    // Posting asks first; anything but y cancels.
    key(&mut a, KeyCode::Char('p'));
    assert!(draw(&mut a, 80, 24).contains("Post to #belfrage"));
    key(&mut a, KeyCode::Char('n'));
    assert!(commands(&mut a).is_empty());
    key(&mut a, KeyCode::Char('p'));
    key(&mut a, KeyCode::Char('y'));
    let sent = commands(&mut a);
    assert!(
        matches!(sent.as_slice(), [Command::PostReport { text }] if text.contains("### Sally")),
        "{sent:?}"
    );
    key(&mut a, KeyCode::Esc);
    assert!(!draw(&mut a, 80, 24).contains("Release report ·"));
}

#[test]
fn without_announcements_posting_says_why_and_sends_nothing() {
    let mut a = app();
    open(
        &mut a,
        Err(
            "no [announce] section in config: add one (Slack or a webhook) to post the report"
                .into(),
        ),
    );
    let s = draw(&mut a, 80, 24);
    assert!(s.contains("p (not configured)"), "{s}");
    key(&mut a, KeyCode::Char('p'));
    assert!(commands(&mut a).is_empty());
    key(&mut a, KeyCode::Esc);
    let s = draw(&mut a, 80, 24);
    assert!(
        s.contains("Cannot post the report: no [announce] section"),
        "{s}"
    );
}

#[test]
fn a_report_that_cannot_be_built_says_why() {
    let mut a = app();
    a.on_engine_event(Event::ReportDraft(Err("no promotion recorded yet".into())));
    let s = draw(&mut a, 80, 24);
    assert!(
        s.contains("Release report: no promotion recorded yet"),
        "{s}"
    );
}

#[test]
fn the_header_says_read_only() {
    let mut a = app();
    assert!(!draw(&mut a, 80, 24).contains("read-only"));
    a.on_engine_event(Event::ReadOnly);
    let s = draw(&mut a, 80, 24);
    let header = s.lines().next().unwrap_or("");
    assert!(
        header.contains("slipway · belfrage · read-only"),
        "{header}"
    );
}

#[test]
fn a_dry_run_says_so_in_the_header_and_shows_the_plan_it_did_not_send() {
    let mut a = app();
    a.on_engine_event(Event::DryRun);
    let s = draw(&mut a, 100, 30);
    assert!(
        s.lines()
            .next()
            .unwrap_or("")
            .contains("belfrage · dry run"),
        "{s}"
    );
    a.on_engine_event(Event::Answer {
        id: slipway::engine::RequestId::next(),
        stack: slipway::model::StackId::new("www"),
        action: slipway::engine::Action::Promote,
        answer: slipway::engine::Answer::Finished(slipway::engine::Outcome::DryRun {
            plan: vec![
                "POST https://deploy.example/api/stacks/www/environments/live/deployments".into(),
                r#"{"rollback":false,"version":"c570624"}"#.into(),
            ],
        }),
    });
    let s = draw(&mut a, 100, 30);
    assert!(s.contains("Dry run: promote"), "{s}");
    assert!(s.contains("nothing was sent"), "{s}");
    assert!(
        s.contains("POST https://deploy.example/api/stacks/www/environments/live/deploy"),
        "{s}"
    );
}
