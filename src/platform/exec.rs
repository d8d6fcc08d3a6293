//! Running a short command and reading what it printed: the read operations of platforms
//! that run programs (`versions`, `instances`, `status`, `config`; a `GitOps` rollout check).
//!
//! [`capture`] bounds everything: the time the command may take and the bytes it may
//! print. The command runs in a process group of its own (see `feeds::logs::child`), so
//! on a timeout or an oversized answer the whole group is killed, helpers included, and
//! it dies with slipway.

use std::process::ExitStatus;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::PlatformError;
use super::template::RenderedCommand;
use crate::feeds::logs::child::{SpawnOptions, spawn_group_with};
use crate::text::one_line;

/// Bytes of stderr kept (the end of it) for error messages.
const STDERR_KEPT: usize = 8 * 1024;

/// What a finished command printed, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Everything on stdout (at most the `limit` given to [`capture`]).
    pub stdout: Vec<u8>,
    /// The last few KiB of stderr, lossily decoded, for messages.
    pub stderr: String,
    /// The command line as [`RenderedCommand::short`] names it, for messages.
    pub command: String,
}

impl Captured {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// `Ok(self)` on exit code 0; otherwise a `BadResponse` naming the command, its exit
    /// code (or signal) and the last line it wrote to stderr (or stdout).
    pub fn require_success(self) -> Result<Self, PlatformError> {
        if self.success() {
            return Ok(self);
        }
        let how = match self.code {
            Some(code) => format!("exited with code {code}"),
            None => "was killed by a signal".to_string(),
        };
        let said = last_line(&self.stderr)
            .or_else(|| last_line(&String::from_utf8_lossy(&self.stdout)))
            .map(|l| format!(": {}", one_line(&l, 200)))
            .unwrap_or_default();
        Err(PlatformError::BadResponse {
            action: format!("`{}`", self.command),
            detail: format!("{how}{said}"),
        })
    }

