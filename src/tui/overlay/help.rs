//! The help overlay: every key of every scope (everywhere, each pane, each dialog), read
//! from the same tables dispatch uses, so configured keys show as configured. It fills
//! the screen: side by side in columns when wide, scrolled when it does not fit.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::keys::Scroll;
use crate::tui::keymap::{HelpSection, Keymap};
use crate::tui::theme::Theme;

/// The narrowest column worth a second one beside it.
const COLUMN_MIN: usize = 56;
const COLUMNS_MAX: usize = 4;
/// Keys wider than this wrap their sentence under them.
const KEY_MAX: usize = 18;

pub struct HelpOverlay {
    sections: Vec<HelpSection>,
    /// First row shown, of all the rows laid out.
    scroll: usize,
    /// Rows shown at the last render (all columns) and rows in all, for paging.
    shown: usize,
    total: usize,
}

pub enum HelpResult {
    Open,
    Closed,
}

/// One laid-out row: a heading, a key and its sentence, a continuation, or a gap.
#[derive(Debug, Clone)]
enum Row {
    Title(String),
    Key(String, String),
    More(String),
    Gap,
}

impl HelpOverlay {
    pub fn new(sections: Vec<HelpSection>) -> Self {
        HelpOverlay {
            sections,
            scroll: 0,
            shown: 10,
            total: 0,
        }
    }

    pub fn sections(&self) -> &[HelpSection] {
        &self.sections
    }

    pub fn on_key(&mut self, key: KeyEvent, keys: &Keymap<Scroll>) -> HelpResult {
        let bottom = self.total.saturating_sub(self.shown);
        let page = self.shown.max(1);
        match keys.action(&key) {
            Some(Scroll::Close) => return HelpResult::Closed,
            Some(Scroll::Down) => self.scroll += 1,
            Some(Scroll::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Scroll::PageDown) => self.scroll += page,
            Some(Scroll::PageUp) => self.scroll = self.scroll.saturating_sub(page),
            Some(Scroll::Top) => self.scroll = 0,
            Some(Scroll::Bottom) => self.scroll = bottom,
            None => {}
        }
        self.scroll = self.scroll.min(bottom);
        HelpResult::Open
    }

    /// The rows for columns `width` wide; `gaps` puts a blank row between sections.
    fn rows(&self, width: usize, gaps: bool) -> Vec<Row> {
        let mut rows = Vec::new();
        for s in self.sections.iter().filter(|s| !s.rows.is_empty()) {
            // Each section's keys in a column of their own width.
            let key_w = s
                .rows
                .iter()
                .map(|h| h.key.width())
                .filter(|w| *w <= KEY_MAX)
                .max()
                .unwrap_or(6);
            let text_w = width.saturating_sub(key_w + 4).max(12);
            if gaps && !rows.is_empty() {
                rows.push(Row::Gap);
            }
            rows.push(Row::Title(s.title.clone()));
            for h in &s.rows {
                let key = if h.key.width() > key_w {
                    rows.push(Row::Key(format!("  {}", h.key), String::new()));
                    String::new()
                } else {
                    h.key.to_string()
                };
                let mut lines = wrap(&h.action, text_w).into_iter();
                rows.push(Row::Key(
                    format!("  {key:<key_w$}  "),
                    lines.next().unwrap_or_default(),
                ));
                rows.extend(lines.map(|t| Row::More(format!("  {:key_w$}  {t}", ""))));
            }
        }
        rows
    }

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme, keys: &Keymap<Scroll>) {
        // All of the screen: it is a lot to read.
        let area = screen;
        Clear.render(area, buf);
        let inner_w = area.width.saturating_sub(2) as usize;
        let height = area.height.saturating_sub(2) as usize;
        // One column if it fits; else as many as the width takes, without the gaps
        // between sections (their titles stand out).
        let most = (inner_w / COLUMN_MIN).clamp(1, COLUMNS_MAX);
        let mut columns = 1;
        let mut rows = self.rows(inner_w, true);
        while rows.len() > height * columns && columns < most {
            columns += 1;
            rows = self.rows(inner_w / columns - 1, false);
        }
        let col_w = inner_w / columns;
        self.total = rows.len();
        self.shown = (height * columns).max(1);
        self.scroll = self.scroll.min(self.total.saturating_sub(self.shown));
        let first = self.scroll;
        let last = (first + self.shown).min(self.total);
        let position = if self.total <= self.shown {
            format!(" all {} rows ", self.total)
        } else {
            format!(
                " rows {}–{last} of {} · {}% ",
                first + 1,
                self.total,
                last * 100 / self.total.max(1)
            )
        };
        let mut footer: Vec<_> = keys.hint(Scroll::Close).into_iter().collect();
        if self.total > self.shown {
            footer.extend(keys.pair(Scroll::Down, Scroll::Up, "scroll"));
            footer.extend(keys.pair(Scroll::PageUp, Scroll::PageDown, "page"));
            footer.extend(keys.pair(Scroll::Top, Scroll::Bottom, "top/end"));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(" Keys ", theme.title))
            .title(Line::styled(position, theme.accent).right_aligned())
            .title_bottom(super::footer_line(&footer, theme));
        let inner = block.inner(area);
        block.render(area, buf);
        for (i, row) in rows[first..last].iter().enumerate() {
            let (col, y) = (i / height.max(1), i % height.max(1));
            let x = inner.x + (col * col_w) as u16;
            let line = match row {
                Row::Title(t) => Line::styled(t.clone(), theme.title),
                Row::Key(k, t) => Line::from(vec![
                    Span::styled(k.clone(), theme.accent),
                    Span::styled(t.clone(), theme.text),
                ]),
                Row::More(t) => Line::styled(t.clone(), theme.text),
                Row::Gap => continue,
            };
            buf.set_line(x, inner.y + y as u16, &line, col_w.saturating_sub(1) as u16);
        }
    }
}

/// Words into lines at most `width` wide (a word longer than that is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let w = line.width() + usize::from(!line.is_empty()) + word.width();
        if w > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}
