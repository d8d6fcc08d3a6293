//! Drawing the log view into a ratatui buffer.
//!
//! A frame touches only the lines on screen: the filter's index says which lines are shown,
//! wrapping comes from the cache, and level words and filter matches are found on the
//! visible lines only. So the cost of a frame depends on the area, not on the buffer.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::StatefulWidget;

use super::compact::{self, Piece};
use super::level::{self, Level};
use super::state::{Entry, Kind, LogViewState, Rows};
use super::wrap::WrapCache;
use crate::text::StyledLine;
use crate::text::sanitize::group_thousands;

/// The colours the view needs, passed in by the pane (from the theme).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogViewStyles {
    pub error: Style,
    pub warn: Style,
    pub info: Style,
    pub debug: Style,
    /// Filter matches.
    pub highlight: Style,
    /// The selected line while paused.
    pub selection: Style,
    /// Gap markers, the truncation marker, the "lines dropped" note.
    pub marker: Style,
    /// Timestamps and notes.
    pub dim: Style,
}

impl Default for LogViewStyles {
    fn default() -> Self {
        LogViewStyles {
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: Style::new().fg(Color::Yellow),
            info: Style::new().fg(Color::Green),
            debug: Style::new().fg(Color::DarkGray),
            highlight: Style::new().fg(Color::Black).bg(Color::Yellow),
            selection: Style::new().bg(Color::DarkGray),
            marker: Style::new().fg(Color::Cyan).add_modifier(Modifier::ITALIC),
            dim: Style::new().fg(Color::DarkGray),
        }
    }
}

impl LogViewStyles {
    fn level(&self, level: Level) -> Style {
        match level {
            Level::Error => self.error,
            Level::Warn => self.warn,
            Level::Info => self.info,
            Level::Debug => self.debug,
        }
    }
}

/// The log view as a ratatui widget: `frame.render_stateful_widget(LogView::new(&styles), area, &mut state)`.
#[derive(Debug, Clone, Copy)]
pub struct LogView<'a> {
    styles: &'a LogViewStyles,
}

impl<'a> LogView<'a> {
    pub fn new(styles: &'a LogViewStyles) -> Self {
        LogView { styles }
    }
}

impl StatefulWidget for LogView<'_> {
    type State = LogViewState;

    fn render(self, area: Rect, buf: &mut Buffer, state: &mut Self::State) {
        render(state, area, buf, self.styles);
    }
}

/// Width of the `HH:MM:SS ` column.
const CLOCK_WIDTH: u16 = 9;

/// Draws the view into `area` of `buf`.
pub fn render(state: &mut LogViewState, area: Rect, buf: &mut Buffer, styles: &LogViewStyles) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        state.row_lines.clear();
        return;
    }
    let mut clock = ClockColumn::new(state.timestamps && area.width > CLOCK_WIDTH * 2);
    let text_x = area.x + clock.width;
    let text_w = (area.width - clock.width) as usize;
    if state.wrap {
        state.wraps.set_width(text_w);
    }
    let visual = layout(state, area.height as usize);

    let mut row_lines = std::mem::take(&mut state.row_lines);
    row_lines.clear();
    let mut lines_drawn = 0usize;
    let mut current: Option<(u64, LineDecor)> = None;
    for (row, &(seq, sub)) in visual.iter().enumerate() {
        let y = area.y + row as u16;
        row_lines.push(Some(seq));
        let Some(entry) = state.ring.get(seq) else {
            continue;
        };
        if current.as_ref().is_none_or(|(s, _)| *s != seq) {
            lines_drawn += 1;
            current = Some((seq, LineDecor::find(state, entry.kind, entry.line.text())));
        }
        let Some((_, decor)) = &current else {
            continue;
        };
        let selected = !state.follow && state.selected == Some(seq);
        let row_style = if selected {
            buf.set_style(Rect::new(area.x, y, area.width, 1), styles.selection);
            styles.selection
        } else {
            Style::default()
        };
        if sub == 0 {
            clock.draw(buf, area.x, y, entry.at, styles.dim.patch(row_style));
        }
        let wraps = state.wrap.then_some(&mut state.wraps);
        let shown = row_pieces(entry, (seq, sub), state.h_offset, wraps, text_w);
        let paint = Paint {
            styles,
            decor,
            line: &entry.line,
            marker: entry.kind == Kind::Marker,
            row_style,
        };
        paint.row(buf, (text_x, y), text_w, &shown);
    }
    // Rows below the last line map to nothing for clicks.
    row_lines.resize(area.height as usize, None);
    state.row_lines = row_lines;
    state.page_lines = lines_drawn.max(1);

    overlays(state, area, buf, styles, visual.is_empty());
}

