//! The dashboard as a user sees it, rendered into ratatui's TestBackend at the smallest
//! supported size and a large one, with realistic state from a real git history.

mod support;

use std::sync::Arc;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use slipway::engine::Event;
use slipway::engine::release::{Board, StackRelease};
use slipway::model::{StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;
use slipway::vcs::{RiskRules, diff};
use support::gitrepo::GitRepo;

struct Fixture {
    app: App,
    _repo: GitRepo,
}

/// Four stacks: WWW live, Cedric and Sally pending on one range, Bruce on an older one.
fn fixture() -> Fixture {
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
    let repo = git2::Repository::open(r.path()).expect("repo");
    let rules = RiskRules::defaults();
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
        logs: Default::default(),
        metrics_series: 3,
        stops_with_us: None,
    };
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board));
    for l in [&live, &old] {
        let cs = diff(&repo, l, &test, &rules).expect("diff");
        app.on_engine_event(Event::Changes {
            live: Version::new(l.clone()),
            test: Version::new(test.clone()),
            changes: Arc::new(Ok(cs)),
        });
    }
    Fixture { app, _repo: r }
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| app.render(f)).expect("draw");
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn key(app: &mut App, code: KeyCode) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn every_pane_and_the_hints_at_80x24() {
    let mut f = fixture();
    let s = draw(&mut f.app, 80, 24);
    for title in ["Stacks", "Changes", "Metrics", "Logs", "Deploy"] {
        assert!(s.contains(title), "{title} at 80x24:\n{s}");
    }
    assert!(s.contains("slipway · belfrage · WWW"), "{s}");
    assert!(s.contains("12:04"), "{s}");
    for stack in ["WWW", "Cedric", "Sally", "Bruce"] {
        assert!(s.contains(stack), "{stack}:\n{s}");
    }
    assert!(s.contains("✓ live"), "{s}");
    assert!(s.contains("[Promote]"), "{s}");
    assert!(
        s.lines().last().unwrap_or("").contains("? help"),
        "the hints bar:\n{s}"
    );
}

#[test]
fn changes_and_risk_flags_at_200x60() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2')); // Cedric: three commits to ship
    let s = draw(&mut f.app, 200, 60);
    // One form everywhere: the environment, old → new, and where the new one comes from.
    assert!(s.contains("Cedric · live "), "{s}");
    assert!(s.contains(" from test"), "{s}");
    assert!(
        s.contains("3 commits · 2 risky"),
        "the header summary:\n{s}"
    );
    assert!(s.contains("Fix cache key for personalised pages"), "{s}");
    assert!(s.contains("MIGRATION"), "{s}");
    assert!(s.contains("DEPENDENCIES"), "{s}");
    assert!(s.contains("#1234"), "{s}");
    insta::assert_snapshot!("dashboard_200x60_cedric", s);
}

#[test]
fn promote_dialog_names_stack_versions_environment_and_changes() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    let sent = commands(&mut f.app);
    assert!(
        matches!(sent.as_slice(), [slipway::engine::Command::Select { .. }]),
        "{sent:?}"
    );
    key(&mut f.app, KeyCode::Enter);
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut f.app, w, h);
        assert!(s.contains("Promote Cedric to live?"), "{w}x{h}:\n{s}");
        assert!(s.contains("Environment  live"), "{w}x{h}:\n{s}");
        assert!(s.contains("3 commits · 2 risky"), "{w}x{h}:\n{s}");
        assert!(s.contains("[ Promote ]"), "{w}x{h}:\n{s}");
    }
    // Esc closes it and nothing was sent.
    key(&mut f.app, KeyCode::Esc);
    assert!(commands(&mut f.app).is_empty());
    assert!(!draw(&mut f.app, 80, 24).contains("Promote Cedric to live?"));
}

#[test]
fn out_of_order_dialog_shows_the_override_and_enter_sends_nothing_until_o() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('4'));
    commands(&mut f.app);
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 80, 24);
    assert!(
        s.contains("Out of order: Cedric, Sally are not live yet."),
        "{s}"
    );
    key(&mut f.app, KeyCode::Enter);
    assert!(commands(&mut f.app).is_empty());
    key(&mut f.app, KeyCode::Char('o'));
    key(&mut f.app, KeyCode::Enter);
    let sent = commands(&mut f.app);
    assert!(
        matches!(
            sent.as_slice(),
            [slipway::engine::Command::Promote {
                override_order: true,
                to: Some(env),
                override_gates: None,
                ..
            }] if env.as_str() == "live"
        ),
        "{sent:?}"
    );
    // The stack shows as requested at once, before the engine answers; the dashboard
    // does not edit the board, the engine's next board replaces it.
    assert!(draw(&mut f.app, 80, 24).contains("⟳ requested"));
}

