//! The Metrics pane: sparklines per stack with anomaly flags.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::engine::Event;
use crate::tui::pane::{Ctx, Hint, Outcome, Pane, PaneId};

#[derive(Default)]
pub struct MetricsPane {}

impl MetricsPane {
    pub fn new(_info: &crate::tui::app::AppInfo) -> Self {
        MetricsPane::default()
    }
}

impl Pane for MetricsPane {
    fn id(&self) -> PaneId {
        PaneId::Metrics
    }
    fn title(&self, _ctx: &Ctx) -> Line<'static> {
        Line::from(" Metrics ")
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
