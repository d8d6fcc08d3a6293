//! Engine events as the person at the keyboard hears of them: the status line, and the
//! announcement draft opening its editor.

use super::{App, Overlay};
use crate::engine::Event;
use crate::tui::overlay::announce::AnnounceDialog;
use crate::tui::overlay::report::ReportOverlay;
use crate::tui::status::Level;

impl App {
    /// What an engine event means for the status line and dialogs; panes see every event
    /// separately. Returns whether the screen changed.
    pub(super) fn notice(&mut self, event: &Event) -> bool {
        match event {
            Event::Fetched(Ok(())) => {
                self.status.say(Level::Info, "Fetched the repository");
                true
            }
            Event::Fetched(Err(e)) => {
                self.status.say(Level::Error, format!("fetch: {e}"));
                true
            }
            Event::Problem { context, message } => {
                self.status
                    .say(Level::Error, format!("{context}: {message}"));
                true
            }
            Event::Refused { action, refusal } => {
                self.status.say(
                    Level::Warn,
                    format!(
                        "Not {}: {}",
                        ing(action.verb()),
                        crate::tui::remedy::refusal(refusal)
                    ),
                );
                true
            }
            Event::Notice(text) => {
                self.status.say(Level::Info, text.clone());
                true
            }
            Event::Answer {
                stack,
                action,
                answer: crate::engine::Answer::Finished(crate::engine::Outcome::DryRun { plan }),
                ..
            } => {
                let name = self.name_of(stack);
                self.overlay = Some(super::Overlay::Details(
                    crate::tui::overlay::details::DetailsOverlay::text(
                        format!("Dry run: {} {name} — nothing was sent", action.verb()),
                        plan,
                        &self.theme,
                    ),
                ));
                self.status.say(
                    Level::Info,
                    format!(
                        "Dry run: {} {name} would send what is shown; nothing was sent",
                        action.verb()
                    ),
                );
                true
            }
            Event::Answer {
                stack,
                answer:
                    crate::engine::Answer::Finished(crate::engine::Outcome::Approved {
                        env,
                        from,
                        to,
                        ..
                    }),
                ..
            } => {
                let name = self.name_of(stack);
                self.status.resolve(
                    Level::Info,
                    format!(
                        "{name}: you approved {env} {} → {}; another user promotes it",
                        from.short(),
                        to.short()
                    ),
                );
                true
            }
            Event::DryRun => {
                self.dry_run = true;
                true
            }
            Event::ReadOnly => {
                self.read_only = true;
                true
            }
            Event::ReportDraft(Ok(draft)) => {
                self.overlay = Some(Overlay::Report(ReportOverlay::new(draft.clone())));
                true
            }
            Event::ReportDraft(Err(e)) => {
                self.status
                    .resolve(Level::Error, format!("Release report: {e}"));
                true
            }
            Event::AnnouncementDraft {
                completion,
                text,
                targets,
            } => {
                let (text, edited) = match self.announce_edits.get(completion) {
                    Some(edit) => (edit.clone(), true),
                    None => (text.clone(), false),
                };
                self.overlay = Some(Overlay::Announce(AnnounceDialog::new(
                    *completion,
                    targets.clone(),
                    &text,
                    edited,
                )));
                true
            }
            Event::Announced { what, delivery } => {
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
                if what == "release announcement" && delivery.is_complete() {
                    self.release_announced = true;
                    self.announce_edits.remove(&false);
                }
                if what == "completion message" && delivery.is_complete() {
                    self.announce_edits.remove(&true);
                }
                self.status.say(level, text);
                true
            }
            Event::Metrics(update) => {
                let names: Vec<String> = update.flagged().map(|s| s.name.clone()).collect();
                let name = self.name_of(&update.stack);
                let was = self.flagged.get(&update.stack).cloned().unwrap_or_default();
                if names == was {
                    return false;
                }
                if names.is_empty() {
                    self.flagged.remove(&update.stack);
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
                self.flagged.insert(update.stack.clone(), names);
                let effects =
                    crate::tui::panes::metrics::view::flagged_effects(update).unwrap_or_default();
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
            Event::Smoke { stack, report, .. } => {
                let name = self.name_of(stack);
                let level = if report.passed() {
                    Level::Info
                } else {
                    Level::Error
                };
                self.status
                    .say(level, format!("{name}: smoke tests {}", report.summary()));
                true
            }
            Event::FileWritten { path, result } => {
                match result {
                    Ok(n) => self.status.say(
                        Level::Info,
                        format!("Saved {n} bytes to {}", path.display()),
                    ),
                    Err(e) => self.status.say(
                        Level::Error,
                        format!("Could not save {}: {e}", path.display()),
                    ),
                }
                true
            }
            Event::DeployFinished {
                stack,
                state,
                message,
                ..
            } => {
                let name = self.name_of(stack);
                let detail = message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                let level = match state {
                    crate::model::DeployState::Succeeded => Level::Info,
                    _ => Level::Error,
                };
                self.status.say(
                    level,
                    format!(
                        "{name}: deployment {}{detail}",
                        format!("{state:?}").to_lowercase()
                    ),
                );
                true
            }
            _ => false,
        }
    }
}

/// "promote" → "promoting", for "Not promoting: …".
fn ing(verb: &str) -> String {
    match verb {
        "promote" => "promoting".into(),
        "roll back" => "rolling back".into(),
        "abort" => "aborting".into(),
        "announce" => "announcing".into(),
        "steal the lock" => "stealing the lock".into(),
        "post the report" => "posting the report".into(),
        "approve" => "approving".into(),
        v => v.to_string(),
    }
}
