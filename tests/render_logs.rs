//! The Logs and Deploy panes as a user sees them: the whole dashboard rendered into a
//! `TestBackend` at 80×24 and 200×60, fed with the engine's events and driven by keys
//! and clicks. Only what is on screen (and what goes to the engine) is asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::time::Duration;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use slipway::config::LogsConfig;
use slipway::engine::release::{Board, Phase, StackRelease, Transfer, TransferKind};
use slipway::engine::{Action, Command, Event};
use slipway::feeds::logs::{GapReason, LineBatch, LogFeedEvent, SourceStatus};
use slipway::model::{DeployState, DeploymentId, DeploymentRef, Env, Instance, StackId, Version};
use slipway::tui::app::{App, AppInfo};
use slipway::tui::layout;
use slipway::tui::pane::PaneId;
use slipway::tui::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

fn www() -> StackId {
    StackId::new("www")
}

fn board() -> Board {
    Board::new(vec![
        StackRelease::new(www(), "WWW"),
        StackRelease::new(StackId::new("sally"), "Sally"),
    ])
}

/// The dashboard in a test terminal.
struct Screen {
    app: App,
    term: Terminal<TestBackend>,
    size: (u16, u16),
}

impl Screen {
    fn new(size: (u16, u16), buffer_lines: usize) -> Screen {
        let info = AppInfo {
            release: "belfrage".into(),
            platform: "test platform".into(),
            logs: LogsConfig {
                buffer_lines,
                ..LogsConfig::default()
            },
            metrics_series: 0,
            stops_with_us: None,
        };
        let app = App::new(info, Theme::load("dark").unwrap(), board());
        let term = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        let mut s = Screen { app, term, size };
        s.draw();
        s
    }

    fn event(&mut self, e: Event) {
        self.app.on_engine_event(e);
    }

    fn log(&mut self, instance: &str, e: LogFeedEvent) {
        self.event(Event::Log {
            stack: www(),
            instance: instance.into(),
            event: e,
        });
    }

    fn lines(&mut self, instance: &str, lines: &[&str]) {
        self.log(
            instance,
            LogFeedEvent::Lines {
                lines: lines.iter().map(|l| l.as_bytes()).collect::<LineBatch>(),
                dropped: 0,
            },
        );
    }

    /// The engine follows `instance` of WWW and it is up.
    fn follow(&mut self, instance: &str) {
        self.event(Event::LogTarget {
            stack: www(),
            instance: Some(instance.into()),
            description: format!("file /var/log/belfrage/{instance}.log"),
        });
        self.log(instance, LogFeedEvent::Status(SourceStatus::Following));
    }

    fn key(&mut self, code: KeyCode) {
        self.key_mod(code, KeyModifiers::NONE);
    }

