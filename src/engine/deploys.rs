//! Promotions, rollbacks and aborts: the checks, the platform calls, following the
//! deployment, smoke tests afterwards, and the chat thread updates.

use chrono::Utc;

use super::announce::Job;
use super::deploy_watch::{self, WatchReport};
use super::release::{Phase, TransferKind};
use super::runner::{Engine, Internal};
use super::{Action, Answer, Event, Outcome, RequestId, SmokeCause};
use crate::feeds::smoke::SmokeReport;
use crate::journal::Entry;
use crate::model::{DeployState, DeployStatus, DeploymentId, DeploymentRef, Env, StackId, Version};
use crate::notify::{DeployInfo, DeployOutcome};
use crate::platform::{DeployRequest, PlatformError};

/// Ended deployments remembered so they are not followed again (bounded).
const ENDED_KEPT: usize = 256;

impl Engine {
    pub(super) async fn promote(
        &mut self,
        id: RequestId,
        stack: StackId,
        expected: Option<Version>,
        override_order: bool,
        to: Option<Env>,
        override_gates: Option<String>,
    ) {
        // Cheap checks first (unknown stack, in flight here), so a refusal needs no lock.
        if let Err(refusal) =
            self.board
                .check_promote_to(&stack, expected.as_ref(), override_order, to.as_ref())
        {
            return self
                .refuse(Some(id), &stack, Action::Promote, refusal)
                .await;
        }
        if let Err(refusal) = self.take_lock(&stack, "promoting").await {
            return self
                .refuse(Some(id), &stack, Action::Promote, refusal)
                .await;
        }
        self.reread(&stack).await;
        let plan = match self.board.check_promote_to(
            &stack,
            expected.as_ref(),
            override_order,
            to.as_ref(),
        ) {
            Ok(plan) => plan,
            Err(refusal) => {
                return self
                    .refuse(Some(id), &stack, Action::Promote, refusal)
                    .await;
            }
        };
        // Is now a good time? Judged under the lock, on what live runs now.
        if let Err(refusal) = self.pass_gates(id, &plan, override_gates.as_deref()).await {
            return self
                .refuse(Some(id), &stack, Action::Promote, refusal)
                .await;
        }
        let mut entry = Entry::new(crate::journal::Act::Promote)
            .stack(&stack)
            .env(&plan.env)
            .versions(&plan.from, &plan.to);
        if !plan.skipped.is_empty() {
            tracing::warn!(stack = %stack, skipped = ?plan.skipped, "promotion out of order by override");
            let skipped: Vec<String> = plan
                .skipped
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            entry = entry.detail(format!(
                "out of order by override; not live yet: {}",
                skipped.join(", ")
            ));
        }
        let by = entry.actor();
        // On disk before the request goes out.
        self.record(entry).await;
        self.board.begin_promotion(&plan, Utc::now());
        // Metrics watch live: a step between earlier environments changes nothing there.
        if plan.env == self.live_env() {
            self.watches
                .promotion_started(&stack, &plan.from, &plan.to, by, Utc::now());
        }
        self.track(id, &stack, Action::Promote);
        self.answer(id, &stack, Action::Promote, Answer::Accepted)
            .await;
        self.emit_board().await;
        self.start_deploy(
            DeployRequest {
                stack,
                env: plan.env,
                version: plan.to,
                previous: plan.from,
                rollback: false,
                user: crate::journal::os_user(),
            },
            Action::Promote,
        );
    }

