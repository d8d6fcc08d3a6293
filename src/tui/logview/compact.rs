//! Message first on a narrow pane: when a log line does not fit, its leading ISO timestamp
//! shrinks to `HH:MM:SS` (or goes, when even that leaves too little room) and a bracketed
//! request id before the message is dropped. A JSON object line is laid out message
//! first at any width (`json.rs`). The answer is a list of pieces of the original line
//! (byte ranges), so level colours and filter matches still land on the right characters.

use std::ops::Range;

use unicode_width::UnicodeWidthStr;

/// Below this many columns the `HH:MM:SS` goes too: the message needs the room.
pub(super) const CLOCK_FROM: usize = 36;
/// From this many columns the full timestamp is kept even when the line is cut.
pub(super) const FULL_FROM: usize = 100;

/// One piece of a line as drawn, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// These bytes of the line, as they are.
    Text(Range<usize>),
    /// These bytes of the line, shown as other words in their style: a JSON line's level
    /// in capitals (`"error"` → `ERROR`).
    Instead(Range<usize>, String),
    /// Spacing or an `=` that is not in the line (between a JSON line's fields), plain.
    Literal(&'static str),
}

/// The pieces of `text` to draw at `width` columns; `None` when it is drawn as it is (it
/// fits, or has no prefix to shrink and is no JSON object).
pub fn visible(text: &str, width: usize) -> Option<Vec<Piece>> {
    if text.starts_with('{')
        && let Some(pieces) = super::json::pieces(text, width)
    {
        return Some(pieces);
    }
    if text.width() <= width {
        return None;
    }
    let ts = timestamp(text);
    let after_ts = ts.as_ref().map_or(0, |t| t.end + 1);
    let req = request_id(text, after_ts);
    if ts.is_none() && req.is_none() {
        return None;
    }
    let mut parts = Vec::with_capacity(3);
    match &ts {
        Some(t) if width >= FULL_FROM => parts.push(t.all.clone()),
        Some(t) if width >= CLOCK_FROM => parts.push(t.clock.clone()),
        _ => {}
    }
    // With a prefix kept, the body starts at the space after the stamp.
    let body = match &ts {
        Some(t) if !parts.is_empty() => t.end,
        _ => after_ts,
    };
    match req {
        Some(r) => {
            parts.push(body..r.start);
            // Past the `]` and its space.
            parts.push(r.end + 2..text.len());
        }
        None => parts.push(body..text.len()),
    }
    for p in &mut parts {
        p.end = p.end.min(text.len());
        p.start = p.start.min(p.end);
    }
    parts.retain(|p| !p.is_empty());
    Some(parts.into_iter().map(Piece::Text).collect())
}

