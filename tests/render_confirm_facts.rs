//! What the promote and rollback dialogs say beyond the plan, rendered into ratatui's
//! `TestBackend` over a real git history: versions the platform stopped confirming, a
//! rollback over a migration, someone else deploying, and commits (not entries) counted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use slipway::engine::Event;
use slipway::engine::release::{Board, Phase, StackRelease, Transfer, TransferKind};
use slipway::model::{DeploymentId, DeploymentRef, Env, StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;
use slipway::vcs::{RiskRules, diff};
use support::gitrepo::GitRepo;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0)
        .single()
        .expect("a time")
}

struct Fixture {
    app: App,
    board: Board,
    _repo: GitRepo,
}

/// WWW live; Sally promoted (live runs test, it ran `live` before); Bruce being deployed
/// by someone else; Pal pending. Between live and test: a merged branch of three commits
/// (the oldest entry), a migration and six more commits.
fn fixture() -> Fixture {
    let mut r = GitRepo::new();
    let live = r.commit("Dana", "Initial routing", &[("lib/router.ex", "r")]);
    r.checkout(&["-b", "feat"]);
    for i in 0..3 {
        r.commit(
            "Erin",
            &format!("Feature step {i}"),
            &[("lib/feat.ex", &i.to_string())],
        );
    }
    r.checkout(&["main"]);
    r.merge("feat", "Merge pull request #1240 from erin/feat");
    r.commit(
        "Bob",
        "Add routes column (#1230)",
        &[("priv/repo/migrations/1_routes.exs", "m")],
    );
    let mut test = String::new();
    for i in 0..6 {
        test = r.commit(
            "Alice",
            &format!("Tidy cache {i}"),
            &[("lib/cache.ex", &i.to_string())],
        );
    }
    let repo = git2::Repository::open(r.path()).expect("repo");
    let cs = diff(&repo, &live, &test, &RiskRules::defaults()).expect("diff");
    assert_eq!(
        cs.count, 11,
        "three merged, their merge, a migration, six more"
    );
    let mut board = Board::new(
        [
            ("www", "WWW"),
            ("sally", "Sally"),
            ("bruce", "Bruce"),
            ("pal", "Pal"),
        ]
        .iter()
        .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
        .collect(),
    );
    for (id, l) in [
        ("www", &test),
        ("sally", &test),
        ("bruce", &live),
        ("pal", &live),
    ] {
        let id = StackId::new(id);
        board.apply_versions(
            &id,
            StackVersions::pair(Version::new(test.clone()), Version::new(l.clone()), None),
        );
        board.read_ok(&id, t0());
    }
    board.stacks[1].previous_live = Some(Version::new(live.clone()));
    board.stacks[2].phase = Phase::Promoting(Transfer {
        from: Version::new(live.clone()),
        to: Version::new(test.clone()),
        deployment: Some(DeploymentRef {
            id: DeploymentId::new("5639226"),
            url: None,
        }),
        started: t0() - Duration::seconds(100),
        progress: Some(0.4),
        message: None,
        kind: TransferKind::External,
        env: Env::live(),
    });
    board.stacks[2].deployer = Some("cedric".into());
    let info = AppInfo {
        release: "belfrage".into(),
        platform: "http http://127.0.0.1:1/api".into(),
        logs: Default::default(),
        metrics_series: 0,
        stops_with_us: None,
    };
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.freeze_clock("16:02");
    app.freeze_now(t0() + Duration::seconds(20));
    app.on_engine_event(Event::Board(board.clone()));
    app.on_engine_event(Event::Changes {
        live: Version::new(live),
        test: Version::new(test),
        changes: Arc::new(Ok(cs)),
    });
    Fixture {
        app,
        board,
        _repo: r,
    }
}

/// The dialog's text, its lines inside the double border joined with spaces, so a
/// sentence wrapped over lines reads whole.
fn dialog(app: &mut App) -> String {
    let (w, h) = (120, 50);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| app.render(f)).expect("draw");
    let buf = t.backend().buffer().clone();
    let mut parts = Vec::new();
    for y in 0..h {
        let row: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        if let (Some(a), Some(b)) = (row.find('╔'), row.find('╗')) {
            parts.push(
                row[a..b]
                    .trim_matches(|c| c == '╔' || c == '═' || c == ' ')
                    .to_string(),
            );
        }
        let mut cells = row.split('║');
        if let (Some(_), Some(inside), Some(_)) = (cells.next(), cells.next(), cells.next()) {
            let inside = inside.trim();
            if !inside.is_empty() {
                parts.push(inside.to_string());
            }
        }
    }
    parts.join(" ")
}

