//! `slipway logs STACK [--instance I] [-f] [--grep PATTERN] [-n N]`: a source's sanitised
//! stream printed as text. The same sources, sanitiser and filter as the dashboard.
//!
//! Lines go to `out`; statuses and failures go to `diag` (stderr), so a pipe gets only log
//! lines. Colours are kept only when asked (the caller passes `color: true` when stdout is
//! a terminal); they are re-emitted from parsed styles, never copied from the input.

use std::io::{self, Write};
use tokio::sync::mpsc;

use super::{LogFeedEvent, SourceOptions, SourceStatus, TemplateVars, spawn_source_with};
use crate::config::LogSourceConfig;
use crate::text::{Filter, FilterMode, Rewrite, RewriteJoiner, SanitizeOptions, StyledLine};

#[derive(Debug, Clone, PartialEq)]
pub struct PrintOptions {
    /// `-f`: keep following; otherwise print what is there and stop.
    pub follow: bool,
    /// `-n N`: lines of history to start with.
    pub lines: usize,
    /// `--grep PATTERN`: substring, or regex when written `/re/`.
    pub grep: Option<String>,
    /// Keep SGR colours (pass `stdout().is_terminal()`).
    pub color: bool,
    pub max_line_chars: usize,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            follow: false,
            lines: 200,
            grep: None,
            color: false,
            max_line_chars: SanitizeOptions::default().max_chars,
        }
    }
}

/// Prints the source until it ends (or forever with `follow`). Returns the exit code the
/// CLI should use: the command's own for a command source, 1 when the source failed
/// without following, 0 otherwise. A closed pipe (`| head`) ends quietly with 0.
/// Must be called within a Tokio runtime; the error is for a bad `--grep` pattern or a
/// stdout that cannot be written.
pub async fn print_logs(
    config: &LogSourceConfig,
    vars: &TemplateVars,
    opts: &PrintOptions,
    out: &mut (dyn Write + Send),
    diag: &mut (dyn Write + Send),
) -> Result<i32, String> {
    let filter = match &opts.grep {
        Some(p) => Filter::parse(p, FilterMode::Auto)?,
        None => None,
    };
    let source_opts = SourceOptions {
        follow: opts.follow,
        initial_lines: opts.lines,
        ..SourceOptions::default()
    };
    let (tx, mut rx) = mpsc::channel(64);
    let _handle = spawn_source_with(config, vars, source_opts, tx);
    let mut printer = Printer {
        filter,
        color: opts.color,
        sanitize: SanitizeOptions {
            max_chars: opts.max_line_chars,
            ..Default::default()
        },
        joiner: RewriteJoiner::default(),
        pending: None,
    };
    let mut code = 0;
    let mut failed: Option<String> = None;
    while let Some(event) = rx.recv().await {
        let written = match event {
            LogFeedEvent::Lines { lines, dropped } => {
                if dropped > 0 {
                    let _ = writeln!(diag, "slipway: {dropped} lines dropped (output too slow)");
                }
                lines.iter().try_for_each(|raw| printer.line(raw, out))
            }
            LogFeedEvent::Gap { reason } => printer.gap(&reason.to_string(), out),
            LogFeedEvent::Status(status) => {
                match &status {
                    SourceStatus::Ended { code: c } => code = c.unwrap_or(0),
                    SourceStatus::Failed(m) => {
                        let _ = writeln!(diag, "slipway: {}", crate::text::one_line(m, 500));
                        failed = Some(m.clone());
                    }
                    SourceStatus::Reconnecting { in_secs } if *in_secs > 0 => {}
                    SourceStatus::Following => failed = None,
                    _ => {}
                }
                Ok(())
            }
        };
        match written.and_then(|_| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
            Err(e) => return Err(format!("cannot write the log: {e}")),
        }
    }
    match printer.flush(out).and_then(|_| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => return Err(format!("cannot write the log: {e}")),
    }
    if failed.is_some() && code == 0 {
        code = 1;
    }
    Ok(code)
}

/// Convenience for the CLI: stdout and stderr, colours when stdout is a terminal.
pub async fn print_logs_to_stdout(
    config: &LogSourceConfig,
    vars: &TemplateVars,
    mut opts: PrintOptions,
) -> Result<i32, String> {
    use std::io::IsTerminal as _;
    opts.color = opts.color && io::stdout().is_terminal();
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut diag = io::stderr();
    // The source's handle is dropped when this returns, which kills its process group.
    print_logs(config, vars, &opts, &mut out, &mut diag).await
}

struct Printer {
    filter: Option<Filter>,
    color: bool,
    sanitize: SanitizeOptions,
    joiner: RewriteJoiner,
    /// A `\r` progress line still being rewritten: printed once it settles.
    pending: Option<StyledLine>,
}

impl Printer {
    fn line(&mut self, raw: &[u8], out: &mut (dyn Write + Send)) -> io::Result<()> {
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

    /// A gap ends any progress line being rewritten.
    fn gap(&mut self, reason: &str, out: &mut (dyn Write + Send)) -> io::Result<()> {
        self.flush(out)?;
        self.joiner.close();
        writeln!(out, "— {reason} —")
    }

    fn flush(&mut self, out: &mut (dyn Write + Send)) -> io::Result<()> {
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
