//! The log view's state: the lines (a bounded ring), the filter's index of matching lines,
//! follow mode, the selection and the display options. Shared by the Logs and Deploy panes.
//!
//! Positions are line sequence numbers, not indexes, so evicting old lines never moves what
//! the user is looking at. The filter keeps a sorted list of matching line numbers that is
//! extended as lines arrive and trimmed as they are evicted, so neither a frame nor a new
//! batch ever rescans the buffer; only changing the pattern does, once.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::feeds::logs::{GapReason, LogFeedEvent};
use crate::text::{
    Filter, FilterMode, LineRing, Rewrite, RewriteJoiner, SanitizeOptions, StyledLine,
};

use super::wrap::WrapCache;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    /// Written by slipway (a gap, a truncation): always shown, filter or not.
    Marker,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub line: StyledLine,
    /// When the line arrived (Unix seconds), for the timestamp column.
    pub at: i64,
    pub kind: Kind,
}

/// The lines a view shows: all of them, or the filter's matches.
pub(crate) enum Rows<'a> {
    All { first: u64, end: u64 },
    Matches(&'a VecDeque<u64>),
}

impl Rows<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Rows::All { first, end } => (end - first) as usize,
            Rows::Matches(m) => m.len(),
        }
    }

    pub(crate) fn seq(&self, i: usize) -> Option<u64> {
        match self {
            Rows::All { first, end } => Some(first + i as u64).filter(|s| s < end),
            Rows::Matches(m) => m.get(i).copied(),
        }
    }

    /// Index of `seq`, or of the first line after it when it is not shown.
    pub(crate) fn index_of(&self, seq: u64) -> usize {
        match self {
            Rows::All { first, end } => (seq.clamp(*first, *end) - first) as usize,
            Rows::Matches(m) => m.partition_point(|&s| s < seq),
        }
    }
}

/// Which lines [`LogViewState::save_text`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveScope {
    All,
    /// Only the lines the filter shows.
    Shown,
}

#[derive(Debug)]
pub struct LogViewState {
    pub(crate) ring: LineRing<Entry>,
    sanitize: SanitizeOptions,
    joiner: RewriteJoiner,
    /// Dropped before they reached us (the source's backlog overflowed).
    upstream_dropped: u64,
    pub(crate) filter: Option<Filter>,
    /// Sorted sequence numbers of the lines the filter shows (empty without a filter).
    pub(crate) matches: VecDeque<u64>,
    pub(crate) follow: bool,
    /// The selected line while paused (following shows the newest, nothing selected).
    pub(crate) selected: Option<u64>,
    /// First line drawn last frame, to scroll only as far as needed.
    pub(crate) top: u64,
    pub(crate) h_offset: usize,
    pub(crate) wrap: bool,
    pub(crate) timestamps: bool,
    pub(crate) wraps: WrapCache,
    /// Rows of text drawn last frame and how many lines they held: page size.
    pub(crate) page_lines: usize,
    /// The line drawn on each screen row last frame, for mouse clicks.
    pub(crate) row_lines: Vec<Option<u64>>,
    /// Lines that arrived while paused.
    pub(crate) unseen: u64,
    /// Bytes the lines held may take (text and styles); older lines are evicted and
    /// counted past it. `usize::MAX`: only the line count bounds the view.
    byte_budget: usize,
    /// Bytes the lines held take now (see [`entry_bytes`]).
    bytes: usize,
}

/// What a line costs in memory, near enough: its text, its style runs and the entry.
fn entry_bytes(e: &Entry) -> usize {
    e.line.text().len() + std::mem::size_of_val(e.line.runs()) + std::mem::size_of::<Entry>()
}

impl LogViewState {
    /// A view keeping at most `capacity` lines.
    pub fn new(capacity: usize) -> Self {
        Self::with_options(capacity, SanitizeOptions::default())
    }

    /// A view sized and cut as the `[logs]` config says.
    pub fn for_config(logs: &crate::config::LogsConfig) -> Self {
        Self::with_options(
            logs.buffer_lines,
            SanitizeOptions {
                max_chars: logs.max_line_chars,
                ..SanitizeOptions::default()
            },
        )
    }

