//! `g`: every pre-flight gate of the release, as the engine judged it: release-wide ones
//! first, then each checked promotion's own, each with its one-line reason. Read-only;
//! the engine keeps it current and the next `g` shows the newest.

use ratatui::text::{Line, Span};

use super::page::{Page, PageResult};
use crate::engine::gates::{Level, Report};
use crate::tui::theme::Theme;

/// The pre-flight gates (`g`).
pub enum Gates {}
pub type GatesOverlay = Page<Gates>;
/// Every page's answer; the name the app matches on.
pub type GatesResult = PageResult;

impl Page<Gates> {
    /// `None`: the engine has not judged the gates yet (no versions read).
    pub fn new(report: Option<&Report>, theme: &Theme) -> Self {
        let Some(report) = report else {
            return Page::of(
                "Pre-flight gates",
                vec![Line::styled(
                    "  Not judged yet: the engine has not read the versions.",
                    theme.dim,
                )],
            );
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
        Page::of(
            format!(
                "Pre-flight gates · {}",
                report.at.with_timezone(&chrono::Local).format("%H:%M:%S")
            ),
            lines,
        )
    }
}