#[test]
fn help_lists_every_global_key() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('?'));
    let s = draw(&mut f.app, 200, 60);
    for binding in slipway::tui::keys::GLOBAL.bindings {
        // In columns a long sentence wraps: its start, and every word, are on screen.
        let start: Vec<&str> = binding.help.split_whitespace().take(3).collect();
        assert!(
            s.contains(&start.join(" ")) && binding.help.split_whitespace().all(|w| s.contains(w)),
            "help lists '{}':\n{s}",
            binding.help
        );
    }
    assert!(s.contains("Changes pane"), "{s}");
}

#[test]
fn zoom_gives_one_pane_the_screen_and_tiny_terminals_say_so() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Tab); // Changes
    key(&mut f.app, KeyCode::Char('z'));
    let s = draw(&mut f.app, 80, 24);
    assert!(s.contains("z to restore"), "{s}");
    assert!(!s.contains("Stacks ·"), "{s}");
    for (w, h) in [(0, 0), (1, 1), (30, 10), (59, 30)] {
        let s = draw(&mut f.app, w, h);
        if w > 10 {
            assert!(s.contains("Terminal too small"), "{w}x{h}:\n{s}");
        }
    }
}

#[test]
fn commit_detail_and_search() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    key(&mut f.app, KeyCode::Tab); // focus Changes
    key(&mut f.app, KeyCode::Char('/'));
    for c in "plug".chars() {
        key(&mut f.app, KeyCode::Char(c));
    }
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 120, 40);
    assert!(s.contains("Bump plug"), "{s}");
    assert!(!s.contains("Fix cache key"), "search hides the rest:\n{s}");
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 120, 40);
    assert!(
        s.contains("Carol <carol@example.com>"),
        "the detail view:\n{s}"
    );
    assert!(s.contains("mix.lock"), "{s}");
}

#[test]
fn details_show_each_smoke_check_and_why_it_failed() {
    use slipway::feeds::smoke::{CheckResult, SmokeReport};
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    let check = |name: &str, status: u16, failure: Option<&str>| CheckResult {
        name: name.into(),
        method: "GET".into(),
        url: format!("https://cedric.example/{name}"),
        passed: failure.is_none(),
        status: Some(status),
        latency_ms: 42,
        attempts: if failure.is_some() { 2 } else { 1 },
        failure: failure.map(String::from),
    };
    f.app.on_engine_event(Event::Smoke {
        stack: StackId::new("cedric"),
        cause: slipway::engine::SmokeCause::Request,
        report: SmokeReport {
            checks: vec![
                check("health", 200, None),
                check(
                    "article",
                    500,
                    Some("expected 200, got 500: upstream timeout"),
                ),
            ],
            at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
        },
    });
    key(&mut f.app, KeyCode::Char('v'));
    let s = draw(&mut f.app, 120, 40);
    assert!(s.contains("Cedric (cedric)"), "{s}");
    assert!(s.contains("1/2 passed"), "{s}");
    assert!(s.contains("✗ article"), "{s}");
    assert!(s.contains("expected 200, got 500: upstream timeout"), "{s}");
    assert!(s.contains("2 tries"), "{s}");
    assert!(s.contains("Esc close"), "{s}");
    key(&mut f.app, KeyCode::Esc);
    assert!(!draw(&mut f.app, 120, 40).contains("Esc close"));
}

