//! The gates together, on plain data: which steps are checked, and each gate's answer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::engine::release::{Board, StackRelease};
use crate::model::{EnvVersion, StackVersions};
use crate::vcs::{ChangeSet, Commit, Drift};

fn v(s: &str) -> Version {
    Version::new(s)
}

fn board(stacks: &[(&str, &[(&str, &str)])]) -> Board {
    let mut b = Board::new(
        stacks
            .iter()
            .map(|(id, _)| StackRelease::new(StackId::new(id), id.to_uppercase()))
            .collect(),
    );
    for (id, envs) in stacks {
        let envs = envs
            .iter()
            .map(|(e, ver)| EnvVersion {
                env: Env::new(e),
                version: v(ver),
            })
            .collect();
        b.apply_versions(&StackId::new(id), StackVersions::new(envs, None));
    }
    b
}

fn commit(short: &str, subject: &str) -> Commit {
    Commit {
        id: format!("{short}000000000"),
        short: short.into(),
        author: "Ann".into(),
        email: "ann@example.com".into(),
        time: Utc::now(),
        subject: subject.into(),
        body: String::new(),
        pr: None,
        files: vec![],
        risks: vec![],
        merged: vec![],
        is_merge: false,
    }
}

struct World {
    board: Board,
    diffs: HashMap<(Version, Version), crate::engine::changes::DiffResult>,
    smoke: HashMap<(StackId, Env, Version), SmokeSeen>,
    configured: HashSet<StackId>,
    flags: HashMap<StackId, Vec<String>>,
    approvals: Vec<Approval>,
    required: Vec<Env>,
    promoted: HashSet<Version>,
    holder: Option<Holder>,
}

impl World {
    fn new(board: Board) -> World {
        World {
            board,
            diffs: HashMap::new(),
            smoke: HashMap::new(),
            configured: HashSet::new(),
            flags: HashMap::new(),
            approvals: vec![],
            required: vec![],
            promoted: HashSet::new(),
            holder: None,
        }
    }

    fn facts(&self) -> Facts<'_> {
        Facts {
            now: Utc
                .with_ymd_and_hms(2026, 5, 6, 10, 0, 0)
                .single()
                .expect("time"),
            freeze: &[],
            notice: Duration::minutes(60),
            board: &self.board,
            repo: RepoFacts::Ready(&self.diffs),
            smoke: &self.smoke,
            smoke_configured: &self.configured,
            metrics: MetricsFacts::Watched(&self.flags),
            lock: self.holder.as_ref(),
            approval: ApprovalFacts {
                required: &self.required,
                user: "alice",
                seen: &self.approvals,
                problem: None,
                overridable: false,
            },
            promoted: &self.promoted,
        }
    }

    fn item(&self, scope: Scope, gate: Gate, stack: Option<&str>) -> Item {
        evaluate(&self.facts(), scope)
            .items
            .into_iter()
            .find(|i| i.gate == gate && i.step.as_ref().map(|s| s.stack.as_str()) == stack)
            .unwrap_or_else(|| panic!("no {gate:?} item for {stack:?}"))
    }
}

fn approval(user: &str, from: &str, to: &str) -> Approval {
    Approval {
        stack: StackId::new("sally"),
        env: Env::live(),
        from: v(from),
        to: v(to),
        user: user.into(),
        host: "web-3".into(),
        at: Utc::now(),
    }
}

#[test]
fn risky_changes_and_drift_come_from_the_steps_diff() {
    let mut w = World::new(board(&[("sally", &[("test", "new"), ("live", "old")])]));
    let scope = Scope::Release;
    let risky = w.item(scope.clone(), Gate::RiskyChanges, Some("sally"));
    assert_eq!((risky.level, risky.evaluated), (Level::Pass, false));
    assert!(risky.reason.contains("not computed yet"));

    let cs = ChangeSet {
        live: "old".into(),
        test: "new".into(),
        commits: vec![],
        count: 14,
        risky: 3,
        risk_counts: BTreeMap::from([("config".to_string(), 1), ("migration".to_string(), 2)]),
        drift: Some(Drift {
            live_only: vec![commit("a1b2c3d", "Hotfix the cache key")],
        }),
    };
    w.diffs.insert((v("old"), v("new")), Arc::new(Ok(cs)));
    let risky = w.item(scope.clone(), Gate::RiskyChanges, Some("sally"));
    assert_eq!(risky.level, Level::Warn);
    assert_eq!(risky.reason, "1 config, 2 migration in 14 commits");
    let drift = w.item(scope, Gate::Drift, Some("sally"));
    assert_eq!(drift.level, Level::Warn);
    assert!(
        drift
            .reason
            .starts_with("live holds 1 commit test lacks (a1b2c3d Hotfix"),
        "{}",
        drift.reason
    );
    assert_eq!(drift.line().split(':').next(), Some("SALLY drift"));
}

