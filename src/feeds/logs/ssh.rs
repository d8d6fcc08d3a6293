//! The `ssh` source: the system OpenSSH client running `tail -F` on the instance.
//!
//! Using `ssh` itself (not a library) means the user's ~/.ssh/config, agent, jump hosts and
//! `known_hosts` all apply. `BatchMode=yes` makes it fail instead of prompting; the child has
//! no terminal anyway. On failure ssh's own last words are shown, then it reconnects with
//! back-off, and a gap marker says lines may be missing.
//!
//! The remote command prints a marker line before `exec tail`, so "following" means the
//! remote side is really running (an empty log would otherwise look like a hung connect).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::backoff::{Backoff, countdown};
use super::batch::Outbox;
use super::child::spawn_group;
use super::pump::{ChildLines, PumpEnd, pump};
use super::template::shell_quote;
use super::{GapReason, LogFeedEvent, SourceOptions, SourceStatus};

pub(super) struct SshSpec {
    pub host: String,
    pub path: String,
    pub options: Vec<String>,
    pub connect_timeout_secs: u64,
}

const MARKER: &str = "__slipway_log_stream_started__";

/// A connection that lasted this long resets the back-off.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// ssh's argument list: our safety options first (ssh keeps the first value it sees for an
/// option, so the user cannot turn `BatchMode` off by accident), then the user's options,
/// then `--` so that the host can never be read as an option.
pub(super) fn ssh_args(spec: &SshSpec, lines: usize, follow: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "-T",
        "-o",
        "BatchMode=yes",
        "-o",
        &format!("ConnectTimeout={}", spec.connect_timeout_secs.max(1)),
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "ServerAliveCountMax=3",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    args.extend(spec.options.iter().cloned());
    args.push("--".into());
    args.push(spec.host.clone());
    let follow_flag = if follow { " -F" } else { "" };
    args.push(format!(
        "echo {MARKER}; exec tail -n {lines}{follow_flag} -- {}",
        shell_quote(&spec.path)
    ));
    args
}

/// Sorts ssh's output: stdout lines are the log (after the marker); stderr lines are kept
/// for the failure message and, once connected, shown (tail's "file truncated" notes).
struct Session {
    connected: bool,
    stderr_tail: VecDeque<String>,
}

impl Session {
    fn failure_message(&self, code: Option<i32>) -> String {
        let said: Vec<&str> = self
            .stderr_tail
            .iter()
            .map(String::as_str)
            .filter(|l| !l.starts_with("Warning: Permanently added"))
            .collect();
        match (said.last(), code) {
            (Some(last), _) => (*last).to_string(),
            (None, Some(c)) => format!("ssh exited with code {c}"),
            (None, None) => "ssh was killed".to_string(),
        }
    }
}

impl ChildLines for Session {
    fn stdout(&mut self, line: &[u8], out: &mut Outbox) {
        if !self.connected && line == MARKER.as_bytes() {
            self.connected = true;
            let _ = out.status(SourceStatus::Following);
            return;
        }
        // Lines before the marker (a login script's chatter) are still worth showing.
        out.push_line(line);
    }

    fn stderr(&mut self, line: &[u8], out: &mut Outbox) {
        let text = crate::text::one_line(&String::from_utf8_lossy(line), 300);
        if text.is_empty() {
            return;
        }
        if self.stderr_tail.len() == 5 {
            self.stderr_tail.pop_front();
        }
        self.stderr_tail.push_back(text);
        if self.connected {
            out.push_line(line);
        }
    }
}

