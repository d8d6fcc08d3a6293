//! Keys as data, as a user meets them: the `?` help lists every key of every table (the
//! dialogs' too) and fits 80×24 by scrolling and 200×50 in columns; configured keys work
//! and show as configured; dialog footers show their own keys; a dimmed button says why
//! when pressed; the `:` line lists its commands and confirms a theme.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use slipway::config::keys::KeysConfig;
use slipway::engine::Event;
use slipway::engine::release::{Board, StackRelease};
use slipway::model::{StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::keymap::{KeySpec, catalog};
use slipway::tui::theme::Theme;

const LIVE: &str = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TEST: &str = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// Three stacks, none promoted yet: WWW is next in order.
fn app_with(keys: &KeysConfig) -> App {
    let mut board = Board::new(
        [("www", "WWW"), ("cedric", "Cedric"), ("sally", "Sally")]
            .iter()
            .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
            .collect(),
    );
    for id in ["www", "cedric", "sally"] {
        board.apply_versions(
            &StackId::new(id),
            StackVersions::pair(Version::new(TEST), Version::new(LIVE), None),
        );
    }
    let info = AppInfo {
        release: "belfrage".into(),
        platform: "http https://deploy.example/api".into(),
        logs: Default::default(),
        metrics_series: 0,
        stops_with_us: None,
    };
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.set_keys(keys);
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board));
    app
}

fn app() -> App {
    app_with(&KeysConfig::default())
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

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(code, mods)));
}

fn key(app: &mut App, code: KeyCode) {
    press(app, code, KeyModifiers::NONE);
}

fn type_line(app: &mut App, line: &str) {
    key(app, KeyCode::Char(':'));
    for c in line.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

/// The keys a help label names: `j/↓`, `1-9`, `n/Esc/q`, `/`, `j/↓, k/↑` (a pair).
fn keys_of_label(label: &str) -> Vec<KeySpec> {
    if label == "/" {
        return vec![KeySpec::parse("/").expect("key")];
    }
    let mut out = Vec::new();
    for part in label
        .split(", ")
        .flat_map(|l| l.split('/'))
        .filter(|p| !p.is_empty())
    {
        let bytes = part.as_bytes();
        if bytes.len() == 3 && bytes[1] == b'-' && bytes[0].is_ascii_digit() {
            for d in bytes[0]..=bytes[2] {
                out.push(KeySpec::parse(&(d as char).to_string()).expect("digit"));
            }
        } else if let Ok(k) = KeySpec::parse(part) {
            out.push(k);
        }
    }
    out
}

#[test]
fn every_key_of_every_table_is_in_the_help() {
    let app = app();
    let help = app.help_sections();
    for scope in catalog::all() {
        let section = help
            .iter()
            .find(|s| s.title == scope.title)
            .unwrap_or_else(|| panic!("the help has no section for {}", scope.name));
        // The Deploy pane's view keys are the Logs pane's: listed there, once.
        let logs = help.iter().find(|s| s.title == "Logs pane");
        let rows: Vec<_> = match (scope.name, logs) {
            ("deploy", Some(logs)) => section.rows.iter().chain(&logs.rows).collect(),
            _ => section.rows.iter().collect(),
        };
        for (action, keys) in &scope.actions {
            for k in *keys {
                let spec = KeySpec::parse(k).expect("the table's keys parse");
                assert!(
                    rows.iter().any(|r| keys_of_label(&r.key).contains(&spec)),
                    "{}.{action}: key {k} is dispatched but not in the help section {:?}",
                    scope.name,
                    section.rows
                );
            }
        }
    }
    // The keys the old help forgot: the confirmation dialog's q, h and l.
    let confirm = help
        .iter()
        .find(|s| s.title.starts_with("Confirmation dialogs ("))
        .expect("the dialogs are in the help");
    let all: Vec<KeySpec> = confirm
        .rows
        .iter()
        .flat_map(|r| keys_of_label(&r.key))
        .collect();
    for k in ["q", "h", "l", "y", "n", "o", "Tab"] {
        assert!(
            all.contains(&KeySpec::parse(k).expect("key")),
            "{k}: {confirm:?}"
        );
    }
}

#[test]
fn help_at_80x24_scrolls_to_the_last_binding() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    let last = app
        .help_sections()
        .last()
        .and_then(|s| s.rows.last().cloned())
        .expect("a last binding");
    let first = draw(&mut app, 80, 24);
    assert!(first.contains("Everywhere"), "{first}");
    assert!(
        first.contains("rows 1–22 of"),
        "a position indicator:\n{first}"
    );
    assert!(
        !first.contains(last.action.as_ref()),
        "the last binding is below the fold at first:\n{first}"
    );
    key(&mut app, KeyCode::End);
    let end = draw(&mut app, 80, 24);
    assert!(
        end.contains(last.action.as_ref()),
        "End shows the last binding ({last:?}):\n{end}"
    );
    assert!(end.contains("· 100%"), "{end}");
    // PgUp goes back a page, j/k a row; Esc closes.
    key(&mut app, KeyCode::PageUp);
    assert!(!draw(&mut app, 80, 24).contains("· 100%"));
    key(&mut app, KeyCode::Home);
    assert!(draw(&mut app, 80, 24).contains("rows 1–22 of"));
    key(&mut app, KeyCode::Esc);
    assert!(!draw(&mut app, 80, 24).contains("rows 1–22 of"));
}

