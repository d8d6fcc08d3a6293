//! The `/` filter shared by the log view and `slipway logs --grep`: a substring, or a regex
//! when written `/like this/` (or asked for explicitly). Case-insensitive, as in k9s:
//! `ERROR` finds `level=error` and `"level":"error"` as well as `ERROR`, which is what
//! someone hunting errors across log formats means. A regex can ask for case with `(?-i)`.

use std::ops::Range;

use regex::{Regex, RegexBuilder};

/// How a pattern is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterMode {
    /// A regex when written `/re/`, a substring otherwise.
    #[default]
    Auto,
    Substring,
    Regex,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pattern: String,
    is_regex: bool,
    regex: Regex,
}

/// Compiled regexes are capped so a pasted monster cannot eat the memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Filter {
    /// Parses a pattern as typed. `Ok(None)` for an empty pattern (no filter); `Err` names
    /// what is wrong with a regex, for the status line.
    pub fn parse(pattern: &str, mode: FilterMode) -> Result<Option<Filter>, String> {
        if pattern.is_empty() {
            return Ok(None);
        }
        let (body, is_regex) = match mode {
            FilterMode::Substring => (pattern, false),
            FilterMode::Regex => (pattern, true),
            FilterMode::Auto => match pattern
                .strip_prefix('/')
                .map(|p| p.strip_suffix('/').unwrap_or(p))
            {
                Some(re) => (re, true),
                None => (pattern, false),
            },
        };
        if body.is_empty() {
            return Ok(None);
        }
        let source = if is_regex {
            body.to_string()
        } else {
            regex::escape(body)
        };
        let regex = RegexBuilder::new(&source)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => "regex too large".to_string(),
                other => format!(
                    "invalid regex: {}",
                    crate::text::one_line(&other.to_string(), 200)
                ),
            })?;
        Ok(Some(Filter {
            pattern: pattern.to_string(),
            is_regex,
            regex,
        }))
    }

    /// The pattern as the user typed it.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn is_regex(&self) -> bool {
        self.is_regex
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// Byte ranges of the matches in `text`, for highlighting.
    pub fn find_iter<'t>(&'t self, text: &'t str) -> impl Iterator<Item = Range<usize>> + 't {
        self.regex
            .find_iter(text)
            .map(|m| m.range())
            .filter(|r| !r.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(p: &str) -> Filter {
        match Filter::parse(p, FilterMode::Auto) {
            Ok(Some(f)) => f,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn substring_ignores_case_whatever_the_log_format() {
        assert!(f("error").is_match("an ERROR here"));
        assert!(f("ERROR").is_match("ts=1 level=error msg=boom"));
        assert!(f("ERROR").is_match(r#"{"level":"error","msg":"boom"}"#));
        assert!(f("Error").is_match("an ERROR here"));
        // A regex can still ask for case.
        assert!(!f("/(?-i)ERROR/").is_match("level=error"));
        assert!(f("a.b").is_match("xa.by"));
        assert!(!f("a.b").is_match("xaxby"));
    }

    #[test]
    fn slashes_make_a_regex() {
        let r = f("/time(out)?\\s+\\d+/");
        assert!(r.is_regex());
        assert!(r.is_match("TIMEOUT 30"));
        assert_eq!(
            r.find_iter("x timeout 5 y").collect::<Vec<_>>(),
            vec![2..11]
        );
    }

    #[test]
    fn bad_regex_is_an_error_and_empty_is_none() {
        let err = Filter::parse("/(unclosed/", FilterMode::Auto).unwrap_err();
        assert!(err.starts_with("invalid regex"), "{err}");
        assert!(Filter::parse("", FilterMode::Auto).unwrap().is_none());
        assert!(Filter::parse("//", FilterMode::Auto).unwrap().is_none());
    }
}
