//! One thing wrong with a config, found after it was read: the key it is at, what is
//! wrong, and maybe what to do. Every module that owns a section returns these for it
//! (`crate::validation` collects them), so one run of `check-config` lists them all.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the offending key (`stacks[2].smoke[0].url`).
    pub key: String,
    pub message: String,
    /// What to write instead, when there is one obvious fix.
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }

    /// The same problem one level down: `under("platform")` turns `poll_ms` into
    /// `platform.poll_ms`.
    pub fn under(mut self, prefix: &str) -> Problem {
        self.key = format!("{prefix}.{}", self.key);
        self
    }

    /// The message with its hint, as shown to the user.
    pub fn text(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{} ({hint})", self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.text())
    }
}

/// `{word}` placeholders in `text` that are not in `known` (names without braces), in
/// order, each once. `{{`/`}}`-free text only: a brace that does not open a plain word
/// (`awk '{print $1}'`, a regex's `{2,3}`) is not a placeholder.
pub fn unknown_placeholders(text: &str, known: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}') {
            let name = &after[..close];
            let is_word = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.chars().all(|c| c.is_ascii_digit());
            if is_word && !known.contains(&name) && !found.iter().any(|f| f == name) {
                found.push(name.to_string());
            }
        }
        rest = after;
    }
    found
}

/// A problem for unknown placeholders at `key`, listing the known ones, if there are any
/// unknown.
pub fn check_placeholders(key: &str, text: &str, known: &[&str]) -> Option<Problem> {
    let unknown = unknown_placeholders(text, known);
    if unknown.is_empty() {
        return None;
    }
    let names: Vec<String> = unknown.iter().map(|n| format!("{{{n}}}")).collect();
    let what = if names.len() == 1 {
        "unknown placeholder"
    } else {
        "unknown placeholders"
    };
    let known = if known.is_empty() {
        "none are known here: this value is used as written".to_string()
    } else {
        let list: Vec<String> = known.iter().map(|n| format!("{{{n}}}")).collect();
        format!("known: {}", list.join(" "))
    };
    Some(Problem::new(
        key,
        format!("{what} {}; {known}", names.join(" ")),
    ))
}

/// A URL (maybe holding `known` placeholders) that must be http(s) with a host that
/// parses. Placeholders are replaced by a harmless word before parsing, so
/// `http://{host}:9100/metrics` is checked as `http://x:9100/metrics`.
pub fn check_url(key: &str, url: &str, known: &[&str]) -> Vec<Problem> {
    if let Some(p) = check_placeholders(key, url, known) {
        return vec![p];
    }
    let mut filled = url.to_string();
    for name in known {
        filled = filled.replace(&format!("{{{name}}}"), "x");
    }
    let trimmed = filled.trim();
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return vec![Problem::new(key, "must start with http:// or https://")];
    }
    match reqwest::Url::parse(trimmed) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => Vec::new(),
        Ok(_) => vec![Problem::new(key, format!("'{url}' has no host"))],
        Err(e) => vec![Problem::new(key, format!("'{url}' is not a URL: {e}"))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_named_with_the_known_ones() {
        assert_eq!(
            unknown_placeholders("/x/{stack}/{nosuch}", &["stack"]),
            ["nosuch"]
        );
        assert!(unknown_placeholders("awk '{print $1}' a{2,3}", &[]).is_empty());
        let p = check_placeholders("k", "{a}{b}{a}", &["stack", "env"]).unwrap();
        assert_eq!(
            p.message,
            "unknown placeholders {a} {b}; known: {stack} {env}"
        );
    }

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(check_url("k", "http://{host}:9100/metrics", &["host"]).is_empty());
        assert!(check_url("k", "https://example.com", &[]).is_empty());
        let bad = |u: &str| check_url("k", u, &["host"]).remove(0).message;
        assert!(bad("127.0.0.1:9090").contains("http://"));
        assert!(
            bad("http://exa mple.com/").contains("not a URL"),
            "{}",
            bad("http://exa mple.com/")
        );
        assert!(bad("http://{hots}/m").contains("{hots}"));
        assert!(bad("http://:80/").contains("not a URL") || bad("http://:80/").contains("no host"));
    }
}
