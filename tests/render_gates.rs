//! The gates on the dashboard, rendered into ratatui's `TestBackend` at 80×24: the worst
//! state in the header (the step still shown), `g` listing each gate, the promote dialog
//! showing those that do not pass and wanting `o` and a typed reason for a block, and a
//! missing approval that no key goes past.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use crossterm::event::KeyCode;
use slipway::engine::gates::{Gate, Item, Level, Report, Scope, Step};
use slipway::engine::release::{Board, StackRelease};
use slipway::engine::{Command, Event};
use slipway::model::{Env, StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;
use support::screen::{draw, key, typed};

const LIVE: &str = "710ec2fd697cdc959b9bbb4b2a2de8953260c08f";
const TEST: &str = "c57062426a84a1a5bc29d5b74a0a384bcd709e7f";

fn app() -> App {
    app_of("belfrage")
}

fn app_of(release: &str) -> App {
    let mut board = Board::new(vec![
        StackRelease::new(StackId::new("www"), "WWW"),
        StackRelease::new(StackId::new("sally"), "Sally"),
    ]);
    for id in ["www", "sally"] {
        board.apply_versions(
            &StackId::new(id),
            StackVersions::pair(Version::new(TEST), Version::new(LIVE), None),
        );
    }
    let info = AppInfo {
        release: release.into(),
        platform: "http https://deploy.example/api".into(),
        logs: Default::default(),
        metrics_series: 0,
        stops_with_us: None,
    };
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board));
    app
}

fn step(stack: &str, name: &str) -> Step {
    Step {
        stack: StackId::new(stack),
        name: name.into(),
        source_env: Env::test(),
        env: Env::live(),
        from: Version::new(LIVE),
        to: Version::new(TEST),
    }
}

fn report(approval: Level) -> Report {
    let www = step("www", "WWW");
    let mut missing = Item::new(
        Gate::Approval,
        approval,
        "live 710ec2f → c570624 not approved: another user runs `slipway approve www --to live`",
    );
    missing.overridable = false;
    Report {
        at: chrono::Utc::now(),
        scope: Scope::Release,
        items: vec![
            Item::new(
                Gate::Freeze,
                Level::Block,
                "'weekend' freeze until Mon 30 Mar 07:00 BST",
            ),
            Item::new(Gate::InFlight, Level::Pass, "no deployment in flight"),
            Item::not_evaluated(Gate::LiveFlagged, Level::Pass, "no metrics configured"),
            Item::new(Gate::RiskyChanges, Level::Warn, "2 migration in 14 commits").about(&www),
            Item::new(Gate::Drift, Level::Pass, "live holds nothing test lacks").about(&www),
            missing.about(&www),
        ],
    }
}

#[test]
fn the_header_shows_the_worst_gate_and_g_lists_them_all() {
    let mut app = app();
    let before = draw(&mut app, 80, 24);
    assert!(before.starts_with(" slipway · belfrage · WWW · live 710ec2f → c570624 from test"));
    app.on_engine_event(Event::Gates(report(Level::Pass)));
    let s = draw(&mut app, 80, 24);
    let header = s.lines().next().unwrap_or_default();
    assert!(
        header.starts_with(
            " slipway · belfrage · ⛔ freeze · WWW · live 710ec2f → c570624 from test"
        ),
        "{header}"
    );
    assert!(header.ends_with("12:04 "), "{header}");
    // With a longer name, at 80 columns the prefix gives way so the step still shows.
    let mut long = app_of("belfrage-edge");
    long.on_engine_event(Event::Gates(report(Level::Pass)));
    let s = draw(&mut long, 80, 24);
    let header = s.lines().next().unwrap_or_default();
    assert!(
        header.starts_with(" belfrage-edge · ⛔ freeze · WWW · live 710ec2f → c570624 from test"),
        "{header}"
    );

    key(&mut app, KeyCode::Char('g'));
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("Pre-flight gates"), "{s}");
    assert!(
        s.contains("⛔ freeze: promoting needs an override with a reason"),
        "{s}"
    );
    assert!(
        s.contains("⛔ freeze        'weekend' freeze until Mon 30 Mar 07:00 BST"),
        "{s}"
    );
    assert!(
        s.contains("· live flagged  not evaluated: no metrics configured"),
        "{s}"
    );
    assert!(s.contains("WWW · live 710ec2f → c570624"), "{s}");
    assert!(
        s.contains("⚠ risky changes 2 migration in 14 commits"),
        "{s}"
    );
    key(&mut app, KeyCode::Esc);
    assert!(!draw(&mut app, 100, 30).contains("Pre-flight gates"));
}

#[test]
fn a_blocked_promotion_needs_o_and_a_reason_and_the_reason_goes_to_the_engine() {
    let mut app = app();
    app.on_engine_event(Event::Gates(report(Level::Pass)));
    key(&mut app, KeyCode::Char('p'));
    let s = draw(&mut app, 80, 24);
    assert!(s.contains("Promote WWW to live?"), "{s}");
    assert!(s.contains("⚠ Blocked by freeze."), "{s}");
    assert!(
        s.contains("Press o to override (you will be asked why)"),
        "{s}"
    );
    let tall = draw(&mut app, 100, 40);
    assert!(tall.contains("Gates        2 not passing"), "{tall}");
    assert!(tall.contains("⛔ freeze: 'weekend' freeze until"), "{tall}");
    assert!(
        tall.contains("⚠ risky changes: 2 migration in 14 commits"),
        "{tall}"
    );
    // Enter does nothing yet; `o` asks why; the reason goes with the command.
    key(&mut app, KeyCode::Enter);
    assert!(app.take_commands().is_empty());
    key(&mut app, KeyCode::Char('o'));
    typed(&mut app, "INC-42 hotfix");
    assert!(draw(&mut app, 80, 24).contains("Why (journaled): INC-42 hotfix"));
    key(&mut app, KeyCode::Enter);
    let sent = app.take_commands();
    let promote = sent
        .iter()
        .find_map(|r| match &r.command {
            Command::Promote { override_gates, .. } => Some(override_gates.clone()),
            _ => None,
        })
        .expect("the promotion was sent");
    assert_eq!(promote.as_deref(), Some("INC-42 hotfix"));
}

#[test]
fn a_missing_approval_is_not_overridden_and_a_approves_for_another_user() {
    let mut app = app();
    app.on_engine_event(Event::Gates(report(Level::Block)));
    key(&mut app, KeyCode::Char('p'));
    let s = draw(&mut app, 100, 40);
    assert!(
        s.contains("⛔ Not approved by another user: they approve it first"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Enter);
    assert!(app.take_commands().is_empty(), "no key goes past it");
    key(&mut app, KeyCode::Esc);

    key(&mut app, KeyCode::Char('A'));
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("Approve WWW's promotion to live?"), "{s}");
    assert!(s.contains("another user promotes it"), "{s}");
    key(&mut app, KeyCode::Enter);
    let sent = app.take_commands();
    assert!(
        sent.iter().any(|r| r.command
            == Command::Approve {
                stack: StackId::new("www"),
                to: Some(Env::live())
            }),
        "{sent:?}"
    );
}
