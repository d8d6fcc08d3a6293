//! The engine's side of the pre-flight gates: gathering what they judge by (diffs, the
//! journal, the platform's approvals, the lock, the metric flags), the release-wide report
//! front ends show, checks asked for (`slipway check`), the check before a promotion, and
//! approvals.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;

use super::changes::{Pair, RepoState};
use super::gates::{self, ApprovalFacts, Facts, MetricsFacts, RepoFacts, Report, Scope, Step};
use super::release::{PromotePlan, Refusal};
use super::runner::{Engine, Internal};
use super::{Action, Answer, Event, Outcome, RequestId};
use crate::journal::Entry;
use crate::model::{Approval, Env, StackId};

/// How long a diff a gate needs may take before the gate says it is not computed.
const DIFF_LIMIT: Duration = Duration::from_secs(20);
/// How long the platform may take to read or keep an approval.
const APPROVAL_LIMIT: Duration = Duration::from_secs(15);

impl Engine {
    /// Environments whose promotions need another user's approval.
    fn approval_envs(&self) -> Vec<Env> {
        self.config.approval.environments()
    }

    /// Judges `scope` on what is known now (no I/O).
    pub(super) fn evaluate_gates(&self, scope: Scope, other_lock: bool) -> Report {
        let diffs = self.changes.diffs();
        let repo = match &self.changes.state {
            RepoState::NotConfigured => RepoFacts::NotConfigured,
            RepoState::Cloning => {
                RepoFacts::NotReady("the repository is still being cloned".into())
            }
            RepoState::Failed(e) => RepoFacts::Failed(e.clone()),
            RepoState::Ready(_) => RepoFacts::Ready(diffs),
        };
        let flags = self.gates.flags();
        let metrics = if self.config.metrics.series.is_empty() {
            MetricsFacts::NotConfigured
        } else if !self.metrics_running {
            MetricsFacts::NotWatched
        } else {
            MetricsFacts::Watched(&flags)
        };
        let smoke_configured: HashSet<StackId> = self
            .config
            .stacks
            .iter()
            .filter(|s| !s.smoke.is_empty())
            .map(|s| s.id.clone())
            .collect();
        let required = self.approval_envs();
        let user = crate::journal::os_user();
        let approvals = self.gates.approvals();
        // The platform's trouble matters to the step checked; the release view names the
        // first it meets.
        let problem = match &scope {
            Scope::Promotion { step } => self.gates.platform_problem(&step.stack, &step.env),
            Scope::Release => self
                .gates
                .platform_approvals
                .values()
                .find_map(|r| r.as_ref().err().cloned()),
        };
        let lock = self.lock_seen.as_ref().filter(|h| other_lock && !h.is_me());
        let facts = Facts {
            now: Utc::now(),
            freeze: &self.gates.windows,
            notice: chrono::Duration::minutes(self.config.gates.notice_mins as i64),
            board: &self.board,
            repo,
            smoke: &self.gates.journal.smoke,
            smoke_configured: &smoke_configured,
            metrics,
            lock,
            approval: ApprovalFacts {
                required: &required,
                user: &user,
                seen: &approvals,
                problem: problem.as_deref(),
                overridable: self.config.approval.overridable,
            },
            promoted: &self.gates.journal.promoted,
        };
        gates::evaluate(&facts, scope)
    }

    /// Tells front ends the release-wide report when it changed.
    pub(super) async fn publish_gates(&mut self) {
        // Before the first versions every gate would only say it does not know yet.
        if self.first_round {
            return;
        }
        let report = self.evaluate_gates(Scope::Release, true);
        let same = self
            .gates
            .last
            .as_ref()
            .is_some_and(|last| last.items == report.items);
        if !same {
            self.gates.last = Some(report.clone());
            self.emit(Event::Gates(report)).await;
        }
    }

    /// The journal was read: approvals, smoke runs and started versions follow it
    /// (other processes' entries join this engine's own).
    pub(super) fn gates_read_journal(&mut self, entries: &[Entry]) {
        let live = self.live_env();
        for e in entries {
            self.gates.journal.apply(e, &live);
        }
    }

