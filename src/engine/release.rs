//! The per-stack release state machine: plain data and pure functions, no I/O.
//!
//! Pending → Promoting → Verifying → Live, or Failed, Aborted, `RolledBack`. The engine owns
//! one [`Board`] and is the only writer; front ends receive copies through events. Every
//! request that could hurt (promote, rollback, abort) is checked here first, so the rules
//! (order, in-flight, version on test) hold for the CLI and the TUI alike.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{DeployState, DeploymentRef, Env, StackId, StackVersions, Version};

/// Where one stack is in the release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Versions not loaded yet (or the platform could not be read).
    Unknown,
    /// Test runs a version live does not: waiting to be promoted.
    Pending,
    Promoting(Transfer),
    /// The deployment succeeded; smoke tests are running before the stack counts as live.
    Verifying(Transfer),
    /// Live runs what test runs.
    Live,
    Failed {
        transfer: Transfer,
        reason: String,
    },
    Aborted(Transfer),
    RollingBack(Transfer),
    RolledBack(Transfer),
}

/// One move of a version onto live: a promotion or a rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    pub from: Version,
    pub to: Version,
    /// None between the request and the platform's answer.
    pub deployment: Option<DeploymentRef>,
    pub started: DateTime<Utc>,
    pub progress: Option<f32>,
    pub message: Option<String>,
    pub kind: TransferKind,
    /// The environment the version moves onto.
    #[serde(default = "Env::live")]
    pub env: Env,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Promotion,
    Rollback,
    /// A deployment the platform reported that this engine did not start.
    External,
}

impl Phase {
    pub fn in_flight(&self) -> Option<&Transfer> {
        match self {
            Phase::Promoting(t) | Phase::RollingBack(t) | Phase::Verifying(t) => Some(t),
            _ => None,
        }
    }

    /// A short word for tables and JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Phase::Unknown => "unknown",
            Phase::Pending => "pending",
            Phase::Promoting(_) => "promoting",
            Phase::Verifying(_) => "verifying",
            Phase::Live => "live",
            Phase::Failed { .. } => "failed",
            Phase::Aborted(_) => "aborted",
            Phase::RollingBack(_) => "rolling back",
            Phase::RolledBack(_) => "rolled back",
        }
    }
}

/// Everything the engine knows about one stack's release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackRelease {
    pub id: StackId,
    /// Display name (e.g. `WWW`).
    pub name: String,
    pub versions: Option<StackVersions>,
    pub phase: Phase,
    /// What the target ran before the last promotion started: the default rollback target.
    pub previous_live: Option<Version>,
    /// Where the last promotion went (and so where a rollback goes); live when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_env: Option<Env>,
    /// The most recent deployment this engine saw for the stack (for the Deploy pane title).
    pub last_deployment: Option<DeploymentRef>,
    /// The phase and rollback target before the request in flight was made, put back if
    /// the platform refuses it: a rejected request changes nothing on live.
    #[serde(skip)]
    pub before_request: Option<Box<(Phase, Option<Version>)>>,
    /// Who started the move in flight, when it is not this engine's and the journal
    /// names its starter (a colleague's dashboard or CLI). Meaningful while in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployer: Option<String>,
    /// The deployment in flight could not be read since this failure (its status is
    /// unknown since `at`); cleared when the platform answers again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_trouble: Option<super::freshness::ReadError>,
    /// When the platform last answered a versions read for this stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
    /// The last failed versions read (kept until a later read succeeds; see
    /// [`super::freshness::freshness`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<super::freshness::ReadError>,
}

impl StackRelease {
    pub fn new(id: StackId, name: impl Into<String>) -> Self {
        StackRelease {
            id,
            name: name.into(),
            versions: None,
            phase: Phase::Unknown,
            previous_live: None,
            last_env: None,
            last_deployment: None,
            before_request: None,
            deployer: None,
            deploy_trouble: None,
            read_at: None,
            read_error: None,
        }
    }

    /// Live runs test's version and nothing is moving.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Live)
    }
}

