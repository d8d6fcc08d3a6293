//! The engine's side of the journal: entries are written in order by one task, off the
//! engine loop; a failure to write is reported once, not on every entry.

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::Event;
use crate::journal::{self, Entry};

pub fn spawn(path: PathBuf, events: mpsc::Sender<Event>) -> mpsc::Sender<Entry> {
    let (tx, mut rx) = mpsc::channel::<Entry>(256);
    tokio::spawn(async move {
        let mut failing = false;
        while let Some(entry) = rx.recv().await {
            let p = path.clone();
            let result = tokio::task::spawn_blocking(move || journal::append(&p, &entry))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            match result {
                Err(e) if !failing => {
                    failing = true;
                    let _ = events
                        .send(Event::Problem {
                            context: "journal".into(),
                            message: format!(
                                "cannot write {}: {e}; actions go on unrecorded",
                                path.display()
                            ),
                        })
                        .await;
                }
                Err(_) => {}
                Ok(()) => failing = false,
            }
        }
    });
    tx
}
