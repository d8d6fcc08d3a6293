//! Dialogs drawn over the dashboard. While one is open it receives every key.

pub mod announce;
pub mod confirm;
pub mod details;
pub mod gates;
pub mod help;
pub mod history;
pub mod messages;
pub mod page;
pub mod report;

use ratatui::layout::{Constraint, Flex, Layout, Rect};

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
