//! A pane whose feed is not connected in this configuration: it says so plainly.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::engine::Event;
use crate::tui::pane::{Ctx, Hint, Outcome, Pane, PaneId};

pub struct PlaceholderPane {
    id: PaneId,
    message: String,
}

impl PlaceholderPane {
    pub fn new(id: PaneId, message: impl Into<String>) -> Self {
        PlaceholderPane {
            id,
            message: message.into(),
        }
    }
}

impl Pane for PlaceholderPane {
    fn id(&self) -> PaneId {
        self.id
    }
    fn title(&self, _ctx: &Ctx) -> Line<'static> {
        Line::from(format!(" {} ", self.id.name()))
    }
    fn on_event(&mut self, _event: &Event, _ctx: &Ctx) -> bool {
        false
    }
    fn on_key(&mut self, _key: KeyEvent, _ctx: &Ctx) -> Outcome {
        Outcome::Ignored
    }
    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        buf.set_line(
            area.x,
            area.y,
            &Line::styled(self.message.clone(), ctx.theme.dim),
            area.width,
        );
    }
    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        Vec::new()
    }
}