    pub fn with_options(capacity: usize, sanitize: SanitizeOptions) -> Self {
        LogViewState {
            ring: LineRing::new(capacity),
            sanitize,
            joiner: RewriteJoiner::default(),
            upstream_dropped: 0,
            filter: None,
            matches: VecDeque::new(),
            follow: true,
            selected: None,
            top: 0,
            h_offset: 0,
            wrap: false,
            timestamps: false,
            wraps: WrapCache::default(),
            page_lines: 1,
            row_lines: Vec::new(),
            unseen: 0,
            byte_budget: usize::MAX,
            bytes: 0,
        }
    }

    /// Keeps the lines held within `bytes` as well as the line count: a deploy job that
    /// prints 50 MB keeps its newest output, and the older lines are dropped and counted
    /// (the view shows how many).
    pub fn with_byte_budget(mut self, bytes: usize) -> Self {
        self.byte_budget = bytes.max(1);
        self
    }

    /// Bytes the lines held take now, near enough.
    pub fn bytes_held(&self) -> usize {
        self.bytes
    }

    // ---- ingest ----------------------------------------------------------------------

    /// Applies a feed event: lines, drops and gap markers (statuses are the pane's title).
    pub fn apply(&mut self, event: &LogFeedEvent) {
        match event {
            LogFeedEvent::Lines { lines, dropped } => {
                self.add_dropped(*dropped);
                self.push_lines(lines.iter());
            }
            LogFeedEvent::Gap { reason } => self.push_gap(reason),
            LogFeedEvent::Status(_) => {}
        }
    }