pub(super) async fn run(spec: SshSpec, opts: SourceOptions, mut out: Outbox) {
    if spec.host.starts_with('-') || spec.host.trim().is_empty() {
        let _ = out.status(SourceStatus::Failed(format!(
            "not a usable host name: {:?}",
            crate::text::one_line(&spec.host, 100)
        )));
        out.finish(Duration::from_secs(5)).await;
        return;
    }
    let mut backoff = Backoff::new(opts.backoff_min, opts.backoff_max);
    // Set once we have been connected: later connections start at the end of the file.
    let mut lost_at: Option<Instant> = None;
    let mut was_connected = false;
    loop {
        if out.status(SourceStatus::Connecting).is_err() {
            return;
        }
        let lines = if was_connected { 0 } else { opts.initial_lines };
        let args = ssh_args(&spec, lines, opts.follow);
        let mut session = Session {
            connected: false,
            stderr_tail: VecDeque::new(),
        };
        let started = Instant::now();
        let end = match spawn_group("ssh", &args) {
            Err(e) => {
                let _ = out.status(SourceStatus::Failed(format!("cannot run ssh: {e}")));
                None
            }
            Ok(spawned) => {
                let pumped = {
                    // The gap marker goes in as soon as the new connection is up.
                    let mut sink = GapOnConnect {
                        session: &mut session,
                        lost_at: lost_at.take(),
                    };
                    let end = pump(
                        spawned,
                        &mut sink,
                        &mut out,
                        opts.max_line_bytes,
                        opts.batch_interval,
                    )
                    .await;
                    if sink.lost_at.is_some() {
                        lost_at = sink.lost_at;
                    }
                    end
                };
                match pumped {
                    PumpEnd::Closed => return,
                    PumpEnd::Exited(status) => Some(status.code()),
                    PumpEnd::WaitFailed(e) => {
                        let _ = out.status(SourceStatus::Failed(format!("lost track of ssh: {e}")));
                        None
                    }
                }
            }
        };
        if session.connected {
            was_connected = true;
        }
        if let Some(code) = end {
            if !opts.follow && session.connected {
                let _ = out.status(SourceStatus::Ended { code });
                out.finish(Duration::from_secs(5)).await;
                return;
            }
            let message = if session.connected {
                format!("connection ended: {}", session.failure_message(code))
            } else {
                session.failure_message(code)
            };
            let _ = out.status(SourceStatus::Failed(message));
        }
        if !opts.follow {
            out.finish(Duration::from_secs(5)).await;
            return;
        }
        if session.connected {
            if started.elapsed() >= STABLE_CONNECTION {
                backoff.reset();
            }
            lost_at = Some(Instant::now());
        }
        if countdown(&mut out, backoff.next_delay()).await.is_err() {
            return;
        }
    }
}

/// Wraps a session so that the gap marker is queued right when the marker line arrives,
/// before the first line of the new connection.
struct GapOnConnect<'a> {
    session: &'a mut Session,
    lost_at: Option<Instant>,
}

impl ChildLines for GapOnConnect<'_> {
    fn stdout(&mut self, line: &[u8], out: &mut Outbox) {
        let was = self.session.connected;
        self.session.stdout(line, out);
        if !was
            && self.session.connected
            && let Some(at) = self.lost_at.take()
        {
            let _ = out.event(LogFeedEvent::Gap {
                reason: GapReason::Reconnected {
                    after: at.elapsed(),
                },
            });
        }
    }

    fn stderr(&mut self, line: &[u8], out: &mut Outbox) {
        self.session.stderr(line, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_keep_the_host_and_path_safe() {
        let spec = SshSpec {
            host: "web-1".into(),
            path: "/var/log/my app.log".into(),
            options: vec!["-p".into(), "2222".into()],
            connect_timeout_secs: 7,
        };
        let args = ssh_args(&spec, 50, true);
        assert_eq!(args[0], "-T");
        assert!(args.contains(&"BatchMode=yes".to_string()));
        assert!(args.contains(&"ConnectTimeout=7".to_string()));
        let dashdash = args.iter().position(|a| a == "--").unwrap();
        assert_eq!(args[dashdash - 2], "-p");
        assert_eq!(args[dashdash + 1], "web-1");
        assert_eq!(
            args[dashdash + 2],
            format!("echo {MARKER}; exec tail -n 50 -F -- '/var/log/my app.log'")
        );
    }
}
