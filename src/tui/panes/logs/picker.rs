//! The instance picker (`i`): a small list of the stack's instances over the Logs pane.
//! Choosing one asks the engine to follow it; the list comes from `Event::Instances`.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::keys::PickKey;
use crate::model::{Instance, StackId};
use crate::text::one_line;
use crate::text::sanitize::group_thousands;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickResult {
    Open,
    Closed,
    /// Follow this instance.
    Chosen(String),
}

#[derive(Debug)]
pub struct Picker {
    pub stack: StackId,
    selected: usize,
    /// Screen row of each instance as drawn last frame, for clicks.
    rows: Vec<(u16, usize)>,
    area: Rect,
}

/// What the picker shows per instance besides its id.
pub struct Entry<'a> {
    pub instance: &'a Instance,
    /// Followed now.
    pub current: bool,
    /// Lines kept from an earlier visit.
    pub kept: Option<usize>,
}

impl Picker {
    /// Opens on `current` (the followed instance) when it is in the list.
    pub fn new(stack: StackId, instances: &[Instance], current: Option<&str>) -> Self {
        let selected = current
            .and_then(|c| instances.iter().position(|i| i.id == c))
            .unwrap_or(0);
        Picker {
            stack,
            selected,
            rows: Vec::new(),
            area: Rect::default(),
        }
    }

    pub fn on_key(
        &mut self,
        key: KeyEvent,
        instances: &[Instance],
        keys: &Keymap<PickKey>,
    ) -> PickResult {
        let last = instances.len().saturating_sub(1);
        let Some((action, n)) = keys.lookup(&key) else {
            return PickResult::Open;
        };
        match action {
            PickKey::Close => return PickResult::Closed,
            PickKey::Down => self.selected = (self.selected + 1).min(last),
            PickKey::Up => self.selected = self.selected.saturating_sub(1),
            PickKey::Top => self.selected = 0,
            PickKey::Bottom => self.selected = last,
            PickKey::Follow => {
                if let Some(i) = instances.get(self.selected) {
                    return PickResult::Chosen(i.id.clone());
                }
            }
            PickKey::Number => {
                if let Some(i) = instances.get(n) {
                    return PickResult::Chosen(i.id.clone());
                }
            }
        }
        PickResult::Open
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent, instances: &[Instance]) -> PickResult {
        let last = instances.len().saturating_sub(1);
        match mouse.kind {
            MouseEventKind::ScrollDown => self.selected = (self.selected + 1).min(last),
            MouseEventKind::ScrollUp => self.selected = self.selected.saturating_sub(1),
            MouseEventKind::Down(MouseButton::Left) => {
                if !self.area.contains(Position::new(mouse.column, mouse.row)) {
                    return PickResult::Closed;
                }
                if let Some(&(_, i)) = self.rows.iter().find(|(y, _)| *y == mouse.row)
                    && let Some(inst) = instances.get(i)
                {
                    return PickResult::Chosen(inst.id.clone());
                }
            }
            _ => {}
        }
        PickResult::Open
    }

    /// Draws the list in the top-left of `area`; `None` while the instances are not known.
    pub fn render(
        &mut self,
        area: Rect,
        buf: &mut Buffer,
        entries: Option<&[Entry<'_>]>,
        theme: &Theme,
    ) {
        let lines: Vec<(Line<'static>, Option<usize>)> = match entries {
            None => vec![(Line::styled("reading instances…", theme.dim), None)],
            Some([]) => vec![(Line::styled("no instances listed", theme.dim), None)],
            Some(entries) => entries
                .iter()
                .enumerate()
                .map(|(n, e)| (entry_line(n, e, n == self.selected, theme), Some(n)))
                .collect(),
        };
        let widest = lines.iter().map(|(l, _)| l.width()).max().unwrap_or(0) as u16;
        let title = format!(" {} instances ", one_line(self.stack.as_str(), 30));
        let w = (widest.max(title.width() as u16) + 2).min(area.width);
        let h = (lines.len() as u16 + 2).min(area.height);
        let popup = Rect::new(area.x, area.y, w, h);
        self.area = popup;
        Clear.render(popup, buf);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Line::styled(title, theme.title));
        let inner = block.inner(popup);
        block.render(popup, buf);
        // Keep the selection in view on a short pane.
        let visible = inner.height as usize;
        let skip = (self.selected + 1).saturating_sub(visible);
        self.rows.clear();
        for (row, (line, index)) in lines.into_iter().skip(skip).take(visible).enumerate() {
            let y = inner.y + row as u16;
            buf.set_line(inner.x, y, &line, inner.width);
            if let Some(i) = index {
                if i == self.selected {
                    buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme.selection);
                }
                self.rows.push((y, i));
            }
        }
    }
}

fn entry_line(n: usize, e: &Entry<'_>, selected: bool, theme: &Theme) -> Line<'static> {
    let mark = if e.current { "● " } else { "  " };
    let key = if n < 9 {
        format!("{} ", n + 1)
    } else {
        "  ".into()
    };
    let mut spans = vec![
        Span::styled(key, theme.accent),
        Span::styled(mark, theme.ok),
        Span::styled(
            one_line(&e.instance.id, 40),
            if selected { theme.title } else { theme.text },
        ),
    ];
    if e.instance.host != e.instance.id {
        spans.push(Span::styled(
            format!("  {}", one_line(&e.instance.host, 40)),
            theme.dim,
        ));
    }
    if let Some(kept) = e.kept.filter(|k| *k > 0) {
        spans.push(Span::styled(
            format!("  {} lines kept", group_thousands(kept as u64)),
            theme.dim,
        ));
    }
    Line::from(spans)
}
