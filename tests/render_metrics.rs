//! The Metrics pane and the Stacks pane's flag column, rendered into buffers and into a
//! `TestBackend` dashboard: what a user sees during a release with one bad stack.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use slipway::config::BadDirection;
use slipway::engine::release::{Board, Phase, StackRelease};
use slipway::engine::{Event, SmokeCause};
use slipway::feeds::metrics::scrape::FetchError;
use slipway::feeds::metrics::{
    BadLineReport, Basis, ControlComparison, Flag, Insufficient, MetricsUpdate, Point,
    SeriesUpdate, Shift, Source, SourceProblem, SourceReport, SourceTotals, Verdict, Watch,
};
use slipway::feeds::smoke::{CheckResult, SmokeReport};
use slipway::model::{StackId, StackVersions, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::pane::{Ctx, Intent, Outcome, Pane};
use slipway::tui::panes::metrics::MetricsPane;
use slipway::tui::panes::metrics::format::clock;
use slipway::tui::theme::Theme;

// ---- a release in progress: WWW and Cedric promoted, Sally spiking, Bruce waiting ----

const STACKS: [(&str, &str); 4] = [
    ("www", "WWW"),
    ("cedric", "Cedric"),
    ("sally", "Sally"),
    ("bruce", "Bruce"),
];
const SALLY: usize = 2;
/// Rounds before Sally's promotion, and since.
const BEFORE: usize = 40;
const AFTER: usize = 20;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The time of round `i` (one every 2 s).
fn at(i: usize) -> DateTime<Utc> {
    t0() + Duration::seconds(2 * i as i64)
}

fn promoted() -> DateTime<Utc> {
    at(BEFORE)
}

fn spike_since() -> DateTime<Utc> {
    at(BEFORE + 6)
}

/// Values per round: `before` until the promotion, `after` since, with a little wobble;
/// `None` where `gaps` says.
fn history(before: f64, after: f64, gaps: &[usize]) -> Vec<Point> {
    (0..BEFORE + AFTER)
        .map(|i| {
            let level = if i < BEFORE { before } else { after };
            let wobble = 1.0 + 0.02 * ((i % 3) as f64 - 1.0);
            Point {
                at: at(i),
                value: (!gaps.contains(&i)).then_some(level * wobble),
                traffic: Some(100.0),
            }
        })
        .collect()
}

fn series(name: &str, unit: &str, bad: BadDirection, value: f64, verdict: Verdict) -> SeriesUpdate {
    SeriesUpdate {
        name: name.into(),
        unit: unit.into(),
        bad,
        value: Some(value),
        verdict,
        control: None,
        history: history(value, value, &[]),
    }
}

fn instance(id: &str, problems: Vec<SourceProblem>) -> SourceReport {
    SourceReport {
        source: Source::Instance {
            id: id.into(),
            url: format!("http://{id}:9100/metrics"),
        },
        problems,
        totals: SourceTotals {
            rounds: 60,
            ..Default::default()
        },
    }
}

fn healthy_sources(stack: &str, n: usize) -> Vec<SourceReport> {
    (0..n)
        .map(|i| instance(&format!("{stack}-{i}"), Vec::new()))
        .collect()
}

/// Sally after the bad promotion: errors flagged, p99 watched (with two failed rounds),
/// two of six instances not answering and one sending lines the parser cannot read.
fn sally() -> MetricsUpdate {
    let errors = SeriesUpdate {
        control: Some(ControlComparison {
            control_stacks: 2,
            normalised: false,
            shift: Shift {
                baseline_median: 0.9,
                recent_median: 4.1,
                relative: 3.5,
                p_value: 0.0004,
            },
            worse: true,
        }),
        history: history(1.0, 4.1, &[]),
        ..series(
            "errors",
            "%",
            BadDirection::Up,
            4.1,
            Verdict::Spike(Flag::fresh(
                spike_since(),
                Shift {
                    baseline_median: 1.0,
                    recent_median: 4.1,
                    relative: 3.1,
                    p_value: 0.0001,
                },
            )),
        )
    };
    let p99 = SeriesUpdate {
        history: history(110.0, 320.0, &[BEFORE + AFTER - 3, BEFORE + AFTER - 2]),
        ..series(
            "p99",
            "ms",
            BadDirection::Up,
            320.0,
            Verdict::Watching {
                consecutive: 2,
                needed: 3,
                basis: Basis::Baseline,
            },
        )
    };
    let timeout = || SourceProblem::Fetch {
        error: FetchError::Timeout { secs: 2 },
    };
    let mut sources = vec![
        instance("sally-0a1b", vec![timeout()]),
        instance("sally-0a1c", vec![timeout()]),
        instance(
            "sally-0a1d",
            vec![SourceProblem::NotUnderstood {
                lines: 3,
                of: 120,
                examples: vec![BadLineReport {
                    line: 7,
                    reason: "label value with '}'".into(),
                    // Text from outside, with an escape sequence that must not reach the screen.
                    text: "http_requests_total{path=\"/a}\"} 1\u{1b}[2J".into(),
                }],
            }],
        ),
    ];
    sources.extend(healthy_sources("sally", 3));
    MetricsUpdate {
        baseline: Default::default(),
        stack: StackId::new("sally"),
        at: at(BEFORE + AFTER),
        watch: Some(Watch::took_traffic(
            Version::new("old"),
            Version::new("new"),
            promoted(),
        )),
        series: vec![
            series("req/s", "/s", BadDirection::Down, 1234.0, Verdict::Ok),
            errors,
            p99,
        ],
        sources,
    }
}

fn www() -> MetricsUpdate {
    MetricsUpdate {
        baseline: Default::default(),
        stack: StackId::new("www"),
        at: at(BEFORE + AFTER),
        watch: Some(Watch::took_traffic(
            Version::new("old"),
            Version::new("new"),
            at(10),
        )),
        series: vec![
            series("req/s", "/s", BadDirection::Down, 41.0, Verdict::Ok),
            series("errors", "%", BadDirection::Up, 0.0, Verdict::Ok),
            series("p99", "ms", BadDirection::Up, 98.0, Verdict::Ok),
        ],
        sources: healthy_sources("www", 2),
    }
}

fn cedric() -> MetricsUpdate {
    let insufficient = || Verdict::NotEvaluated {
        reason: Insufficient::FewBaselineSamples { have: 4, need: 12 },
    };
    MetricsUpdate {
        baseline: Default::default(),
        stack: StackId::new("cedric"),
        at: at(BEFORE + AFTER),
        watch: Some(Watch::took_traffic(
            Version::new("old"),
            Version::new("new"),
            at(4),
        )),
        series: vec![
            series("req/s", "/s", BadDirection::Down, 190.0, insufficient()),
            series("errors", "%", BadDirection::Up, 0.26, insufficient()),
            series("p99", "ms", BadDirection::Up, 213.0, insufficient()),
        ],
        sources: healthy_sources("cedric", 3),
    }
}

fn bruce() -> MetricsUpdate {
    MetricsUpdate {
        baseline: Default::default(),
        stack: StackId::new("bruce"),
        at: at(BEFORE + AFTER),
        watch: None,
        series: vec![
            series(
                "req/s",
                "/s",
                BadDirection::Down,
                1900.0,
                Verdict::Unchanged,
            ),
            series("errors", "%", BadDirection::Up, 0.31, Verdict::Unchanged),
            series("p99", "ms", BadDirection::Up, 221.0, Verdict::Unchanged),
        ],
        sources: healthy_sources("bruce", 6),
    }
}

fn updates() -> Vec<MetricsUpdate> {
    vec![www(), cedric(), sally(), bruce()]
}

fn board() -> Board {
    Board::new(
        STACKS
            .iter()
            .map(|(id, name)| {
                let mut s = StackRelease::new(StackId::new(id), *name);
                let live = if *id == "bruce" { "3f2a1c9" } else { "9be77d1" };
                s.versions = Some(StackVersions::pair(
                    Version::new("9be77d1"),
                    Version::new(live),
                    None,
                ));
                s.phase = if *id == "bruce" {
                    Phase::Pending
                } else {
                    Phase::Live
                };
                s
            })
            .collect(),
    )
}

fn smoke(stack: &str, passed: &[bool]) -> Event {
    Event::Smoke {
        stack: StackId::new(stack),
        cause: SmokeCause::Promotion,
        report: SmokeReport {
            checks: passed
                .iter()
                .enumerate()
                .map(|(i, &ok)| CheckResult {
                    name: ["health", "front page", "article"][i % 3].into(),
                    method: "GET".into(),
                    url: "http://127.0.0.1/".into(),
                    passed: ok,
                    status: Some(if ok { 200 } else { 500 }),
                    latency_ms: 12,
                    attempts: 2,
                    failure: (!ok).then(|| "expected 200, got 500".into()),
                })
                .collect(),
            at: t0(),
        },
    }
}

// ---- drawing helpers ----

struct Fixture {
    pane: MetricsPane,
    /// The dashboard model the pane reads, fed as the app feeds it.
    model: slipway::tui::model::Model,
    board: Board,
    theme: Theme,
    selected: usize,
    focused: bool,
}

impl Fixture {
    fn new(updates: Vec<MetricsUpdate>) -> Fixture {
        let mut f = Fixture {
            pane: MetricsPane::new(&with_metrics()),
            model: Default::default(),
            board: board(),
            theme: Theme::default(),
            selected: SALLY,
            focused: true,
        };
        for u in updates {
            let event = Event::Metrics(Box::new(u));
            f.model.apply(&event);
            f.with(|p, ctx| p.on_event(&event, ctx));
        }
        f
    }

    fn with<R>(&mut self, f: impl FnOnce(&mut MetricsPane, &Ctx) -> R) -> R {
        let ctx = Ctx {
            model: &self.model,
            now: Default::default(),
            requested: &Default::default(),
            board: &self.board,
            selected: self.selected,
            theme: &self.theme,
            focused: self.focused,
        };
        f(&mut self.pane, &ctx)
    }

    /// The pane drawn into an area of `w`×`h` at (1, 1), as inside a border.
    fn draw(&mut self, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w + 2, h + 2));
        let area = Rect::new(1, 1, w, h);
        self.with(|p, ctx| p.render(area, &mut buf, ctx));
        buf
    }

    fn key(&mut self, code: KeyCode) -> Outcome {
        self.with(|p, ctx| p.on_key(KeyEvent::new(code, KeyModifiers::NONE), ctx))
    }

    fn title(&mut self) -> String {
        self.with(|p, ctx| p.title(ctx).to_string())
    }
}

