//! One dashboard model: the header, the Stacks pane, the status line and the details
//! dialog all show a stack's metric flags from the same model, so they agree — on one
//! count and one threshold (a SPIKE or a DROP; a watch is not a flag).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use chrono::{TimeZone, Utc};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use slipway::config::BadDirection;
use slipway::engine::Event;
use slipway::engine::release::{Board, StackRelease};
use slipway::feeds::metrics::{Basis, Flag, MetricsUpdate, SeriesUpdate, Shift, Verdict, Watch};
use slipway::model::{StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;

const STACKS: [(&str, &str); 3] = [("www", "WWW"), ("sally", "Sally"), ("bruce", "Bruce")];

fn app() -> App {
    let mut board = Board::new(
        STACKS
            .iter()
            .map(|(id, n)| StackRelease::new(StackId::new(id), *n))
            .collect(),
    );
    for (id, _) in STACKS {
        board.apply_versions(
            &StackId::new(id),
            StackVersions::pair(Version::new("9be77d4"), Version::new("3f2a1c0"), None),
        );
    }
    let info = AppInfo {
        release: "belfrage".into(),
        platform: "http https://deploy.example/api".into(),
        metrics_series: 2,
        ..AppInfo::default()
    };
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board));
    app
}

/// One metrics round of `stack` whose `errors` series has `verdict`.
fn round(stack: &str, verdict: Verdict) -> Event {
    let since = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
        .single()
        .expect("time");
    let series = |name: &str, verdict| SeriesUpdate {
        name: name.into(),
        unit: "%".into(),
        bad: BadDirection::Up,
        value: Some(4.1),
        verdict,
        control: None,
        history: Vec::new(),
    };
    Event::Metrics(Box::new(MetricsUpdate {
        baseline: Default::default(),
        stack: StackId::new(stack),
        at: since,
        watch: Some(Watch::took_traffic(
            Version::new("3f2a1c0"),
            Version::new("9be77d4"),
            since,
        )),
        series: vec![series("req/s", Verdict::Ok), series("errors", verdict)],
        sources: Vec::new(),
    }))
}

fn spike() -> Verdict {
    let since = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
        .single()
        .expect("time");
    Verdict::Spike(Flag::fresh(
        since,
        Shift {
            baseline_median: 1.0,
            recent_median: 4.1,
            relative: 3.1,
            p_value: 0.0001,
        },
    ))
}

fn watching() -> Verdict {
    Verdict::Watching {
        consecutive: 1,
        needed: 3,
        basis: Basis::Baseline,
    }
}

fn draw(app: &mut App, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| app.render(f)).expect("draw");
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

/// The Stacks pane's row of a stack: the first line naming it below the header and the
/// pane's title, which names the next stack (the Stacks pane is the top left one).
fn stack_row<'a>(screen: &'a [String], name: &str) -> &'a str {
    screen[2..]
        .iter()
        .find(|l| l.contains(&format!(" {name} ")))
        .map_or_else(
            || panic!("no row for {name}:\n{}", screen.join("\n")),
            String::as_str,
        )
}

/// The Stacks pane's part of a line (left of its right border).
fn stacks_part(line: &str) -> String {
    line.chars().skip(1).take_while(|&c| c != '│').collect()
}

fn flagged_rows(screen: &[String]) -> Vec<&'static str> {
    STACKS
        .iter()
        .filter(|(_, name)| stacks_part(stack_row(screen, name)).contains('▲'))
        .map(|(_, name)| *name)
        .collect()
}

#[test]
fn the_header_and_the_stacks_pane_count_the_same_flags() {
    let mut app = app();
    // A watch is not a flag: the Stacks pane says "watch", the header counts nothing.
    app.on_engine_event(round("www", watching()));
    app.on_engine_event(round("sally", spike()));
    for (w, h) in [(200, 60), (120, 38)] {
        let s = draw(&mut app, w, h);
        assert!(s[0].contains("▲ 1 stack flagged"), "{w}×{h}: {}", s[0]);
        assert_eq!(flagged_rows(&s), ["Sally"], "{w}×{h}:\n{}", s.join("\n"));
        assert!(
            stacks_part(stack_row(&s, "WWW")).contains("watch"),
            "{w}×{h}:\n{}",
            s.join("\n")
        );
        // The status line tells the same flag in the same words.
        let status = &s[usize::from(h) - 2];
        assert!(status.contains("Sally: ▲ errors +310%"), "{status}");
    }
    // At 80×24 the header gives up `slipway` and the stack's step before the count.
    let s = draw(&mut app, 80, 24);
    assert!(s[0].contains("▲ 1 stack flagged"), "{}", s[0]);
    assert_eq!(flagged_rows(&s), ["Sally"], "{}", s.join("\n"));

    app.on_engine_event(round("bruce", spike()));
    let s = draw(&mut app, 200, 60);
    assert!(s[0].contains("▲ 2 stacks flagged"), "{}", s[0]);
    assert_eq!(flagged_rows(&s), ["Sally", "Bruce"], "{}", s.join("\n"));

    // Recovery clears both, together.
    app.on_engine_event(round("sally", Verdict::Ok));
    app.on_engine_event(round("bruce", Verdict::Ok));
    let s = draw(&mut app, 200, 60);
    assert!(!s[0].contains("flagged"), "{}", s[0]);
    assert!(flagged_rows(&s).is_empty(), "{}", s.join("\n"));
    assert!(
        s[58].contains("Bruce: metrics back to the baseline, no longer flagged"),
        "{}",
        s[58]
    );
}

#[test]
fn the_details_dialog_shows_the_flag_the_stacks_pane_shows() {
    let mut app = app();
    app.on_engine_event(round("www", spike()));
    let before = draw(&mut app, 200, 60);
    assert_eq!(flagged_rows(&before), ["WWW"]);
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('v'),
        KeyModifiers::NONE,
    )));
    let s = draw(&mut app, 200, 60).join("\n");
    assert!(s.contains("▲ errors +310%"), "{s}");
    assert!(!s.contains("no flag"), "{s}");
}