#[test]
fn an_approval_counts_for_its_exact_step_and_only_from_someone_else() {
    let mut w = World::new(board(&[("sally", &[("test", "new"), ("live", "old")])]));
    let gate = |w: &World| w.item(Scope::Release, Gate::Approval, Some("sally"));
    assert!(!gate(&w).evaluated, "not required: {}", gate(&w).reason);
    w.required = vec![Env::live()];
    assert_eq!(gate(&w).level, Level::Block);
    assert!(
        !gate(&w).overridable,
        "a missing approval is not overridden by default"
    );
    assert!(gate(&w).reason.contains("slipway approve sally --to live"));
    // The promoter's own approval does not count.
    w.approvals.push(approval("alice", "old", "new"));
    assert_eq!(gate(&w).level, Level::Block);
    assert!(
        gate(&w).reason.contains("approved only by alice"),
        "{}",
        gate(&w).reason
    );
    // Someone else's approval of another step does not either.
    w.approvals.push(approval("bob", "older", "new"));
    assert_eq!(gate(&w).level, Level::Block);
    w.approvals.push(approval("bob", "old", "new"));
    let passed = gate(&w);
    assert_eq!(passed.level, Level::Pass);
    assert!(
        passed.reason.contains("approved by bob@web-3"),
        "{}",
        passed.reason
    );
}

#[test]
fn release_wide_gates_see_the_whole_board() {
    let mut w = World::new(board(&[
        ("www", &[("test", "new"), ("live", "new")]),
        ("sally", &[("test", "new"), ("live", "old")]),
    ]));
    assert_eq!(
        w.item(Scope::Release, Gate::InFlight, None).level,
        Level::Pass
    );
    w.flags.insert(StackId::new("www"), vec!["errors".into()]);
    let flagged = w.item(Scope::Release, Gate::LiveFlagged, None);
    assert_eq!(flagged.level, Level::Warn);
    assert_eq!(flagged.reason, "flagged on live: WWW errors");
    w.holder = Some(Holder {
        user: "bob".into(),
        host: "web-3".into(),
        pid: 1,
        action: "promoting Sally".into(),
        since: Utc::now(),
    });
    assert_eq!(w.item(Scope::Release, Gate::Lock, None).level, Level::Block);
    // A stack with a deployment in flight blocks every promotion.
    let plan = w
        .board
        .check_promote(&StackId::new("sally"), None, false)
        .expect("promotable");
    w.board.begin_promotion(&plan, Utc::now());
    let flight = w.item(Scope::Release, Gate::InFlight, None);
    assert_eq!(flight.level, Level::Block);
    assert_eq!(flight.reason, "deployment in flight: SALLY to live");
    let report = evaluate(&w.facts(), Scope::Release);
    assert_eq!(report.worst(), Level::Block);
    assert_eq!(
        report.headline(),
        Some((Level::Block, "⛔ 2 gates".to_string()))
    );
    assert!(
        report.items.iter().all(|i| i.step.is_none()),
        "a moving stack has no next step to check"
    );
}

#[test]
fn source_health_reads_the_newest_run_for_the_version_that_ships() {
    let mut w = World::new(board(&[(
        "sally",
        &[("dev", "new"), ("staging", "new"), ("live", "old")],
    )]));
    let gate = |w: &World| w.item(Scope::Release, Gate::SourceHealth, Some("sally"));
    assert!(gate(&w).reason.contains("no smoke checks configured"));
    w.configured.insert(StackId::new("sally"));
    assert!(
        gate(&w)
            .reason
            .contains("no smoke run on staging for new yet"),
        "{}",
        gate(&w).reason
    );
    let key = (StackId::new("sally"), Env::new("staging"), v("new"));
    w.smoke.insert(
        key.clone(),
        SmokeSeen {
            passed: false,
            summary: "2/3 passed; article: expected 200, got 500".into(),
            at: Utc::now(),
            by: "bob@web-3".into(),
        },
    );
    let failed = gate(&w);
    assert_eq!(failed.level, Level::Block);
    assert!(
        failed.reason.contains("failed on staging for new"),
        "{}",
        failed.reason
    );
    w.smoke.get_mut(&key).expect("there").passed = true;
    assert_eq!(gate(&w).level, Level::Pass);
}

#[test]
fn only_live_promotions_and_a_releases_first_are_checked() {
    let b = board(&[
        (
            "www",
            &[("dev", "new"), ("staging", "old"), ("live", "old")],
        ),
        (
            "sally",
            &[("dev", "new"), ("staging", "new"), ("live", "old")],
        ),
    ]);
    let mut w = World::new(b);
    let steps = pending_steps(&w.board);
    let onto_staging = &steps[0];
    let onto_live = &steps[1];
    assert_eq!(
        (onto_staging.env.as_str(), onto_live.env.as_str()),
        ("staging", "live")
    );
    assert!(
        w.facts().gated(onto_staging),
        "nothing of `new` promoted yet"
    );
    assert!(w.facts().gated(onto_live));
    w.promoted.insert(v("new"));
    assert!(!w.facts().gated(onto_staging), "the release has started");
    assert!(w.facts().gated(onto_live), "live is always checked");
    w.required = vec![Env::new("staging")];
    assert!(
        w.facts().gated(onto_staging),
        "an approval is always checked"
    );

    // The promote dialog finds the items of its step.
    let report = evaluate(&w.facts(), Scope::Release);
    let items = report.for_step(
        &StackId::new("www"),
        &Env::new("staging"),
        &v("old"),
        &v("new"),
    );
    assert_eq!(items.len(), 8, "4 release-wide and 4 of the step");
    assert!(
        report
            .for_step(
                &StackId::new("www"),
                &Env::new("live"),
                &v("old"),
                &v("new")
            )
            .is_empty()
    );
}