    fn key_mod(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        self.app
            .on_terminal_event(TermEvent::Key(KeyEvent::new(code, modifiers)));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn focus(&mut self, pane: PaneId) {
        for _ in 0..PaneId::ALL.len() {
            if self.app.focus() == pane {
                return;
            }
            self.key(KeyCode::Tab);
        }
        assert_eq!(self.app.focus(), pane);
    }

    fn mouse(&mut self, kind: MouseEventKind, column: u16, row: u16) {
        self.app.on_terminal_event(TermEvent::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }));
    }

    fn draw(&mut self) -> Buffer {
        let app = &mut self.app;
        self.term.draw(|f| app.render(f)).unwrap();
        self.term.backend().buffer().clone()
    }

    /// Where a pane is (border included), as the last frame laid it out.
    fn area(&self, pane: PaneId) -> Rect {
        self.app.pane_area(pane).unwrap()
    }

    /// The pane's rows as text, border included (row 0 is the title).
    fn pane(&mut self, pane: PaneId) -> Vec<String> {
        let buf = self.draw();
        let _ = self.size;
        let area = self.area(pane);
        (area.top()..area.bottom())
            .map(|y| {
                (area.left()..area.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect()
    }

    /// Screen position of the first occurrence of `text` inside the pane.
    fn find(&mut self, pane: PaneId, text: &str) -> Option<(u16, u16)> {
        let rows = self.pane(pane);
        let area = self.area(pane);
        rows.iter().enumerate().find_map(|(y, row)| {
            let byte = row.find(text)?;
            let col = row[..byte].chars().count() as u16;
            Some((area.x + col, area.y + y as u16))
        })
    }

    fn title(&mut self, pane: PaneId) -> String {
        self.pane(pane)[0].clone()
    }

    /// Text rows inside the border.
    fn body(&mut self, pane: PaneId) -> Vec<String> {
        let rows = self.pane(pane);
        rows[1..rows.len() - 1]
            .iter()
            .map(|r| {
                let inner: String = r.chars().skip(1).collect();
                let inner: String = inner
                    .chars()
                    .take(inner.chars().count().saturating_sub(1))
                    .collect();
                inner.trim_end().to_string()
            })
            .collect()
    }
}

fn rgb(hex: u32) -> Color {
    Color::Rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

const THEME_ERROR: u32 = 0xf7768e;
const THEME_WARN: u32 = 0xe0af68;
const THEME_HIGHLIGHT_BG: u32 = 0xe0af68;

/// Short enough for the 38 columns of the Logs pane at 80×24.
const APP_LOG: &[&str] = &[
    "12:04:00 INFO  GET / -> 200 in 12ms",
    "12:04:01 WARN  slow origin fabl",
    "12:04:02 ERROR upstream timeout 5s",
    "{\"level\":\"error\",\"msg\":\"pool down\"}",
    "12:04:04 INFO  GET /news -> 200",
];

#[test]
fn logs_pane_shows_the_instance_its_state_and_coloured_levels() {
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        s.follow("www-1a15");
        s.lines("www-1a15", APP_LOG);
        let title = s.title(PaneId::Logs);
        assert!(
            title.contains("Logs · www-1a15 · following"),
            "{size:?}: {title}"
        );
        // The source's description when the title has room for it.
        assert_eq!(
            title.contains("file /var/log/belfrage/www-1a15.log"),
            size.0 >= 200,
            "{size:?}: {title}"
        );
        let body = s.body(PaneId::Logs);
        assert!(
            body.iter().any(|r| r.contains("GET /news -> 200")),
            "{body:?}"
        );

        // The level word of an ERROR line is drawn in the theme's error colour, bold.
        let (x, y) = s.find(PaneId::Logs, "ERROR upstream").unwrap();
        let buf = s.draw();
        for dx in 0..5 {
            let cell = &buf[(x + dx, y)];
            assert_eq!(cell.fg, rgb(THEME_ERROR), "{size:?} ERROR at +{dx}");
            assert!(cell.modifier.contains(ratatui::style::Modifier::BOLD));
        }
        assert_ne!(buf[(x + 6, y)].fg, rgb(THEME_ERROR), "only the level word");
        let (x, y) = s.find(PaneId::Logs, "WARN  slow").unwrap();
        assert_eq!(buf[(x, y)].fg, rgb(THEME_WARN));
        // A JSON line's level field counts too: it reads as the level word, message first.
        let (x, y) = s.find(PaneId::Logs, "ERROR pool down").unwrap();
        for dx in 0..5 {
            assert_eq!(buf[(x + dx, y)].fg, rgb(THEME_ERROR), "{size:?} at +{dx}");
        }
        assert_ne!(buf[(x + 6, y)].fg, rgb(THEME_ERROR), "only the level word");
    }
}

#[test]
fn filter_narrows_live_highlights_and_esc_restores() {
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        s.follow("www-1a15");
        s.lines("www-1a15", APP_LOG);
        s.focus(PaneId::Logs);
        s.key(KeyCode::Char('/'));
        s.type_text("timeout");
        // Live: narrowed before Enter, the prompt on the last row.
        let body = s.body(PaneId::Logs);
        assert!(
            body[0].contains("ERROR upstream timeout"),
            "{size:?} {body:?}"
        );
        assert!(!body.iter().any(|r| r.contains("GET /")), "{body:?}");
        assert!(
            body.last().unwrap().starts_with("filter: timeout"),
            "{body:?}"
        );
        s.key(KeyCode::Enter);
        // The filter in force stays in sight on the last row.
        let body = s.body(PaneId::Logs);
        let footer = body.last().unwrap();
        assert!(
            footer.starts_with("filter: timeout  1 of 5 lines"),
            "{size:?} {footer}"
        );
        let (x, y) = s.find(PaneId::Logs, "timeout 5s").unwrap();
        let buf = s.draw();
        for dx in 0..7 {
            assert_eq!(buf[(x + dx, y)].bg, rgb(THEME_HIGHLIGHT_BG), "{size:?}");
        }
        assert_ne!(buf[(x + 7, y)].bg, rgb(THEME_HIGHLIGHT_BG));

        // New lines are filtered as they arrive; a regex works too.
        s.lines("www-1a15", &["12:05 ERROR db timeout", "12:05 INFO fine"]);
        let body = s.body(PaneId::Logs);
        assert!(body.iter().any(|r| r.contains("db timeout")), "{body:?}");
        assert!(!body.iter().any(|r| r.contains("fine")), "{body:?}");

        // Esc while editing restores the filter from before.
        s.key(KeyCode::Char('/'));
        s.key_mod(KeyCode::Char('u'), KeyModifiers::CONTROL);
        s.type_text("/^12:04.*(WARN|INFO)/");
        let body = s.body(PaneId::Logs);
        assert!(body.iter().any(|r| r.contains("slow origin")), "{body:?}");
        s.key(KeyCode::Esc);
        let body = s.body(PaneId::Logs);
        let footer = body.last().unwrap();
        assert!(
            footer.starts_with("filter: timeout  2 of 7 lines"),
            "{size:?} {footer}"
        );
        // Esc with the prompt closed clears the filter.
        s.key(KeyCode::Esc);
        let body = s.body(PaneId::Logs);
        assert!(body.iter().any(|r| r.contains("fine")), "{body:?}");
    }
}

#[test]
fn wrap_and_timestamps_toggle() {
    let long = format!("2026-11-22T12:04:00Z ERROR {} END", "x".repeat(300));
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        s.follow("www-1a15");
        s.lines("www-1a15", &["short line", &long]);
        s.focus(PaneId::Logs);
        let body = s.body(PaneId::Logs);
        assert!(!body.iter().any(|r| r.contains("END")), "cut, not wrapped");
        s.key(KeyCode::Char('w'));
        let body = s.body(PaneId::Logs);
        let last = body.iter().rposition(|r| !r.is_empty()).unwrap();
        assert!(body[last].ends_with("END"), "{size:?} {body:?}");
        assert!(body[last - 1].chars().all(|c| c == 'x'), "{body:?}");
        s.key(KeyCode::Char('w'));
        s.key(KeyCode::Char('t'));
        let body = s.body(PaneId::Logs);
        let row = body.iter().find(|r| r.contains("short line")).unwrap();
        // HH:MM:SS then the line.
        assert!(
            row.as_bytes()[2] == b':' && row.as_bytes()[5] == b':',
            "{row}"
        );
        assert!(row[9..].starts_with("short line"), "{row}");
    }
}

