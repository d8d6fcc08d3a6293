//! `[platform] kind = "command"`: every platform operation is a command template (see
//! `docs/command-platform.md` and `platform::template`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::HttpStates;
use super::TemplateSpec;

/// `kind = "command"`: the only value this struct accepts for its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandKind {
    #[default]
    Command,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandPlatformConfig {
    #[serde(default)]
    pub kind: CommandKind,
    /// Run string templates with `sh -c`, values shell-quoted. Off: no shell at all.
    #[serde(default)]
    pub shell: bool,
    /// Longest a read command (`versions`, `instances`, `status`, `config`, `abort`) may run.
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Longest a deployment may take, from `promote`/`rollback` starting to its end
    /// (including the time `status` reports it running after the command exits).
    #[serde(default = "defaults::deploy_timeout_secs")]
    pub deploy_timeout_secs: u64,
    /// After SIGINT, how long an aborted (or timed-out) command has before SIGKILL.
    #[serde(default = "defaults::abort_grace_secs")]
    pub abort_grace_secs: u64,
    /// How often a running deployment's status and output are read.
    #[serde(default = "defaults::poll_ms")]
    pub poll_ms: u64,
    /// Lines of deploy output kept per deployment; older lines are dropped and counted.
    #[serde(default = "defaults::output_lines")]
    pub output_lines: usize,
    /// The platform's own name for an environment, where it differs from slipway's
    /// (`{ live = "production" }`): what `{env}` becomes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_names: BTreeMap<String, String>,

    /// Prints the version running in `{env}`: the whole output, or JSON read with
    /// `version_pointer`, then cut with `version_regex`.
    pub versions: TemplateSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_pointer: Option<String>,
    /// A regex applied to the version; its first group (or the whole match) is the
    /// version (`':([^:@/]+)$'` takes the tag of an image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_regex: Option<String>,

    /// Prints the instances of `{stack}` in `{env}`: one per line (`id [host]`), or JSON
    /// read with `instance_id_pointer` (and `instances_pointer`, `instance_host_pointer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<TemplateSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances_pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id_pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_host_pointer: Option<String>,

    /// Deploys `{version}` of `{stack}` to `{env}`; its output is the deploy output and
    /// its exit code the result. A list of commands runs in order, stopping at a failure.
    pub promote: TemplateSpec,
    /// Like `promote`, to go back to `{version}` (the version before, unless one is chosen).
    pub rollback: TemplateSpec,
    /// Run after the running command was interrupted (SIGINT, then SIGKILL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort: Option<TemplateSpec>,
    /// For rollouts that outlive their command, and deployments started before a restart:
    /// prints the state (a word, then an optional message), or JSON read with the pointers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TemplateSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_pointer: Option<String>,
    /// The words `status` may print for each state, matched case-insensitively.
    #[serde(default)]
    pub states: HttpStates,

    /// Prints the configuration of `{stack}` in `{env}`: `KEY=VALUE` lines or a JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<TemplateSpec>,
}

mod defaults {
    pub fn timeout_secs() -> u64 {
        30
    }
    pub fn deploy_timeout_secs() -> u64 {
        1800
    }
    pub fn abort_grace_secs() -> u64 {
        10
    }
    pub fn poll_ms() -> u64 {
        500
    }
    pub fn output_lines() -> usize {
        20_000
    }
}
