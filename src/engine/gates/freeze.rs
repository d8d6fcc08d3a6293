//! Freeze windows: when a team does not deploy. A window is read in its own named time
//! zone, once (`2026-12-24` to `2027-01-02`), weekly (`Fri 15:00` to `Mon 07:00`) or daily
//! (`17:00` to `09:00`); weekly and daily windows may cross midnight and the end of the
//! week. Each occurrence is turned into two instants before comparing, so a window means
//! the same wall-clock hours in summer and in winter, and the day the clocks change is
//! handled by rule rather than by luck:
//! - a wall-clock time the clocks skip (01:30 on the last Sunday of March in London) is
//!   read as that much after the jump (02:30 BST), as java.time does;
//! - a wall-clock time that happens twice (01:30 on the last Sunday of October) starts a
//!   window at its first reading and ends one at its second: a freeze is never shorter
//!   than the hours it names.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::{Gate, Item, Level};

/// One configured window, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct FreezeWindow {
    pub name: String,
    pub tz: Tz,
    pub span: Span,
    /// What the window does to a promotion: block (the default) or warn.
    pub level: Level,
}

/// When a window recurs, in the wall-clock time of its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Once, from one local date-time to another (a date alone `to` means the whole day).
    Dates {
        from: NaiveDateTime,
        to: NaiveDateTime,
    },
    /// Every week, e.g. Friday 15:00 to Monday 07:00.
    Weekly {
        from: (Weekday, NaiveTime),
        to: (Weekday, NaiveTime),
    },
    /// Every day, e.g. 17:00 to 09:00.
    Daily { from: NaiveTime, to: NaiveTime },
}

/// One occurrence of a window, as instants: `start` ≤ t < `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One end of a window as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Weekly(Weekday, NaiveTime),
    Daily(NaiveTime),
}

/// Which end of a window a wall-clock time is, for the day the clocks go back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

impl FreezeWindow {
    /// Parses a window; the error names the key at fault (`from`, `to`, `time_zone`).
    pub fn parse(
        name: &str,
        from: &str,
        to: &str,
        time_zone: &str,
        level: Level,
    ) -> Result<FreezeWindow, (&'static str, String)> {
        let tz: Tz = time_zone.trim().parse().map_err(|_| {
            (
                "time_zone",
                format!("'{time_zone}' is not an IANA time zone name (e.g. \"Europe/London\")"),
            )
        })?;
        let start = parse_point(from).map_err(|m| ("from", m))?;
        let end = parse_point(to).map_err(|m| ("to", m))?;
        let span = match (start, end) {
            (Point::Weekly(fd, ft), Point::Weekly(td, tt)) => {
                if (fd, ft) == (td, tt) {
                    return Err(("to", "must differ from `from`".into()));
                }
                Span::Weekly {
                    from: (fd, ft),
                    to: (td, tt),
                }
            }
            (Point::Daily(f), Point::Daily(t)) => {
                if f == t {
                    return Err(("to", "must differ from `from`".into()));
                }
                Span::Daily { from: f, to: t }
            }
            (
                f @ (Point::Date(_) | Point::DateTime(_)),
                t @ (Point::Date(_) | Point::DateTime(_)),
            ) => {
                let from = match f {
                    Point::Date(d) => d.and_time(NaiveTime::MIN),
                    Point::DateTime(dt) => dt,
                    _ => unreachable!("matched above"),
                };
                // A date alone as the end is inclusive: the freeze lasts through that day.
                let to = match t {
                    Point::Date(d) => d
                        .succ_opt()
                        .ok_or(("to", "is out of range".to_string()))?
                        .and_time(NaiveTime::MIN),
                    Point::DateTime(dt) => dt,
                    _ => unreachable!("matched above"),
                };
                if to <= from {
                    return Err(("to", "must be after `from`".into()));
                }
                Span::Dates { from, to }
            }
            _ => {
                return Err((
                    "to",
                    "must be the same kind as `from`: dates (\"2026-12-24\"), a weekday and time (\"Mon 07:00\") or a time (\"09:00\")".into(),
                ));
            }
        };
        Ok(FreezeWindow {
            name: name.trim().to_string(),
            tz,
            span,
            level,
        })
    }

    /// The occurrence that holds `now`, if any.
    pub fn active_at(&self, now: DateTime<Utc>) -> Option<Occurrence> {
        self.occurrences_around(now)
            .into_iter()
            .filter(|o| o.start <= now && now < o.end)
            .max_by_key(|o| o.end)
    }

    /// The next occurrence that starts after `now` and no later than `within` from now.
    pub fn next_start(&self, now: DateTime<Utc>, within: Duration) -> Option<Occurrence> {
        self.occurrences_around(now)
            .into_iter()
            .filter(|o| o.start > now && o.start - now <= within)
            .min_by_key(|o| o.start)
    }

