//! Batching and back-pressure between a source task and its bounded channel.
//!
//! Lines are gathered into a [`LineBatch`] (one buffer, not one allocation per line) and sent
//! every ~50 ms or when the batch is full, never one message per line. When the channel is
//! full the source keeps reading: sealed batches wait in a bounded backlog, and when that
//! overflows the oldest lines are dropped and counted. The count rides on the next `Lines`
//! event, so the view can say how much it never saw. Nothing here ever awaits the channel
//! for long, so a slow front end cannot stall a child process writing to its pipe.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::Instant;

use super::{LogFeedEvent, SourceOptions, SourceStatus};

/// Raw lines (no `\n`) in one buffer.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LineBatch {
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl LineBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, line: &[u8]) {
        self.data.extend_from_slice(line);
        self.ends.push(self.data.len() as u32);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes of line text held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.data.get(start..end)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator + '_ {
        (0..self.ends.len()).map(move |i| {
            let end = self.ends[i] as usize;
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            &self.data[start..end]
        })
    }
}

impl fmt::Debug for LineBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl<'a> FromIterator<&'a [u8]> for LineBatch {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> Self {
        let mut b = LineBatch::new();
        for l in iter {
            b.push(l);
        }
        b
    }
}

/// The receiving end is gone: the source should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A source's sending side: batches, backlog and drop counting.
pub(crate) struct Outbox {
    tx: mpsc::Sender<LogFeedEvent>,
    current: LineBatch,
    /// When the first line of `current` arrived.
    current_since: Option<Instant>,
    backlog: VecDeque<LogFeedEvent>,
    backlog_lines: usize,
    backlog_bytes: usize,
    /// Lines dropped and not yet reported.
    dropped: u64,
    batch_lines: usize,
    batch_bytes: usize,
    batch_interval: Duration,
    max_lines: usize,
    max_bytes: usize,
    closed: bool,
}

/// Events other than lines that may wait in the backlog (statuses coalesce, so this only
/// fills up with gap markers under a very long stall).
const MAX_BACKLOG_EVENTS: usize = 4096;

impl Outbox {
    pub(crate) fn new(tx: mpsc::Sender<LogFeedEvent>, opts: &SourceOptions) -> Self {
        Outbox {
            tx,
            current: LineBatch::new(),
            current_since: None,
            backlog: VecDeque::new(),
            backlog_lines: 0,
            backlog_bytes: 0,
            dropped: 0,
            batch_lines: opts.batch_lines.max(1),
            batch_bytes: opts.batch_bytes.max(1),
            batch_interval: opts.batch_interval,
            max_lines: opts.backlog_lines.max(1),
            max_bytes: opts.backlog_bytes.max(1),
            closed: false,
        }
    }

    pub(crate) fn push_line(&mut self, line: &[u8]) {
        if self.current.is_empty() {
            self.current_since = Some(Instant::now());
        }
        self.current.push(line);
        if self.current.len() >= self.batch_lines || self.current.bytes() >= self.batch_bytes {
            self.seal();
            // A full batch goes out at once if there is room; the interval is for trickles.
            let _ = self.flush();
        }
    }

    /// Queues a status change (after the lines before it).
    pub(crate) fn status(&mut self, status: SourceStatus) -> Result<(), Closed> {
        self.seal();
        // Only the latest of several waiting statuses matters (a countdown, say).
        if let Some(LogFeedEvent::Status(last)) = self.backlog.back_mut() {
            *last = status;
        } else {
            self.backlog.push_back(LogFeedEvent::Status(status));
        }
        self.trim();
        self.flush()
    }

    /// Queues any other event, in order with the lines.
    pub(crate) fn event(&mut self, event: LogFeedEvent) -> Result<(), Closed> {
        self.seal();
        self.backlog.push_back(event);
        self.trim();
        self.flush()
    }