    /// `id` is `None` for a rollback the engine starts itself (`auto_rollback`).
    pub(super) async fn rollback(
        &mut self,
        id: Option<RequestId>,
        stack: StackId,
        to: Option<Version>,
    ) {
        let checked = match &to {
            Some(version) => self.check_in_repo(&stack, version).await,
            None => Ok(()),
        };
        if let Err(refusal) = checked.and_then(|()| self.board.check_rollback(&stack, to.as_ref()))
        {
            return self.refuse(id, &stack, Action::Rollback, refusal).await;
        }
        if let Err(refusal) = self.take_lock(&stack, "rolling back").await {
            return self.refuse(id, &stack, Action::Rollback, refusal).await;
        }
        let verifying = self
            .board
            .get(&stack)
            .is_some_and(|s| matches!(s.phase, Phase::Verifying(_)));
        if !verifying {
            self.reread(&stack).await;
        }
        let plan = match self.board.check_rollback(&stack, to.as_ref()) {
            Ok(plan) => plan,
            Err(refusal) => return self.refuse(id, &stack, Action::Rollback, refusal).await,
        };
        // A rollback started during verification replaces the verifying phase.
        if let Some(w) = self.watchers.remove(&stack) {
            w.abort();
        }
        let entry = Entry::new(crate::journal::Act::Rollback)
            .stack(&stack)
            .env(&plan.env)
            .versions(&plan.from, &plan.to);
        let by = entry.actor();
        self.record(entry).await;
        // The promotion this replaces (verifying) is finished by it; the lock stays.
        if let Some((old, action)) = self.pending.transfers.remove(&stack) {
            let outcome = Outcome::Failed {
                reason: "rolled back before its checks finished".into(),
            };
            self.answer(old, &stack, action, Answer::Finished(outcome))
                .await;
        }
        self.board.begin_rollback(&plan, Utc::now());
        if plan.env == self.live_env() {
            self.watches
                .rollback_started(&stack, &plan.from, &plan.to, by, Utc::now());
        }
        if let Some(id) = id {
            self.track(id, &stack, Action::Rollback);
            self.answer(id, &stack, Action::Rollback, Answer::Accepted)
                .await;
        }
        self.emit_board().await;
        self.start_deploy(
            DeployRequest {
                stack,
                env: plan.env,
                version: plan.to,
                previous: plan.from,
                rollback: true,
                user: crate::journal::os_user(),
            },
            Action::Rollback,
        );
    }

