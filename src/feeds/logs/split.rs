//! Splits a byte stream into lines on `\n`. Bounded: a line longer than `max_line` keeps
//! its first `max_line` bytes (the sanitiser then cuts it with a marker) and the rest is
//! skipped up to the next newline, so one endless line cannot eat the memory.

use memchr::{memchr, memrchr};

#[derive(Debug, Clone)]
pub struct LineSplitter {
    partial: Vec<u8>,
    max_line: usize,
}

impl LineSplitter {
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            partial: Vec::new(),
            max_line: max_line.max(1),
        }
    }

    /// Feeds a chunk; `emit` gets each complete line without its `\n` (or `\r\n`).
    pub fn feed(&mut self, mut chunk: &[u8], mut emit: impl FnMut(&[u8])) {
        while let Some(nl) = memchr(b'\n', chunk) {
            let piece = &chunk[..nl];
            if self.partial.is_empty() && piece.len() <= self.max_line {
                // The common case: the whole line is in this chunk, no copy.
                emit(strip_cr(piece));
            } else {
                self.append(piece);
                emit(strip_cr(&self.partial));
                self.partial.clear();
            }
            chunk = &chunk[nl + 1..];
        }
        self.append(chunk);
    }

    /// Output paused in the middle of a line that has `\r` progress rewrites: hands out what
    /// is there up to the last `\r`, so a view can show the progress line updating.
    pub fn flush_progress(&mut self, mut emit: impl FnMut(&[u8])) {
        if let Some(cr) = memrchr(b'\r', &self.partial) {
            emit(&self.partial[..=cr]);
            self.partial.drain(..=cr);
        }
    }

    /// End of stream: a last line without `\n` is still a line.
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            emit(strip_cr(&self.partial));
            self.partial.clear();
        }
    }

    /// Forgets a partial line (the file it came from was truncated).
    pub fn reset(&mut self) {
        self.partial.clear();
    }

    /// A partial line with a `\r` in it is waiting: see [`LineSplitter::flush_progress`].
    pub fn has_progress(&self) -> bool {
        memrchr(b'\r', &self.partial).is_some()
    }

    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = self.max_line.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::LineSplitter;

    fn collect(s: &mut LineSplitter, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        out
    }

    #[test]
    fn splits_across_chunks_and_strips_crlf() {
        let mut s = LineSplitter::new(100);
        let lines = collect(&mut s, &[b"a\nb", b"c\r\n", b"\nd"]);
        assert_eq!(lines, vec!["a", "bc", ""]);
        let mut rest = Vec::new();
        s.finish(|l| rest.push(l.to_vec()));
        assert_eq!(rest, vec![b"d".to_vec()]);
    }

    #[test]
    fn long_lines_are_bounded() {
        let mut s = LineSplitter::new(4);
        let lines = collect(&mut s, &[b"abcdefgh", b"ij\nxyz123\n"]);
        assert_eq!(lines, vec!["abcd", "xyz1"]);
    }

    #[test]
    fn progress_is_handed_out_up_to_the_last_cr() {
        let mut s = LineSplitter::new(100);
        let lines = collect(&mut s, &[b"10%\r20%\r3"]);
        assert!(lines.is_empty());
        let mut out = Vec::new();
        s.flush_progress(|l| out.push(l.to_vec()));
        assert_eq!(out, vec![b"10%\r20%\r".to_vec()]);
        let lines = collect(&mut s, &[b"0%\n"]);
        assert_eq!(lines, vec!["30%"]);
    }
}
