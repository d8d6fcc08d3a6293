//! Log sources: an instance's log read over ssh, from a local file, from any command, or
//! from a streamed HTTP response. Each runs as a tokio task that sends batches of raw lines
//! and status changes on a bounded channel; [`spawn_source`] is the one entry point.
//!
//! Lines are raw bytes, as read: front ends sanitise them (`crate::text::sanitize`) before
//! they reach a terminal.

mod backoff;
mod batch;
pub(crate) mod child;
mod command;
mod file;
mod http;
pub mod print;
mod pump;
mod split;
mod ssh;
pub mod template;
mod validate;

use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use batch::LineBatch;
pub use print::Printer;
pub use split::LineSplitter;
pub use template::{Quoting, TemplateVars};
pub use validate::validate;

use crate::config::{LogSourceConfig, LogsConfig};

/// What a log source tells whoever listens.
#[derive(Debug, Clone, PartialEq)]
pub enum LogFeedEvent {
    /// New raw lines in order, and how many lines were dropped before them because the
    /// listener fell behind (counted, never silent).
    Lines {
        lines: LineBatch,
        dropped: u64,
    },
    Status(SourceStatus),
    /// Lines may be missing or the stream started over here.
    Gap {
        reason: GapReason,
    },
}

/// The state shown next to the source's name in the Logs pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    Connecting,
    Following,
    Reconnecting {
        in_secs: u64,
    },
    /// The source finished (a command exited, a non-follow read completed). `code` is the
    /// exit code when there is one (`None` for a process killed by a signal).
    Ended {
        code: Option<i32>,
    },
    /// Something went wrong, in the words of whatever failed (ssh's own message, say).
    /// Sources that reconnect follow this with `Reconnecting`.
    Failed(String),
}

impl fmt::Display for SourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceStatus::Connecting => f.write_str("connecting"),
            SourceStatus::Following => f.write_str("following"),
            SourceStatus::Reconnecting { in_secs } => write!(f, "reconnecting in {in_secs}s"),
            SourceStatus::Ended { code: Some(c) } => write!(f, "ended with code {c}"),
            SourceStatus::Ended { code: None } => f.write_str("ended"),
            SourceStatus::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

/// Why a gap marker is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GapReason {
    /// The connection dropped and came back: lines written meanwhile may be missing.
    Reconnected { after: Duration },
    /// The file got shorter: reading starts again from its beginning.
    Truncated,
    /// A `restart = true` command was run again.
    Restarted { after: Duration },
}

impl fmt::Display for GapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GapReason::Reconnected { after } => write!(
                f,
                "reconnected after {}; lines may be missing",
                human_secs(*after)
            ),
            GapReason::Truncated => f.write_str("file truncated; reading from the start"),
            GapReason::Restarted { after } => {
                write!(f, "command restarted after {}", human_secs(*after))
            }
        }
    }
}

fn human_secs(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s / 60) % 60),
    }
}

/// How a source runs. `Default` suits the dashboard; tests and the CLI adjust.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceOptions {
    /// Keep following (`tail -F`), or read what is there and end (`slipway logs` without -f).
    pub follow: bool,
    /// Lines of history to start with.
    pub initial_lines: usize,
    /// Raw bytes kept of one line (the sanitiser cuts far earlier, with a marker).
    pub max_line_bytes: usize,
    /// A batch is sent when it has this many lines or bytes, or is this old.
    pub batch_lines: usize,
    pub batch_bytes: usize,
    pub batch_interval: Duration,
    /// What waits while the channel is full; beyond it the oldest lines are dropped.
    pub backlog_lines: usize,
    pub backlog_bytes: usize,
    /// How often a followed file is checked for growth, rotation and truncation.
    pub poll_interval: Duration,
    /// Reconnect delays double from `backoff_min` up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            follow: true,
            initial_lines: 200,
            max_line_bytes: 64 * 1024,
            batch_lines: 2048,
            batch_bytes: 256 * 1024,
            batch_interval: Duration::from_millis(50),
            backlog_lines: 100_000,
            backlog_bytes: 32 * 1024 * 1024,
            poll_interval: Duration::from_millis(100),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

