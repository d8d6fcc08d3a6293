//! `slipway announce [--dry-run] [--complete]`: draft the release announcement (or the
//! completion message) from the diff, show it, and post it through the engine.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::{exit, session};
use crate::engine::{Command, Event, RepoState};

pub struct AnnounceArgs {
    pub dry_run: bool,
    pub complete: bool,
    pub yes: bool,
    pub force: bool,
}

pub async fn run(config: Option<&Path>, args: AnnounceArgs) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if loaded.config.announce.is_none() {
        eprintln!(
            "slipway: no [announce] section in {}: add one (Slack or a webhook) first",
            loaded.path.display()
        );
        return ExitCode::from(exit::REFUSED);
    }
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (board, problems) = session::first_refresh(&mut s.events, &s.config).await;
    for p in &problems {
        eprintln!("slipway: {p}");
    }
    // The draft lists commits: wait for the diffs the board needs (bounded).
    let mut waiting: Vec<_> = board
        .stacks
        .iter()
        .filter_map(|st| {
            st.versions
                .as_ref()
                .map(|v| (v.live.clone(), v.test.clone()))
        })
        .filter(|(l, t)| l != t)
        .collect();
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while !waiting.is_empty() {
            match s.events.recv().await {
                Some(Event::Changes { live, test, .. }) => {
                    waiting.retain(|p| *p != (live.clone(), test.clone()))
                }
                Some(Event::Repo(RepoState::NotConfigured | RepoState::Failed(_))) | None => break,
                Some(_) => {}
            }
        }
    })
    .await;
    s.engine
        .send(Command::DraftAnnouncement {
            completion: args.complete,
        })
        .await;
    let (text, targets) = match next_answer(&mut s.events, |ev| match ev {
        Event::AnnouncementDraft { text, targets, .. } => Some((text, targets)),
        _ => None,
    })
    .await
    {
        Ok(draft) => draft,
        Err(e) => {
            eprintln!("slipway: {e}");
            return ExitCode::from(exit::FAILED);
        }
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
    s.engine
        .send(Command::Announce {
            text,
            completion: args.complete,
            force: args.force,
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
        Err(e) => {
            eprintln!("slipway: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// Waits for the event `pick` accepts; an announcement problem ends the wait.
async fn next_answer<T>(
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> Result<T, String> {
    let wait = async {
        while let Some(ev) = events.recv().await {
            if let Event::Problem { context, message } = &ev
                && context == "announcement"
            {
                return Err(message.clone());
            }
            if let Some(found) = pick(ev) {
                return Ok(found);
            }
        }
        Err("the engine stopped".to_string())
    };
    tokio::time::timeout(Duration::from_secs(120), wait)
        .await
        .unwrap_or_else(|_| Err("no answer within 120s".into()))
}