/// Why a request was not carried out. Only `OutOfOrder` can be overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    #[error("no stack named '{0}'")]
    UnknownStack(String),
    #[error("{stack}: versions are not known yet (the platform has not answered)")]
    VersionsUnknown { stack: String },
    #[error("{stack} already runs {version} on {env}")]
    AlreadyLive {
        stack: String,
        env: String,
        version: String,
    },
    #[error(
        "{stack}: {version} has not been on {next} yet (it runs on {on}); promote it to {next} before {target}"
    )]
    NotProvenYet {
        stack: String,
        version: String,
        on: String,
        next: String,
        target: String,
    },
    #[error("no environment named '{env}' (known: {})", known.join(", "))]
    UnknownEnv { env: String, known: Vec<String> },
    #[error("{env} is the first environment: nothing is promoted onto it")]
    FirstEnv { env: String },
    #[error("{stack}: a {what} is already in flight{}", deployment.as_ref().map(|d| format!(" (deployment {d})")).unwrap_or_default())]
    InFlight {
        stack: String,
        what: String,
        deployment: Option<String>,
    },
    #[error("{stack} is out of order: promote {} first, or override the order", waiting_on.join(", "))]
    OutOfOrder {
        stack: String,
        waiting_on: Vec<String>,
    },
    #[error(
        "{stack}: {env} now runs {actual}, not {expected} as confirmed; look again before promoting"
    )]
    TestMoved {
        stack: String,
        env: String,
        expected: String,
        actual: String,
    },
    /// Each front end names the version its own way (`Refusal::remedy`).
    #[error("{stack}: no earlier live version is known to roll back to")]
    NothingToRollBack { stack: String, id: StackId },
    #[error("{stack}: live already runs {version}")]
    RollbackToCurrent { stack: String, version: String },
    #[error(
        "{stack}: {version} is not a commit or tag of the repository (not fetched yet?); nothing was sent"
    )]
    UnknownVersion { stack: String, version: String },
    #[error("the release is locked by {holder}")]
    Locked { holder: String },
    #[error("cannot take the release lock: {reason}")]
    LockUnavailable { reason: String },
    #[error("{stack}: no deployment is in flight to abort")]
    NothingToAbort { stack: String },
    #[error(
        "{stack}: the deployment has not been acknowledged by the platform yet; try again in a moment"
    )]
    AbortTooEarly { stack: String },
    /// The engine was started read-only (`--read-only`, or `read_only = true` in
    /// `[release]`): it refuses whatever would change the release.
    #[error(
        "read-only: slipway was started with --read-only (or [release] read_only = true); nothing was sent"
    )]
    ReadOnly,
    #[error("{stack}: the pre-flight gates block: {}", blocking.join("; "))]
    GatesBlocked {
        stack: String,
        /// One line per blocking gate.
        blocking: Vec<String>,
        /// False when a missing approval is among them and config does not let it be
        /// overridden.
        overridable: bool,
    },
    #[error("{env} needs no approval (approval.environments: {})", if required.is_empty() { "none".to_string() } else { required.join(", ") })]
    ApprovalNotRequired { env: String, required: Vec<String> },
}

impl Refusal {
    /// What the user can do about it, for each front end to word in its own gestures.
    pub fn remedy(&self) -> Option<crate::model::Remedy> {
        match self {
            Refusal::NothingToRollBack { id, .. } => {
                Some(crate::model::Remedy::NameRollbackVersion { stack: id.clone() })
            }
            Refusal::UnknownVersion { .. } => Some(crate::model::Remedy::Fetch),
            _ => None,
        }
    }

    /// Whether the user may insist: out of order (`--override-order`), or gates that
    /// block (`--override-gates --reason`).
    pub fn can_override(&self) -> bool {
        match self {
            Refusal::OutOfOrder { .. } => true,
            Refusal::GatesBlocked { overridable, .. } => *overridable,
            _ => false,
        }
    }
}

/// A promotion that passed the checks: what will move where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotePlan {
    pub stack: StackId,
    pub from: Version,
    pub to: Version,
    /// The environment it goes to.
    pub env: Env,
    /// Stacks earlier in the order that are not live yet (non-empty only with an override).
    pub skipped: Vec<StackId>,
}

/// A rollback that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPlan {
    pub stack: StackId,
    pub from: Version,
    pub to: Version,
    /// The environment rolled back.
    pub env: Env,
}

/// All stacks, in promotion order (least busy first).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Board {
    pub stacks: Vec<StackRelease>,
    /// Versions read longer ago than this (seconds) are stale even without an error: the
    /// refresh interval × [`super::freshness::STALE_ROUNDS`]. 0: only errors make them stale.
    #[serde(default)]
    pub stale_after: u64,
}

impl Board {
    pub fn new(stacks: Vec<StackRelease>) -> Self {
        Board {
            stacks,
            stale_after: 0,
        }
    }

