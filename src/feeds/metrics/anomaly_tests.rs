#![allow(clippy::float_cmp)] // the exact values parsed and computed are the point
use chrono::{Duration, TimeZone};

use super::*;
use crate::feeds::metrics::control::compare_with_control;

fn t(round: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::seconds(5 * round)
}

fn settings() -> AnomalyConfig {
    AnomalyConfig::default()
}

/// A series: `before` values, then a promotion, then `after` values, evaluated each round
/// after the promotion. Returns the verdicts of those rounds.
struct Run {
    history: SeriesHistory,
    detector: Detector,
    round: i64,
    bad: BadDirection,
}

impl Run {
    fn new(before: &[f64], bad: BadDirection) -> Run {
        let mut history = SeriesHistory::new(240);
        for (i, v) in before.iter().enumerate() {
            history.push(point(i as i64, Some(*v), None));
        }
        let round = before.len() as i64;
        history.set_watch(Some(t(round)), Some(t(round)));
        Run {
            history,
            detector: Detector::default(),
            round,
            bad,
        }
    }

    fn step(&mut self, value: Option<f64>, traffic: Option<f64>) -> Verdict {
        self.history.push(point(self.round, value, traffic));
        let v = self.detector.evaluate(
            &self.history,
            self.bad,
            &settings(),
            t(self.round),
            Context::default(),
        );
        self.round += 1;
        v
    }

    fn feed(&mut self, after: &[f64]) -> Vec<Verdict> {
        after.iter().map(|v| self.step(Some(*v), None)).collect()
    }
}

fn point(round: i64, value: Option<f64>, traffic: Option<f64>) -> Point {
    Point {
        at: t(round),
        value,
        traffic,
    }
}

/// `n` values around `level`, ±`noise` (relative), reproducibly.
fn noisy(n: usize, level: f64, noise: f64, seed: u64) -> Vec<f64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|_| level * (1.0 + noise * (2.0 * rng.f64() - 1.0)))
        .collect()
}

fn flags(verdicts: &[Verdict]) -> usize {
    verdicts.iter().filter(|v| v.is_flag()).count()
}

#[test]
fn step_up_is_a_spike_after_n_consecutive_evaluations() {
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 1), BadDirection::Up);
    let v = run.feed(&noisy(8, 2.0, 0.05, 2));
    // Three of six recent values are needed before anything is judged.
    assert_eq!(v[0], Verdict::Collecting { have: 1, need: 3 });
    assert_eq!(v[1], Verdict::Collecting { have: 2, need: 3 });
    // Three values against thirty cannot reach p < 0.001 yet; four can. Meanwhile the
    // values are plainly above normal: watched, never a pass.
    assert_eq!(
        v[2],
        Verdict::Watching {
            consecutive: 0,
            needed: 3,
            basis: Basis::Baseline,
        }
    );
    assert_eq!(
        v[3],
        Verdict::Watching {
            consecutive: 1,
            needed: 3,
            basis: Basis::Baseline,
        }
    );
    assert_eq!(
        v[4],
        Verdict::Watching {
            consecutive: 2,
            needed: 3,
            basis: Basis::Baseline,
        }
    );
    match &v[5] {
        Verdict::Spike(flag) => {
            assert_eq!(flag.since, t(33), "since the first bad evaluation");
            assert!(flag.magnitude.relative > 0.8 && flag.magnitude.relative < 1.2);
            assert!(flag.magnitude.p_value < 0.001);
            assert_eq!(flag.hold, None, "fresh evidence holds it");
        }
        other => panic!("expected a spike, got {other:?}"),
    }
    assert!(v[6..].iter().all(Verdict::is_flag));
}