    pub(super) async fn abort(&mut self, id: RequestId, stack: StackId) {
        let deployment = match self.board.check_abort(&stack) {
            Ok(d) => d,
            Err(refusal) => return self.refuse(Some(id), &stack, Action::Abort, refusal).await,
        };
        if let Err(refusal) = self.take_lock(&stack, "aborting").await {
            return self.refuse(Some(id), &stack, Action::Abort, refusal).await;
        }
        self.record(
            Entry::new(crate::journal::Act::Abort)
                .stack(&stack)
                .deployment(&deployment.id),
        )
        .await;
        self.track(id, &stack, Action::Abort);
        self.answer(id, &stack, Action::Abort, Answer::Accepted)
            .await;
        if !self.platform.capabilities().abort {
            let msg = format!(
                "not supported: {} cannot abort deployments",
                self.platform.describe()
            );
            self.problem(format!("abort {stack}"), msg.clone()).await;
            self.abort_answered(&stack, Outcome::Failed { reason: msg })
                .await;
            return;
        }
        let platform = self.platform.clone();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let result = platform.abort(&stack, &deployment.id).await;
            let _ = tx.send(Internal::AbortResult(stack, result)).await;
        });
    }

    /// The platform took the abort (the deployment's end answers the request) or refused
    /// it (the request fails now).
    pub(super) async fn abort_sent(&mut self, stack: StackId, result: Result<(), PlatformError>) {
        match result {
            Ok(()) => {
                self.emit(Event::Notice(format!("{stack}: abort requested")))
                    .await;
            }
            Err(e) => {
                self.problem(format!("abort {stack}"), e.to_string()).await;
                self.abort_answered(
                    &stack,
                    Outcome::Failed {
                        reason: e.to_string(),
                    },
                )
                .await;
            }
        }
    }

    /// A version typed by hand must exist in the repository (when there is one): the
    /// platform would otherwise be asked to deploy a typo.
    pub(super) async fn check_in_repo(
        &self,
        stack: &StackId,
        version: &Version,
    ) -> Result<(), super::release::Refusal> {
        let Some(path) = self.changes.repo_path() else {
            return Ok(());
        };
        let wanted = version.as_str().to_string();
        let found = tokio::task::spawn_blocking(move || {
            let repo = git2::Repository::open(&path).ok()?;
            Some(repo.revparse_single(&wanted).is_ok())
        })
        .await
        .ok()
        .flatten();
        match found {
            // No readable repository: the platform decides.
            None | Some(true) => Ok(()),
            Some(false) => Err(super::release::Refusal::UnknownVersion {
                stack: self
                    .board
                    .get(stack)
                    .map_or_else(|| stack.to_string(), |s| s.name.clone()),
                version: version.as_str().to_string(),
            }),
        }
    }

    /// The stack's move in flight goes to live (or nothing says otherwise).
    fn moving_live(&self, stack: &StackId) -> bool {
        self.board
            .get(stack)
            .and_then(|s| s.phase.in_flight())
            .is_none_or(|t| t.env == self.live_env())
    }

    fn start_deploy(&mut self, request: DeployRequest, action: Action) {
        let platform = self.platform.clone();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let result = platform.deploy(&request).await;
            let _ = tx
                .send(Internal::Started {
                    stack: request.stack,
                    action,
                    result,
                })
                .await;
        });
    }

    pub(super) async fn started(
        &mut self,
        stack: StackId,
        action: Action,
        result: Result<DeploymentRef, PlatformError>,
    ) {
        match result {
            Ok(deployment) => {
                let mut entry = Entry::new(crate::journal::Act::DeployStarted)
                    .stack(&stack)
                    .deployment(&deployment.id);
                if let Some(t) = self.board.get(&stack).and_then(|s| s.phase.in_flight()) {
                    entry = entry.env(&t.env).versions(&t.from, &t.to);
                }
                self.record(entry.detail(action.verb())).await;
                self.board.deployment_started(&stack, deployment.clone());
                self.emit_board().await;
                self.emit(Event::DeployStarted {
                    stack: stack.clone(),
                    deployment: deployment.clone(),
                    action,
                })
                .await;
                if let Some(info) = self.deploy_info(&stack) {
                    self.to_announcer(Job::DeployStarted(info)).await;
                }
                self.watch(stack, deployment);
            }
            Err(e) => {
                let rejected = e.is_rejection();
                let on_live = self.moving_live(&stack);
                self.record(
                    Entry::new(crate::journal::Act::DeployStarted)
                        .stack(&stack)
                        .outcome(if rejected {
                            crate::journal::outcome::REFUSED
                        } else {
                            crate::journal::outcome::FAILED
                        })
                        .detail(e.to_string()),
                )
                .await;
                if rejected {
                    self.board.start_refused(&stack);
                } else {
                    self.board.start_failed(&stack, e.to_string());
                }
                if on_live {
                    self.watches.deploy_finished(&stack, false, Utc::now());
                }
                self.emit_board().await;
                self.problem(format!("{} {stack}", action.verb()), e.to_string())
                    .await;
                let outcome = if rejected {
                    Outcome::NotStarted {
                        reason: e.to_string(),
                    }
                } else {
                    Outcome::Failed {
                        reason: e.to_string(),
                    }
                };
                self.finish(&stack, outcome).await;
            }
        }
    }

    pub(super) fn watch(&mut self, stack: StackId, deployment: DeploymentRef) {
        if let Some(old) = self.watchers.remove(&stack) {
            old.abort();
        }
        let handle = self.tasks.spawn(deploy_watch::watch(
            self.platform.clone(),
            stack.clone(),
            deployment.id,
            self.events.clone(),
            self.watch_reports.clone(),
        ));
        self.watchers.insert(stack, handle);
    }

    /// A deployment on live that this engine did not start (another terminal, the CLI,
    /// the platform's own UI): follow it so nobody starts a second one on top.
    /// `true` when it attached (the journal may say who started it).
    pub(super) fn attach_if_unknown(&mut self, stack: &StackId, id: DeploymentId) -> bool {
        let known = self
            .board
            .get(stack)
            .and_then(|s| s.phase.in_flight())
            .is_some();
        // A platform that keeps naming a deployment that already ended as live's active
        // one is not followed again (and again).
        if known || self.ended.contains(&id) {
            return false;
        }
        let deployment = DeploymentRef { id, url: None };
        self.board
            .attach_external(stack, deployment.clone(), Utc::now());
        if let Some(t) = self.board.get(stack).and_then(|s| s.phase.in_flight()) {
            let (from, to) = (t.from.clone(), t.to.clone());
            self.watches.outside_rollout(stack, &from, &to, Utc::now());
        }
        self.watch(stack.clone(), deployment);
        true
    }

    pub(super) async fn watch_report(&mut self, stack: StackId, report: WatchReport) {
        match report {
            WatchReport::Status(DeployStatus {
                progress, message, ..
            }) => {
                self.board.deploy_trouble(&stack, None);
                self.watches.progress(&stack, progress);
                self.board.progress(&stack, progress, message);
                self.emit_board().await;
            }
            WatchReport::Trouble(message) => {
                // The job's status is unknown from now on (the first failure's time
                // stays), and the board says so to every front end.
                self.board
                    .deploy_trouble(&stack, Some((Utc::now(), message.clone())));
                self.emit_board().await;
                self.problem(format!("deployment of {stack}"), message)
                    .await;
            }
            WatchReport::Answering => {
                self.board.deploy_trouble(&stack, None);
                self.emit_board().await;
                self.problem(
                    format!("deployment of {stack}"),
                    "the platform answers again".to_string(),
                )
                .await;
            }
            WatchReport::Finished { deployment, status } => {
                self.finished(stack, deployment, status).await;
            }
        }
    }

    async fn finished(&mut self, stack: StackId, deployment: DeploymentId, status: DeployStatus) {
        self.watchers.remove(&stack);
        self.board.deploy_trouble(&stack, None);
        if self.ended.len() >= ENDED_KEPT {
            self.ended.clear();
        }
        self.ended.insert(deployment.clone());
        let kind = self
            .board
            .get(&stack)
            .and_then(|s| s.phase.in_flight())
            .map(|t| t.kind);
        let has_checks = self
            .config
            .stack(&stack)
            .is_some_and(|s| !s.smoke.is_empty());
        let succeeded = status.state == DeployState::Succeeded;
        // A deployment this engine only followed was started, and is journaled and
        // verified, by whoever started it: recorded here it would be recorded twice.
        let ours = kind != Some(TransferKind::External);
        let verify = succeeded
            && has_checks
            && self.config.smoke.after_promotion
            && kind == Some(TransferKind::Promotion);
        let info = self.deploy_info(&stack);
        let mut entry = Entry::new(crate::journal::Act::DeployFinished)
            .stack(&stack)
            .deployment(&deployment)
            .outcome(status.state.as_str());
        if let Some(t) = self.board.get(&stack).and_then(|s| s.phase.in_flight()) {
            entry = entry.env(&t.env).versions(&t.from, &t.to);
        }
        if let Some(m) = &status.message {
            entry = entry.detail(m.clone());
        }
        if ours {
            self.record(entry).await;
        }
        if self.moving_live(&stack) {
            self.watches.deploy_finished(&stack, succeeded, Utc::now());
        }
        self.board.deployment_finished(
            &stack,
            status.state.clone(),
            status.message.clone(),
            verify,
        );
        self.emit_board().await;
        self.emit(Event::DeployFinished {
            stack: stack.clone(),
            deployment,
            state: status.state.clone(),
            message: status.message.clone(),
        })
        .await;
        if let Some(info) = info {
            let outcome = match (&status.state, kind) {
                (DeployState::Succeeded, Some(TransferKind::Rollback)) => DeployOutcome::RolledBack,
                (DeployState::Succeeded, _) => DeployOutcome::Succeeded,
                (DeployState::Aborted, _) => DeployOutcome::Aborted,
                _ => DeployOutcome::Failed,
            };
            self.to_announcer(Job::DeployFinished(info, outcome, status.message.clone()))
                .await;
        }
        if succeeded {
            // Instances are usually replaced by a deployment.
            self.list_instances(stack.clone(), self.live_env());
            if verify {
                self.run_smoke(stack.clone(), SmokeCause::Promotion).await;
            } else if has_checks && kind == Some(TransferKind::Rollback) {
                self.run_smoke(stack.clone(), SmokeCause::Rollback).await;
            }
        }
        self.settle(&stack).await;
        self.refresh();
    }

    /// The chat thread's view of the stack's current deployment.
    fn deploy_info(&self, stack: &StackId) -> Option<DeployInfo> {
        let s = self.board.get(stack)?;
        let t = s.phase.in_flight()?;
        let d = t.deployment.as_ref()?;
        Some(DeployInfo {
            release: self.config.release.name.clone(),
            stack_id: stack.to_string(),
            stack_name: s.name.clone(),
            from: t.from.short().to_string(),
            to: t.to.short().to_string(),
            deployment_id: d.id.to_string(),
            url: d.url.clone(),
        })
    }

    pub(super) async fn run_smoke(&mut self, stack: StackId, cause: SmokeCause) {
        // `{env}` in a check's URL names the environment the run is about.
        let env = self
            .smoke_target(&stack, cause)
            .map_or_else(|| self.live_env(), |(env, _)| env);
        let checks: Vec<_> = self
            .config
            .stack(&stack)
            .map(|s| s.smoke.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|mut c| {
                c.url = c.url.replace("{env}", env.as_str());
                c
            })
            .collect();
        if checks.is_empty() {
            if cause == SmokeCause::Request {
                self.problem(
                    format!("smoke {stack}"),
                    "no smoke checks for this stack: add [[stacks.smoke]] entries to the config",
                )
                .await;
            }
            return;
        }
        let Some(client) = self.http.clone() else {
            self.problem(
                format!("smoke {stack}"),
                "the HTTP client could not be built",
            )
            .await;
            return;
        };
        self.emit(Event::SmokeStarted {
            stack: stack.clone(),
            cause,
        })
        .await;
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let report = crate::feeds::smoke::run(&client, &checks).await;
            let _ = tx.send(Internal::Smoke(stack, cause, report)).await;
        });
    }

    /// The environment and version a smoke run of `stack` is about: the move it verifies
    /// (a promotion's or rollback's), else live as it runs now.
    fn smoke_target(&self, stack: &StackId, cause: SmokeCause) -> Option<(Env, Version)> {
        let s = self.board.get(stack)?;
        let moved = match (&s.phase, cause) {
            (Phase::Verifying(t), SmokeCause::Promotion) => Some(t),
            (Phase::RolledBack(t), SmokeCause::Rollback) => Some(t),
            _ => None,
        };
        match moved {
            Some(t) => Some((t.env.clone(), t.to.clone())),
            None => {
                let v = s.versions.as_ref()?;
                Some((v.live_env().clone(), v.live().clone()))
            }
        }
    }

    pub(super) async fn smoke_done(
        &mut self,
        stack: StackId,
        cause: SmokeCause,
        report: SmokeReport,
    ) {
        let passed = report.passed();
        let summary = report.summary();
        let outcome = if passed {
            crate::journal::outcome::PASSED
        } else {
            crate::journal::outcome::FAILED
        };
        let mut entry = Entry::new(crate::journal::Act::Smoke)
            .stack(&stack)
            .outcome(outcome)
            .detail(format!("{cause:?}: {summary}"));
        // Which environment and version were checked: the gates read a failure on the
        // environment a promotion takes its version from.
        if let Some((env, version)) = self.smoke_target(&stack, cause) {
            entry = entry.env(&env);
            entry.to = Some(version.to_string());
        }
        self.record(entry).await;
        self.emit(Event::Smoke {
            stack: stack.clone(),
            cause,
            report,
        })
        .await;
        if cause == SmokeCause::Request && passed && self.board.smoke_passed(&stack) {
            self.emit_board().await;
            return;
        }
        let verifying = self
            .board
            .get(&stack)
            .is_some_and(|s| matches!(s.phase, Phase::Verifying(_)));
        if cause != SmokeCause::Promotion || !verifying {
            return;
        }
        self.board
            .verification_finished(&stack, passed, format!("smoke tests failed: {summary}"));
        self.emit_board().await;
        self.settle(&stack).await;
        if !passed && self.config.smoke.auto_rollback && self.read_only() {
            let name = self.stack_name(&stack);
            self.emit(Event::Notice(format!(
                "{name}: smoke tests failed; not rolling back automatically: this slipway is read-only"
            )))
            .await;
            return;
        }
        if !passed && self.config.smoke.auto_rollback {
            let name = self
                .board
                .get(&stack)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            self.emit(Event::Notice(format!(
                "{name}: smoke tests failed; rolling back automatically (auto_rollback = true)"
            )))
            .await;
            Box::pin(self.rollback(None, stack, None)).await;
        }
    }
}