/// Lines as the demo's instances write them: a full timestamp and a request id first.
const DEMO_LOG: &[&str] = &[
    "2026-12-01T16:01:58.457Z DEBUG [NNFQO2cbO4AeCsWCO-I2] cache miss for /news/articles/c0451",
    "2026-12-01T16:01:58.586Z ERROR [Svhc9pB3G1KDnqG6cddQ] upstream timeout after 5000ms route=Article",
];

#[test]
fn narrow_logs_show_the_message_first_and_the_timestamp_shrinks() {
    for (size, clock) in [((60, 16), false), ((80, 24), true), ((120, 38), true)] {
        let mut s = Screen::new(size, 1000);
        s.follow("www-1a15");
        s.lines("www-1a15", DEMO_LOG);
        let body = s.body(PaneId::Logs);
        let row = body
            .iter()
            .find(|r| r.contains("ERROR"))
            .unwrap_or_else(|| panic!("{size:?}: {body:?}"));
        // The message is read, not the request id.
        assert!(row.contains("ERROR upstream timeout"), "{size:?}: {row}");
        assert!(!row.contains("Svhc9p"), "{size:?}: {row}");
        // The timestamp shrinks to the time of day, then goes.
        assert!(!row.contains("2026-12-01"), "{size:?}: {row}");
        assert_eq!(row.starts_with("16:01:58 ERROR"), clock, "{size:?}: {row}");
        // The level word keeps its colour where it moved to.
        let (x, y) = s.find(PaneId::Logs, "ERROR upstream").unwrap();
        assert_eq!(s.draw()[(x, y)].fg, rgb(THEME_ERROR), "{size:?}");
    }
}