    /// How fresh `id`'s versions are at `now` (see [`super::freshness::freshness`]).
    pub fn freshness(
        &self,
        id: &StackId,
        now: DateTime<Utc>,
    ) -> Option<super::freshness::Freshness> {
        self.get(id)
            .map(|s| super::freshness::freshness(s, now, self.stale_after))
    }

    /// `user` started the move in flight on `id` (from the journal).
    pub fn deployer(&mut self, id: &StackId, user: String) {
        if let Some(s) = self.get_mut(id) {
            s.deployer = Some(user);
        }
    }

    /// The deployment in flight on `id` cannot be read since `trouble` (its first failure
    /// is kept while failures go on), or can again (`None`).
    pub fn deploy_trouble(&mut self, id: &StackId, trouble: Option<(DateTime<Utc>, String)>) {
        let Some(s) = self.get_mut(id) else { return };
        s.deploy_trouble = match (s.deploy_trouble.take(), trouble) {
            (_, None) => None,
            (Some(old), Some((_, message))) => Some(super::freshness::ReadError {
                at: old.at,
                message,
            }),
            (None, Some((at, message))) => Some(super::freshness::ReadError { at, message }),
        };
    }

    /// The platform answered a versions read for `id` at `at`.
    pub fn read_ok(&mut self, id: &StackId, at: DateTime<Utc>) {
        if let Some(s) = self.get_mut(id) {
            s.read_at = Some(at);
        }
    }

    /// A versions read for `id` failed at `at`: what is on the board is last known.
    pub fn read_failed(&mut self, id: &StackId, at: DateTime<Utc>, message: impl Into<String>) {
        if let Some(s) = self.get_mut(id) {
            s.read_error = Some(super::freshness::ReadError {
                at,
                message: message.into(),
            });
        }
    }

    pub fn get(&self, id: &StackId) -> Option<&StackRelease> {
        self.stacks.iter().find(|s| &s.id == id)
    }

    /// The stack to promote next in the configured order: the first whose promotion is
    /// waiting (versions known and different, nothing in flight, not live). `None` when
    /// every stack is live or moving.
    pub fn next_up(&self) -> Option<usize> {
        self.stacks.iter().position(|s| {
            s.phase.in_flight().is_none()
                && !s.is_done()
                && s.versions
                    .as_ref()
                    .is_some_and(|v| v.source() != v.target())
        })
    }

    fn get_mut(&mut self, id: &StackId) -> Option<&mut StackRelease> {
        self.stacks.iter_mut().find(|s| &s.id == id)
    }

    fn position(&self, id: &StackId) -> Option<usize> {
        self.stacks.iter().position(|s| &s.id == id)
    }

    /// New versions from the platform. Derived phases follow the versions. Phases that
    /// record something the user must see (failed, aborted, rolled back) stay while the
    /// versions are still the ones that move was about, and clear when they change (a new
    /// candidate on test, or live changed by someone else). A stack that failed its smoke
    /// checks runs test's version, yet it is not live in any sense that matters.
    /// In-flight phases are untouched.
    ///
    /// With more than two environments the pair is the stack's next promotion
    /// ([`StackVersions::next_stage`]), except while a move is in flight or on screen as
    /// failed, aborted or rolled back: then it stays the pair that move was about.
    pub fn apply_versions(&mut self, id: &StackId, versions: StackVersions) {
        let Some(stack) = self.get_mut(id) else {
            return;
        };
        let moving_env = match &stack.phase {
            Phase::Promoting(t)
            | Phase::Verifying(t)
            | Phase::RollingBack(t)
            | Phase::Aborted(t)
            | Phase::RolledBack(t)
            | Phase::Failed { transfer: t, .. } => Some(t.env.clone()),
            _ => None,
        };
        let stage = moving_env
            .and_then(|env| versions.index_of(&env))
            .filter(|&i| i > 0)
            .unwrap_or_else(|| versions.next_stage());
        let versions = versions.at_stage(stage);
        let same = versions.source() == versions.target();
        let derived = if same { Phase::Live } else { Phase::Pending };
        stack.phase = match std::mem::replace(&mut stack.phase, Phase::Unknown) {
            Phase::Unknown | Phase::Pending | Phase::Live => derived,
            sticky @ (Phase::Failed { .. } | Phase::Aborted(_) | Phase::RolledBack(_)) => {
                let t = match &sticky {
                    Phase::Failed { transfer, .. } => transfer,
                    Phase::Aborted(t) | Phase::RolledBack(t) => t,
                    _ => unreachable!("matched above"),
                };
                let still_about_it = (versions.target() == &t.from || versions.target() == &t.to)
                    && (versions.source() == &t.to || t.kind == TransferKind::Rollback);
                if still_about_it { sticky } else { derived }
            }
            moving => moving,
        };
        stack.versions = Some(versions);
    }

