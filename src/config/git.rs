//! `[platform] kind = "git"`: `GitOps`, where a commit to an environment repository is the
//! deployment (docs/git-platform.md).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `kind = "git"`: the only value this struct accepts for its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GitKind {
    #[default]
    Git,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitPlatformConfig {
    pub kind: GitKind,
    /// The environment repository: a URL (`git@host:org/envs.git`) or a path.
    pub remote: String,
    #[serde(default = "defaults::branch")]
    pub branch: String,
    /// slipway's own working clone; default `$XDG_CACHE_HOME/slipway/gitops/<remote>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<PathBuf>,
    /// The file holding a stack's version in an environment: `envs/{env}/{stack}.yaml`.
    pub path: String,
    /// Where the version is inside the file: a JSON pointer into the YAML or JSON
    /// document (`/image/tag`). Exactly one of `pointer` and `regex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Or a regex whose one capture group is the version (`tag: "?([0-9a-f]+)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The value at `pointer` is an image reference and the version is its tag (after the
    /// last `:`): `registry/www:ce4e1c5`.
    #[serde(default)]
    pub image_tag: bool,
    /// The value at `pointer` is this prefix (with `{stack}`, `{env}`) then the version:
    /// `registry.example.com/{stack}:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_prefix: Option<String>,
    /// The repository's name for an environment where it differs from slipway's
    /// (`{ live = "production" }`), used in `path` and the status command.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_names: BTreeMap<String, String>,
    /// Fetch at most this often while reading versions (a push or a promotion fetches
    /// when it needs to).
    #[serde(default = "defaults::fetch_interval_secs")]
    pub fetch_interval_secs: u64,
    /// Longest a git command talking to the remote (clone, fetch, push) may take.
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Sets `user.name`/`user.email` for slipway's commits (`Release Bot <rb@example.com>`);
    /// by default git's own configuration of the user running slipway applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// How often a rollout's status is polled.
    #[serde(default = "defaults::poll_ms")]
    pub poll_ms: u64,
    /// Where the controller's rollout status comes from; without it a deployment ends at
    /// the push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GitStatusConfig>,
    /// A file of key/values per stack and environment (`envs/{env}/{stack}.env.yaml`),
    /// for the configuration diff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    /// Hold slipway's release lock in the repository (`lock_ref`), so slipways on
    /// different machines exclude each other.
    #[serde(default)]
    pub lock: bool,
    #[serde(default = "defaults::lock_ref")]
    pub lock_ref: String,
    /// Keep approvals in the repository as refs under `refs/slipway/approvals/`, so an
    /// approval given on one machine lets a promotion go on another.
    #[serde(default)]
    pub approvals: bool,
}

impl GitPlatformConfig {
    /// The repository's name for one of slipway's environments.
    pub fn env_name<'a>(&'a self, env: &'a str) -> &'a str {
        self.env_names.get(env).map_or(env, String::as_str)
    }
}

/// The rollout's state, read from a command's JSON answer (`argocd app get … -o json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitStatusConfig {
    /// A command template (docs/git-platform.md): a string split like a shell would (no
    /// shell runs it) or an array; `{stack} {env} {version} {previous} {user} {commit}`
    /// are substituted inside each argument.
    pub command: super::TemplateSpec,
    /// Run `command` as an `sh -c` script (values shell-quoted) instead.
    #[serde(default)]
    pub shell: bool,
    /// JSON pointer to the sync state, and the words that mean "synced".
    pub synced_pointer: String,
    #[serde(default = "defaults::synced_values")]
    pub synced_values: Vec<String>,
    /// JSON pointer to the health, and the words that mean "healthy".
    pub healthy_pointer: String,
    #[serde(default = "defaults::healthy_values")]
    pub healthy_values: Vec<String>,
    /// Health words that end the deployment as failed.
    #[serde(default = "defaults::failed_values")]
    pub failed_values: Vec<String>,
    /// JSON pointer to the revision the controller has synced; when given, synced also
    /// means "at our commit".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_pointer: Option<String>,
    /// JSON pointer to a message worth showing (`/status/operationState/message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_pointer: Option<String>,
    /// Longest one run of the command may take.
    #[serde(default = "defaults::status_timeout_secs")]
    pub timeout_secs: u64,
    /// Longest a rollout may take to be synced and healthy before it counts as failed.
    #[serde(default = "defaults::rollout_timeout_secs")]
    pub rollout_timeout_secs: u64,
}

mod defaults {
    pub fn branch() -> String {
        "main".into()
    }
    pub fn fetch_interval_secs() -> u64 {
        20
    }
    pub fn timeout_secs() -> u64 {
        60
    }
    pub fn poll_ms() -> u64 {
        2000
    }
    pub fn lock_ref() -> String {
        "refs/slipway/lock".into()
    }
    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(std::string::ToString::to_string).collect()
    }
    pub fn synced_values() -> Vec<String> {
        words(&["Synced", "True"])
    }
    pub fn healthy_values() -> Vec<String> {
        words(&["Healthy", "True"])
    }
    pub fn failed_values() -> Vec<String> {
        words(&["Degraded", "Failed"])
    }
    pub fn status_timeout_secs() -> u64 {
        30
    }
    pub fn rollout_timeout_secs() -> u64 {
        900
    }
}