fn row(buf: &Buffer, y: u16) -> String {
    (buf.area.x..buf.area.right())
        .map(|x| buf[(x, y)].symbol())
        .collect::<String>()
        .trim_end()
        .to_string()
}

fn screen(buf: &Buffer) -> Vec<String> {
    (buf.area.y..buf.area.bottom())
        .map(|y| row(buf, y))
        .collect()
}

fn text(buf: &Buffer) -> String {
    screen(buf).join("\n")
}

/// The column of the first cell on row `y` whose symbol is `symbol`.
fn column_of(buf: &Buffer, y: u16, symbol: &str) -> Option<u16> {
    (buf.area.x..buf.area.right()).find(|&x| buf[(x, y)].symbol() == symbol)
}

// ---- the pane ----

#[test]
fn at_80x24_the_pane_shows_the_selected_stacks_series_and_counts_the_rest() {
    // 80×24 gives the Metrics pane 78×3 inside its border.
    let mut f = Fixture::new(updates());
    let buf = f.draw(78, 3);
    let rows = screen(&buf);
    assert!(
        rows[1].contains(" req/s ") && rows[1].contains("1.2k/s  ✓ ok"),
        "{rows:#?}"
    );
    let spike = format!("4.1%  ▲ SPIKE since {} (+310%)", clock(spike_since()));
    assert!(
        rows[2].contains(" errors ") && rows[2].contains(&spike),
        "{rows:#?}"
    );
    assert!(
        rows[3].contains(" p99 ") && rows[3].contains("320ms  watch 2/3"),
        "{rows:#?}"
    );
    // The other stacks, the control comparisons and the sources did not fit: counted.
    assert!(rows[3].ends_with("+8 more (z)"), "{rows:#?}");
    assert_eq!(
        f.title(),
        format!(
            " Metrics · Sally · promoted {} · ⚠ 3 of 6 sources with problems ",
            clock(promoted())
        )
    );
}

