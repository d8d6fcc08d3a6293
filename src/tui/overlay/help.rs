//! The help overlay: every key, global and per pane, with what it does.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};

use crate::tui::pane::Hint;
use crate::tui::theme::Theme;

pub struct HelpOverlay {
    sections: Vec<(String, Vec<Hint>)>,
    scroll: u16,
}

pub enum HelpResult {
    Open,
    Closed,
}

impl HelpOverlay {
    pub fn new(sections: Vec<(String, Vec<Hint>)>) -> Self {
        HelpOverlay {
            sections,
            scroll: 0,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> HelpResult {
        match key.code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter => {
                HelpResult::Closed
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                HelpResult::Open
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                HelpResult::Open
            }
            _ => HelpResult::Open,
        }
    }

    pub fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let key_w = self
            .sections
            .iter()
            .flat_map(|(_, h)| h.iter().map(|h| h.key.chars().count()))
            .max()
            .unwrap_or(6);
        let mut lines = Vec::new();
        for (title, hints) in &self.sections {
            if hints.is_empty() {
                continue;
            }
            if !lines.is_empty() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(title.clone(), theme.title));
            for h in hints {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<key_w$}  ", h.key), theme.accent),
                    Span::styled(h.action, theme.text),
                ]));
            }
        }
        lines
    }

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme) {
        let lines = self.lines(theme);
        let width = lines.iter().map(|l| l.width()).max().unwrap_or(30) as u16 + 4;
        let area = super::centered(screen, width.max(40), lines.len() as u16 + 2);
        let max_scroll = (lines.len() as u16).saturating_sub(area.height.saturating_sub(2));
        self.scroll = self.scroll.min(max_scroll);
        Clear.render(area, buf);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(" Keys · Esc to close ", theme.title));
        Paragraph::new(lines)
            .block(block)
            .scroll((self.scroll, 0))
            .render(area, buf);
    }
}
