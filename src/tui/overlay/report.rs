//! The release report's preview: the Markdown exactly as it will be saved or posted,
//! scrollable, with one key to save it to a file and one to post it to the release
//! thread. The dialog does no I/O: it hands the text back to the app, which asks the
//! engine.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

use super::keys::{DialogKeys, Report, Scroll};
use crate::report::Draft;
use crate::tui::theme::Theme;

pub struct ReportOverlay {
    draft: Draft,
    /// First row shown (of the wrapped text).
    scroll: usize,
    /// Rows the text area had at the last render: a page, and the bottom.
    page: usize,
    rows: usize,
    /// `p` was pressed: the next key confirms (`y`) or cancels.
    confirming: bool,
}

pub enum ReportResult {
    Open,
    Closed,
    /// Save the text to this file.
    Save(std::path::PathBuf, String),
    /// Post the text to the release thread.
    Post(String),
    /// Tell the user something (why it cannot be posted).
    Say(String),
}

impl ReportOverlay {
    pub fn new(draft: Draft) -> Self {
        ReportOverlay {
            draft,
            scroll: 0,
            page: 10,
            rows: 0,
            confirming: false,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, keys: &DialogKeys) -> ReportResult {
        if std::mem::take(&mut self.confirming) {
            return match keys.report_post.action(&key) {
                Some(_) => ReportResult::Post(self.draft.markdown.clone()),
                None => ReportResult::Say("Report not posted.".into()),
            };
        }
        let bottom = self.rows.saturating_sub(self.page);
        let page = self.page.max(1);
        match keys.report.action(&key) {
            Some(Report::Scroll(Scroll::Close)) => return ReportResult::Closed,
            Some(Report::Scroll(Scroll::Down)) => self.scroll += 1,
            Some(Report::Scroll(Scroll::Up)) => self.scroll = self.scroll.saturating_sub(1),
            Some(Report::Scroll(Scroll::PageDown)) => self.scroll += page,
            Some(Report::Scroll(Scroll::PageUp)) => self.scroll = self.scroll.saturating_sub(page),
            Some(Report::Scroll(Scroll::Top)) => self.scroll = 0,
            Some(Report::Scroll(Scroll::Bottom)) => self.scroll = bottom,
            Some(Report::Save) => {
                return ReportResult::Save(self.draft.save_to.clone(), self.draft.markdown.clone());
            }
            Some(Report::Post) => match &self.draft.post_to {
                Ok(_) => self.confirming = true,
                Err(why) => return ReportResult::Say(format!("Cannot post the report: {why}")),
            },
            None => {}
        }
        self.scroll = self.scroll.min(bottom);
        ReportResult::Open
    }

    pub fn render(&mut self, screen: Rect, buf: &mut Buffer, theme: &Theme, keys: &DialogKeys) {
        // Everything between the header and the hints bar (the status line too: the
        // app's own messages about the report show once it is closed), at most 140 wide.
        let width = screen.width.min(140);
        let area = Rect {
            x: screen.x + (screen.width - width) / 2,
            y: screen.y + 1,
            width,
            height: screen.height.saturating_sub(2),
        };
        Clear.render(area, buf);
        let footer = if self.confirming {
            let to = self
                .draft
                .post_to
                .as_ref()
                .map(|t| t.join(", "))
                .unwrap_or_default();
            let mut spans = vec![
                Span::styled(" Post to ", theme.warn),
                Span::styled(to, theme.warn),
                Span::styled("? ", theme.warn),
            ];
            spans.extend(super::footer_line(&keys.report_post.hints(&[Report::Post]), theme).spans);
            spans.push(Span::styled("· any other key cancels ", theme.warn));
            Line::from(spans)
        } else {
            let mut hints = keys.report.hints(&[Report::Save]);
            if let Some(mut post) = keys.report.hint(Report::Post) {
                if self.draft.post_to.is_err() {
                    post.action = "(not configured)".into();
                }
                hints.push(post);
            }
            hints.extend(keys.report.pair(
                Report::Scroll(Scroll::Down),
                Report::Scroll(Scroll::Up),
                "scroll",
            ));
            hints.extend(keys.report.hint(Report::Scroll(Scroll::Close)));
            super::footer_line(&hints, theme)
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(
                format!(" Release report · {} ", self.draft.title),
                theme.title,
            ))
            .title_bottom(footer.right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        let rows = wrap(&self.draft.markdown, inner.width as usize);
        self.rows = rows.len();
        self.page = inner.height as usize;
        self.scroll = self.scroll.min(self.rows.saturating_sub(self.page));
        let lines: Vec<Line> = rows
            .iter()
            .skip(self.scroll)
            .take(self.page)
            .map(|(text, heading)| {
                let style = if *heading { theme.title } else { theme.text };
                Line::styled(text.clone(), style)
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
        if self.rows > self.page && inner.height > 0 {
            // Where the view is in the text, on the right border.
            let shown = format!(
                " {}–{}/{} ",
                self.scroll + 1,
                (self.scroll + self.page).min(self.rows),
                self.rows
            );
            let x = area.right().saturating_sub(shown.len() as u16 + 2);
            buf.set_string(x, area.y, shown, theme.dim);
        }
    }
}

/// The text cut into rows of at most `width` columns, at spaces where it can be; each
/// row says whether it belongs to a heading.
fn wrap(text: &str, width: usize) -> Vec<(String, bool)> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for line in text.lines() {
        let heading = line.starts_with('#');
        let mut row = String::new();
        let mut used = 0;
        for word in line.split(' ') {
            let w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
            if used > 0 && used + 1 + w > width {
                rows.push((std::mem::take(&mut row), heading));
                used = 0;
            } else if used > 0 {
                row.push(' ');
                used += 1;
            }
            // A word wider than the row is cut.
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > width {
                    rows.push((std::mem::take(&mut row), heading));
                    used = 0;
                }
                row.push(c);
                used += cw;
            }
        }
        rows.push((row, heading));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        let rows: Vec<String> = wrap("# Title\nab cd ef\nabcdefgh", 5)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(rows, ["#", "Title", "ab cd", "ef", "abcde", "fgh"]);
        assert!(wrap("# T", 10)[0].1, "headings are marked");
    }
}
