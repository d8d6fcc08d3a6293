//! The confirmation dialog for dangerous actions. It names the stack, the versions and the
//! environment; an out-of-order promotion needs an explicit override key before it can be
//! confirmed.

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use crate::engine::Command;
use crate::tui::theme::Theme;

/// What confirming does.
#[derive(Debug, Clone, PartialEq)]
pub enum OnConfirm {
    Send(Command),
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmDialog {
    pub title: String,
    pub body: Vec<Line<'static>>,
    pub confirm_label: String,
    /// Set when confirming needs the override key first (e.g. out-of-order promotion).
    pub override_needed: Option<String>,
    pub overridden: bool,
    pub on_confirm: OnConfirm,
    /// Which button has focus: true = the action, false = Cancel.
    action_focused: bool,
    buttons: (Rect, Rect),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DialogResult {
    Open,
    Cancelled,
    Confirmed(OnConfirm),
}

impl ConfirmDialog {
    pub fn new(
        title: impl Into<String>,
        body: Vec<Line<'static>>,
        confirm_label: impl Into<String>,
        on_confirm: OnConfirm,
    ) -> Self {
        ConfirmDialog {
            title: title.into(),
            body,
            confirm_label: confirm_label.into(),
            override_needed: None,
            overridden: false,
            on_confirm,
            action_focused: true,
            buttons: (Rect::default(), Rect::default()),
        }
    }

    /// Requires pressing `o` before the action can be confirmed; `why` says what is overridden.
    pub fn needing_override(mut self, why: impl Into<String>) -> Self {
        self.override_needed = Some(why.into());
        self
    }

    fn can_confirm(&self) -> bool {
        self.override_needed.is_none() || self.overridden
    }

    fn confirm(&self) -> DialogResult {
        if !self.can_confirm() {
            return DialogResult::Open;
        }
        let mut action = self.on_confirm.clone();
        if let OnConfirm::Send(Command::Promote { override_order, .. }) = &mut action {
            *override_order = self.overridden;
        }
        DialogResult::Confirmed(action)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> DialogResult {
        match key.code {
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => DialogResult::Cancelled,
            KeyCode::Char('o') if self.override_needed.is_some() => {
                self.overridden = !self.overridden;
                DialogResult::Open
            }
            KeyCode::Char('y') => self.confirm(),
            KeyCode::Enter if self.action_focused => self.confirm(),
            KeyCode::Enter => DialogResult::Cancelled,
            KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Char('h')
            | KeyCode::Char('l') => {
                self.action_focused = !self.action_focused;
                DialogResult::Open
            }
            _ => DialogResult::Open,
        }
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent) -> DialogResult {
        if let MouseEventKind::Down(MouseButton::Left) = mouse.kind {
            let pos = Position {
                x: mouse.column,
                y: mouse.row,
            };
            if self.buttons.0.contains(pos) {
                return DialogResult::Cancelled;
            }
            if self.buttons.1.contains(pos) {
                return self.confirm();
            }
        }
        DialogResult::Open
    }

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme) {
        // The override warning comes first: it must stay visible however long the body.
        let mut lines = Vec::new();
        if let Some(why) = &self.override_needed {
            if self.overridden {
                lines.push(Line::styled(format!("⚠ Overridden: {why}"), theme.warn));
            } else {
                lines.push(Line::styled(format!("⚠ {why}"), theme.warn));
                lines.push(Line::styled(
                    "  Press o to override, or Esc to cancel.",
                    theme.warn,
                ));
            }
            lines.push(Line::raw(""));
        }
        // Border, button row and its spacer take five rows; the body gets the rest.
        let room = (screen.height.saturating_sub(5) as usize).saturating_sub(lines.len());
        if self.body.len() > room {
            lines.extend(self.body.iter().take(room.saturating_sub(1)).cloned());
            lines.push(Line::styled("  …", theme.dim));
        } else {
            lines.extend(self.body.iter().cloned());
        }
        let width = lines
            .iter()
            .map(|l| l.width())
            .max()
            .unwrap_or(20)
            .clamp(40, 76) as u16
            + 4;
        let height = lines.len() as u16 + 5;
        let area = super::centered(screen, width, height);
        Clear.render(area, buf);
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .border_style(theme.warn)
            .title(Span::styled(format!(" {} ", self.title), theme.title));
        let inner = block.inner(area);
        block.render(area, buf);
        let text_area = Rect {
            height: inner.height.saturating_sub(2),
            ..inner
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(text_area, buf);
        // Buttons on the last inner row, right-aligned: [ Cancel ]  [ Promote ].
        let cancel = " Cancel ".to_string();
        let action = format!(" {} ", self.confirm_label);
        let y = inner.bottom().saturating_sub(1);
        let total = (cancel.len() + action.chars().count() + 6) as u16;
        let x = inner.right().saturating_sub(total + 1).max(inner.x);
        let style = |focused: bool, enabled: bool| {
            if !enabled {
                theme.dim
            } else if focused {
                theme.button
            } else {
                theme.text
            }
        };
        let cancel_rect = Rect::new(x, y, cancel.len() as u16 + 2, 1);
        let action_rect = Rect::new(
            x + cancel_rect.width + 2,
            y,
            action.chars().count() as u16 + 2,
            1,
        );
        buf.set_span(
            cancel_rect.x,
            y,
            &Span::styled(format!("[{cancel}]"), style(!self.action_focused, true)),
            cancel_rect.width,
        );
        buf.set_span(
            action_rect.x,
            y,
            &Span::styled(
                format!("[{action}]"),
                style(self.action_focused, self.can_confirm()),
            ),
            action_rect.width,
        );
        self.buttons = (cancel_rect, action_rect);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StackId;
    use crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn promote() -> ConfirmDialog {
        ConfirmDialog::new(
            "Promote Sally",
            vec![],
            "Promote",
            OnConfirm::Send(Command::Promote {
                stack: StackId::new("sally"),
                expected: None,
                override_order: false,
                to: None,
            }),
        )
    }

    #[test]
    fn enter_confirms_and_escape_cancels() {
        assert!(matches!(
            promote().on_key(key(KeyCode::Enter)),
            DialogResult::Confirmed(_)
        ));
        assert_eq!(promote().on_key(key(KeyCode::Esc)), DialogResult::Cancelled);
        let mut d = promote();
        d.on_key(key(KeyCode::Tab));
        assert_eq!(d.on_key(key(KeyCode::Enter)), DialogResult::Cancelled);
    }

    #[test]
    fn out_of_order_needs_the_override_key_and_sets_the_flag() {
        let mut d = promote().needing_override("Cedric is not live yet");
        assert_eq!(d.on_key(key(KeyCode::Enter)), DialogResult::Open);
        assert_eq!(d.on_key(key(KeyCode::Char('y'))), DialogResult::Open);
        d.on_key(key(KeyCode::Char('o')));
        match d.on_key(key(KeyCode::Enter)) {
            DialogResult::Confirmed(OnConfirm::Send(Command::Promote {
                override_order, ..
            })) => {
                assert!(override_order)
            }
            other => panic!("expected a confirmed override, got {other:?}"),
        }
    }
}
