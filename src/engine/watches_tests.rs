use chrono::TimeZone;

use super::*;

fn t(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::seconds(s)
}

fn v(s: &str) -> Version {
    Version::new(s)
}

fn sally() -> StackId {
    StackId::new("sally")
}

fn watches() -> Watches {
    Watches::new(Duration::minutes(30))
}

fn entry(action: &str, at: i64, from: &str, to: &str) -> Entry {
    let mut e = Entry::new(crate::journal::Act::parse(action).expect("a journal word"))
        .stack("sally")
        .versions(from, to);
    e.at = t(at);
    e.user = "alice".into();
    e.host = "web-3".into();
    e
}

fn finished(at: i64, from: &str, to: &str) -> Entry {
    entry("deploy_finished", at, from, to).outcome("succeeded")
}

#[test]
fn a_change_made_elsewhere_starts_a_watch_and_the_journal_names_who() {
    let mut w = watches();
    assert_eq!(w.observed(&sally(), &v("old"), t(0)), Seen::First);
    assert_eq!(w.observed(&sally(), &v("old"), t(5)), Seen::Same);
    assert!(
        w.get(&sally()).is_none(),
        "nothing changed, nothing watched"
    );
    let seen = w.observed(&sally(), &v("new"), t(10));
    assert_eq!(
        seen,
        Seen::Outside {
            from: v("old"),
            to: v("new")
        }
    );
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.cause, WatchCause::Outside);
    assert_eq!(
        watch.baseline_until,
        t(5),
        "the old version was last seen then"
    );
    assert_eq!(watch.traffic_since, Some(t(10)));
    assert_eq!(watch.describe(), "changed outside slipway");
    // The CLI journaled it: promoted at 2 s, finished at 8 s.
    w.journal(
        &[entry("promote", 2, "old", "new"), finished(8, "old", "new")],
        t(11),
    );
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.describe(), "promoted by alice@web-3");
    assert_eq!(watch.baseline_until, t(2));
    assert_eq!(watch.traffic_since, Some(t(8)));
    // The feed sees all of it.
    assert_eq!(w.subscribe().borrow().watches.get(&sally()), Some(&watch));
}

#[test]
fn the_control_group_is_the_stacks_still_on_the_old_version() {
    let mut w = watches();
    for s in ["www", "cedric", "sally", "bruce"] {
        w.observed(&StackId::new(s), &v("old"), t(0));
    }
    w.observed(&StackId::new("www"), &v("new"), t(10));
    w.observed(&StackId::new("cedric"), &v("new"), t(20));
    w.observed(&sally(), &v("new"), t(30));
    let view = w.view().clone();
    let (old, stack) = (v("old"), sally());
    let controls: Vec<&StackId> = view.running(&old, &stack).collect();
    assert_eq!(controls, vec![&StackId::new("bruce")]);
}

#[test]
fn our_own_promotion_rolls_out_then_takes_traffic() {
    let mut w = watches();
    w.observed(&sally(), &v("old"), t(0));
    w.promotion_started(&sally(), &v("old"), &v("new"), "me@here".into(), t(10));
    w.progress(&sally(), Some(0.62));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.traffic_since, None, "no verdict while it rolls out");
    assert_eq!(watch.rollout.and_then(|r| r.progress), Some(0.62));
    w.deploy_finished(&sally(), true, t(40));
    assert_eq!(w.observed(&sally(), &v("new"), t(45)), Seen::Expected);
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.traffic_since, Some(t(40)));
    assert_eq!(watch.baseline_until, t(10));
    assert!(watch.rollout.is_none());
}

#[test]
fn an_aborted_promotion_leaves_nothing_to_watch() {
    let mut w = watches();
    w.observed(&sally(), &v("old"), t(0));
    w.promotion_started(&sally(), &v("old"), &v("new"), "me@here".into(), t(10));
    w.deploy_finished(&sally(), false, t(20));
    assert!(w.get(&sally()).is_none());
}