#[test]
fn the_promotion_is_marked_in_one_column_and_colours_follow_the_verdict() {
    let mut f = Fixture::new(updates());
    let buf = f.draw(120, 3);
    let marks: Vec<Option<u16>> = (1..=3).map(|y| column_of(&buf, y, "┃")).collect();
    let x = marks[0].unwrap_or_else(|| panic!("no promotion marker: {:#?}", screen(&buf)));
    assert!(marks.iter().all(|m| *m == Some(x)), "{marks:?}");
    let theme = Theme::default();
    // errors: flagged, so red after the promotion, normal before.
    assert_eq!(buf[(x + 1, 2)].fg, theme.error.fg.unwrap_or_default());
    assert_eq!(buf[(x - 1, 2)].fg, theme.accent.fg.unwrap_or_default());
    // p99: watched, so amber after; req/s: fine, so unchanged.
    assert_eq!(buf[(x + 1, 3)].fg, theme.warn.fg.unwrap_or_default());
    assert_eq!(buf[(x + 1, 1)].fg, theme.accent.fg.unwrap_or_default());
    // The errors sparkline rises at the marker: low bars before it, tall ones after.
    assert_eq!(buf[(x - 1, 2)].symbol(), "▃");
    assert_eq!(buf[(x + 1, 2)].symbol(), "█");
}