    /// When the source should call [`Outbox::tick`] next: a batch is waiting for its
    /// interval, or the channel was full. `None` when there is nothing to do.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        if !self.backlog.is_empty() || self.dropped > 0 {
            return Some(Instant::now() + self.batch_interval);
        }
        self.current_since.map(|t| t + self.batch_interval)
    }

    /// Sends a batch whose interval is up and retries the backlog.
    pub(crate) fn tick(&mut self) -> Result<(), Closed> {
        if self
            .current_since
            .is_some_and(|t| t.elapsed() >= self.batch_interval)
        {
            self.seal();
        }
        self.flush()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed || self.tx.is_closed()
    }

    /// The source is done: seal what is left and wait (bounded) for room to deliver it, so
    /// the final status reaches the view even if the channel was full a moment ago.
    pub(crate) async fn finish(mut self, within: Duration) {
        self.seal();
        let deadline = Instant::now() + within;
        while !self.backlog.is_empty() || self.dropped > 0 {
            if self.flush().is_err() || Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn seal(&mut self) {
        self.current_since = None;
        if self.current.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.current);
        self.backlog_lines += batch.len();
        self.backlog_bytes += batch.bytes();
        self.backlog.push_back(LogFeedEvent::Lines {
            lines: batch,
            dropped: 0,
        });
        self.trim();
    }

    /// Keeps the backlog within its bounds by dropping the oldest lines (counted).
    fn trim(&mut self) {
        while self.backlog_lines > self.max_lines
            || self.backlog_bytes > self.max_bytes
            || self.backlog.len() > MAX_BACKLOG_EVENTS
        {
            let oldest_lines = self
                .backlog
                .iter()
                .position(|e| matches!(e, LogFeedEvent::Lines { .. }));
            let idx = match oldest_lines {
                // Lines go first: statuses and gaps are few and say what happened.
                Some(i) if self.backlog_lines > 0 => i,
                _ => 0,
            };
            match self.backlog.remove(idx) {
                Some(LogFeedEvent::Lines { lines, dropped }) => {
                    self.backlog_lines -= lines.len();
                    self.backlog_bytes -= lines.bytes();
                    self.dropped += lines.len() as u64 + dropped;
                }
                Some(_) => {}
                None => break,
            }
        }
    }

    /// Sends what the channel has room for, in order; never waits.
    fn flush(&mut self) -> Result<(), Closed> {
        if self.closed {
            return Err(Closed);
        }
        while let Some(event) = self.backlog.pop_front() {
            // Lines carry the drop count; other events leave it for the next lines.
            let (event, counts) = match event {
                LogFeedEvent::Lines { lines, dropped } => {
                    let counts = Some((lines.len(), lines.bytes(), dropped));
                    let dropped = dropped + self.dropped;
                    (LogFeedEvent::Lines { lines, dropped }, counts)
                }
                other => (other, None),
            };
            match self.tx.try_send(event) {
                Ok(()) => {
                    if let Some((n, bytes, _)) = counts {
                        self.backlog_lines -= n;
                        self.backlog_bytes -= bytes;
                        self.dropped = 0;
                    }
                }
                Err(TrySendError::Full(mut event)) => {
                    if let (LogFeedEvent::Lines { dropped, .. }, Some((_, _, own))) =
                        (&mut event, counts)
                    {
                        *dropped = own;
                    }
                    self.backlog.push_front(event);
                    return Ok(());
                }
                Err(TrySendError::Closed(_)) => return self.close(),
            }
        }
        if self.dropped > 0 {
            // Drops with no lines left to carry them: report them on their own.
            let event = LogFeedEvent::Lines {
                lines: LineBatch::new(),
                dropped: self.dropped,
            };
            match self.tx.try_send(event) {
                Ok(()) => self.dropped = 0,
                Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Closed(_)) => return self.close(),
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), Closed> {
        self.closed = true;
        self.backlog.clear();
        Err(Closed)
    }
}