    /// Smoke checks run on demand passed: a stack that failed only its checks after a
    /// successful deployment counts as live now.
    pub fn smoke_passed(&mut self, id: &StackId) -> bool {
        let Some(stack) = self.get_mut(id) else {
            return false;
        };
        let deployed = match &stack.phase {
            Phase::Failed { transfer, .. } => stack
                .versions
                .as_ref()
                .is_some_and(|v| v.target() == &transfer.to),
            _ => false,
        };
        if deployed {
            stack.phase = live_or_pending(stack.versions.as_ref());
        }
        deployed
    }

    /// May `id` be promoted now, on its next promotion? `expected` is the version on the
    /// source environment the user confirmed.
    pub fn check_promote(
        &self,
        id: &StackId,
        expected: Option<&Version>,
        override_order: bool,
    ) -> Result<PromotePlan, Refusal> {
        self.check_promote_to(id, expected, override_order, None)
    }

    /// As [`Board::check_promote`], onto `to` (an environment after the first) instead of
    /// the next promotion's target. Only what runs on the environment before `to` can go.
    pub fn check_promote_to(
        &self,
        id: &StackId,
        expected: Option<&Version>,
        override_order: bool,
        to: Option<&Env>,
    ) -> Result<PromotePlan, Refusal> {
        let pos = self
            .position(id)
            .ok_or_else(|| Refusal::UnknownStack(id.to_string()))?;
        let stack = &self.stacks[pos];
        let name = stack.name.clone();
        let versions = stack
            .versions
            .as_ref()
            .ok_or_else(|| Refusal::VersionsUnknown {
                stack: name.clone(),
            })?;
        if let Some(t) = stack.phase.in_flight() {
            return Err(in_flight(&name, t));
        }
        let asked;
        let versions = match to {
            None => versions,
            Some(env) => {
                let stage = versions.index_of(env).ok_or_else(|| Refusal::UnknownEnv {
                    env: env.to_string(),
                    known: versions.envs.iter().map(|e| e.env.to_string()).collect(),
                })?;
                if stage == 0 {
                    return Err(Refusal::FirstEnv {
                        env: env.to_string(),
                    });
                }
                asked = versions.clone().at_stage(stage);
                &asked
            }
        };
        if let Some(expected) = expected
            && expected != versions.source()
        {
            return Err(Refusal::TestMoved {
                stack: name,
                env: versions.source_env().to_string(),
                expected: expected.short().to_string(),
                actual: versions.source().short().to_string(),
            });
        }
        if versions.source() == versions.target() {
            return Err(already_there(&name, versions));
        }
        // The order holds among stacks whose next promotion goes to the same environment:
        // one still on its way to staging does not hold back another's step to live.
        let target = versions.target_env();
        let waiting: Vec<&StackRelease> = self.stacks[..pos]
            .iter()
            .filter(|s| !s.is_done())
            .filter(|s| s.versions.as_ref().is_none_or(|v| v.target_env() == target))
            .collect();
        if !waiting.is_empty() && !override_order {
            return Err(Refusal::OutOfOrder {
                stack: name,
                waiting_on: waiting.iter().map(|s| s.name.clone()).collect(),
            });
        }
        Ok(PromotePlan {
            stack: id.clone(),
            from: versions.target().clone(),
            to: versions.source().clone(),
            env: versions.target_env().clone(),
            skipped: waiting.iter().map(|s| s.id.clone()).collect(),
        })
    }

    /// Marks the stack as promoting at once, before the platform is asked, so that a
    /// second request arriving meanwhile is refused as in flight.
    pub fn begin_promotion(&mut self, plan: &PromotePlan, now: DateTime<Utc>) {
        if let Some(stack) = self.get_mut(&plan.stack) {
            stack.before_request =
                Some(Box::new((stack.phase.clone(), stack.previous_live.clone())));
            stack.previous_live = Some(plan.from.clone());
            stack.last_env = Some(plan.env.clone());
            stack.phase = Phase::Promoting(Transfer {
                from: plan.from.clone(),
                to: plan.to.clone(),
                deployment: None,
                started: now,
                progress: None,
                message: None,
                kind: TransferKind::Promotion,
                env: plan.env.clone(),
            });
        }
    }

