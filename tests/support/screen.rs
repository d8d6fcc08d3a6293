//! The one way tests draw the dashboard: an `App` into ratatui's `TestBackend`, keys in,
//! screen text and cells out. Used by the snapshot suite and the render tests.
#![allow(dead_code)]

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use slipway::engine::Command;
use slipway::tui::app::App;
use slipway::tui::pane::PaneId;

/// One frame of `app` at `w`×`h`.
pub fn frame(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("terminal: {e}"));
    t.draw(|f| app.render(f))
        .unwrap_or_else(|e| panic!("draw: {e}"));
    t.backend().buffer().clone()
}

/// The buffer's text, one line per row, as a terminal shows it: a wide character's
/// second cell is not read as a space of its own.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let symbol = buf[(x, y)].symbol();
            out.push_str(symbol);
            let w = unicode_width::UnicodeWidthStr::width(symbol).max(1) as u16;
            x = x.saturating_add(w);
        }
        out.push('\n');
    }
    out
}

/// One frame of `app` as text.
pub fn draw(app: &mut App, w: u16, h: u16) -> String {
    text(&frame(app, w, h))
}

pub fn key(app: &mut App, code: KeyCode) {
    key_mod(app, code, KeyModifiers::NONE);
}

pub fn key_mod(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(code, modifiers)));
}

pub fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// What the app asked the engine for since last asked.
pub fn commands(app: &mut App) -> Vec<Command> {
    app.take_commands().into_iter().map(|r| r.command).collect()
}

/// Tab until `pane` has the focus.
pub fn focus(app: &mut App, pane: PaneId) {
    for _ in 0..PaneId::ALL.len() {
        if app.focus() == pane {
            return;
        }
        key(app, KeyCode::Tab);
    }
    assert_eq!(app.focus(), pane, "focus");
}

/// Wall-clock times (`HH:MM:SS`) replaced by `hh:mm:ss`, so a picture does not depend on
/// when it was taken (the status line stamps its messages with the time they arrived).
pub fn redact_clock(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digit = |j: usize| chars.get(j).is_some_and(char::is_ascii_digit);
    while i < chars.len() {
        let clock = digit(i)
            && digit(i + 1)
            && chars.get(i + 2) == Some(&':')
            && digit(i + 3)
            && digit(i + 4)
            && chars.get(i + 5) == Some(&':')
            && digit(i + 6)
            && digit(i + 7)
            && (i == 0 || !digit(i - 1));
        if clock {
            out.push_str("hh:mm:ss");
            i += 8;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The buffer's styles as runs per row (`y x0-x1 fg bg modifiers`), for pictures where
/// colour carries meaning; cells with no style at all are left out.
pub fn styles(buf: &Buffer) -> String {
    use std::fmt::Write;
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let c = &buf[(x, y)];
            let key = (c.fg, c.bg, c.modifier);
            let start = x;
            while x < area.right() {
                let d = &buf[(x, y)];
                if (d.fg, d.bg, d.modifier) != key {
                    break;
                }
                x += 1;
            }
            if key != Default::default() {
                let _ = writeln!(
                    out,
                    "{y:>2} {start:>3}-{:<3} {:?} {:?} {:?}",
                    x - 1,
                    key.0,
                    key.1,
                    key.2
                );
            }
        }
    }
    out
}
