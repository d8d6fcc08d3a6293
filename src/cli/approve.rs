//! `slipway approve STACK|--all [--to ENV] [--yes]`: this user approves a promotion as it
//! stands (what the environment runs now → the version that would go there), for another
//! user to carry out. Kept in the journal, and by the platform where it keeps approvals.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::{act, exit, session};
use crate::config::LoadedConfig;
use crate::engine::release::{Board, Refusal};
use crate::engine::{Answer, Command, Event, Outcome, RequestId};
use crate::model::{Env, StackId};

/// Recording an approval is a journal write and one platform request.
const ANSWER_LIMIT: Duration = Duration::from_secs(30);

pub async fn run(
    config: Option<&Path>,
    stack: Option<String>,
    to: Option<String>,
    yes: bool,
) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let all = stack.is_none();
    let stacks = match named_stacks(&loaded, stack.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let to = to.as_deref().map(Env::new);
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (board, problems) = session::first_refresh(&mut s.events, &s.config).await;
    for p in problems.iter().filter(|p| !p.starts_with("instances of")) {
        eprintln!("slipway: {p}");
    }
    let chosen = waiting_steps(&board, stacks, to.as_ref(), all);
    if chosen.is_empty() {
        eprintln!("slipway: no stack has a promotion waiting to be approved");
        return ExitCode::from(exit::REFUSED);
    }
    let user = crate::journal::os_user();
    let mut code = ExitCode::SUCCESS;
    for (id, name, words) in chosen {
        if let Some(words) = &words {
            let question = format!("Approve {name} {words}, as {user}?");
            if !yes && !act::confirm(&question) {
                eprintln!("slipway: {name}: not approved");
                code = ExitCode::from(exit::REFUSED);
                continue;
            }
        }
        let cmd = Command::Approve {
            stack: id.clone(),
            to: to.clone(),
        };
        let Some(req) = s.engine.send(cmd).await else {
            eprintln!("slipway: the engine stopped");
            return ExitCode::from(exit::FAILED);
        };
        match tokio::time::timeout(ANSWER_LIMIT, answer_to(&mut s.events, req)).await {
            Ok(Some(Ok(outcome))) => {
                act::finished(&name, &outcome, None);
            }
            Ok(Some(Err(refusal))) => {
                eprintln!("slipway: refused: {refusal}");
                code = ExitCode::from(exit::REFUSED);
            }
            Ok(None) | Err(_) => {
                eprintln!("slipway: {name}: no answer from the engine");
                return ExitCode::from(exit::FAILED);
            }
        }
    }
    code
}

/// The stack named on the command line, or every configured stack when none is.
fn named_stacks(
    loaded: &LoadedConfig,
    typed: Option<&str>,
) -> Result<Vec<(StackId, String)>, ExitCode> {
    match typed {
        Some(typed) => match loaded.config.resolve_stack(typed) {
            Some(s) => Ok(vec![(s.id.clone(), s.display_name())]),
            None => {
                eprintln!("slipway: no stack '{typed}' in {}", loaded.path.display());
                Err(ExitCode::from(exit::REFUSED))
            }
        },
        None => Ok(loaded
            .config
            .stacks
            .iter()
            .map(|s| (s.id.clone(), s.display_name()))
            .collect()),
    }
}

/// Each stack to ask about, with the words of the step it would approve (none when nothing
/// waits). With --all, only stacks with something waiting; one named stack is asked of the
/// engine whatever it runs, so its refusal is the engine's (and journaled).
fn waiting_steps(
    board: &Board,
    stacks: Vec<(StackId, String)>,
    to: Option<&Env>,
    all: bool,
) -> Vec<(StackId, String, Option<String>)> {
    stacks
        .into_iter()
        .filter_map(|(id, name)| {
            let step = board.get(&id).and_then(|r| r.versions.clone()).map(|v| {
                match to.and_then(|e| v.index_of(e)) {
                    Some(stage) if stage > 0 => v.at_stage(stage),
                    _ => v,
                }
            });
            let waiting = step.as_ref().is_some_and(|v| v.source() != v.target());
            if all && !waiting {
                return None;
            }
            let words = step.filter(|_| waiting).map(|v| v.step_words());
            Some((id, name, words))
        })
        .collect()
}

/// The engine's answer to request `req`, printing problems met on the way; `None` when the
/// engine stopped.
async fn answer_to(
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    req: RequestId,
) -> Option<Result<Outcome, Refusal>> {
    while let Some(ev) = events.recv().await {
        match ev {
            Event::Answer {
                id: got,
                answer: Answer::Refused(r),
                ..
            } if got == req => return Some(Err(r)),
            Event::Answer {
                id: got,
                answer: Answer::Finished(outcome),
                ..
            } if got == req => return Some(Ok(outcome)),
            Event::Problem { context, message } => eprintln!("slipway: {context}: {message}"),
            _ => {}
        }
    }
    None
}