#[test]
fn step_down_is_a_drop_on_a_bad_down_series() {
    let mut run = Run::new(&noisy(30, 1000.0, 0.1, 3), BadDirection::Down);
    let v = run.feed(&noisy(8, 400.0, 0.1, 4));
    assert!(matches!(v[5], Verdict::Drop(_)), "{:?}", v[5]);
    match &v[7] {
        Verdict::Drop(flag) => assert!(flag.magnitude.relative < -0.5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn direction_is_respected() {
    // A drop in errors is good news, and a rise in traffic too.
    let mut run = Run::new(&noisy(30, 5.0, 0.1, 5), BadDirection::Up);
    let v = run.feed(&noisy(10, 1.0, 0.1, 6));
    assert_eq!(flags(&v), 0);
    assert!(v[3..].iter().all(|v| *v == Verdict::Ok), "{v:?}");
    let mut run = Run::new(&noisy(30, 100.0, 0.1, 7), BadDirection::Down);
    assert_eq!(flags(&run.feed(&noisy(10, 300.0, 0.1, 8))), 0);
}

#[test]
fn noisy_but_stable_is_never_flagged() {
    // ±30% uniform noise, 150 rounds (12.5 minutes at 5 s) after the promotion. Not a
    // guarantee: `false_flag_rate_and_detection_delay` measured 1 false flag in 300 such
    // runs with the defaults; these seeds are among the others.
    for seed in 0..20 {
        let mut run = Run::new(&noisy(60, 10.0, 0.3, seed), BadDirection::Up);
        let v = run.feed(&noisy(150, 10.0, 0.3, seed + 100));
        assert_eq!(flags(&v), 0, "seed {seed}");
    }
}

#[test]
fn a_short_blip_is_not_a_spike() {
    // In the middle of an otherwise normal stretch.
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 9), BadDirection::Up);
    let mut after = noisy(6, 1.0, 0.05, 10);
    after.extend([5.0, 6.0]);
    after.extend(noisy(10, 1.0, 0.05, 11));
    assert_eq!(flags(&run.feed(&after)), 0);
    // Right after the promotion, when the window is still short.
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 12), BadDirection::Up);
    let mut after = vec![5.0, 6.0];
    after.extend(noisy(10, 1.0, 0.05, 13));
    let v = run.feed(&after);
    assert_eq!(flags(&v), 0, "{v:?}");
}

#[test]
fn the_flag_clears_only_when_data_shows_recovery() {
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 14), BadDirection::Up);
    let v = run.feed(&noisy(8, 3.0, 0.05, 15));
    assert!(v[7].is_flag());
    let v = run.feed(&noisy(10, 1.0, 0.05, 16));
    // Healthy values hold the flag as "recovering" for as many rounds as raised it.
    let recovering = v
        .iter()
        .filter(|v| {
            v.flag()
                .is_some_and(|f| matches!(f.hold, Some(Hold::Recovering { .. })))
        })
        .count();
    assert_eq!(recovering, 2, "{v:?}");
    assert_eq!(v[9], Verdict::Ok);
}

#[test]
fn a_flag_holds_when_the_data_stops() {
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 14), BadDirection::Up);
    assert!(run.feed(&noisy(8, 3.0, 0.05, 15))[7].is_flag());
    // The source dies: five rounds without a value. Never ok, never cleared.
    let v: Vec<_> = (0..5).map(|_| run.step(None, None)).collect();
    for (i, v) in v.iter().enumerate() {
        match v.flag().and_then(|f| f.hold) {
            Some(Hold::Stale { age_secs }) => assert_eq!(age_secs, 5 * (i as i64 + 1)),
            other => panic!("round {i}: {other:?} in {v:?}"),
        }
    }
    // Data comes back still bad: held while the window refills, then fresh again.
    let v = run.feed(&noisy(3, 3.0, 0.05, 20));
    assert!(v.iter().all(Verdict::is_flag), "{v:?}");
    assert!(v[2].flag().is_some_and(|f| f.hold.is_none()), "{v:?}");
}

#[test]
fn a_dead_source_is_stale_not_ok() {
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 14), BadDirection::Up);
    let v = run.feed(&noisy(8, 1.0, 0.05, 15));
    assert_eq!(v[7], Verdict::Ok);
    assert_eq!(run.step(None, None), Verdict::Stale { age_secs: 5 });
    assert_eq!(run.step(None, None), Verdict::Stale { age_secs: 10 });
}

