use super::*;
use crate::model::DeploymentId;

fn v(s: &str) -> Version {
    Version::new(s)
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn versions(test: &str, live: &str) -> StackVersions {
    StackVersions::pair(v(test), v(live), None)
}

fn dep(id: &str) -> DeploymentRef {
    DeploymentRef {
        id: DeploymentId::new(id),
        url: None,
    }
}

/// Four stacks in order; `live_done` of them already run test's version.
fn board(live_done: usize) -> Board {
    let names = [
        ("www", "WWW"),
        ("cedric", "Cedric"),
        ("sally", "Sally"),
        ("bruce", "Bruce"),
    ];
    let mut b = Board::new(
        names
            .iter()
            .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
            .collect(),
    );
    for (i, (id, _)) in names.iter().enumerate() {
        let live = if i < live_done { "new" } else { "old" };
        b.apply_versions(&StackId::new(id), versions("new", live));
    }
    b
}

fn id(s: &str) -> StackId {
    StackId::new(s)
}

fn phase(b: &Board, s: &str) -> Phase {
    b.get(&id(s)).map_or(Phase::Unknown, |s| s.phase.clone())
}

#[test]
fn versions_derive_pending_and_live() {
    let b = board(1);
    assert_eq!(phase(&b, "www"), Phase::Live);
    assert_eq!(phase(&b, "cedric"), Phase::Pending);
}

#[test]
fn stack_without_versions_is_unknown_and_cannot_be_promoted() {
    let b = Board::new(vec![StackRelease::new(id("www"), "WWW")]);
    assert_eq!(phase(&b, "www"), Phase::Unknown);
    assert!(matches!(
        b.check_promote(&id("www"), None, false),
        Err(Refusal::VersionsUnknown { .. })
    ));
}

#[test]
fn unknown_stack_is_refused() {
    let b = board(0);
    assert_eq!(
        b.check_promote(&id("nope"), None, false),
        Err(Refusal::UnknownStack("nope".into()))
    );
}

#[test]
fn first_stack_promotes_in_order() {
    let b = board(0);
    let plan = b.check_promote(&id("www"), Some(&v("new")), false).unwrap();
    assert_eq!(plan.from, v("old"));
    assert_eq!(plan.to, v("new"));
    assert!(plan.skipped.is_empty());
}

#[test]
fn out_of_order_is_refused_without_override_and_names_the_waiting_stacks() {
    let b = board(1);
    let err = b.check_promote(&id("sally"), None, false).unwrap_err();
    assert_eq!(
        err,
        Refusal::OutOfOrder {
            stack: "Sally".into(),
            waiting_on: vec!["Cedric".into()]
        }
    );
    assert!(err.can_override());
    assert!(err.to_string().contains("promote Cedric first"));
}

#[test]
fn out_of_order_with_override_is_allowed_and_records_skipped() {
    let b = board(1);
    let plan = b.check_promote(&id("bruce"), None, true).unwrap();
    assert_eq!(plan.skipped, vec![id("cedric"), id("sally")]);
}

#[test]
fn an_earlier_stack_still_promoting_counts_as_not_done() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    assert!(matches!(
        b.check_promote(&id("cedric"), None, false),
        Err(Refusal::OutOfOrder { .. })
    ));
}

#[test]
fn already_live_is_refused_even_with_override() {
    let b = board(2);
    let err = b.check_promote(&id("www"), None, true).unwrap_err();
    assert!(matches!(err, Refusal::AlreadyLive { .. }));
    assert!(!err.can_override());
}

#[test]
fn second_promotion_while_first_in_flight_is_refused() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    // Refused before the platform even answered...
    assert!(matches!(
        b.check_promote(&id("www"), None, true),
        Err(Refusal::InFlight {
            deployment: None,
            ..
        })
    ));
    // ...and after, naming the deployment.
    b.deployment_started(&id("www"), dep("42"));
    let err = b.check_promote(&id("www"), None, true).unwrap_err();
    assert_eq!(
        err,
        Refusal::InFlight {
            stack: "WWW".into(),
            what: "promotion".into(),
            deployment: Some("42".into())
        }
    );
}

#[test]
fn test_version_moved_since_confirmation_is_refused() {
    let b = board(0);
    let err = b
        .check_promote(&id("www"), Some(&v("other")), false)
        .unwrap_err();
    assert!(matches!(err, Refusal::TestMoved { .. }));
}

