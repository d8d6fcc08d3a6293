//! The engine's side of the journal. Each entry is written, flushed and synced before the
//! engine goes on: the entry of a promotion is on disk before its request goes out, and a
//! CLI that exits right after an outcome has recorded it. A failure to write is reported
//! once, not on every entry, and the action goes on unrecorded.

use std::path::PathBuf;

use crate::journal::{self, Entry};

pub struct JournalWriter {
    path: PathBuf,
    failing: bool,
    /// A read-only engine writes nothing: entries are dropped (and logged).
    read_only: bool,
}

impl JournalWriter {
    pub fn new(path: PathBuf) -> JournalWriter {
        JournalWriter {
            path,
            failing: false,
            read_only: false,
        }
    }

    /// A writer that records nothing: read-only mode changes no shared state.
    pub fn read_only(mut self) -> JournalWriter {
        self.read_only = true;
        self
    }

    /// Writes one entry; `Some(message)` the first time writing fails.
    pub async fn write(&mut self, entry: Entry) -> Option<String> {
        if self.read_only {
            tracing::debug!(action = %entry.action, "read-only: not journaled");
            return None;
        }
        let path = self.path.clone();
        let result = tokio::task::spawn_blocking(move || journal::append(&path, &entry))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match result {
            Ok(()) => {
                self.failing = false;
                None
            }
            Err(_) if self.failing => None,
            Err(e) => {
                self.failing = true;
                Some(format!(
                    "cannot write {}: {e}; actions go on unrecorded",
                    self.path.display()
                ))
            }
        }
    }
}
