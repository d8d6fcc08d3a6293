//! Engine events as the person at the keyboard hears of them: the status line, and the
//! announcement draft opening its editor.

use super::{App, Overlay};
use crate::engine::{AnnouncementKind, Answer, Event, Outcome, Posted};
use crate::feeds::metrics::MetricsUpdate;
use crate::model::{DeployState, StackId};
use crate::notify::Delivery;
use crate::tui::overlay::announce::AnnounceDialog;
use crate::tui::overlay::details::DetailsOverlay;
use crate::tui::overlay::report::ReportOverlay;
use crate::tui::status::Level;

impl App {
    /// What an engine event means for the status line and dialogs; panes see every event
    /// separately. Returns whether the screen changed.
    pub(super) fn notice(&mut self, event: &Event) -> bool {
        match event {
            Event::Fetched(Ok(())) => self.status.say(Level::Info, "Fetched the repository"),
            Event::Fetched(Err(e)) => self.status.say(Level::Error, format!("fetch: {e}")),
            Event::Problem { context, message } => self
                .status
                .say(Level::Error, format!("{context}: {message}")),
            Event::Refused { action, refusal } => self.status.say(
                Level::Warn,
                format!(
                    "Not {}: {}",
                    action.progressive(),
                    crate::tui::remedy::refusal(refusal)
                ),
            ),
            Event::Notice(text) => self.status.say(Level::Info, text.clone()),
            Event::Answer {
                stack,
                action,
                answer: Answer::Finished(outcome),
                ..
            } => return self.on_finished(stack, *action, outcome),
            Event::DryRun => self.dry_run = true,
            Event::ReadOnly => self.read_only = true,
            Event::ReportDraft(Ok(draft)) => {
                self.overlay = Some(Overlay::Report(ReportOverlay::new(draft.clone())));
            }
            Event::ReportDraft(Err(e)) => self
                .status
                .resolve(Level::Error, format!("Release report: {e}")),
            Event::AnnouncementDraft {
                kind,
                text,
                targets,
            } => self.open_draft(*kind, text, targets),
            Event::Announced { what, delivery } => self.on_announced(what, delivery),
            Event::Smoke { stack, report, .. } => {
                let name = self.name_of(stack);
                let level = if report.passed() {
                    Level::Info
                } else {
                    Level::Error
                };
                self.status
                    .say(level, format!("{name}: smoke tests {}", report.summary()));
            }
            Event::FileWritten { path, result } => match result {
                Ok(n) => self.status.say(
                    Level::Info,
                    format!("Saved {n} bytes to {}", path.display()),
                ),
                Err(e) => self.status.say(
                    Level::Error,
                    format!("Could not save {}: {e}", path.display()),
                ),
            },
            Event::DeployFinished {
                stack,
                state,
                message,
                ..
            } => self.on_deploy_finished(stack, state, message.as_deref()),
            _ => return false,
        }
        true
    }

    /// A request of ours that finished in a way the status line tells (a dry run's plan,
    /// an approval); the others show on the board.
    fn on_finished(
        &mut self,
        stack: &StackId,
        action: crate::engine::Action,
        outcome: &Outcome,
    ) -> bool {
        let name = self.name_of(stack);
        match outcome {
            Outcome::DryRun { plan } => {
                self.overlay = Some(Overlay::Details(DetailsOverlay::text(
                    format!("Dry run: {} {name} — nothing was sent", action.verb()),
                    plan,
                    &self.theme,
                )));
                self.status.say(
                    Level::Info,
                    format!(
                        "Dry run: {} {name} would send what is shown; nothing was sent",
                        action.verb()
                    ),
                );
            }
            Outcome::Approved { env, from, to, .. } => {
                self.status.resolve(
                    Level::Info,
                    format!(
                        "{name}: you {} {env} {} → {}; another user promotes it",
                        action.past(),
                        from.short(),
                        to.short()
                    ),
                );
            }
            _ => return false,
        }
        true
    }

    /// A fresh draft opens the editor, with the user's earlier edit of that kind if any.
    fn open_draft(&mut self, kind: AnnouncementKind, text: &str, targets: &[String]) {
        let (text, edited) = match self.announce_edits.get(&kind) {
            Some(edit) => (edit.clone(), true),
            None => (text.to_string(), false),
        };
        self.overlay = Some(Overlay::Announce(AnnounceDialog::new(
            kind,
            targets.to_vec(),
            &text,
            edited,
        )));
    }

    /// What became of a post, per channel; a delivered announcement forgets its edit.
    fn on_announced(&mut self, what: &Posted, delivery: &Delivery) {
        let outcome: Vec<String> = delivery
            .targets
            .iter()
            .map(|t| format!("{} {}", t.target, t.status))
            .collect();
        let level = if delivery.is_complete() {
            Level::Info
        } else {
            Level::Error
        };
        let mut text = format!("{what}: {}", outcome.join(", "));
        if delivery.has_failures() {
            text.push_str(" (a to retry the failed ones)");
        }
        if let Posted::Announcement(kind) = what
            && delivery.is_complete()
        {
            if *kind == AnnouncementKind::Release {
                self.release_announced = true;
            }
            self.announce_edits.remove(kind);
        }
        self.status.say(level, text);
    }

    /// A stack's flagged series changed (the model has the new set): each new set is
    /// said once, and so is their end.
    pub(super) fn on_flags_moved(&mut self, update: &MetricsUpdate) -> bool {
        let name = self.name_of(&update.stack);
        if self.model.flagged(&update.stack).is_empty() {
            // Flags hold until data shows recovery, or until the change they were
            // about is gone (aborted, replaced): say which.
            let recovered = update
                .series
                .iter()
                .any(|s| s.verdict == crate::feeds::metrics::Verdict::Ok);
            let why = if recovered {
                "metrics back to the baseline, no longer flagged"
            } else if update.watch.is_some() {
                "no longer flagged: no worse than the stacks on the old version"
            } else {
                "no longer flagged: the change it was about is gone"
            };
            self.status.resolve(Level::Info, format!("{name}: {why}"));
            return true;
        }
        let effects = self
            .model
            .metrics_of(&update.stack)
            .and_then(|v| v.effects.clone())
            .unwrap_or_default();
        let can_roll_back = self.board.check_rollback(&update.stack, None).is_ok();
        let offer = if can_roll_back {
            " — r rolls it back, v shows details"
        } else {
            " — v shows details"
        };
        self.status
            .say(Level::Error, format!("{name}: {effects}{offer}"));
        true
    }

    fn on_deploy_finished(&mut self, stack: &StackId, state: &DeployState, message: Option<&str>) {
        let name = self.name_of(stack);
        let detail = message.map(|m| format!(": {m}")).unwrap_or_default();
        let level = match state {
            DeployState::Succeeded => Level::Info,
            _ => Level::Error,
        };
        self.status.say(
            level,
            format!("{name}: deployment {}{detail}", state.as_str()),
        );
    }
}