#[test]
fn gaps_stay_blank_and_non_numbers_are_never_drawn() {
    let mut u = sally();
    u.series[0].value = Some(f64::NAN);
    u.series[0].history[BEFORE + AFTER - 1].value = Some(f64::INFINITY);
    u.series[1].value = None;
    let mut f = Fixture::new(vec![u]);
    let buf = f.draw(120, 3);
    let all = text(&buf);
    assert!(!all.contains("NaN") && !all.contains("inf"), "{all}");
    // req/s: NaN now and ∞ in its last point: a dash and a blank column.
    let rows = screen(&buf);
    assert!(rows[1].contains("— "), "{rows:#?}");
    assert!(rows[2].contains("—  ▲ SPIKE"), "{rows:#?}");
    // The newest point of every sparkline is in the same column; p99's last three rounds
    // had two gaps, blank, with a value between them and the newest.
    let newest = column_of(&buf, 3, "┃").map_or_else(|| panic!("{rows:#?}"), |m| m + AFTER as u16);
    assert_eq!(buf[(newest, 1)].symbol(), " ", "∞ is drawn as a gap");
    assert_eq!(buf[(newest - 2, 3)].symbol(), " ");
    assert_eq!(buf[(newest - 1, 3)].symbol(), " ");
    assert_ne!(buf[(newest, 3)].symbol(), " ");
    assert_ne!(buf[(newest - 3, 3)].symbol(), " ");
}

