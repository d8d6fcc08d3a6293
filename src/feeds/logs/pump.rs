//! Reads a child's stdout and stderr into lines until it exits, keeping the outbox flowing.

use std::io;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::{Instant, sleep_until};

use super::batch::Outbox;
use super::child::Spawned;
use super::split::LineSplitter;

/// Where a child's lines go.
pub(crate) trait ChildLines {
    fn stdout(&mut self, line: &[u8], out: &mut Outbox);
    fn stderr(&mut self, line: &[u8], out: &mut Outbox);
}

pub(crate) enum PumpEnd {
    Exited(ExitStatus),
    WaitFailed(io::Error),
    /// Nobody listens any more.
    Closed,
}

/// After the child exits, output still in its pipes is read; a grandchild that escaped the
/// process group and holds a pipe open is not waited for longer than this.
const AFTER_EXIT_GRACE: Duration = Duration::from_secs(2);

pub(crate) async fn pump(
    spawned: Spawned,
    sink: &mut impl ChildLines,
    out: &mut Outbox,
    max_line: usize,
    interval: Duration,
) -> PumpEnd {
    let Spawned {
        mut child,
        mut stdout,
        mut stderr,
    } = spawned;
    let mut split_out = LineSplitter::new(max_line);
    let mut split_err = LineSplitter::new(max_line);
    let mut buf_out = vec![0u8; 64 * 1024];
    let mut buf_err = vec![0u8; 16 * 1024];
    let (mut out_open, mut err_open) = (true, true);
    let mut exit: Option<io::Result<ExitStatus>> = None;
    let mut grace: Option<Instant> = None;
    let far = || Instant::now() + Duration::from_secs(86_400);
    // When a `\r` progress line started waiting: it is handed out one batch interval later
    // even if output never pauses, so a progress bar visibly moves.
    let mut progress_since: Option<Instant> = None;
    loop {
        if exit.is_some() && !out_open && !err_open {
            break;
        }
        if progress_since.is_none() && (split_out.has_progress() || split_err.has_progress()) {
            progress_since = Some(Instant::now());
        }
        let deadline = earliest(out.deadline(), progress_since.map(|t| t + interval));
        tokio::select! {
            r = stdout.read(&mut buf_out), if out_open => match r {
                Ok(n) if n > 0 => split_out.feed(&buf_out[..n], |l| sink.stdout(l, out)),
                _ => {
                    out_open = false;
                    split_out.finish(|l| sink.stdout(l, out));
                }
            },
            r = stderr.read(&mut buf_err), if err_open => match r {
                Ok(n) if n > 0 => split_err.feed(&buf_err[..n], |l| sink.stderr(l, out)),
                _ => {
                    err_open = false;
                    split_err.finish(|l| sink.stderr(l, out));
                }
            },
            status = child.wait(), if exit.is_none() => {
                exit = Some(status);
                grace = Some(Instant::now() + AFTER_EXIT_GRACE);
            },
            () = sleep_until(grace.unwrap_or_else(far)), if grace.is_some() => break,
            () = sleep_until(deadline.unwrap_or_else(far)), if deadline.is_some() => {
                // Output paused mid-line after a `\r`: show the progress line as it is now.
                split_out.flush_progress(|l| sink.stdout(l, out));
                split_err.flush_progress(|l| sink.stderr(l, out));
                progress_since = None;
                if out.tick().is_err() {
                    return PumpEnd::Closed;
                }
            },
        }
        if out.is_closed() {
            return PumpEnd::Closed;
        }
    }
    split_out.finish(|l| sink.stdout(l, out));
    split_err.finish(|l| sink.stderr(l, out));
    match exit {
        Some(Ok(status)) => PumpEnd::Exited(status),
        Some(Err(e)) => PumpEnd::WaitFailed(e),
        None => PumpEnd::WaitFailed(io::Error::other("child status unknown")),
    }
}

/// The sooner of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