    /// Stdout as text; a `BadResponse` when it is not UTF-8.
    pub fn stdout_text(&self) -> Result<&str, PlatformError> {
        std::str::from_utf8(&self.stdout).map_err(|e| PlatformError::BadResponse {
            action: format!("`{}`", self.command),
            detail: format!(
                "the output is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        })
    }
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::to_string)
}

/// Runs `cmd` (no shell unless the command is `sh -c` by the user's choice) and returns
/// what it printed once it exits, whatever its exit code: see [`Captured::require_success`].
///
/// Errors, each naming the command as the action: `Unreachable` when it cannot be
/// started (no such program: nothing ran); `Timeout` when it runs longer than `timeout`;
/// `BadResponse` when stdout exceeds `limit` bytes. In both latter cases its process
/// group is killed before returning. Stdin is closed; output left behind by background
/// jobs after the command exits is not waited for (the group is killed on exit).
pub async fn capture(
    cmd: &RenderedCommand,
    timeout: Duration,
    limit: usize,
) -> Result<Captured, PlatformError> {
    let action = format!("`{}`", cmd.short());
    let opts = SpawnOptions {
        env: &cmd.env,
        die_with_parent: true,
    };
    let spawned = spawn_group_with(&cmd.program, &cmd.args, &opts).map_err(|e| {
        PlatformError::Unreachable {
            action: action.clone(),
            detail: format!("cannot run {}: {e}", one_line(&cmd.program, 80)),
        }
    })?;
    // Dropping the future (on timeout) drops the child, which kills its group.
    match tokio::time::timeout(timeout, read_all(spawned, limit)).await {
        Err(_) => Err(PlatformError::Timeout {
            action,
            secs: timeout.as_secs().max(1),
        }),
        Ok(Err(Overflow)) => Err(PlatformError::BadResponse {
            action,
            detail: format!("printed more than {limit} bytes; stopped it"),
        }),
        Ok(Ok((status, stdout, stderr))) => Ok(Captured {
            code: status.and_then(|s| s.code()),
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            command: cmd.short(),
        }),
    }
}

struct Overflow;

/// Reads both pipes to their end and waits for the exit. `None` status when waiting
/// failed (reported like a signal: no exit code).
async fn read_all(
    spawned: crate::feeds::logs::child::Spawned,
    limit: usize,
) -> Result<(Option<ExitStatus>, Vec<u8>, Vec<u8>), Overflow> {
    let crate::feeds::logs::child::Spawned {
        mut child,
        mut stdout,
        mut stderr,
    } = spawned;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut buf_out = vec![0u8; 16 * 1024];
    let mut buf_err = vec![0u8; 4 * 1024];
    let (mut out_open, mut err_open) = (true, true);
    let mut status: Option<Option<ExitStatus>> = None;
    while out_open || err_open || status.is_none() {
        tokio::select! {
            r = stdout.read(&mut buf_out), if out_open => match r {
                Ok(n) if n > 0 => {
                    if out.len() + n > limit {
                        // `child` is dropped on return: its group is killed.
                        return Err(Overflow);
                    }
                    out.extend_from_slice(&buf_out[..n]);
                }
                _ => out_open = false,
            },
            r = stderr.read(&mut buf_err), if err_open => match r {
                Ok(n) if n > 0 => {
                    err.extend_from_slice(&buf_err[..n]);
                    if err.len() > 2 * STDERR_KEPT {
                        err.drain(..err.len() - STDERR_KEPT);
                    }
                }
                _ => err_open = false,
            },
            // Kills what the command left behind in its group, which closes the pipes.
            s = child.wait(), if status.is_none() => status = Some(s.ok()),
        }
    }
    if err.len() > STDERR_KEPT {
        err.drain(..err.len() - STDERR_KEPT);
    }
    Ok((status.flatten(), out, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> RenderedCommand {
        RenderedCommand {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("SLIPWAY_STACK".into(), "www".into())],
        }
    }

    const T: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn captures_stdout_stderr_and_the_exit_code() {
        let c = capture(
            &sh("echo \"v-$SLIPWAY_STACK\"; echo oops >&2; exit 3"),
            T,
            1024,
        )
        .await
        .unwrap();
        assert_eq!(c.stdout, b"v-www\n");
        assert_eq!(c.stderr, "oops\n");
        assert_eq!(c.code, Some(3));
        let e = c.require_success().unwrap_err().to_string();
        assert!(e.contains("exited with code 3: oops"), "{e}");
    }

    #[tokio::test]
    async fn a_missing_program_is_unreachable() {
        let cmd = RenderedCommand {
            program: "/nonexistent/slipway-test".into(),
            args: vec![],
            env: vec![],
        };
        let e = capture(&cmd, T, 1024).await.unwrap_err();
        assert!(e.is_rejection(), "{e}");
        assert!(e.to_string().contains("cannot run"), "{e}");
    }

    #[tokio::test]
    async fn timeouts_and_floods_are_errors_and_stop_the_command() {
        let started = std::time::Instant::now();
        let e = capture(&sh("sleep 30"), Duration::from_millis(300), 1024)
            .await
            .unwrap_err();
        assert!(matches!(e, PlatformError::Timeout { .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let e = capture(&sh("yes"), T, 64 * 1024).await.unwrap_err();
        assert!(e.to_string().contains("more than 65536 bytes"), "{e}");
    }

    #[tokio::test]
    async fn background_jobs_do_not_hold_the_answer() {
        let started = std::time::Instant::now();
        let c = capture(&sh("sleep 30 & echo done"), T, 1024).await.unwrap();
        assert_eq!(c.stdout_text().unwrap(), "done\n");
        assert!(started.elapsed() < Duration::from_secs(5));
        let c = capture(&sh("printf '\\377'"), T, 1024).await.unwrap();
        assert!(c.stdout_text().unwrap_err().to_string().contains("UTF-8"));
    }
}
