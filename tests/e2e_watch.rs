//! The real dashboard (in tmux) watching promotions that ANOTHER process makes: the
//! environment runs as `slipway demo --serve`, the dashboard opens on its config, and the
//! command line, from this test, promotes WWW, Cedric and Sally, then rolls Sally back.
//! The demo's Sally release is bad on purpose: its errors and p99 rise once it takes
//! traffic. The dashboard must notice the change of live, flag Sally, keep the flag while
//! the rollback runs and until live is back on the old version, and (with a baseline to
//! compare with) clear it once the metrics are healthy again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::served::{Serve, serve};

use support::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_slipway");

impl Serve {
    /// The command line against the served environment, as a second terminal runs it.
    fn cli(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("XDG_STATE_HOME", self.state.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cli(args).output().expect("slipway runs")
    }

    /// A stack's live version (in full) as `slipway status --json` reports it.
    fn live(&self, id: &str) -> String {
        let out = self.run(&["status", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v["stacks"]
            .as_array()
            .expect("stacks")
            .iter()
            .find(|s| s["id"] == id)
            .and_then(|s| s["live"].as_str())
            .unwrap_or_else(|| panic!("no live version of {id}: {v}"))
            .to_string()
    }

    /// The dashboard on the served environment, in a 160×45 terminal.
    fn dashboard(&self) -> Tmux {
        Tmux::start(
            &format!(
                "XDG_STATE_HOME={} {BIN} --config {}",
                self.state.path().display(),
                self.config.display()
            ),
            160,
            45,
        )
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The row of a stack in the Stacks pane (`┃▶3 Sally   710ec2f c570624 [Promote] ▲ …┃`),
/// up to the pane's right border.
fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.starts_with('┃') && l.split_whitespace().take(3).any(|w| w == name))
        .map_or("", |l| {
            let inner = '┃'.len_utf8();
            let end = l[inner..].find('┃').map_or(l.len(), |i| i + 2 * inner);
            &l[..end]
        })
}

/// A stack's live version as its row shows it.
/// The version on test, the column after live's.
fn test_version(screen: &str, name: &str) -> String {
    let words: Vec<&str> = row(screen, name).split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == name)
        .and_then(|at| words.get(at + 2))
        .unwrap_or_else(|| panic!("no test version for {name}:\n{screen}"))
        .to_string()
}

fn live_version(screen: &str, name: &str) -> String {
    let words: Vec<&str> = row(screen, name).split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == name)
        .and_then(|at| words.get(at + 1))
        .unwrap_or_else(|| panic!("no live version for {name}:\n{screen}"))
        .to_string()
}

/// The status line(s): everything under the panes' bottom borders.
fn status(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let last_border = lines
        .iter()
        .rposition(|l| l.starts_with('╰') || l.starts_with('┗'))
        .unwrap_or(0);
    lines[last_border + 1..].join("\n")
}

/// The Metrics pane's title line.
fn metrics_title(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("╭ Metrics"))
        .unwrap_or("")
}

/// The selected stack's line for one series in the Metrics pane (`│errors  ▁▁┃▇▇ 9.1%  ▲ SPIKE…`).
fn series<'a>(screen: &'a str, name: &str) -> &'a str {
    let prefix = format!("│{name} ");
    screen
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or("")
}

/// Sparkline glyphs on a line: how many samples the pane has drawn.
fn samples(line: &str) -> usize {
    line.chars().filter(|c| ('▁'..='█').contains(c)).count()
}

/// Sally flagged as a user sees it: `▲` on her row naming the metric (or saying SPIKE),
/// and the Metrics pane (Sally selected) saying SPIKE for errors.
fn sally_flagged(s: &str) -> bool {
    let r = row(s, "Sally");
    r.contains('▲')
        && (r.contains("errors") || r.contains("p99") || r.contains("SPIKE"))
        && series(s, "errors").contains("▲ SPIKE")
}

