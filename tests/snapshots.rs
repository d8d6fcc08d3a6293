//! Every pane and overlay pictured at 80×24, 120×38 and 200×60, in the dark theme and
//! with `NO_COLOR` (the monochrome theme): one insta snapshot per picture, text then style
//! runs, named `<picture>_<w>x<h>_<theme>`.
//!
//! The dashboard is built from fixed data (tests/support/dashboard.rs: a git history with
//! fixed dates, a frozen clock, wall-clock times redacted), so a picture changes only when
//! the UI does. When a change to the UI is meant, regenerate the whole suite with
//!
//!     INSTA_UPDATE=always cargo test --test snapshots
//!
//! and review the diff of tests/snapshots/ before committing it (cargo-insta is not
//! needed). A failure names the picture that changed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};
use slipway::engine::Event;
use slipway::tui::app::App;
use slipway::tui::pane::PaneId;
use slipway::tui::theme::Theme;
use support::dashboard::{self, Release, busy_release};
use support::screen::{draw, focus, frame, key, redact_clock, styles, text, typed};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 38), (200, 60)];

fn themes() -> Vec<(&'static str, Theme)> {
    let dark = Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    vec![("dark", dark), ("no_color", Theme::monochrome())]
}

/// Draws the picture `name` (the dashboard after `setup`) at every size in every theme.
fn pictures(name: &str, setup: impl Fn(&mut App)) {
    release_pictures(name, |rel| setup(&mut rel.app));
}

/// As [`pictures`], for a `setup` that needs the release's data (its commits, its
/// repository), not only the dashboard.
fn release_pictures(name: &str, setup: impl Fn(&mut Release)) {
    for (theme_name, theme) in themes() {
        for (w, h) in SIZES {
            picture(name, (w, h), (theme_name, theme.clone()), &setup);
        }
    }
}

/// One picture: the dashboard after `setup`, at `w`×`h` in one theme.
fn picture(
    name: &str,
    (w, h): (u16, u16),
    (theme_name, theme): (&str, Theme),
    setup: impl Fn(&mut Release),
) {
    let mut rel = busy_release(theme);
    // A first frame lays the screen out, as the real loop does before any key.
    let _ = draw(&mut rel.app, w, h);
    setup(&mut rel);
    let buf = frame(&mut rel.app, w, h);
    let picture = format!(
        "{}\n--- styles\n{}",
        redact_clock(&text(&buf)),
        styles(&buf)
    );
    insta::assert_snapshot!(format!("{name}_{w}x{h}_{theme_name}"), picture);
}

#[test]
fn stacks() {
    pictures("stacks", |_| {});
}

#[test]
fn stacks_selected_sally() {
    pictures("stacks_sally", |app| key(app, KeyCode::Char('3')));
}

#[test]
fn changes() {
    pictures("changes", |app| {
        key(app, KeyCode::Char('2'));
        focus(app, PaneId::Changes);
    });
}

#[test]
fn changes_commit_view() {
    pictures("changes_commit", |app| {
        key(app, KeyCode::Char('2'));
        focus(app, PaneId::Changes);
        key(app, KeyCode::Char('j'));
        key(app, KeyCode::Enter);
    });
}

#[test]
fn metrics() {
    pictures("metrics", |app| {
        key(app, KeyCode::Char('3'));
        focus(app, PaneId::Metrics);
    });
}

#[test]
fn metrics_zoomed() {
    pictures("metrics_zoom", |app| {
        key(app, KeyCode::Char('3'));
        focus(app, PaneId::Metrics);
        key(app, KeyCode::Char('z'));
    });
}

#[test]
fn logs() {
    pictures("logs", |app| focus(app, PaneId::Logs));
}

/// JSON lines read like plain ones (level, message, then the fields as `key=value`); a
/// line cut short stays as it came. Zoomed, so the fields show at 80 columns.
#[test]
fn logs_json() {
    let dark = Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    picture("logs_json", (80, 24), ("dark", dark), |rel| {
        focus(&mut rel.app, PaneId::Logs);
        dashboard::log_lines(&mut rel.app, JSON_LOG_LINES);
        key(&mut rel.app, KeyCode::Char('z'));
    });
}