    /// May `id` be rolled back (to `to`, or to what live ran before the promotion)?
    pub fn check_rollback(
        &self,
        id: &StackId,
        to: Option<&Version>,
    ) -> Result<RollbackPlan, Refusal> {
        let stack = self
            .get(id)
            .ok_or_else(|| Refusal::UnknownStack(id.to_string()))?;
        let name = stack.name.clone();
        let versions = stack
            .versions
            .as_ref()
            .ok_or_else(|| Refusal::VersionsUnknown {
                stack: name.clone(),
            })?;
        if let Some(t) = stack.phase.in_flight() {
            // Verifying is the moment a rollback is most wanted: smoke tests may hang.
            if !matches!(stack.phase, Phase::Verifying(_)) {
                return Err(in_flight(&name, t));
            }
        }
        let target = to
            .cloned()
            .or_else(|| stack.previous_live.clone())
            .ok_or_else(|| Refusal::NothingToRollBack {
                stack: name.clone(),
                id: id.clone(),
            })?;
        // A rollback undoes the last promotion, wherever it went; live when unknown.
        let env = stack
            .last_env
            .clone()
            .filter(|e| versions.index_of(e).is_some())
            .unwrap_or_else(|| versions.live_env().clone());
        let current = versions.version(&env).unwrap_or(versions.live());
        if &target == current {
            return Err(Refusal::RollbackToCurrent {
                stack: name,
                version: target.short().to_string(),
            });
        }
        Ok(RollbackPlan {
            stack: id.clone(),
            from: current.clone(),
            to: target,
            env,
        })
    }

    pub fn begin_rollback(&mut self, plan: &RollbackPlan, now: DateTime<Utc>) {
        if let Some(stack) = self.get_mut(&plan.stack) {
            stack.before_request =
                Some(Box::new((stack.phase.clone(), stack.previous_live.clone())));
            stack.phase = Phase::RollingBack(Transfer {
                from: plan.from.clone(),
                to: plan.to.clone(),
                deployment: None,
                started: now,
                progress: None,
                message: None,
                kind: TransferKind::Rollback,
                env: plan.env.clone(),
            });
        }
    }

    /// The deployment to abort, if one is in flight and known to the platform.
    pub fn check_abort(&self, id: &StackId) -> Result<DeploymentRef, Refusal> {
        let stack = self
            .get(id)
            .ok_or_else(|| Refusal::UnknownStack(id.to_string()))?;
        match &stack.phase {
            Phase::Promoting(t) | Phase::RollingBack(t) => {
                t.deployment.clone().ok_or(Refusal::AbortTooEarly {
                    stack: stack.name.clone(),
                })
            }
            _ => Err(Refusal::NothingToAbort {
                stack: stack.name.clone(),
            }),
        }
    }

    /// What live ran before a promotion this engine did not see (read from the journal):
    /// kept as the rollback target only while live still runs what that promotion deployed.
    pub fn recover_previous_live(&mut self, id: &StackId, from: &Version, to: &Version) -> bool {
        let Some(stack) = self.get_mut(id) else {
            return false;
        };
        let live_is_to = stack.versions.as_ref().is_some_and(|v| v.target() == to);
        if stack.previous_live.is_none() && live_is_to && from != to {
            stack.previous_live = Some(from.clone());
            return true;
        }
        false
    }

    /// The platform accepted the deployment.
    pub fn deployment_started(&mut self, id: &StackId, deployment: DeploymentRef) {
        if let Some(stack) = self.get_mut(id) {
            stack.before_request = None;
            stack.last_deployment = Some(deployment.clone());
            if let Phase::Promoting(t) | Phase::RollingBack(t) = &mut stack.phase {
                t.deployment = Some(deployment);
            }
        }
    }

    /// The platform refused the request (4xx): nothing was deployed, so the stack keeps
    /// the phase it had; the refusal is a message, not a state.
    pub fn start_refused(&mut self, id: &StackId) {
        if let Some(stack) = self.get_mut(id)
            && matches!(stack.phase, Phase::Promoting(_) | Phase::RollingBack(_))
        {
            match stack.before_request.take() {
                Some(before) => {
                    let (phase, previous_live) = *before;
                    stack.phase = phase;
                    stack.previous_live = previous_live;
                }
                None => stack.phase = live_or_pending(stack.versions.as_ref()),
            }
        }
    }