/// Runs the three promotions from the command line, in the team's order. Returns when
/// Sally's has returned.
fn promote_www_cedric_sally(s: &Serve) {
    for stack in ["www", "cedric"] {
        let out = s.run(&["promote", stack, "--yes"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "promote {stack}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("shipped: live "),
            "{}",
            text(&out.stderr)
        );
    }
    // Sally's deployment succeeds, but the bad release fails its smoke checks at once,
    // so the command reports the failure with status 1. Live runs it all the same.
    let out = s.run(&["promote", "sally", "--yes"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("deployment succeeded"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "promote sally: {stderr}");
    assert!(stderr.contains("smoke tests failed"), "{stderr}");
}

/// Rolls Sally back to `old_full` (shown as `old`) from the command line while watching
/// the screen: the flag must stay on her row while the rollback runs, when live is back
/// on the old version, and until the dashboard says she is no longer flagged. Watches
/// until then, or `settle` after live is back. Returns the last screen and, if the flag
/// cleared, how long after the rollback command returned.
fn rollback_watching_the_flag(
    t: &Tmux,
    s: &Serve,
    (old, old_full): (&str, &str),
    settle: Duration,
) -> (String, Option<Duration>) {
    let started = Instant::now();
    // With the target named: `rollback sally --yes` alone decides on the first board the
    // engine reports, and under load that can come before the journal (which knows what
    // live ran before the promotion) has been read; it is then refused with "no earlier
    // live version is known to roll back to".
    let mut rollback = Some(
        s.cli(&["rollback", "sally", "--to", old_full, "--yes"])
            .stdout(Stdio::null())
            .spawn()
            .expect("slipway rollback runs"),
    );
    let (mut polls, mut polls_while_running) = (0u32, 0u32);
    let mut returned: Option<Instant> = None;
    let mut back_on_old: Option<Instant> = None;
    let mut holds_seen: Vec<&str> = Vec::new();
    let deadline = started + Duration::from_secs(60) + settle;
    loop {
        // Whether the command had returned before this screen was taken.
        if let Some(child) = rollback.as_mut()
            && child.try_wait().expect("wait").is_some()
        {
            let out = rollback.take().unwrap().wait_with_output().expect("output");
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "rollback: {stderr}");
            assert!(
                stderr.contains("rolled back: live ") && stderr.contains(&format!("→ {old}")),
                "{stderr}"
            );
            returned = Some(Instant::now());
            eprintln!(
                "the rollback command took {:.1}s",
                started.elapsed().as_secs_f32()
            );
        }
        let screen = t.screen();
        polls += 1;
        if rollback.is_some() {
            polls_while_running += 1;
        }
        let summary = |holds: &[&str]| {
            format!(
                "{polls} screens ({polls_while_running} while the command ran), \
                 the errors series held as {holds:?}"
            )
        };
        if status(&screen).contains("no longer flagged") {
            assert_eq!(
                live_version(&screen, "Sally"),
                old,
                "the flag cleared before live ran {old} again:\n{screen}"
            );
            let after = returned.map(|r| r.elapsed()).unwrap_or_default();
            eprintln!(
                "{}; no longer flagged {:.1}s after the rollback returned",
                summary(&holds_seen),
                after.as_secs_f32()
            );
            return (screen, Some(after));
        }
        assert!(
            row(&screen, "Sally").contains('▲'),
            "Sally's flag went away (rollback command {}, live on {}) without the \
             dashboard saying she is no longer flagged:\n{screen}",
            if returned.is_some() {
                "returned"
            } else {
                "running"
            },
            live_version(&screen, "Sally"),
        );
        let errors = series(&screen, "errors");
        for hold in [
            "rolling back",
            "checking",
            "recovering",
            "baseline",
            "no samples",
        ] {
            if errors.contains(hold) && !holds_seen.contains(&hold) {
                holds_seen.push(hold);
            }
        }
        if back_on_old.is_none() && live_version(&screen, "Sally") == old {
            back_on_old = Some(Instant::now());
        }
        if let Some(b) = back_on_old
            && returned.is_some()
            && b.elapsed() >= settle
        {
            eprintln!(
                "{}; still flagged {:.1}s after live ran {old} again",
                summary(&holds_seen),
                b.elapsed().as_secs_f32()
            );
            return (screen, None);
        }
        assert!(
            Instant::now() < deadline,
            "live did not go back to {old}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the dashboard followed Sally's deployment (rather than seeing only its result).
fn followed_deployment(screen: &str) -> bool {
    screen.contains("Deploy · Sally #")
}

fn quit(t: &Tmux) {
    t.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(300));
    if t.screen().contains("Quit slipway?") {
        t.keys(&["y"]);
    }
    assert_eq!(t.wait_exit(10), 0);
    assert!(!t.alternate_screen(), "the terminal is restored");
}

/// Steps 1-4 shared by both tests: the promotions from the command line, the dashboard
/// noticing them, and Sally flagged within 60 s.
fn promote_and_see_sally_flagged(t: &Tmux, s: &Serve, old: &str) {
    promote_www_cedric_sally(s);
    let promoted = Instant::now();
    // The dashboard notices the change of live: when a refresh fell inside the (short)
    // deployment it follows the deployment itself (the Deploy pane shows it), otherwise
    // it says live changed outside it; either way it starts watching.
    let seen = t.wait_for("the dashboard to see Sally's new live version", 20, |sc| {
        live_version(sc, "Sally") != old
            && (status(sc).contains("Sally: live changed outside this dashboard")
                || sc.contains("Deploy · Sally #"))
    });
    if followed_deployment(&seen) {
        eprintln!("the dashboard followed Sally's deployment");
    } else {
        assert!(status(&seen).contains("watching it"), "{seen}");
        eprintln!("the dashboard saw live change outside it");
    }

    let left = 60u64.saturating_sub(promoted.elapsed().as_secs());
    t.wait_for("Sally flagged within 60 s", left, sally_flagged);
    let on_row = Instant::now();
    // The status line says it too, if not in the same frame then soon after.
    let left = 60u64.saturating_sub(promoted.elapsed().as_secs()).max(5);
    let flagged = t.wait_for("the flag in the status line", left, |sc| {
        sally_flagged(sc) && status(sc).contains("Sally: ▲")
    });
    eprintln!(
        "Sally flagged {:.1}s after her promotion returned (the status line {:.1}s after her row)",
        promoted.elapsed().as_secs_f32() - on_row.elapsed().as_secs_f32(),
        on_row.elapsed().as_secs_f32()
    );
    let r = row(&flagged, "Sally");
    assert!(r.contains('▲'), "{flagged}");
    // The status line says what is flagged and on which stack (`✗ Sally: ▲ errors ×24,
    // p99 +121% — r rolls it back, v shows details`).
    let st = status(&flagged);
    assert!(st.contains("v shows details"), "{flagged}");
    // The Metrics pane follows the selected stack and says who changed live.
    let title = metrics_title(&flagged);
    assert!(title.contains("Metrics · Sally"), "{flagged}");
    assert!(!title.contains("not promoted"), "{flagged}");
    assert!(
        title.contains("promoted") || title.contains("changed outside"),
        "{flagged}"
    );
    let errors = series(&flagged, "errors");
    assert!(!errors.contains("✓ ok"), "{flagged}");
    assert!(errors.contains("▲ SPIKE since"), "{flagged}");
    // Only Sally's release is bad.
    for good in ["WWW", "Cedric", "Bruce"] {
        assert!(!row(&flagged, good).contains('▲'), "{good}:\n{flagged}");
    }
}

/// The scenario as a user runs it: open the dashboard, promote from another terminal
/// at once. Sally's own baseline is too short then, so she is flagged against the
/// stacks still on the old version. The flag must hold through the rollback and until
/// she is no worse than those stacks again.
#[test]
fn promotions_by_the_cli_are_watched_and_the_flag_holds_through_the_rollback() {
    let s = serve();
    let t = s.dashboard();
    let first = t.wait_for("the first frame with versions", 30, |sc| {
        row(sc, "WWW").contains("[Promote]") && row(sc, "Sally").contains("[Promote]")
    });
    let old = live_version(&first, "Sally");
    let old_full = s.live("sally");
    assert!(old_full.starts_with(&old), "{old_full} / {old}");
    t.keys(&["3"]);
    t.wait_for("Sally selected", 5, |sc| {
        metrics_title(sc).contains("Metrics · Sally")
    });

    promote_and_see_sally_flagged(&t, &s, &old);

    let (screen, recovered) =
        rollback_watching_the_flag(&t, &s, (&old, &old_full), Duration::from_secs(60));
    // No worse than the stacks on the old version is the recovery that clears a flag
    // raised against them (the baseline is still short: the series is not called ok).
    let after = recovered.unwrap_or_else(|| panic!("the flag never cleared:\n{screen}"));
    eprintln!("recovered {:.1}s after the rollback", after.as_secs_f32());
    assert!(metrics_title(&screen).contains("rolled back"), "{screen}");
    quit(&t);
}

/// `kill -9` of the dashboard while Sally is flagged, and a new one opened: the watch is
/// picked up from the journal (who promoted, when it took traffic) and the saved metric
/// history, and Sally is flagged again.
#[test]
fn a_dashboard_killed_mid_release_picks_the_watch_up_again() {
    let s = serve();
    let t = s.dashboard();
    let first = t.wait_for("the first frame with versions", 30, |sc| {
        row(sc, "WWW").contains("[Promote]") && row(sc, "Sally").contains("[Promote]")
    });
    let old = live_version(&first, "Sally");
    let new = test_version(&first, "Sally");
    t.keys(&["3"]);
    promote_and_see_sally_flagged(&t, &s, &old);
    // Let the history be saved once more (every 5 rounds), then kill it without warning.
    std::thread::sleep(Duration::from_secs(11));
    let out = Command::new("pkill")
        .args(["-KILL", "-P", &t.pane_pid().to_string(), "slipway"])
        .output()
        .expect("pkill runs");
    assert!(out.status.success(), "the dashboard was found and killed");
    drop(t);

    let t = s.dashboard();
    t.wait_for("the first frame", 30, |sc| {
        row(sc, "Sally").contains(&format!("{new} {new}"))
    });
    t.keys(&["3"]);
    let restarted = Instant::now();
    let screen = t.wait_for("Sally flagged again after the restart", 60, sally_flagged);
    eprintln!(
        "flagged again {:.1}s after the restart",
        restarted.elapsed().as_secs_f32()
    );
    let title = metrics_title(&screen);
    assert!(
        title.contains("promoted by"),
        "the journal says who promoted: {screen}"
    );
    quit(&t);
}

/// With a baseline to compare with (the dashboard open for half a minute before the
/// promotions), the whole cycle: flagged, held through the rollback, and cleared once
/// Sally's metrics are back to the baseline.
#[test]
fn with_a_baseline_the_flag_clears_after_the_rollback() {
    let s = serve();
    let t = s.dashboard();
    let first = t.wait_for("the first frame with versions", 30, |sc| {
        row(sc, "WWW").contains("[Promote]") && row(sc, "Sally").contains("[Promote]")
    });
    let old = live_version(&first, "Sally");
    let old_full = s.live("sally");
    assert!(old_full.starts_with(&old), "{old_full} / {old}");
    t.keys(&["3"]);
    // The detector wants 12 samples from before the change (one every 2 s); wait until
    // Sally's sparkline shows a few more than that.
    t.wait_for("half a minute of Sally's metrics", 60, |sc| {
        metrics_title(sc).contains("Metrics · Sally") && samples(series(sc, "req/s")) >= 16
    });

    promote_and_see_sally_flagged(&t, &s, &old);

    let (screen, recovered) =
        rollback_watching_the_flag(&t, &s, (&old, &old_full), Duration::from_secs(90));
    let after = recovered.unwrap_or_else(|| {
        panic!("Sally was still flagged 90 s after live ran {old} again:\n{screen}")
    });
    assert!(after < Duration::from_secs(90), "{screen}");
    assert!(!row(&screen, "Sally").contains('▲'), "{screen}");
    assert!(
        status(&screen).contains("Sally: metrics back to the baseline, no longer flagged"),
        "{screen}"
    );
    assert_eq!(live_version(&screen, "Sally"), old);
    assert!(!series(&screen, "errors").contains('▲'), "{screen}");
    quit(&t);
}

/// The journal of the served release, as its config names it.
fn journal_of(s: &Serve) -> Vec<serde_json::Value> {
    let cfg: toml::Value =
        toml::from_str(&std::fs::read_to_string(&s.config).expect("config")).expect("toml");
    let path = cfg["release"]["journal"].as_str().expect("journal path");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole JSON lines"))
        .collect()
}

#[test]
fn the_dashboard_and_the_cli_promoting_at_once_start_one_deployment() {
    let s = serve();
    let t = s.dashboard();
    t.wait_for("WWW's Promote button", 60, |sc| {
        row(sc, "WWW").contains("[Promote]")
    });
    t.keys(&["Enter"]);
    t.wait_text("Promote WWW to live?", 10);
    // The colleague's CLI and this dashboard's confirmation, at the same moment.
    let cli = s
        .cli(&["promote", "www", "--yes"])
        .spawn()
        .expect("cli runs");
    t.keys(&["Enter"]);
    let out = cli.wait_with_output().expect("cli ends");
    let said = text(&out.stderr);
    t.wait_for("WWW live", 60, |sc| row(sc, "WWW").contains("✓ live"));
    let entries = journal_of(&s);
    let started: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "deploy_started" && e["stack"] == "www")
        .collect();
    assert_eq!(
        started.len(),
        1,
        "one deployment of WWW, whoever asked first: CLI said {said}\n{entries:#?}"
    );
    let refused = entries
        .iter()
        .filter(|e| e["action"] == "refused" && e["stack"] == "www")
        .count();
    assert_eq!(
        refused, 1,
        "the other request is refused once: {entries:#?}"
    );
    // Whoever lost was told why: the CLI on stderr, or the dashboard on its status line.
    let screen = t.screen();
    assert!(
        said.contains("refused") || status(&screen).contains("Not promoting"),
        "CLI: {said}\nscreen:\n{screen}"
    );
    quit(&t);
}
