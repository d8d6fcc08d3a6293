//! What `promote` and `rollback` show before they ask: the same facts as the dashboard's
//! dialog (`engine::confirm_facts`): the commits shipped or reverted, their risk counts,
//! drift, and the gates that do not pass. Read from the engine the command already runs;
//! whatever has not arrived in time is said to be unknown, never left out silently.

use std::time::Duration;

use crate::engine::confirm_facts::{ChangeFacts, GateFacts};
use crate::engine::{Command, EngineHandle, Event, RepoState};
use crate::model::{Env, StackId, Version};

/// How long the prompt waits for the diff and the gates (both are usually there in a
/// second; a slow repository or health check is said to be unknown).
const WAIT: Duration = Duration::from_secs(15);

/// What to gather: the range whose commits the action moves (old → new), and for a
/// promotion, its gates.
pub(super) struct Wanted {
    pub range: Option<(Version, Version)>,
    /// Whether a `[repo]` is configured (without one, no commits are ever read).
    pub repo: bool,
    pub gates: Option<(StackId, Env, Version, Version)>,
}

pub(super) struct Facts {
    pub changes: Result<ChangeFacts, String>,
    pub gates: Option<GateFacts>,
}

pub(super) async fn gather(
    engine: &EngineHandle,
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    wanted: Wanted,
) -> Facts {
    let mut changes: Option<Result<ChangeFacts, String>> = match &wanted.range {
        _ if !wanted.repo => Some(Err("not known: no [repo] configured".into())),
        None => Some(Err("not read (a version named with --to)".into())),
        Some((a, b)) if a == b => Some(Err("none (the same version)".into())),
        Some(_) => None,
    };
    let mut gate_id = None;
    if let Some((stack, env, ..)) = &wanted.gates {
        gate_id = engine
            .send(Command::CheckGates {
                stack: Some(stack.clone()),
                to: Some(env.clone()),
            })
            .await;
    }
    let mut gates: Option<GateFacts> = None;
    let collect = async {
        while changes.is_none() || (gate_id.is_some() && gates.is_none()) {
            match events.recv().await {
                Some(Event::Changes {
                    live,
                    test,
                    changes: result,
                }) if wanted.range.as_ref() == Some(&(live.clone(), test.clone())) => {
                    changes = Some(match result.as_ref() {
                        // A terminal line has room for whole subjects.
                        Ok(cs) => Ok(ChangeFacts::of(cs, 100)),
                        Err(e) => Err(match e.remedy() {
                            Some(r) => format!("not read: {e}; {}", super::remedy::words(&r)),
                            None => format!("not read: {e}"),
                        }),
                    });
                }
                Some(Event::Repo(RepoState::NotConfigured)) => {
                    changes.get_or_insert(Err("not known: no [repo] configured".into()));
                }
                Some(Event::Repo(RepoState::Failed(e))) => {
                    changes.get_or_insert(Err(format!("not read: {e}")));
                }
                Some(Event::GateCheck { id, result }) if Some(id) == gate_id => {
                    let report = result.ok();
                    let items = match (&report, &wanted.gates) {
                        (Some(r), Some((stack, env, from, to))) => r.for_step(stack, env, from, to),
                        _ => Vec::new(),
                    };
                    gates = Some(GateFacts::of(&items, report.is_some()));
                }
                Some(_) => {}
                None => break,
            }
        }
    };
    let _ = tokio::time::timeout(WAIT, collect).await;
    Facts {
        changes: changes.unwrap_or_else(|| Err("not read in time".into())),
        gates: gates.or_else(|| wanted.gates.as_ref().map(|_| GateFacts::default())),
    }
}

/// The facts as lines under the question: `label` is `Ships` or `Reverts`.
pub(super) fn lines(facts: &Facts, label: &str) -> Vec<String> {
    let mut out = Vec::new();
    match &facts.changes {
        Ok(c) => {
            out.push(format!("  {label:<8} {}", c.headline()));
            for s in c.shown.iter().cloned().chain(c.more_line()) {
                out.push(format!("  {:<8} {s}", ""));
            }
            out.extend(c.drift_line().map(|d| format!("  {d}")));
        }
        Err(why) => out.push(format!("  {label:<8} commits {why}")),
    }
    if let Some(g) = &facts.gates {
        out.push(format!("  {:<8} {}", "Gates", g.headline()));
        for (_, text) in &g.failing {
            out.push(format!("    {text}"));
        }
    }
    out
}
