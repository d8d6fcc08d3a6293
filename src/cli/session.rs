//! Setting up what every subcommand needs: the config, the platform and the engine.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::exit;
use crate::config::{Config, LoadedConfig, PlatformConfig};
use crate::engine::release::Board;
use crate::engine::{self, EngineHandle, Event};
use crate::tui::app::AppInfo;
use crate::tui::theme::Theme;

pub struct Session {
    pub config: Arc<Config>,
    pub engine: EngineHandle,
    pub events: mpsc::Receiver<Event>,
    pub platform: String,
    /// Why deployments end with this process, if they do.
    pub stops_with_us: Option<String>,
}

/// Finds and loads the config, printing a clear message on failure.
pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ExitCode> {
    let path = crate::config::find_config(explicit).map_err(|msg| {
        eprintln!("slipway: {msg}");
        ExitCode::from(exit::REFUSED)
    })?;
    crate::validation::load_file(&path).map_err(|e| {
        eprintln!("slipway: {e}");
        ExitCode::from(exit::REFUSED)
    })
}

/// Builds the platform and starts the engine for a command: versions and its own action
/// only, no metrics and no logs.
pub fn open(config: Config) -> Result<Session, ExitCode> {
    open_with(config, engine::Feeds::NONE)
}

/// `--read-only` on the command line, for every engine this process starts (the demo's
/// config is built, not loaded, so it is applied where engines start, not where configs
/// are read).
static READ_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_read_only(on: bool) {
    READ_ONLY.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// `--dry-run` on the command line, applied the same way.
static DRY_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_dry_run(on: bool) {
    DRY_RUN.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether this run is a dry run (`--dry-run`).
pub fn dry_run() -> bool {
    DRY_RUN.load(std::sync::atomic::Ordering::Relaxed)
}

/// Builds the platform and starts the engine with the feeds asked for.
pub fn open_with(mut config: Config, feeds: engine::Feeds) -> Result<Session, ExitCode> {
    config.release.read_only |= READ_ONLY.load(std::sync::atomic::Ordering::Relaxed);
    config.release.dry_run |= dry_run();
    let config = Arc::new(config);
    let platform = crate::platform::from_config(&config).map_err(|e| {
        eprintln!("slipway: {e}");
        ExitCode::from(exit::REFUSED)
    })?;
    let described = platform.describe();
    let stops_with_us = platform.stops_with_us();
    let (engine, events) = engine::start_with(config.clone(), platform, feeds);
    Ok(Session {
        config,
        engine,
        events,
        platform: described,
        stops_with_us,
    })
}

/// Waits for the first full read of versions. Problems are returned, not printed.
pub async fn first_refresh(
    events: &mut mpsc::Receiver<Event>,
    config: &Config,
) -> (Board, Vec<String>) {
    let mut board = Board::default();
    let mut problems = Vec::new();
    let limit = refresh_timeout(config);
    let wait = async {
        while let Some(ev) = events.recv().await {
            match ev {
                Event::Board(b) => board = b,
                Event::Problem { context, message } => {
                    problems.push(format!("{context}: {message}"));
                }
                Event::Refreshed => return true,
                _ => {}
            }
        }
        false
    };
    match tokio::time::timeout(limit, wait).await {
        Ok(true) => {}
        Ok(false) => problems.push("the engine stopped".into()),
        Err(_) => problems.push(format!(
            "the platform did not answer within {}s",
            limit.as_secs()
        )),
    }
    (board, problems)
}

/// How long one full read may take: every retry with back-off, plus slack.
fn refresh_timeout(config: &Config) -> Duration {
    match &config.platform {
        PlatformConfig::Http(h) => {
            let per_try = h.timeout_secs + 1;
            Duration::from_secs(per_try * (u64::from(h.retries) + 1) + 5)
        }
        // Every environment is read at once, one command each.
        PlatformConfig::Command(c) => Duration::from_secs(c.timeout_secs + 5),
        // A first read may clone, then fetch.
        PlatformConfig::Git(g) => Duration::from_secs(g.timeout_secs * 2 + 5),
    }
}

pub async fn dashboard(explicit: Option<&Path>) -> ExitCode {
    let loaded = match load(explicit) {
        Ok(l) => l,
        Err(code) => return code,
    };
    run_dashboard(loaded.config).await
}

/// Opens the dashboard on a config (a loaded one, or the demo's).
pub async fn run_dashboard(config: Config) -> ExitCode {
    run_dashboard_with(config, None).await
}

/// As [`run_dashboard`]; `stops_with_us` says why deployments end with this process.
async fn run_dashboard_with(config: Config, stops_with_us: Option<String>) -> ExitCode {
    let theme = match Theme::for_terminal(&config.ui.theme) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("slipway: ui.theme: {e}");
            return ExitCode::from(exit::REFUSED);
        }
    };
    let session = match open_with(config, engine::Feeds::ALL) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let board = Board::new(
        session
            .config
            .stacks
            .iter()
            .map(|s| crate::engine::release::StackRelease::new(s.id.clone(), s.display_name()))
            .collect(),
    );
    let opts = crate::tui::TuiOptions {
        info: AppInfo {
            release: session.config.release.name.clone(),
            platform: session.platform.clone(),
            logs: session.config.logs.clone(),
            metrics_series: session.config.metrics.series.len(),
            stops_with_us: stops_with_us.or_else(|| session.stops_with_us.clone()),
        },
        theme,
        board,
        mouse: session.config.ui.mouse,
        keys: session.config.keys.clone(),
    };
    match crate::tui::run(opts, session.engine, session.events).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slipway: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// `slipway demo`: the dashboard on the embedded simulated environment; with `--serve`,
/// only the environment, in the foreground, until Ctrl-C or SIGTERM.
pub async fn demo(
    serve: bool,
    write_config: Option<std::path::PathBuf>,
    step_ms: Option<u64>,
    environments: usize,
) -> ExitCode {
    let mut opts = crate::demo::DemoOptions {
        environments,
        ..crate::demo::DemoOptions::default()
    };
    if let Some(ms) = step_ms {
        opts.step_ms = ms;
    }
    let env = match crate::demo::start(opts).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("slipway: cannot start the demo environment: {e:#}");
            return ExitCode::from(exit::FAILED);
        }
    };
    if serve {
        if let Some(path) = &write_config
            && let Err(e) = std::fs::write(path, env.config_toml())
        {
            eprintln!(
                "slipway: cannot write the config to {}: {e}",
                path.display()
            );
            env.shutdown().await;
            return ExitCode::from(exit::FAILED);
        }
        println!("slipway demo environment is running");
        println!("  platform   {}", env.api_url());
        println!(
            "  metrics    {}/instances/<instance>/metrics",
            env.base_url()
        );
        println!("  logs       {}", env.log_dir().display());
        println!("  repository {}", env.repo_path().display());
        if let Some(path) = &write_config {
            println!(
                "  config     {}  (try: slipway --config {} status)",
                path.display(),
                path.display()
            );
        }
        println!("Press Ctrl-C to stop.");
        wait_for_stop_signal().await;
        env.shutdown().await;
        return ExitCode::SUCCESS;
    }
    let config = match env.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("slipway: the demo's config is invalid (a bug): {e}");
            env.shutdown().await;
            return ExitCode::from(exit::FAILED);
        }
    };
    let code = run_dashboard_with(
        config,
        Some("the demo's simulated platform runs inside this slipway".into()),
    )
    .await;
    env.shutdown().await;
    code
}

async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
