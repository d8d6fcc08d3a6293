//! Dialogs drawn over the dashboard. While one is open it receives every key.

pub mod announce;
pub mod confirm;
pub mod details;
pub mod gates;
pub mod help;
pub mod history;
pub mod keys;
pub mod messages;
pub mod page;
pub mod report;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};

use crate::tui::pane::Hint;
use crate::tui::theme::Theme;

/// A dialog's footer from its keys: ` y promote · n/Esc/q cancel · Tab switch `.
pub fn footer_line(hints: &[Hint], theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, h) in hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim));
        }
        spans.push(Span::styled(h.key.to_string(), theme.accent));
        spans.push(Span::styled(format!(" {}", h.action), theme.dim));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}
