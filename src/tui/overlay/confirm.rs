//! The confirmation dialog for dangerous actions. It names the stack, the versions and the
//! environment; an out-of-order promotion needs an explicit override key before it can be
//! confirmed, and a promotion the pre-flight gates block needs the override key and a
//! typed reason (journaled with the gates and the user).

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use crate::engine::Command;
use crate::tui::input::LineInput;
use crate::tui::keymap::{Availability, Binding, Keymap, Scope, ScopeKind};
use crate::tui::theme::Theme;

/// What a key does in the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Confirm, whichever button has focus.
    Yes,
    /// Press the focused button.
    Press,
    Cancel,
    Override,
    SwitchButton,
}

pub static KEYS: Scope<Confirm> = Scope {
    name: "confirm",
    title: "Confirmation dialogs (promote, rollback, abort, approve, quit)",
    kind: ScopeKind::Dialog,
    bindings: &[
        Binding {
            action: Confirm::Yes,
            name: "confirm",
            keys: &["y"],
            hint: "confirm",
            help: "confirm, if nothing needs overriding",
        },
        Binding {
            action: Confirm::Press,
            name: "press",
            keys: &["Enter"],
            hint: "press",
            help: "press the focused button",
        },
        Binding {
            action: Confirm::Cancel,
            name: "cancel",
            keys: &["n", "Esc", "q"],
            hint: "cancel",
            help: "cancel",
        },
        Binding {
            action: Confirm::Override,
            name: "override",
            keys: &["o"],
            hint: "override",
            help: "override order or blocking gates (type why)",
        },
        Binding {
            action: Confirm::SwitchButton,
            name: "switch_button",
            keys: &["Tab", "S-Tab", "Left", "Right", "h", "l"],
            hint: "switch",
            help: "switch between Cancel and the action button",
        },
    ],
};

/// While the reason for an override is typed, every other key is text.
pub static REASON_KEYS: Scope<Confirm> = Scope {
    name: "confirm_reason",
    title: "Confirmation dialogs, typing the reason for an override",
    kind: ScopeKind::Dialog,
    bindings: &[
        Binding {
            action: Confirm::Yes,
            name: "confirm",
            keys: &["Enter"],
            hint: "confirm",
            help: "confirm with this reason (journaled)",
        },
        Binding {
            action: Confirm::Cancel,
            name: "cancel",
            keys: &["Esc"],
            hint: "cancel",
            help: "cancel the dialog",
        },
    ],
};

/// The dialog's two tables, as configured.
#[derive(Debug, Clone)]
pub struct ConfirmKeys {
    pub main: Keymap<Confirm>,
    pub reason: Keymap<Confirm>,
}

impl ConfirmKeys {
    pub fn new(config: &crate::config::keys::KeysConfig) -> Self {
        ConfirmKeys {
            main: Keymap::new(&KEYS, config),
            reason: Keymap::new(&REASON_KEYS, config),
        }
    }
}