#[test]
fn tall_or_zoomed_the_pane_shows_everything_with_counts() {
    let mut f = Fixture::new(updates());
    let buf = f.draw(158, 30);
    let all = text(&buf);
    for expected in [
        "errors 4.1% vs 0.90% on 2 other stacks: worse",
        "sources: 2 of 6 sources unreachable: sally-0a1b no answer within 2 s, …; 3 lines not understood",
        "✗ sally-0a1b: no answer within 2 s",
        "✗ sally-0a1d: 3 of 120 lines not understood (line 7: label value with '}': http_requests_total{path=\"/a}\"} 1)",
        "other stacks",
        "not evaluated: baseline 4/12",
        "no change on live",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    for name in ["WWW", "Cedric", "Bruce"] {
        assert!(
            screen(&buf)
                .iter()
                .any(|r| r.starts_with(&format!(" {name} "))),
            "no compact row for {name}:\n{all}"
        );
    }
    assert!(
        !all.contains("not shown") && !all.contains("more (z)"),
        "{all}"
    );
    assert!(!all.contains('\u{1b}'));
}

#[test]
fn the_normal_layout_at_160x45_lists_the_other_stacks_compactly() {
    // 160×45 gives the pane 158×8: three series, a line on the sources, three stacks.
    let mut f = Fixture::new(updates());
    let buf = f.draw(158, 8);
    let rows = screen(&buf);
    assert!(
        rows[4].starts_with(" sources: 2 of 6 sources unreachable"),
        "{rows:#?}"
    );
    assert!(rows[5].starts_with(" WWW "), "{rows:#?}");
    assert!(rows[5].contains("req/s") && rows[5].contains("41/s") && rows[5].ends_with("✓ ok"));
    assert!(rows[6].contains("213ms") && rows[6].ends_with("not evaluated: baseline 4/12"));
    assert!(rows[7].starts_with(" Bruce ") && rows[7].contains("1.9k/s"));
    assert!(rows[8].contains("not shown · z zooms"), "{rows:#?}");
    let redacted = text(&buf)
        .replace(&clock(spike_since()), "HH:MM")
        .replace(&clock(promoted()), "HH:MM");
    insta::assert_snapshot!("metrics_pane_158x8", redacted);
}

#[test]
fn after_a_rollback_the_marker_is_called_what_it_was() {
    use slipway::engine::release::{Transfer, TransferKind};
    let mut sally = sally();
    if let Some(w) = sally.watch.as_mut() {
        w.cause = slipway::feeds::metrics::WatchCause::Rollback;
    }
    let mut f = Fixture::new(vec![www(), cedric(), sally, bruce()]);
    f.board.stacks[SALLY].phase = Phase::RolledBack(Transfer {
        from: Version::new("9be77d1"),
        to: Version::new("3f2a1c9"),
        deployment: None,
        started: promoted(),
        progress: None,
        message: None,
        kind: TransferKind::Rollback,
        env: slipway::model::Env::live(),
    });
    let when = clock(promoted());
    assert!(
        f.title().contains(&format!(" · rolled back {when}")),
        "{}",
        f.title()
    );
    f.key(KeyCode::Enter);
    let all = text(&f.draw(120, 6));
    assert!(
        all.contains("rolled back: new version took traffic") && all.contains("(┃ marks it)"),
        "{all}"
    );
}

#[test]
fn a_stack_without_data_says_why() {
    // Nothing yet.
    let mut f = Fixture::new(Vec::new());
    assert!(text(&f.draw(78, 3)).contains("waiting for the first scrape…"));
    // No instances: every value a gap, and the reason on screen.
    let mut u = sally();
    u.sources.clear();
    for s in &mut u.series {
        s.value = None;
        s.history.iter_mut().for_each(|p| p.value = None);
    }
    let mut f = Fixture::new(vec![u]);
    let all = text(&f.draw(100, 5));
    assert!(
        all.contains("sources: no sources: the stack has no instances to scrape"),
        "{all}"
    );
    assert!(all.contains("—"), "{all}");
    // No series in the config.
    let mut u = sally();
    u.series.clear();
    let mut f = Fixture::new(vec![u]);
    assert!(text(&f.draw(78, 3)).contains("no metrics configured"));
    assert_eq!(f.key(KeyCode::Enter), Outcome::Handled);
    assert!(text(&f.draw(78, 3)).contains("no metrics configured"));
}

#[test]
fn the_detail_view_shows_the_numbers_behind_a_verdict() {
    let mut f = Fixture::new(updates());
    assert_eq!(f.key(KeyCode::Char('j')), Outcome::Handled);
    assert_eq!(f.key(KeyCode::Enter), Outcome::Handled);
    assert!(f.title().contains(" · errors"));
    let hints = f.with(|p, ctx| p.hints(ctx));
    assert_eq!(hints[0].key, "Esc");
    let all = text(&f.draw(158, 20));
    for expected in [
        "errors (%) · bad when it rises · ▲ SPIKE since",
        "now 4.1% · min 0.98% · max 4.2% · 60 samples",
        "40 samples before it, 20 since",
        "detector: baseline median 1.0% → recent median 4.1% · effect +310% · p 1.0e-4",
        "errors 4.1% vs 0.90% on 2 other stacks: worse",
        "vs other stacks: effect +350% · p 4.0e-4",
        "sources: 2 of 6 sources unreachable",
        "✗ sally-0a1c: no answer within 2 s",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    // p99 is not flagged: the numbers come from the samples in view.
    f.key(KeyCode::Char('j'));
    let all = text(&f.draw(158, 20));
    assert!(
        all.contains("p99 (ms) · bad when it rises · watch 2/3"),
        "{all}"
    );
    assert!(
        all.contains("samples in view: baseline median 110ms → recent median 320ms"),
        "{all}"
    );
    assert!(all.contains("2 gaps"), "{all}");
    // Esc closes it; a second Esc is the app's (to leave zoom).
    assert_eq!(f.key(KeyCode::Esc), Outcome::Handled);
    assert!(text(&f.draw(158, 20)).contains("other stacks"));
    assert_eq!(f.key(KeyCode::Esc), Outcome::Ignored);
    // 'd' opens it too, and it survives a short pane.
    f.key(KeyCode::Char('d'));
    let all = text(&f.draw(78, 3));
    assert!(
        all.contains("p99 (ms)") && all.contains("now 320ms"),
        "{all}"
    );
}

#[test]
fn keys_move_the_highlight_within_the_series() {
    let mut f = Fixture::new(updates());
    for _ in 0..5 {
        f.key(KeyCode::Down);
    }
    let buf = f.draw(100, 3);
    let theme = Theme::default();
    let lit = |y: u16| buf[(1, y)].bg == theme.selection.bg.unwrap_or_default();
    assert!(
        !lit(1) && !lit(2) && lit(3),
        "the last series is highlighted"
    );
    f.key(KeyCode::Up);
    f.key(KeyCode::Char('k'));
    f.key(KeyCode::Char('k'));
    let buf = f.draw(100, 3);
    assert_eq!(buf[(1, 1)].bg, theme.selection.bg.unwrap_or_default());
    // Unfocused, nothing is highlighted.
    f.focused = false;
    let buf = f.draw(100, 3);
    assert_ne!(buf[(1, 1)].bg, theme.selection.bg.unwrap_or_default());
    assert_eq!(f.key(KeyCode::Char('x')), Outcome::Ignored);
}

#[test]
fn clicking_a_compact_row_selects_that_stack_and_a_series_opens_it() {
    let mut f = Fixture::new(updates());
    let buf = f.draw(158, 10);
    let y = (0..buf.area.height)
        .find(|&y| row(&buf, y).starts_with(" Bruce "))
        .unwrap_or_else(|| panic!("{:#?}", screen(&buf)));
    let click = |row: u16| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let inner = Rect::new(1, 1, 158, 10);
    let outcome = f.with(|p, ctx| p.on_mouse(click(y), inner, ctx));
    assert_eq!(outcome, Outcome::Intent(Intent::Select(3)));
    // A series row: the first click highlights it, the second opens its detail.
    f.with(|p, ctx| p.on_mouse(click(2), inner, ctx));
    f.with(|p, ctx| p.on_mouse(click(2), inner, ctx));
    assert!(text(&f.draw(158, 10)).contains("errors (%) · bad when it rises"));
    let scroll = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click(2)
    };
    assert_eq!(
        f.with(|p, ctx| p.on_mouse(scroll, inner, ctx)),
        Outcome::Handled
    );
}

#[test]
fn tiny_areas_never_panic() {
    let mut f = Fixture::new(updates());
    for detail in [false, true] {
        if detail {
            f.key(KeyCode::Enter);
        }
        for (w, h) in [(0, 0), (1, 1), (10, 3), (3, 10), (2, 1), (1, 40), (400, 2)] {
            f.draw(w, h);
        }
    }
    let mut empty = Fixture::new(Vec::new());
    empty.board = Board::new(Vec::new());
    assert!(text(&empty.draw(40, 2)).contains("No stacks configured."));
    empty.draw(0, 0);
}

// ---- the whole dashboard ----

fn dashboard(w: u16, h: u16) -> (App, Terminal<TestBackend>) {
    let mut app = App::new(with_metrics(), Theme::default(), board());
    for u in updates() {
        app.on_engine_event(Event::Metrics(Box::new(u)));
    }
    app.on_engine_event(smoke("www", &[true, true, true]));
    app.on_engine_event(smoke("sally", &[true, true, false]));
    app.on_engine_event(Event::SmokeStarted {
        stack: StackId::new("cedric"),
        cause: SmokeCause::Request,
    });
    let term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    (app, term)
}

fn frame(app: &mut App, term: &mut Terminal<TestBackend>) -> Buffer {
    term.draw(|f| app.render(f))
        .unwrap_or_else(|e| panic!("{e}"));
    term.backend().buffer().clone()
}

fn press(app: &mut App, c: char) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )));
}

