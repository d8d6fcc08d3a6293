//! The dashboard as a user sees it, rendered into ratatui's `TestBackend` at the smallest
//! supported size and a large one, with realistic state from a real git history.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use crossterm::event::KeyCode;
use slipway::engine::Event;
use slipway::engine::release::{Board, StackRelease};
use slipway::model::{StackId, StackVersions, Version};
use slipway::tui::app::App;
use slipway::tui::theme::Theme;
use support::dashboard::Release;
use support::screen::{commands, draw, frame, key, key_mod};

/// Four stacks: WWW live, Cedric and Sally pending on one range, Bruce on an older one
/// (tests/support/dashboard.rs, shared with the snapshot suite).
fn fixture() -> Release {
    support::dashboard::release(Theme::load("dark").expect("theme"))
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

/// The Changes pane's rows inside its border, as drawn at `w`×`h`.
fn changes_rows(app: &mut App, w: u16, h: u16) -> Vec<String> {
    let s = draw(app, w, h);
    let area = app
        .pane_area(slipway::tui::pane::PaneId::Changes)
        .expect("changes pane");
    s.lines()
        .skip(area.y as usize + 1)
        .take(area.height.saturating_sub(2) as usize)
        .map(|l| {
            l.chars()
                .skip(area.x as usize + 1)
                .take(area.width.saturating_sub(2) as usize)
                .collect()
        })
        .collect()
}

#[test]
fn narrow_changes_drop_fields_whole_and_keep_risk_flags_as_symbols() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2')); // Cedric: #1234, #1231 (deps), #1230 (migration)
    for (w, h) in [(60, 16), (80, 24), (120, 38)] {
        let rows = changes_rows(&mut f.app, w, h);
        // Every number shown is a whole PR number, never a cut one.
        for row in &rows {
            for (at, _) in row.match_indices('#') {
                let digits: String = row[at + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                assert!(
                    ["1234", "1231", "1230"].contains(&digits.as_str()),
                    "{w}x{h}: #{digits} in {row:?}\n{rows:#?}"
                );
            }
        }
        // The risk flag stays: as a word when there is room, else as its symbol.
        let migration = rows
            .iter()
            .find(|r| r.contains("Add rout"))
            .unwrap_or_else(|| panic!("{w}x{h}: {rows:#?}"));
        assert!(
            migration.contains("MIGRATION") || migration.contains("⚠M"),
            "{w}x{h}: {migration:?}"
        );
        let deps = rows
            .iter()
            .find(|r| r.contains("Bump"))
            .unwrap_or_else(|| panic!("{w}x{h}: {rows:#?}"));
        assert!(
            deps.contains("DEPENDENCIES") || deps.contains("⚠D"),
            "{w}x{h}: {deps:?}"
        );
        // Symbols come with their legend on a spare row (the commit's detail has it too).
        if rows.iter().any(|r| r.contains("⚠M")) && rows.len() > 3 {
            assert!(
                rows.iter().any(|r| r.contains("· M mig")),
                "{w}x{h}: {rows:#?}"
            );
        }
    }
    // At 80 columns the PR numbers are kept, and the flags are symbols.
    let rows = changes_rows(&mut f.app, 80, 24);
    assert!(rows.iter().any(|r| r.contains("#1230 ⚠M")), "{rows:#?}");
}

#[test]
fn at_60x16_the_header_keeps_clear_of_the_clock_and_stacks_say_what_is_hidden() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    let s = draw(&mut f.app, 60, 16);
    let header = s.lines().next().unwrap_or("");
    // The clock stands alone at the right, a space before it.
    assert!(header.trim_end().ends_with(" 12:04"), "{header:?}");
    let before_clock = header.trim_end().trim_end_matches("12:04");
    assert!(before_clock.ends_with(' '), "{header:?}");
    assert!(header.contains("belfrage"), "{header:?}");
    assert!(header.contains("Cedric"), "{header:?}");
    // Stacks that do not fit are counted, with the way to them.
    assert!(s.contains("+2 more ↓"), "{s}");
    assert!(!s.contains("Bruce"), "{s}");
    key(&mut f.app, KeyCode::Char('4'));
    let s = draw(&mut f.app, 60, 16);
    assert!(s.contains("Bruce") && s.contains("+2 more ↑"), "{s}");
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
    key_mod(
        &mut f.app,
        KeyCode::Char('s'),
        crossterm::event::KeyModifiers::CONTROL,
    );
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
            );
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
    let header_bg = |app: &mut App| frame(app, 80, 24)[(0, 0)].bg;
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
    let buf = frame(&mut f.app, 120, 38);
    let header = cells_of(&buf, 0, "live");
    assert!(!header.is_empty(), "the header names live");
    assert!(
        header
            .iter()
            .all(|c| c.bg == theme.live.bg.unwrap_or_default()),
        "the header's live is the live badge: {header:?}"
    );
    key(&mut f.app, KeyCode::Char('p'));
    let buf = frame(&mut f.app, 120, 38);
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
