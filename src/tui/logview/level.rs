//! Finding a line's log level, for colouring: an upper-case level word (`ERROR`, `WARN`…)
//! near the start, a bracketed one (`[error]`), logfmt's `level=warn`, or a JSON line's
//! `"level"` field (names, or pino/bunyan numbers). Only visible lines are looked at, at
//! render time, so ingest pays nothing for it.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

impl Level {
    /// The level as a plain line's level word reads (a JSON line's numeric level shows so).
    pub fn word(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }
}

/// Level words are looked for this far into a line (timestamps and a logger name first).
const SCAN: usize = 200;

/// The level and the byte range of the word (or JSON value) that says so.
pub fn detect(text: &str) -> Option<(Level, Range<usize>)> {
    if text.trim_start().starts_with('{')
        && let Some(found) = json_level(text)
    {
        return Some(found);
    }
    words(text)
}

fn from_word(word: &str) -> Option<Level> {
    let lower = word.to_ascii_lowercase();
    Some(match lower.as_str() {
        "error" | "err" | "fatal" | "crit" | "critical" | "panic" | "alert" | "emerg"
        | "emergency" | "severe" => Level::Error,
        "warn" | "warning" => Level::Warn,
        "info" | "notice" => Level::Info,
        "debug" | "trace" | "fine" | "finer" | "finest" => Level::Debug,
        _ => return None,
    })
}

fn words(text: &str) -> Option<(Level, Range<usize>)> {
    let bytes = text.as_bytes();
    let limit = bytes.len().min(SCAN);
    let mut i = 0;
    while i < limit {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        // A word glued to digits or underscores (`ERROR_CODE`, `info2`) is not a level.
        let glued = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_digit() || *b == b'_');
        if (start > 0 && glued(bytes.get(start - 1))) || glued(bytes.get(i)) {
            continue;
        }
        let word = &text[start..i];
        let Some(level) = from_word(word) else {
            continue;
        };
        let before = start.checked_sub(1).map(|p| bytes[p]);
        let after = bytes.get(i).copied();
        let upper = word.bytes().all(|b| b.is_ascii_uppercase());
        let bracketed = matches!(
            (before, after),
            (Some(b'['), Some(b']')) | (Some(b'<'), Some(b'>'))
        );
        let logfmt = start >= 6 && text[..start].ends_with("level=");
        if (upper && word.len() >= 3) || bracketed || logfmt {
            return Some((level, start..i));
        }
    }
    None
}

fn json_level(text: &str) -> Option<(Level, Range<usize>)> {
    for key in ["\"level\"", "\"lvl\"", "\"severity\""] {
        let Some(at) = text.find(key) else {
            continue;
        };
        let rest = &text[at + key.len()..];
        let after_colon = rest.trim_start().strip_prefix(':')?.trim_start();
        let value_at = text.len() - after_colon.len();
        if let Some(s) = after_colon.strip_prefix('"') {
            let end = s.find('"')?;
            let level = from_word(&s[..end])?;
            return Some((level, value_at + 1..value_at + 1 + end));
        }
        let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
        let n: u32 = after_colon[..digits].parse().ok()?;
        // pino and bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
        let level = match n {
            50.. => Level::Error,
            40..=49 => Level::Warn,
            30..=39 => Level::Info,
            _ => Level::Debug,
        };
        return Some((level, value_at..value_at + digits));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(t: &str) -> Option<Level> {
        detect(t).map(|(l, _)| l)
    }

    #[test]
    fn words_brackets_and_logfmt() {
        assert_eq!(
            detect("12:04:00 ERROR upstream timeout"),
            Some((Level::Error, 9..14))
        );
        assert_eq!(
            lvl("2024-01-01T00:00:00Z  WARN slipway: slow"),
            Some(Level::Warn)
        );
        assert_eq!(lvl("[info] started"), Some(Level::Info));
        assert_eq!(lvl("time=1 level=debug msg=x"), Some(Level::Debug));
        assert_eq!(lvl("no error here"), None);
        assert_eq!(lvl("ERROR_CODE=5"), None);
        assert_eq!(lvl("GET /info 200"), None);
    }

    #[test]
    fn json_level_field() {
        let line = r#"{"ts":1,"level":"warning","msg":"x ERROR y"}"#;
        let (level, range) = detect(line).unwrap();
        assert_eq!(level, Level::Warn);
        assert_eq!(&line[range], "warning");
        assert_eq!(lvl(r#"{"level":50,"msg":"boom"}"#), Some(Level::Error));
        assert_eq!(lvl(r#"{"severity" : "INFO"}"#), Some(Level::Info));
    }
}