#[test]
fn help_at_200x50_shows_every_binding_at_once() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    let s = draw(&mut app, 200, 50);
    assert!(s.contains(" all "), "no scrolling needed:\n{s}");
    for section in app.help_sections() {
        assert!(s.contains(&section.title), "{}:\n{s}", section.title);
        for row in &section.rows {
            // The sentence may wrap: its first words are on screen.
            let start: String = row
                .action
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                s.contains(row.key.as_ref()) && s.contains(&start),
                "{} · {:?}:\n{s}",
                section.title,
                row
            );
        }
    }
}

#[test]
fn a_configured_key_replaces_the_default_and_shows_as_configured() {
    let keys =
        KeysConfig::from_toml("[global]\npromote = \"P\"\n[confirm]\ncancel = [\"c\", \"Esc\"]")
            .expect("keys");
    let mut app = app_with(&keys);
    key(&mut app, KeyCode::Char('p'));
    assert!(
        !draw(&mut app, 100, 30).contains("Promote WWW to live?"),
        "p no longer promotes"
    );
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("Promote WWW to live?"), "{s}");
    assert!(
        s.contains("c cancel"),
        "the footer shows the configured key:\n{s}"
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(
        draw(&mut app, 100, 30).contains("Promote WWW to live?"),
        "n no longer cancels"
    );
    key(&mut app, KeyCode::Char('c'));
    assert!(!draw(&mut app, 100, 30).contains("Promote WWW to live?"));

    let help = app.help_sections();
    let global = &help[0];
    let promote = global
        .rows
        .iter()
        .find(|r| r.action.contains("promote the selected"))
        .expect("promote in the help");
    assert_eq!(promote.key, "P");
}

#[test]
fn dialog_footers_show_their_keys_and_a_dimmed_button_says_why() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("Promote WWW to live?"), "{s}");
    for part in ["y promote", "n cancel", "Tab switch"] {
        assert!(s.contains(part), "{part} in the footer:\n{s}");
    }
    assert!(!s.contains("o override"), "nothing to override:\n{s}");
    key(&mut app, KeyCode::Esc);

    // Cedric before WWW: out of order, the Promote button is dimmed until `o`.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('p'));
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("o override"), "{s}");
    key(&mut app, KeyCode::Enter);
    let s = draw(&mut app, 100, 30);
    assert!(
        s.contains("Promote is dimmed") && s.contains("Press o to override first"),
        "Enter on the dimmed button says why:\n{s}"
    );
    assert!(
        app.take_commands()
            .iter()
            .all(|r| !matches!(r.command, slipway::engine::Command::Promote { .. })),
        "nothing was promoted"
    );
}

#[test]
fn sub_views_show_their_way_back() {
    let mut app = app();
    // The help's own keys are in its footer.
    key(&mut app, KeyCode::Char('?'));
    let s = draw(&mut app, 80, 24);
    assert!(s.contains("Esc close"), "{s}");
    key(&mut app, KeyCode::Esc);
    // The details page closes with Esc, and says so.
    key(&mut app, KeyCode::Char('v'));
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("Esc close") && s.contains("j/k scroll"), "{s}");
    key(&mut app, KeyCode::Char('v'));
    assert!(
        !draw(&mut app, 100, 30).contains("Esc close"),
        "v closes what v opened"
    );
}

#[test]
fn unknown_commands_list_every_command_and_a_theme_is_confirmed() {
    let mut app = app();
    type_line(&mut app, "promte");
    let s = draw(&mut app, 200, 30);
    assert!(s.contains("unknown command ':promte'"), "{s}");
    for c in slipway::tui::app::command_names() {
        let name = c.trim_start_matches(':');
        assert!(s.contains(&format!(" {name}")), "{c} is listed:\n{s}");
    }
    type_line(&mut app, "theme light");
    assert!(draw(&mut app, 100, 30).contains("theme: light"));
    type_line(&mut app, "theme sepia");
    let s = draw(&mut app, 100, 30);
    assert!(
        s.contains("no theme 'sepia'") && s.contains("dark, light"),
        "the known themes are listed:\n{s}"
    );
}

#[test]
fn a_key_with_nothing_to_act_on_says_why() {
    let mut app = app();
    key(&mut app, KeyCode::Char('9'));
    let s = draw(&mut app, 100, 30);
    assert!(s.contains("There is no stack 9 (3 stacks)"), "{s}");
}

#[test]
fn a_pane_key_with_nothing_to_act_on_here_says_why() {
    let mut app = app();
    key(&mut app, KeyCode::Tab); // Changes
    key(&mut app, KeyCode::Char('d')); // the drift view
    key(&mut app, KeyCode::Enter);
    let s = draw(&mut app, 120, 30);
    assert!(
        s.contains("Commits fold and open in the commit list (Esc returns to it)"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('e'));
    let s = draw(&mut app, 120, 30);
    assert!(s.contains("Only two environments"), "{s}");
}

#[test]
fn at_80x24_the_unknown_command_message_lists_every_command_on_two_rows() {
    let mut app = app();
    type_line(&mut app, "promte");
    let s = draw(&mut app, 80, 24);
    let bottom: String = s.lines().rev().take(2).collect::<Vec<_>>().join(" ");
    for c in slipway::tui::app::command_names() {
        assert!(
            bottom
                .split_whitespace()
                .any(|w| w == c.trim_start_matches(':')),
            "{c} is listed:\n{s}"
        );
    }
    // Esc clears it, and the hints come back.
    key(&mut app, KeyCode::Esc);
    let s = draw(&mut app, 80, 24);
    assert!(s.lines().last().unwrap_or("").contains("? help"), "{s}");
}
