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

/// The two environments a release moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Env {
    Test,
    Live,
}

impl Env {
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Test => "test",
            Env::Live => "live",
        }
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

/// A stack's versions in both environments, plus a deployment in flight if the platform
/// reports one (started by someone else, or by an earlier run of slipway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackVersions {
    pub test: Version,
    pub live: Version,
    pub live_deployment: Option<DeploymentId>,
}

/// Who holds a release lock (the lock file, or the platform's lock where it has one):
/// the same words on every machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// `promoting Sally`, `rolling back Bruce`.
    pub action: String,
    pub since: chrono::DateTime<chrono::Utc>,
}