/// The `HH:MM:SS` column before each line (when shown and there is room for it), each
/// time formatted once for the lines that share it.
struct ClockColumn {
    /// Columns it takes, its space included; 0 when not shown.
    width: u16,
    last: (i64, String),
}

impl ClockColumn {
    fn new(shown: bool) -> Self {
        ClockColumn {
            width: if shown { CLOCK_WIDTH } else { 0 },
            last: (i64::MIN, String::new()),
        }
    }

    fn draw(&mut self, buf: &mut Buffer, x: u16, y: u16, at: i64, style: Style) {
        if self.width == 0 {
            return;
        }
        if self.last.0 != at {
            self.last = (at, clock(at));
        }
        put(buf, x, y, &self.last.1, (self.width - 1) as usize, style);
    }
}

/// What one screen row of a line shows, as pieces of it: row `sub` of a wrapped line, a
/// line scrolled sideways from that column on, else the line compacted message first
/// (when it does not fit, or is JSON). Markers are slipway's own words: never compacted.
fn row_pieces(
    entry: &Entry,
    (seq, sub): (u64, usize),
    h_offset: usize,
    wraps: Option<&mut WrapCache>,
    width: usize,
) -> Vec<Piece> {
    let text = entry.line.text();
    if let Some(wraps) = wraps {
        return vec![Piece::Text(wraps.row(seq, text, sub))];
    }
    if h_offset > 0 || entry.kind == Kind::Marker {
        return vec![Piece::Text(skip_columns(text, h_offset)..text.len())];
    }
    compact::visible(text, width).unwrap_or_else(|| vec![Piece::Text(0..text.len())])
}

/// How one visible line is styled: its own colours, then the truncation marker, its
/// level word, the selection and filter matches over them.
struct Paint<'a> {
    styles: &'a LogViewStyles,
    decor: &'a LineDecor,
    line: &'a StyledLine,
    /// A marker line (a gap, a deployment's end): drawn in the marker style throughout.
    marker: bool,
    row_style: Style,
}

impl Paint<'_> {
    /// Draws `shown` from `(x, y)` on, at most `room` columns.
    fn row(&self, buf: &mut Buffer, (mut x, y): (u16, u16), mut room: usize, shown: &[Piece]) {
        let text = self.line.text();
        let marker_at = self.line.truncation_marker();
        let runs = |range: &Range<usize>| pieces(self.line, range.clone(), self.decor, marker_at);
        for piece in shown {
            let drawn: Vec<(&str, Style)> = match piece {
                Piece::Text(range) => runs(range)
                    .into_iter()
                    .map(|(r, base)| (&text[r.clone()], self.style(&r, base, marker_at)))
                    .collect(),
                // Styled as the first character it stands for.
                Piece::Instead(range, words) => {
                    let base = runs(range).first().map_or(Style::default(), |(_, s)| *s);
                    vec![(words.as_str(), self.style(range, base, marker_at))]
                }
                Piece::Literal(s) => vec![(*s, self.row_style)],
            };
            for (s, style) in drawn {
                if room == 0 {
                    return;
                }
                let used = put(buf, x, y, s, room, style);
                x += used as u16;
                room -= used;
            }
        }
    }

    /// The style of bytes `r` of the line, whose own style is `base`.
    fn style(&self, r: &Range<usize>, base: Style, marker_at: Option<usize>) -> Style {
        let mut style = base;
        if self.marker || marker_at.is_some_and(|m| r.start >= m) {
            style = style.patch(self.styles.marker);
        }
        if let Some((lvl, lr)) = &self.decor.level
            && r.start >= lr.start
            && r.end <= lr.end
        {
            style = style.patch(self.styles.level(*lvl));
        }
        style = style.patch(self.row_style);
        if self
            .decor
            .matches
            .iter()
            .any(|m| r.start >= m.start && r.end <= m.end)
        {
            style = style.patch(self.styles.highlight);
        }
        style
    }
}