#[test]
fn dropped_lines_gaps_and_reconnecting_are_shown() {
    for size in SIZES {
        let mut s = Screen::new(size, 50);
        s.follow("www-1a15");
        let lines: Vec<String> = (1..=200).map(|i| format!("line {i}")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        s.lines("www-1a15", &refs);
        s.log(
            "www-1a15",
            LogFeedEvent::Status(SourceStatus::Failed(
                "ssh: connect to host 10.0.4.62 port 22: Connection refused".into(),
            )),
        );
        s.log(
            "www-1a15",
            LogFeedEvent::Status(SourceStatus::Reconnecting { in_secs: 3 }),
        );
        let title = s.title(PaneId::Logs);
        assert!(
            title.contains("Logs · www-1a15 · reconnecting in 3s"),
            "{title}"
        );
        if size.0 >= 200 {
            // Why it is reconnecting, in ssh's words (cut to fit).
            assert!(
                title.contains("· ssh: connect to host 10.0.4.62 port 22: Conn"),
                "{title}"
            );
        }
        let body = s.body(PaneId::Logs);
        assert!(body[0].ends_with("150 lines dropped"), "{size:?} {body:?}");
        assert!(body.iter().any(|r| r == "line 200"), "{body:?}");

        s.log(
            "www-1a15",
            LogFeedEvent::Gap {
                reason: GapReason::Reconnected {
                    after: Duration::from_secs(5),
                },
            },
        );
        s.log("www-1a15", LogFeedEvent::Status(SourceStatus::Following));
        s.lines("www-1a15", &["line after the gap"]);
        let body = s.body(PaneId::Logs);
        let n = body.len();
        let gap = "— reconnected after 5s; lines may be missing —";
        let shown: String = gap.chars().take(size.0 as usize / 2 - 2).collect();
        assert_eq!(body[n - 2], shown, "{body:?}");
        assert_eq!(body[n - 1], "line after the gap");
        assert!(s.title(PaneId::Logs).contains("· following"));

        s.log(
            "www-1a15",
            LogFeedEvent::Status(SourceStatus::Ended { code: Some(1) }),
        );
        assert!(s.title(PaneId::Logs).contains("ended (code 1)"));
    }
}

#[test]
fn pausing_counts_new_lines_and_g_follows_again() {
    let mut s = Screen::new((80, 24), 1000);
    s.follow("www-1a15");
    s.lines("www-1a15", APP_LOG);
    s.focus(PaneId::Logs);
    s.key(KeyCode::Char('f'));
    s.lines("www-1a15", &["new 1", "new 2", "new 3"]);
    let title = s.title(PaneId::Logs);
    assert!(title.contains("www-1a15 · paused (3 new)"), "{title}");
    let body = s.body(PaneId::Logs);
    assert!(body.iter().any(|r| r.ends_with("↓ 3 new")), "{body:?}");
    s.key(KeyCode::Char('G'));
    assert!(s.title(PaneId::Logs).contains("www-1a15 · following"));
    assert!(s.body(PaneId::Logs).iter().any(|r| r == "new 3"));
}

#[test]
fn click_selects_a_line_that_y_copies_and_the_wheel_scrolls() {
    let mut s = Screen::new((200, 60), 1000);
    s.follow("www-1a15");
    s.lines("www-1a15", APP_LOG);
    let (x, y) = s.find(PaneId::Logs, "WARN  slow").unwrap();
    s.mouse(MouseEventKind::Down(MouseButton::Left), x, y);
    assert_eq!(s.app.focus(), PaneId::Logs);
    assert!(s.title(PaneId::Logs).contains("paused"));
    s.key(KeyCode::Char('y'));
    let osc = s.app.take_clipboard().expect("a copy");
    use base64::Engine as _;
    let b64 = osc
        .strip_prefix("\x1b]52;c;")
        .and_then(|r| r.strip_suffix('\x07'))
        .unwrap();
    let text = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(String::from_utf8(text).unwrap(), APP_LOG[1]);

    // The wheel moves the selection: down to the bottom follows again.
    s.mouse(MouseEventKind::ScrollDown, x, y);
    s.mouse(MouseEventKind::ScrollDown, x, y);
    assert!(s.title(PaneId::Logs).contains("following"));
    s.mouse(MouseEventKind::ScrollUp, x, y);
    assert!(s.title(PaneId::Logs).contains("paused"));
}

#[test]
fn ctrl_s_asks_for_a_path_and_the_engine_writes_it() {
    let mut s = Screen::new((80, 24), 1000);
    s.follow("www-1a15");
    s.lines("www-1a15", APP_LOG);
    s.focus(PaneId::Logs);
    s.key_mod(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let body = s.body(PaneId::Logs);
    let prompt = body.last().unwrap();
    // The end of the default name, where the cursor is: ./slipway-www-www-1a15-HHMMSS.log
    assert!(prompt.starts_with("Save to: "), "{prompt}");
    assert!(
        prompt.contains("-www-1a15-")
            && std::path::Path::new(prompt.as_str())
                .extension()
                .is_some_and(|e| e == "log"),
        "{prompt}"
    );
    s.key_mod(KeyCode::Char('u'), KeyModifiers::CONTROL);
    s.type_text("/tmp/www.log");
    s.key(KeyCode::Enter);
    let cmds = commands(&mut s.app);
    let Some(Command::WriteFile { path, contents }) = cmds.last() else {
        panic!("{cmds:?}");
    };
    assert_eq!(path.to_str(), Some("/tmp/www.log"));
    assert_eq!(contents.lines().collect::<Vec<_>>(), APP_LOG);
    s.event(Event::FileWritten {
        path: path.clone(),
        result: Err(std::io::Error::from_raw_os_error(13).into()),
    });
    let body = s.body(PaneId::Logs);
    assert!(
        body.last()
            .unwrap()
            .starts_with("Could not save /tmp/www.log: Permissio"),
        "{body:?}"
    );
}

fn instances() -> Vec<Instance> {
    ["www-1a15", "www-4eef", "www-77c0"]
        .iter()
        .map(|id| Instance {
            id: id.to_string(),
            host: format!("10.0.4.{}", id.len()),
        })
        .collect()
}

#[test]
fn instance_picker_lists_instances_and_follows_the_chosen_one() {
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        s.follow("www-1a15");
        s.lines("www-1a15", APP_LOG);
        s.event(Event::Instances {
            stack: www(),
            env: Env::live(),
            instances: instances(),
        });
        s.focus(PaneId::Logs);
        commands(&mut s.app);
        s.key(KeyCode::Char('i'));
        // The list is asked for again: instances change with deployments.
        assert_eq!(
            commands(&mut s.app),
            [Command::ListInstances {
                stack: www(),
                env: Env::live()
            }]
        );
        let body = s.body(PaneId::Logs);
        assert!(body[0].contains("www instances"), "{size:?} {body:?}");
        assert!(body[1].contains("1 ● www-1a15"), "{body:?}");
        assert!(body[1].contains("5 lines kept"), "{body:?}");
        assert!(body[2].contains("2   www-4eef"), "{body:?}");
        assert!(body[3].contains("3   www-77c0"), "{body:?}");
        // While open, keys are the picker's: j moves, Enter follows.
        s.key(KeyCode::Char('j'));
        s.key(KeyCode::Enter);
        assert_eq!(
            commands(&mut s.app),
            [Command::FollowLogs {
                stack: www(),
                instance: Some("www-4eef".into())
            }]
        );
        assert!(!s.body(PaneId::Logs)[0].contains("www instances"));

        // The engine follows it: the new instance shows, the old lines are kept.
        s.follow("www-4eef");
        s.lines("www-4eef", &["from the second instance"]);
        assert!(
            s.title(PaneId::Logs)
                .contains("Logs · www-4eef · following")
        );
        let body = s.body(PaneId::Logs);
        assert!(body.iter().any(|r| r == "from the second instance"));
        assert!(!body.iter().any(|r| r.contains("GET /news")), "{body:?}");

        // Back to the first: what was read before is still there, marked.
        s.follow("www-1a15");
        s.lines("www-1a15", &APP_LOG[3..]);
        s.lines("www-1a15", &["written while away"]);
        let body = s.body(PaneId::Logs);
        let text: Vec<&str> = body.iter().map(|r| r.trim_end()).collect();
        let marker = text
            .iter()
            .position(|r| r.starts_with("— following again at"))
            .unwrap_or_else(|| panic!("{text:?}"));
        assert!(text[marker - 1].contains("GET /news -> 200"), "{text:?}");
        assert_eq!(text[marker + 1], "written while away", "no repeats");
    }
}

#[test]
fn without_a_source_the_pane_says_why() {
    let mut s = Screen::new((80, 24), 1000);
    s.event(Event::LogTarget {
        stack: www(),
        instance: None,
        description: "no log source in config: add [logs] source".into(),
    });
    assert!(
        s.title(PaneId::Logs)
            .contains("Logs · WWW · nothing to follow")
    );
    let body = s.body(PaneId::Logs);
    assert!(body[0].starts_with("no log source in config"), "{body:?}");
}

// ---- the Deploy pane ---------------------------------------------------------------------

fn started(id: &str, action: Action) -> Event {
    Event::DeployStarted {
        stack: www(),
        deployment: DeploymentRef {
            id: DeploymentId::new(id),
            url: None,
        },
        action,
    }
}

fn output(id: &str, lines: &[&str]) -> Event {
    Event::DeployOutput {
        stack: www(),
        deployment: DeploymentId::new(id),
        lines: lines.iter().map(std::string::ToString::to_string).collect(),
    }
}

/// The board as the engine sends it while WWW's deployment `id` is at `progress`.
fn promoting(id: &str, progress: f32) -> Event {
    let mut b = board();
    b.stacks[0].phase = Phase::Promoting(Transfer {
        from: Version::new("ce4e1c5"),
        to: Version::new("c570624"),
        deployment: Some(DeploymentRef {
            id: DeploymentId::new(id),
            url: None,
        }),
        started: chrono::Utc::now(),
        progress: Some(progress),
        message: None,
        env: slipway::model::Env::live(),
        kind: TransferKind::Promotion,
    });
    Event::Board(b)
}

#[test]
fn deploy_pane_before_any_deployment_says_how_to_start_one() {
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        assert!(s.title(PaneId::Deploy).contains("Deploy · WWW "));
        let text = s.body(PaneId::Deploy).join(" ");
        assert!(text.contains("No deployment of WWW yet"), "{text}");
        assert!(text.contains("Press p to promote WWW"), "{text}");
    }
}

