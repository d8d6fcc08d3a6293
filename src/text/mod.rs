//! Text that comes from outside (platform answers, logs, deploy output, commit messages)
//! is made safe for the terminal here before any front end shows it.

pub mod filter;
pub mod ring;
pub mod sanitize;
pub mod styled;

pub use filter::{Filter, FilterMode};
pub use ring::LineRing;
pub use sanitize::{Rewrite, RewriteJoiner, SanitizeOptions, sanitize};
pub use styled::{StyleRun, StyledLine};

/// One line of plain text for messages: control characters and escape sequences removed,
/// whitespace runs folded, cut to `max` characters with an ellipsis.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 4));
    let mut chars = s.chars().peekable();
    let mut last_space = true;
    let mut count = 0;
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip an escape sequence: ESC [ ... final byte, ESC ] ... BEL/ST, or ESC x.
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    while let Some(n) = chars.next() {
                        if n == '\u{7}' || (n == '\u{1b}' && chars.peek() == Some(&'\\')) {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
            continue;
        }
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control() {
            continue;
        }
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        if count == max {
            out.push('…');
            return out.trim_end().to_string();
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_string()
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
    fn cuts_with_ellipsis() {
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("abc", 3), "abc");
    }
}
