//! One deployment of the command platform: its commands run one after another in process
//! groups of their own, their stdout and stderr read as they come into a bounded buffer,
//! interrupted on abort (SIGINT, then SIGKILL after a grace period) or when the deployment
//! runs out of time.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::output::OutputBuffer;
use crate::feeds::logs::LineSplitter;
use crate::feeds::logs::child::{SpawnOptions, Spawned, spawn_group_with};
use crate::model::{DeployState, DeployStatus, DeploymentId, Env, StackId};
use crate::platform::exec::capture;
use crate::platform::template::RenderedCommand;
use crate::platform::{OutputChunk, PlatformError};
use crate::text::one_line;

/// A line longer than this is cut (the sanitiser marks the cut when it is shown).
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Deploy output kept per deployment, whatever the line count allows.
const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// A `\r` progress line waiting for its `\n` is shown after this long.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// After a command exits, output still in its pipes is read for at most this long (a
/// process that left its group may hold a pipe open).
const AFTER_EXIT_GRACE: Duration = Duration::from_secs(2);
/// Bytes of the abort command's output kept in the deploy output.
const ABORT_OUTPUT_BYTES: usize = 64 * 1024;

/// Where a deployment is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ran {
    /// Step `step` (from 1) of `of` runs.
    Running {
        step: usize,
        of: usize,
        command: String,
    },
    /// Every command exited 0; a `status` command may say the rollout goes on.
    CommandsSucceeded,
    /// Finished for good.
    Ended(DeployStatus),
}

/// How the platform's settings apply to a deployment.
#[derive(Debug, Clone)]
pub(crate) struct RunSettings {
    pub deploy_timeout: Duration,
    pub grace: Duration,
    pub read_timeout: Duration,
    pub output_lines: usize,
}

pub(crate) struct Deployment {
    pub id: DeploymentId,
    pub stack: StackId,
    pub env: Env,
    /// When the deployment must be over (it started `deploy_timeout` before).
    pub deadline: Instant,
    pub deploy_timeout: Duration,
    output: Mutex<OutputBuffer>,
    ran: watch::Sender<Ran>,
    #[allow(
        clippy::option_option,
        reason = "none yet, no abort, or an abort with or without its own command"
    )]
    abort: watch::Sender<Option<Option<RenderedCommand>>>,
    /// What the abort command said when it failed.
    abort_error: Mutex<Option<String>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Deployment {
    pub(crate) fn ran(&self) -> Ran {
        self.ran.borrow().clone()
    }

    pub(crate) fn set_ended(&self, status: DeployStatus) {
        self.ran.send_replace(Ran::Ended(status));
    }

    pub(crate) fn output(&self, offset: u64) -> OutputChunk {
        lock(&self.output).read(offset)
    }

    /// Interrupts the running command (SIGINT to its group, SIGKILL after the grace
    /// period), then runs `then` (the configured abort command), and waits for all that
    /// to finish, at most `limit`. `Err` with what went wrong.
    pub(crate) async fn abort(
        &self,
        then: Option<RenderedCommand>,
        limit: Duration,
    ) -> Result<(), String> {
        self.abort.send_if_modified(|a| {
            if a.is_none() {
                *a = Some(then);
                true
            } else {
                false
            }
        });
        let mut ran = self.ran.subscribe();
        let ended =
            tokio::time::timeout(limit, ran.wait_for(|r| !matches!(r, Ran::Running { .. }))).await;
        match ended {
            Err(_) => Err(format!(
                "the command did not stop within {}s",
                limit.as_secs()
            )),
            Ok(_) => match lock(&self.abort_error).take() {
                Some(e) => Err(e),
                None => Ok(()),
            },
        }
    }
}

