//! `:messages`: every recent status-line message in full, newest first. The status line
//! has one row and cuts what does not fit (a platform's error, a refusal); this page
//! wraps them.

use ratatui::text::{Line, Span};

use super::page::{Page, PageResult};
use crate::tui::status::{Level, Message};
use crate::tui::theme::Theme;

/// Every recent status message (`:messages`).
pub enum Messages {}
pub type MessagesOverlay = Page<Messages>;
/// Every page's answer; the name the app matches on.
pub type MessagesResult = PageResult;

impl Page<Messages> {
    /// `messages` oldest first, as the status line keeps them.
    pub fn new<'a>(messages: impl DoubleEndedIterator<Item = &'a Message>, theme: &Theme) -> Self {
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
        Page::of("Messages · newest first", lines)
    }
}
