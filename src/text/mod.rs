//! Text that comes from outside (platform answers, logs, deploy output, commit messages)
//! is made safe for the terminal here before any front end shows it.

pub mod filter;
pub mod redact;
pub mod ring;
pub mod sanitize;
pub mod styled;

pub use filter::{Filter, FilterMode};
pub use ring::LineRing;
pub use sanitize::{Rewrite, RewriteJoiner, SanitizeOptions, sanitize};
pub use styled::{StyleRun, StyledLine};

/// One line of plain text for messages: escape sequences and control characters removed
/// (by the same sanitiser the log views use), whitespace runs folded, cut to `max`
/// characters with an ellipsis.
pub fn one_line(s: &str, max: usize) -> String {
    // Line breaks and tabs become spaces first: here they separate words, whereas the
    // sanitiser would read `\r` as a progress line rewriting itself.
    let flat: String = s
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let opts = SanitizeOptions {
        max_chars: flat.chars().count().max(1),
        ..SanitizeOptions::default()
    };
    let clean = sanitize(flat.as_bytes(), &opts);
    let mut out = String::with_capacity(clean.text().len().min(max + 4));
    let mut count = 0;
    for word in clean.text().split_whitespace() {
        if count > 0 {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn strips_escapes_and_controls_and_folds_space() {
        assert_eq!(one_line("a\x1b[31mred\x1b[0m\n\tb\x07", 100), "ared b");
        assert_eq!(one_line("\x1b]0;title\x07ok", 100), "ok");
    }

    #[test]
    fn strips_what_the_terminal_would_act_on() {
        // DCS, APC, an 8-bit CSI with its parameters, a C1 control, bracketed paste.
        let nasty = "a\x1bPq#0;2;0;0;0\x1b\\b\x1b_payload\x1b\\c\u{9b}31md\u{85}e\x1b[200~f";
        let out = one_line(nasty, 100);
        assert!(!out.chars().any(char::is_control), "{out:?}");
        assert!(
            !out.contains("payload") && !out.contains("31m") && !out.contains("200~"),
            "{out:?}"
        );
        assert!(out.starts_with('a') && out.ends_with('f'), "{out:?}");
    }

    #[test]
    fn cuts_with_ellipsis() {
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("abc", 3), "abc");
    }
}
