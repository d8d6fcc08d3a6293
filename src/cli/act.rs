//! `slipway promote | rollback | abort STACK`: the same engine and rules as the dashboard,
//! with the deployment's output streamed to stdout.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{exit, session};
use crate::engine::release::{Board, Refusal};
use crate::engine::{Answer, Command, Event, Outcome, RequestId};
use crate::feeds::logs::Printer;
use crate::model::{StackId, Version};

struct Prepared {
    session: session::Session,
    stack: StackId,
    name: String,
    board: Board,
}

async fn prepare(config: Option<&Path>, typed: &str) -> Result<Prepared, ExitCode> {
    prepare_with(config, typed, crate::engine::Feeds::NONE).await
}

/// As `prepare`, with the engine's feeds asked for (`promote --watch` needs metrics).
async fn prepare_with(
    config: Option<&Path>,
    typed: &str,
    feeds: crate::engine::Feeds,
) -> Result<Prepared, ExitCode> {
    let loaded = session::load(config)?;
    let Some(stack) = loaded.config.resolve_stack(typed) else {
        let known: Vec<String> = loaded
            .config
            .stacks
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        eprintln!(
            "slipway: no stack '{typed}' in {} (stacks: {})",
            loaded.path.display(),
            known.join(", ")
        );
        return Err(ExitCode::from(exit::REFUSED));
    };
    let (stack, name) = (stack.id.clone(), stack.display_name());
    let mut session = session::open_with(loaded.config, feeds)?;
    let (board, problems) = session::first_refresh(&mut session.events, &session.config).await;
    for p in &problems {
        eprintln!("slipway: {p}");
    }
    Ok(Prepared {
        session,
        stack,
        name,
        board,
    })
}

pub(super) fn refuse(refusal: &Refusal) -> ExitCode {
    eprintln!("slipway: refused: {refusal}");
    if let Some(r) = refusal.remedy() {
        eprintln!("slipway: {}", super::remedy::words(&r));
    }
    match refusal {
        Refusal::GatesBlocked {
            overridable: true, ..
        } => eprintln!(
            "slipway: to promote anyway, add --override-gates --reason TEXT (journaled with your name)"
        ),
        Refusal::GatesBlocked {
            overridable: false, ..
        } => eprintln!(
            "slipway: another user must approve it (slipway approve); a missing approval is not overridden ([approval] overridable = false)"
        ),
        r if r.can_override() => eprintln!("slipway: to promote anyway, add --override-order"),
        _ => {}
    }
    ExitCode::from(exit::REFUSED)
}

/// A refusal decided here, before the engine was asked (the versions just read rule it
/// out): journaled like the engine's, so every refusal is on record once.
fn refuse_here(p: &Prepared, verb: &str, refusal: &Refusal) -> ExitCode {
    let entry = crate::journal::Entry::new(crate::journal::Act::Refused)
        .stack(&p.stack)
        .detail(format!("{verb}: {refusal}"));
    if let Err(e) = crate::journal::append(&p.session.config.release.journal_path(), &entry) {
        eprintln!("slipway: the refusal could not be journaled: {e}");
    }
    refuse(refusal)
}

/// Asks on the terminal; without one, `--yes` is required.
pub(super) fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("slipway: not confirming without a terminal; add --yes to go ahead");
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

/// How `slipway promote` may go past the rules.
pub struct PromoteOptions {
    pub yes: bool,
    pub override_order: bool,
    /// The reason typed with `--override-gates`.
    pub override_gates: Option<String>,
    /// `--watch`: how long to watch the metrics after the deployment.
    pub watch: Option<std::time::Duration>,
}