pub(super) struct Stamp {
    pub(super) all: Range<usize>,
    /// `HH:MM:SS` inside it.
    pub(super) clock: Range<usize>,
    /// Where the stamp ends.
    end: usize,
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±hh:mm]` at the start, followed by a space.
fn timestamp(text: &str) -> Option<Stamp> {
    let stamp = stamp_at(text, 0)?;
    (text.as_bytes().get(stamp.end) == Some(&b' ')).then_some(stamp)
}

/// The same stamp filling `within` exactly (a JSON line's time value).
pub(super) fn stamp_in(text: &str, within: Range<usize>) -> Option<Stamp> {
    let stamp = stamp_at(text.get(..within.end)?, within.start)?;
    (stamp.end == within.end).then_some(stamp)
}

/// The ISO stamp starting at byte `from`, up to the first byte that cannot be part of it.
fn stamp_at(text: &str, from: usize) -> Option<Stamp> {
    let b = text.as_bytes().get(from..)?;
    let digits = |r: Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let ok = digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && (at(10, b'T') || at(10, b' '))
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19);
    if !ok {
        return None;
    }
    let mut end = 19;
    while end < b.len() && b[end] != b' ' {
        let c = b[end];
        if !(c.is_ascii_digit() || matches!(c, b'.' | b',' | b'Z' | b'+' | b'-' | b':')) {
            return None;
        }
        end += 1;
    }
    Some(Stamp {
        all: from..from + end,
        clock: from + 11..from + 19,
        end: from + end,
    })
}

/// A bracketed id-like token (`[NNFQO2cbO4AeCsWCO-I2]`, `[req=00010001]`) among the first
/// words after `from`, followed by a space: the byte range from `[` to `]`.
///
/// A bracketed time (`[12:03:31]`, how deploy jobs stamp their lines) is not an id. It
/// was taken for one, so only the lines too wide for the pane lost their time and the
/// output read as if the job had printed some lines without one. Every line keeps it
/// now: it is already as short as the `HH:MM:SS` a timestamp shrinks to.
fn request_id(text: &str, from: usize) -> Option<Range<usize>> {
    let rest = text.get(from..)?;
    let mut offset = from;
    for word in rest.split(' ').take(4) {
        let inner = word.strip_prefix('[').and_then(|w| w.strip_suffix(']'));
        if let Some(inner) = inner
            && inner.len() >= 8
            && inner
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'.' | b':'))
            && inner.bytes().any(|c| c.is_ascii_digit())
            && !is_clock(inner)
            && text.as_bytes().get(offset + word.len()) == Some(&b' ')
        {
            return Some(offset..offset + word.len() - 1);
        }
        offset += word.len() + 1;
    }
    None
}

/// `12:03:31`, `12:03:31.250`: a time of day, not an id.
fn is_clock(word: &str) -> bool {
    word.contains(':')
        && word
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b':' | b'.'))
}

/// `text` as drawn at `width` columns, before the pane cuts what does not fit (tests).
#[cfg(test)]
pub(super) fn as_drawn(text: &str, width: usize) -> String {
    let pieces = visible(text, width).unwrap_or_else(|| vec![Piece::Text(0..text.len())]);
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(r) => &text[r.clone()],
            Piece::Instead(_, words) => words.as_str(),
            Piece::Literal(s) => s,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        "2026-12-01T16:01:58.528Z DEBUG [NNFQO2cbO4AeCsWCO-I2] cache miss for /news/articles";

    fn shown(text: &str, width: usize) -> String {
        as_drawn(text, width)
    }

    #[test]
    fn a_line_that_fits_is_drawn_as_it_is() {
        assert_eq!(visible(LINE, 200), None);
    }

    #[test]
    fn narrow_the_clock_stays_and_the_request_id_goes() {
        assert_eq!(
            shown(LINE, 38),
            "16:01:58 DEBUG cache miss for /news/articles"
        );
    }

    #[test]
    fn very_narrow_the_timestamp_goes_too() {
        assert_eq!(shown(LINE, 28), "DEBUG cache miss for /news/articles");
    }

    #[test]
    fn wide_but_cut_keeps_the_whole_timestamp() {
        let long = format!("{LINE} {}", "x".repeat(120));
        assert!(shown(&long, 120).starts_with("2026-12-01T16:01:58.528Z DEBUG cache miss"));
    }

    #[test]
    fn lines_without_a_prefix_are_left_alone() {
        let text = "GET / -> 200 in 12ms route=HomePage cache=HIT and much more text";
        assert_eq!(visible(text, 20), None);
        // Brackets holding a word are part of the message, not an id.
        let text = "2026-12-01T16:01:58Z INFO [cache] warmed 120 entries in 4ms";
        assert_eq!(
            shown(text, 40),
            "16:01:58 INFO [cache] warmed 120 entries in 4ms"
        );
    }

    #[test]
    fn every_deploy_line_keeps_its_bracketed_time() {
        let lines = [
            "[12:03:12] Deploying c570624 to live",
            "[12:03:20] Updating instances 2/6",
            "[12:03:31] Health checks passing on 2 of 6",
            "[12:03:31.250] Health checks passing on 2 of 6",
        ];
        for width in [20, 38, 60] {
            for line in lines {
                let drawn = shown(line, width);
                assert!(drawn.starts_with("[12:03:"), "{width}: {drawn:?}");
            }
        }
        // An id after the time still goes, the time stays.
        assert_eq!(
            shown("[12:03:31] [req-0001abcd] Health checks passing", 38),
            "[12:03:31] Health checks passing"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "2026-12-01T16:01:58",
            "2026-12-01T16:01:58 ",
            "[abcdefgh1] ",
            "é",
            "",
            "{",
            "{\"ts\":\"2026-12-01T16:01:58",
            "{\"ts\":\"2026-12-01T16:01:58Z\"}",
            "{\"level\":\"é\",\"msg\":\"\\\"\"}",
            "{\"\":\"\"}",
        ] {
            for w in [0, 1, 10, 40, 120] {
                let _ = shown(text, w);
            }
        }
    }
}