    /// Reads the platform's approvals for every stack and environment that needs one, in
    /// the background (with the versions, so the header's approval state follows other
    /// machines).
    pub(super) fn refresh_approvals(&mut self) {
        let envs = self.approval_envs();
        if envs.is_empty() || !self.platform.capabilities().approvals {
            return;
        }
        let keys: Vec<(StackId, Env)> = self
            .config
            .stacks
            .iter()
            .flat_map(|s| envs.iter().map(|e| (s.id.clone(), e.clone())))
            .collect();
        let platform = self.platform.clone();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let reads = keys.into_iter().map(|(stack, env)| {
                let platform = platform.clone();
                async move {
                    let r = read_approvals(platform.as_ref(), &stack, &env).await;
                    ((stack, env), r)
                }
            });
            let results = futures::future::join_all(reads).await;
            let _ = tx.send(Internal::Approvals(results)).await;
        });
    }

    /// The platform's approvals came back: the gates judge by them from now on.
    pub(super) async fn approvals_read(&mut self, results: super::gate_state::ApprovalReads) {
        for (key, result) in results {
            self.gates.platform_approvals.insert(key, result);
        }
        self.publish_gates().await;
    }

    /// Reads what the gates of `steps` need now rather than on the next round: their
    /// diffs, and the platform's approvals where one is required.
    async fn gather(&mut self, steps: &[Step]) {
        for step in steps {
            self.ensure_diff((step.from.clone(), step.to.clone())).await;
            if self.approval_envs().contains(&step.env) && self.platform.capabilities().approvals {
                let r = read_approvals(self.platform.as_ref(), &step.stack, &step.env).await;
                self.gates
                    .platform_approvals
                    .insert((step.stack.clone(), step.env.clone()), r);
            }
        }
    }

    /// Computes one diff now (bounded), unless it is known.
    async fn ensure_diff(&mut self, pair: Pair) {
        if self.changes.diffs().contains_key(&pair) {
            return;
        }
        let Some(job) = self.changes.job_for(pair.clone()) else {
            return;
        };
        let run = tokio::task::spawn_blocking(move || job.run());
        if let Ok(Ok(result)) = tokio::time::timeout(DIFF_LIMIT, run).await {
            let changes = self.changes.store(pair.clone(), result);
            self.emit(Event::Changes {
                live: pair.0,
                test: pair.1,
                changes,
            })
            .await;
        }
    }

    /// `Command::CheckGates`: the release (every checked next step), or one stack's
    /// promotion (its next, or onto `to`), judged on fresh data.
    pub(super) async fn check_gates(
        &mut self,
        id: RequestId,
        stack: Option<StackId>,
        to: Option<Env>,
    ) {
        let result = match stack {
            None => {
                let pending = gates::pending_steps(&self.board);
                self.gather(&pending).await;
                Ok(self.evaluate_gates(Scope::Release, true))
            }
            Some(stack) => match self.step_to(&stack, to.as_ref()) {
                Ok(step) => {
                    self.gather(std::slice::from_ref(&step)).await;
                    Ok(self.evaluate_gates(Scope::Promotion { step }, true))
                }
                Err(refusal) => Err(refusal),
            },
        };
        self.emit(Event::GateCheck { id, result }).await;
    }

    /// The step `stack` would take onto `to` (its next when `None`).
    pub(super) fn step_to(&self, stack: &StackId, to: Option<&Env>) -> Result<Step, Refusal> {
        let s = self
            .board
            .get(stack)
            .ok_or_else(|| Refusal::UnknownStack(stack.to_string()))?;
        let name = s.name.clone();
        let mut v = s.versions.clone().ok_or_else(|| Refusal::VersionsUnknown {
            stack: name.clone(),
        })?;
        if let Some(env) = to {
            let stage = v.index_of(env).ok_or_else(|| Refusal::UnknownEnv {
                env: env.to_string(),
                known: v.envs.iter().map(|e| e.env.to_string()).collect(),
            })?;
            if stage == 0 {
                return Err(Refusal::FirstEnv {
                    env: env.to_string(),
                });
            }
            v = v.at_stage(stage);
        }
        if v.source() == v.target() {
            return Err(Refusal::AlreadyLive {
                stack: name,
                env: v.target_env().to_string(),
                version: v.target().short().to_string(),
            });
        }
        Ok(Step {
            stack: stack.clone(),
            name,
            source_env: v.source_env().clone(),
            env: v.target_env().clone(),
            from: v.target().clone(),
            to: v.source().clone(),
        })
    }

    /// For `--dry-run`: the gates a real promotion of `plan` would judge (the same
    /// ones, on the same data), as lines for the plan; `Err` when they would refuse it.
    pub(super) async fn dry_run_gates(
        &mut self,
        plan: &PromotePlan,
        reason: Option<&str>,
    ) -> Result<Vec<String>, Refusal> {
        let step = self.step_of(plan);
        let gated = step.env == self.live_env()
            || self.approval_envs().contains(&step.env)
            || !self.gates.journal.promoted.contains(&step.to);
        if !gated {
            return Ok(Vec::new());
        }
        self.gather(std::slice::from_ref(&step)).await;
        let report = self.evaluate_gates(Scope::Promotion { step: step.clone() }, true);
        let blocking = report.blocking();
        let overridable = blocking.iter().all(|i| i.overridable);
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if !blocking.is_empty() && (reason.is_none() || !overridable) {
            return Err(Refusal::GatesBlocked {
                stack: step.name,
                blocking: blocking.iter().map(|i| i.line()).collect(),
                overridable,
            });
        }
        // What passes goes without saying; warnings (and overridden blocks) are shown.
        Ok(report
            .items
            .iter()
            .filter(|i| i.level != gates::Level::Pass)
            .map(|i| format!("gate {} {}", i.mark(), i.line()))
            .collect())
    }

    fn step_of(&self, plan: &PromotePlan) -> Step {
        let source_env = self
            .board
            .get(&plan.stack)
            .and_then(|s| s.versions.as_ref())
            .and_then(|v| {
                let i = v.index_of(&plan.env)?.checked_sub(1)?;
                v.envs.get(i).map(|e| e.env.clone())
            })
            .unwrap_or_else(Env::test);
        Step {
            stack: plan.stack.clone(),
            name: self.stack_name(&plan.stack),
            source_env,
            env: plan.env.clone(),
            from: plan.from.clone(),
            to: plan.to.clone(),
        }
    }

    /// Before a promotion, under the lock: the gates of its step, when it is checked (onto
    /// live, onto an environment needing approval, or the first of the release). Blocking
    /// gates refuse it unless `reason` overrides them, which is journaled with the gates
    /// and the user; a missing approval is overridden only where config allows.
    pub(super) async fn pass_gates(
        &mut self,
        id: RequestId,
        plan: &PromotePlan,
        reason: Option<&str>,
    ) -> Result<(), Refusal> {
        let step = self.step_of(plan);
        let required = self.approval_envs();
        let live = self.live_env();
        let gated = step.env == live
            || required.contains(&step.env)
            || !self.gates.journal.promoted.contains(&step.to);
        if !gated {
            return Ok(());
        }
        self.gather(std::slice::from_ref(&step)).await;
        // This engine holds the lock now: another's hold was refused before.
        let report = self.evaluate_gates(Scope::Promotion { step: step.clone() }, false);
        self.emit(Event::GateCheck {
            id,
            result: Ok(report.clone()),
        })
        .await;
        let blocking = report.blocking();
        if blocking.is_empty() {
            return Ok(());
        }
        let overridable = blocking.iter().all(|i| i.overridable);
        let lines: Vec<String> = blocking.iter().map(|i| i.line()).collect();
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match reason {
            Some(reason) if overridable => {
                let names: Vec<&str> = blocking.iter().map(|i| i.gate.as_str()).collect();
                tracing::warn!(stack = %step.stack, gates = ?names, "gates overridden");
                let entry = Entry::new(crate::journal::Act::Override)
                    .stack(&step.stack)
                    .env(&step.env)
                    .versions(&step.from, &step.to)
                    .gates(names)
                    .reason(reason)
                    .detail(lines.join("; "));
                self.record(entry).await;
                Ok(())
            }
            _ => Err(Refusal::GatesBlocked {
                stack: step.name,
                blocking: lines,
                overridable,
            }),
        }
    }

    /// `Command::Approve`: this user approves `stack`'s step onto `to` (its next when
    /// `None`), exactly as it stands. Journaled, and kept by the platform where it can.
    pub(super) async fn approve(&mut self, id: RequestId, stack: StackId, to: Option<Env>) {
        let step = match self.step_to(&stack, to.as_ref()) {
            Ok(step) => step,
            Err(refusal) => {
                return self
                    .refuse(Some(id), &stack, Action::Approve, refusal)
                    .await;
            }
        };
        let required = self.approval_envs();
        if !required.contains(&step.env) {
            let refusal = Refusal::ApprovalNotRequired {
                env: step.env.to_string(),
                required: required.iter().map(Env::to_string).collect(),
            };
            return self
                .refuse(Some(id), &stack, Action::Approve, refusal)
                .await;
        }
        let entry = Entry::new(crate::journal::Act::Approve)
            .stack(&stack)
            .env(&step.env)
            .versions(&step.from, &step.to);
        // The same words on the platform as in the journal, so the two read as one.
        let approval = Approval {
            stack: stack.clone(),
            env: step.env.clone(),
            from: step.from.clone(),
            to: step.to.clone(),
            user: entry.user.clone(),
            host: entry.host.clone(),
            at: entry.at,
        };
        self.record(entry).await;
        let mut shared = false;
        if self.platform.capabilities().approvals {
            match tokio::time::timeout(APPROVAL_LIMIT, self.platform.record_approval(&approval))
                .await
            {
                Ok(Ok(())) => shared = true,
                Ok(Err(e)) => self.problem("approval", e.to_string()).await,
                Err(_) => {
                    self.problem(
                        "approval",
                        format!(
                            "the platform did not keep it within {}s; it is in the journal only",
                            APPROVAL_LIMIT.as_secs()
                        ),
                    )
                    .await;
                }
            }
        }
        self.answer(
            id,
            &stack,
            Action::Approve,
            Answer::Finished(Outcome::Approved {
                env: step.env,
                from: step.from,
                to: step.to,
                shared,
            }),
        )
        .await;
        self.publish_gates().await;
    }
}

/// One read of the platform's approvals, bounded, its error in words.
async fn read_approvals(
    platform: &dyn crate::platform::Platform,
    stack: &StackId,
    env: &Env,
) -> Result<Vec<Approval>, String> {
    match tokio::time::timeout(APPROVAL_LIMIT, platform.read_approvals(stack, env)).await {
        Ok(Ok(list)) => Ok(list),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", APPROVAL_LIMIT.as_secs())),
    }
}
