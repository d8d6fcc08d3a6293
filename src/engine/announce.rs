//! Announcements in chat: the notifier runs as its own task (posting can be slow and is
//! retried), fed by the engine; drafts are built from the board and the diffs.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::Event;
use super::changes::{DiffResult, Pair};
use super::event::{AnnouncementKind, Posted};
use super::release::{Board, Phase};
use crate::config::{AnnounceConfig, AnnounceKind};
use crate::journal::Act;
use crate::notify::{
    CommitLine, Completion, DeliveryStatus, DeployInfo, DeployOutcome, Message, Notifier,
    ReleaseSummary, SendMode, StackLine, StackResult, Templates,
};

/// Commits listed in a draft at most (the template may list fewer).
const DRAFT_COMMITS: usize = 200;

pub enum Job {
    Draft {
        kind: AnnouncementKind,
        summary: ReleaseSummary,
        done: Completion,
    },
    Announce {
        text: String,
        kind: AnnouncementKind,
        force: bool,
        again: bool,
    },
    DeployStarted(DeployInfo),
    DeployFinished(DeployInfo, DeployOutcome, Option<String>),
    /// The release report, into the release's thread.
    Report {
        text: String,
    },
}

/// Starts the announcement task; jobs are handled one at a time, in order. Drafts need
/// only the templates, so a preview works before the token is set; posting needs the
/// notifier, and says why when it cannot be built.
pub fn spawn(
    config: &AnnounceConfig,
    events: mpsc::Sender<Event>,
    saved: std::path::PathBuf,
) -> Result<mpsc::Sender<Job>, String> {
    let templates = Templates::from_config(config).map_err(|e| e.to_string())?;
    let targets = match config.kind {
        AnnounceKind::Slack => config.channels.clone(),
        AnnounceKind::Webhook => vec!["the webhook".to_string()],
    };
    // A restarted slipway carries on in the same threads, and posts nothing twice.
    let restored = load_state(&saved);
    let mut announced = restored
        .as_ref()
        .is_some_and(|s| s.delivered.iter().any(|k| k.action == "announce"));
    let mut notifier = Notifier::from_config(config)
        .map(|n| match restored {
            Some(state) => n.with_state(state),
            None => n,
        })
        .map_err(|e| e.to_string());
    let (tx, mut rx) = mpsc::channel::<Job>(32);
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            let event = match job {
                Job::DeployStarted(_) | Job::DeployFinished(..) if !announced => continue,
                Job::Draft {
                    kind,
                    summary,
                    done,
                } => {
                    let text = match kind {
                        AnnouncementKind::Completion => templates.render_completion(&done),
                        AnnouncementKind::Release => templates.render_announcement(&summary),
                    };
                    match text {
                        Ok(text) => Event::AnnouncementDraft {
                            kind,
                            text,
                            targets: notifier.as_ref().map_or_else(
                                |_| targets.clone(),
                                super::super::notify::Notifier::targets,
                            ),
                        },
                        Err(e) => problem(e.to_string()),
                    }
                }
                job => match &mut notifier {
                    Ok(n) => {
                        let event = post(n, job, &mut announced).await;
                        save_state(&saved, n.state()).await;
                        event
                    }
                    Err(e) => problem(format!("cannot post: {e}")),
                },
            };
            if events.send(event).await.is_err() {
                break;
            }
        }
    });
    Ok(tx)
}