fn stack_row(buf: &Buffer, name: &str) -> String {
    // Row 0 is the dashboard's header, which names the selected stack too, and row 1 the
    // Stacks pane's title, which names the next stack.
    screen(buf)
        .into_iter()
        .skip(2)
        .find(|r| r.contains(&format!(" {name} ")) && r.contains("9be77d"))
        .unwrap_or_else(|| panic!("no row for {name}:\n{}", text(buf)))
}

#[test]
fn at_200x60_stack_rows_carry_the_flag_and_the_smoke_results() {
    let (mut app, mut term) = dashboard(200, 60);
    press(&mut app, '3');
    let buf = frame(&mut app, &mut term);
    let sally = stack_row(&buf, "Sally");
    // After the widest state ("[Promote]"), in one column.
    assert!(sally.contains("✓ live    ▲ SPIKE smoke ✗ 2/3"), "{sally}");
    let www = stack_row(&buf, "WWW");
    assert!(www.contains("✓ live    smoke ✓ 3/3"), "{www}");
    let cedric = stack_row(&buf, "Cedric");
    assert!(cedric.contains("✓ live    smoke …"), "{cedric}");
    let all = text(&buf);
    assert!(all.contains("Metrics · Sally"), "{all}");
    assert!(all.contains("▲ SPIKE since"), "{all}");
    // The flagged cell is red; the failed smoke test too.
    let theme = Theme::default();
    let y = (0..60)
        .find(|&y| row(&buf, y).contains("▲ SPIKE smoke"))
        .unwrap_or_default();
    let x = column_of(&buf, y, "▲").unwrap_or_default();
    assert_eq!(buf[(x, y)].fg, theme.error.fg.unwrap_or_default());
}