pub async fn promote(
    config: Option<&Path>,
    typed: &str,
    to: Option<crate::model::Env>,
    opts: PromoteOptions,
    steal: Option<String>,
) -> ExitCode {
    let PromoteOptions {
        yes,
        override_order,
        override_gates,
        watch,
    } = opts;
    let feeds = crate::engine::Feeds {
        metrics: watch.is_some(),
        logs: false,
    };
    let p = match prepare_with(config, typed, feeds).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let plan = match p
        .board
        .check_promote_to(&p.stack, None, override_order, to.as_ref())
    {
        Ok(plan) => plan,
        Err(r) => return refuse_here(&p, "promote", &r),
    };
    if !plan.skipped.is_empty() {
        eprintln!(
            "slipway: warning: promoting out of order (not live yet: {})",
            names(&p.board, &plan.skipped)
        );
    }
    let source = p
        .board
        .get(&p.stack)
        .and_then(|s| s.versions.as_ref())
        .and_then(|v| v.index_of(&plan.env))
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| p.session.config.release.environments().get(i).cloned());
    let question = format!(
        "Promote {}: {}?",
        p.name,
        crate::model::step_words(&plan.env, &plan.from, &plan.to, source.as_ref())
    );
    let mut p = p;
    if !yes && !super::session::dry_run() {
        // What the dashboard's dialog shows, before the question.
        let wanted = super::prompt::Wanted {
            repo: p.session.config.repo.is_some(),
            range: Some((plan.from.clone(), plan.to.clone())),
            gates: Some((
                p.stack.clone(),
                plan.env.clone(),
                plan.from.clone(),
                plan.to.clone(),
            )),
        };
        let facts = super::prompt::gather(&p.session.engine, &mut p.session.events, wanted).await;
        eprintln!("{question}");
        for line in super::prompt::lines(&facts, "Ships") {
            eprintln!("{line}");
        }
    }
    if !yes && !super::session::dry_run() && !confirm("Promote?") {
        eprintln!("slipway: not promoted");
        return ExitCode::from(exit::REFUSED);
    }
    if watch.is_some() && !super::session::dry_run() {
        super::watch::baseline(&mut p.session.events, &p.stack, &p.name).await;
    }
    let moving = Moving {
        env: plan.env.clone(),
        from: plan.from.clone(),
        source: source.clone(),
        watch,
    };
    let cmd = Command::Promote {
        stack: p.stack.clone(),
        expected: Some(plan.to),
        override_order,
        to: Some(plan.env),
        override_gates,
    };
    run_action(p, cmd, steal, Some(moving)).await
}

pub async fn rollback(
    config: Option<&Path>,
    typed: &str,
    to: Option<String>,
    yes: bool,
    steal: Option<String>,
) -> ExitCode {
    let p = match prepare(config, typed).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let to = to.map(Version::new);
    let plan = match p.board.check_rollback(&p.stack, to.as_ref()) {
        Ok(plan) => plan,
        Err(r) => return refuse_here(&p, "roll back", &r),
    };
    let question = format!(
        "Roll {} back: {}?",
        p.name,
        crate::model::step_words(&plan.env, &plan.from, &plan.to, None)
    );
    let mut p = p;
    if !yes && !super::session::dry_run() {
        // The commits a rollback takes off live: known for the version live ran before
        // the last promotion (the engine reads that range); a version named with --to is
        // not read.
        let previous = p.board.get(&p.stack).and_then(|s| s.previous_live.clone());
        let wanted = super::prompt::Wanted {
            repo: p.session.config.repo.is_some(),
            range: (previous.as_ref() == Some(&plan.to))
                .then(|| (plan.to.clone(), plan.from.clone())),
            gates: None,
        };
        let facts = super::prompt::gather(&p.session.engine, &mut p.session.events, wanted).await;
        eprintln!("{question}");
        for line in super::prompt::lines(&facts, "Reverts") {
            eprintln!("{line}");
        }
    }
    if !yes && !super::session::dry_run() && !confirm("Roll back?") {
        eprintln!("slipway: not rolled back");
        return ExitCode::from(exit::REFUSED);
    }
    let moving = Moving {
        env: plan.env.clone(),
        from: plan.from.clone(),
        source: None,
        watch: None,
    };
    let cmd = Command::Rollback {
        stack: p.stack.clone(),
        to: Some(plan.to),
    };
    run_action(p, cmd, steal, Some(moving)).await
}

