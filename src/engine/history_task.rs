//! The History view's data: the journal read on a blocking thread (with a time limit) and
//! grouped per stack, sent back as `Event::History`.

use std::time::Duration;

use super::Event;
use super::runner::Engine;
use crate::history::Timeline;

/// Longest reading the journal may take (at most its newest 4 MB).
const HISTORY_LIMIT: Duration = Duration::from_secs(10);

impl Engine {
    pub(super) fn load_history(&mut self) {
        let path = self.config.release.journal_path();
        let order: Vec<String> = self.board.stacks.iter().map(|s| s.id.to_string()).collect();
        let events = self.events.clone();
        self.tasks.spawn(async move {
            let shown = path.display().to_string();
            let read = tokio::task::spawn_blocking(move || Timeline::read(&path, &order));
            let result = match tokio::time::timeout(HISTORY_LIMIT, read).await {
                Ok(Ok(Ok(t))) => Ok(t),
                Ok(Ok(Err(e))) => Err(format!("cannot read the journal {shown}: {e}")),
                Ok(Err(e)) => Err(format!("reading the journal stopped: {e}")),
                Err(_) => Err(format!(
                    "the journal {shown} was not read within {}s",
                    HISTORY_LIMIT.as_secs()
                )),
            };
            let _ = events.send(Event::History(result)).await;
        });
    }
}