const JSON_LOG_LINES: &[&str] = &[
    r#"{"ts":"2026-03-01T12:04:02.120Z","level":"error","msg":"upstream timed out","req":"a1b2","route":"Article"}"#,
    r#"{"time":"2026-03-01T12:04:02.500Z","level":"warn","message":"slow origin","origin":"fabl","ms":1800}"#,
    r#"{"ts":"2026-03-01T12:04:03Z","level":30,"msg":"GET / -> 200","status":200}"#,
    r#"{"@timestamp":"2026-03-01T12:04:03.900Z","severity":"DEBUG","@message":"cache miss","path":"/news/c0451","hit":false}"#,
    r#"{"ts":"2026-03-01T12:04:04Z","level":"error","event":"retrying","err":{"code":"ECONNRESET","host":"fabl"}}"#,
    r#"{"ts":"2026-03-01T12:04:05Z","level":"info","msg":"a line cut sh"#,
];

#[test]
fn logs_instance_picker() {
    pictures("logs_picker", |app| {
        focus(app, PaneId::Logs);
        key(app, KeyCode::Char('i'));
        app.on_engine_event(dashboard::instances());
    });
}

/// Cedric's deployment as it runs (WWW's, finished, is in every other picture).
#[test]
fn deploy() {
    pictures("deploy", |app| {
        dashboard::cedric_promoting(app);
        key(app, KeyCode::Char('2'));
        focus(app, PaneId::Deploy);
    });
}

#[test]
fn help() {
    pictures("help", |app| key(app, KeyCode::Char('?')));
}

#[test]
fn confirm_promote() {
    pictures("confirm_promote", |app| {
        key(app, KeyCode::Char('2'));
        key(app, KeyCode::Enter);
    });
}

#[test]
fn confirm_rollback() {
    pictures("confirm_rollback", |app| key(app, KeyCode::Char('r')));
}

#[test]
fn confirm_abort() {
    pictures("confirm_abort", |app| {
        dashboard::cedric_promoting(app);
        key(app, KeyCode::Char('2'));
        key(app, KeyCode::Char('x'));
    });
}

#[test]
fn details() {
    pictures("details", |app| {
        key(app, KeyCode::Char('3'));
        key(app, KeyCode::Char('v'));
    });
}

#[test]
fn gates() {
    pictures("gates", |app| key(app, KeyCode::Char('g')));
}

/// The preview of the report the engine drafted while Cedric's promotion runs.
#[test]
fn report() {
    release_pictures("report", |rel| {
        dashboard::cedric_promoting(&mut rel.app);
        key(&mut rel.app, KeyCode::Char('R'));
        let draft = dashboard::report_draft(rel);
        rel.app.on_engine_event(draft);
    });
}

#[test]
fn announce() {
    pictures("announce", |app| {
        key(app, KeyCode::Char('a'));
        app.on_engine_event(Event::AnnouncementDraft {
            kind: slipway::engine::AnnouncementKind::Release,
            text: "Releasing belfrage to live: 3 commits\n• Fix cache key (#1234) — Alice".into(),
            targets: vec!["#belfrage".into(), "#help-belfrage".into()],
        });
    });
}

#[test]
fn command_line() {
    pictures("command_line", |app| {
        key(app, KeyCode::Char(':'));
        typed(app, "prom");
    });
}

// ---- where colour carries meaning ----

/// The cells of the first row holding `needle`, from where it starts, `len` long.
fn cells_of(app: &mut App, w: u16, h: u16, needle: &str) -> Vec<ratatui::buffer::Cell> {
    let buf = frame(app, w, h);
    let screen = text(&buf);
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{screen}"));
    let x = line[..line.find(needle).unwrap_or(0)].chars().count() as u16;
    (0..needle.chars().count() as u16)
        .map(|dx| buf[(x + dx, y as u16)].clone())
        .collect()
}

#[test]
fn the_live_badge_wears_the_live_colour_and_test_does_not() {
    let dark = Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    let mut rel = busy_release(dark.clone());
    key(&mut rel.app, KeyCode::Char('2'));
    for (w, h) in SIZES {
        // The header: `· live e1881e1 → … from test`.
        let live = cells_of(&mut rel.app, w, h, " · live ");
        let word = &live[3..7];
        let live_style = dark.live;
        for c in word {
            assert_eq!(Some(c.fg), live_style.fg, "{w}x{h}: live's fg");
            assert_eq!(Some(c.bg), live_style.bg, "{w}x{h}: live's bg");
        }
        let test = cells_of(&mut rel.app, w, h, "from test");
        for c in &test[5..] {
            assert_ne!(
                (Some(c.fg), Some(c.bg)),
                (live_style.fg, live_style.bg),
                "{w}x{h}: test is not drawn as live"
            );
        }
    }
}

