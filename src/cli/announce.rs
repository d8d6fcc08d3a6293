//! `slipway announce [--dry-run] [--complete]`: draft the release announcement (or the
//! completion message) from the diff, show it, and post it through the engine.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{exit, session};
use crate::engine::{AnnouncementKind, Command, Event, RepoState};

pub struct AnnounceArgs {
    pub dry_run: bool,
    pub complete: bool,
    pub yes: bool,
    pub force: bool,
    /// Post although the journal says this release was already announced.
    pub again: bool,
}

pub async fn run(config: Option<&Path>, args: AnnounceArgs) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if let Err(code) = needs_sections(&loaded, args.complete) {
        return code;
    }
    let journal = loaded.config.release.journal_path();
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (board, problems) = session::first_refresh(&mut s.events, &s.config).await;
    for p in &problems {
        eprintln!("slipway: {p}");
    }
    let kind = if args.complete {
        AnnouncementKind::Completion
    } else {
        AnnouncementKind::Release
    };
    if !args.dry_run
        && !args.again
        && let Some(earlier) = already_announced(&journal, kind, &board)
    {
        eprintln!(
            "slipway: the {} message of this release ({}) was already sent to chat {earlier}; add --again to post it once more",
            kind.as_str(),
            crate::engine::release_key(&board)
                .map(|(_, test)| test)
                .unwrap_or_default()
        );
        return ExitCode::from(exit::REFUSED);
    }
    let unread = unread_changes(&mut s.events, &board).await;
    // A draft built without the commits says "nothing to ship": never post that.
    if !args.complete && !unread.is_empty() {
        for u in &unread {
            eprintln!("slipway: cannot list the commits of {u}");
        }
        if !args.dry_run {
            eprintln!("slipway: not posting an announcement without the changes it announces");
            return ExitCode::from(exit::FAILED);
        }
    }
    s.engine.send(Command::DraftAnnouncement { kind }).await;
    let (text, targets) = match next_answer(&mut s.events, |ev| match ev {
        Event::AnnouncementDraft { text, targets, .. } => Some((text, targets)),
        _ => None,
    })
    .await
    {
        Ok(draft) => draft,
        Err(e) => return e.exit(),
    };
    println!("To: {}\n", targets.join(", "));
    println!("{text}");
    if args.dry_run {
        eprintln!("\nslipway: dry run: nothing was posted");
        return ExitCode::SUCCESS;
    }
    if !args.yes && !super::act::confirm("\nPost this?") {
        eprintln!("slipway: not posted");
        return ExitCode::from(exit::REFUSED);
    }
    post(&mut s, text, kind, &args).await
}

/// Refused before starting anything when the config has nowhere to post, or, for the
/// release message, no repository to list the commits from.
fn needs_sections(loaded: &crate::config::LoadedConfig, complete: bool) -> Result<(), ExitCode> {
    if loaded.config.announce.is_none() {
        eprintln!(
            "slipway: no [announce] section in {}: add one (Slack or a webhook) first",
            loaded.path.display()
        );
        return Err(ExitCode::from(exit::REFUSED));
    }
    // The announcement lists what ships: without the repository it would say "nothing"
    // whatever the versions are. The completion message needs no commits.
    if !complete && loaded.config.repo.is_none() {
        eprintln!(
            "slipway: no [repo] section in {}: the announcement lists the commits live..test, so it needs the repository (add [repo] path = \"…\" or url = \"…\"); `announce --complete` needs none",
            loaded.path.display()
        );
        return Err(ExitCode::from(exit::REFUSED));
    }
    Ok(())
}

