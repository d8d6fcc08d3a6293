//! The announcement dialog: the drafted message, editable, with where it will go.
//! Nothing is posted until the user sends it.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::keys::Announce;
use crate::engine::AnnouncementKind;
use crate::tui::editor::TextEditor;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

pub struct AnnounceDialog {
    pub kind: AnnouncementKind,
    targets: Vec<String>,
    editor: TextEditor,
    /// Where the draft came from, shown to the user (a fresh draft or their earlier edit).
    origin: &'static str,
}

pub enum AnnounceResult {
    Open,
    /// Closed without sending; the text is kept so reopening loses nothing.
    Cancelled(String),
    Send(String),
    /// Draft again from the current diff, dropping the edits.
    Redraft,
    /// A key that cannot do its job now: why.
    Refused(String),
}

impl AnnounceDialog {
    pub fn new(kind: AnnouncementKind, targets: Vec<String>, text: &str, edited: bool) -> Self {
        AnnounceDialog {
            kind,
            targets,
            editor: TextEditor::new(text),
            origin: if edited {
                "your earlier edit"
            } else {
                "drafted from the diff"
            },
        }
    }

    pub fn paste(&mut self, text: &str) {
        self.editor.insert(text);
    }

    pub fn on_key(&mut self, key: KeyEvent, keys: &Keymap<Announce>) -> AnnounceResult {
        match keys.action(&key) {
            Some(Announce::Close) => AnnounceResult::Cancelled(self.editor.text()),
            Some(Announce::Send) => {
                let text = self.editor.text();
                if text.trim().is_empty() {
                    AnnounceResult::Refused("Nothing to send: the message is empty.".into())
                } else {
                    AnnounceResult::Send(text)
                }
            }
            Some(Announce::Redraft) => AnnounceResult::Redraft,
            None => {
                self.editor.on_key(key);
                AnnounceResult::Open
            }
        }
    }

    pub fn render(
        &mut self,
        screen: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        keys: &Keymap<Announce>,
    ) {
        let area = super::centered(
            screen,
            screen.width.saturating_sub(8).max(40),
            screen.height.saturating_sub(4).max(8),
        );
        Clear.render(area, buf);
        let what = match self.kind {
            AnnouncementKind::Completion => "Completion message",
            AnnouncementKind::Release => "Release announcement",
        };
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .border_style(theme.accent)
            .title(Span::styled(
                format!(" {what} → {} ", self.targets.join(", ")),
                theme.title,
            ))
            .title_bottom(super::footer_line(
                &keys.hints(&[Announce::Send, Announce::Close, Announce::Redraft]),
                theme,
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height < 2 {
            return;
        }
        buf.set_line(
            inner.x,
            inner.y,
            &Line::styled(
                if self.origin == "drafted from the diff" {
                    format!("Edit before sending · {}", self.origin)
                } else {
                    let anew = keys.label(Announce::Redraft);
                    format!("Edit before sending · {} ({anew} drafts anew)", self.origin)
                },
                theme.dim,
            ),
            inner.width,
        );
        let text_area = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        self.editor.render(text_area, buf, theme.text);
    }
}
