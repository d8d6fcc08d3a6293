//! Diagnostics go to a daily rolling file in the state directory, never to the terminal
//! (the dashboard owns it). `SLIPWAY_LOG` sets the filter (`debug`, `slipway=trace`…),
//! `--log-file` the path.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where diagnostics go by default: `$XDG_STATE_HOME/slipway/` (or `~/.local/state/slipway/`).
pub fn default_log_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("slipway")
}

/// Starts logging; keep the guard alive until exit so buffered lines are written.
/// A failure to set up logging is reported but never stops slipway.
pub fn init(log_file: Option<&Path>) -> Result<WorkerGuard, String> {
    let (dir, prefix) = match log_file {
        Some(path) => (
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            path.file_name()
                .map_or_else(|| "slipway.log".into(), |n| n.to_string_lossy().to_string()),
        ),
        None => (default_log_dir(), "slipway.log".to_string()),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the log directory {}: {e}", dir.display()))?;
    let appender = if log_file.is_some() {
        tracing_appender::rolling::never(&dir, &prefix)
    } else {
        tracing_appender::rolling::daily(&dir, &prefix)
    };
    // The default buffer holds 128,000 lines, allocated (and page-faulted) at start: a
    // third of a short command's run time. Diagnostics need far less; when the buffer is
    // full, lines are dropped rather than stalling the dashboard.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(true)
        .finish(appender);
    let filter = EnvFilter::try_from_env("SLIPWAY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting(writer))
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(guard)
}

/// A log writer that replaces every registered secret (`text::redact`) before a record
/// reaches the file, whatever its level or source: a field that holds an answer echoing
/// the token is written with `[redacted]`. The fmt layer writes each record whole, so a
/// secret is never split across two writes.
#[derive(Clone)]
pub struct Redacting<W>(pub W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&crate::text::redact::redact_bytes(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<'a, M: tracing_subscriber::fmt::MakeWriter<'a>> tracing_subscriber::fmt::MakeWriter<'a>
    for Redacting<M>
{
    type Writer = Redacting<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting(self.0.make_writer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter as _;

    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Shared {
        type Writer = Shared;
        fn make_writer(&'a self) -> Shared {
            self.clone()
        }
    }

    #[test]
    fn every_record_is_written_with_secrets_redacted() {
        crate::text::redact::register("telemetry-secret-31337");
        let sink = Shared::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(Redacting(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(answer = "echo telemetry-secret-31337", "platform said");
            tracing::error!("token telemetry-secret-31337 refused");
        });
        let _ = Redacting(sink.clone()).make_writer();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("echo [redacted]"), "{text}");
        assert!(text.contains("token [redacted] refused"), "{text}");
        assert!(!text.contains("telemetry-secret-31337"), "{text}");
    }
}
