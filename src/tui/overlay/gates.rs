//! `g`: every pre-flight gate of the release, as the engine judged it: release-wide ones
//! first, then each checked promotion's own, each with its one-line reason. Read-only;
//! the engine keeps it current and the next `g` shows the newest.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::page::Page;
use crate::engine::gates::{Level, Report};
use crate::tui::theme::Theme;

pub struct GatesOverlay {
    page: Page,
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
                page: Page::new(
                    "Pre-flight gates",
                    vec![Line::styled(
                        "  Not judged yet: the engine has not read the versions.",
                        theme.dim,
                    )],
                ),
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
            page: Page::new(
                format!(
                    "Pre-flight gates · {}",
                    report.at.with_timezone(&chrono::Local).format("%H:%M:%S")
                ),
                lines,
            ),
        }
    }

    pub fn on_key(
        &mut self,
        key: KeyEvent,
        keys: &crate::tui::keymap::Keymap<super::keys::Scroll>,
        opened_it: bool,
    ) -> GatesResult {
        if self.page.on_key(key, keys, opened_it) {
            GatesResult::Closed
        } else {
            GatesResult::Open
        }
    }

    pub fn render(
        &mut self,
        screen: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        keys: &crate::tui::keymap::Keymap<super::keys::Scroll>,
    ) {
        self.page.render(screen, buf, theme, keys);
    }
}
