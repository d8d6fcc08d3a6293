//! A deployment's output as the command prints it: lines kept within a count and a byte
//! budget, the oldest dropped first and counted, read from any position on.

use crate::platform::OutputChunk;
use crate::text::LineRing;

/// Lines handed out per read, so one poll never carries a whole flood.
const MAX_LINES_PER_READ: usize = 5_000;

#[derive(Debug)]
pub(crate) struct OutputBuffer {
    lines: LineRing<String>,
    bytes: usize,
    max_bytes: usize,
    /// The command has exited and its pipes are drained: nothing more will come.
    complete: bool,
}

impl OutputBuffer {
    pub(crate) fn new(max_lines: usize, max_bytes: usize) -> Self {
        OutputBuffer {
            lines: LineRing::new(max_lines),
            bytes: 0,
            max_bytes: max_bytes.max(1),
            complete: false,
        }
    }

    pub(crate) fn push(&mut self, line: String) {
        while !self.lines.is_empty()
            && (self.lines.len() == self.lines.capacity()
                || self.bytes + line.len() > self.max_bytes)
        {
            if let Some(old) = self.lines.evict_front() {
                self.bytes -= old.len();
            }
        }
        self.bytes += line.len();
        self.lines.push(line);
    }

    pub(crate) fn finish(&mut self) {
        self.complete = true;
    }

    /// Lines from `offset` (a line number counted from the start of the deployment) on.
    /// When lines before the oldest one kept are asked for, a first line says how many
    /// were dropped: `… 1234 earlier lines dropped`.
    pub(crate) fn read(&self, offset: u64) -> OutputChunk {
        let first = self.lines.first_seq();
        let mut lines = Vec::new();
        if offset < first {
            lines.push(format!("… {} earlier lines dropped", first - offset));
        }
        let from = offset.max(first);
        lines.extend(
            self.lines
                .iter_from(from)
                .take(MAX_LINES_PER_READ)
                .map(|(_, l)| l.clone()),
        );
        let taken = (lines.len() - usize::from(offset < first)) as u64;
        let next_offset = from + taken;
        OutputChunk {
            lines,
            next_offset,
            complete: self.complete && next_offset >= self.lines.next_seq(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_and_counts_the_dropped() {
        let mut b = OutputBuffer::new(3, 1 << 20);
        for i in 0..10 {
            b.push(format!("line {i}"));
        }
        b.finish();
        let chunk = b.read(0);
        assert_eq!(
            chunk.lines,
            vec!["… 7 earlier lines dropped", "line 7", "line 8", "line 9"]
        );
        assert_eq!(chunk.next_offset, 10);
        assert!(chunk.complete);
        let again = b.read(10);
        assert!(again.lines.is_empty() && again.complete);
        // A reader that kept up sees no marker.
        assert_eq!(b.read(8).lines, vec!["line 8", "line 9"]);
    }

    #[test]
    fn the_byte_budget_drops_too_and_reads_are_chunked() {
        let mut b = OutputBuffer::new(100_000, 100);
        for _ in 0..20 {
            b.push("x".repeat(10));
        }
        let chunk = b.read(0);
        assert_eq!(chunk.lines[0], "… 10 earlier lines dropped");
        assert_eq!(chunk.lines.len(), 11);
        assert!(!chunk.complete);
        let mut b = OutputBuffer::new(100_000, 1 << 30);
        for i in 0..12_000 {
            b.push(i.to_string());
        }
        b.finish();
        let first = b.read(0);
        assert_eq!(first.lines.len(), MAX_LINES_PER_READ);
        assert!(!first.complete);
        let second = b.read(first.next_offset);
        assert_eq!(second.lines[0], "5000");
    }
}