#[test]
fn successful_promotion_without_smoke_tests_goes_live_and_updates_live_version() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    assert!(matches!(phase(&b, "www"), Phase::Promoting(_)));
    b.deployment_started(&id("www"), dep("1"));
    b.progress(&id("www"), Some(0.5), Some("half".into()));
    match phase(&b, "www") {
        Phase::Promoting(t) => {
            assert_eq!(t.progress, Some(0.5));
            assert_eq!(t.deployment, Some(dep("1")));
        }
        other => panic!("expected promoting, got {other:?}"),
    }
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, false);
    assert_eq!(phase(&b, "www"), Phase::Live);
    let s = b.get(&id("www")).unwrap();
    assert_eq!(s.versions.as_ref().unwrap().live(), &v("new"));
    assert_eq!(s.previous_live, Some(v("old")));
    // The next stack is now in order.
    assert!(b.check_promote(&id("cedric"), None, false).is_ok());
}

#[test]
fn successful_promotion_with_smoke_tests_verifies_first() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, true);
    assert!(matches!(phase(&b, "www"), Phase::Verifying(_)));
    // Still in flight: no second promotion, and the next stack waits.
    assert!(b.check_promote(&id("cedric"), None, false).is_err());
    b.verification_finished(&id("www"), true, String::new());
    assert_eq!(phase(&b, "www"), Phase::Live);
}

#[test]
fn failed_smoke_tests_leave_the_stack_failed() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, true);
    b.verification_finished(&id("www"), false, "GET / returned 500".into());
    match phase(&b, "www") {
        Phase::Failed { reason, .. } => assert_eq!(reason, "GET / returned 500"),
        other => panic!("expected failed, got {other:?}"),
    }
}

#[test]
fn failed_deployment_is_failed_and_keeps_the_old_live_version() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(
        &id("www"),
        DeployState::Failed,
        Some("health check".into()),
        false,
    );
    assert!(matches!(phase(&b, "www"), Phase::Failed { reason, .. } if reason == "health check"));
    assert_eq!(
        b.get(&id("www")).unwrap().versions.as_ref().unwrap().live(),
        &v("old")
    );
    // A failed stack can be tried again.
    assert!(b.check_promote(&id("www"), None, false).is_ok());
}

#[test]
fn failed_stays_visible_across_refreshes_until_the_versions_move_on() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("www"), DeployState::Failed, None, false);
    b.apply_versions(&id("www"), versions("new", "old"));
    assert!(matches!(phase(&b, "www"), Phase::Failed { .. }));
    // A new candidate on test clears it: there is something new to promote.
    b.apply_versions(&id("www"), versions("newer", "old"));
    assert_eq!(phase(&b, "www"), Phase::Pending);
}

#[test]
fn a_stack_that_failed_its_smoke_checks_stays_failed_though_live_runs_test() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, true);
    b.verification_finished(&id("www"), false, "smoke tests failed".into());
    b.apply_versions(&id("www"), versions("new", "new"));
    assert!(
        matches!(phase(&b, "www"), Phase::Failed { .. }),
        "{:?}",
        phase(&b, "www")
    );
    // The next stack waits: a failed stack is not done.
    assert!(matches!(
        b.check_promote(&id("cedric"), None, false),
        Err(Refusal::OutOfOrder { .. })
    ));
    // Checks run again and pass: now it is live.
    assert!(b.smoke_passed(&id("www")));
    assert_eq!(phase(&b, "www"), Phase::Live);
    // Someone rolled it back outside slipway: live moved on, the failure is history.
    let plan = b.check_promote(&id("cedric"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("cedric"), DeployState::Succeeded, None, true);
    b.verification_finished(&id("cedric"), false, "x".into());
    b.apply_versions(&id("cedric"), versions("new", "ancient"));
    assert_eq!(phase(&b, "cedric"), Phase::Pending);
}

#[test]
fn start_refused_by_platform_becomes_failed_with_reason() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.start_failed(&id("www"), "409: deployment in progress".into());
    assert!(matches!(phase(&b, "www"), Phase::Failed { reason, .. } if reason.contains("409")));
}

#[test]
fn aborted_deployment_is_aborted() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    assert!(matches!(
        b.check_abort(&id("www")),
        Err(Refusal::AbortTooEarly { .. })
    ));
    b.deployment_started(&id("www"), dep("9"));
    assert_eq!(b.check_abort(&id("www")), Ok(dep("9")));
    b.deployment_finished(&id("www"), DeployState::Aborted, None, false);
    assert!(matches!(phase(&b, "www"), Phase::Aborted(_)));
    assert!(matches!(
        b.check_abort(&id("www")),
        Err(Refusal::NothingToAbort { .. })
    ));
}

#[test]
fn refresh_during_promotion_does_not_reset_the_phase() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.apply_versions(&id("www"), versions("new", "old"));
    assert!(matches!(phase(&b, "www"), Phase::Promoting(_)));
}