#[test]
fn announcement_dialog_shows_the_draft_and_its_targets_and_keeps_edits() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('a'));
    let sent = commands(&mut f.app);
    assert!(
        matches!(
            sent.as_slice(),
            [slipway::engine::Command::DraftAnnouncement {
                kind: slipway::engine::AnnouncementKind::Release
            }]
        ),
        "{sent:?}"
    );
    f.app.on_engine_event(Event::AnnouncementDraft {
        kind: slipway::engine::AnnouncementKind::Release,
        text: "Releasing belfrage to live: 3 commits\n• Fix cache key (#1234) — Alice".into(),
        targets: vec!["#belfrage".into(), "#help-belfrage".into()],
    });
    let s = draw(&mut f.app, 100, 30);
    assert!(
        s.contains("Release announcement → #belfrage, #help-belfrage"),
        "{s}"
    );
    assert!(s.contains("Fix cache key (#1234) — Alice"), "{s}");
    assert!(s.contains("Ctrl-S"), "{s}");
    // Type, close, reopen: the edit is still there, and nothing was sent.
    for c in " (edited)".chars() {
        key(&mut f.app, KeyCode::Char(c));
    }
    key(&mut f.app, KeyCode::Esc);
    assert!(commands(&mut f.app).is_empty());
    f.app.on_engine_event(Event::AnnouncementDraft {
        kind: slipway::engine::AnnouncementKind::Release,
        text: "a fresh draft".into(),
        targets: vec!["#belfrage".into()],
    });
    let s = draw(&mut f.app, 100, 30);
    assert!(s.contains("(edited)Releasing belfrage"), "{s}");
    assert!(s.contains("your earlier edit"), "{s}");
    // Ctrl-S sends exactly what is in the editor.
    f.app.on_terminal_event(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    match commands(&mut f.app).as_slice() {
        [
            slipway::engine::Command::Announce {
                text,
                kind: slipway::engine::AnnouncementKind::Release,
                ..
            },
        ] => {
            assert!(
                text.starts_with(" (edited)Releasing belfrage to live"),
                "{text}"
            )
        }
        other => panic!("expected one Announce, got {other:?}"),
    }
}

fn type_line(app: &mut App, line: &str) {
    key(app, KeyCode::Char(':'));
    for c in line.chars() {
        key(app, KeyCode::Char(c));
    }
}

#[test]
fn the_command_line_runs_actions_by_name_through_the_same_dialogs() {
    let mut f = fixture();
    type_line(&mut f.app, "stack Bruce");
    let s = draw(&mut f.app, 100, 30);
    assert!(
        s.contains(":stack Bruce"),
        "the line is shown while typed:\n{s}"
    );
    key(&mut f.app, KeyCode::Enter);
    assert!(draw(&mut f.app, 100, 30).contains("slipway · belfrage · Bruce"));
    commands(&mut f.app);

    type_line(&mut f.app, "promote cedric");
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 100, 30);
    assert!(s.contains("Promote Cedric to live?"), "{s}");
    assert!(
        commands(&mut f.app).is_empty(),
        "nothing is sent before the dialog is confirmed"
    );
    key(&mut f.app, KeyCode::Esc);

    type_line(&mut f.app, "rollback www 0123456789abcdef");
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 100, 30);
    assert!(
        s.contains("Roll WWW back on live?") && s.contains("(as you asked)"),
        "{s}"
    );
    key(&mut f.app, KeyCode::Esc);

    type_line(&mut f.app, "promte");
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 100, 30);
    assert!(s.contains("unknown command ':promte'"), "{s}");

    type_line(&mut f.app, "smoke nosuch");
    key(&mut f.app, KeyCode::Enter);
    assert!(
        draw(&mut f.app, 100, 30).contains("no stack 'nosuch' (stacks: www, cedric, sally, bruce)")
    );

    // Esc abandons a line without running it.
    type_line(&mut f.app, "q");
    key(&mut f.app, KeyCode::Esc);
    assert!(!f.app.should_quit());
    type_line(&mut f.app, "q");
    key(&mut f.app, KeyCode::Enter);
    assert!(f.app.should_quit());
}

#[test]
fn the_theme_can_be_switched_to_a_built_in_one() {
    let mut f = fixture();
    let header_bg = |app: &mut App| {
        let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        t.draw(|fr| app.render(fr)).expect("draw");
        t.backend().buffer()[(0, 0)].bg
    };
    let dark = header_bg(&mut f.app);
    type_line(&mut f.app, "theme light");
    key(&mut f.app, KeyCode::Enter);
    assert_ne!(header_bg(&mut f.app), dark);
    type_line(&mut f.app, "theme ./evil.toml");
    key(&mut f.app, KeyCode::Enter);
    assert!(
        draw(&mut f.app, 80, 24).contains("themes: dark, light"),
        "only built-in themes, no file reads in the UI"
    );
}

/// What the dashboard asked the engine, without the request ids.
fn commands(app: &mut App) -> Vec<slipway::engine::Command> {
    app.take_commands().into_iter().map(|r| r.command).collect()
}

#[test]
fn a_version_holding_bidi_or_control_characters_shows_without_them() {
    let mut f = fixture();
    let mut board = Board::new(vec![StackRelease::new(StackId::new("www"), "WWW")]);
    board.apply_versions(
        &StackId::new("www"),
        StackVersions::pair(
            Version::new("v2.0\u{202e}1.3\u{200f}\u{1b}\u{9b}"),
            Version::new("v1.\u{2066}9"),
            None,
        ),
    );
    f.app.on_engine_event(Event::Board(board));
    let s = draw(&mut f.app, 120, 30);
    assert!(s.contains("v2.01.3"), "{s}");
    assert!(s.contains("v1.9"), "{s}");
    let raw: Vec<char> = s
        .chars()
        .filter(|c| {
            c.is_control() && *c != '\n'
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        })
        .collect();
    assert!(raw.is_empty(), "{raw:?}");
}

