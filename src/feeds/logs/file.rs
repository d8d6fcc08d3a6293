//! The `file` source: follows a local file like `tail -F`.
//!
//! Starts with the last N lines, then reads what is appended. It survives rename-rotation
//! (the old file is read to its end before the new one is opened from its start, so no line
//! is lost or read twice) and truncation (reading starts again from the top, with a marker).
//! A file that does not exist yet is waited for.

use std::io::{self, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::time::{Instant, sleep_until};

use super::batch::{Closed, Outbox};
use super::split::LineSplitter;
use super::{GapReason, LogFeedEvent, SourceOptions, SourceStatus};

/// The file being read and where we are in it.
struct Open {
    file: File,
    /// (device, inode): a different pair at the path means the file was rotated.
    id: (u64, u64),
    offset: u64,
}

/// How far back we look for the last N lines before giving up on finding them all.
const MAX_TAIL_SCAN: u64 = 16 * 1024 * 1024;

pub(super) async fn run(path: PathBuf, opts: SourceOptions, mut out: Outbox) {
    // `Err(Closed)` only means nobody listens any more: nothing left to do.
    let _ = follow(&path, &opts, &mut out).await;
}

async fn follow(path: &Path, opts: &SourceOptions, out: &mut Outbox) -> Result<(), Closed> {
    out.status(SourceStatus::Connecting)?;
    let mut split = LineSplitter::new(opts.max_line_bytes);
    let mut buf = vec![0u8; 64 * 1024];
    let mut cur = wait_for_file(path, opts, out, true).await?;
    out.status(SourceStatus::Following)?;
    // Poll fast while lines arrive, and back off (to a second, like tail -F) while the
    // file is quiet: an idle dashboard should not wake ten times a second per log.
    let mut pause = opts.poll_interval;
    // The path vanished (deleted, moved away): since when, and whether it was said.
    let mut gone_since: Option<Instant> = None;
    let mut told_gone = false;
    loop {
        let got = read_to_end(&mut cur, &mut split, &mut buf, out).await;
        pause = if got {
            opts.poll_interval
        } else {
            (pause * 2).min(QUIET_POLL.max(opts.poll_interval))
        };
        if !opts.follow {
            split.finish(|l| out.push_line(l));
            out.status(SourceStatus::Ended { code: None })?;
            return Ok(());
        }
        match tokio::fs::metadata(path).await {
            Ok(meta) if (meta.dev(), meta.ino()) != cur.id => {
                // Rotated: finish the old file (lines written just before the rename), then
                // start the new one from its beginning.
                read_to_end(&mut cur, &mut split, &mut buf, out).await;
                split.finish(|l| out.push_line(l));
                cur = match open(path, 0).await {
                    Ok(new) => new,
                    Err(_) => wait_for_file(path, opts, out, false).await?,
                };
                gone_since = None;
                if std::mem::take(&mut told_gone) {
                    out.status(SourceStatus::Following)?;
                }
                continue;
            }
            Ok(meta) if meta.len() < cur.offset => {
                cur.file.seek(SeekFrom::Start(0)).await.ok();
                cur.offset = 0;
                split.reset();
                out.event(LogFeedEvent::Gap {
                    reason: GapReason::Truncated,
                })?;
                continue;
            }
            // The path is gone: for a moment mid-rotation, or for good (deleted, its
            // writer gone). Keep reading the file we have until a new one appears, and
            // once it has been gone longer than a rotation takes, say so: it is not
            // followed in any sense that matters.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let since = *gone_since.get_or_insert_with(Instant::now);
                if !told_gone && since.elapsed() >= GONE_AFTER {
                    out.status(SourceStatus::Failed(format!(
                        "{} is gone (deleted or moved away); waiting for it to come back",
                        path.display()
                    )))?;
                    told_gone = true;
                }
            }
            // Same file.
            _ => {
                gone_since = None;
                if std::mem::take(&mut told_gone) {
                    out.status(SourceStatus::Following)?;
                }
            }
        }
        idle(pause, out).await?;
    }
}

/// How long a followed path may be missing before it counts as gone rather than
/// mid-rotation.
const GONE_AFTER: Duration = Duration::from_secs(2);

/// The longest wait between polls of a quiet file.
const QUIET_POLL: Duration = Duration::from_secs(1);

