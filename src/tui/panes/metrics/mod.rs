//! The Metrics pane: the selected stack's series large (sparkline with the promotion
//! marked, current value, verdict in words), the other stacks compact below, and a
//! detail view of one series with the numbers behind its verdict and its sources' problems.
//!
//! Each `MetricsUpdate` is digested once when it arrives (see [`view`]); frames only copy
//! the digest onto the screen.

pub mod format;
pub mod keys;
mod render;
pub mod sparkline;
/// The per-stack views live in the dashboard model; the name stays for the pane's code.
pub use crate::tui::model::metrics as view;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::engine::Event;
use crate::tui::keymap::{HelpSection, Keymap};
use crate::tui::pane::{Ctx, Hint, Intent, Outcome, Pane, PaneId};
use keys::MetricsKey;
use view::StackView;

/// What a screen row of the pane leads to when clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A series of the selected stack (index into its series).
    Series(usize),
    /// Another stack's compact row (index into the board).
    Stack(usize),
}

#[derive(Default)]
pub struct MetricsPane {
    /// The highlighted series (same index on every stack: they share the config).
    highlight: usize,
    /// The detail view of the highlighted series is open, scrolled this far.
    detail: Option<u16>,
    /// Rows as last drawn, for clicks.
    drawn: Vec<(u16, Target)>,
    /// No series in the config: the feed never starts, so say so instead of waiting.
    unconfigured: bool,
    keys: Keymap<MetricsKey>,
}

impl MetricsPane {
    pub fn new(info: &crate::tui::app::AppInfo) -> Self {
        MetricsPane {
            unconfigured: info.metrics_series == 0,
            ..MetricsPane::default()
        }
    }

    /// How many rows the pane has content for at the moment.
    pub fn rows_wanted(&self, ctx: &Ctx) -> usize {
        render::rows_wanted(self, ctx)
    }

    #[allow(
        clippy::unused_self,
        reason = "the pane reads its view through itself, as every pane does"
    )]
    fn selected_view<'a>(&self, ctx: &Ctx<'a>) -> Option<&'a StackView> {
        ctx.model.metrics_of(&ctx.selected_stack()?.id)
    }

    fn series_count(&self, ctx: &Ctx) -> usize {
        self.selected_view(ctx).map_or(0, |v| v.series.len())
    }

    fn move_highlight(&mut self, delta: isize, ctx: &Ctx) {
        let n = self.series_count(ctx);
        if n == 0 {
            return;
        }
        let to = (self.highlight.min(n - 1) as isize + delta).clamp(0, n as isize - 1) as usize;
        if to != self.highlight {
            self.highlight = to;
            if self.detail.is_some() {
                self.detail = Some(0);
            }
        }
    }

    fn toggle_detail(&mut self, ctx: &Ctx) {
        self.detail = match self.detail {
            Some(_) => None,
            None if self.series_count(ctx) > 0 => Some(0),
            None => None,
        };
    }
}

impl Pane for MetricsPane {
    fn id(&self) -> PaneId {
        PaneId::Metrics
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let Some(stack) = ctx.selected_stack() else {
            return Line::from(" Metrics ");
        };
        let mut t = format!(" Metrics · {}", crate::text::one_line(&stack.name, 24));
        if let Some(v) = self.selected_view(ctx) {
            if let Some(s) = self.detail.and(v.series.get(self.highlight)) {
                t.push_str(&format!(" · {}", s.name));
            } else if let (Some(at), Some(change)) = (v.marker, &v.change) {
                t.push_str(&format!(" · {change} {}", format::clock(at)));
            }
            if let Some(stale) = v.staleness(ctx.now) {
                t.push_str(&format!(" · {stale}"));
            }
            if v.troubled > 0 {
                t.push_str(&format!(
                    " · ⚠ {} of {} sources with problems",
                    v.troubled, v.sources
                ));
            }
        }
        t.push(' ');
        Line::from(t)
    }

