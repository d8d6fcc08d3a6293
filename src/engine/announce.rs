//! Announcements in chat: the notifier runs as its own task (posting can be slow and is
//! retried), fed by the engine; drafts are built from the board and the diffs.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::Event;
use super::changes::{DiffResult, Pair};
use super::event::{AnnouncementKind, Posted};
use super::release::{Board, Phase};
use crate::config::{AnnounceConfig, AnnounceKind};
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
                            targets: notifier
                                .as_ref()
                                .map(|n| n.targets())
                                .unwrap_or_else(|_| targets.clone()),
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
/// the widest live..test range among the stacks (the others ship a subset of it).
pub fn summary(release: &str, board: &Board, diffs: &HashMap<Pair, DiffResult>) -> ReleaseSummary {
    let mut out = ReleaseSummary {
        release: release.to_string(),
        ..Default::default()
    };
    let mut widest: Option<&crate::vcs::ChangeSet> = None;
    for s in &board.stacks {
        let Some(v) = &s.versions else { continue };
        out.stacks.push(StackLine {
            id: s.id.to_string(),
            name: s.name.clone(),
            live: v.target().short().to_string(),
            test: v.source().short().to_string(),
        });
        if let Some(Ok(cs)) = diffs
            .get(&(v.target().clone(), v.source().clone()))
            .map(|r| r.as_ref())
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

/// Where every stack ended up, for the completion message.
pub fn completion(release: &str, board: &Board) -> Completion {
    Completion {
        release: release.to_string(),
        stacks: board
            .stacks
            .iter()
            .map(|s| StackResult {
                id: s.id.to_string(),
                name: s.name.clone(),
                version: s
                    .versions
                    .as_ref()
                    .map(|v| v.target().short().to_string())
                    .unwrap_or_default(),
                outcome: match &s.phase {
                    Phase::Live => DeployOutcome::Succeeded,
                    Phase::Failed { .. } => DeployOutcome::Failed,
                    Phase::Aborted(_) => DeployOutcome::Aborted,
                    Phase::RolledBack(_) => DeployOutcome::RolledBack,
                    _ => DeployOutcome::Skipped,
                },
            })
            .collect(),
        note: None,
    }
}