#[test]
fn deploy_output_keeps_colours_and_collapses_progress_lines() {
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        s.event(started("5639226", Action::Promote));
        s.event(promoting("5639226", 0.62));
        s.event(output(
            "5639226",
            &[
                "[12:03:10] Fetching artefact belfrage-c570624.tar.gz",
                // A progress bar as a terminal gets it: rewrites with \r, across reads.
                "Downloading artefact  10%\r",
                "Downloading artefact  55%\r",
            ],
        ));
        let body = s.body(PaneId::Deploy);
        assert!(
            body.iter().any(|r| r == "Downloading artefact  55%"),
            "{body:?}"
        );
        s.event(output(
            "5639226",
            &[
                "Downloading artefact 100%",
                "[12:03:12] \x1b[32mOK\x1b[0m artefact (48.2 MB)",
                "[12:03:13] \x1b[33mWARN\x1b[0m instance type c5.2xlarge is previous-generation",
                // And within one line.
                "Unpacking   0%\rUnpacking  50%\rUnpacking 100%",
            ],
        ));
        let title = s.title(PaneId::Deploy);
        assert!(
            title.contains("Deploy · WWW #5639226 · running 62%"),
            "{size:?} {title}"
        );
        let body = s.body(PaneId::Deploy);
        let downloads: Vec<&String> = body.iter().filter(|r| r.contains("Downloading")).collect();
        assert_eq!(
            downloads,
            ["Downloading artefact 100%"],
            "one updating line"
        );
        assert!(body.iter().any(|r| r == "Unpacking 100%"), "{body:?}");
        let buf = s.draw();
        let (x, y) = s.find(PaneId::Deploy, "OK artefact").unwrap();
        assert_eq!(
            (buf[(x, y)].fg, buf[(x + 1, y)].fg),
            (Color::Green, Color::Green)
        );
        assert_ne!(buf[(x + 3, y)].fg, Color::Green, "the colour was reset");
        // A level word takes the theme's colour for its level.
        let (x, y) = s.find(PaneId::Deploy, "WARN instance").unwrap();
        assert_eq!(buf[(x, y)].fg, rgb(THEME_WARN));
        // No escape character reached the screen.
        let text = s.pane(PaneId::Deploy).join("");
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");

        s.event(Event::DeployFinished {
            stack: www(),
            deployment: DeploymentId::new("5639226"),
            state: DeployState::Succeeded,
            message: Some("Deployed c570624 to live".into()),
        });
        let title = s.title(PaneId::Deploy);
        assert!(title.contains("#5639226 · succeeded"), "{title}");
        let body = s.body(PaneId::Deploy);
        let marker = body
            .iter()
            .find(|r| r.starts_with("— deployment succeeded at"))
            .unwrap_or_else(|| panic!("{body:?}"));
        assert_eq!(
            marker.ends_with(": Deployed c570624 to live —"),
            size.0 >= 200
        );
    }
}