async fn post(notifier: &mut Notifier, job: Job, announced: &mut bool) -> Event {
    let result = match job {
        Job::Draft { .. } => return problem("a draft is not posted".into()),
        Job::Announce {
            text,
            kind,
            force,
            again,
        } => {
            let mode = if again {
                SendMode::Again
            } else if force {
                SendMode::Force
            } else {
                SendMode::Normal
            };
            let message = match kind {
                AnnouncementKind::Completion => Message::Completion { text },
                AnnouncementKind::Release => Message::Announcement { text },
            };
            notifier.send(&message, mode).await.map(|delivery| {
                *announced |= kind == AnnouncementKind::Release
                    && delivery.targets.iter().any(|t| {
                        matches!(
                            t.status,
                            DeliveryStatus::Posted { .. } | DeliveryStatus::Skipped
                        )
                    });
                (Posted::Announcement(kind), delivery)
            })
        }
        Job::Report { text } => notifier
            .send(&Message::Report { text }, SendMode::Normal)
            .await
            .map(|d| (Posted::Report, d)),
        Job::DeployStarted(info) => notifier
            .deploy_started(&info)
            .await
            .map(|d| (Posted::DeployStart(info.stack_name.clone()), d)),
        Job::DeployFinished(info, outcome, detail) => notifier
            .deploy_finished(&info, outcome, detail.as_deref())
            .await
            .map(|d| (Posted::DeployResult(info.stack_name.clone()), d)),
    };
    match result {
        Ok((what, delivery)) => Event::Announced { what, delivery },
        Err(e) => problem(e.to_string()),
    }
}

/// Threads and deliveries are kept this long: a release is a day's work; the next one
/// starts new threads.
const STATE_KEPT_HOURS: i64 = 12;

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    saved_at: chrono::DateTime<chrono::Utc>,
    state: crate::notify::NotifierState,
}

/// What was posted where, saved by an earlier run of this release, if recent.
fn load_state(path: &std::path::Path) -> Option<crate::notify::NotifierState> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > 4 * 1024 * 1024 {
        tracing::warn!(path = %path.display(), "announcement state too large; ignored");
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str::<SavedState>(&text) {
        Ok(s) if chrono::Utc::now() - s.saved_at < chrono::Duration::hours(STATE_KEPT_HOURS) => {
            Some(s.state)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "announcement state unreadable; ignored");
            None
        }
    }
}

async fn save_state(path: &std::path::Path, state: &crate::notify::NotifierState) {
    let saved = SavedState {
        saved_at: chrono::Utc::now(),
        state: state.clone(),
    };
    let path = path.to_path_buf();
    let result = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot save the announcement state");
    }
}

fn problem(message: String) -> Event {
    Event::Problem {
        context: "announcement".into(),
        message,
    }
}

/// The release in a form the templates read: each stack's versions, and the commits of
/// the widest live..test range among the stacks (the others ship a subset of it). A stack
/// whose live already runs test's version says what it was shipped from, as the journal
/// recorded the promotion (`journal`: its entries, oldest first), never from memory.
pub fn summary(
    release: &str,
    board: &Board,
    diffs: &HashMap<Pair, DiffResult>,
    journal: &[crate::journal::Entry],
) -> ReleaseSummary {
    let mut out = ReleaseSummary {
        release: release.to_string(),
        ..Default::default()
    };
    let mut widest: Option<&crate::vcs::ChangeSet> = None;
    for s in &board.stacks {
        let Some(v) = &s.versions else { continue };
        let shipped_from = (v.source() == v.target())
            .then(|| shipped_from(journal, s.id.as_str(), v.target_env(), v.target()))
            .flatten();
        out.stacks.push(StackLine {
            id: s.id.to_string(),
            name: s.name.clone(),
            live: v.target().short().to_string(),
            test: v.source().short().to_string(),
            env: v.target_env().to_string(),
            source_env: v.source_env().to_string(),
            shipped_from,
        });
        if let Some(Ok(cs)) = diffs
            .get(&(v.target().clone(), v.source().clone()))
            .map(std::convert::AsRef::as_ref)
        {
            if cs.drift.is_some() {
                out.drift.push(s.name.clone());
            }
            if widest.is_none_or(|w| cs.count > w.count) {
                widest = Some(cs);
            }
        }
    }
    if let Some(cs) = widest {
        out.commit_count = cs.count;
        out.risky_count = cs.risky;
        out.risk_counts = cs.risk_counts.clone();
        out.commits = cs
            .commits
            .iter()
            .take(DRAFT_COMMITS)
            .map(|c| CommitLine {
                short: c.short.clone(),
                subject: c.subject.clone(),
                author: c.author.clone(),
                pr: c.pr.map(|p| p.number),
                risks: c.risks.clone(),
            })
            .collect();
    }
    out
}