/// What a visible line needs besides its own styles: its level word and filter matches.
struct LineDecor {
    level: Option<(Level, Range<usize>)>,
    matches: Vec<Range<usize>>,
}

impl LineDecor {
    fn find(state: &LogViewState, kind: Kind, text: &str) -> LineDecor {
        if kind == Kind::Marker {
            return LineDecor {
                level: None,
                matches: Vec::new(),
            };
        }
        LineDecor {
            level: level::detect(text),
            matches: state
                .filter
                .as_ref()
                .map(|f| f.find_iter(text).take(64).collect())
                .unwrap_or_default(),
        }
    }
}

/// The screen rows to draw, as (line, row within the wrapped line), and where the view
/// starts (`state.top`) updated so the selection stays visible.
fn layout(state: &mut LogViewState, height: usize) -> Vec<(u64, usize)> {
    let LogViewState {
        ring,
        filter,
        matches,
        follow,
        selected,
        top,
        wrap,
        wraps,
        ..
    } = state;
    let rows = if filter.is_some() {
        Rows::Matches(matches)
    } else {
        Rows::All {
            first: ring.first_seq(),
            end: ring.next_seq(),
        }
    };
    let n = rows.len();
    let mut out = Vec::with_capacity(height);
    if n == 0 || height == 0 {
        return out;
    }
    let wrap = *wrap;
    let mut h = |i: usize| -> (u64, usize) {
        let seq = rows.seq(i).unwrap_or_default();
        if !wrap {
            return (seq, 1);
        }
        let height = ring
            .get(seq)
            .map_or(1, |e| wraps.height(seq, e.line.text()));
        (seq, height)
    };

    if *follow {
        // Bottom-anchored: the newest line on the last row.
        let mut lines = Vec::with_capacity(height);
        let mut used = 0usize;
        let mut i = n;
        while i > 0 && used < height {
            i -= 1;
            let (seq, hh) = h(i);
            lines.push((seq, hh));
            used += hh;
        }
        lines.reverse();
        // The top line may show only its last rows.
        let mut skip = used.saturating_sub(height);
        for &(seq, hh) in &lines {
            for r in skip.min(hh)..hh {
                out.push((seq, r));
            }
            skip = 0;
        }
        *top = lines.first().map_or(0, |l| l.0);
        return out;
    }

    let sel = rows.index_of(selected.unwrap_or(0)).min(n - 1);
    let mut t = rows.index_of(*top).min(n - 1);
    if sel < t {
        t = sel;
    }
    // Every line takes at least one row: no need to measure lines far above the selection.
    if sel - t >= height {
        t = sel + 1 - height;
    }
    if wrap {
        let mut sum: usize = (t..=sel).map(|i| h(i).1).sum();
        while sum > height && t < sel {
            sum -= h(t).1;
            t += 1;
        }
    }
    // Fill the screen when the lines from `t` on do not (after a filter change, say).
    let mut below = 0usize;
    let mut i = t;
    while i < n && below < height {
        below += h(i).1;
        i += 1;
    }
    while t > 0 && below < height {
        let above = h(t - 1).1;
        if below + above > height {
            break;
        }
        below += above;
        t -= 1;
    }
    *top = rows.seq(t).unwrap_or_default();
    let mut i = t;
    'lines: while i < n {
        let (seq, hh) = h(i);
        for r in 0..hh {
            if out.len() == height {
                break 'lines;
            }
            out.push((seq, r));
        }
        i += 1;
    }
    out
}