#[test]
fn earlier_deployments_are_selectable_with_brackets() {
    for size in SIZES {
        let mut s = Screen::new(size, 1000);
        s.event(started("5639226", Action::Promote));
        s.event(output("5639226", &["promotion output"]));
        s.event(Event::DeployFinished {
            stack: www(),
            deployment: DeploymentId::new("5639226"),
            state: DeployState::Failed,
            message: Some("health checks failed".into()),
        });
        s.event(started("5639227", Action::Rollback));
        s.event(output("5639227", &["rollback output"]));
        s.focus(PaneId::Deploy);
        // At 80 columns only the essentials fit.
        let wide = size.0 >= 200;
        let title = s.title(PaneId::Deploy);
        assert!(title.contains("Deploy · WWW #5639227 · running"), "{title}");
        if wide {
            assert!(title.contains("· 2/2 · rollback "), "{title}");
        }
        assert!(
            s.body(PaneId::Deploy)
                .iter()
                .any(|r| r == "rollback output")
        );
        s.key(KeyCode::Char('['));
        let title = s.title(PaneId::Deploy);
        assert!(title.contains("Deploy · WWW #5639226 · failed"), "{title}");
        if wide {
            assert!(title.contains("· failed · 1/2 "), "{title}");
        }
        let body = s.body(PaneId::Deploy);
        assert_eq!(body[0], "promotion output");
        assert!(body[1].starts_with("— deployment failed at"), "{body:?}");
        if wide {
            assert!(body[1].ends_with(": health checks failed —"), "{body:?}");
        }
        // Older than the oldest: stays.
        s.key(KeyCode::Char('['));
        assert!(s.title(PaneId::Deploy).contains("#5639226"));
        s.key(KeyCode::Char(']'));
        assert!(s.title(PaneId::Deploy).contains("#5639227 · running"));

        // Another stack has its own (empty) history.
        s.key(KeyCode::Char('2'));
        assert!(s.title(PaneId::Deploy).contains("Deploy · Sally "));
    }
}

