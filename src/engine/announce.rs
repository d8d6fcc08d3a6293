//! Announcements in chat: the notifier runs as its own task (posting can be slow and is
//! retried), fed by the engine; drafts are built from the board and the diffs.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::Event;
use super::changes::{DiffResult, Pair};
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
        completion: bool,
        summary: ReleaseSummary,
        done: Completion,
    },
    Announce {
        text: String,
        completion: bool,
        force: bool,
    },
    DeployStarted(DeployInfo),
    DeployFinished(DeployInfo, DeployOutcome, Option<String>),
}

/// Starts the announcement task; jobs are handled one at a time, in order. Drafts need
/// only the templates, so a preview works before the token is set; posting needs the
/// notifier, and says why when it cannot be built.
pub fn spawn(
    config: &AnnounceConfig,
    events: mpsc::Sender<Event>,
) -> Result<mpsc::Sender<Job>, String> {
    let templates = Templates::from_config(config).map_err(|e| e.to_string())?;
    let targets = match config.kind {
        AnnounceKind::Slack => config.channels.clone(),
        AnnounceKind::Webhook => vec!["the webhook".to_string()],
    };
    let mut notifier = Notifier::from_config(config).map_err(|e| e.to_string());
    let (tx, mut rx) = mpsc::channel::<Job>(32);
    tokio::spawn(async move {
        // Deploy updates go into the announcement's thread: none before it was posted.
        let mut announced = false;
        while let Some(job) = rx.recv().await {
            let event = match job {
                Job::DeployStarted(_) | Job::DeployFinished(..) if !announced => continue,
                Job::Draft {
                    completion,
                    summary,
                    done,
                } => {
                    let text = if completion {
                        templates.render_completion(&done)
                    } else {
                        templates.render_announcement(&summary)
                    };
                    match text {
                        Ok(text) => Event::AnnouncementDraft {
                            completion,
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
                    Ok(n) => post(n, job, &mut announced).await,
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
            completion,
            force,
        } => {
            let mode = if force {
                SendMode::Force
            } else {
                SendMode::Normal
            };
            let message = if completion {
                Message::Completion { text }
            } else {
                Message::Announcement { text }
            };
            let what = if completion {
                "completion message"
            } else {
                "release announcement"
            };
            notifier.send(&message, mode).await.map(|delivery| {
                *announced |= !completion
                    && delivery.targets.iter().any(|t| {
                        matches!(
                            t.status,
                            DeliveryStatus::Posted { .. } | DeliveryStatus::Skipped
                        )
                    });
                (what.to_string(), delivery)
            })
        }
        Job::DeployStarted(info) => notifier
            .deploy_started(&info)
            .await
            .map(|d| (format!("{} deploy start", info.stack_name), d)),
        Job::DeployFinished(info, outcome, detail) => notifier
            .deploy_finished(&info, outcome, detail.as_deref())
            .await
            .map(|d| (format!("{} deploy result", info.stack_name), d)),
    };
    match result {
        Ok((what, delivery)) => Event::Announced { what, delivery },
        Err(e) => problem(e.to_string()),
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
            live: v.live.short().to_string(),
            test: v.test.short().to_string(),
        });
        if let Some(Ok(cs)) = diffs
            .get(&(v.live.clone(), v.test.clone()))
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
        if !live.contains(&v.live.short()) {
            live.push(v.live.short());
        }
        if !test.contains(&v.test.short()) {
            test.push(v.test.short());
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
                    .map(|v| v.live.short().to_string())
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
