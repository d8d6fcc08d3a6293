//! Which entries of the journal are one release.
//!
//! The journal holds every release of the service, one after another. The release of a
//! version V is:
//! - from its first promotion (`promote` with `to` = V, onto any environment), back over
//!   the preparation just before it: the announcement of V, approvals, overrides,
//!   refusals and lock entries recorded in the 12 hours before, up to the first entry
//!   about something else;
//! - up to (not including) the first promotion of another version after V's last one,
//!   or the announcement of another release;
//! - leaving out, in between, deployments about neither V nor from V (another version
//!   moving through an earlier environment meanwhile).
//!
//! Without a version, the release is the newest one: the version of the newest
//! promotion. `--since` keeps only what was recorded from then on; given alone, it
//! takes everything since then, whatever the versions.

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::Scope;
use crate::journal::{Act, Entry};

/// How long before a release's first promotion its preparation may have been recorded.
const PREPARATION_HOURS: i64 = 12;

/// The entries of one release, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub version: Option<String>,
    pub entries: Vec<Entry>,
    /// Which entries these are, in words, for the report's footer.
    pub describe: String,
}

/// Whether two versions are the same: equal, or for commit ids one a prefix of the other
/// (the journal keeps full ids, announcements short ones, users type either).
pub fn same_version(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let hex = |s: &str| s.len() >= 4 && s.chars().all(|c| c.is_ascii_hexdigit());
    if !(hex(a) && hex(b)) {
        return false;
    }
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a.starts_with(&b) || b.starts_with(&a)
}

/// The entry names `v` as where it went (announcements list several, comma-separated).
fn names_to(e: &Entry, v: &str) -> bool {
    e.to.as_deref()
        .is_some_and(|to| to.split(',').any(|t| same_version(t, v)))
}

fn names(e: &Entry, v: &str) -> bool {
    names_to(e, v) || e.from.as_deref().is_some_and(|f| same_version(f, v))
}

/// Entries that move a version, or report on one.
fn is_transfer(e: &Entry) -> bool {
    matches!(
        Act::parse(&e.action),
        Some(
            Act::Promote
                | Act::Rollback
                | Act::DeployStarted
                | Act::DeployFinished
                | Act::Observed
                | Act::Flag
        )
    )
}

/// What is recorded while a release is prepared, before its first promotion.
fn is_preparation(e: &Entry) -> bool {
    matches!(
        Act::parse(&e.action),
        Some(
            Act::Announce
                | Act::Approve
                | Act::Override
                | Act::Refused
                | Act::LockStolen
                | Act::LockTakenOver
        )
    )
}

/// The next release announced: a release message about other versions.
fn announces_another(e: &Entry, v: &str) -> bool {
    e.is(Act::Announce)
        && e.to.is_some()
        && !names_to(e, v)
        && e.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("release"))
}

