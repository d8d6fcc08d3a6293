//! Getting text out of the view: the buffer for `Ctrl-S`, a line for the clipboard. Both
//! return data; writing a file or to the terminal is someone else's job.

use std::fmt::Write as _;

use base64::Engine as _;

use super::render::clock;
use super::state::{LogViewState, SaveScope};

pub(super) fn save_text(state: &LogViewState, scope: SaveScope) -> String {
    let mut out = String::new();
    let mut write = |at: i64, text: &str| {
        if state.timestamps {
            let _ = write!(out, "{} ", clock(at));
        }
        out.push_str(text);
        out.push('\n');
    };
    match (scope, state.filter.is_some()) {
        (SaveScope::Shown, true) => {
            for seq in &state.matches {
                if let Some(e) = state.ring.get(*seq) {
                    write(e.at, e.line.text());
                }
            }
        }
        _ => {
            for (_, e) in state.ring.iter() {
                write(e.at, e.line.text());
            }
        }
    }
    out
}

/// OSC 52 "set clipboard" for `text`. The text is sanitised already (no control
/// characters), and base64 keeps it inert inside the sequence.
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_the_text() {
        assert_eq!(osc52("hello"), "\x1b]52;c;aGVsbG8=\x07");
    }
}
