//! A titled, scrollable page of lines over the dashboard: what the details (`v`) and a
//! dry run's plan, the gates (`g`), the history (`H`) and `:messages` are drawn as. One
//! place for its keys and its frame.
//!
//! Each of those is a `Page` of its own kind (`Page<Details>`, `Page<Gates>`…): the kind
//! only picks the constructors that fill it (`Page<Gates>::new` from the gates report),
//! everything else is the page's, so no overlay forwards keys or drawing to it.

use std::marker::PhantomData;

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use super::keys::Scroll;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

pub struct Page<Kind> {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    scroll: u16,
    /// Rows of text at the last render: a page.
    rows: u16,
    /// The furthest scroll that still fills the page, as last drawn.
    max_scroll: std::cell::Cell<u16>,
    kind: PhantomData<Kind>,
}

/// Whether the page stays open after a key.
pub enum PageResult {
    Open,
    Closed,
}

impl<Kind> Page<Kind> {
    /// The page of `lines`, for a kind's constructors.
    pub(super) fn of(title: impl Into<String>, lines: Vec<Line<'static>>) -> Self {
        Page {
            title: title.into(),
            lines,
            scroll: 0,
            rows: 10,
            max_scroll: std::cell::Cell::new(u16::MAX),
            kind: PhantomData,
        }
    }

    /// Scrolls on its keys; closed by its close keys, or by `opened_it`: the key was the
    /// one that opened it.
    pub fn on_key(&mut self, key: KeyEvent, keys: &Keymap<Scroll>, opened_it: bool) -> PageResult {
        let page = self.rows.max(1);
        // The wrapped rows as last drawn; before the first draw, the lines.
        let bottom = match self.max_scroll.get() {
            u16::MAX => (self.lines.len() as u16).saturating_sub(page),
            drawn => drawn,
        };
        match keys.action(&key) {
            Some(Scroll::Close) => return PageResult::Closed,
            _ if opened_it => return PageResult::Closed,
            Some(Scroll::Down) => self.scroll = self.scroll.saturating_add(1),
            Some(Scroll::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Scroll::PageDown) => self.scroll = self.scroll.saturating_add(page),
            Some(Scroll::PageUp) => self.scroll = self.scroll.saturating_sub(page),
            Some(Scroll::Top) => self.scroll = 0,
            Some(Scroll::Bottom) => self.scroll = bottom,
            None => {}
        }
        self.scroll = self.scroll.min(bottom);
        PageResult::Open
    }

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme, keys: &Keymap<Scroll>) {
        let width = self
            .lines
            .iter()
            .map(ratatui::prelude::Line::width)
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
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(super::footer_line(
                &[
                    keys.hint(Scroll::Close),
                    keys.pair(Scroll::Down, Scroll::Up, "scroll"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
                theme,
            ));
        self.rows = area.height.saturating_sub(2);
        Paragraph::new(self.lines.clone())
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .render(area, buf);
    }
}