#[test]
fn a_second_promotion_waits_for_the_engine_but_an_abort_always_goes() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    commands(&mut f.app);
    key(&mut f.app, KeyCode::Enter);
    key(&mut f.app, KeyCode::Enter);
    assert!(matches!(
        commands(&mut f.app).as_slice(),
        [slipway::engine::Command::Promote { .. }]
    ));
    // Again, before the engine has shown Cedric moving: held back here, and said why.
    key(&mut f.app, KeyCode::Enter);
    key(&mut f.app, KeyCode::Enter);
    assert!(commands(&mut f.app).is_empty());
    let s = draw(&mut f.app, 120, 30);
    assert!(s.contains("still waiting for the engine"), "{s}");
    assert!(s.contains("⟳ requested"), "{s}");
    // The engine's board: Cedric's deployment is under way. An abort goes at once.
    let mut board = f.app.board().clone();
    let cedric = StackId::new("cedric");
    let plan = board
        .check_promote(&cedric, None, false)
        .expect("cedric may be promoted");
    board.begin_promotion(&plan, chrono::Utc::now());
    board.deployment_started(
        &cedric,
        slipway::model::DeploymentRef {
            id: slipway::model::DeploymentId::new("77"),
            url: None,
        },
    );
    f.app.on_engine_event(Event::Board(board));
    key(&mut f.app, KeyCode::Char('x'));
    key(&mut f.app, KeyCode::Enter);
    assert!(
        matches!(
            commands(&mut f.app).as_slice(),
            [slipway::engine::Command::Abort { .. }]
        ),
        "{}",
        draw(&mut f.app, 120, 30)
    );
}

/// The cells of the first occurrence of `word` on row `y`.
fn cells_of(buf: &ratatui::buffer::Buffer, y: u16, word: &str) -> Vec<ratatui::buffer::Cell> {
    let row: String = (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect();
    let chars: Vec<String> = (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect();
    let Some(start) = row.find(word) else {
        return Vec::new();
    };
    // Column of the byte offset: count the cells before it.
    let mut bytes = 0;
    let mut col = 0;
    while bytes < start {
        bytes += chars[col].len();
        col += 1;
    }
    (col..col + word.chars().count())
        .map(|x| buf[(x as u16, y)].clone())
        .collect()
}

#[test]
fn live_wears_the_themes_live_badge_in_the_header_and_the_dialog() {
    let mut f = fixture();
    let theme = Theme::load("dark").expect("theme");
    key(&mut f.app, KeyCode::Char('2')); // Cedric: its step is onto live
    let mut t = Terminal::new(TestBackend::new(120, 38)).expect("terminal");
    t.draw(|fr| f.app.render(fr)).expect("draw");
    let buf = t.backend().buffer().clone();
    let header = cells_of(&buf, 0, "live");
    assert!(!header.is_empty(), "the header names live");
    assert!(
        header
            .iter()
            .all(|c| c.bg == theme.live.bg.unwrap_or_default()),
        "the header's live is the live badge: {header:?}"
    );
    key(&mut f.app, KeyCode::Char('p'));
    t.draw(|fr| f.app.render(fr)).expect("draw");
    let buf = t.backend().buffer().clone();
    let row = (0..buf.area.height)
        .find(|&y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("Environment")
        })
        .expect("the dialog names the environment");
    let env = cells_of(&buf, row, "live");
    assert!(
        !env.is_empty()
            && env
                .iter()
                .all(|c| c.bg == theme.live.bg.unwrap_or_default()),
        "{env:?}"
    );
}

/// The dashboard words what to do in its own gestures: a rollback with no earlier version
/// known names `:rollback bruce VERSION`, never the CLI's `--to`.
#[test]
fn a_refused_rollback_names_the_dashboards_own_command() {
    let mut f = fixture();
    type_line(&mut f.app, "rollback bruce");
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 200, 30);
    assert!(
        s.contains("no earlier live version is known to roll back to; name one with :rollback bruce VERSION"),
        "{s}"
    );
    assert!(!s.contains("--to"), "{s}");
    assert!(commands(&mut f.app).is_empty(), "nothing is sent");
}