#[test]
fn rollback_goes_to_the_version_recorded_when_promotion_started() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, false);
    let rb = b.check_rollback(&id("www"), None).unwrap();
    assert_eq!((rb.from.clone(), rb.to.clone()), (v("new"), v("old")));
    b.begin_rollback(&rb, now());
    assert!(matches!(
        b.check_promote(&id("www"), None, true),
        Err(Refusal::InFlight { what, .. }) if what == "rollback"
    ));
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, true);
    assert!(matches!(phase(&b, "www"), Phase::RolledBack(_)));
    assert_eq!(
        b.get(&id("www")).unwrap().versions.as_ref().unwrap().live(),
        &v("old")
    );
}

#[test]
fn rollback_refusals() {
    let b = board(0);
    assert!(matches!(
        b.check_rollback(&id("www"), None),
        Err(Refusal::NothingToRollBack { .. })
    ));
    assert!(matches!(
        b.check_rollback(&id("www"), Some(&v("old"))),
        Err(Refusal::RollbackToCurrent { .. })
    ));
    assert!(b.check_rollback(&id("www"), Some(&v("older"))).is_ok());
}

#[test]
fn rollback_is_allowed_while_verifying() {
    let mut b = board(0);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, true);
    assert!(b.check_rollback(&id("www"), None).is_ok());
}

#[test]
fn external_deployment_is_attached_and_blocks_promotion() {
    let mut b = board(0);
    b.attach_external(&id("www"), dep("77"), now());
    match phase(&b, "www") {
        Phase::Promoting(t) => assert_eq!(t.kind, TransferKind::External),
        other => panic!("expected promoting, got {other:?}"),
    }
    assert!(matches!(
        b.check_promote(&id("www"), None, false),
        Err(Refusal::InFlight { .. })
    ));
}

#[test]
fn previous_live_is_recovered_only_while_live_runs_what_was_promoted() {
    let mut b = board(1);
    // WWW runs "new", promoted from "old" by an earlier slipway.
    assert!(b.recover_previous_live(&id("www"), &v("old"), &v("new")));
    assert_eq!(
        b.check_rollback(&id("www"), None).map(|p| p.to),
        Ok(v("old"))
    );
    // Cedric's live is "old": a journal saying it went to "new" is out of date.
    assert!(!b.recover_previous_live(&id("cedric"), &v("older"), &v("new")));
    assert!(b.get(&id("cedric")).unwrap().previous_live.is_none());
}

#[test]
fn a_followed_deployment_that_lands_can_be_rolled_back() {
    let mut b = board(0);
    let cedric = id("cedric");
    b.attach_external(&cedric, dep("9"), Utc::now());
    b.deployment_finished(&cedric, DeployState::Succeeded, None, false);
    let plan = b.check_rollback(&cedric, None).unwrap();
    assert_eq!(plan.to, Version::new("old"));
}