/// What an announcement is about, as the journal records it: the distinct live and test
/// versions of the stacks (short, in stack order, joined by `,`), so that a second
/// `slipway announce` of the same release can be recognised. `None` before any version
/// is known.
pub fn release_key(board: &Board) -> Option<(String, String)> {
    let mut live: Vec<&str> = Vec::new();
    let mut test: Vec<&str> = Vec::new();
    for v in board.stacks.iter().filter_map(|s| s.versions.as_ref()) {
        if !live.contains(&v.target().short()) {
            live.push(v.target().short());
        }
        if !test.contains(&v.source().short()) {
            test.push(v.source().short());
        }
    }
    (!test.is_empty()).then(|| (live.join(","), test.join(",")))
}

/// What `env` ran before the newest finished promotion that put `now` there, as the
/// journal records it (short).
fn shipped_from(
    journal: &[crate::journal::Entry],
    stack: &str,
    env: &crate::model::Env,
    now: &crate::model::Version,
) -> Option<String> {
    journal
        .iter()
        .rev()
        .filter(|e| e.stack.as_deref() == Some(stack) && e.is(Act::DeployFinished))
        .filter(|e| e.env.as_deref().is_none_or(|x| x == env.as_str()))
        .find(|e| {
            e.outcome.as_deref() == Some("succeeded")
                && e.to
                    .as_deref()
                    .is_some_and(|t| same_version(t, now.as_str()))
        })
        .and_then(|e| e.from.as_deref())
        .filter(|f| !same_version(f, now.as_str()))
        .map(|f| crate::model::Version::new(f).short().to_string())
}

/// The same version, one side perhaps written short.
fn same_version(a: &str, b: &str) -> bool {
    !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
}

/// Where every stack ended up, for the completion message: the phase the platform's
/// versions give, and for a stack not promoted, what the journal says about it (skipped
/// on purpose, or refused and why).
pub fn completion(release: &str, board: &Board, journal: &[crate::journal::Entry]) -> Completion {
    Completion {
        release: release.to_string(),
        stacks: board
            .stacks
            .iter()
            .map(|s| {
                let (outcome, reason) = match &s.phase {
                    Phase::Live => (DeployOutcome::Succeeded, None),
                    Phase::Failed { reason, .. } => (DeployOutcome::Failed, Some(reason.clone())),
                    Phase::Aborted(_) => (DeployOutcome::Aborted, None),
                    Phase::RolledBack(_) => (DeployOutcome::RolledBack, None),
                    _ => held(journal, s.id.as_str()),
                };
                StackResult {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                    version: s
                        .versions
                        .as_ref()
                        .map(|v| v.target().short().to_string())
                        .unwrap_or_default(),
                    outcome,
                    reason,
                }
            })
            .collect(),
        note: None,
    }
}