impl Deployment {
    /// Stops the runner at once: its task owns the process group, and dropping it kills
    /// the group (the platform does this when it is dropped, so nothing outlives it).
    pub(crate) fn kill(&self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

/// Poisoning only means a panic elsewhere; the data (lines, a message) is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Starts the first command at once (so a program that cannot run refuses the
/// deployment: nothing started) and the rest in order in the background.
pub(crate) fn start(
    id: DeploymentId,
    stack: StackId,
    env: Env,
    steps: Vec<RenderedCommand>,
    settings: RunSettings,
) -> Result<Arc<Deployment>, PlatformError> {
    let first = steps
        .first()
        .ok_or_else(|| PlatformError::Config("no command".into()))?;
    let spawned = spawn(first).map_err(|detail| PlatformError::Unreachable {
        action: format!("`{}`", first.short()),
        detail,
    })?;
    let of = steps.len();
    let (ran, _) = watch::channel(Ran::Running {
        step: 1,
        of,
        command: first.short(),
    });
    let (abort, _) = watch::channel(None);
    let deployment = Arc::new(Deployment {
        id,
        stack,
        env,
        deadline: Instant::now() + settings.deploy_timeout,
        deploy_timeout: settings.deploy_timeout,
        output: Mutex::new(OutputBuffer::new(settings.output_lines, MAX_OUTPUT_BYTES)),
        ran,
        abort,
        abort_error: Mutex::new(None),
        task: Mutex::new(None),
    });
    let d = deployment.clone();
    let task = tokio::spawn(async move {
        let end = run_all(&d, spawned, steps, &settings).await;
        lock(&d.output).finish();
        d.ran.send_replace(end);
    });
    *lock(&deployment.task) = Some(task);
    Ok(deployment)
}

fn spawn(cmd: &RenderedCommand) -> Result<Spawned, String> {
    let opts = SpawnOptions {
        env: &cmd.env,
        die_with_parent: true,
    };
    spawn_group_with(&cmd.program, &cmd.args, &opts)
        .map_err(|e| format!("cannot run {}: {e}", one_line(&cmd.program, 80)))
}

fn ended(state: DeployState, message: String) -> Ran {
    Ran::Ended(DeployStatus {
        raw_state: state.as_str().to_string(),
        state,
        progress: None,
        message: Some(message),
    })
}

/// How one command ended.
enum StepEnd {
    Exited(std::process::ExitStatus),
    Aborted,
    TimedOut,
    Lost(String),
}

async fn run_all(
    d: &Deployment,
    first: Spawned,
    steps: Vec<RenderedCommand>,
    settings: &RunSettings,
) -> Ran {
    let of = steps.len();
    let mut next = Some(first);
    for (i, cmd) in steps.iter().enumerate() {
        if i > 0 {
            if d.abort.borrow().is_some() {
                let then = d.abort.borrow().clone().flatten();
                return aborted(d, then, "aborted before it started".into(), settings).await;
            }
            d.ran.send_replace(Ran::Running {
                step: i + 1,
                of,
                command: cmd.short(),
            });
        }
        lock(&d.output).push(format!("$ {}", cmd.display()));
        let spawned = match next.take() {
            Some(s) => s,
            None => match spawn(cmd) {
                Ok(s) => s,
                Err(e) => {
                    lock(&d.output).push(e.clone());
                    return ended(DeployState::Failed, e);
                }
            },
        };
        let end = run_step(d, spawned, settings.grace).await;
        let short = cmd.short();
        match end {
            StepEnd::Exited(status) if status.success() => {}
            StepEnd::Exited(status) => {
                let how = match (status.code(), exit_signal(&status)) {
                    (Some(code), _) => format!("`{short}` exited with code {code}"),
                    (None, Some(sig)) => format!("`{short}` was killed by signal {sig}"),
                    (None, None) => format!("`{short}` ended without an exit code"),
                };
                return ended(DeployState::Failed, how);
            }
            StepEnd::TimedOut => {
                let secs = d.deploy_timeout.as_secs();
                lock(&d.output).push(format!("slipway: timed out after {secs}s; stopped"));
                return ended(DeployState::Failed, format!("timed out after {secs}s"));
            }
            StepEnd::Lost(e) => {
                return ended(DeployState::Failed, format!("lost track of `{short}`: {e}"));
            }
            StepEnd::Aborted => {
                let then = d.abort.borrow().clone().flatten();
                let message = format!("aborted: `{short}` interrupted");
                return aborted(d, then, message, settings).await;
            }
        }
    }
    Ran::CommandsSucceeded
}

/// The end of an aborted deployment: the abort command runs (if configured) and its
/// failure, if any, is what `abort` answers.
async fn aborted(
    d: &Deployment,
    then: Option<RenderedCommand>,
    mut message: String,
    settings: &RunSettings,
) -> Ran {
    if let Some(abort_cmd) = then {
        match run_abort(d, &abort_cmd, settings.read_timeout).await {
            Ok(()) => message.push_str(&format!(", then `{}` ran", abort_cmd.short())),
            Err(e) => {
                message.push_str(&format!("; {e}"));
                *lock(&d.abort_error) = Some(e);
            }
        }
    }
    ended(DeployState::Aborted, message)
}

#[cfg(unix)]
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "called with the borrowed status a child returns"
)]
fn exit_signal(status: &std::process::ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

/// Runs the abort command, its output appended to the deployment's.
async fn run_abort(d: &Deployment, cmd: &RenderedCommand, timeout: Duration) -> Result<(), String> {
    lock(&d.output).push(format!("$ {}", cmd.display()));
    let result = capture(cmd, timeout, ABORT_OUTPUT_BYTES).await;
    let captured = match result {
        Ok(c) => c,
        Err(e) => {
            lock(&d.output).push(e.to_string());
            return Err(e.to_string());
        }
    };
    {
        let mut out = lock(&d.output);
        for line in String::from_utf8_lossy(&captured.stdout)
            .lines()
            .chain(captured.stderr.lines())
        {
            out.push(crate::text::redact::redact(line).into_owned());
        }
    }
    captured
        .require_success()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Waits for one command while its output is read; interrupts it on abort or when the
/// deployment's time is up.
async fn run_step(d: &Deployment, spawned: Spawned, grace: Duration) -> StepEnd {
    let Spawned {
        mut child,
        stdout,
        stderr,
    } = spawned;
    let reading = read_output(stdout, stderr, &d.output);
    tokio::pin!(reading);
    let mut abort_rx = d.abort.subscribe();
    let mut read_done = false;
    let mut exit: Option<std::io::Result<std::process::ExitStatus>> = None;
    let mut exited_at: Option<Instant> = None;
    // Why it is being stopped, and when SIGINT turns into SIGKILL.
    let mut stopping: Option<(StepEnd, Instant)> = None;
    let mut killed = false;
    let far = Instant::now() + Duration::from_secs(365 * 86_400);
    loop {
        if exit.is_some() && read_done {
            break;
        }
        let kill_at = stopping.as_ref().map_or(far, |(_, at)| *at);
        tokio::select! {
            () = &mut reading, if !read_done => read_done = true,
            status = child.wait(), if exit.is_none() => {
                exit = Some(status);
                exited_at = Some(Instant::now());
            },
            _ = abort_rx.wait_for(Option::is_some), if stopping.is_none() && exit.is_none() => {
                child.signal(libc::SIGINT);
                stopping = Some((StepEnd::Aborted, Instant::now() + grace));
            },
            () = sleep_until(d.deadline), if stopping.is_none() && exit.is_none() => {
                child.signal(libc::SIGINT);
                stopping = Some((StepEnd::TimedOut, Instant::now() + grace));
            },
            () = sleep_until(kill_at), if !killed && exit.is_none() && stopping.is_some() => {
                child.kill_group();
                killed = true;
            },
            () = sleep_until(exited_at.map_or(far, |t| t + AFTER_EXIT_GRACE)), if exit.is_some() && !read_done => break,
        }
    }
    match (stopping, exit) {
        (Some((why, _)), _) => why,
        (None, Some(Ok(status))) => StepEnd::Exited(status),
        (None, Some(Err(e))) => StepEnd::Lost(e.to_string()),
        (None, None) => StepEnd::Lost("no exit status".into()),
    }
}

/// Reads stdout and stderr into the buffer line by line until both close. A `\r`
/// progress line is handed out while it waits for its `\n`, so the Deploy pane shows one
/// line updating (it joins consecutive `\r`-ended lines).
async fn read_output(
    mut stdout: impl AsyncRead + Unpin,
    mut stderr: impl AsyncRead + Unpin,
    output: &Mutex<OutputBuffer>,
) {
    let mut split_out = LineSplitter::new(MAX_LINE_BYTES);
    let mut split_err = LineSplitter::new(MAX_LINE_BYTES);
    let mut buf_out = vec![0u8; 64 * 1024];
    let mut buf_err = vec![0u8; 16 * 1024];
    let (mut out_open, mut err_open) = (true, true);
    let mut progress_since: Option<Instant> = None;
    let far = Instant::now() + Duration::from_secs(365 * 86_400);
    let mut lines: Vec<String> = Vec::new();
    while out_open || err_open {
        if progress_since.is_none() && (split_out.has_progress() || split_err.has_progress()) {
            progress_since = Some(Instant::now());
        }
        let progress_at = progress_since.map_or(far, |t| t + PROGRESS_EVERY);
        tokio::select! {
            r = stdout.read(&mut buf_out), if out_open => match r {
                Ok(n) if n > 0 => split_out.feed(&buf_out[..n], keep(&mut lines)),
                _ => {
                    out_open = false;
                    split_out.finish(keep(&mut lines));
                }
            },
            r = stderr.read(&mut buf_err), if err_open => match r {
                Ok(n) if n > 0 => split_err.feed(&buf_err[..n], keep(&mut lines)),
                _ => {
                    err_open = false;
                    split_err.finish(keep(&mut lines));
                }
            },
            () = sleep_until(progress_at), if progress_since.is_some() => {
                split_out.flush_progress(keep(&mut lines));
                split_err.flush_progress(keep(&mut lines));
                progress_since = None;
            },
        }
        if !lines.is_empty() {
            let mut out = lock(output);
            for line in lines.drain(..) {
                out.push(line);
            }
        }
    }
}

/// Collects split lines as text (invalid UTF-8 replaced) with configured secrets redacted.
fn keep(lines: &mut Vec<String>) -> impl FnMut(&[u8]) + '_ {
    move |l: &[u8]| {
        let text = String::from_utf8_lossy(l);
        lines.push(crate::text::redact::redact(&text).into_owned());
    }
}
