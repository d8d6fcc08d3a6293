//! How old what the platform last said is: each stack's versions carry the time of the
//! last good read and the last failed one, and front ends judge them against a clock they
//! are handed (so a rendering is the same in tests and on screen). Plain data, no I/O.

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use super::release::StackRelease;

/// Versions older than this many rounds of reads are stale even without an error (a read
/// that hangs until its timeout, a refresh loop that stopped).
pub const STALE_ROUNDS: u64 = 3;

/// A versions read that failed: when, and the platform's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadError {
    pub at: DateTime<Utc>,
    pub message: String,
}

/// What a stack's versions are worth now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Read recently and the last read succeeded.
    Fresh,
    /// Not read yet, and no read failed: the first answer is awaited.
    Reading,
    /// Never read successfully; the last read failed.
    Unknown { error: ReadError },
    /// Known once, at `known_at`; since then reads failed (`error`) or none came back.
    Stale {
        known_at: DateTime<Utc>,
        error: Option<ReadError>,
    },
}

impl Freshness {
    /// Shown as current (a live badge, a Promote button) only when fresh.
    pub fn is_current(&self) -> bool {
        matches!(self, Freshness::Fresh)
    }

    /// The platform's words when the last read failed.
    pub fn error(&self) -> Option<&ReadError> {
        match self {
            Freshness::Unknown { error } => Some(error),
            Freshness::Stale { error, .. } => error.as_ref(),
            Freshness::Fresh | Freshness::Reading => None,
        }
    }
}

/// How fresh `stack`'s versions are at `now`, given versions older than `stale_after`
/// seconds count as stale (0: only a failed read makes them stale).
pub fn freshness(stack: &StackRelease, now: DateTime<Utc>, stale_after: u64) -> Freshness {
    let failed_last = stack
        .read_error
        .as_ref()
        .filter(|e| stack.read_at.is_none_or(|ok| e.at >= ok));
    match (stack.versions.as_ref(), stack.read_at) {
        (None, _) => match failed_last {
            Some(e) => Freshness::Unknown { error: e.clone() },
            None => Freshness::Reading,
        },
        // Versions from elsewhere than a read (a test's board): as good as their source.
        (Some(_), None) => match failed_last {
            Some(e) => Freshness::Unknown { error: e.clone() },
            None => Freshness::Fresh,
        },
        (Some(_), Some(known_at)) => {
            let limit = i64::try_from(stale_after).unwrap_or(i64::MAX);
            let old = stale_after > 0 && (now - known_at).num_seconds() > limit;
            if failed_last.is_some() || old {
                Freshness::Stale {
                    known_at,
                    error: failed_last.cloned(),
                }
            } else {
                Freshness::Fresh
            }
        }
    }
}

/// `45s ago`, `2m ago`, `1h 5m ago`, `3d ago`: how long before `now` `then` was.
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => match (secs % 3600) / 60 {
            0 => format!("{}h ago", secs / 3600),
            m => format!("{}h {m}m ago", secs / 3600),
        },
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// `16:02 (2m ago)`: the local time of day and the age, for "last known …" texts.
pub fn at_and_ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        then.with_timezone(&Local).format("%H:%M"),
        ago(then, now)
    )
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::model::{StackId, StackVersions, Version};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn stack(read_at: Option<i64>, error_at: Option<i64>) -> StackRelease {
        let mut s = StackRelease::new(StackId::new("www"), "WWW");
        if let Some(secs) = read_at {
            s.versions = Some(StackVersions::pair(
                Version::new("a1"),
                Version::new("b2"),
                None,
            ));
            s.read_at = Some(t0() + Duration::seconds(secs));
        }
        s.read_error = error_at.map(|secs| ReadError {
            at: t0() + Duration::seconds(secs),
            message: "connection refused".into(),
        });
        s
    }

    #[test]
    fn ages_read_as_a_person_would_say_them() {
        let at = |secs| ago(t0(), t0() + Duration::seconds(secs));
        assert_eq!(at(0), "0s ago");
        assert_eq!(at(59), "59s ago");
        assert_eq!(at(60), "1m ago");
        assert_eq!(at(150), "2m ago");
        assert_eq!(at(3600), "1h ago");
        assert_eq!(at(3900), "1h 5m ago");
        assert_eq!(at(2 * 86_400 + 5), "2d ago");
        // A clock behind the data never says "-5s".
        assert_eq!(at(-5), "0s ago");
        let local = t0().with_timezone(&Local).format("%H:%M").to_string();
        assert_eq!(
            at_and_ago(t0(), t0() + Duration::seconds(130)),
            format!("{local} (2m ago)")
        );
    }

    #[test]
    fn a_failed_read_makes_known_versions_stale_at_once_and_a_good_one_fresh_again() {
        let now = t0() + Duration::seconds(20);
        assert_eq!(freshness(&stack(Some(0), None), now, 45), Freshness::Fresh);
        let failed = freshness(&stack(Some(0), Some(15)), now, 45);
        assert!(!failed.is_current());
        assert_eq!(
            failed,
            Freshness::Stale {
                known_at: t0(),
                error: Some(ReadError {
                    at: t0() + Duration::seconds(15),
                    message: "connection refused".into()
                })
            }
        );
        // An older failure does not count once a read succeeded after it.
        assert_eq!(
            freshness(&stack(Some(15), Some(0)), now, 45),
            Freshness::Fresh
        );
    }

    #[test]
    fn versions_older_than_the_limit_are_stale_without_any_error() {
        let s = stack(Some(0), None);
        assert!(freshness(&s, t0() + Duration::seconds(45), 45).is_current());
        assert_eq!(
            freshness(&s, t0() + Duration::seconds(46), 45),
            Freshness::Stale {
                known_at: t0(),
                error: None
            }
        );
        // No limit: only errors make them stale.
        assert!(freshness(&s, t0() + Duration::days(9), 0).is_current());
    }

    #[test]
    fn never_read_is_reading_until_a_read_fails_then_unknown() {
        assert_eq!(freshness(&stack(None, None), t0(), 45), Freshness::Reading);
        assert!(matches!(
            freshness(&stack(None, Some(3)), t0(), 45),
            Freshness::Unknown { .. }
        ));
    }
}