impl SourceOptions {
    /// The dashboard's options for a `[logs]` section.
    pub fn from_config(logs: &LogsConfig) -> Self {
        SourceOptions {
            initial_lines: logs.initial_lines,
            // Nothing is gained by queueing more than the view keeps.
            backlog_lines: logs.buffer_lines.max(1),
            ..Default::default()
        }
    }
}

/// A running source. Dropping it (or calling [`SourceHandle::stop`]) stops the task and
/// kills the source's process group, if it has one.
#[derive(Debug)]
pub struct SourceHandle {
    task: JoinHandle<()>,
    description: String,
}

impl SourceHandle {
    /// What is being read, for the pane title (`ssh web-1:/var/log/app.log`).
    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts reading `config` with `vars` substituted, following, with default options.
/// Must be called within a Tokio runtime.
pub fn spawn_source(
    config: &LogSourceConfig,
    vars: &TemplateVars,
    tx: mpsc::Sender<LogFeedEvent>,
) -> SourceHandle {
    spawn_source_with(config, vars, SourceOptions::default(), tx)
}

/// [`spawn_source`] with explicit options.
pub fn spawn_source_with(
    config: &LogSourceConfig,
    vars: &TemplateVars,
    opts: SourceOptions,
    tx: mpsc::Sender<LogFeedEvent>,
) -> SourceHandle {
    let description = describe(config, vars);
    let out = batch::Outbox::new(tx, &opts);
    let task = match config {
        LogSourceConfig::File { path } => {
            let path = vars.expand(path, Quoting::None);
            tokio::spawn(file::run(path.into(), opts, out))
        }
        LogSourceConfig::Command { command, restart } => {
            let command = vars.expand(command, Quoting::Shell);
            tokio::spawn(command::run(command, *restart, opts, out))
        }
        LogSourceConfig::Ssh {
            host,
            path,
            options,
            connect_timeout_secs,
        } => {
            let spec = ssh::SshSpec {
                host: vars.expand(host, Quoting::None),
                path: vars.expand(path, Quoting::None),
                options: options.clone(),
                connect_timeout_secs: *connect_timeout_secs,
            };
            tokio::spawn(ssh::run(spec, opts, out))
        }
        LogSourceConfig::Http {
            url,
            auth,
            timeout_secs,
            idle_timeout_secs,
        } => {
            let spec = http::HttpSpec {
                url: vars.expand(url, Quoting::Url),
                auth: auth.clone(),
                timeout: Duration::from_secs(*timeout_secs),
                idle_timeout: Duration::from_secs(*idle_timeout_secs),
            };
            tokio::spawn(http::run(spec, opts, out))
        }
    };
    SourceHandle { task, description }
}

/// A one-line description of a source with its placeholders filled, for titles and errors.
pub fn describe(config: &LogSourceConfig, vars: &TemplateVars) -> String {
    let text = match config {
        LogSourceConfig::File { path } => format!("file {}", vars.expand(path, Quoting::None)),
        LogSourceConfig::Command { command, .. } => {
            format!("command {}", vars.expand(command, Quoting::Shell))
        }
        LogSourceConfig::Ssh { host, path, .. } => format!(
            "ssh {}:{}",
            vars.expand(host, Quoting::None),
            vars.expand(path, Quoting::None)
        ),
        LogSourceConfig::Http { url, .. } => {
            // The query may hold a token: leave it out.
            let url = vars.expand(url, Quoting::Url);
            format!("http {}", url.split('?').next().unwrap_or_default())
        }
    };
    crate::text::one_line(&text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_reasons_read_well() {
        assert_eq!(
            GapReason::Reconnected {
                after: Duration::from_secs(5)
            }
            .to_string(),
            "reconnected after 5s; lines may be missing"
        );
        assert_eq!(human_secs(Duration::from_secs(125)), "2m05s");
        assert_eq!(
            SourceStatus::Reconnecting { in_secs: 3 }.to_string(),
            "reconnecting in 3s"
        );
    }
}
