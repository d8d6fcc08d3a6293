//! Everything the command line prints goes through here: the `println!`, `print!`,
//! `eprintln!` and `eprint!` used in `src/cli/` are this module's macros, not std's
//! (they are defined before the subcommand modules in `cli/mod.rs`, which shadows std's
//! for all of them, so a new message cannot forget).
//!
//! Each printed line passes through the dashboard's sanitiser (`text::sanitize`):
//! escape sequences other than colours are removed, C0/C1 controls and bidi controls
//! dropped, configured secrets redacted; colours are kept only when the stream is a
//! terminal (and `NO_COLOR` is unset). So a platform error, a version string, a journal
//! detail or a commit subject cannot move the cursor, set the title, write the clipboard
//! or reorder a line, whichever subcommand prints it.
//!
//! A closed stdout (`slipway history | head`) is not an error: output stops quietly and
//! the command ends with its usual status (std's `println!` would panic).

use std::fmt;
use std::io::{self, IsTerminal as _, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::text::{SanitizeOptions, sanitize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether stdout's reader has gone (`| head` had enough): stop producing output.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Records a write error on stdout: a closed pipe ends output quietly.
pub fn note_stdout_error(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

fn colour(stream: Stream) -> bool {
    static OUT: OnceLock<bool> = OnceLock::new();
    static ERR: OnceLock<bool> = OnceLock::new();
    let no_color = || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match stream {
        Stream::Out => *OUT.get_or_init(|| io::stdout().is_terminal() && !no_color()),
        Stream::Err => *ERR.get_or_init(|| io::stderr().is_terminal() && !no_color()),
    }
}

/// Lines are not cut here (each caller decides how much of a field to show); the bound
/// only keeps one pathological line from costing unbounded work.
const MAX_LINE_CHARS: usize = 1 << 20;

/// `text` made safe for a terminal, line by line (`\n` kept, everything else sanitised).
pub fn clean(text: &str, keep_colour: bool) -> String {
    let opts = SanitizeOptions {
        max_chars: MAX_LINE_CHARS,
        ..SanitizeOptions::default()
    };
    let mut out = String::with_capacity(text.len() + 1);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = sanitize(line.as_bytes(), &opts);
        if keep_colour {
            out.push_str(&line.to_ansi());
        } else {
            out.push_str(line.text());
        }
    }
    out
}

/// What the macros call.
pub fn print(stream: Stream, args: fmt::Arguments<'_>, newline: bool) {
    let mut text = clean(&fmt::format(args), colour(stream));
    if newline {
        text.push('\n');
    }
    write_raw(stream, text.as_bytes());
}

/// Writes text that is already safe (sanitised, or JSON from [`json`]).
pub fn write_raw(stream: Stream, bytes: &[u8]) {
    match stream {
        Stream::Out => {
            if stdout_closed() {
                return;
            }
            let mut out = io::stdout().lock();
            if let Err(e) = out.write_all(bytes).and_then(|()| {
                // Line-buffered already; a partial line (a prompt) is flushed too.
                if bytes.last() == Some(&b'\n') {
                    Ok(())
                } else {
                    out.flush()
                }
            }) {
                note_stdout_error(&e);
            }
        }
        // Nowhere left to report a failure to write to stderr.
        Stream::Err => {
            let _ = io::stderr().lock().write_all(bytes);
        }
    }
}

/// JSON for printing: secrets redacted, and the characters a terminal could act on that
/// JSON leaves raw (C1 controls, DEL, bidi controls; C0 ones are escaped by serde)
/// written as `\uXXXX` escapes, so the document means the same and shows nothing raw.
pub fn json_safe(json: &str) -> String {
    let json = crate::text::redact::redact(json);
    // Every character to escape is DEL or starts with one of these UTF-8 lead bytes
    // (C1: C2, U+061C: D8, the other bidi controls: E2): a long range's JSON is usually
    // copied without looking at its characters.
    let bytes = json.as_bytes();
    if memchr::memchr(0x7f, bytes).is_none() && memchr::memchr3(0xc2, 0xd8, 0xe2, bytes).is_none() {
        return json.into_owned();
    }
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // C0 controls in strings are escaped already; outside strings they are JSON's own
        // whitespace (pretty printing's newlines), to be kept.
        if c >= '\x7f' && crate::text::sanitize::removed(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a value as JSON (pretty or compact) on stdout, made safe by [`json_safe`].
pub fn json<T: serde::Serialize>(value: &T, pretty: bool) {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    match text {
        Ok(mut s) => {
            s.push('\n');
            write_raw(Stream::Out, json_safe(&s).as_bytes());
        }
        Err(e) => print(
            Stream::Err,
            format_args!("slipway: writing the JSON failed: {e}"),
            true,
        ),
    }
}

macro_rules! println {
    () => {
        $crate::cli::out::print($crate::cli::out::Stream::Out, format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Out, format_args!($($arg)*), true)
    };
}

macro_rules! print {
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Out, format_args!($($arg)*), false)
    };
}

macro_rules! eprintln {
    () => {
        $crate::cli::out::print($crate::cli::out::Stream::Err, format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Err, format_args!($($arg)*), true)
    };
}

macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Err, format_args!($($arg)*), false)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sanitised_and_kept_apart() {
        let nasty = "a\x1b]52;c;aGk=\x07b\x1b[2J\x1b[10;10Hc\n\x1bPq\x1b\\d\u{9b}31me\u{202e}f\n";
        assert_eq!(clean(nasty, false), "abc\ndef\n");
        assert_eq!(clean("\x1b[31mred\x1b[0m", false), "red");
        assert!(clean("\x1b[31mred\x1b[0m", true).contains("\x1b["));
    }

    #[test]
    fn json_keeps_its_meaning_and_shows_nothing_raw() {
        let v = serde_json::json!({"v": "x\u{1b}[2J\u{9b}y\u{202e}z\u{7f}"});
        let s = json_safe(&serde_json::to_string_pretty(&v).unwrap());
        assert!(s.contains('\n'), "pretty printing is kept: {s:?}");
        let s = s.replace('\n', " ");
        assert!(!s.chars().any(crate::text::sanitize::removed), "{s:?}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
