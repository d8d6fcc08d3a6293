//! Freeze-window arithmetic: zones, the two DST changes of Europe/London (last Sunday of
//! March and of October; in 2026 the 29th and the 25th), windows across midnight and the
//! end of the week.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid UTC time")
}

fn window(from: &str, to: &str, tz: &str) -> FreezeWindow {
    FreezeWindow::parse("w", from, to, tz, Level::Block).unwrap_or_else(|e| panic!("{e:?}"))
}

fn active(w: &FreezeWindow, t: DateTime<Utc>) -> bool {
    w.active_at(t).is_some()
}

#[test]
fn the_weekend_freeze_is_friday_three_pm_london_time_in_winter_and_in_summer() {
    let w = window("Fri 15:00", "Mon 07:00", "Europe/London");
    // Winter (GMT = UTC): Friday 16 January 2026.
    assert!(!active(&w, utc(2026, 1, 16, 14, 59)));
    assert!(active(&w, utc(2026, 1, 16, 15, 0)));
    assert!(active(&w, utc(2026, 1, 18, 12, 0)), "all Sunday");
    assert!(active(&w, utc(2026, 1, 19, 6, 59)));
    assert!(!active(&w, utc(2026, 1, 19, 7, 0)));
    // Summer (BST = UTC+1): Friday 3 July 2026, 15:00 in London is 14:00 UTC.
    assert!(!active(&w, utc(2026, 7, 3, 13, 59)));
    assert!(active(&w, utc(2026, 7, 3, 14, 0)));
    assert!(active(&w, utc(2026, 7, 6, 5, 59)));
    assert!(!active(&w, utc(2026, 7, 6, 6, 0)));
    // Midweek: open.
    assert!(!active(&w, utc(2026, 7, 8, 12, 0)));
}

#[test]
fn a_weekend_across_the_march_change_starts_in_gmt_and_ends_in_bst() {
    // Fri 27 March 15:00 GMT … clocks go forward Sun 29 March 01:00 UTC … Mon 30 March
    // 07:00 BST, which is 06:00 UTC.
    let w = window("Fri 15:00", "Mon 07:00", "Europe/London");
    assert!(!active(&w, utc(2026, 3, 27, 14, 59)));
    assert!(active(&w, utc(2026, 3, 27, 15, 0)));
    let o = w.active_at(utc(2026, 3, 29, 3, 0)).expect("in the window");
    assert_eq!(o.start, utc(2026, 3, 27, 15, 0));
    assert_eq!(o.end, utc(2026, 3, 30, 6, 0));
    assert!(active(&w, utc(2026, 3, 30, 5, 59)));
    assert!(!active(&w, utc(2026, 3, 30, 6, 0)));
    assert_eq!(w.local(o.end), "Mon 30 Mar 07:00 BST");
}

#[test]
fn a_weekend_across_the_october_change_starts_in_bst_and_ends_in_gmt() {
    // Fri 23 October 15:00 BST is 14:00 UTC; Mon 26 October 07:00 GMT is 07:00 UTC.
    let w = window("Fri 15:00", "Mon 07:00", "Europe/London");
    let o = w
        .active_at(utc(2026, 10, 25, 12, 0))
        .expect("in the window");
    assert_eq!(o.start, utc(2026, 10, 23, 14, 0));
    assert_eq!(o.end, utc(2026, 10, 26, 7, 0));
    assert!(!active(&w, utc(2026, 10, 23, 13, 59)));
    assert!(active(&w, utc(2026, 10, 26, 6, 59)));
    assert!(!active(&w, utc(2026, 10, 26, 7, 0)));
}

