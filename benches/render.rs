//! A full frame of the dashboard at 200×60 with every pane full: state built by a real
//! engine on the embedded demo (versions, diffs, metrics, two deployments' output), plus
//! 100,000 log lines, with a filter active in the Logs pane. Budget: median under 1 ms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use slipway::demo::{DemoOptions, start};
use slipway::engine::release::{Board, StackRelease};
use slipway::engine::{self, Command, Event};
use slipway::feeds::logs::{LineBatch, LogFeedEvent};
use slipway::model::StackId;
use slipway::tui::app::{App, AppInfo};
use slipway::tui::theme::Theme;

fn key(app: &mut App, code: KeyCode) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Runs the demo and the engine for a while, feeding every event to the app.
fn full_app() -> App {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let env = start(DemoOptions::fast()).await.expect("demo");
        let mut config = env.config().expect("demo config");
        config.metrics.interval_secs = 1;
        config.metrics.timeout_secs = 1;
        let config = Arc::new(config);
        let platform = slipway::platform::from_config(&config).expect("platform");
        let (handle, mut events) = engine::start(config.clone(), platform);
        let board = Board::new(
            config.stacks.iter().map(|s| StackRelease::new(s.id.clone(), s.display_name())).collect(),
        );
        let info = AppInfo {
            release: "belfrage".into(),
            platform: "http demo".into(),
            logs: config.logs.clone(),
            metrics_series: config.metrics.series.len(),
            stops_with_us: None,
        };
        let mut app = App::new(info, Theme::default(), board);
        let mut target = None;
        let deadline = Instant::now() + Duration::from_secs(12);
        let mut promoted = 0;
        while Instant::now() < deadline {
            let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await else {
                continue;
            };
            if let Event::LogTarget { stack, instance: Some(i), .. } = &ev {
                target = Some((stack.clone(), i.clone()));
            }
            if matches!(ev, Event::Refreshed) && promoted < 2 {
                for id in ["www", "cedric"] {
                    handle
                        .send(Command::Promote { stack: StackId::new(id), expected: None, override_order: true, to: None, override_gates: None })
                        .await;
                }
                promoted += 1;
            }
            app.on_engine_event(ev);
        }
        // A full log buffer on the followed instance.
        if let Some((stack, instance)) = target {
            for chunk in 0..100 {
                let lines: Vec<Vec<u8>> = (0..1000)
                    .map(|i| {
                        let level = if i % 10 == 0 { "ERROR" } else { "INFO " };
                        format!("2026-11-22T12:04:{:02}.{i:03}Z {level} [req={chunk:04}{i:04}] GET /news/articles/c{i:05} 200 {}ms", i % 60, i % 97)
                            .into_bytes()
                    })
                    .collect();
                let batch: LineBatch = lines.iter().map(std::vec::Vec::as_slice).collect();
                app.on_engine_event(Event::Log {
                    stack: stack.clone(),
                    instance: instance.clone(),
                    event: LogFeedEvent::Lines { lines: batch, dropped: 0 },
                });
            }
        }
        // Focus the Logs pane and filter it.
        for _ in 0..3 {
            key(&mut app, KeyCode::Tab);
        }
        key(&mut app, KeyCode::Char('/'));
        for c in "ERROR".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Enter);
        drop(handle);
        env.shutdown().await;
        app
    })
}

fn bench(c: &mut Criterion) {
    let mut app = full_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    // The first frame fills caches (wrapping, scaling) as the first real frame would.
    let _ = terminal.draw(|f| app.render(f));
    let screen = format!("{}", terminal.backend());
    for pane in ["Stacks", "Changes", "Metrics", "Logs", "Deploy"] {
        assert!(screen.contains(pane), "{pane} is drawn:\n{screen}");
    }
    c.bench_function("full frame 200x60, every pane full, logs filtered", |b| {
        b.iter(|| {
            terminal.draw(|f| app.render(f)).expect("draw");
        });
    });
    let mut small = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    c.bench_function("full frame 80x24", |b| {
        b.iter(|| {
            small.draw(|f| app.render(f)).expect("draw");
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
