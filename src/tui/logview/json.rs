//! A JSON log line read like a plain one: its timestamp, its level in capitals, its
//! message, then the other fields as `key=value`, in the order the line has them. Raw
//! JSON buries the message among quotes, braces and keys; this puts it where a plain
//! line has it. Only a complete object is laid out: anything else (a line cut short, a
//! JSON array, text that merely starts with `{`) is left as it is.

use std::ops::Range;

use unicode_width::UnicodeWidthStr;

use super::compact::{CLOCK_FROM, FULL_FROM, Piece, Stamp, stamp_in};
use super::level;

/// Keys that hold the time, the level and the message, each list in the order looked for.
const TIME_KEYS: &[&str] = &["ts", "time", "timestamp", "@timestamp"];
const LEVEL_KEYS: &[&str] = &["level", "lvl", "severity"];
const MESSAGE_KEYS: &[&str] = &["msg", "message", "@message", "event", "error", "err"];

/// Columns from the level word to the message, so messages line up (`ERROR`, `WARN `…).
const LEVEL_COLUMN: usize = 6;
const SPACES: &str = "      ";

/// One `"key": value` of the object.
#[derive(Debug)]
struct Field<'a> {
    /// The key as written, without its quotes.
    key: &'a str,
    key_at: Range<usize>,
    /// The value as written (a string with its quotes), as bytes of the line.
    value: Range<usize>,
}

impl Field<'_> {
    /// A string value without its quotes, as written (escapes left as they are).
    fn string(&self, text: &str) -> Option<Range<usize>> {
        text[self.value.clone()]
            .starts_with('"')
            .then(|| self.value.start + 1..self.value.end - 1)
    }
}

/// The pieces to draw for a JSON object line at `width` columns, or `None` when `text` is
/// not one (then it is drawn as any other line).
pub fn pieces(text: &str, width: usize) -> Option<Vec<Piece>> {
    let mut fields = object(text)?;
    let stamp = take(&mut fields, TIME_KEYS, |f| {
        f.string(text).and_then(|s| stamp_in(text, s))
    });
    let level = take(&mut fields, LEVEL_KEYS, |f| level_word(text, f));
    let message = take(&mut fields, MESSAGE_KEYS, |f| {
        Some(f.string(text).unwrap_or_else(|| f.value.clone()))
    });
    let mut body = Vec::new();
    if let Some((at, word)) = level {
        let pad = LEVEL_COLUMN.saturating_sub(word.width()).max(1);
        body.push(Piece::Instead(at, word));
        body.push(Piece::Literal(&SPACES[..pad.min(SPACES.len())]));
    }
    if let Some(message) = message {
        body.push(Piece::Text(message));
        body.push(Piece::Literal(" "));
    }
    for field in &fields {
        body.push(Piece::Text(field.key_at.clone()));
        body.push(Piece::Literal("="));
        body.push(Piece::Text(shown_value(text, field)));
        body.push(Piece::Literal(" "));
    }
    // The spacing after the last piece.
    if matches!(body.last(), Some(Piece::Literal(_))) {
        body.pop();
    }
    Some(with_stamp(stamp, body, width))
}

/// The timestamp before the body, shrunk as a cut plain line's is: whole on a wide pane,
/// `HH:MM:SS` where there is room for that, else none. Not whole whenever the line
/// happens to fit, as a plain line is drawn: the JSON lines of one pane line up.
fn with_stamp(stamp: Option<Stamp>, body: Vec<Piece>, width: usize) -> Vec<Piece> {
    let kept = match stamp {
        Some(stamp) if width >= FULL_FROM => stamp.all,
        Some(stamp) if width >= CLOCK_FROM => stamp.clock,
        _ => return body,
    };
    let mut out = Vec::with_capacity(body.len() + 2);
    out.push(Piece::Text(kept));
    if !body.is_empty() {
        out.push(Piece::Literal(" "));
    }
    out.extend(body);
    out
}

/// The first field named by one of `keys` (tried in that order) that `read` accepts,
/// taken out of `fields`, as `read` reads it.
fn take<T>(
    fields: &mut Vec<Field>,
    keys: &[&str],
    read: impl Fn(&Field) -> Option<T>,
) -> Option<T> {
    let (position, found) = keys.iter().find_map(|key| {
        fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.key == *key)
            .find_map(|(i, f)| read(f).map(|found| (i, found)))
    })?;
    fields.remove(position);
    Some(found)
}

/// The level field's value and the word it is shown as: the word in capitals (`error` →
/// `ERROR`), or for pino's and bunyan's numbers the level they stand for (`50` →
/// `ERROR`). Only a value the level colouring recognises, so word and colour agree.
fn level_word(text: &str, field: &Field) -> Option<(Range<usize>, String)> {
    let (found, at) = level::detect(text)?;
    if at.start < field.value.start || at.end > field.value.end {
        return None;
    }
    let written = &text[at.clone()];
    let word = if written.bytes().all(|b| b.is_ascii_digit()) {
        found.word().to_string()
    } else {
        written.to_ascii_uppercase()
    };
    Some((at, word))
}

