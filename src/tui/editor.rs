//! A small multi-line text editor for messages the user reviews before they are sent
//! (the release announcement). Typing, pasting, arrows, Home/End, PgUp/PgDn.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEditor {
    lines: Vec<String>,
    row: usize,
    /// Cursor column in chars.
    col: usize,
    /// First line shown.
    top: usize,
}

impl TextEditor {
    pub fn new(text: &str) -> Self {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        TextEditor {
            lines,
            row: 0,
            col: 0,
            top: 0,
        }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    fn len(&self, row: usize) -> usize {
        self.lines.get(row).map_or(0, |l| l.chars().count())
    }

    fn byte(&self, row: usize, col: usize) -> usize {
        let line = &self.lines[row];
        line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, text: &str) {
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                self.newline();
            }
            for c in part.chars().filter(|c| !c.is_control() || *c == '\t') {
                let c = if c == '\t' { ' ' } else { c };
                let at = self.byte(self.row, self.col);
                self.lines[self.row].insert(at, c);
                self.col += 1;
            }
        }
    }

    fn newline(&mut self) {
        let at = self.byte(self.row, self.col);
        let rest = self.lines[self.row].split_off(at);
        self.row += 1;
        self.lines.insert(self.row, rest);
        self.col = 0;
    }

    /// Returns whether the key was an edit or a move (anything the editor used).
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return false;
        }
        match key.code {
            KeyCode::Char(c) => self.insert(&c.to_string()),
            KeyCode::Enter => self.newline(),
            KeyCode::Tab => self.insert("  "),
            KeyCode::Backspace => {
                if self.col > 0 {
                    let at = self.byte(self.row, self.col - 1);
                    self.lines[self.row].remove(at);
                    self.col -= 1;
                } else if self.row > 0 {
                    let line = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.len(self.row);
                    self.lines[self.row].push_str(&line);
                }
            }
            KeyCode::Delete => {
                if self.col < self.len(self.row) {
                    let at = self.byte(self.row, self.col);
                    self.lines[self.row].remove(at);
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                }
            }
            KeyCode::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.len(self.row);
                }
            }
            KeyCode::Right => {
                if self.col < self.len(self.row) {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
            }
            KeyCode::Up => self.move_rows(-1),
            KeyCode::Down => self.move_rows(1),
            KeyCode::PageUp => self.move_rows(-10),
            KeyCode::PageDown => self.move_rows(10),
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.len(self.row),
            _ => return false,
        }
        true
    }

    fn move_rows(&mut self, delta: isize) {
        let last = self.lines.len() as isize - 1;
        self.row = (self.row as isize + delta).clamp(0, last.max(0)) as usize;
        self.col = self.col.min(self.len(self.row));
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, style: Style) {
        let height = area.height as usize;
        if height == 0 || area.width == 0 {
            return;
        }
        if self.row < self.top {
            self.top = self.row;
        } else if self.row >= self.top + height {
            self.top = self.row + 1 - height;
        }
        let width = area.width as usize;
        for (i, line) in self.lines.iter().enumerate().skip(self.top).take(height) {
            let y = area.y + (i - self.top) as u16;
            if i != self.row {
                buf.set_line(area.x, y, &Line::styled(line.clone(), style), area.width);
                continue;
            }
            // Keep the cursor in view on long lines by dropping their start.
            let head: String = line.chars().take(self.col).collect();
            let skip = head.width().saturating_sub(width.saturating_sub(2));
            let shown_head: String = head.chars().skip(skip).collect();
            let at: String = line
                .chars()
                .nth(self.col)
                .map_or(" ".into(), |c| c.to_string());
            let tail: String = line.chars().skip(self.col + 1).collect();
            let spans = vec![
                Span::styled(shown_head, style),
                Span::styled(at, style.add_modifier(Modifier::REVERSED)),
                Span::styled(tail, style),
            ];
            buf.set_line(area.x, y, &Line::from(spans), area.width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn edits_across_lines() {
        let mut e = TextEditor::new("ab\ncd");
        e.on_key(k(KeyCode::End));
        e.on_key(k(KeyCode::Enter));
        e.insert("x\ny");
        assert_eq!(e.text(), "ab\nx\ny\ncd");
        e.on_key(k(KeyCode::Home));
        e.on_key(k(KeyCode::Backspace));
        assert_eq!(e.text(), "ab\nxy\ncd");
        e.on_key(k(KeyCode::Down));
        e.on_key(k(KeyCode::Delete));
        // Down keeps the column (after "x"), so Delete takes the "d" of "cd".
        assert_eq!(e.text(), "ab\nxy\nc");
    }

    #[test]
    fn control_characters_from_a_paste_are_dropped() {
        let mut e = TextEditor::new("");
        e.insert("a\u{1b}[31mb\tc");
        assert_eq!(e.text(), "a[31mb c");
    }
}
