//! The values of configured secrets (tokens read through `token_env` / `token_file`, a
//! webhook URL read from the environment) are remembered here when they are read, so that
//! text from outside that echoes one back (a platform error, deploy output, a chat
//! answer) shows `[redacted]` instead: on the screen, in the journal, in `history` and in
//! the diagnostics log.
//!
//! Values shorter than [`MIN_SECRET_CHARS`] are not registered: redacting every `dev` or
//! `1234` from all text would hide more than it protects.

use std::borrow::Cow;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not treated as secrets.
pub const MIN_SECRET_CHARS: usize = 6;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
/// Set once the first secret is registered: lets hot paths skip the lock.
static ANY: AtomicBool = AtomicBool::new(false);

/// Remembers a secret's value (trimmed) so that it is redacted from all outside text.
pub fn register(value: &str) {
    let value = value.trim();
    if value.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let Ok(mut list) = SECRETS.write() else {
        return;
    };
    if !list.iter().any(|s| s == value) {
        list.push(value.to_string());
        // Longest first, so that a secret containing another is replaced whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        ANY.store(true, Ordering::Release);
    }
}

/// `text` with every registered secret replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    if !any() {
        return Cow::Borrowed(text);
    }
    let Ok(list) = SECRETS.read() else {
        return Cow::Borrowed(text);
    };
    if list.is_empty() || !list.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in list.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    Cow::Owned(out)
}

/// The same over bytes (a raw log or deploy output line, a diagnostics record).
pub fn redact_bytes(raw: &[u8]) -> Cow<'_, [u8]> {
    if !any() {
        return Cow::Borrowed(raw);
    }
    let Ok(list) = SECRETS.read() else {
        return Cow::Borrowed(raw);
    };
    if list.is_empty()
        || !list
            .iter()
            .any(|s| memchr::memmem::find(raw, s.as_bytes()).is_some())
    {
        return Cow::Borrowed(raw);
    }
    let mut out = raw.to_vec();
    for s in list.iter() {
        let needle = s.as_bytes();
        if memchr::memmem::find(&out, needle).is_none() {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut rest = &out[..];
        while let Some(at) = memchr::memmem::find(rest, needle) {
            next.extend_from_slice(&rest[..at]);
            next.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        next.extend_from_slice(rest);
        out = next;
    }
    Cow::Owned(out)
}

/// Whether any secret is registered (a fast check for hot paths).
pub fn any() -> bool {
    ANY.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_replaced_and_short_ones_ignored() {
        register("  tok-unit-test-8472  ");
        register("abc");
        assert_eq!(
            redact("denied: tok-unit-test-8472 is bad; abc"),
            "denied: [redacted] is bad; abc"
        );
        assert_eq!(
            redact_bytes(b"x tok-unit-test-8472 y tok-unit-test-8472").as_ref(),
            b"x [redacted] y [redacted]"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }
}
