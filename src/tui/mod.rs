//! The full-screen dashboard: terminal setup, the event loop, the app and its panes.
//! UI code does no I/O of its own: it renders state built from engine events and turns
//! keys into engine commands.

pub mod app;
pub mod editor;
pub mod input;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod logview;
pub mod model;
pub mod overlay;
pub mod pane;
pub mod panes;
pub mod remedy;
pub mod status;
pub mod terminal;
pub mod theme;

use std::time::Duration;

use chrono::Timelike;
use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::release::Board;
use crate::engine::{EngineHandle, Event};
use app::{App, AppInfo};
use status::Level;
use terminal::TerminalGuard;
use theme::Theme;

/// The shortest time between two frames after a key or click: bursts are drawn together.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// The shortest time between frames when only data changed (metrics, log lines, deploy
/// output): five a second reads as live, and an unattended dashboard stays cheap.
const DATA_FRAME_INTERVAL: Duration = Duration::from_millis(200);
/// Events applied before a frame is drawn, so a flood cannot starve the keyboard.
const EVENTS_PER_FRAME: usize = 512;

pub struct TuiOptions {
    pub info: AppInfo,
    pub theme: Theme,
    pub board: Board,
    pub mouse: bool,
    /// `[keys]` from the config (checked when it was loaded); empty: the defaults.
    pub keys: crate::config::keys::KeysConfig,
}

/// Runs the dashboard until the user quits or a signal asks it to stop.
pub async fn run(
    opts: TuiOptions,
    engine: EngineHandle,
    mut events: mpsc::Receiver<Event>,
) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter(opts.mouse)?;
    let mut app = App::new(opts.info, opts.theme, opts.board);
    app.set_keys(&opts.keys);
    let mut input = EventStream::new();
    let mut signals = Signals::new()?;
    let mut dirty = true;
    // Whether the pending redraw answers the user (drawn quickly) or only new data.
    let mut interactive = true;
    let mut last_frame = Instant::now() - DATA_FRAME_INTERVAL;
    let mut engine_gone = false;
    // Debug builds only: panic after the first frame, so the end-to-end tests can check
    // that a panic still restores the terminal. Release builds do not contain this.
    #[cfg(debug_assertions)]
    let test_panic = std::env::var_os("SLIPWAY_TEST_PANIC").is_some();
    loop {
        let interval = if interactive {
            FRAME_INTERVAL
        } else {
            DATA_FRAME_INTERVAL
        };
        if dirty && last_frame.elapsed() >= interval {
            guard.terminal.draw(|f| app.render(f))?;
            last_frame = Instant::now();
            dirty = false;
            interactive = false;
            #[cfg(debug_assertions)]
            assert!(!test_panic, "a test panic (SLIPWAY_TEST_PANIC is set)");
        }
        let frame_due = last_frame + interval;
        tokio::select! {
            maybe = input.next() => match maybe {
                Some(Ok(ev)) => {
                    let changed = app.on_terminal_event(ev);
                    dirty |= changed;
                    interactive |= changed;
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "reading the terminal failed");
                    anyhow::bail!("reading the terminal failed: {e}");
                }
                None => break,
            },
            maybe = events.recv(), if !engine_gone => match maybe {
                Some(ev) => {
                    dirty |= app.on_engine_event(ev);
                    // Apply what else is already waiting before drawing once.
                    for _ in 0..EVENTS_PER_FRAME {
                        match events.try_recv() {
                            Ok(ev) => dirty |= app.on_engine_event(ev),
                            Err(_) => break,
                        }
                    }
                }
                None => {
                    engine_gone = true;
                    app.say(Level::Error, "The engine stopped; actions are unavailable. Press q to quit.");
                    dirty = true;
                }
            },
            // Only armed while a redraw is waiting for the frame interval.
            () = tokio::time::sleep_until(frame_due), if dirty => {}
            // The header clock shows minutes: wake once a minute, not every frame.
            () = tokio::time::sleep(until_next_minute()) => dirty = true,
            signal = signals.next() => {
                tracing::info!(signal, "stopping on signal");
                break;
            }
        }
        if let Some(osc52) = app.take_clipboard()
            && let Err(e) = guard.write_raw(&osc52)
        {
            tracing::warn!(error = %e, "writing to the clipboard failed");
        }
        for cmd in app.take_commands() {
            if !engine.try_send(cmd) {
                app.say(
                    Level::Error,
                    "The engine is not accepting commands (busy or stopped); try again.",
                );
                dirty = true;
            }
        }
        if app.should_quit() {
            break;
        }
    }
    drop(guard);
    Ok(())
}

fn until_next_minute() -> Duration {
    let now = chrono::Local::now();
    let secs = 60 - u64::from(now.second());
    Duration::from_secs(secs).saturating_sub(Duration::from_nanos(u64::from(
        now.nanosecond() % 1_000_000_000,
    ))) + Duration::from_millis(5)
}

/// SIGTERM, SIGHUP and SIGINT (when not in raw mode) stop the dashboard cleanly.
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.hup.recv() => "SIGHUP",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
