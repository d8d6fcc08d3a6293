//! Where long lines wrap, cached per line so that a frame does not re-measure them. The
//! cache is for one text width: a width change clears it, a line rewritten in place
//! (a `\r` progress line) drops its entry, and new lines just add entries.

use std::collections::HashMap;
use std::ops::Range;

use unicode_width::UnicodeWidthChar;

#[derive(Debug, Default)]
pub(crate) struct WrapCache {
    width: usize,
    /// Byte offsets where rows after the first start; absent for one-row lines.
    rows: HashMap<u64, Box<[u32]>>,
}

/// Lines whose wrapping is remembered; past this the cache starts over (a frame needs a
/// screenful, so this only bounds memory while scrolling through a huge buffer).
const MAX_ENTRIES: usize = 16_384;

impl WrapCache {
    /// Makes the cache valid for `width`, clearing it if the width changed.
    pub(crate) fn set_width(&mut self, width: usize) {
        if width != self.width {
            self.width = width;
            self.rows.clear();
        }
    }

    pub(crate) fn invalidate(&mut self, seq: u64) {
        self.rows.remove(&seq);
    }

    pub(crate) fn clear(&mut self) {
        self.rows.clear();
    }

    /// Row breaks of line `seq` (whose text is `text`) at the current width.
    fn breaks(&mut self, seq: u64, text: &str) -> &[u32] {
        if self.rows.len() >= MAX_ENTRIES && !self.rows.contains_key(&seq) {
            self.rows.clear();
        }
        let width = self.width;
        self.rows
            .entry(seq)
            .or_insert_with(|| wrap_points(text, width))
    }

    /// Number of screen rows line `seq` takes.
    pub(crate) fn height(&mut self, seq: u64, text: &str) -> usize {
        if text.len() <= self.width {
            return 1;
        }
        self.breaks(seq, text).len() + 1
    }

    /// Byte range of row `row` of line `seq`.
    pub(crate) fn row(&mut self, seq: u64, text: &str, row: usize) -> Range<usize> {
        if text.len() <= self.width {
            return 0..text.len();
        }
        let breaks = self.breaks(seq, text);
        let start = if row == 0 {
            0
        } else {
            breaks.get(row - 1).map_or(text.len(), |&b| b as usize)
        };
        let end = breaks.get(row).map_or(text.len(), |&b| b as usize);
        start..end
    }
}

/// Byte offsets where a new row must start so no row is wider than `width` columns.
/// (A line no longer in bytes than the width always fits: no character is narrower than
/// its one byte... except zero-width ones, which only make it narrower.)
fn wrap_points(text: &str, width: usize) -> Box<[u32]> {
    let width = width.max(1);
    if text.is_ascii() {
        return (1..text.len().div_ceil(width))
            .map(|r| (r * width) as u32)
            .collect();
    }
    let mut breaks = Vec::new();
    let mut col = 0usize;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if col + w > width && col > 0 {
            breaks.push(i as u32);
            col = 0;
        }
        col += w;
    }
    breaks.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_wide_text_wrap_at_the_width() {
        let mut c = WrapCache::default();
        c.set_width(4);
        assert_eq!(c.height(1, "abc"), 1);
        assert_eq!(c.height(2, "abcdefghij"), 3);
        assert_eq!(c.row(2, "abcdefghij", 2), 8..10);
        // Each of these takes two columns: two per row.
        let wide = "漢字漢字漢";
        assert_eq!(c.height(3, wide), 3);
        assert_eq!(&wide[c.row(3, wide, 1)], "漢字");
        c.set_width(100);
        assert_eq!(c.height(2, "abcdefghij"), 1);
    }
}