#[test]
fn rolling_out_is_no_verdict_and_a_rollback_holds_the_flag() {
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 21), BadDirection::Up);
    let rollout = |rolling_back| Context {
        rollout: Some(crate::feeds::metrics::Rollout {
            progress: Some(0.62),
            rolling_back,
        }),
        control: None,
    };
    // Bad values while the deployment runs are not judged.
    run.history.push(point(run.round, Some(9.0), None));
    let v = run.detector.evaluate(
        &run.history,
        BadDirection::Up,
        &settings(),
        t(run.round),
        rollout(false),
    );
    assert_eq!(
        v,
        Verdict::RollingOut {
            progress: Some(0.62),
            rolling_back: false
        }
    );
    run.round += 1;
    assert!(run.feed(&noisy(8, 3.0, 0.05, 22))[7].is_flag());
    run.history.push(point(run.round, Some(3.0), None));
    let v = run.detector.evaluate(
        &run.history,
        BadDirection::Up,
        &settings(),
        t(run.round),
        rollout(true),
    );
    assert!(
        matches!(
            v.flag().and_then(|f| f.hold),
            Some(Hold::RollingBack { .. })
        ),
        "{v:?}"
    );
    run.round += 1;
    // Back on the old version: judged from its own swap against the same baseline.
    let swap = t(run.round);
    run.history.set_watch(Some(t(30)), Some(swap));
    let v = run.feed(&noisy(8, 1.0, 0.05, 23));
    assert!(matches!(
        v[0].flag().and_then(|f| f.hold),
        Some(Hold::AwaitingData { have: 1, need: 3 })
    ));
    assert_eq!(v[7], Verdict::Ok, "{v:?}");
}

#[test]
fn a_short_baseline_is_judged_against_the_other_stacks() {
    let mut run = Run::new(&noisy(8, 0.003, 0.05, 24), BadDirection::Up);
    let worse = ControlComparison {
        control_stacks: 1,
        normalised: false,
        shift: Shift {
            baseline_median: 0.003,
            recent_median: 0.074,
            relative: 23.6,
            p_value: 1e-6,
        },
        worse: true,
    };
    let with = |run: &mut Run, control: Option<&ControlComparison>| {
        run.history.push(point(run.round, Some(0.074), None));
        let v = run.detector.evaluate(
            &run.history,
            BadDirection::Up,
            &settings(),
            t(run.round),
            Context {
                rollout: None,
                control,
            },
        );
        run.round += 1;
        v
    };
    let v: Vec<_> = (0..3).map(|_| with(&mut run, None)).collect();
    assert_eq!(
        v[2],
        Verdict::NotEvaluated {
            reason: Insufficient::FewBaselineSamples { have: 8, need: 12 }
        }
    );
    let v: Vec<_> = (0..3).map(|_| with(&mut run, Some(&worse))).collect();
    match &v[2] {
        Verdict::Spike(flag) => assert_eq!(flag.basis, Basis::OtherStacks),
        other => panic!("{other:?}"),
    }
    // Rolled back: no longer worse than the other stacks is the recovery that clears a
    // flag raised against them; with the baseline still short it is no pass either.
    let fine = ControlComparison {
        worse: false,
        ..worse.clone()
    };
    let v: Vec<_> = (0..3).map(|_| with(&mut run, Some(&fine))).collect();
    assert!(
        matches!(
            v[0].flag().and_then(|f| f.hold),
            Some(Hold::Recovering { ok: 1, .. })
        ),
        "{v:?}"
    );
    assert!(
        matches!(
            v[2],
            Verdict::NotEvaluated {
                reason: Insufficient::FewBaselineSamples { need: 12, .. }
            }
        ),
        "cleared after as many rounds as raised it, and not called ok: {v:?}"
    );
}