#[test]
fn smoke_failures_journaled_by_another_process_fail_the_stack_here_too() {
    let entry = |action: &str, secs: i64, outcome: &str, detail: &str| {
        let mut e =
            crate::journal::Entry::new(crate::journal::Act::parse(action).expect("a journal word"))
                .stack("sally")
                .versions("old", "new")
                .outcome(outcome)
                .detail(detail);
        e.at = Utc::now() + chrono::Duration::seconds(secs);
        e.pid = Some(1);
        e.user = "alice".into();
        e
    };
    let mut b = board(2);
    b.apply_versions(&id("sally"), versions("new", "new"));
    assert_eq!(
        b.get(&id("sally")).map(|s| s.phase.clone()),
        Some(Phase::Live)
    );
    let journal = vec![
        entry("deploy_finished", 0, "succeeded", "promote"),
        entry(
            "smoke",
            2,
            "failed",
            "Promotion: 2/3 passed; article: expected 200, got 500",
        ),
    ];
    assert!(b.apply_journaled_smoke(&journal));
    match &b.get(&id("sally")).unwrap().phase {
        Phase::Failed { reason, .. } => {
            assert!(reason.contains("run by alice"), "{reason}");
            assert!(reason.contains("article: expected 200"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        b.check_rollback(&id("sally"), None).is_ok(),
        "and it can be rolled back"
    );
    // A later passing run on demand: live again (nothing changes here).
    let mut b = board(2);
    b.apply_versions(&id("sally"), versions("new", "new"));
    let mut later = journal.clone();
    later.push(entry("smoke", 9, "passed", "Request: 3/3 passed"));
    assert!(!b.apply_journaled_smoke(&later));
}

/// dev → staging → live versions for one stack.
fn three(dev: &str, staging: &str, live: &str) -> StackVersions {
    let e = |env: &str, ver: &str| crate::model::EnvVersion {
        env: Env::new(env),
        version: v(ver),
    };
    StackVersions::new(
        vec![e("dev", dev), e("staging", staging), e("live", live)],
        None,
    )
}

fn three_board(rows: &[(&str, &str, &str, &str)]) -> Board {
    let mut b = Board::new(
        rows.iter()
            .map(|(s, ..)| StackRelease::new(id(s), s.to_uppercase()))
            .collect(),
    );
    for (s, dev, staging, live) in rows {
        b.apply_versions(&id(s), three(dev, staging, live));
    }
    b
}

#[test]
fn with_three_environments_the_next_promotion_is_the_differing_pair_nearest_live() {
    let b = three_board(&[("www", "v3", "v2", "v1")]);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    assert_eq!(
        (plan.env.as_str(), plan.from.as_str(), plan.to.as_str()),
        ("live", "v1", "v2")
    );

    let b = three_board(&[("www", "v2", "v1", "v1")]);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    assert_eq!(
        (plan.env.as_str(), plan.from.as_str(), plan.to.as_str()),
        ("staging", "v1", "v2")
    );
    assert_eq!(phase(&b, "www"), Phase::Pending);

    let b = three_board(&[("www", "v2", "v2", "v2")]);
    assert_eq!(phase(&b, "www"), Phase::Live);
}

#[test]
fn a_version_only_on_dev_cannot_skip_staging() {
    let b = three_board(&[("www", "v2", "v1", "v1")]);
    let err = b
        .check_promote_to(&id("www"), None, false, Some(&Env::new("live")))
        .unwrap_err();
    assert!(
        matches!(&err, Refusal::NotProvenYet { on, next, .. } if on == "dev" && next == "staging")
    );
    assert_eq!(
        err.to_string(),
        "WWW: v2 has not been on staging yet (it runs on dev); promote it to staging before live"
    );
    assert!(matches!(
        b.check_promote_to(&id("www"), None, false, Some(&Env::new("dev"))),
        Err(Refusal::FirstEnv { .. })
    ));
    assert!(matches!(
        b.check_promote_to(&id("www"), None, false, Some(&Env::new("prod"))),
        Err(Refusal::UnknownEnv { .. })
    ));
}

#[test]
fn asking_for_an_earlier_step_takes_what_the_environment_before_runs() {
    // staging → live is next, but the user asks for dev → staging.
    let b = three_board(&[("www", "v3", "v2", "v1")]);
    let plan = b
        .check_promote_to(&id("www"), None, false, Some(&Env::new("staging")))
        .unwrap();
    assert_eq!(
        (plan.env.as_str(), plan.from.as_str(), plan.to.as_str()),
        ("staging", "v2", "v3")
    );
}

#[test]
fn the_order_holds_among_stacks_stepping_onto_the_same_environment() {
    // WWW is on its way to staging; Cedric's step to live is not held back by it,
    // but Sally's step to staging is.
    let b = three_board(&[
        ("www", "v2", "v1", "v1"),
        ("cedric", "v2", "v2", "v1"),
        ("sally", "v2", "v1", "v1"),
    ]);
    assert!(b.check_promote(&id("cedric"), None, false).is_ok());
    assert!(matches!(
        b.check_promote(&id("sally"), None, false),
        Err(Refusal::OutOfOrder { waiting_on, .. }) if waiting_on == vec!["WWW".to_string()]
    ));
}

#[test]
fn a_promotion_in_flight_keeps_its_pair_and_a_rollback_goes_where_it_went() {
    let mut b = three_board(&[("www", "v2", "v1", "v1")]);
    let plan = b.check_promote(&id("www"), None, false).unwrap();
    b.begin_promotion(&plan, now());
    b.deployment_started(&id("www"), dep("d1"));
    // The platform already reports staging on v2 while the deployment runs: the pair
    // stays dev → staging, not the next one.
    b.apply_versions(&id("www"), three("v2", "v2", "v1"));
    let s = b.get(&id("www")).unwrap();
    assert_eq!(
        s.versions.as_ref().unwrap().target_env().as_str(),
        "staging"
    );
    b.deployment_finished(&id("www"), DeployState::Succeeded, None, false);
    b.apply_versions(&id("www"), three("v2", "v2", "v1"));
    // Done: now the next promotion is staging → live …
    let next = b.check_promote(&id("www"), None, false).unwrap();
    assert_eq!(next.env.as_str(), "live");
    // … and a rollback undoes the step to staging, not live.
    let rb = b.check_rollback(&id("www"), None).unwrap();
    assert_eq!(
        (rb.env.as_str(), rb.from.as_str(), rb.to.as_str()),
        ("staging", "v2", "v1")
    );
}
