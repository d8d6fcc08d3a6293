//! A sanitised line: plain text plus style runs. This is what log and deploy views store,
//! a hundred thousand at a time, so it is two boxed slices and nothing else. The text is
//! guaranteed free of control characters and escape sequences (the sanitiser is the only
//! way to build one from outside bytes), so it can be drawn as is.

use std::fmt::Write as _;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// A byte range of a [`StyledLine`]'s text drawn with `style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleRun {
    pub start: u32,
    pub end: u32,
    pub style: Style,
}

/// One line of safe text with the colours it came with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StyledLine {
    text: Box<str>,
    /// Sorted, non-overlapping runs with a non-default style; gaps use the default style.
    runs: Box<[StyleRun]>,
    /// Byte offset where the "line truncated" marker begins, or `u32::MAX`.
    marker_at: u32,
}

impl StyledLine {
    /// A line without styles. The caller guarantees `text` holds no control characters:
    /// use [`crate::text::sanitize::sanitize`] for anything from outside.
    pub(crate) fn from_clean(text: Box<str>) -> Self {
        StyledLine {
            text,
            runs: Box::new([]),
            marker_at: u32::MAX,
        }
    }

    pub(crate) fn from_parts(text: String, runs: Vec<StyleRun>, marker_at: Option<usize>) -> Self {
        StyledLine {
            text: text.into_boxed_str(),
            runs: runs.into_boxed_slice(),
            marker_at: marker_at.map_or(u32::MAX, |m| m as u32),
        }
    }

    /// Text we write ourselves (markers, notices): still sanitised, so a message that
    /// quotes outside text cannot smuggle an escape sequence through.
    pub fn plain(text: &str) -> Self {
        crate::text::sanitize::sanitize(text.as_bytes(), &Default::default())
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn runs(&self) -> &[StyleRun] {
        &self.runs
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Where the "line truncated" marker starts, when the line was cut.
    pub fn truncation_marker(&self) -> Option<usize> {
        (self.marker_at != u32::MAX).then_some(self.marker_at as usize)
    }

    /// The style of every byte range of the text, gaps included, in order.
    pub fn segments(&self) -> impl Iterator<Item = (std::ops::Range<usize>, Style)> + '_ {
        let mut pos = 0usize;
        let mut runs = self.runs.iter().peekable();
        let len = self.text.len();
        std::iter::from_fn(move || {
            if pos >= len {
                return None;
            }
            match runs.peek() {
                Some(r) if r.start as usize == pos => {
                    let r = runs.next()?;
                    pos = r.end as usize;
                    Some((r.start as usize..r.end as usize, r.style))
                }
                Some(r) => {
                    let end = r.start as usize;
                    let range = pos..end;
                    pos = end;
                    Some((range, Style::default()))
                }
                None => {
                    let range = pos..len;
                    pos = len;
                    Some((range, Style::default()))
                }
            }
        })
    }

    /// A ratatui line borrowing this text; `marker` styles the truncation marker.
    pub fn to_line(&self, marker: Style) -> Line<'_> {
        let marker_at = self.truncation_marker().unwrap_or(usize::MAX);
        let mut spans = Vec::with_capacity(self.runs.len() * 2 + 2);
        for (range, style) in self.segments() {
            if range.end <= marker_at {
                spans.push(Span::styled(&self.text[range], style));
            } else if range.start >= marker_at {
                spans.push(Span::styled(&self.text[range], style.patch(marker)));
            } else {
                spans.push(Span::styled(&self.text[range.start..marker_at], style));
                spans.push(Span::styled(
                    &self.text[marker_at..range.end],
                    style.patch(marker),
                ));
            }
        }
        Line::from(spans)
    }

    /// The text with its colours as SGR sequences, for printing to a terminal (the CLI).
    /// Only sequences we generate from parsed styles are written, never input bytes.
    pub fn to_ansi(&self) -> String {
        if self.runs.is_empty() {
            return self.text.to_string();
        }
        let mut out = String::with_capacity(self.text.len() + self.runs.len() * 16);
        for (range, style) in self.segments() {
            let sgr = sgr_for(style);
            if sgr.is_empty() {
                out.push_str(&self.text[range]);
            } else {
                out.push_str("\x1b[");
                out.push_str(&sgr);
                out.push('m');
                out.push_str(&self.text[range]);
                out.push_str("\x1b[0m");
            }
        }
        out
    }
}

fn sgr_for(style: Style) -> String {
    let mut codes = String::new();
    let mut add = |c: &str| {
        if !codes.is_empty() {
            codes.push(';');
        }
        codes.push_str(c);
    };
    let m = style.add_modifier;
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            add(code);
        }
    }
    if let Some(c) = style.fg.and_then(|c| colour_code(c, false)) {
        add(&c);
    }
    if let Some(c) = style.bg.and_then(|c| colour_code(c, true)) {
        add(&c);
    }
    codes
}

fn colour_code(c: Color, bg: bool) -> Option<String> {
    let base = if bg { 40 } else { 30 };
    let named = |n: u8| Some((base + n).to_string());
    let bright = |n: u8| Some((base + 60 + n).to_string());
    match c {
        Color::Reset => None,
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => bright(0),
        Color::LightRed => bright(1),
        Color::LightGreen => bright(2),
        Color::LightYellow => bright(3),
        Color::LightBlue => bright(4),
        Color::LightMagenta => bright(5),
        Color::LightCyan => bright(6),
        Color::White => bright(7),
        Color::Indexed(i) => Some(format!("{};5;{i}", base + 8)),
        Color::Rgb(r, g, b) => {
            let mut s = String::new();
            let _ = write!(s, "{};2;{r};{g};{b}", base + 8);
            Some(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_whole_text() {
        let red = Style::default().fg(Color::Red);
        let line = StyledLine::from_parts(
            "abcdef".into(),
            vec![StyleRun {
                start: 2,
                end: 4,
                style: red,
            }],
            None,
        );
        let segs: Vec<_> = line.segments().collect();
        assert_eq!(
            segs,
            vec![
                (0..2, Style::default()),
                (2..4, red),
                (4..6, Style::default())
            ]
        );
        assert_eq!(line.to_ansi(), "ab\x1b[31mcd\x1b[0mef");
    }

    #[test]
    fn marker_is_styled_separately() {
        let line = StyledLine::from_parts("abc…".into(), vec![], Some(3));
        let marker = Style::default().fg(Color::DarkGray);
        let l = line.to_line(marker);
        assert_eq!(l.spans.len(), 2);
        assert_eq!(l.spans[1].content, "…");
        assert_eq!(l.spans[1].style, marker);
    }
}