#[test]
fn deploy_pane_filters_like_the_logs_pane() {
    let mut s = Screen::new((80, 24), 1000);
    s.event(started("1", Action::Promote));
    s.event(output(
        "1",
        &[
            "step one",
            "\x1b[33mWARN\x1b[0m disk",
            "step two",
            "WARN cpu",
        ],
    ));
    s.focus(PaneId::Deploy);
    s.key(KeyCode::Char('/'));
    s.type_text("warn");
    s.key(KeyCode::Enter);
    let body = s.body(PaneId::Deploy);
    assert_eq!(body[..2], ["WARN disk", "WARN cpu"]);
    assert!(
        body.last()
            .unwrap()
            .starts_with("filter: warn  2 of 4 lines"),
        "{body:?}"
    );
}

// ---- a firehose through the pane -----------------------------------------------------------

/// A million lines in the batches a source sends, through the Logs pane as the event loop
/// feeds it, drawn every so often: the pane holds no more than its buffer, and says how
/// many lines it no longer has.
#[test]
fn a_million_lines_through_the_logs_pane_stay_bounded() {
    use slipway::tui::pane::{Ctx, Pane};
    use slipway::tui::panes::logs::LogsPane;

    const TOTAL: usize = 1_000_000;
    const BUFFER: usize = 10_000;
    const BATCH: usize = 2048;
    let info = AppInfo {
        logs: LogsConfig {
            buffer_lines: BUFFER,
            ..LogsConfig::default()
        },
        ..AppInfo::default()
    };
    let board = board();
    let theme = Theme::load("dark").unwrap();
    let model = slipway::tui::model::Model::default();
    let ctx = Ctx {
        model: &model,
        now: Default::default(),
        requested: &Default::default(),
        board: &board,
        selected: 0,
        theme: &theme,
        focused: true,
    };
    let mut pane = LogsPane::new(&info);
    pane.on_event(
        &Event::LogTarget {
            stack: www(),
            instance: Some("www-1a15".into()),
            description: "command seq 1 1000000".into(),
        },
        &ctx,
    );
    // The pane's size in a 200×60 terminal.
    let area = layout::compute(Rect::new(0, 0, 200, 60), None, 2)
        .area_of(PaneId::Logs)
        .unwrap();
    let mut term = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
    let mut draw = |pane: &mut LogsPane| {
        term.draw(|f| {
            let a = f.area();
            pane.render(a, f.buffer_mut(), &ctx);
        })
        .unwrap();
        let buf = term.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
    };
    let mut sent = 0usize;
    let mut frames = 0;
    let mut text = String::new();
    while sent < TOTAL {
        let n = BATCH.min(TOTAL - sent);
        let mut batch = LineBatch::new();
        for i in sent + 1..=sent + n {
            text.clear();
            use std::fmt::Write as _;
            let _ = write!(text, "12:04:05 INFO request {i} GET /news -> 200");
            batch.push(text.as_bytes());
        }
        sent += n;
        pane.on_event(
            &Event::Log {
                stack: www(),
                instance: "www-1a15".into(),
                event: LogFeedEvent::Lines {
                    lines: batch,
                    dropped: 0,
                },
            },
            &ctx,
        );
        // About thirty frames a second at a few hundred thousand lines a second.
        if (sent / BATCH).is_multiple_of(8) {
            draw(&mut pane);
            frames += 1;
            assert!(
                pane.total_lines() <= BUFFER,
                "the pane grew past its buffer: {}",
                pane.total_lines()
            );
        }
    }
    let rows = draw(&mut pane);
    assert!(frames > 50, "{frames}");
    assert_eq!(pane.total_lines(), BUFFER);
    assert!(
        rows[0].trim_end().ends_with("990,000 lines dropped"),
        "{:?}",
        rows[0]
    );
    let last = rows.iter().rev().find(|r| !r.trim().is_empty()).unwrap();
    assert!(last.contains("request 1000000 GET"), "{last}");
    assert!(pane.title(&ctx).to_string().contains("www-1a15"));
}