    /// `Mon 05 Jan 07:00 GMT`: an instant in the window's zone, its abbreviation saying
    /// whether summer time is in force.
    pub fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%a %d %b %H:%M %Z")
            .to_string()
    }

    /// The occurrences that can hold or follow `now`: the one starting this period (week,
    /// day), the one before (it may still run) and the one after.
    fn occurrences_around(&self, now: DateTime<Utc>) -> Vec<Occurrence> {
        let today = now.with_timezone(&self.tz).date_naive();
        let occurrence = |from: NaiveDateTime, to: NaiveDateTime| Occurrence {
            start: resolve(&self.tz, from, Edge::Start),
            end: resolve(&self.tz, to, Edge::End),
        };
        match self.span {
            Span::Dates { from, to } => vec![occurrence(from, to)],
            Span::Weekly {
                from: (fd, ft),
                to: (td, tt),
            } => {
                let back =
                    (today.weekday().num_days_from_monday() + 7 - fd.num_days_from_monday()) % 7;
                let this = today - Duration::days(i64::from(back));
                let mut days = (td.num_days_from_monday() + 7 - fd.num_days_from_monday()) % 7;
                if days == 0 && tt <= ft {
                    days = 7;
                }
                [-7, 0, 7]
                    .iter()
                    .map(|shift| {
                        let start = this + Duration::days(*shift);
                        let end = start + Duration::days(i64::from(days));
                        occurrence(start.and_time(ft), end.and_time(tt))
                    })
                    .collect()
            }
            Span::Daily { from, to } => [-1, 0, 1]
                .iter()
                .map(|shift| {
                    let start = today + Duration::days(*shift);
                    let end = if to > from {
                        start
                    } else {
                        start + Duration::days(1)
                    };
                    occurrence(start.and_time(from), end.and_time(to))
                })
                .collect(),
        }
    }
}

/// A wall-clock time in `tz` as an instant (see the module's rules for the days the
/// clocks change).
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "the time zone is held and passed by reference everywhere else"
)]
fn resolve(tz: &Tz, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => {
            let (first, second) = if a <= b { (a, b) } else { (b, a) };
            match edge {
                Edge::Start => first.with_timezone(&Utc),
                Edge::End => second.with_timezone(&Utc),
            }
        }
        LocalResult::None => {
            // Skipped by the clocks: read with the offset in force before the jump, which
            // lands as far after the jump as the time was after its start. A day before is
            // safely before the jump (transitions are months apart).
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix()
                .local_minus_utc();
            DateTime::from_naive_utc_and_offset(local - Duration::seconds(i64::from(before)), Utc)
        }
    }
}

/// `2026-12-24`, `2026-12-24 15:00`, `Fri 15:00` (or `Friday 15:00`), `15:00`.
fn parse_point(text: &str) -> Result<Point, String> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Point::Date(d));
    }
    for f in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(Point::DateTime(dt));
        }
    }
    let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
    if let Some(tm) = time(t) {
        return Ok(Point::Daily(tm));
    }
    if let Some((day, rest)) = t.split_once(char::is_whitespace)
        && let Ok(wd) = day.parse::<Weekday>()
        && let Some(tm) = time(rest)
    {
        return Ok(Point::Weekly(wd, tm));
    }
    Err(format!(
        "'{t}' is not a date (\"2026-12-24\"), a date and time (\"2026-12-24 15:00\"), a weekday and time (\"Fri 15:00\") or a time (\"17:00\")"
    ))
}

/// The freeze gate: blocks (or warns, per window) inside a window, warns when one starts
/// within `notice`, and says when none is configured rather than passing silently.
pub fn gate(windows: &[FreezeWindow], now: DateTime<Utc>, notice: Duration) -> Item {
    if windows.is_empty() {
        return Item::not_evaluated(Gate::Freeze, Level::Pass, "no freeze windows configured");
    }
    let mut active: Vec<(&FreezeWindow, Occurrence)> = windows
        .iter()
        .filter_map(|w| w.active_at(now).map(|o| (w, o)))
        .collect();
    // The strictest first, then the one lasting longest: that is when deploys may resume.
    active.sort_by(|(a, oa), (b, ob)| b.level.cmp(&a.level).then(ob.end.cmp(&oa.end)));
    if let Some((w, o)) = active.first() {
        let more = match active.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        return Item::new(
            Gate::Freeze,
            w.level,
            format!("'{}' freeze until {}{more}", w.name, w.local(o.end)),
        );
    }
    let soon = windows
        .iter()
        .filter_map(|w| w.next_start(now, notice).map(|o| (w, o)))
        .min_by_key(|(_, o)| o.start);
    if let Some((w, o)) = soon {
        let mins = (o.start - now).num_minutes().max(1);
        return Item::new(
            Gate::Freeze,
            Level::Warn,
            format!(
                "'{}' freeze starts {}, in {mins} min: time enough to finish?",
                w.name,
                w.local(o.start)
            ),
        );
    }
    Item::new(Gate::Freeze, Level::Pass, "no freeze window now")
}

#[cfg(test)]
#[path = "freeze_tests.rs"]
mod tests;