/// Waits (at most 60s) for the diffs the draft lists, and returns the pairs whose
/// commits could not be read, each with why.
async fn unread_changes(
    events: &mut mpsc::Receiver<Event>,
    board: &crate::engine::release::Board,
) -> Vec<String> {
    let mut waiting: Vec<_> = board
        .stacks
        .iter()
        .filter_map(|st| {
            st.versions
                .as_ref()
                .map(|v| (v.target().clone(), v.source().clone()))
        })
        .filter(|(l, t)| l != t)
        .collect();
    let mut unread: Vec<String> = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while !waiting.is_empty() {
            match events.recv().await {
                Some(Event::Changes {
                    live,
                    test,
                    changes,
                }) => {
                    let pair = (live.clone(), test.clone());
                    if waiting.contains(&pair)
                        && let Err(e) = changes.as_ref()
                    {
                        unread.push(format!("{}..{}: {e}", live.short(), test.short()));
                    }
                    waiting.retain(|p| *p != pair);
                }
                Some(Event::Repo(RepoState::Failed(e))) => {
                    unread.push(format!("the repository: {e}"));
                    break;
                }
                Some(Event::Repo(RepoState::NotConfigured)) | None => break,
                Some(_) => {}
            }
        }
    })
    .await;
    unread.extend(
        waiting
            .iter()
            .map(|(l, t)| format!("{}..{}: not read within 60s", l.short(), t.short())),
    );
    unread
}

/// Posts the confirmed text through the engine and reports each target's delivery;
/// success only when every target got it.
async fn post(
    s: &mut session::Session,
    text: String,
    kind: AnnouncementKind,
    args: &AnnounceArgs,
) -> ExitCode {
    s.engine
        .send(Command::Announce {
            text,
            kind,
            force: args.force,
            again: args.again,
        })
        .await;
    match next_answer(&mut s.events, |ev| match ev {
        Event::Announced { delivery, .. } => Some(delivery),
        _ => None,
    })
    .await
    {
        Ok(delivery) => {
            for t in &delivery.targets {
                eprintln!("slipway: {}: {}", t.target, t.status);
            }
            if delivery.is_complete() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::FAILED)
            }
        }
        Err(e) => e.exit(),
    }
}

/// When (and by whom) the journal says this release's message of this kind was sent:
/// ` at 2026-12-01 10:32 by alice@web-3`.
fn already_announced(
    journal: &Path,
    kind: AnnouncementKind,
    board: &crate::engine::release::Board,
) -> Option<String> {
    let (_, test) = crate::engine::release_key(board)?;
    let (entries, _) = crate::journal::read(journal).ok()?;
    let detail = format!("{} message", kind.as_str());
    entries
        .iter()
        .rev()
        .find(|e| {
            e.is(crate::journal::Act::Announce)
                && e.to.as_deref() == Some(test.as_str())
                && e.detail.as_deref().is_some_and(|d| d.starts_with(&detail))
        })
        .map(|e| {
            format!(
                "at {} by {}@{}",
                e.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
                e.user,
                e.host
            )
        })
}

/// Why waiting for an answer ended without one.
enum NoAnswer {
    /// The engine refused the post (read-only): nothing was sent.
    Refused(String),
    Failed(String),
}

impl NoAnswer {
    fn exit(self) -> ExitCode {
        match self {
            NoAnswer::Refused(why) => {
                eprintln!("slipway: refused: {why}");
                ExitCode::from(exit::REFUSED)
            }
            NoAnswer::Failed(why) => {
                eprintln!("slipway: {why}");
                ExitCode::from(exit::FAILED)
            }
        }
    }
}

/// Waits for the event `pick` accepts; an announcement problem or a refusal ends the wait.
async fn next_answer<T>(
    events: &mut mpsc::Receiver<Event>,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> Result<T, NoAnswer> {
    let wait = async {
        while let Some(ev) = events.recv().await {
            if let Event::Problem { context, message } = &ev
                && context == "announcement"
            {
                return Err(NoAnswer::Failed(message.clone()));
            }
            if let Event::Refused {
                action: crate::engine::Action::Announce,
                refusal,
            } = &ev
            {
                return Err(NoAnswer::Refused(refusal.to_string()));
            }
            if let Some(found) = pick(ev) {
                return Ok(found);
            }
        }
        Err(NoAnswer::Failed("the engine stopped".to_string()))
    };
    tokio::time::timeout(Duration::from_secs(120), wait)
        .await
        .unwrap_or_else(|_| Err(NoAnswer::Failed("no answer within 120s".into())))
}