#[test]
fn a_flagged_metric_and_its_stack_are_drawn_in_the_flag_style() {
    let dark = Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    let mut rel = busy_release(dark.clone());
    key(&mut rel.app, KeyCode::Char('3')); // Sally: errors spiked
    for (w, h) in SIZES {
        let spike = cells_of(&mut rel.app, w, h, "SPIKE");
        for c in &spike {
            assert_eq!(Some(c.fg), dark.error.fg, "{w}x{h}: the flag word");
        }
        // A healthy series of the same stack is not.
        let ok = cells_of(&mut rel.app, w, h, "req/s");
        assert_ne!(Some(ok[0].fg), dark.error.fg, "{w}x{h}");
    }
}

/// What to do to the dashboard before drawing it.
type Setup = fn(&mut App);

#[test]
fn with_no_color_no_cell_has_a_colour() {
    let cases: [(&str, Setup); 4] = [
        ("dashboard", |_| {}),
        ("help", |app| key(app, KeyCode::Char('?'))),
        ("promote", |app| {
            key(app, KeyCode::Char('2'));
            key(app, KeyCode::Enter);
        }),
        ("metrics flagged", |app| key(app, KeyCode::Char('3'))),
    ];
    for (name, setup) in cases {
        for (w, h) in SIZES {
            let mut rel = busy_release(Theme::monochrome());
            setup(&mut rel.app);
            let buf = frame(&mut rel.app, w, h);
            for cell in buf.content() {
                assert_eq!(cell.fg, Color::Reset, "{name} {w}x{h}: {cell:?}");
                assert_eq!(cell.bg, Color::Reset, "{name} {w}x{h}: {cell:?}");
            }
            // Emphasis stays: something is bold or reversed.
            assert!(
                buf.content()
                    .iter()
                    .any(|c| c.modifier.intersects(Modifier::BOLD | Modifier::REVERSED)),
                "{name} {w}x{h}"
            );
        }
    }
}

#[test]
fn zoomed_metrics_draw_tall_charts_with_an_axis_and_the_baseline() {
    let dark = Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    for (w, h) in [(120, 38), (200, 60)] {
        let mut rel = busy_release(dark.clone());
        key(&mut rel.app, KeyCode::Char('3')); // Sally: errors from 0.9% to 4.1%
        focus(&mut rel.app, PaneId::Metrics);
        key(&mut rel.app, KeyCode::Char('z'));
        let s = draw(&mut rel.app, w, h);
        let lines: Vec<&str> = s.lines().collect();
        let errors = lines
            .iter()
            .position(|l| l.contains("errors") && l.contains("SPIKE"))
            .unwrap_or_else(|| panic!("{w}x{h}:\n{s}"));
        // Under the series' line: the top of its scale, then rows of bars down to the
        // bottom, on an axis.
        assert!(lines[errors + 1].contains("4.2% ┤"), "{w}x{h}:\n{s}");
        let chart: Vec<&&str> = lines[errors + 1..]
            .iter()
            .take_while(|l| l.contains('┤') || l.contains('│'))
            .collect();
        assert!(chart.len() >= 5, "{w}x{h}: a tall chart:\n{s}");
        assert!(
            chart.last().is_some_and(|l| l.contains("0% ┤")),
            "{w}x{h}:\n{s}"
        );
        // The level before the promotion is marked on the axis (and drawn across as `╌`
        // where no bar covers it).
        assert!(chart.iter().any(|l| l.contains("0.90% ┤")), "{w}x{h}:\n{s}");
        // Nothing but blank rows would be a waste: the pane's last body rows are used.
        let blank = lines
            .iter()
            .filter(|l| l.starts_with('┃') && l.trim_matches(|c| c == '┃' || c == ' ').is_empty())
            .count();
        assert!(blank < 8, "{w}x{h}: {blank} blank rows:\n{s}");
    }
}
