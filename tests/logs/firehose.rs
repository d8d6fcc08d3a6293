//! A process writing a million lines as fast as it can while the view keeps rendering:
//! memory stays bounded and every line is either shown, or counted as dropped on screen.

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use slipway::config::LogSourceConfig;
use slipway::feeds::logs::{
    LogFeedEvent, SourceOptions, SourceStatus, TemplateVars, spawn_source_with,
};
use slipway::text::sanitize::group_thousands;
use slipway::tui::logview::{LogView, LogViewState, LogViewStyles};
use tokio::sync::mpsc;

use super::render::screen;

const TOTAL: u64 = 1_000_000;
const CAPACITY: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_lines_stay_bounded_and_the_drops_are_shown() {
    let config = LogSourceConfig::Command {
        command: format!("seq 1 {TOTAL}"),
        restart: false,
    };
    let opts = SourceOptions {
        backlog_lines: 20_000,
        ..SourceOptions::default()
    };
    // A small channel, as a busy UI would drain it: the source must not block on it.
    let (tx, mut rx) = mpsc::channel(4);
    let _h = spawn_source_with(&config, &TemplateVars::default(), opts, tx);
    let mut state = LogViewState::new(CAPACITY);
    state.set_filter("/7$/").unwrap();
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let styles = LogViewStyles::default();
    let mut frames = 0u32;
    let mut ended = None;
    let mut tick = tokio::time::interval(Duration::from_millis(16));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while ended.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "firehose did not finish"
        );
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(LogFeedEvent::Status(SourceStatus::Ended { code })) => ended = Some(code),
                Some(ev) => state.apply(&ev),
                None => break,
            },
            _ = tick.tick() => {
                term.draw(|f| f.render_stateful_widget(LogView::new(&styles), f.area(), &mut state)).unwrap();
                frames += 1;
                assert!(state.len() <= CAPACITY, "buffer grew past its capacity");
            }
        }
    }
    // Whatever is left in flight.
    while let Ok(ev) = rx.try_recv() {
        state.apply(&ev);
    }
    assert_eq!(ended, Some(Some(0)), "seq exited cleanly");
    assert!(frames > 0);
    assert!(state.len() <= CAPACITY);
    assert_eq!(
        state.len() as u64 + state.dropped(),
        TOTAL,
        "every line is either held or counted as dropped"
    );
    assert_eq!(state.lines().last(), Some("1000000"));
    term.draw(|f| f.render_stateful_widget(LogView::new(&styles), f.area(), &mut state))
        .unwrap();
    let rows = screen(term.backend().buffer());
    let note = format!("{} lines dropped", group_thousands(state.dropped()));
    assert!(rows[0].ends_with(&note), "{:?} should show {note}", rows[0]);
    assert_eq!(rows[29], "999997", "filtered view follows the newest match");
}