    /// Sanitises and appends raw lines (one arrival time for the batch).
    pub fn push_lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a [u8]>) {
        let at = now_secs();
        for raw in lines {
            self.push_raw_at(raw, at);
        }
    }

    /// Sanitises and appends one raw line. A line ending in `\r` is a progress line: the
    /// next one replaces it (see [`RewriteJoiner`]).
    pub fn push_raw(&mut self, raw: &[u8]) {
        self.push_raw_at(raw, now_secs());
    }

    fn push_raw_at(&mut self, raw: &[u8], at: i64) {
        let last = self
            .ring
            .back()
            .filter(|e| e.kind == Kind::Text)
            .map(|e| &e.line);
        match self.joiner.push(last, raw, &self.sanitize) {
            Rewrite::New(line) => self.push_entry(Entry {
                line,
                at,
                kind: Kind::Text,
            }),
            Rewrite::ReplaceLast(line) => self.replace_last(line),
        }
    }

    /// Appends a line that is already sanitised.
    pub fn push_line(&mut self, line: StyledLine) {
        self.joiner.close();
        self.push_entry(Entry {
            line,
            at: now_secs(),
            kind: Kind::Text,
        });
    }

    /// Appends a marker line of slipway's own (shown whatever the filter).
    pub fn push_marker(&mut self, text: &str) {
        self.joiner.close();
        self.push_entry(Entry {
            line: StyledLine::plain(text),
            at: now_secs(),
            kind: Kind::Marker,
        });
    }

    /// "— reconnected after 5s; lines may be missing —"
    pub fn push_gap(&mut self, reason: &GapReason) {
        self.push_marker(&format!("— {reason} —"));
    }

    /// Counts lines dropped before they reached the view.
    pub fn add_dropped(&mut self, n: u64) {
        self.upstream_dropped += n;
    }

    fn push_entry(&mut self, entry: Entry) {
        let shown = entry.kind == Kind::Marker
            || self
                .filter
                .as_ref()
                .is_none_or(|f| f.is_match(entry.line.text()));
        // A full ring evicts its oldest line on push: take it off the byte count first.
        if self.ring.len() == self.ring.capacity()
            && let Some(oldest) = self.ring.get(self.ring.first_seq())
        {
            self.bytes = self.bytes.saturating_sub(entry_bytes(oldest));
        }
        self.bytes += entry_bytes(&entry);
        let seq = self.ring.push(entry);
        self.keep_byte_budget();
        if self.filter.is_some() {
            if shown {
                self.matches.push_back(seq);
            }
            let first = self.ring.first_seq();
            while self.matches.front().is_some_and(|&s| s < first) {
                self.matches.pop_front();
            }
        }
        if !self.follow && shown {
            self.unseen += 1;
        }
    }

    fn replace_last(&mut self, line: StyledLine) {
        let Some(seq) = self.ring.last_seq() else {
            return;
        };
        if let Some(filter) = &self.filter {
            let shown = filter.is_match(line.text());
            let listed = self.matches.back() == Some(&seq);
            if listed && !shown {
                self.matches.pop_back();
            } else if shown && !listed {
                self.matches.push_back(seq);
            }
        }
        if let Some(entry) = self.ring.back_mut() {
            let before = entry_bytes(entry);
            entry.line = line;
            let after = entry_bytes(entry);
            self.bytes = self.bytes.saturating_sub(before) + after;
        }
        self.wraps.invalidate(seq);
        self.keep_byte_budget();
    }

    /// Evicts the oldest lines (counted as dropped) while the budget is exceeded; the
    /// newest line always stays.
    fn keep_byte_budget(&mut self) {
        while self.bytes > self.byte_budget && self.ring.len() > 1 {
            match self.ring.evict_front() {
                Some(old) => self.bytes = self.bytes.saturating_sub(entry_bytes(&old)),
                None => break,
            }
        }
        let first = self.ring.first_seq();
        while self.matches.front().is_some_and(|&s| s < first) {
            self.matches.pop_front();
        }
    }

    /// Forgets every line (a new deployment in the Deploy pane); counts are reset too.
    pub fn clear(&mut self) {
        self.ring.clear();
        self.bytes = 0;
        self.matches.clear();
        self.wraps.clear();
        self.joiner.close();
        self.upstream_dropped = 0;
        self.unseen = 0;
        self.follow = true;
        self.selected = None;
    }

    // ---- what there is ---------------------------------------------------------------

    /// Lines held now (at most the capacity).
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Lines no longer available: evicted from the buffer plus dropped upstream.
    pub fn dropped(&self) -> u64 {
        self.ring.evicted() + self.upstream_dropped
    }

    /// Lines the filter shows (all lines without a filter).
    pub fn shown_len(&self) -> usize {
        self.rows().len()
    }

    pub(crate) fn rows(&self) -> Rows<'_> {
        if self.filter.is_some() {
            Rows::Matches(&self.matches)
        } else {
            Rows::All {
                first: self.ring.first_seq(),
                end: self.ring.next_seq(),
            }
        }
    }

    /// Text of every line, oldest first (for tests and the CLI).
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        self.ring.iter().map(|(_, e)| e.line.text())
    }

    // ---- filter ----------------------------------------------------------------------

    /// Sets the filter as typed (`/re/` for a regex). An invalid regex returns the message
    /// and keeps the previous filter; an empty pattern removes the filter.
    pub fn set_filter(&mut self, pattern: &str) -> Result<(), String> {
        self.set_filter_mode(pattern, FilterMode::Auto)
    }

    pub fn set_filter_mode(&mut self, pattern: &str, mode: FilterMode) -> Result<(), String> {
        let filter = Filter::parse(pattern, mode)?;
        self.matches.clear();
        if let Some(f) = &filter {
            self.matches.extend(
                self.ring
                    .iter()
                    .filter(|(_, e)| e.kind == Kind::Marker || f.is_match(e.line.text()))
                    .map(|(seq, _)| seq),
            );
        }
        self.filter = filter;
        Ok(())
    }

    pub fn clear_filter(&mut self) {
        self.filter = None;
        self.matches.clear();
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    // ---- follow and scrolling ----------------------------------------------------------

    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Lines that arrived since following paused.
    pub fn unseen(&self) -> u64 {
        self.unseen
    }

    /// `f`: pause on the newest line, or jump to the bottom and follow again.
    pub fn toggle_follow(&mut self) {
        if self.follow {
            self.pause_at_bottom();
        } else {
            self.bottom();
        }
    }

    fn pause_at_bottom(&mut self) {
        let rows = self.rows();
        let last = rows.len().checked_sub(1).and_then(|i| rows.seq(i));
        self.follow = false;
        self.selected = last;
        self.unseen = 0;
    }

    /// Index of the selected line among those shown.
    fn selected_index(&self) -> Option<usize> {
        let rows = self.rows();
        let last = rows.len().checked_sub(1)?;
        Some(match (self.follow, self.selected) {
            (false, Some(seq)) => rows.index_of(seq).min(last),
            _ => last,
        })
    }

    fn select_index(&mut self, index: usize) {
        let rows = self.rows();
        let Some(last) = rows.len().checked_sub(1) else {
            return;
        };
        let index = index.min(last);
        self.selected = rows.seq(index);
        if index == last {
            // Reaching the bottom resumes following.
            self.follow = true;
            self.selected = None;
            self.unseen = 0;
        } else {
            if self.follow {
                self.unseen = 0;
            }
            self.follow = false;
        }
    }

    /// Moves the selection up `n` lines; scrolling up pauses following.
    pub fn scroll_up(&mut self, n: usize) {
        if let Some(i) = self.selected_index() {
            let target = i.saturating_sub(n);
            if target == i && !self.follow {
                return;
            }
            // Moving up from the bottom must not resume following again at once.
            let rows = self.rows();
            let seq = rows.seq(target);
            self.follow = false;
            self.selected = seq;
            self.unseen = 0;
        }
    }

    /// Moves the selection down `n` lines; reaching the last line resumes following.
    pub fn scroll_down(&mut self, n: usize) {
        if self.follow {
            return;
        }
        if let Some(i) = self.selected_index() {
            self.select_index(i.saturating_add(n));
        }
    }

    pub fn page_up(&mut self) {
        self.scroll_up(self.page_lines.saturating_sub(1).max(1));
    }

    pub fn page_down(&mut self) {
        self.scroll_down(self.page_lines.saturating_sub(1).max(1));
    }

    /// The oldest line (pauses following).
    pub fn top(&mut self) {
        if self.shown_len() == 0 {
            return;
        }
        self.scroll_up(usize::MAX);
    }

    /// The newest line, following again.
    pub fn bottom(&mut self) {
        self.follow = true;
        self.selected = None;
        self.unseen = 0;
    }

    /// Selects the line drawn on screen row `row` of the view's area (a mouse click).
    pub fn click_row(&mut self, row: u16) {
        if let Some(Some(seq)) = self.row_lines.get(row as usize).copied() {
            let i = self.rows().index_of(seq);
            self.select_index(i);
            if self.follow {
                // A click on the newest line selects it rather than just following.
                self.pause_at_bottom();
            }
        }
    }

    /// Scrolls sideways (without wrapping).
    pub fn scroll_left(&mut self, cols: usize) {
        self.h_offset = self.h_offset.saturating_sub(cols);
    }

    pub fn scroll_right(&mut self, cols: usize) {
        self.h_offset = self
            .h_offset
            .saturating_add(cols)
            .min(self.sanitize.max_chars);
    }

    // ---- display options ---------------------------------------------------------------

    pub fn wrap(&self) -> bool {
        self.wrap
    }

    pub fn set_wrap(&mut self, wrap: bool) {
        self.wrap = wrap;
        self.h_offset = 0;
    }

    pub fn toggle_wrap(&mut self) {
        self.set_wrap(!self.wrap);
    }

    pub fn timestamps(&self) -> bool {
        self.timestamps
    }

    pub fn set_timestamps(&mut self, on: bool) {
        self.timestamps = on;
    }

    pub fn toggle_timestamps(&mut self) {
        self.timestamps = !self.timestamps;
    }

    // ---- the selected line, saving -----------------------------------------------------

    /// Text of the selected line (the newest while following).
    pub fn selected_text(&self) -> Option<&str> {
        let i = self.selected_index()?;
        let seq = self.rows().seq(i)?;
        self.ring.get(seq).map(|e| e.line.text())
    }

    /// The OSC 52 sequence that copies the selected line to the clipboard; the terminal
    /// layer writes it (this module does no I/O).
    pub fn copy_selected_osc52(&self) -> Option<String> {
        self.selected_text().map(super::export::osc52)
    }

    /// The buffer as text, one line per line, for `Ctrl-S` (the pane has the engine write it).
    pub fn save_text(&self, scope: SaveScope) -> String {
        super::export::save_text(self, scope)
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