#[test]
fn a_rollback_keeps_the_baseline_of_the_release_it_undoes() {
    let mut w = watches();
    w.observed(&sally(), &v("old"), t(0));
    w.promotion_started(&sally(), &v("old"), &v("bad"), "me@here".into(), t(10));
    w.deploy_finished(&sally(), true, t(40));
    w.rollback_started(&sally(), &v("bad"), &v("old"), "me@here".into(), t(100));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.baseline_until, t(10));
    assert_eq!(watch.cause, WatchCause::Rollback);
    assert!(watch.rollout.is_some_and(|r| r.rolling_back));
    assert_eq!(watch.traffic_since, None);
    // The rollback fails: the bad release is what serves, as before.
    w.deploy_finished(&sally(), false, t(110));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.now, v("bad"));
    assert_eq!(watch.traffic_since, Some(t(40)));
    // Again, and it lands.
    w.rollback_started(&sally(), &v("bad"), &v("old"), "me@here".into(), t(120));
    w.deploy_finished(&sally(), true, t(150));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(
        (watch.baseline_until, watch.traffic_since),
        (t(10), Some(t(150)))
    );
    assert_eq!(watch.now, v("old"));
}

#[test]
fn a_rollback_made_elsewhere_is_judged_as_one() {
    let mut w = watches();
    w.observed(&sally(), &v("old"), t(0));
    w.observed(&sally(), &v("bad"), t(10));
    let seen = w.observed(&sally(), &v("old"), t(60));
    assert!(matches!(seen, Seen::Outside { .. }));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.cause, WatchCause::Rollback);
    assert_eq!(watch.baseline_until, t(0), "the same healthy period");
    assert_eq!(watch.traffic_since, Some(t(60)));
}

#[test]
fn a_restart_picks_up_the_change_the_journal_recorded() {
    let journal = [
        entry("promote", 100, "old", "new"),
        finished(130, "old", "new"),
    ];
    let mut w = watches();
    w.observed(&sally(), &v("new"), t(200));
    w.journal(&journal, t(201));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.cause, WatchCause::Promotion);
    assert_eq!(
        (watch.baseline_until, watch.traffic_since),
        (t(100), Some(t(130)))
    );
    assert_eq!(watch.before, v("old"));

    // After a rollback, the restart judges the old version against the same baseline.
    let journal = [
        entry("promote", 100, "old", "bad"),
        finished(130, "old", "bad"),
        entry("rollback", 300, "bad", "old"),
        finished(330, "bad", "old"),
    ];
    let mut w = watches();
    w.observed(&sally(), &v("old"), t(400));
    w.journal(&journal, t(401));
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.cause, WatchCause::Rollback);
    assert_eq!(
        (watch.baseline_until, watch.traffic_since),
        (t(100), Some(t(330)))
    );

    // Too long ago to matter: nothing watched.
    let mut w = watches();
    w.observed(&sally(), &v("new"), t(130 + 3600));
    w.journal(
        &[
            entry("promote", 100, "old", "new"),
            finished(130, "old", "new"),
        ],
        t(130 + 3600),
    );
    assert!(w.get(&sally()).is_none());
}

#[test]
fn a_deployment_seen_running_elsewhere_rolls_out_before_it_is_judged() {
    let mut w = watches();
    w.observed(&sally(), &v("old"), t(0));
    w.outside_rollout(&sally(), &v("old"), &v("new"), t(5));
    let watch = w.get(&sally()).cloned().unwrap();
    assert!(watch.rollout.is_some() && watch.traffic_since.is_none());
    assert_eq!(w.observed(&sally(), &v("new"), t(30)), Seen::Expected);
    let watch = w.get(&sally()).cloned().unwrap();
    assert_eq!(watch.traffic_since, Some(t(30)));
    assert!(watch.rollout.is_none());
}