#[test]
fn at_80x24_stack_rows_stay_readable_and_metrics_show_the_selected_stack() {
    let (mut app, mut term) = dashboard(80, 24);
    press(&mut app, '3');
    let buf = frame(&mut app, &mut term);
    let sally = stack_row(&buf, "Sally");
    // No room for the flag in its column: it moves up to the state rather than vanish,
    // and the smoke result is what gives way.
    assert!(
        sally.contains("▶3 Sally   9be77d1 9be77d1 ✓ live ▲ SPIKE"),
        "{sally}"
    );
    assert!(!sally.contains("smoke"), "{sally}");
    let bruce = stack_row(&buf, "Bruce");
    assert!(bruce.contains("3f2a1c9 9be77d1 [Promote]"), "{bruce}");
    let all = text(&buf);
    for expected in ["req/s", "1.2k/s", "errors", "4.1%", "p99", "320ms", "SPIKE"] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    // Zoomed, the same pane shows every stack and source.
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(
        KeyCode::Tab,
        KeyModifiers::NONE,
    )));
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(
        KeyCode::Tab,
        KeyModifiers::NONE,
    )));
    press(&mut app, 'z');
    let all = text(&frame(&mut app, &mut term));
    assert!(
        all.contains("other stacks") && all.contains("Bruce"),
        "{all}"
    );
    assert!(
        all.contains("sally-0a1d: 3 of 120 lines not understood"),
        "{all}"
    );
}

#[test]
fn the_dashboard_draws_at_tiny_and_odd_sizes() {
    for (w, h) in [(1, 1), (10, 3), (60, 16), (61, 17), (300, 20)] {
        let (mut app, mut term) = dashboard(w, h);
        frame(&mut app, &mut term);
    }
}

/// The demo's three series, as the config would say.
fn with_metrics() -> AppInfo {
    AppInfo {
        metrics_series: 3,
        stops_with_us: None,
        ..AppInfo::default()
    }
}

#[test]
fn without_series_in_the_config_the_pane_says_so_instead_of_waiting() {
    let mut app = App::new(AppInfo::default(), Theme::default(), board());
    let mut term = Terminal::new(TestBackend::new(120, 30)).expect("terminal");
    term.draw(|f| app.render(f)).expect("draw");
    let screen = format!("{}", term.backend());
    assert!(screen.contains("No metrics configured"), "{screen}");
    assert!(!screen.contains("waiting for the first scrape"), "{screen}");
}