fn key(app: &mut App, code: KeyCode) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn a_rollback_over_a_migration_says_the_schema_stays() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    key(&mut f.app, KeyCode::Char('r'));
    let d = dialog(&mut f.app);
    assert!(d.contains("Roll Sally back on live?"), "{d}");
    assert!(
        d.contains("⚠ Rolling back code does not roll back the schema: the MIGRATION"),
        "{d}"
    );
    assert!(
        d.contains("Add routes column (#1230)) stays applied"),
        "{d}"
    );
    // A promotion over the same commits ships the migration: no such warning there.
    key(&mut f.app, KeyCode::Esc);
    key(&mut f.app, KeyCode::Char('4'));
    key(&mut f.app, KeyCode::Char('p'));
    let d = dialog(&mut f.app);
    assert!(d.contains("Promote Pal to live?"), "{d}");
    assert!(!d.contains("roll back the schema"), "{d}");
}

#[test]
fn a_promotion_names_who_is_deploying_right_now() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('4'));
    key(&mut f.app, KeyCode::Char('p'));
    let d = dialog(&mut f.app);
    assert!(d.contains("Out of order: Bruce is not live yet."), "{d}");
    assert!(
        d.contains("cedric is deploying Bruce (started 2m ago): metrics that move may be theirs."),
        "{d}"
    );
    // The same deployment with nobody named in the journal: said as outside slipway.
    key(&mut f.app, KeyCode::Esc);
    let mut board = f.board.clone();
    board.stacks[2].deployer = None;
    f.app.on_engine_event(Event::Board(board));
    key(&mut f.app, KeyCode::Char('p'));
    let d = dialog(&mut f.app);
    assert!(
        d.contains("Someone outside this slipway is deploying Bruce (started 2m ago)"),
        "{d}"
    );
}

#[test]
fn a_promotion_over_versions_the_platform_stopped_confirming_says_they_are_stale() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('4'));
    key(&mut f.app, KeyCode::Char('p'));
    assert!(
        !dialog(&mut f.app).contains("stale"),
        "fresh versions are not stale"
    );
    key(&mut f.app, KeyCode::Esc);
    let mut board = f.board.clone();
    board.read_failed(
        &StackId::new("pal"),
        t0() + Duration::seconds(30),
        "error sending request: connection refused",
    );
    f.app.on_engine_event(Event::Board(board));
    f.app.freeze_now(t0() + Duration::seconds(150));
    key(&mut f.app, KeyCode::Char('p'));
    let d = dialog(&mut f.app);
    let hhmm = t0()
        .with_timezone(&chrono::Local)
        .format("%H:%M")
        .to_string();
    assert!(
        d.contains(&format!(
            "⚠ Versions are stale: last known {hhmm} (2m ago); the platform did not answer (error sending request: connection refused, 2m ago). What runs now may differ."
        )),
        "{d}"
    );
}

#[test]
fn the_promote_dialog_counts_the_commits_it_does_not_show() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('4'));
    key(&mut f.app, KeyCode::Char('p'));
    let d = dialog(&mut f.app);
    assert!(d.contains("11 commits"), "{d}");
    // Six entries shown (six commits); the migration, the merge and the three commits
    // it merged are five more commits, though only two more entries.
    assert!(d.contains("…and 5 more commits"), "{d}");
}

#[test]
fn a_promotion_of_a_stack_whose_versions_were_never_read_says_why() {
    let mut f = fixture();
    let mut board = f.board.clone();
    let mut never = StackRelease::new(StackId::new("zed"), "Zed");
    never.read_error = Some(slipway::engine::freshness::ReadError {
        at: t0(),
        message: "connection refused".into(),
    });
    board.stacks.push(never);
    f.app.on_engine_event(Event::Board(board));
    f.app.freeze_now(t0() + Duration::seconds(70));
    key(&mut f.app, KeyCode::Char('5'));
    key(&mut f.app, KeyCode::Char('p'));
    let mut t = Terminal::new(TestBackend::new(220, 40)).expect("terminal");
    t.draw(|fr| f.app.render(fr)).expect("draw");
    let buf = t.backend().buffer().clone();
    let screen: String = (0..40)
        .map(|y| (0..220).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    assert!(
        !screen.contains("Promote Zed"),
        "no dialog over unknown versions"
    );
    assert!(
        screen.contains(
            "Zed: versions are not known yet (the platform has not answered). Versions are unknown: the platform did not answer (connection refused, 1m ago)."
        ),
        "{screen}"
    );
}