/// What the dashboard asked the engine, without the request ids.
fn commands(app: &mut slipway::tui::app::App) -> Vec<Command> {
    app.take_commands().into_iter().map(|r| r.command).collect()
}

#[test]
fn a_log_whose_file_is_gone_says_so_with_its_age_not_following() {
    let t0 = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 1, 16, 0, 0)
        .single()
        .unwrap();
    let mut s = Screen::new((200, 50), 100);
    s.app.freeze_now(t0);
    s.follow("www-1a15");
    s.lines("www-1a15", &["one", "two"]);
    assert!(s.title(PaneId::Logs).contains("www-1a15 · following"));
    s.log(
        "www-1a15",
        LogFeedEvent::Status(SourceStatus::Failed(
            "/tmp/demo/www-1a15.log is gone (deleted or moved away); waiting for it to come back"
                .into(),
        )),
    );
    s.app.freeze_now(t0 + chrono::Duration::seconds(130));
    let title = s.title(PaneId::Logs);
    assert!(
        title.contains("www-1a15 · failed 2m ago: /tmp/demo/www-1a15.log is gone"),
        "{title}"
    );
    assert!(!title.contains("following"), "{title}");
    // What was read stays on screen.
    assert!(s.body(PaneId::Logs).iter().any(|r| r == "two"));
    // Back: following again, the age forgotten.
    s.log("www-1a15", LogFeedEvent::Status(SourceStatus::Following));
    let title = s.title(PaneId::Logs);
    assert!(title.contains("www-1a15 · following"), "{title}");
    assert!(!title.contains("ago"), "{title}");
}

#[test]
fn a_deployment_the_platform_stopped_answering_about_says_its_status_is_unknown_since() {
    let t0 = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 1, 16, 0, 0)
        .single()
        .unwrap();
    let mut s = Screen::new((200, 60), 1000);
    s.app.freeze_now(t0 + chrono::Duration::seconds(150));
    s.event(started("7", Action::Promote));
    s.event(promoting("7", 0.4));
    assert!(s.title(PaneId::Deploy).contains("#7 · running 40%"));
    let Event::Board(mut b) = promoting("7", 0.4) else {
        unreachable!("promoting sends a board")
    };
    b.deploy_trouble(
        &www(),
        Some((t0, "cannot reach the platform: connection refused".into())),
    );
    s.event(Event::Board(b.clone()));
    let hhmm = t0.with_timezone(&chrono::Local).format("%H:%M").to_string();
    let title = s.title(PaneId::Deploy);
    assert!(
        title.contains(&format!("#7 · ⚠ job status unknown since {hhmm} (2m ago)")),
        "{title}"
    );
    assert!(!title.contains("running"), "{title}");
    // The platform answers again: running, as it says.
    b.deploy_trouble(&www(), None);
    s.event(Event::Board(b));
    assert!(s.title(PaneId::Deploy).contains("#7 · running 40%"));
}