impl Default for ConfirmKeys {
    fn default() -> Self {
        ConfirmKeys::new(&Default::default())
    }
}

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
    /// The override is of the promotion order (`override_order`).
    order_needed: bool,
    /// The override is of blocking gates: it needs a typed reason.
    reason_needed: bool,
    /// The reason, being typed once `o` was pressed.
    reason: Option<LineInput>,
    /// Why it cannot be confirmed at all (a missing approval): no key goes past it.
    impossible: Option<String>,
    pub on_confirm: OnConfirm,
    /// Which button has focus: true = the action, false = Cancel.
    action_focused: bool,
    buttons: (Rect, Rect),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DialogResult {
    Open,
    /// A key for something that cannot be done now: why, for the status line.
    Refused(String),
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
            order_needed: false,
            reason_needed: false,
            reason: None,
            impossible: None,
            on_confirm,
            action_focused: true,
            buttons: (Rect::default(), Rect::default()),
        }
    }

    /// Requires pressing `o` before the action can be confirmed; `why` says what is overridden.
    pub fn needing_override(mut self, why: impl Into<String>) -> Self {
        self.override_needed = Some(why.into());
        self.order_needed = true;
        self
    }

    /// Blocking gates: `o`, then a reason, before it can be confirmed.
    pub fn needing_reason(mut self, why: impl Into<String>) -> Self {
        let why = why.into();
        self.override_needed = Some(match self.override_needed.take() {
            Some(order) => format!("{order} {why}"),
            None => why,
        });
        self.reason_needed = true;
        self
    }

    /// Nothing may confirm it (`why` says what must happen first); Esc closes it.
    pub fn impossible(mut self, why: impl Into<String>) -> Self {
        self.impossible = Some(why.into());
        self
    }

    fn reason_text(&self) -> Option<String> {
        self.reason
            .as_ref()
            .map(|r| r.text().trim().to_string())
            .filter(|r| !r.is_empty())
    }

    fn can_confirm(&self) -> bool {
        self.availability(Confirm::Yes, &ConfirmKeys::default())
            .is_ready()
    }

    /// Whether a key's action can be done now, and why not (the dimmed button says it).
    pub fn availability(&self, action: Confirm, keys: &ConfirmKeys) -> Availability {
        let over = keys.main.first_key(Confirm::Override);
        match action {
            Confirm::Yes | Confirm::Press => {
                if action == Confirm::Press && !self.action_focused {
                    return Availability::Ready;
                }
                if let Some(why) = &self.impossible {
                    return Availability::why_not(format!(
                        "{} cannot be done: {why}",
                        self.confirm_label
                    ));
                }
                if let Some(why) = &self.override_needed
                    && !self.overridden
                {
                    return Availability::why_not(format!(
                        "{} is dimmed: {why} Press {over} to override first.",
                        self.confirm_label
                    ));
                }
                if self.reason_needed && self.reason_text().is_none() {
                    return Availability::why_not(format!(
                        "{} is dimmed: type why you override (it is journaled), then ⏎.",
                        self.confirm_label
                    ));
                }
                Availability::Ready
            }
            Confirm::Override => match (&self.impossible, &self.override_needed) {
                (Some(why), _) => Availability::why_not(format!("no override helps: {why}")),
                (None, None) => Availability::why_not("nothing to override here"),
                (None, Some(_)) => Availability::Ready,
            },
            Confirm::Cancel | Confirm::SwitchButton => Availability::Ready,
        }
    }

    fn confirm(&self) -> DialogResult {
        if let Availability::Unavailable(why) =
            self.availability(Confirm::Yes, &ConfirmKeys::default())
        {
            return DialogResult::Refused(why);
        }
        let mut action = self.on_confirm.clone();
        if let OnConfirm::Send(Command::Promote {
            override_order,
            override_gates,
            ..
        }) = &mut action
        {
            *override_order = self.overridden && self.order_needed;
            if self.reason_needed {
                *override_gates = self.reason_text();
            }
        }
        DialogResult::Confirmed(action)
    }

    pub fn on_key(&mut self, key: KeyEvent, keys: &ConfirmKeys) -> DialogResult {
        // Typing the reason: every key is text but confirm (Enter) and cancel (Esc).
        if let Some(input) = &mut self.reason {
            return match keys.reason.action(&key) {
                Some(Confirm::Cancel) => DialogResult::Cancelled,
                Some(_) => self.confirm(),
                None => {
                    input.on_key(key);
                    DialogResult::Open
                }
            };
        }
        let Some(action) = keys.main.action(&key) else {
            return DialogResult::Open;
        };
        if let Availability::Unavailable(why) = self.availability(action, keys) {
            return DialogResult::Refused(why);
        }
        match action {
            Confirm::Cancel => DialogResult::Cancelled,
            Confirm::Override => {
                self.overridden = !self.overridden;
                if self.overridden && self.reason_needed {
                    self.reason = Some(LineInput::start(""));
                }
                DialogResult::Open
            }
            Confirm::Yes => self.confirm(),
            Confirm::Press if self.action_focused => self.confirm(),
            Confirm::Press => DialogResult::Cancelled,
            Confirm::SwitchButton => {
                self.action_focused = !self.action_focused;
                DialogResult::Open
            }
        }
    }

    /// The dialog's own keys, for its footer: what works now, as configured.
    fn footer(&self, keys: &ConfirmKeys, theme: &Theme) -> Line<'static> {
        let mut hints = Vec::new();
        if self.reason.is_some() {
            hints.extend(keys.reason.hint(Confirm::Yes).map(|mut h| {
                h.action = self.confirm_label.to_lowercase().into();
                h
            }));
            hints.extend(keys.reason.hint(Confirm::Cancel));
        } else {
            if self.impossible.is_none() {
                hints.extend(keys.main.hint(Confirm::Yes).map(|mut h| {
                    h.action = self.confirm_label.to_lowercase().into();
                    h
                }));
            }
            hints.extend(keys.main.hint(Confirm::Cancel));
            if self.availability(Confirm::Override, keys).is_ready() {
                hints.extend(keys.main.hint(Confirm::Override));
            }
            hints.extend(keys.main.hint(Confirm::SwitchButton));
        }
        super::footer_line(&hints, theme)
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

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme, keys: &ConfirmKeys) {
        // The override warning comes first: it must stay visible however long the body.
        let mut lines = self.warning_lines(keys, theme);
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
            .map(ratatui::prelude::Line::width)
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
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(self.footer(keys, theme));
        let inner = block.inner(area);
        block.render(area, buf);
        let text_area = Rect {
            height: inner.height.saturating_sub(2),
            ..inner
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(text_area, buf);
        self.render_buttons(inner, buf, theme);
    }

    /// What stands in the way, above the body: why it cannot be done at all, or what
    /// needs overriding and how (with the reason being typed), then a blank row.
    fn warning_lines(&self, keys: &ConfirmKeys, theme: &Theme) -> Vec<Line<'static>> {
        let over = keys.main.first_key(Confirm::Override);
        let cancel = keys.main.first_key(Confirm::Cancel);
        let mut lines = Vec::new();
        if let Some(why) = &self.impossible {
            lines.push(Line::styled(format!("⛔ {why}"), theme.error));
            lines.push(Line::styled(format!("  {cancel} to cancel."), theme.error));
        } else if let Some(why) = &self.override_needed {
            if self.overridden {
                lines.push(Line::styled(format!("⚠ Overridden: {why}"), theme.warn));
            } else {
                lines.push(Line::styled(format!("⚠ {why}"), theme.warn));
                let then = if self.reason_needed {
                    format!(
                        "  Press {over} to override (you will be asked why), or {cancel} to cancel."
                    )
                } else {
                    format!("  Press {over} to override, or {cancel} to cancel.")
                };
                lines.push(Line::styled(then, theme.warn));
            }
            if let Some(input) = &self.reason {
                lines.push(Line::from(vec![
                    Span::styled("  Why (journaled): ", theme.warn),
                    Span::styled(input.text().to_string(), theme.text),
                    Span::styled("▏", theme.accent),
                ]));
            }
        } else {
            return lines;
        }
        lines.push(Line::raw(""));
        lines
    }

    /// `[ Cancel ]  [ Promote ]` on the last row of `inner`, right-aligned; the action
    /// dimmed while it cannot be confirmed. Kept for clicks.
    fn render_buttons(&mut self, inner: Rect, buf: &mut Buffer, theme: &Theme) {
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
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    trait Keyed {
        fn on_key_default(&mut self, key: KeyEvent) -> DialogResult;
    }

    impl Keyed for ConfirmDialog {
        fn on_key_default(&mut self, key: KeyEvent) -> DialogResult {
            self.on_key(key, &ConfirmKeys::default())
        }
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
                override_gates: None,
            }),
        )
    }

    #[test]
    fn enter_confirms_and_escape_cancels() {
        assert!(matches!(
            promote().on_key_default(key(KeyCode::Enter)),
            DialogResult::Confirmed(_)
        ));
        assert_eq!(
            promote().on_key_default(key(KeyCode::Esc)),
            DialogResult::Cancelled
        );
        let mut d = promote();
        d.on_key_default(key(KeyCode::Tab));
        assert_eq!(
            d.on_key_default(key(KeyCode::Enter)),
            DialogResult::Cancelled
        );
    }

    #[test]
    fn out_of_order_needs_the_override_key_and_sets_the_flag() {
        let mut d = promote().needing_override("Cedric is not live yet");
        // The dimmed button says why it is dimmed, and how to get past it.
        for k in [KeyCode::Enter, KeyCode::Char('y')] {
            match d.on_key_default(key(k)) {
                DialogResult::Refused(why) => {
                    assert!(why.contains("Cedric is not live yet"), "{why}");
                    assert!(why.contains("Press o to override"), "{why}");
                }
                other => panic!("expected a refusal saying why, got {other:?}"),
            }
        }
        d.on_key_default(key(KeyCode::Char('o')));
        match d.on_key_default(key(KeyCode::Enter)) {
            DialogResult::Confirmed(OnConfirm::Send(Command::Promote {
                override_order, ..
            })) => {
                assert!(override_order);
            }
            other => panic!("expected a confirmed override, got {other:?}"),
        }
    }

    #[test]
    fn the_keys_the_old_help_forgot_are_in_the_table() {
        // q cancels; h and l switch buttons: now listed because they are the table.
        let map = ConfirmKeys::default();
        let help = map.main.help();
        let cancel = help.rows.iter().find(|r| r.action == "cancel");
        assert_eq!(cancel.map(|r| r.key.as_ref()), Some("n/Esc/q"));
        assert!(help.rows.iter().any(|r| r.key.contains("h/l")));
        assert_eq!(
            promote().on_key_default(key(KeyCode::Char('q'))),
            DialogResult::Cancelled
        );
        let mut d = promote();
        d.on_key_default(key(KeyCode::Char('h')));
        assert_eq!(
            d.on_key_default(key(KeyCode::Enter)),
            DialogResult::Cancelled
        );
    }

    #[test]
    fn blocking_gates_need_the_override_key_and_a_typed_reason() {
        let mut d = promote().needing_reason("Blocked: freeze.");
        assert!(matches!(
            d.on_key_default(key(KeyCode::Enter)),
            DialogResult::Refused(why) if why.contains("Blocked: freeze.")
        ));
        d.on_key_default(key(KeyCode::Char('o')));
        // Overridden, but no reason yet.
        assert!(matches!(
            d.on_key_default(key(KeyCode::Enter)),
            DialogResult::Refused(why) if why.contains("type why")
        ));
        // Keys are text now: `y`, `n` and `q` do not confirm or cancel.
        for c in "no way, INC-42 hotfix".chars() {
            assert_eq!(d.on_key_default(key(KeyCode::Char(c))), DialogResult::Open);
        }
        match d.on_key_default(key(KeyCode::Enter)) {
            DialogResult::Confirmed(OnConfirm::Send(Command::Promote {
                override_order,
                override_gates,
                ..
            })) => {
                assert!(!override_order, "the order was not what was overridden");
                assert_eq!(override_gates.as_deref(), Some("no way, INC-42 hotfix"));
            }
            other => panic!("expected a confirmed override, got {other:?}"),
        }
        let mut d = promote().needing_reason("Blocked: freeze.");
        d.on_key_default(key(KeyCode::Char('o')));
        assert_eq!(d.on_key_default(key(KeyCode::Esc)), DialogResult::Cancelled);
    }
}
