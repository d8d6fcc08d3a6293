//! A one-line text input (search and filter boxes). Typing edits; Enter accepts; Esc
//! cancels and restores what was there before, so nothing typed is lost by accident.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::keymap::{Keymap, Scope, ScopeKind};
use crate::tui::keymap::bind as e;

/// Editing keys of one-line inputs; any other character is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Accept,
    Cancel,
    Clear,
    DeleteWord,
    Start,
    End,
    Left,
    Right,
    DeleteBack,
    DeleteForward,
}

/// Not configurable (they are the shell's): listed in the help like every other table.
pub static KEYS: Scope<Edit> = Scope {
    name: "input",
    title: "Typing (search, filter, :, file names)",
    kind: ScopeKind::Dialog,
    bindings: &[
        e(
            Edit::Accept,
            "accept",
            &["Enter"],
            "keep",
            "accept what is typed",
        ),
        e(
            Edit::Cancel,
            "cancel",
            &["Esc"],
            "cancel",
            "cancel, restoring what was there",
        ),
        e(Edit::Clear, "clear", &["Ctrl-U"], "clear", "clear the text"),
        e(
            Edit::DeleteWord,
            "delete_word",
            &["Ctrl-W"],
            "delete word",
            "delete the word before the cursor",
        ),
        e(
            Edit::Start,
            "start",
            &["Ctrl-A", "Home"],
            "start",
            "to the start",
        ),
        e(Edit::End, "end", &["Ctrl-E", "End"], "end", "to the end"),
        e(Edit::Left, "left", &["Left"], "left", "cursor left"),
        e(Edit::Right, "right", &["Right"], "right", "cursor right"),
        e(
            Edit::DeleteBack,
            "delete_back",
            &["Backspace"],
            "delete",
            "delete before the cursor",
        ),
        e(
            Edit::DeleteForward,
            "delete_forward",
            &["Del"],
            "delete",
            "delete under it",
        ),
    ],
};

/// The table, parsed once.
pub fn keymap() -> &'static Keymap<Edit> {
    static MAP: std::sync::LazyLock<Keymap<Edit>> =
        std::sync::LazyLock::new(|| Keymap::defaults(&KEYS));
    &MAP
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position in chars.
    cursor: usize,
    before: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputResult {
    /// The text changed (live filtering can follow it).
    Changed,
    Unchanged,
    Accepted,
    Cancelled,
}

impl LineInput {
    pub fn start(current: &str) -> Self {
        LineInput {
            text: current.to_string(),
            cursor: current.chars().count(),
            before: current.to_string(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// What was there before editing began (restored on Esc).
    pub fn original(&self) -> &str {
        &self.before
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> InputResult {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(action) = keymap().action(&key) else {
            return match key.code {
                KeyCode::Char(c) if !ctrl && !c.is_control() => {
                    let at = self.byte_at(self.cursor);
                    self.text.insert(at, c);
                    self.cursor += 1;
                    InputResult::Changed
                }
                _ => InputResult::Unchanged,
            };
        };
        match action {
            Edit::Accept => InputResult::Accepted,
            Edit::Cancel => InputResult::Cancelled,
            Edit::Clear => {
                self.text.clear();
                self.cursor = 0;
                InputResult::Changed
            }
            Edit::DeleteWord => {
                let end = self.byte_at(self.cursor);
                let head = self.text[..end].trim_end();
                let cut = head.rfind(' ').map_or(0, |i| i + 1);
                self.text.replace_range(cut..end, "");
                self.cursor = self.text[..cut].chars().count();
                InputResult::Changed
            }
            Edit::Start => {
                self.cursor = 0;
                InputResult::Unchanged
            }
            Edit::End => {
                self.cursor = self.text.chars().count();
                InputResult::Unchanged
            }
            Edit::DeleteBack if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                InputResult::Changed
            }
            Edit::DeleteForward if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                InputResult::Changed
            }
            Edit::DeleteBack | Edit::DeleteForward => InputResult::Unchanged,
            Edit::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                InputResult::Unchanged
            }
            Edit::Right => {
                self.cursor = (self.cursor + 1).min(self.text.chars().count());
                InputResult::Unchanged
            }
        }
    }

    /// Draws `prompt` and the text on one row with a visible cursor.
    pub fn render(&self, prompt: &str, area: Rect, buf: &mut Buffer, style: Style) {
        let head: String = self.text.chars().take(self.cursor).collect();
        let at: String = self.text.chars().skip(self.cursor).take(1).collect();
        let tail: String = self.text.chars().skip(self.cursor + 1).collect();
        let cursor = if at.is_empty() { " ".to_string() } else { at };
        // Keep the cursor in view on narrow panes by dropping the start of the text.
        let room = (area.width as usize).saturating_sub(prompt.width() + 2);
        let head = if head.width() > room {
            let skip = head.chars().count().saturating_sub(room);
            head.chars().skip(skip).collect()
        } else {
            head
        };
        let line = Line::from(vec![
            Span::styled(prompt.to_string(), style.add_modifier(Modifier::BOLD)),
            Span::styled(head, style),
            Span::styled(cursor, style.add_modifier(Modifier::REVERSED)),
            Span::styled(tail, style),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn edits_with_cursor_and_keeps_the_original() {
        let mut i = LineInput::start("ab");
        i.on_key(k(KeyCode::Left));
        i.on_key(k(KeyCode::Char('é')));
        assert_eq!(i.text(), "aéb");
        i.on_key(k(KeyCode::Backspace));
        i.on_key(k(KeyCode::End));
        i.on_key(k(KeyCode::Char('c')));
        assert_eq!(i.text(), "abc");
        assert_eq!(i.original(), "ab");
        assert_eq!(i.on_key(k(KeyCode::Esc)), InputResult::Cancelled);
        i.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(i.text(), "");
    }
}
