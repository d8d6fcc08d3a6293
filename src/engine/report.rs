//! The release report for the dashboard: built from the journal and the repository on a
//! blocking thread (with a time limit), previewed, and posted to the release's thread
//! through the announcer.

use std::time::Duration;

use super::Event;
use super::announce::Job;
use super::changes::RepoState;
use super::runner::Engine;
use crate::config::AnnounceKind;
use crate::journal::Entry;
use crate::report::{self, Draft, RepoAccess, Scope};

/// Longest a report may take to build (a journal tail of 4 MB and a diff or two).
const REPORT_LIMIT: Duration = Duration::from_secs(30);

impl Engine {
    pub(super) fn draft_report(&mut self, scope: Scope) {
        let config = self.config.clone();
        let repo = match &self.changes.state {
            RepoState::NotConfigured => RepoAccess::NotConfigured,
            RepoState::Cloning => RepoAccess::Unavailable(
                "the repository is still being cloned; R again in a moment lists the commits"
                    .into(),
            ),
            RepoState::Ready(path) => RepoAccess::Path(path.clone()),
            RepoState::Failed(e) => RepoAccess::Unavailable(e.clone()),
        };
        let post_to = self.report_targets();
        let events = self.events.clone();
        self.tasks.spawn(async move {
            let build = tokio::task::spawn_blocking(move || report::gather(&config, &scope, &repo));
            let built = match tokio::time::timeout(REPORT_LIMIT, build).await {
                Ok(Ok(result)) => result,
                Ok(Err(e)) => Err(format!("building the report stopped: {e}")),
                Err(_) => Err(format!(
                    "the report was not built within {}s",
                    REPORT_LIMIT.as_secs()
                )),
            };
            let draft = built.map(|r| Draft::new(&r, post_to));
            let _ = events.send(Event::ReportDraft(draft)).await;
        });
    }

    /// Where a posted report goes, or why it cannot be posted.
    fn report_targets(&self) -> Result<Vec<String>, String> {
        if self.read_only() {
            return Err("read-only: nothing is posted".into());
        }
        let Some(cfg) = &self.config.announce else {
            return Err(NOT_CONFIGURED.into());
        };
        match &self.announcer {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(match cfg.kind {
                AnnounceKind::Slack => cfg
                    .channels
                    .iter()
                    .map(|c| format!("{c} (the release thread)"))
                    .collect(),
                AnnounceKind::Webhook => vec!["the webhook".to_string()],
            }),
        }
    }

    /// Posts the report where announcements go; journaled as an announcement.
    pub(super) async fn post_report(&mut self, text: String) {
        if let Err(why) = self.report_targets() {
            self.problem("announcement", why).await;
            return;
        }
        self.record(
            Entry::new(crate::journal::Act::Announce).detail("release report sent to chat"),
        )
        .await;
        self.to_announcer(Job::Report { text }).await;
    }
}

const NOT_CONFIGURED: &str =
    "no [announce] section in config: add one (Slack or a webhook) to post the report";