#[test]
fn too_few_samples_is_never_a_pass() {
    let mut run = Run::new(&noisy(5, 1.0, 0.05, 17), BadDirection::Up);
    let v = run.feed(&noisy(10, 5.0, 0.05, 18));
    assert!(matches!(v[0], Verdict::Collecting { .. }));
    assert!(v[2..].iter().all(|v| matches!(
        v,
        Verdict::NotEvaluated {
            reason: Insufficient::FewBaselineSamples { have: 5, need: 12 }
        }
    )));
    // Changed before the first sample: there is no baseline at all.
    let mut run = Run::new(&[], BadDirection::Up);
    let v = run.feed(&[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(
        v[3],
        Verdict::NotEvaluated {
            reason: Insufficient::NoBaseline
        }
    );
    // Gaps after the change (the source is failing) are not a pass either.
    let mut run = Run::new(&noisy(30, 1.0, 0.05, 19), BadDirection::Up);
    let v: Vec<_> = (0..8)
        .map(|i| run.step((i % 3 == 0).then_some(9.0), None))
        .collect();
    assert_eq!(v[7], Verdict::Stale { age_secs: 5 });
    // Live unchanged: nothing to judge.
    let mut h = SeriesHistory::new(10);
    h.push(point(0, Some(1.0), None));
    let v =
        Detector::default().evaluate(&h, BadDirection::Up, &settings(), t(0), Context::default());
    assert_eq!(v, Verdict::Unchanged);
}

#[test]
fn low_traffic_is_insufficient_data() {
    let mut run = Run::new(&[], BadDirection::Up);
    run.history = SeriesHistory::new(240);
    for i in 0..30 {
        run.history.push(point(i, Some(1.0), Some(50.0)));
    }
    run.round = 30;
    run.history.set_watch(Some(t(30)), Some(t(30)));
    // After the promotion only a trickle of requests; the error ratio jumps but means little.
    let v: Vec<_> = (0..6).map(|_| run.step(Some(50.0), Some(0.02))).collect();
    assert!(
        v.iter().all(|v| matches!(
            v,
            Verdict::NotEvaluated {
                reason: Insufficient::LowTraffic { .. }
            }
        )),
        "{v:?}"
    );
    // No traffic at all (a latency with no requests has no value): still low traffic,
    // not "few samples".
    let v = run.step(None, Some(0.0));
    assert!(matches!(
        v,
        Verdict::NotEvaluated {
            reason: Insufficient::LowTraffic { traffic, .. }
        } if traffic < 0.1
    ));
}

#[test]
fn from_zero_is_an_infinite_relative_shift() {
    let mut run = Run::new(&[0.0; 30], BadDirection::Up);
    let v = run.feed(&[2.0; 6]);
    match &v[5] {
        Verdict::Spike(flag) => {
            assert_eq!(flag.magnitude.relative, f64::INFINITY);
            assert_eq!(flag.magnitude.baseline_median, 0.0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mann_whitney_matches_hand_computed_values() {
    // U = 9, mean 4.5, sd √5.25; z = (9 − 4.5 − 0.5)/√5.25 = 1.7457 → p = 0.0404.
    let p = mann_whitney_p(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0], BadDirection::Up);
    assert!((p - 0.0404).abs() < 5e-4, "{p}");
    let p = mann_whitney_p(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], BadDirection::Down);
    assert!((p - 0.0404).abs() < 5e-4, "{p}");
    // With ties: R = 13, U = 7, var = 0.75 × (7 − 60/30) = 3.75 → z = 1.0328 → p = 0.1508.
    let p = mann_whitney_p(&[2.0, 2.0, 3.0], &[1.0, 2.0, 2.0], BadDirection::Up);
    assert!((p - 0.1508).abs() < 5e-4, "{p}");
    // All tied: no evidence.
    assert_eq!(mann_whitney_p(&[1.0; 4], &[1.0; 9], BadDirection::Up), 1.0);
    assert_eq!(mann_whitney_p(&[], &[1.0], BadDirection::Up), 1.0);
    assert!((erfc(0.0) - 1.0).abs() < 1e-7);
    assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
    assert!((normal_sf(-1.959_964) - 0.975).abs() < 1e-6);
}

#[test]
fn control_tells_a_release_problem_from_a_shared_one() {
    let s = settings();
    // Three stacks at different sizes; each with 40 rounds of requests per second.
    let mk = |level: f64, seed: u64, after_factor: f64| {
        let mut h = SeriesHistory::new(240);
        let before = noisy(30, level, 0.05, seed);
        let after = noisy(10, level * after_factor, 0.05, seed + 50);
        for (i, v) in before.iter().chain(after.iter()).enumerate() {
            h.push(point(i as i64, Some(*v), None));
        }
        h
    };
    // Only the promoted stack dropped: worse than the control.
    let mut promoted = mk(100.0, 1, 0.5);
    promoted.set_watch(Some(t(30)), Some(t(30)));
    let (c1, c2) = (mk(1000.0, 2, 1.0), mk(300.0, 3, 1.0));
    let c = compare_with_control(&promoted, &[&c1, &c2], false, BadDirection::Down, &s);
    let c = c.unwrap_or_else(|| panic!("both sides have data"));
    assert!(c.worse && c.normalised);
    assert_eq!(c.control_stacks, 2);
    // Every stack dropped together: not the release.
    let (c1, c2) = (mk(1000.0, 2, 0.5), mk(300.0, 3, 0.5));
    let c = compare_with_control(&promoted, &[&c1, &c2], false, BadDirection::Down, &s);
    assert!(c.is_some_and(|c| !c.worse));
    // No control stacks (all promoted): nothing to report.
    assert!(compare_with_control(&promoted, &[], false, BadDirection::Down, &s).is_none());
    // Comparable values (an error ratio) are compared as they are.
    let mut ratio = mk(0.05, 4, 4.0);
    ratio.set_watch(Some(t(30)), Some(t(30)));
    let control = mk(0.05, 5, 1.0);
    let c = compare_with_control(&ratio, &[&control], true, BadDirection::Up, &s);
    assert!(c.is_some_and(|c| c.worse && !c.normalised));
}

/// The defaults' quality on fixed seeds: how often a stable but noisy series is flagged,
/// and how fast a doubling is. The seeds make the numbers exact; the limits leave a
/// little room above what the detector does today (`--nocapture` prints them).
#[test]
fn false_flag_rate_and_detection_delay() {
    let s = settings();
    for noise in [0.1, 0.3] {
        let run_with = |seed: u64, after_level: f64, rounds: usize| {
            let mut h = SeriesHistory::new(240);
            for (i, v) in noisy(60, 10.0, noise, seed).iter().enumerate() {
                h.push(point(i as i64, Some(*v), None));
            }
            h.set_watch(Some(t(60)), Some(t(60)));
            let mut d = Detector::default();
            let after = noisy(rounds, after_level, noise, seed + 1000);
            after.iter().enumerate().find_map(|(i, v)| {
                let round = 60 + i as i64;
                h.push(point(round, Some(*v), None));
                d.evaluate(&h, BadDirection::Up, &s, t(round), Context::default())
                    .is_flag()
                    .then_some(i + 1)
            })
        };
        let false_runs = (0..300)
            .filter(|&seed| run_with(seed, 10.0, 150).is_some())
            .count();
        let mut delays: Vec<usize> = (0..50)
            .map(|seed| run_with(seed, 20.0, 60).unwrap_or(usize::MAX))
            .collect();
        delays.sort_unstable();
        eprintln!(
            "noise ±{noise}: stable series flagged in {false_runs}/300 runs of 150 rounds; \
             a doubling flagged after {} samples (median), {} (worst)",
            delays[25], delays[49]
        );
        assert!(
            false_runs <= 3,
            "noise ±{noise}: {false_runs}/300 stable runs flagged"
        );
        assert!(
            delays[25] <= 8,
            "noise ±{noise}: median delay {}",
            delays[25]
        );
        assert!(
            delays[49] <= 20,
            "noise ±{noise}: worst delay {}",
            delays[49]
        );
    }
}