/// A stack that was not promoted: "skipped" only when the journal says so; otherwise not
/// promoted, with the refusal's words when the newest thing the journal says about its
/// promotion is one.
fn held(journal: &[crate::journal::Entry], stack: &str) -> (DeployOutcome, Option<String>) {
    let skipped = |e: &crate::journal::Entry| e.outcome.as_deref() == Some("skipped");
    let refused = |e: &crate::journal::Entry| {
        e.is(Act::Refused)
            && e.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("promote: "))
    };
    let moved = |e: &crate::journal::Entry| {
        [
            Act::Promote,
            Act::Rollback,
            Act::DeployStarted,
            Act::DeployFinished,
            Act::Abort,
        ]
        .into_iter()
        .any(|a| e.is(a))
    };
    let last = journal
        .iter()
        .rev()
        .find(|e| e.stack.as_deref() == Some(stack) && (skipped(e) || refused(e) || moved(e)));
    match last {
        Some(e) if skipped(e) => (
            DeployOutcome::Skipped,
            e.reason.clone().or_else(|| e.detail.clone()),
        ),
        Some(e) if refused(e) => (
            DeployOutcome::NotPromoted,
            e.detail
                .as_deref()
                .map(|d| format!("refused: {}", d.trim_start_matches("promote: "))),
        ),
        _ => (DeployOutcome::NotPromoted, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::release::StackRelease;
    use crate::journal::Entry;
    use crate::model::{StackId, StackVersions, Version};
    use crate::notify::Templates;

    fn stack(id: &str, name: &str, test: &str, live: &str, phase: Phase) -> StackRelease {
        let mut s = StackRelease::new(StackId::new(id), name);
        s.versions = Some(StackVersions::pair(
            Version::new(test),
            Version::new(live),
            None,
        ));
        s.phase = phase;
        s
    }

    fn finished(stack: &str, from: &str, to: &str) -> Entry {
        Entry::new(Act::DeployFinished)
            .stack(stack)
            .env("live")
            .versions(from, to)
            .outcome("succeeded")
    }

    #[test]
    fn a_shipped_stack_says_it_is_live_and_what_it_came_from() {
        let (old, new) = ("ce4e1c5aa0aa0aa0", "c570624bb1bb1bb1");
        let board = Board::new(vec![
            stack("www", "WWW", new, new, Phase::Live),
            stack("cedric", "Cedric", new, old, Phase::Pending),
        ]);
        let journal = vec![finished("www", old, new)];
        let summary = summary("belfrage", &board, &HashMap::new(), &journal);
        let text = Templates::defaults(crate::config::MessageFormat::Mrkdwn)
            .render_announcement(&summary)
            .unwrap();
        assert!(
            text.contains("• *WWW*: live on `c570624` (shipped, from `ce4e1c5`)"),
            "{text}"
        );
        assert!(
            text.contains("• *Cedric*: live `ce4e1c5` → `c570624` from test"),
            "{text}"
        );
        assert!(!text.contains("live `c570624` → `c570624`"), "{text}");
        // Without a journal entry, no origin is made up.
        let summary = summary_of(&board);
        assert_eq!(summary.stacks[0].shipped_from, None);
    }

    fn summary_of(board: &Board) -> ReleaseSummary {
        summary("belfrage", board, &HashMap::new(), &[])
    }

    #[test]
    fn a_stack_not_promoted_is_not_called_skipped_unless_the_journal_says_so() {
        let (old, new) = ("ce4e1c5aa0aa0aa0", "c570624bb1bb1bb1");
        let board = Board::new(vec![
            stack("www", "WWW", new, new, Phase::Live),
            stack("cedric", "Cedric", new, old, Phase::Pending),
            stack("sally", "Sally", new, old, Phase::Pending),
            stack("bruce", "Bruce", new, old, Phase::Pending),
        ]);
        let journal = vec![
            finished("www", old, new),
            Entry::new(Act::Refused)
                .stack("sally")
                .detail("promote: the pre-flight gates block: freeze"),
            Entry::new(Act::Refused)
                .stack("cedric")
                .detail("roll back: Cedric: no earlier live version is known"),
            Entry::new(Act::Promote)
                .stack("bruce")
                .outcome("skipped")
                .reason("not this week"),
        ];
        let done = completion("belfrage", &board, &journal);
        let text = Templates::defaults(crate::config::MessageFormat::Mrkdwn)
            .render_completion(&done)
            .unwrap();
        assert!(
            text.contains("• *Cedric*: not promoted, live on `ce4e1c5`"),
            "{text}"
        );
        assert!(
            text.contains(
                "• *Sally*: not promoted (refused: the pre-flight gates block: freeze), live on `ce4e1c5`"
            ),
            "{text}"
        );
        assert!(
            text.contains("• *Bruce*: skipped (not this week)"),
            "{text}"
        );
        assert!(
            text.contains("• *WWW*: succeeded, live on `c570624`"),
            "{text}"
        );
    }
}