/// Picks the release `scope` asks for out of `entries` (oldest first).
pub fn select(entries: &[Entry], scope: &Scope) -> Result<Window, String> {
    let since_ok = |e: &Entry| scope.since.is_none_or(|s| e.at >= s);
    let promotes = || entries.iter().filter(|e| e.is(Act::Promote));
    let version = match &scope.release {
        Some(typed) => {
            let mut found: Vec<&str> = Vec::new();
            for to in promotes()
                .filter(|e| names_to(e, typed))
                .filter_map(|e| e.to.as_deref())
            {
                if !found.contains(&to) {
                    found.push(to);
                }
            }
            match found.as_slice() {
                [] => {
                    return Err(format!(
                        "no promotion of {typed} in the journal{}",
                        recent_versions(entries)
                    ));
                }
                [one] => one.to_string(),
                many => {
                    return Err(format!(
                        "{typed} names more than one version: {}",
                        many.join(", ")
                    ));
                }
            }
        }
        None if scope.since.is_some() => {
            let taken: Vec<Entry> = entries.iter().filter(|e| since_ok(e)).cloned().collect();
            let version = taken
                .iter()
                .rev()
                .find(|e| e.is(Act::Promote))
                .and_then(|e| e.to.clone());
            let since = scope
                .since
                .map(|s| s.format("%Y-%m-%d %H:%M UTC").to_string());
            return Ok(Window {
                version,
                entries: taken,
                describe: format!("everything recorded since {}", since.unwrap_or_default()),
            });
        }
        None => match promotes().next_back().and_then(|e| e.to.clone()) {
            Some(v) => v,
            None => return Err("no promotion recorded yet".into()),
        },
    };
    let v = version.as_str();
    let is_ours = |e: &Entry| e.is(Act::Promote) && names_to(e, v);
    let (Some(first), Some(last)) = (
        entries.iter().position(is_ours),
        entries.iter().rposition(is_ours),
    ) else {
        return Err(format!(
            "no promotion of {} in the journal",
            super::short(v)
        ));
    };
    let mut start = first;
    let horizon = entries[first].at - Duration::hours(PREPARATION_HOURS);
    while start > 0 {
        let e = &entries[start - 1];
        let ours = e.to.is_none() || names_to(e, v);
        if !is_preparation(e) || !ours || e.at < horizon {
            break;
        }
        start -= 1;
    }
    let end = entries[last + 1..]
        .iter()
        .position(|e| (e.is(Act::Promote) && !names_to(e, v)) || announces_another(e, v))
        .map_or(entries.len(), |i| last + 1 + i);
    let taken: Vec<Entry> = entries[start..end]
        .iter()
        .filter(|e| since_ok(e))
        // Another version moving meanwhile (through an earlier environment) is not this
        // release; entries without versions (smoke, abort, a failed start) are.
        .filter(|e| !is_transfer(e) || (e.from.is_none() && e.to.is_none()) || names(e, v))
        .cloned()
        .collect();
    let mut describe = format!(
        "the release of {} (from its first promotion, with what prepared it, to the next release)",
        super::short(v)
    );
    if let Some(s) = scope.since {
        describe.push_str(&format!(
            ", recorded since {}",
            s.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    Ok(Window {
        version: Some(version.clone()),
        entries: taken,
        describe,
    })
}

/// `; recent releases: 9be77d1, 3f2a1c4` for an error message, newest first.
fn recent_versions(entries: &[Entry]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for to in entries
        .iter()
        .rev()
        .filter(|e| e.is(Act::Promote))
        .filter_map(|e| e.to.as_deref())
    {
        if !seen.contains(&to) {
            seen.push(to);
        }
        if seen.len() == 5 {
            break;
        }
    }
    if seen.is_empty() {
        return String::new();
    }
    let shorts: Vec<&str> = seen.iter().map(|v| super::short(v)).collect();
    format!("; recent releases: {}", shorts.join(", "))
}

/// `--since`: RFC 3339, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (local time), or an age
/// (`90m`, `6h`, `2d`).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Some((n, unit)) = t
        .find(|c: char| !c.is_ascii_digit())
        .filter(|&i| i > 0)
        .map(|i| t.split_at(i))
        && let Ok(n) = n.parse::<i64>()
    {
        let secs = match unit {
            "s" => Some(1),
            "m" => Some(60),
            "h" => Some(3600),
            "d" => Some(86_400),
            _ => None,
        };
        if let Some(secs) = secs {
            return n
                .checked_mul(secs)
                .and_then(Duration::try_seconds)
                .and_then(|d| now.checked_sub_signed(d))
                .ok_or_else(|| format!("--since {t}: too far back"));
        }
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|l| l.with_timezone(&Utc))
            .ok_or_else(|| format!("--since {t}: no such local time"))
    };
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
            return local(naive);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(midnight) = day.and_hms_opt(0, 0, 0)
    {
        return local(midnight);
    }
    Err(format!(
        "--since {t}: give a time (2026-11-22 12:00, 2026-11-22, RFC 3339) or an age (90m, 6h, 2d)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(mins: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .unwrap()
            + Duration::minutes(mins)
    }

    fn e(mins: i64, action: &str, versions: Option<(&str, &str)>) -> Entry {
        let mut e =
            Entry::new(crate::journal::Act::parse(action).expect("a journal word")).stack("sally");
        e.at = at(mins);
        if let Some((f, t)) = versions {
            e = e.versions(f, t);
        }
        e
    }

    const OLD: &str = "1111111111111111111111111111111111111111";
    const V: &str = "2222222222222222222222222222222222222222";
    const NEXT: &str = "3333333333333333333333333333333333333333";

    fn journal() -> Vec<Entry> {
        vec![
            e(0, "promote", Some(("0000000000000000", OLD))),
            e(1, "deploy_finished", Some(("0000000000000000", OLD))),
            e(2, "smoke", None),
            // The release of V: announced, an override, then promoted and rolled back.
            e(60, "announce", Some(("1111111", "2222222"))).detail("release message sent to chat"),
            e(61, "override", None).detail("friday, agreed with the lead"),
            e(62, "promote", Some((OLD, V))),
            e(63, "deploy_started", Some((OLD, V))),
            e(64, "deploy_finished", Some((OLD, V))),
            e(65, "smoke", None),
            e(66, "rollback", Some((V, OLD))),
            e(67, "deploy_finished", Some((V, OLD))),
            // The next release.
            e(200, "announce", Some(("1111111", "3333333"))).detail("release message sent to chat"),
            e(201, "promote", Some((OLD, NEXT))),
        ]
    }

    fn actions(w: &Window) -> Vec<(i64, String)> {
        w.entries
            .iter()
            .map(|e| ((e.at - at(0)).num_minutes(), e.action.clone()))
            .collect()
    }

    #[test]
    fn a_release_runs_from_its_preparation_to_the_next_release() {
        let j = journal();
        let scope = Scope {
            release: Some("2222222".into()),
            since: None,
        };
        let w = select(&j, &scope).unwrap();
        assert_eq!(w.version.as_deref(), Some(V));
        let mins: Vec<i64> = actions(&w).into_iter().map(|(m, _)| m).collect();
        assert_eq!(mins, [60, 61, 62, 63, 64, 65, 66, 67]);
    }

    #[test]
    fn the_newest_release_by_default_and_since_alone_takes_everything() {
        let j = journal();
        let w = select(&j, &Scope::default()).unwrap();
        assert_eq!(w.version.as_deref(), Some(NEXT));
        assert_eq!(
            actions(&w),
            [(200, "announce".into()), (201, "promote".into())]
        );
        let w = select(
            &j,
            &Scope {
                release: None,
                since: Some(at(65)),
            },
        )
        .unwrap();
        assert_eq!(w.entries.len(), 5);
        assert_eq!(w.version.as_deref(), Some(NEXT));
    }

    #[test]
    fn another_version_moving_meanwhile_is_left_out() {
        let mut j = journal();
        // A newer version reaches staging between V's two promotions.
        let mut staging = e(63, "promote", Some((OLD, NEXT))).env("staging");
        staging.stack = Some("www".into());
        j.insert(6, staging);
        j.insert(
            7,
            e(63, "deploy_finished", Some((OLD, NEXT))).env("staging"),
        );
        j.insert(8, e(63, "promote", Some((OLD, V))).env("live"));
        let w = select(
            &j,
            &Scope {
                release: Some(V[..10].into()),
                since: None,
            },
        )
        .unwrap();
        assert!(
            w.entries.iter().all(|e| e.to.as_deref() != Some(NEXT)),
            "{:#?}",
            w.entries
        );
        assert_eq!(w.entries.iter().filter(|e| e.is(Act::Promote)).count(), 2);
    }

    #[test]
    fn unknown_and_ambiguous_versions_are_explained() {
        let j = journal();
        let err = select(
            &j,
            &Scope {
                release: Some("abcdef0".into()),
                since: None,
            },
        )
        .unwrap_err();
        assert!(err.contains("no promotion of abcdef0"), "{err}");
        assert!(
            err.contains("recent releases: 3333333, 2222222, 1111111"),
            "{err}"
        );
        assert_eq!(
            select(&[], &Scope::default()).unwrap_err(),
            "no promotion recorded yet"
        );
        assert!(same_version("9be77d1", "9BE77D1c0ffee"));
        assert!(!same_version("v1.4", "v1.41.0"), "tags are compared whole");
    }

    #[test]
    fn since_reads_times_dates_and_ages() {
        let now = at(0);
        assert_eq!(
            parse_since("90m", now).unwrap(),
            now - Duration::minutes(90)
        );
        assert_eq!(parse_since("2d", now).unwrap(), now - Duration::days(2));
        assert_eq!(
            parse_since("2026-11-22T09:00:00Z", now).unwrap(),
            now - Duration::hours(1)
        );
        assert!(parse_since("2026-11-21 08:30", now).is_ok());
        assert!(parse_since("2026-11-21", now).is_ok());
        let err = parse_since("yesterday", now).unwrap_err();
        assert!(err.contains("90m"), "{err}");
    }
}
