//! `g`: every pre-flight gate of the release, as the engine judged it: release-wide ones
//! first, then each checked promotion's own, each with its one-line reason. Read-only;
//! the engine keeps it current and the next `g` shows the newest.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use crate::engine::gates::{Level, Report};
use crate::tui::theme::Theme;

pub struct GatesOverlay {
    title: String,
    lines: Vec<Line<'static>>,
    scroll: u16,
}

pub enum GatesResult {
    Open,
    Closed,
}

impl GatesOverlay {
    /// `None`: the engine has not judged the gates yet (no versions read).
    pub fn new(report: Option<&Report>, theme: &Theme) -> GatesOverlay {
        let Some(report) = report else {
            return GatesOverlay {
                title: "Pre-flight gates".into(),
                lines: vec![Line::styled(
                    "  Not judged yet: the engine has not read the versions.",
                    theme.dim,
                )],
                scroll: 0,
            };
        };
        let style = |level: Level, evaluated: bool| match level {
            Level::Block => theme.error,
            Level::Warn => theme.warn,
            Level::Pass if evaluated => theme.ok,
            Level::Pass => theme.dim,
        };
        let mut lines = Vec::new();
        let mut last_stack = None;
        for item in &report.items {
            let stack = item.step.as_ref().map(|s| (s.name.clone(), s.words()));
            if stack != last_stack {
                lines.push(Line::raw(""));
                let heading = match &stack {
                    None => "The release".to_string(),
                    Some((name, words)) => format!("{name} · {words}"),
                };
                lines.push(Line::styled(heading, theme.title));
                last_stack = stack;
            }
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} {:<14}", item.mark(), item.gate.label()),
                    style(item.level, item.evaluated),
                ),
                Span::styled(item.reason.clone(), style(item.level, item.evaluated)),
            ]));
        }
        if !report.items.iter().any(|i| i.step.is_some()) {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "No promotion waiting is checked now (only onto live, onto an environment needing approval, or a release's first).",
                theme.dim,
            ));
        }
        let verdict = match report.headline() {
            None => Line::styled("All gates pass.", theme.ok),
            Some((Level::Block, text)) => {
                let stuck = report
                    .items
                    .iter()
                    .any(|i| i.level == Level::Block && !i.overridable);
                let then = if stuck {
                    "another user must approve first (A, or slipway approve)"
                } else {
                    "promoting needs an override with a reason (o in the dialog)"
                };
                Line::styled(format!("{text}: {then}."), theme.error)
            }
            Some((_, text)) => Line::styled(format!("{text}: promoting is allowed."), theme.warn),
        };
        lines.insert(0, verdict);
        GatesOverlay {
            title: format!(
                "Pre-flight gates · {}",
                report.at.with_timezone(&chrono::Local).format("%H:%M:%S")
            ),
            lines,
            scroll: 0,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> GatesResult {
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('g') | KeyCode::Enter => {
                GatesResult::Closed
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                GatesResult::Open
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                GatesResult::Open
            }
            _ => GatesResult::Open,
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
        let area = super::centered(screen, width, self.lines.len() as u16 + 2);
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