#[test]
fn a_time_the_clocks_skip_is_read_as_that_much_after_the_jump() {
    // 01:30 on Sunday 29 March 2026 does not exist in London (01:00 GMT → 02:00 BST):
    // it is read as 02:30 BST, 01:30 UTC.
    let w = window("Sun 01:30", "Sun 04:00", "Europe/London");
    assert!(!active(&w, utc(2026, 3, 29, 1, 29)));
    assert!(active(&w, utc(2026, 3, 29, 1, 30)));
    // 04:00 BST is 03:00 UTC.
    assert!(active(&w, utc(2026, 3, 29, 2, 59)));
    assert!(!active(&w, utc(2026, 3, 29, 3, 0)));
}

#[test]
fn a_time_that_happens_twice_starts_at_its_first_and_ends_at_its_second() {
    // On Sunday 25 October 2026 London's 01:00–02:00 happens twice: 00:00–01:00 UTC (BST)
    // and 01:00–02:00 UTC (GMT).
    let ends = window("Sat 22:00", "Sun 01:30", "Europe/London");
    // Sat 22:00 BST = 21:00 UTC; ends at the second 01:30, 01:30 UTC.
    assert!(active(&ends, utc(2026, 10, 24, 21, 0)));
    assert!(
        active(&ends, utc(2026, 10, 25, 0, 45)),
        "00:45 UTC, the first 01:45 (BST), is inside"
    );
    assert!(
        active(&ends, utc(2026, 10, 25, 1, 15)),
        "the second 01:15 is inside"
    );
    assert!(!active(&ends, utc(2026, 10, 25, 1, 30)));
    let starts = window("Sun 01:30", "Sun 04:00", "Europe/London");
    // Starts at the first 01:30, 00:30 UTC.
    assert!(!active(&starts, utc(2026, 10, 25, 0, 29)));
    assert!(active(&starts, utc(2026, 10, 25, 0, 30)));
    assert!(active(&starts, utc(2026, 10, 25, 3, 59)));
    assert!(!active(&starts, utc(2026, 10, 25, 4, 0)));
}

#[test]
fn windows_cross_midnight_and_the_end_of_the_week() {
    // Sunday 22:00 to Monday 02:00: across the week's end (the week starts on Monday).
    let w = window("Sun 22:00", "Mon 02:00", "UTC");
    assert!(active(&w, utc(2026, 5, 3, 23, 0)), "Sunday night");
    assert!(active(&w, utc(2026, 5, 4, 1, 59)), "Monday small hours");
    assert!(!active(&w, utc(2026, 5, 4, 2, 0)));
    assert!(!active(&w, utc(2026, 5, 3, 21, 59)));
    // A daily window across midnight, New York time (EDT in May: UTC-4).
    let night = window("17:00", "09:00", "America/New_York");
    assert!(!active(&night, utc(2026, 5, 5, 20, 59)), "16:59 EDT");
    assert!(active(&night, utc(2026, 5, 5, 21, 0)), "17:00 EDT");
    assert!(active(&night, utc(2026, 5, 6, 3, 0)), "23:00 EDT");
    assert!(
        active(&night, utc(2026, 5, 6, 12, 59)),
        "08:59 EDT next day"
    );
    assert!(!active(&night, utc(2026, 5, 6, 13, 0)), "09:00 EDT");
    // A daily window within a day.
    let lunch = window("12:00", "13:00", "Europe/Paris");
    assert!(active(&lunch, utc(2026, 1, 7, 11, 30)), "12:30 CET");
    assert!(!active(&lunch, utc(2026, 1, 7, 12, 0)), "13:00 CET");
    // Almost a whole week: from Friday 15:00 to Friday 14:00 the week after.
    let long = window("Fri 15:00", "Fri 14:00", "UTC");
    assert!(
        active(&long, utc(2026, 5, 8, 13, 0)),
        "Friday 13:00 is still in"
    );
    assert!(!active(&long, utc(2026, 5, 8, 14, 30)), "the hour between");
    assert!(active(&long, utc(2026, 5, 8, 15, 0)));
}

