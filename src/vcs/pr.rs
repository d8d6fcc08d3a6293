//! Pull/merge request numbers from the subjects and bodies hosting services write.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrKind {
    /// GitHub, Gitea, Bitbucket: `#1234`.
    Pull,
    /// GitLab: `!123`.
    Merge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrRef {
    pub number: u32,
    pub kind: PrKind,
}

impl std::fmt::Display for PrRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PrKind::Pull => write!(f, "#{}", self.number),
            PrKind::Merge => write!(f, "!{}", self.number),
        }
    }
}

/// Recognises `Merge pull request #12 from …`, squash subjects ending `(#12)`,
/// `Merged in branch (pull request #12)` and GitLab's `See merge request group/repo!12`.
pub fn parse(subject: &str, body: &str) -> Option<PrRef> {
    let pull = |n| {
        Some(PrRef {
            number: n,
            kind: PrKind::Pull,
        })
    };
    // Most commits name no PR: one scan for the characters every form needs.
    if memchr::memchr2(b'#', b'!', subject.as_bytes()).is_none()
        && memchr::memchr(b'!', body.as_bytes()).is_none()
    {
        return None;
    }
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        return leading_number(rest).and_then(pull);
    }
    if let Some(i) = subject.find("(pull request #") {
        return leading_number(&subject[i + "(pull request #".len()..]).and_then(pull);
    }
    let trimmed = subject.trim_end();
    if let Some(inner) = trimmed.strip_suffix(')')
        && let Some(i) = inner.rfind("(#")
    {
        let digits = &inner[i + 2..];
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return digits.parse().ok().and_then(pull);
        }
    }
    for line in body.lines() {
        if let Some(i) = line.find("See merge request ")
            && let Some(bang) = line[i..].rfind('!')
        {
            return leading_number(&line[i + bang + 1..]).map(|n| PrRef {
                number: n,
                kind: PrKind::Merge,
            });
        }
    }
    None
}

fn leading_number(s: &str) -> Option<u32> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    s[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(subject: &str, body: &str) -> Option<String> {
        parse(subject, body).map(|p| p.to_string())
    }

    #[test]
    fn recognises_the_common_forms() {
        assert_eq!(
            n("Merge pull request #1234 from alice/fix-cache", ""),
            Some("#1234".into())
        );
        assert_eq!(
            n("Fix cache key for personalised pages (#1230)", ""),
            Some("#1230".into())
        );
        assert_eq!(
            n("Merged in feature/x (pull request #77)", ""),
            Some("#77".into())
        );
        assert_eq!(
            n(
                "Merge branch 'routes' into 'main'",
                "Add routes\n\nSee merge request news/belfrage!321"
            ),
            Some("!321".into())
        );
    }

    #[test]
    fn ignores_look_alikes() {
        assert_eq!(n("Bump retries (#)", ""), None);
        assert_eq!(n("Handle issue #12 in parser", ""), None);
        assert_eq!(n("Release (#12a)", ""), None);
        assert_eq!(n("Plain commit", ""), None);
    }
}