/// The visible part `range` of a line cut into pieces of one style each: cut wherever its
/// own style changes, the truncation marker starts, or a level word or match begins or ends.
fn pieces(
    line: &crate::text::StyledLine,
    range: Range<usize>,
    decor: &LineDecor,
    marker_at: Option<usize>,
) -> Vec<(Range<usize>, Style)> {
    let mut cuts: Vec<usize> = Vec::with_capacity(8 + line.runs().len() * 2);
    cuts.push(range.start);
    cuts.push(range.end);
    let mut cut = |p: usize| {
        if p > range.start && p < range.end {
            cuts.push(p);
        }
    };
    for run in line.runs() {
        cut(run.start as usize);
        cut(run.end as usize);
    }
    if let Some(m) = marker_at {
        cut(m);
    }
    if let Some((_, lr)) = &decor.level {
        cut(lr.start);
        cut(lr.end);
    }
    for m in &decor.matches {
        cut(m.start);
        cut(m.end);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let runs = line.runs();
    cuts.windows(2)
        .filter(|w| w[0] < w[1])
        .map(|w| {
            let i = runs.partition_point(|r| (r.end as usize) <= w[0]);
            let style = runs
                .get(i)
                .filter(|r| r.start as usize <= w[0])
                .map_or(Style::default(), |r| r.style);
            (w[0]..w[1], style)
        })
        .collect()
}

/// Byte offset where column `cols` starts (for sideways scrolling).
fn skip_columns(text: &str, cols: usize) -> usize {
    if cols == 0 {
        return 0;
    }
    if text.is_ascii() {
        return cols.min(text.len());
    }
    let mut col = 0;
    for (i, c) in text.char_indices() {
        if col >= cols {
            return i;
        }
        col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    }
    text.len()
}

/// Writes `s` at (x, y), at most `max` columns; returns the columns used.
fn put(buf: &mut Buffer, x: u16, y: u16, s: &str, max: usize, style: Style) -> usize {
    if s.is_ascii() {
        // Sanitised ASCII is one printable character per cell: skip grapheme segmentation.
        let mut used = 0;
        for (i, b) in s.bytes().take(max).enumerate() {
            let Some(cell) = buf.cell_mut((x.saturating_add(i as u16), y)) else {
                break;
            };
            cell.set_char(b as char).set_style(style);
            used += 1;
        }
        return used;
    }
    let (end, _) = buf.set_stringn(x, y, s, max, style);
    end.saturating_sub(x) as usize
}

fn overlays(
    state: &LogViewState,
    area: Rect,
    buf: &mut Buffer,
    styles: &LogViewStyles,
    empty: bool,
) {
    let dropped = state.dropped();
    if dropped > 0 {
        let note = format!(" {} lines dropped ", group_thousands(dropped));
        right_aligned(
            buf,
            area,
            area.y,
            &note,
            styles.marker.add_modifier(Modifier::REVERSED),
        );
    }
    if !state.follow && state.unseen > 0 && area.height > 1 {
        let note = format!(" ↓ {} new ", group_thousands(state.unseen));
        right_aligned(
            buf,
            area,
            area.bottom() - 1,
            &note,
            styles.marker.add_modifier(Modifier::REVERSED),
        );
    }
    if empty && let Some(f) = &state.filter {
        let note = format!("no lines match {}", f.pattern());
        put(
            buf,
            area.x,
            area.y,
            &crate::text::one_line(&note, 200),
            area.width as usize,
            styles.dim,
        );
    }
}

fn right_aligned(buf: &mut Buffer, area: Rect, y: u16, text: &str, style: Style) {
    let w = unicode_width::UnicodeWidthStr::width(text).min(area.width as usize);
    let x = area.right() - w as u16;
    buf.set_stringn(x, y, text, w, style);
}

/// `HH:MM:SS` in local time.
pub(crate) fn clock(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).map_or_else(
        || "--:--:--".into(),
        |t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        },
    )
}
