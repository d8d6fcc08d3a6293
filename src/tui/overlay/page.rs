//! A titled, scrollable page of lines over the dashboard: what the details (`v`), the
//! gates (`g`) and a dry run's plan are drawn as. One place for its keys and its frame.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use crate::tui::theme::Theme;

pub struct Page {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    scroll: u16,
    /// The furthest scroll that still fills the page, as last drawn.
    max_scroll: std::cell::Cell<u16>,
}

impl Page {
    pub fn new(title: impl Into<String>, lines: Vec<Line<'static>>) -> Page {
        Page {
            title: title.into(),
            lines,
            scroll: 0,
            max_scroll: std::cell::Cell::new(u16::MAX),
        }
    }

    /// Scrolls on `j`/`k`, the arrows and the page keys; `true` when the key closes the page (`Esc`,
    /// `q`, `Enter`, or the key that opened it).
    pub fn on_key(&mut self, key: KeyEvent, opened_with: char) -> bool {
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => true,
            KeyCode::Char(c) if c == opened_with => true,
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1).min(self.max_scroll.get());
                false
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                false
            }
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.scroll = self.scroll.saturating_add(10).min(self.max_scroll.get());
                false
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(10);
                false
            }
            KeyCode::Home => {
                self.scroll = 0;
                false
            }
            _ => false,
        }
    }

    pub fn render(&self, screen: Rect, buf: &mut Buffer, theme: &Theme) {
        let width = self
            .lines
            .iter()
            .map(|l| l.width())
            .max()
            .unwrap_or(40)
            .clamp(50, 110) as u16
            + 4;
        // As tall as the lines once wrapped to the width they get, so none is cut off.
        let inner = (width.min(screen.width) as usize).saturating_sub(2).max(1);
        let rows: usize = self
            .lines
            .iter()
            .map(|l| l.width().div_ceil(inner).max(1))
            .sum();
        let area = super::centered(screen, width, (rows as u16).saturating_add(2));
        self.max_scroll
            .set((rows as u16).saturating_sub(area.height.saturating_sub(2)));
        Clear.render(area, buf);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(
                format!(" {} · Esc to close ", self.title),
                theme.title,
            ));
        Paragraph::new(self.lines.clone())
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .render(area, buf);
    }
}
