//! Printing a log source's lines as text (`slipway logs`): the same sanitiser, `\r`
//! handling and filter as the dashboard's log view. Lines go to the given writer; the
//! caller sends statuses and failures to stderr, so a pipe gets only log lines.

use std::io::{self, Write};

use crate::text::{Filter, Rewrite, RewriteJoiner, SanitizeOptions, StyledLine};

pub struct Printer {
    filter: Option<Filter>,
    color: bool,
    sanitize: SanitizeOptions,
    joiner: RewriteJoiner,
    /// A `\r` progress line still being rewritten: printed once it settles.
    pending: Option<StyledLine>,
}

impl Printer {
    /// `max_chars`: lines are cut there with a marker. `color` keeps SGR styles (only
    /// for a terminal); they are re-emitted from parsed styles, never copied from input.
    pub fn new(filter: Option<Filter>, color: bool, max_chars: usize) -> Self {
        Printer {
            filter,
            color,
            sanitize: SanitizeOptions {
                max_chars,
                ..SanitizeOptions::default()
            },
            joiner: RewriteJoiner::default(),
            pending: None,
        }
    }

    /// One raw line from a source: sanitised, `\r` progress collapsed, filtered.
    pub fn line(&mut self, raw: &[u8], out: &mut (dyn Write + Send)) -> io::Result<()> {
        match self.joiner.push(self.pending.as_ref(), raw, &self.sanitize) {
            Rewrite::ReplaceLast(line) => self.pending = Some(line),
            Rewrite::New(line) => {
                self.flush(out)?;
                self.pending = Some(line);
            }
        }
        if !self.joiner.is_open() {
            self.flush(out)?;
        }
        Ok(())
    }

    /// A gap ends any progress line being rewritten; the marker prints whatever the filter.
    pub fn gap(&mut self, reason: &str, out: &mut (dyn Write + Send)) -> io::Result<()> {
        self.flush(out)?;
        self.joiner.close();
        writeln!(out, "— {reason} —")
    }

    /// Prints a progress line still being rewritten (at the end of the stream).
    pub fn flush(&mut self, out: &mut (dyn Write + Send)) -> io::Result<()> {
        let Some(line) = self.pending.take() else {
            return Ok(());
        };
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !f.is_match(line.text()))
        {
            return Ok(());
        }
        if self.color {
            writeln!(out, "{}", line.to_ansi())
        } else {
            writeln!(out, "{}", line.text())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::FilterMode;

    #[test]
    fn filters_strips_escapes_and_collapses_progress_lines() {
        let filter = Filter::parse("/^(dl|ERROR)/", FilterMode::Auto).unwrap();
        let mut p = Printer::new(filter, false, 4000);
        let mut out = Vec::new();
        for raw in [
            &b"dl 10%\r"[..],
            b"dl 50%\r",
            b"dl 100%",
            b"INFO ok",
            b"ERROR \x1b[31mbad\x1b[0m\x1b]0;t\x07",
        ] {
            p.line(raw, &mut out).unwrap();
        }
        p.flush(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "dl 100%\nERROR bad\n");
    }
}