/// Waits (polling) until the file can be opened. `at_tail`: start with the last N lines
/// (first open) rather than from the beginning (a file recreated after rotation).
async fn wait_for_file(
    path: &Path,
    opts: &SourceOptions,
    out: &mut Outbox,
    at_tail: bool,
) -> Result<Open, Closed> {
    let mut told = None::<String>;
    loop {
        let opened = if at_tail {
            open_at_tail(path, opts.initial_lines).await
        } else {
            open(path, 0).await
        };
        match opened {
            Ok(o) => {
                if told.is_some() {
                    out.status(SourceStatus::Following)?;
                }
                return Ok(o);
            }
            Err(e) if !opts.follow => {
                // Reading once (not following): nothing to wait for.
                let message = if e.kind() == io::ErrorKind::NotFound {
                    format!("{} does not exist", path.display())
                } else {
                    format!("cannot read {}: {e}", path.display())
                };
                out.status(SourceStatus::Failed(message))?;
                return Err(Closed);
            }
            Err(e) => {
                let message = if e.kind() == io::ErrorKind::NotFound {
                    format!("{} does not exist (yet); waiting for it", path.display())
                } else {
                    format!("cannot read {}: {e}", path.display())
                };
                if told.as_ref() != Some(&message) {
                    out.status(SourceStatus::Failed(message.clone()))?;
                    told = Some(message);
                }
            }
        }
        // Slower than following: a missing file is not urgent, and we do not spin.
        idle(opts.poll_interval * 5, out).await?;
    }
}

/// Sleeps, keeping batches and backlog moving in the meantime.
async fn idle(period: Duration, out: &mut Outbox) -> Result<(), Closed> {
    let wake = Instant::now() + period;
    loop {
        match out.deadline() {
            Some(d) if d < wake => {
                sleep_until(d).await;
                out.tick()?;
            }
            _ => {
                sleep_until(wake).await;
                return out.tick();
            }
        }
    }
}

async fn open(path: &Path, offset: u64) -> io::Result<Open> {
    let mut file = File::open(path).await?;
    let meta = file.metadata().await?;
    if offset > 0 {
        file.seek(SeekFrom::Start(offset)).await?;
    }
    Ok(Open {
        file,
        id: (meta.dev(), meta.ino()),
        offset,
    })
}

/// Opens the file positioned at the start of its last `lines` lines (like `tail -n`).
async fn open_at_tail(path: &Path, lines: usize) -> io::Result<Open> {
    let mut o = open(path, 0).await?;
    let len = o.file.metadata().await?.len();
    let start = tail_start(&mut o.file, len, lines).await?;
    o.file.seek(SeekFrom::Start(start)).await?;
    o.offset = start;
    Ok(o)
}

/// Offset of the first of the last `lines` lines, scanning backwards in blocks.
async fn tail_start(file: &mut File, len: u64, lines: usize) -> io::Result<u64> {
    if lines == 0 {
        return Ok(len);
    }
    let mut block = vec![0u8; 64 * 1024];
    let mut end = len;
    let mut seen = 0usize;
    // A final newline ends the last line; it does not start another.
    let mut skip_last_newline = true;
    while end > 0 && len - end < MAX_TAIL_SCAN {
        let start = end.saturating_sub(block.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start)).await?;
        file.read_exact(&mut block[..n]).await?;
        for i in (0..n).rev() {
            if block[i] != b'\n' {
                skip_last_newline = false;
                continue;
            }
            if std::mem::take(&mut skip_last_newline) && start + i as u64 == len - 1 {
                continue;
            }
            seen += 1;
            if seen == lines {
                return Ok(start + i as u64 + 1);
            }
        }
        end = start;
    }
    Ok(end)
}

/// Reads everything there is now, line by line into the outbox.
/// Reads what the file has now; returns whether there was anything.
async fn read_to_end(
    cur: &mut Open,
    split: &mut LineSplitter,
    buf: &mut [u8],
    out: &mut Outbox,
) -> bool {
    let mut got = false;
    while !out.is_closed() {
        match cur.file.read(buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => {
                got = true;
                cur.offset += n as u64;
                split.feed(&buf[..n], |l| out.push_line(l));
                if out.deadline().is_some_and(|d| d <= Instant::now()) {
                    let _ = out.tick();
                }
            }
        }
    }
    got
}
