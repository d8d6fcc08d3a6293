//! Domain types shared by the engine, the platforms, the feeds and both front ends.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stack's id as written in config (lowercase, e.g. `sally`). The CLI matches ids
/// case-insensitively, so ids are normalised to lowercase when they are created or read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StackId(String);

impl<'de> Deserialize<'de> for StackId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(StackId::new)
    }
}

impl StackId {
    pub fn new(id: impl AsRef<str>) -> Self {
        StackId(id.as_ref().trim().to_lowercase())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A named environment from config (`test`, `live`; or `dev`, `staging`, `live`). The
/// configured order is the promotion order and the last one is live, where users are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Env(String);

impl Env {
    pub fn new(name: impl AsRef<str>) -> Self {
        Env(name.as_ref().trim().to_lowercase())
    }
    /// The first environment of the default pair.
    pub fn test() -> Self {
        Env("test".into())
    }
    /// The last environment of the default pair.
    pub fn live() -> Self {
        Env("live".into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deployable version: a commit hash or a tag, as the platform reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(String);

/// An identifier as every front end may show it: control and bidi characters are never
/// part of a version or an id (a version holding U+202E would read reversed), so they
/// are dropped whichever platform sent them.
fn identifier(s: String) -> String {
    if s.chars().any(crate::text::sanitize::removed) {
        s.chars()
            .filter(|c| !crate::text::sanitize::removed(*c))
            .collect()
    } else {
        s
    }
}

impl Version {
    pub fn new(v: impl Into<String>) -> Self {
        Version(identifier(v.into()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Six characters for hashes (as the platform UIs show them); tags stay whole.
    pub fn short(&self) -> &str {
        let is_hash = self.0.len() >= 12 && self.0.chars().all(|c| c.is_ascii_hexdigit());
        if is_hash { &self.0[..7] } else { &self.0 }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deployment's id on the platform (e.g. Cosmos' `5639226`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeploymentId(String);

impl DeploymentId {
    pub fn new(id: impl Into<String>) -> Self {
        DeploymentId(identifier(id.into()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One running copy of a stack (a VM, a pod), where metrics are scraped and logs read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub host: String,
}

/// The lifecycle of a deployment as the platform reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployState {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl DeployState {
    /// The state in one word, as the journal's `deploy_finished` outcome stores it (and
    /// as the serde name): stable, never `{:?}`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeployState::Running => "running",
            DeployState::Succeeded => "succeeded",
            DeployState::Failed => "failed",
            DeployState::Aborted => "aborted",
        }
    }

    pub fn is_finished(&self) -> bool {
        !matches!(self, DeployState::Running)
    }
}

/// A snapshot of a deployment's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployStatus {
    pub state: DeployState,
    /// The platform's own word for the state, shown when it is unusual.
    pub raw_state: String,
    /// 0.0..=1.0 when the platform reports it.
    pub progress: Option<f32>,
    pub message: Option<String>,
}

/// What a platform answers when a deployment starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRef {
    pub id: DeploymentId,
    pub url: Option<String>,
}

/// One environment's version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVersion {
    pub env: Env,
    pub version: Version,
}

/// A deployment the platform reports in flight, and the environment it deploys to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    pub env: Env,
    pub id: DeploymentId,
}

/// A stack's version in every environment, plus a deployment in flight if the platform
/// reports one (started by someone else, or by an earlier run of slipway).
///
/// `stage` picks the pair the release is about: the promotion from the source
/// environment `envs[stage - 1]` to the target `envs[stage]`. Platforms answer with the last pair (into live); the engine moves it to
/// each stack's next promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackVersions {
    pub envs: Vec<EnvVersion>,
    pub in_flight: Option<InFlight>,
    pub stage: usize,
}

impl StackVersions {
    /// Versions in the configured order, the pair set to the last two (into live).
    /// `envs` holds at least two environments (config refuses fewer).
    pub fn new(envs: Vec<EnvVersion>, in_flight: Option<InFlight>) -> Self {
        let stage = envs.len().saturating_sub(1).max(1);
        StackVersions {
            envs,
            in_flight,
            stage,
        }
    }

    /// The default two environments, `test` then `live`.
    pub fn pair(test: Version, live: Version, in_flight: Option<DeploymentId>) -> Self {
        StackVersions::new(
            vec![
                EnvVersion {
                    env: Env::test(),
                    version: test,
                },
                EnvVersion {
                    env: Env::live(),
                    version: live,
                },
            ],
            in_flight.map(|id| InFlight {
                env: Env::live(),
                id,
            }),
        )
    }

    fn at(&self, index: usize) -> &EnvVersion {
        // `stage` is kept within 1..len by every writer; clamp rather than panic if not.
        let last = self.envs.len().saturating_sub(1);
        &self.envs[index.min(last)]
    }

    /// The version the next promotion takes forward (on the earlier environment).
    pub fn source(&self) -> &Version {
        &self.at(self.stage.saturating_sub(1)).version
    }
    /// The version the next promotion replaces (on the later environment).
    pub fn target(&self) -> &Version {
        &self.at(self.stage).version
    }
    pub fn source_env(&self) -> &Env {
        &self.at(self.stage.saturating_sub(1)).env
    }
    pub fn target_env(&self) -> &Env {
        &self.at(self.stage).env
    }
    /// The version on live (the last environment), whatever the pair.
    pub fn live(&self) -> &Version {
        &self.at(usize::MAX).version
    }
    pub fn live_env(&self) -> &Env {
        &self.at(usize::MAX).env
    }
    /// Records a finished deployment onto the target before the platform is read again.
    pub fn set_target(&mut self, version: Version) {
        let last = self.envs.len().saturating_sub(1);
        if let Some(e) = self.envs.get_mut(self.stage.min(last)) {
            e.version = version;
        }
    }
    /// The pair targets live.
    pub fn targets_live(&self) -> bool {
        self.stage + 1 >= self.envs.len()
    }
    pub fn version(&self, env: &Env) -> Option<&Version> {
        self.envs.iter().find(|e| &e.env == env).map(|e| &e.version)
    }
    pub fn index_of(&self, env: &Env) -> Option<usize> {
        self.envs.iter().position(|e| &e.env == env)
    }
    /// A deployment in flight onto an environment promotions go to (any but the first:
    /// new builds arriving on the first are not promotions).
    pub fn promotion_in_flight(&self) -> Option<&DeploymentId> {
        self.in_flight
            .as_ref()
            .filter(|f| self.index_of(&f.env).is_some_and(|i| i > 0))
            .map(|f| &f.id)
    }

    /// A deployment in flight into the pair's later environment.
    pub fn target_deployment(&self) -> Option<&DeploymentId> {
        self.in_flight
            .as_ref()
            .filter(|f| &f.env == self.target_env())
            .map(|f| &f.id)
    }
    /// The next promotion: the pair nearest live whose versions differ, so a version
    /// that has reached staging goes to live before the next one leaves dev. With every
    /// environment alike, the last pair.
    pub fn next_stage(&self) -> usize {
        (1..self.envs.len())
            .rev()
            .find(|&k| self.envs[k - 1].version != self.envs[k].version)
            .unwrap_or(self.envs.len().saturating_sub(1).max(1))
    }
    /// The pair in words, old → new: `live ce4e1c5 → c570624 from test`, or
    /// `live c570624 = test` when there is nothing to promote.
    pub fn step_words(&self) -> String {
        if self.source() == self.target() {
            format!(
                "{} {} = {}",
                self.target_env(),
                self.target().short(),
                self.source_env()
            )
        } else {
            step_words(
                self.target_env(),
                self.target(),
                self.source(),
                Some(self.source_env()),
            )
        }
    }

    /// The same versions with the pair moved to `stage` (kept in range).
    pub fn at_stage(mut self, stage: usize) -> Self {
        self.stage = stage.clamp(1, self.envs.len().saturating_sub(1).max(1));
        self
    }
}

/// The one way every front end says a move between versions: old → new, with the
/// environment names. `live ce4e1c5 → c570624 from test` for a promotion (or a draft of
/// one), `live c570624 → ce4e1c5` for a rollback (`from` is `None`). The dashboard's
/// header and notices, the CLI, the announcements and the report all say it so.
pub fn step_words(env: &Env, old: &Version, new: &Version, from: Option<&Env>) -> String {
    let from = from.map(|e| format!(" from {e}")).unwrap_or_default();
    format!("{env} {} → {}{from}", old.short(), new.short())
}

/// Who holds a release lock (the lock file, or the platform's lock where it has one):
/// the same words on every machine.
#[allow(
    clippy::unsafe_derive_deserialize,
    reason = "the unsafe is libc process probing in one method, unrelated to the fields"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// `promoting Sally`, `rolling back Bruce`.
    pub action: String,
    pub since: chrono::DateTime<chrono::Utc>,
}

/// Another user's approval of one promotion: `stack` onto `env`, from what `env` ran then
/// to `to`. It is about that exact step: a newer version, or `env` changed meanwhile,
/// needs a new approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub stack: StackId,
    pub env: Env,
    pub from: Version,
    pub to: Version,
    /// Who approved ($USER of their slipway).
    pub user: String,
    #[serde(default)]
    pub host: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What a person can do about a refusal or an error, as data: each front end words it
/// in its own gestures (the dashboard's keys and `:` commands, the CLI's flags), so
/// neither names the other's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Remedy {
    /// No earlier version is known to roll back to: name one.
    NameRollbackVersion { stack: StackId },
    /// A version is not in the repository yet: fetch it.
    Fetch,
}