    fn on_event(&mut self, event: &Event, _ctx: &Ctx) -> bool {
        match event {
            // The model has digested it; the pane only redraws.
            Event::Metrics(_) => true,
            // Names and the order of the compact rows come from the board.
            Event::Board(_) => true,
            _ => false,
        }
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome {
        let n = self.series_count(ctx);
        let Some(action) = self.keys.action(&key) else {
            return Outcome::Ignored;
        };
        match action {
            MetricsKey::Down => self.move_highlight(1, ctx),
            MetricsKey::Up => self.move_highlight(-1, ctx),
            MetricsKey::Top => self.highlight = 0,
            MetricsKey::Bottom => self.highlight = n.saturating_sub(1),
            MetricsKey::Detail => self.toggle_detail(ctx),
            MetricsKey::Back if self.detail.is_some() => self.detail = None,
            // Nothing to close: the global Esc (restore the zoom, clear the message).
            MetricsKey::Back => return Outcome::Ignored,
            MetricsKey::PageDown | MetricsKey::PageUp if self.detail.is_none() => {
                let open = self.keys.first_key(MetricsKey::Detail);
                return Outcome::Intent(Intent::Say(format!(
                    "Only the detail of a series scrolls ({open} opens it)."
                )));
            }
            MetricsKey::PageDown => self.detail = self.detail.map(|s| s.saturating_add(5)),
            MetricsKey::PageUp => self.detail = self.detail.map(|s| s.saturating_sub(5)),
        }
        Outcome::Handled
    }

    fn on_mouse(&mut self, mouse: MouseEvent, _inner: Rect, ctx: &Ctx) -> Outcome {
        match (mouse.kind, self.detail) {
            (MouseEventKind::ScrollDown, Some(s)) => self.detail = Some(s.saturating_add(1)),
            (MouseEventKind::ScrollUp, Some(s)) => self.detail = Some(s.saturating_sub(1)),
            (MouseEventKind::ScrollDown, None) => self.move_highlight(1, ctx),
            (MouseEventKind::ScrollUp, None) => self.move_highlight(-1, ctx),
            (MouseEventKind::Down(MouseButton::Left), _) => {
                let target = self
                    .drawn
                    .iter()
                    .find(|(y, _)| *y == mouse.row)
                    .map(|(_, t)| *t);
                match target {
                    Some(Target::Stack(i)) => return Outcome::Intent(Intent::Select(i)),
                    Some(Target::Series(i)) if i == self.highlight => self.toggle_detail(ctx),
                    Some(Target::Series(i)) => self.highlight = i,
                    None => return Outcome::Ignored,
                }
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        if self.unconfigured {
            let text = "No metrics configured: add [[metrics.series]] to the config (see docs/metrics.md).";
            buf.set_line(
                area.x,
                area.y,
                &Line::styled(text, ctx.theme.dim),
                area.width,
            );
            return;
        }
        render::render(self, area, buf, ctx);
    }

    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        let k = &self.keys;
        if self.detail.is_some() {
            let mut hints = k.hints(&[MetricsKey::Back]);
            hints.extend(k.pair(MetricsKey::Down, MetricsKey::Up, "other series"));
            hints.extend(k.pair(MetricsKey::PageUp, MetricsKey::PageDown, "scroll"));
            return hints;
        }
        let mut hints: Vec<Hint> = k
            .pair(MetricsKey::Down, MetricsKey::Up, "series")
            .into_iter()
            .collect();
        hints.extend(k.hint(MetricsKey::Detail));
        hints.push(Hint::new("click", "select a stack"));
        hints
    }

    fn help(&self) -> Vec<HelpSection> {
        vec![self.keys.help()]
    }

    fn rebind(&mut self, keys: &crate::config::keys::KeysConfig) {
        self.keys = Keymap::new(&keys::KEYS, keys);
    }
}
