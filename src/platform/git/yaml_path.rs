//! Finds the scalar a JSON pointer names in a YAML (or JSON, which YAML reads) document,
//! with its exact place in the text, so a version can be changed by replacing those bytes
//! and nothing else: comments, key order, quoting and indentation stay as they were.
//!
//! saphyr-parser gives every event its span; nothing here re-serialises a document.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A scalar found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarAt {
    /// Byte range of the scalar as written (quotes included).
    pub start: usize,
    pub end: usize,
    /// Its value, unquoted and unescaped.
    pub value: String,
    pub style: Style,
    /// 1-based line, for messages.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` or `>`: spread over lines, never edited in place.
    Block,
}

/// `/a/b/0` → `["a", "b", "0"]`, with `~1` → `/` and `~0` → `~` (RFC 6901).
pub fn parse_pointer(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!(
            "'{pointer}' is not a JSON pointer: it must start with '/' (e.g. /image/tag)"
        ));
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => out.push('~'),
                    Some('1') => out.push('/'),
                    _ => {
                        return Err(format!(
                            "'{pointer}': '~' must be written ~0 (and '/' inside a key ~1)"
                        ));
                    }
                }
            }
            Ok(out)
        })
        .collect()
}

type Events<'a> = Vec<(Event<'a>, Span)>;

/// The scalar at `pointer` in the first document of `text`.
pub fn find(text: &str, pointer: &str) -> Result<ScalarAt, String> {
    let tokens = parse_pointer(pointer)?;
    let events = parse(text)?;
    // StreamStart, DocumentStart, then the root node.
    let root = events
        .iter()
        .position(|(e, _)| {
            !matches!(
                e,
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing
            )
        })
        .filter(|&i| !matches!(events[i].0, Event::StreamEnd))
        .ok_or_else(|| "the file is empty".to_string())?;
    let at = locate(&events, root, &tokens, 0)?;
    let (event, span) = &events[at];
    let Event::Scalar(value, style, ..) = event else {
        return Err(format!("nothing to edit at {pointer}"));
    };
    let style = match style {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
    };
    let start = byte_offset(text, span.start.index())?;
    let end = byte_offset(text, span.end.index())?;
    if start > end {
        return Err("the parser gave an inverted span".into());
    }
    // A quoted scalar's span may run on past its closing quote (over a trailing
    // comment): the end is found from the quotes themselves. A plain one ends at its
    // last non-blank character.
    let end = match style {
        Style::SingleQuoted | Style::DoubleQuoted => closing_quote(text, start, style)
            .ok_or_else(|| format!("the quoted value at {pointer} has no closing quote"))?,
        _ => start + text[start..end].trim_end().len(),
    };
    Ok(ScalarAt {
        start,
        end,
        value: value.to_string(),
        style,
        line: span.start.line(),
    })
}

/// Every event of the text, or the parser's complaint with its line.
fn parse(text: &str) -> Result<Events<'_>, String> {
    let mut events = Vec::new();
    for item in Parser::new_from_str(text) {
        match item {
            Ok(ev) => {
                // Only the first document is read; later ones are left as they are.
                let end = matches!(ev.0, Event::DocumentEnd | Event::StreamEnd);
                events.push(ev);
                if end {
                    return Ok(events);
                }
            }
            Err(e) => return Err(format!("not valid YAML: {e}")),
        }
    }
    Ok(events)
}