/// A value as `key=value` shows it: a string without its quotes unless it needs them to
/// read as one value (empty, or holding a space or `=`); anything else as written.
fn shown_value(text: &str, field: &Field) -> Range<usize> {
    match field.string(text) {
        Some(inner) if !inner.is_empty() && !text[inner.clone()].contains([' ', '=']) => inner,
        _ => field.value.clone(),
    }
}

/// The fields of `text` when it is one complete JSON object (blanks around it allowed),
/// in order; `None` for anything else, and for an object without fields.
fn object(text: &str) -> Option<Vec<Field<'_>>> {
    let b = text.as_bytes();
    let mut i = blanks(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = blanks(b, i + 1);
    let mut fields = Vec::new();
    while b.get(i) != Some(&b'}') {
        if !fields.is_empty() {
            if b.get(i) != Some(&b',') {
                return None;
            }
            i = blanks(b, i + 1);
        }
        let key_end = string_end(b, i)?;
        let key_at = i + 1..key_end - 1;
        i = blanks(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = blanks(b, i + 1);
        let value_end = value_end(b, value_start)?;
        fields.push(Field {
            key: &text[key_at.clone()],
            key_at,
            value: value_start..value_end,
        });
        i = blanks(b, value_end);
    }
    (blanks(b, i + 1) == b.len() && !fields.is_empty()).then_some(fields)
}

fn blanks(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// Just past the closing quote of the string that opens at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// Just past the value that starts at `i`: a string, an object or array (taken whole,
/// brackets counted outside strings), or a number, `true`, `false` or `null`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let len = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+'))
                .count();
            let word = std::str::from_utf8(&b[i..i + len]).ok()?;
            let number = word
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
                && word.parse::<f64>().is_ok();
            (number || matches!(word, "true" | "false" | "null")).then_some(i + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::compact::as_drawn;

    const LINE: &str =
        r#"{"ts":"2026-12-01T10:00:00Z","level":"error","msg":"upstream timed out","req":"a1b2"}"#;

    #[test]
    fn level_and_message_first_then_the_fields() {
        assert_eq!(
            as_drawn(LINE, 200),
            "2026-12-01T10:00:00Z ERROR upstream timed out req=a1b2"
        );
    }

    #[test]
    fn the_timestamp_shrinks_as_a_cut_plain_lines_does() {
        // Whole on a wide pane; the clock on a narrower one, even where the whole would
        // fit, so the lines line up; none when narrow.
        let message = "ERROR upstream timed out req=a1b2";
        assert_eq!(
            as_drawn(LINE, 100),
            format!("2026-12-01T10:00:00Z {message}")
        );
        assert_eq!(as_drawn(LINE, 99), format!("10:00:00 {message}"));
        assert_eq!(as_drawn(LINE, 36), format!("10:00:00 {message}"));
        assert_eq!(as_drawn(LINE, 35), message);
    }

    #[test]
    fn the_message_is_found_under_its_common_names() {
        for key in ["msg", "message", "@message", "event", "error", "err"] {
            let line = format!(r#"{{"status":502,"{key}":"boom"}}"#);
            assert_eq!(as_drawn(&line, 80), "boom status=502", "{key}");
        }
        // `msg` comes before `error`, which stays a field.
        assert_eq!(
            as_drawn(r#"{"error":"refused","msg":"connect failed"}"#, 80),
            "connect failed error=refused"
        );
    }

    #[test]
    fn numeric_levels_read_as_words_and_odd_values_keep_their_quotes() {
        assert_eq!(
            as_drawn(r#"{"level":40,"time":1733047200,"msg":"slow"}"#, 80),
            "WARN  slow time=1733047200"
        );
        assert_eq!(
            as_drawn(
                r#"{"severity":"info","event":"done","path":"/a b","tag":"","ctx":{"a":[1,"}"]}}"#,
                120
            ),
            r#"INFO  done path="/a b" tag="" ctx={"a":[1,"}"]}"#
        );
        // A level the colouring does not know stays a field.
        assert_eq!(
            as_drawn(r#"{"level":"verbose","msg":"x"}"#, 80),
            "x level=verbose"
        );
    }

    #[test]
    fn anything_but_a_whole_object_is_left_as_it_is() {
        for text in [
            r#"{"level":"error","msg":"cut short"#,
            r#"{"level":"error","msg":"x"} trailing"#,
            r#"{"level" "error"}"#,
            r#"{"a":nope}"#,
            r#"{"a":1,}"#,
            "{}",
            r#"["level","error"]"#,
            "{ not json at all }",
        ] {
            assert_eq!(as_drawn(text, 200), text);
        }
    }
}
