//! Announcements in chat: the notifier runs as its own task (posting can be slow and is
//! retried), fed by the engine; drafts are built from the board and the diffs.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::Event;
use super::changes::{DiffResult, Pair};
use super::release::{Board, Phase};
use crate::notify::{
    CommitLine, Completion, DeliveryStatus, DeployInfo, DeployOutcome, Message, Notifier,
    ReleaseSummary, SendMode, StackLine, StackResult,
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

/// Starts the notifier task; jobs are handled one at a time, in order.
pub fn spawn(mut notifier: Notifier, events: mpsc::Sender<Event>) -> mpsc::Sender<Job> {
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
                        notifier.draft_completion(&done)
                    } else {
                        notifier.draft_announcement(&summary)
                    };
                    match text {
                        Ok(text) => Event::AnnouncementDraft {
                            completion,
                            text,
                            targets: notifier.targets(),
                        },
                        Err(e) => problem(e.to_string()),
                    }
                }
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
                    match notifier.send(&message, mode).await {
                        Ok(delivery) => {
                            announced |= !completion
                                && delivery.targets.iter().any(|t| {
                                    matches!(
                                        t.status,
                                        DeliveryStatus::Posted { .. } | DeliveryStatus::Skipped
                                    )
                                });
                            Event::Announced {
                                what: what.into(),
                                delivery,
                            }
                        }
                        Err(e) => problem(e.to_string()),
                    }
                }
                Job::DeployStarted(info) => match notifier.deploy_started(&info).await {
                    Ok(delivery) => Event::Announced {
                        what: format!("{} deploy start", info.stack_name),
                        delivery,
                    },
                    Err(e) => problem(e.to_string()),
                },
                Job::DeployFinished(info, outcome, detail) => {
                    match notifier
                        .deploy_finished(&info, outcome, detail.as_deref())
                        .await
                    {
                        Ok(delivery) => Event::Announced {
                            what: format!("{} deploy result", info.stack_name),
                            delivery,
                        },
                        Err(e) => problem(e.to_string()),
                    }
                }
            };
            if events.send(event).await.is_err() {
                break;
            }
        }
    });
    tx
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