/// The index of the event that `tokens[depth..]` names, starting at the node `at`.
fn locate(
    events: &Events<'_>,
    at: usize,
    tokens: &[String],
    depth: usize,
) -> Result<usize, String> {
    let here = || {
        if depth == 0 {
            "the document".to_string()
        } else {
            format!("/{}", tokens[..depth].join("/"))
        }
    };
    let Some(token) = tokens.get(depth) else {
        return match events.get(at).map(|(e, _)| e) {
            Some(Event::Scalar(..)) => Ok(at),
            Some(Event::Alias(_)) => Err(format!(
                "{} is an alias (*name): edit the value where its anchor is",
                here()
            )),
            Some(Event::MappingStart(..)) => Err(format!("{} is a mapping, not a value", here())),
            Some(Event::SequenceStart(..)) => Err(format!("{} is a list, not a value", here())),
            _ => Err(format!("{} has no value", here())),
        };
    };
    match events.get(at).map(|(e, _)| e) {
        Some(Event::MappingStart(..)) => {
            let mut i = at + 1;
            loop {
                match events.get(i).map(|(e, _)| e) {
                    Some(Event::MappingEnd) | None => {
                        return Err(format!("{} has no key '{token}'", here()));
                    }
                    Some(Event::Scalar(key, ..)) if key.as_ref() == token.as_str() => {
                        return locate(events, i + 1, tokens, depth + 1);
                    }
                    _ => {
                        let value = skip(events, i)?;
                        i = skip(events, value)?;
                    }
                }
            }
        }
        Some(Event::SequenceStart(..)) => {
            let wanted: usize = token.parse().map_err(|_| {
                format!(
                    "{} is a list: '{token}' should be an index (0, 1, …)",
                    here()
                )
            })?;
            let mut i = at + 1;
            for _ in 0..wanted {
                if matches!(
                    events.get(i).map(|(e, _)| e),
                    Some(Event::SequenceEnd) | None
                ) {
                    break;
                }
                i = skip(events, i)?;
            }
            match events.get(i).map(|(e, _)| e) {
                Some(Event::SequenceEnd) | None => {
                    Err(format!("{} has no item {wanted} (it is shorter)", here()))
                }
                _ => locate(events, i, tokens, depth + 1),
            }
        }
        Some(Event::Alias(_)) => Err(format!(
            "{} is an alias (*name): point at the anchored value instead",
            here()
        )),
        _ => Err(format!(
            "{} is a plain value, so it has no '{token}' inside",
            here()
        )),
    }
}

/// The index just past the node starting at `at`.
fn skip(events: &Events<'_>, at: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    let mut i = at;
    loop {
        match events.get(i).map(|(e, _)| e) {
            None | Some(Event::StreamEnd | Event::DocumentEnd) => {
                return Err("the document ends inside a value".into());
            }
            Some(Event::MappingStart(..) | Event::SequenceStart(..)) => depth += 1,
            Some(Event::MappingEnd | Event::SequenceEnd) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "unbalanced document".to_string())?;
            }
            _ => {}
        }
        i += 1;
        if depth == 0 {
            return Ok(i);
        }
    }
}

