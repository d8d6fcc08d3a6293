//! The Stacks pane: every stack in promotion order with live and test versions, its
//! phase, and a Promote button.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::engine::Event;
use crate::engine::release::{Phase, StackRelease};
use crate::tui::pane::{Ctx, Hint, Intent, Outcome, Pane, PaneId};
use crate::tui::theme::Theme;

const BUTTON: &str = "[Promote]";

#[derive(Default)]
pub struct StacksPane {
    /// Where each row and its button were drawn, for mouse clicks.
    rows: Vec<(Rect, Option<Rect>)>,
}

impl StacksPane {
    pub fn new() -> Self {
        StacksPane::default()
    }
}

/// The state cell: a word and a symbol, never colour alone.
pub fn phase_cell(stack: &StackRelease, theme: &Theme) -> Span<'static> {
    let pct = |p: Option<f32>| {
        p.map(|p| format!(" {:>3.0}%", p * 100.0))
            .unwrap_or_default()
    };
    match &stack.phase {
        Phase::Unknown => Span::styled("… reading", theme.dim),
        Phase::Pending => Span::styled(BUTTON, theme.button),
        Phase::Promoting(t) if t.deployment.is_none() => Span::styled("⟳ starting", theme.accent),
        Phase::Promoting(t) => {
            Span::styled(format!("⟳{}", pct(t.progress).trim_end()), theme.accent)
        }
        Phase::Verifying(_) => Span::styled("⟳ verifying", theme.accent),
        Phase::Live => Span::styled("✓ live", theme.ok),
        Phase::Failed { .. } => Span::styled("✗ failed", theme.error),
        Phase::Aborted(_) => Span::styled("■ aborted", theme.warn),
        Phase::RollingBack(t) => Span::styled(format!("↶{}", pct(t.progress)), theme.warn),
        Phase::RolledBack(_) => Span::styled("↶ rolled back", theme.warn),
    }
}

fn short(v: Option<&crate::model::Version>) -> String {
    v.map(|v| v.short().to_string())
        .unwrap_or_else(|| "…".into())
}

impl Pane for StacksPane {
    fn id(&self) -> PaneId {
        PaneId::Stacks
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let done = ctx.board.stacks.iter().filter(|s| s.is_done()).count();
        Line::from(format!(" Stacks · {done}/{} live ", ctx.board.stacks.len()))
    }

    fn on_event(&mut self, event: &Event, _ctx: &Ctx) -> bool {
        matches!(event, Event::Board(_))
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome {
        let n = ctx.board.stacks.len();
        if n == 0 {
            return Outcome::Ignored;
        }
        let sel = ctx.selected.min(n - 1);
        let select = |i: usize| Outcome::Intent(Intent::Select(i));
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => select((sel + 1).min(n - 1)),
            KeyCode::Up | KeyCode::Char('k') => select(sel.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => select(0),
            KeyCode::End | KeyCode::Char('G') => select(n - 1),
            KeyCode::Enter if key.modifiers == KeyModifiers::NONE => {
                Outcome::Intent(Intent::Promote(ctx.board.stacks[sel].id.clone()))
            }
            _ => Outcome::Ignored,
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent, _inner: Rect, ctx: &Ctx) -> Outcome {
        let pos = Position {
            x: mouse.column,
            y: mouse.row,
        };
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                for (i, (row, button)) in self.rows.iter().enumerate() {
                    if button.is_some_and(|b| b.contains(pos)) {
                        return Outcome::Intent(Intent::Promote(ctx.board.stacks[i].id.clone()));
                    }
                    if row.contains(pos) {
                        return Outcome::Intent(Intent::Select(i));
                    }
                }
                Outcome::Ignored
            }
            MouseEventKind::ScrollDown => Outcome::Intent(Intent::Select(
                (ctx.selected + 1).min(ctx.board.stacks.len().saturating_sub(1)),
            )),
            MouseEventKind::ScrollUp => {
                Outcome::Intent(Intent::Select(ctx.selected.saturating_sub(1)))
            }
            _ => Outcome::Ignored,
        }
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        let theme = ctx.theme;
        self.rows.clear();
        if area.height == 0 {
            return;
        }
        let name_w = ctx
            .board
            .stacks
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(5)
            .clamp(5, 12);
        let header = format!("   {:<name_w$}  {:<7} {:<7} state", "stack", "live", "test");
        buf.set_line(area.x, area.y, &Line::styled(header, theme.dim), area.width);
        // Scroll so the selected row stays visible when the pane is short.
        let visible = (area.height - 1) as usize;
        let first = ctx.selected.saturating_sub(visible.saturating_sub(1));
        for (i, stack) in ctx.board.stacks.iter().enumerate() {
            if i < first || i - first >= visible {
                self.rows.push((Rect::default(), None));
                continue;
            }
            let y = area.y + 1 + (i - first) as u16;
            let row_area = Rect::new(area.x, y, area.width, 1);
            let selected = i == ctx.selected;
            let versions = stack.versions.as_ref();
            let live = short(versions.map(|v| &v.live));
            let test = short(versions.map(|v| &v.test));
            let drift_style = if versions.is_some_and(|v| v.live != v.test) {
                theme.warn
            } else {
                theme.text
            };
            let marker = if selected { "▶" } else { " " };
            let prefix = format!(
                "{marker}{:>1} {:<name_w$}  ",
                (i + 1) % 10,
                truncate(&stack.name, name_w)
            );
            let cell = phase_cell(stack, theme);
            let spans = vec![
                Span::styled(prefix.clone(), theme.text),
                Span::styled(format!("{live:<7} "), drift_style),
                Span::styled(format!("{test:<7} "), theme.text),
                cell.clone(),
            ];
            let mut line = Line::from(spans);
            if selected {
                let sel = if ctx.focused {
                    theme.selection
                } else {
                    theme.selection.remove_modifier(Modifier::all())
                };
                line = line.patch_style(Style::new().add_modifier(Modifier::BOLD));
                buf.set_style(row_area, sel);
            }
            buf.set_line(area.x, y, &line, area.width);
            let cell_x = area.x + (prefix.chars().count() + 16) as u16;
            let button = (cell.content == BUTTON && cell_x + BUTTON.len() as u16 <= area.right())
                .then(|| Rect::new(cell_x, y, BUTTON.len() as u16, 1));
            self.rows.push((row_area, button));
        }
    }

    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        vec![
            Hint::new("⏎", "promote"),
            Hint::new("j/k", "select"),
            Hint::new("1-9", "jump to stack"),
        ]
    }
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