    /// Starting a deployment failed in a way that leaves its outcome in doubt (a 5xx, a
    /// lost answer): shown as failed until the platform says otherwise.
    pub fn start_failed(&mut self, id: &StackId, reason: String) {
        if let Some(stack) = self.get_mut(id)
            && let Phase::Promoting(t) | Phase::RollingBack(t) = &stack.phase
        {
            stack.phase = Phase::Failed {
                transfer: t.clone(),
                reason,
            };
        }
    }

    /// A deployment this engine did not start is running on live: show it and refuse
    /// to start another on top of it.
    pub fn attach_external(&mut self, id: &StackId, deployment: DeploymentRef, now: DateTime<Utc>) {
        let Some(stack) = self.get_mut(id) else {
            return;
        };
        if stack.phase.in_flight().is_some() {
            return;
        }
        let Some(v) = &stack.versions else { return };
        // The platform says where it goes; the pair's target otherwise.
        let env = v
            .in_flight
            .as_ref()
            .filter(|f| f.id == deployment.id)
            .map_or_else(|| v.target_env().clone(), |f| f.env.clone());
        let from = v.version(&env).unwrap_or(v.target()).clone();
        let to = v
            .index_of(&env)
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| v.envs.get(i))
            .map_or_else(|| v.source().clone(), |e| e.version.clone());
        stack.last_deployment = Some(deployment.clone());
        stack.deployer = None;
        stack.phase = Phase::Promoting(Transfer {
            from,
            to,
            deployment: Some(deployment),
            started: now,
            progress: None,
            message: None,
            kind: TransferKind::External,
            env,
        });
    }

    /// What another slipway journaled about a promotion this board saw land: its smoke
    /// checks failed after it, so the stack is failed here too, not live (two processes
    /// on one release show the same state). Only stacks that look live on the version
    /// that promotion deployed are changed.
    pub fn apply_journaled_smoke(&mut self, entries: &[crate::journal::Entry]) -> bool {
        let me = std::process::id();
        let mut changed = false;
        for stack in &mut self.stacks {
            if !matches!(stack.phase, Phase::Live | Phase::Pending) {
                continue;
            }
            let Some((live, env)) = stack
                .versions
                .as_ref()
                .map(|v| (v.target().clone(), v.target_env().clone()))
            else {
                continue;
            };
            let id = stack.id.as_str();
            let for_stack = |e: &&crate::journal::Entry| e.stack.as_deref() == Some(id);
            // The promotion that put live's version there…
            let Some(landed) = entries.iter().rev().filter(for_stack).find(|e| {
                e.is(crate::journal::Act::DeployFinished)
                    && e.outcome.as_deref() == Some(crate::model::DeployState::Succeeded.as_str())
                    && e.to.as_deref() == Some(live.as_str())
            }) else {
                continue;
            };
            // …and the latest checks since: failed ones run for that promotion by whoever
            // made it (a later passing run on demand counts as live again).
            let Some(smoke) = entries
                .iter()
                .rev()
                .filter(for_stack)
                .find(|e| e.is(crate::journal::Act::Smoke) && e.at >= landed.at)
            else {
                continue;
            };
            let after_promotion = smoke
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("Promotion"));
            if !after_promotion
                || smoke.outcome.as_deref() != Some(crate::journal::outcome::FAILED)
                || smoke.pid == Some(me)
            {
                continue;
            }
            let from = landed
                .from
                .clone()
                .map(Version::new)
                .unwrap_or(live.clone());
            if from != live {
                stack.previous_live.get_or_insert(from.clone());
            }
            stack.phase = Phase::Failed {
                transfer: Transfer {
                    from,
                    to: live,
                    deployment: None,
                    started: landed.at,
                    progress: Some(1.0),
                    message: None,
                    kind: TransferKind::Promotion,
                    env,
                },
                reason: format!(
                    "smoke tests failed (run by {}): {}",
                    smoke.actor(),
                    smoke
                        .detail
                        .as_deref()
                        .unwrap_or_default()
                        .trim_start_matches("Promotion: ")
                ),
            };
            changed = true;
        }
        changed
    }

    /// The deployment in flight was started by a process that died: it is what the
    /// journal says it was (its versions and kind), and this engine carries it through.
    pub fn adopt(&mut self, id: &StackId, from: &Version, to: &Version, kind: TransferKind) {
        if let Some(stack) = self.get_mut(id)
            && let Phase::Promoting(t) = &mut stack.phase
        {
            t.from = from.clone();
            t.to = to.clone();
            t.kind = kind;
            if kind == TransferKind::Rollback {
                stack.phase = Phase::RollingBack(t.clone());
            } else {
                stack.previous_live = Some(from.clone());
            }
        }
    }

    pub fn progress(&mut self, id: &StackId, progress: Option<f32>, message: Option<String>) {
        if let Some(stack) = self.get_mut(id)
            && let Phase::Promoting(t) | Phase::RollingBack(t) = &mut stack.phase
        {
            if progress.is_some() {
                t.progress = progress;
            }
            if message.is_some() {
                t.message = message;
            }
        }
    }

    /// The deployment ended. `verify` says whether smoke tests will run before the stack
    /// counts as live.
    pub fn deployment_finished(
        &mut self,
        id: &StackId,
        state: DeployState,
        message: Option<String>,
        verify: bool,
    ) {
        let Some(stack) = self.get_mut(id) else {
            return;
        };
        let transfer = match &stack.phase {
            Phase::Promoting(t) | Phase::RollingBack(t) => t.clone(),
            _ => return,
        };
        let rollback = transfer.kind == TransferKind::Rollback;
        if state == DeployState::Succeeded
            && let Some(v) = &mut stack.versions
        {
            v.set_target(transfer.to.clone());
        }
        // A deployment followed from elsewhere is as much a promotion to roll back.
        if state == DeployState::Succeeded
            && transfer.kind == TransferKind::External
            && transfer.from != transfer.to
        {
            stack.previous_live = Some(transfer.from.clone());
        }
        stack.phase = match state {
            DeployState::Running => return,
            DeployState::Succeeded if rollback => Phase::RolledBack(transfer),
            DeployState::Succeeded if verify => Phase::Verifying(Transfer {
                progress: Some(1.0),
                ..transfer
            }),
            DeployState::Succeeded => live_or_pending(stack.versions.as_ref()),
            DeployState::Failed => Phase::Failed {
                transfer,
                reason: message.unwrap_or_else(|| "the deployment failed".to_string()),
            },
            DeployState::Aborted => Phase::Aborted(transfer),
        };
    }

    /// Smoke tests after a promotion finished.
    pub fn verification_finished(&mut self, id: &StackId, passed: bool, reason: String) {
        let Some(stack) = self.get_mut(id) else {
            return;
        };
        if let Phase::Verifying(t) = &stack.phase {
            stack.phase = if passed {
                live_or_pending(stack.versions.as_ref())
            } else {
                Phase::Failed {
                    transfer: t.clone(),
                    reason,
                }
            };
        }
    }
}