/// The byte just past the quote that closes the scalar opened at `start`.
fn closing_quote(text: &str, start: usize, style: Style) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = if style == Style::SingleQuoted {
        b'\''
    } else {
        b'"'
    };
    if bytes.get(start) != Some(&quote) {
        return None;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            // `''` is a quote inside a single-quoted scalar.
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\\' if quote == b'"' => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The parser counts characters; edits need bytes.
fn byte_offset(text: &str, chars: usize) -> Result<usize, String> {
    if chars == 0 {
        return Ok(0);
    }
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .nth(chars)
        .ok_or_else(|| "the parser pointed past the end of the file".to_string())
}

/// Every scalar leaf of the first document as `(dotted path, value)`: the keys of a
/// configuration file, for the config diff. Lists are indexed (`hosts.0`).
pub fn leaves(text: &str, limit: usize) -> Result<Vec<(String, String)>, String> {
    let events = parse(text)?;
    let mut out = Vec::new();
    // Per open collection: its path, whether a mapping, whether the next scalar is a key,
    // and the next list index.
    struct Frame {
        path: String,
        mapping: bool,
        key_next: bool,
        index: usize,
        key: String,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let child_path = |stack: &mut Vec<Frame>| -> Option<String> {
        let f = stack.last_mut()?;
        let name = if f.mapping {
            std::mem::take(&mut f.key)
        } else {
            f.index += 1;
            (f.index - 1).to_string()
        };
        Some(if f.path.is_empty() {
            name
        } else {
            format!("{}.{name}", f.path)
        })
    };
    for (event, _) in &events {
        // A scalar in key position names the next value.
        if let (Event::Scalar(v, ..), Some(f)) = (event, stack.last_mut())
            && f.mapping
            && f.key_next
        {
            f.key = v.to_string();
            f.key_next = false;
            continue;
        }
        match event {
            Event::Scalar(v, ..) => {
                let path = child_path(&mut stack).unwrap_or_default();
                if let Some(f) = stack.last_mut() {
                    f.key_next = f.mapping;
                }
                if out.len() < limit {
                    out.push((path, v.to_string()));
                }
            }
            Event::Alias(_) => {
                let _ = child_path(&mut stack);
                if let Some(f) = stack.last_mut() {
                    f.key_next = f.mapping;
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = if stack.is_empty() {
                    String::new()
                } else {
                    child_path(&mut stack).unwrap_or_default()
                };
                stack.push(Frame {
                    path,
                    mapping: matches!(event, Event::MappingStart(..)),
                    key_next: true,
                    index: 0,
                    key: String::new(),
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                if let Some(f) = stack.last_mut() {
                    f.key_next = f.mapping;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# the www stack on live\nimage:\n  repository: registry/www  # pinned\n  tag: \"ce4e1c5\"\nreplicas: 3\nspec:\n  containers:\n    - name: app\n      image: registry/www:ce4e1c5\n    - {name: side, image: 'side:1'}\n";

    fn slice(s: &ScalarAt) -> &str {
        &DOC[s.start..s.end]
    }

    #[test]
    fn finds_scalars_with_their_exact_text() {
        let tag = find(DOC, "/image/tag").unwrap();
        assert_eq!(tag.value, "ce4e1c5");
        assert_eq!(tag.style, Style::DoubleQuoted);
        assert_eq!(slice(&tag), "\"ce4e1c5\"");
        assert_eq!(tag.line, 4);
        let repo = find(DOC, "/image/repository").unwrap();
        assert_eq!(slice(&repo), "registry/www");
        let image = find(DOC, "/spec/containers/0/image").unwrap();
        assert_eq!(slice(&image), "registry/www:ce4e1c5");
        let commented = "a: 'x''y' # note\nb: \"p\\\"q\" # more\n";
        let a = find(commented, "/a").unwrap();
        assert_eq!(&commented[a.start..a.end], "'x''y'");
        let b = find(commented, "/b").unwrap();
        assert_eq!(&commented[b.start..b.end], "\"p\\\"q\"");
        assert_eq!(b.value, "p\"q");
        let side = find(DOC, "/spec/containers/1/image").unwrap();
        assert_eq!(slice(&side), "'side:1'");
        assert_eq!(side.style, Style::SingleQuoted);
    }

    #[test]
    fn json_is_read_too_and_multibyte_text_keeps_byte_offsets() {
        let json = "{\n  \"note\": \"café ☕\",\n  \"image\": {\"tag\": \"v1\"}\n}\n";
        let tag = find(json, "/image/tag").unwrap();
        assert_eq!(&json[tag.start..tag.end], "\"v1\"");
    }

    #[test]
    fn says_what_is_missing() {
        let e = find(DOC, "/image/digest").unwrap_err();
        assert!(e.contains("/image has no key 'digest'"), "{e}");
        let e = find(DOC, "/spec/containers/5/image").unwrap_err();
        assert!(e.contains("no item 5"), "{e}");
        let e = find(DOC, "/image").unwrap_err();
        assert!(e.contains("mapping"), "{e}");
        let e = find(DOC, "/replicas/x").unwrap_err();
        assert!(e.contains("plain value"), "{e}");
        let e = find("a: [1\n", "/a").unwrap_err();
        assert!(e.contains("not valid YAML"), "{e}");
        assert!(find("", "/a").is_err());
        assert!(parse_pointer("image/tag").is_err());
        assert_eq!(parse_pointer("/a~1b/c~0").unwrap(), ["a/b", "c~"]);
    }

    #[test]
    fn block_scalars_are_recognised() {
        let s = find("v: |\n  abc\n", "/v").unwrap();
        assert_eq!(s.style, Style::Block);
    }

    #[test]
    fn leaves_are_dotted_paths() {
        let got = leaves(DOC, 100).unwrap();
        let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "image.repository",
                "image.tag",
                "replicas",
                "spec.containers.0.name",
                "spec.containers.0.image",
                "spec.containers.1.name",
                "spec.containers.1.image"
            ]
        );
    }
}
