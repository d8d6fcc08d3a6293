//! The Logs pane: the followed instance's log.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::engine::Event;
use crate::tui::pane::{Ctx, Hint, Outcome, Pane, PaneId};

#[derive(Default)]
pub struct LogsPane {}

impl LogsPane {
    pub fn new(_info: &crate::tui::app::AppInfo) -> Self {
        LogsPane::default()
    }
}

impl Pane for LogsPane {
    fn id(&self) -> PaneId {
        PaneId::Logs
    }
    fn title(&self, _ctx: &Ctx) -> Line<'static> {
        Line::from(" Logs ")
    }
    fn on_event(&mut self, _event: &Event, _ctx: &Ctx) -> bool {
        false
    }
    fn on_key(&mut self, _key: KeyEvent, _ctx: &Ctx) -> Outcome {
        Outcome::Ignored
    }
    fn render(&mut self, _area: Rect, _buf: &mut Buffer, _ctx: &Ctx) {}
    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        Vec::new()
    }
}