fn live_or_pending(v: Option<&StackVersions>) -> Phase {
    match v {
        Some(v) if v.source() == v.target() => Phase::Live,
        Some(_) => Phase::Pending,
        None => Phase::Unknown,
    }
}

/// Nothing to promote onto the pair's target: it runs what its source runs. When an
/// earlier environment has something newer, say where it must go first.
fn already_there(name: &str, versions: &StackVersions) -> Refusal {
    let stage = versions.stage;
    let newer = (1..stage)
        .rev()
        .find(|&k| versions.envs[k - 1].version != versions.envs[k].version);
    match newer {
        Some(k) => Refusal::NotProvenYet {
            stack: name.to_string(),
            version: versions.envs[k - 1].version.short().to_string(),
            on: versions.envs[k - 1].env.to_string(),
            next: versions.envs[k].env.to_string(),
            target: versions.target_env().to_string(),
        },
        None => Refusal::AlreadyLive {
            stack: name.to_string(),
            env: versions.target_env().to_string(),
            version: versions.target().short().to_string(),
        },
    }
}

fn in_flight(name: &str, t: &Transfer) -> Refusal {
    Refusal::InFlight {
        stack: name.to_string(),
        what: match t.kind {
            TransferKind::Rollback => "rollback",
            _ => "promotion",
        }
        .to_string(),
        deployment: t.deployment.as_ref().map(|d| d.id.to_string()),
    }
}

#[cfg(test)]
#[path = "release_tests.rs"]
mod tests;