pub async fn abort(
    config: Option<&Path>,
    typed: &str,
    yes: bool,
    steal: Option<String>,
) -> ExitCode {
    let p = match prepare(config, typed).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let deployment = match p.board.check_abort(&p.stack) {
        Ok(d) => d,
        Err(r) => return refuse_here(&p, "abort", &r),
    };
    let question = format!("Abort deployment #{} of {} on live?", deployment.id, p.name);
    if !yes && !super::session::dry_run() && !confirm(&question) {
        eprintln!("slipway: not aborted");
        return ExitCode::from(exit::REFUSED);
    }
    let cmd = Command::Abort {
        stack: p.stack.clone(),
    };
    run_action(p, cmd, steal, None).await
}

fn names(board: &Board, ids: &[StackId]) -> String {
    ids.iter()
        .map(|id| {
            board
                .get(id)
                .map_or_else(|| id.to_string(), |s| s.name.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sends the command and follows it until the engine answers that it finished, printing
/// the deployment's output. Ctrl-C stops following, not the deployment.
async fn run_action(
    mut p: Prepared,
    cmd: Command,
    steal: Option<String>,
    moving: Option<Moving>,
) -> ExitCode {
    if let Some(reason) = steal
        && p.session
            .engine
            .send(Command::StealLock { reason })
            .await
            .is_none()
    {
        eprintln!("slipway: the engine stopped before the lock could be taken");
        return ExitCode::from(exit::FAILED);
    }
    let Some(id) = p.session.engine.send(cmd).await else {
        eprintln!("slipway: the engine stopped before the command could be sent");
        return ExitCode::from(exit::FAILED);
    };
    let follow = follow(
        &mut p.session.events,
        id,
        &p.stack,
        &p.name,
        moving.as_ref(),
    );
    tokio::select! {
        code = follow => code,
        _ = tokio::signal::ctrl_c() => {
            match &p.session.stops_with_us {
                None => eprintln!(
                    "\nslipway: stopped following {}; the deployment goes on without slipway (see `slipway status`)",
                    p.name
                ),
                Some(why) => eprintln!(
                    "\nslipway: stopped {}'s deployment: {why}, and ends with it (see `slipway status`)",
                    p.name
                ),
            }
            ExitCode::from(exit::INTERRUPTED)
        }
    }
}

async fn follow(
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    id: RequestId,
    stack: &StackId,
    name: &str,
    moving: Option<&Moving>,
) -> ExitCode {
    let mut stdout = std::io::stdout();
    // The same sanitiser and `\r` handling as the Deploy pane; colours only on a terminal.
    let mut printer = Printer::new(None, stdout.is_terminal(), 4000);
    while let Some(ev) = events.recv().await {
        match ev {
            Event::Answer {
                id: answered,
                answer,
                ..
            } if answered == id => match answer {
                Answer::Accepted => {}
                Answer::Refused(refusal) => return refuse(&refusal),
                Answer::Finished(outcome) => {
                    let _ = printer.flush(&mut stdout);
                    let _ = stdout.flush();
                    let code = finished(name, &outcome, moving);
                    return match (&outcome, moving.and_then(|m| m.watch)) {
                        (Outcome::Live { .. }, Some(limit)) => {
                            super::watch::run(events, stack, name, limit).await
                        }
                        _ => code,
                    };
                }
            },
            Event::Problem { context, message } => eprintln!("slipway: {context}: {message}"),
            Event::Notice(text) => eprintln!("slipway: {text}"),
            // The smoke tests that decide whether it counts as live.
            Event::Smoke {
                stack: s, report, ..
            } if &s == stack => {
                let verdict = if report.passed() { "passed" } else { "failed" };
                eprintln!(
                    "slipway: {name}: smoke tests {verdict}: {}",
                    report.summary()
                );
            }
            // The gates of this promotion: what warns is said before it goes.
            Event::GateCheck {
                id: checked,
                result: Ok(report),
            } if checked == id => {
                for item in report
                    .items
                    .iter()
                    .filter(|i| i.level != crate::engine::gates::Level::Pass)
                {
                    eprintln!("slipway: {} {}", item.mark(), item.line());
                }
            }
            Event::DeployStarted {
                stack: s,
                deployment,
                ..
            } if &s == stack => {
                let url = deployment
                    .url
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                eprintln!(
                    "slipway: {name}: deployment #{} started{url}",
                    deployment.id
                );
            }
            Event::DeployOutput {
                stack: s, lines, ..
            } if &s == stack => {
                for line in lines {
                    let _ = printer.line(line.as_bytes(), &mut stdout);
                }
                let _ = stdout.flush();
            }
            Event::DeployFinished {
                stack: s,
                state,
                message,
                ..
            } if &s == stack => {
                // A progress line still rewriting itself is printed as it ended.
                let _ = printer.flush(&mut stdout);
                let _ = stdout.flush();
                let detail = message.map(|m| format!(": {m}")).unwrap_or_default();
                eprintln!("slipway: {name}: deployment {}{detail}", state.as_str());
            }
            _ => {}
        }
    }
    eprintln!("slipway: the engine stopped unexpectedly");
    ExitCode::from(exit::FAILED)
}

/// What an action moves: the environment, the version it ran, and where the new one
/// comes from (a promotion's source; none for a rollback).
pub(super) struct Moving {
    pub env: crate::model::Env,
    pub from: Version,
    pub source: Option<crate::model::Env>,
    /// `promote --watch`: watch the metrics this long once it is live.
    pub watch: Option<std::time::Duration>,
}

impl Moving {
    /// Old → new with the environment names, the form every front end uses.
    fn words(&self, to: &Version) -> String {
        crate::model::step_words(&self.env, &self.from, to, self.source.as_ref())
    }
}

/// The request's outcome in a sentence, and the exit status it deserves.
pub(super) fn finished(name: &str, outcome: &Outcome, moving: Option<&Moving>) -> ExitCode {
    match outcome {
        Outcome::Live { version } => {
            match moving {
                Some(m) => eprintln!("slipway: {name} shipped: {}", m.words(version)),
                None => eprintln!("slipway: {name} is live on {}", version.short()),
            }
            ExitCode::SUCCESS
        }
        Outcome::RolledBack { version } => {
            match moving {
                Some(m) => eprintln!("slipway: {name} rolled back: {}", m.words(version)),
                None => eprintln!("slipway: {name} rolled back to {}", version.short()),
            }
            ExitCode::SUCCESS
        }
        Outcome::Aborted { live } => {
            eprintln!(
                "slipway: {name}: deployment aborted; live runs {}",
                live.short()
            );
            ExitCode::SUCCESS
        }
        Outcome::AbortRequested => {
            eprintln!("slipway: {name}: abort requested");
            ExitCode::SUCCESS
        }
        Outcome::NotStarted { reason } => {
            eprintln!("slipway: {name}: not started, nothing changed on live: {reason}");
            ExitCode::from(exit::FAILED)
        }
        Outcome::Failed { reason } => {
            eprintln!("slipway: {name} failed: {reason}");
            ExitCode::from(exit::FAILED)
        }
        Outcome::DryRun { plan } => {
            for line in plan {
                println!("{line}");
            }
            eprintln!("slipway: dry run: the checks passed and nothing was sent");
            ExitCode::SUCCESS
        }
        Outcome::Approved {
            env,
            from,
            to,
            shared,
        } => {
            let kept = if *shared {
                "the journal and the platform"
            } else {
                "the journal"
            };
            eprintln!(
                "slipway: {name}: approved {env} {} → {}, for another user to promote (kept in {kept})",
                from.short(),
                to.short()
            );
            ExitCode::SUCCESS
        }
    }
}
