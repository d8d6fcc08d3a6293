//! `:messages`: every recent status-line message in full, newest first. The status line
//! has one row and cuts what does not fit (a platform's error, a refusal); this page
//! wraps them.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::keys::Scroll;
use super::page::Page;
use crate::tui::keymap::Keymap;
use crate::tui::status::{Level, Message};
use crate::tui::theme::Theme;

pub struct MessagesOverlay {
    page: Page,
}

pub enum MessagesResult {
    Open,
    Closed,
}

impl MessagesOverlay {
    /// `messages` oldest first, as the status line keeps them.
    pub fn new<'a>(
        messages: impl DoubleEndedIterator<Item = &'a Message>,
        theme: &Theme,
    ) -> MessagesOverlay {
        let mut lines: Vec<Line<'static>> = messages
            .rev()
            .map(|m| {
                let (style, mark) = match m.level {
                    Level::Info => (theme.info, "›"),
                    Level::Warn => (theme.warn, "!"),
                    Level::Error => (theme.error, "✗"),
                };
                Line::from(vec![
                    Span::styled(format!("{} {mark} ", m.at.format("%H:%M:%S")), theme.dim),
                    Span::styled(m.text.clone(), style),
                ])
            })
            .collect();
        if lines.is_empty() {
            lines.push(Line::styled("No messages yet.", theme.dim));
        }
        MessagesOverlay {
            page: Page::new("Messages · newest first", lines),
        }
    }

    /// `opened_it`: the key is the one that opens this overlay (it closes it too).
    pub fn on_key(
        &mut self,
        key: KeyEvent,
        keys: &Keymap<Scroll>,
        opened_it: bool,
    ) -> MessagesResult {
        if self.page.on_key(key, keys, opened_it) {
            MessagesResult::Closed
        } else {
            MessagesResult::Open
        }
    }

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme, keys: &Keymap<Scroll>) {
        self.page.render(screen, buf, theme, keys);
    }
}