#[test]
fn dates_are_whole_days_in_the_zone() {
    let w = window("2026-12-24", "2027-01-02", "Europe/London");
    assert!(!active(&w, utc(2026, 12, 23, 23, 59)));
    assert!(active(&w, utc(2026, 12, 24, 0, 0)));
    assert!(active(&w, utc(2027, 1, 2, 23, 59)), "through the last day");
    assert!(!active(&w, utc(2027, 1, 3, 0, 0)));
    // Sydney is UTC+11 in December: its Christmas Eve starts at 13:00 UTC the day before.
    let sydney = window("2026-12-24", "2027-01-02", "Australia/Sydney");
    assert!(!active(&sydney, utc(2026, 12, 23, 12, 59)));
    assert!(active(&sydney, utc(2026, 12, 23, 13, 0)));
    // A date and time.
    let evening = window("2026-11-27 17:30", "2026-11-28 09:00", "Europe/London");
    assert!(active(&evening, utc(2026, 11, 27, 17, 30)));
    assert!(!active(&evening, utc(2026, 11, 28, 9, 0)));
}

#[test]
fn bad_windows_name_the_key_at_fault() {
    let err = |from: &str, to: &str, tz: &str| {
        FreezeWindow::parse("w", from, to, tz, Level::Block).expect_err("refused")
    };
    assert_eq!(err("Fri 15:00", "Mon 07:00", "Europe/Londn").0, "time_zone");
    assert_eq!(err("Fri 15:00", "2027-01-02", "UTC").0, "to");
    assert_eq!(err("Fri 15:00", "Fri 15:00", "UTC").0, "to");
    assert_eq!(err("2027-01-02", "2026-12-24", "UTC").0, "to");
    assert_eq!(err("Friday at three", "Mon 07:00", "UTC").0, "from");
    assert_eq!(err("25:00", "09:00", "UTC").0, "from");
    // Long weekday names and any case are fine.
    assert!(FreezeWindow::parse("w", "friday 15:00", "MONDAY 07:00", "UTC", Level::Warn).is_ok());
}

#[test]
fn the_gate_blocks_inside_warns_before_and_says_when_nothing_is_configured() {
    let notice = Duration::minutes(60);
    let none = gate(&[], utc(2026, 1, 16, 15, 0), notice);
    assert_eq!((none.level, none.evaluated), (Level::Pass, false));
    assert!(none.reason.starts_with("not evaluated: no freeze windows"));

    let weekend = window("Fri 15:00", "Mon 07:00", "Europe/London");
    let inside = gate(
        std::slice::from_ref(&weekend),
        utc(2026, 3, 28, 10, 0),
        notice,
    );
    assert_eq!(inside.level, Level::Block);
    assert_eq!(inside.reason, "'w' freeze until Mon 30 Mar 07:00 BST");

    let before = gate(
        std::slice::from_ref(&weekend),
        utc(2026, 3, 27, 14, 20),
        notice,
    );
    assert_eq!(before.level, Level::Warn);
    assert!(
        before
            .reason
            .contains("starts Fri 27 Mar 15:00 GMT, in 40 min"),
        "{}",
        before.reason
    );

    let far = gate(
        std::slice::from_ref(&weekend),
        utc(2026, 3, 25, 9, 0),
        notice,
    );
    assert_eq!((far.level, far.evaluated), (Level::Pass, true));

    // A window set to warn only; the strictest active window wins.
    let friday = FreezeWindow::parse(
        "friday",
        "Fri 12:00",
        "Fri 23:59",
        "Europe/London",
        Level::Warn,
    )
    .expect("parses");
    let warn_only = gate(
        std::slice::from_ref(&friday),
        utc(2026, 1, 16, 13, 0),
        notice,
    );
    assert_eq!(warn_only.level, Level::Warn);
    let both = gate(&[friday, weekend], utc(2026, 1, 16, 16, 0), notice);
    assert_eq!(both.level, Level::Block);
    assert!(both.reason.starts_with("'w' freeze until") && both.reason.ends_with("(+1 more)"));
}
