//! Typed configuration: what a release looks like (stacks in promotion order), where the
//! platform and the feeds are, and how the dashboard looks. Loaded from TOML with
//! `deny_unknown_fields` so that a typo is an error naming the file, line and key.

mod command;
mod gates;
mod git;
pub mod keys;
mod load;
mod problem;
mod template_spec;
mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use command::{CommandKind, CommandPlatformConfig};
pub use gates::{ApprovalConfig, FreezeConfig, GatesConfig, Level};
pub use git::{GitKind, GitPlatformConfig, GitStatusConfig};
pub use load::{ConfigError, ConfigErrors, LoadedConfig, deserialize_str, find_config, read_file};
pub use problem::{Problem, check_placeholders, check_url, unknown_placeholders};
pub use template_spec::{StepSpec, TemplateSpec};
pub use validate::validate;

use crate::model::{Instance, StackId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub release: ReleaseConfig,
    pub platform: PlatformConfig,
    /// In promotion order: least busy first.
    pub stacks: Vec<StackConfig>,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default)]
    pub logs: LogsConfig,
    #[serde(default)]
    pub ui: UiConfig,
    /// Where the code's history is, for the diff between live and test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<RepoConfig>,
    #[serde(default)]
    pub changes: ChangesConfig,
    #[serde(default)]
    pub smoke: SmokeConfig,
    /// Release announcements in chat; absent means slipway announces nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<AnnounceConfig>,
    /// Pre-flight gates: freeze windows.
    #[serde(default)]
    pub gates: GatesConfig,
    /// Environments whose promotions need another user's approval.
    #[serde(default)]
    pub approval: ApprovalConfig,
    /// Keys in place of the dashboard's defaults (`[keys.global] promote = "P"`).
    #[serde(default, skip_serializing_if = "keys::KeysConfig::is_empty")]
    pub keys: keys::KeysConfig,
}

impl Config {
    pub fn stack(&self, id: &StackId) -> Option<&StackConfig> {
        self.stacks.iter().find(|s| &s.id == id)
    }

    /// Resolves a user-typed stack id or display name, case-insensitively.
    pub fn resolve_stack(&self, typed: &str) -> Option<&StackConfig> {
        let wanted = typed.trim().to_lowercase();
        self.stacks
            .iter()
            .find(|s| s.id.as_str() == wanted || s.display_name().to_lowercase() == wanted)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    /// The service being released, shown in the header (e.g. `belfrage`).
    pub name: String,
    /// How often versions are read from the platform while nothing is moving.
    #[serde(default = "defaults::refresh_secs")]
    pub refresh_secs: u64,
    /// The release journal (JSON Lines); default `~/.local/state/slipway/journal/<name>.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<PathBuf>,
    /// The environments a version moves through, in order; the last is live.
    #[serde(default = "defaults::environments")]
    pub environments: Vec<String>,
    /// Watch only: the engine refuses every command that would change the release
    /// (promote, rollback, abort, announce, lock steal) and writes no journal entry.
    /// Here rather than in `[ui]` because every front end obeys it, the CLI too;
    /// `--read-only` on the command line sets it for one run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// `--dry-run`: every action is checked and shown (the exact request, command lines,
    /// or commit and push), and nothing is sent, locked or journaled. A flag for one
    /// run, never a config key: a config that silently did nothing would be a trap.
    #[serde(skip)]
    pub dry_run: bool,
}

impl ReleaseConfig {
    /// The configured environments in promotion order (validation keeps two or more).
    pub fn environments(&self) -> Vec<crate::model::Env> {
        self.environments
            .iter()
            .map(crate::model::Env::new)
            .collect()
    }

    pub fn journal_path(&self) -> PathBuf {
        self.journal
            .clone()
            .unwrap_or_else(|| crate::journal::default_path(&self.name))
    }

    /// Metric history kept across restarts, beside the journal (`<name>.metrics.json`).
    pub fn metrics_history_path(&self) -> PathBuf {
        self.journal_path().with_extension("metrics.json")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackConfig {
    pub id: StackId,
    /// Display name; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Instances to use instead of asking the platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<Instance>,
    /// HTTP checks run after each promotion and on demand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smoke: Vec<SmokeCheck>,
}

/// One smoke test: a request and what its answer must look like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeCheck {
    pub name: String,
    pub url: String,
    #[serde(default = "defaults::get")]
    pub method: String,
    #[serde(default = "defaults::status_ok")]
    pub expect_status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_regex: Option<String>,
    #[serde(default = "defaults::smoke_timeout_ms")]
    pub timeout_ms: u64,
    /// Further attempts after a failure (a deployment may need a moment to settle).
    #[serde(default = "defaults::smoke_retries")]
    pub retries: u32,
    #[serde(default = "defaults::smoke_retry_delay_ms")]
    pub retry_delay_ms: u64,
}

/// What happens around smoke tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeConfig {
    /// Run a stack's checks when its promotion finishes; it is live only if they pass.
    #[serde(default = "defaults::yes")]
    pub after_promotion: bool,
    /// Roll back by itself when the checks after a promotion fail.
    #[serde(default)]
    pub auto_rollback: bool,
}

impl Default for SmokeConfig {
    fn default() -> Self {
        SmokeConfig {
            after_promotion: true,
            auto_rollback: false,
        }
    }
}

impl StackConfig {
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.id.to_string())
    }
}

/// The deployment platform. One kind per config, chosen by `kind`; see
/// `docs/http-platform.md`, `docs/command-platform.md` and `docs/git-platform.md`. Each variant's struct carries its own `kind` key, so the
/// variant is deserialized straight from the document and errors keep their line and key
/// (serde's tagged enums buffer their content and lose both).
// One platform config per process: the variants' sizes do not matter, plain structs
// keep matching on them simple.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PlatformConfig {
    Http(HttpPlatformConfig),
    Command(CommandPlatformConfig),
    Git(GitPlatformConfig),
}

impl<'de> Deserialize<'de> for PlatformConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match load::platform_kind().as_deref() {
            Some("http") | None => HttpPlatformConfig::deserialize(d).map(PlatformConfig::Http),
            Some("command") => CommandPlatformConfig::deserialize(d).map(PlatformConfig::Command),
            Some("git") => GitPlatformConfig::deserialize(d).map(PlatformConfig::Git),
            Some(other) => Err(serde::de::Error::custom(format!(
                "unknown platform kind '{other}' (known: http, command, git)"
            ))),
        }
    }
}

/// `kind = "http"`: the only value this struct accepts for its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpKind {
    #[default]
    Http,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpPlatformConfig {
    #[serde(default)]
    pub kind: HttpKind,
    pub base_url: String,
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
    #[serde(default = "defaults::retries")]
    pub retries: u32,
    #[serde(default = "defaults::retry_backoff_ms")]
    pub retry_backoff_ms: u64,
    /// How often deployment status and output are polled.
    #[serde(default = "defaults::poll_ms")]
    pub poll_ms: u64,
    #[serde(default = "defaults::test_env")]
    pub test_env: String,
    #[serde(default = "defaults::live_env")]
    pub live_env: String,
    /// The platform's own name for an environment, where it differs from slipway's
    /// (`{ staging = "stg" }`). `test_env` and `live_env` name `test` and `live`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_names: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConfig>,
    #[serde(default)]
    pub capabilities: HttpCapabilities,
    #[serde(default)]
    pub endpoints: HttpEndpoints,
    #[serde(default)]
    pub pointers: HttpPointers,
    #[serde(default)]
    pub states: HttpStates,
}

/// A secret by reference: the config names where the token is, never the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default = "defaults::auth_header")]
    pub header: String,
    #[serde(default = "defaults::auth_scheme")]
    pub scheme: String,
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCapabilities {
    #[serde(default = "defaults::yes")]
    pub abort: bool,
    #[serde(default = "defaults::yes")]
    pub config: bool,
    #[serde(default = "defaults::yes")]
    pub instances: bool,
    /// The platform holds a release lock (`lock_*` endpoints), so slipways on different
    /// machines exclude each other, not only those sharing a state directory.
    #[serde(default)]
    pub lock: bool,
    /// The platform keeps approvals (`approvals_*` endpoints), so an approval given on one
    /// machine lets a promotion go on another.
    #[serde(default)]
    pub approvals: bool,
}

impl Default for HttpCapabilities {
    fn default() -> Self {
        HttpCapabilities {
            abort: true,
            config: true,
            instances: true,
            lock: false,
            approvals: false,
        }
    }
}

/// `"METHOD /path/{placeholders}"` per action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpEndpoints {
    pub versions: String,
    pub promote: String,
    pub deployment: String,
    pub output: String,
    pub abort: String,
    pub instances: String,
    pub config: String,
    pub lock_take: String,
    pub lock_release: String,
    pub lock_read: String,
    pub approvals_record: String,
    pub approvals_read: String,
}

impl Default for HttpEndpoints {
    fn default() -> Self {
        HttpEndpoints {
            versions: "GET /stacks/{stack}/environments/{env}".into(),
            promote: "POST /stacks/{stack}/environments/{env}/deployments".into(),
            deployment: "GET /stacks/{stack}/deployments/{id}".into(),
            output: "GET /stacks/{stack}/deployments/{id}/output?offset={offset}".into(),
            abort: "POST /stacks/{stack}/deployments/{id}/abort".into(),
            instances: "GET /stacks/{stack}/environments/{env}/instances".into(),
            config: "GET /stacks/{stack}/environments/{env}/config".into(),
            lock_take: "POST /lock".into(),
            lock_release: "DELETE /lock".into(),
            lock_read: "GET /lock".into(),
            approvals_record: "POST /approvals".into(),
            approvals_read: "GET /approvals?stack={stack}&env={env}".into(),
        }
    }
}

/// JSON pointers (RFC 6901) into the platform's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpPointers {
    pub version: String,
    pub active_deployment: String,
    pub id: String,
    pub url: String,
    pub state: String,
    pub progress: String,
    pub message: String,
    pub lines: String,
    pub next_offset: String,
    pub complete: String,
    pub instances: String,
    pub instance_id: String,
    pub instance_host: String,
    pub error: String,
}

impl Default for HttpPointers {
    fn default() -> Self {
        HttpPointers {
            version: "/version".into(),
            active_deployment: "/deployment/id".into(),
            id: "/id".into(),
            url: "/url".into(),
            state: "/state".into(),
            progress: "/progress".into(),
            message: "/message".into(),
            lines: "/lines".into(),
            next_offset: "/next_offset".into(),
            complete: "/complete".into(),
            instances: String::new(),
            instance_id: "/id".into(),
            instance_host: "/host".into(),
            error: "/error".into(),
        }
    }
}

/// The platform's words for deployment states, matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpStates {
    pub running: Vec<String>,
    pub succeeded: Vec<String>,
    pub failed: Vec<String>,
    pub aborted: Vec<String>,
}

impl Default for HttpStates {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(std::string::ToString::to_string).collect();
        HttpStates {
            running: words(&["queued", "pending", "running", "in_progress", "deploying"]),
            succeeded: words(&[
                "succeeded",
                "success",
                "successful",
                "done",
                "complete",
                "completed",
            ]),
            failed: words(&["failed", "failure", "error", "errored"]),
            aborted: words(&["aborted", "cancelled", "canceled"]),
        }
    }
}

/// Metric sparklines: where samples come from and what they mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    #[serde(default = "defaults::metrics_interval_secs")]
    pub interval_secs: u64,
    /// Samples kept per series (the sparkline's history, and the most kept as baseline).
    #[serde(default = "defaults::metrics_history")]
    pub history: usize,
    /// Per-instance Prometheus endpoint, with `{instance}`, `{host}` and `{stack}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_url: Option<String>,
    /// Per scrape; at most `interval_secs`, so a slow instance never delays the next round.
    #[serde(default = "defaults::metrics_timeout_secs")]
    pub timeout_secs: u64,
    /// The Prometheus server that `promql` series are asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusConfig>,
    #[serde(default)]
    pub anomaly: AnomalyConfig,
    #[serde(default)]
    pub series: Vec<SeriesConfig>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            interval_secs: defaults::metrics_interval_secs(),
            history: defaults::metrics_history(),
            scrape_url: None,
            timeout_secs: defaults::metrics_timeout_secs(),
            prometheus: None,
            anomaly: AnomalyConfig::default(),
            series: Vec::new(),
        }
    }
}

/// A Prometheus server's HTTP API (`/api/v1/query`, `/api/v1/query_range`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// Base URL, e.g. `http://prometheus:9090` (the `/api/v1/...` paths are appended).
    pub url: String,
    /// Per query; at most `metrics.interval_secs`.
    #[serde(default = "defaults::metrics_timeout_secs")]
    pub timeout_secs: u64,
    /// Fill the sparklines from `query_range` on start, so a baseline exists at once.
    #[serde(default = "defaults::yes")]
    pub backfill: bool,
    /// Sent with every query (a bearer token for a hosted Prometheus, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConfig>,
}

/// When a series counts as a SPIKE or a DROP after a stack's promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyConfig {
    /// Samples before the promotion needed before any verdict (fewer: "insufficient data").
    pub min_baseline_samples: usize,
    /// Rounds after the promotion compared against the baseline; at least half must have a value.
    pub recent_window: usize,
    /// Consecutive bad evaluations before a flag is raised (a short blip is not a spike).
    pub consecutive: u32,
    /// One-sided Mann–Whitney U p-value below which the recent window differs.
    pub p_value: f64,
    /// Minimum relative median shift in the bad direction (0.2 = 20%).
    pub min_effect: f64,
    /// Below this traffic (the `divide_by` value, or a histogram's observations per second)
    /// a ratio or latency means nothing: "insufficient data".
    pub min_traffic: f64,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig {
            min_baseline_samples: 12,
            recent_window: 6,
            consecutive: 3,
            p_value: 0.001,
            min_effect: 0.2,
            min_traffic: 0.1,
        }
    }
}

/// One sparkline: a value computed each interval, either from every instance's scrape
/// (`metric`) or from a Prometheus server (`promql`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesConfig {
    /// Short label (`req/s`, `errors`).
    pub name: String,
    /// A metric scraped from each instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Instead of `metric`: a `PromQL` expression giving one number, with `{stack}` replaced
    /// by the stack's id (`sum(rate(http_requests_total{stack="{stack}"}[1m]))`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promql: Option<String>,
    /// Label matchers: exact values, or regexes when written `~regex`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub aggregate: Aggregate,
    /// For `aggregate = "quantile"`: which quantile of a histogram (0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
    /// A second query the first is divided by (error ratio = errors / requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divide_by: Option<ScrapeQuery>,
    /// Multiplier applied last (100 turns a ratio into a percentage).
    #[serde(default = "defaults::one")]
    pub scale: f64,
    #[serde(default)]
    pub unit: String,
    /// Which direction is bad: a rise (`up`, errors, latency) or a fall (`down`, traffic).
    #[serde(default)]
    pub bad: BadDirection,
    /// For a scraped series: the same quantity as a `PromQL` expression (before `scale`),
    /// asked of `[metrics.prometheus]` on start so the baseline exists at once instead of
    /// after minutes of scraping. `{stack}` is replaced by the stack's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_promql: Option<String>,
}

impl SeriesConfig {
    /// What to ask Prometheus for this series' history on start: its `PromQL`, or the
    /// `PromQL` equivalent given for a scraped series.
    pub fn history_promql_for(&self, stack: &StackId) -> Option<String> {
        self.promql
            .as_ref()
            .or(self.baseline_promql.as_ref())
            .map(|q| q.replace("{stack}", stack.as_str()))
    }

    /// The `PromQL` expression for one stack, when this series is asked of Prometheus.
    pub fn promql_for(&self, stack: &StackId) -> Option<String> {
        self.promql
            .as_ref()
            .map(|q| q.replace("{stack}", stack.as_str()))
    }

    /// Whether values of different stacks can be compared as they are (a ratio, an average,
    /// a latency), rather than only against each stack's own past (totals, rates).
    pub fn is_intensive(&self) -> bool {
        self.metric.is_some()
            && (self.divide_by.is_some()
                || matches!(
                    self.aggregate,
                    Aggregate::Avg | Aggregate::Max | Aggregate::Min | Aggregate::Quantile
                ))
    }

    /// The scrape query, when this series is scraped from instances.
    pub fn scrape_query(&self) -> Option<ScrapeQuery> {
        self.metric.as_ref().map(|metric| ScrapeQuery {
            metric: metric.clone(),
            labels: self.labels.clone(),
            aggregate: self.aggregate,
            quantile: self.quantile,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeQuery {
    pub metric: String,
    /// Label matchers: exact values, or regexes when written `~regex`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub aggregate: Aggregate,
    /// For `aggregate = "quantile"`: which quantile of a histogram (0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    #[default]
    Sum,
    Avg,
    Max,
    Min,
    /// Per-second increase of a counter summed across instances (resets handled).
    Rate,
    /// A quantile of a histogram's rate across instances.
    Quantile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BadDirection {
    #[default]
    Up,
    Down,
}

/// Where the Logs pane reads an instance's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<LogSourceConfig>,
    /// Which environment's instances to read.
    #[serde(default = "defaults::live")]
    pub env: crate::model::Env,
    /// Lines kept per source; older lines are dropped and counted.
    #[serde(default = "defaults::buffer_lines")]
    pub buffer_lines: usize,
    /// Lines of history to start with (`tail -n`).
    #[serde(default = "defaults::initial_lines")]
    pub initial_lines: usize,
    /// Characters kept per line; longer lines are cut with a visible marker.
    #[serde(default = "defaults::max_line_chars")]
    pub max_line_chars: usize,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            source: None,
            env: crate::model::Env::live(),
            buffer_lines: defaults::buffer_lines(),
            initial_lines: defaults::initial_lines(),
            max_line_chars: defaults::max_line_chars(),
        }
    }
}

/// How one instance's log is read. Strings may use `{stack}`, `{instance}`, `{host}` and
/// `{env}`; values substituted into commands are shell-quoted when they need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum LogSourceConfig {
    /// A local file followed like `tail -F`; `path` may use `{stack}` and `{instance}`.
    File { path: String },
    /// `ssh [options] HOST tail -n N -F PATH` with the system OpenSSH client, so the user's
    /// ~/.ssh/config, agent, jump hosts and `known_hosts` apply. Never prompts (`BatchMode`).
    Ssh {
        /// Host (or `ssh_config` alias, or `user@host`); defaults to the instance's host.
        #[serde(default = "defaults::ssh_host")]
        host: String,
        /// The log file on the remote host.
        path: String,
        /// Extra ssh arguments, e.g. `["-J", "bastion", "-p", "2222"]`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        #[serde(default = "defaults::ssh_connect_timeout_secs")]
        connect_timeout_secs: u64,
    },
    /// Any command's stdout and stderr, run with `sh -c` (e.g. `kubectl logs -f {instance}`).
    Command {
        command: String,
        /// Run it again (with back-off) when it exits, for commands that follow a stream.
        #[serde(default)]
        restart: bool,
    },
    /// A streamed HTTP response, split into lines; reconnects when it ends.
    Http {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth: Option<AuthConfig>,
        /// Connecting and waiting for the response headers.
        #[serde(default = "defaults::timeout_secs")]
        timeout_secs: u64,
        /// Reconnect when the stream has been silent this long.
        #[serde(default = "defaults::http_idle_timeout_secs")]
        idle_timeout_secs: u64,
    },
}

/// The git repository the versions are commits of: a local clone (`path`), or a URL
/// cloned into the cache directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Longest a clone or fetch may take.
    #[serde(default = "defaults::fetch_timeout_secs")]
    pub fetch_timeout_secs: u64,
}

/// How changes are judged: risk flags by path glob, and which configuration keys are
/// secret (their values are masked in the config diff).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesConfig {
    /// Risk name → globs; a commit touching a matching path gets the flag.
    #[serde(default = "default_risk_rules")]
    pub risk: BTreeMap<String, Vec<String>>,
    /// Globs over configuration keys, matched case-insensitively.
    #[serde(default = "defaults::secret_patterns")]
    pub secret_patterns: Vec<String>,
}

impl Default for ChangesConfig {
    fn default() -> Self {
        ChangesConfig {
            risk: default_risk_rules(),
            secret_patterns: defaults::secret_patterns(),
        }
    }
}

/// The defaults when config names none: what makes a release risky in most codebases.
pub fn default_risk_rules() -> BTreeMap<String, Vec<String>> {
    let r = |v: &[&str]| {
        v.iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>()
    };
    BTreeMap::from([
        (
            "migration".to_string(),
            r(&[
                "**/migrations/**",
                "**/migrate/**",
                "**/*.sql",
                "**/schema.rb",
                "**/structure.sql",
            ]),
        ),
        (
            "config".to_string(),
            r(&[
                "config/**",
                "**/config/**",
                "**/*.env",
                "**/.env*",
                "**/settings*.py",
                "**/application*.yml",
                "**/application*.properties",
            ]),
        ),
        (
            "dependencies".to_string(),
            r(&[
                "**/Cargo.lock",
                "**/mix.lock",
                "**/package-lock.json",
                "**/yarn.lock",
                "**/pnpm-lock.yaml",
                "**/go.sum",
                "**/Gemfile.lock",
                "**/poetry.lock",
                "**/requirements*.txt",
                "**/composer.lock",
            ]),
        ),
    ])
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// A built-in theme (`dark`, `light`, `high-contrast`, `colorblind`) or a path to a TOML theme.
    #[serde(default = "defaults::theme")]
    pub theme: String,
    #[serde(default = "defaults::yes")]
    pub mouse: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: defaults::theme(),
            mouse: true,
        }
    }
}

/// `[announce]`: where release announcements go and what they say. One flat struct with
/// a `kind` key rather than a tagged enum, so every error inside keeps its line and key;
/// `validate` checks that the keys used fit the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnounceConfig {
    pub kind: AnnounceKind,
    /// Slack: channels to post to (`#belfrage` or an id such as `C0123`), each getting the
    /// announcement and its own thread of deploy updates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Slack: where the bot token (`xoxb-…`) is; never the token itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// Slack: the Web API root (default `https://slack.com/api`); changed only to point
    /// tests or a proxy at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Webhook: the URL to POST to, when it is not a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Webhook: where the URL is, when the URL itself is the secret (incoming webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_file: Option<PathBuf>,
    /// Webhook: an auth header built from a secret reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConfig>,
    /// Per request, including reading the answer.
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Extra attempts after a rate limit (429) or a refused connection, the two failures
    /// that prove nothing was posted.
    #[serde(default = "defaults::announce_retries")]
    pub retries: u32,
    /// How text is written: `mrkdwn` (Slack's markup, with `<`, `>`, `&` escaped in
    /// values) or `plain`. Defaults to `mrkdwn` for Slack and `plain` for webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<MessageFormat>,
    /// Templates (minijinja); each has a built-in default (see `notify::template`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_started_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_finished_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_template: Option<String>,
}

impl AnnounceConfig {
    pub fn base_url(&self) -> &str {
        self.base_url.as_deref().unwrap_or(SLACK_BASE_URL)
    }

    /// The format in force: the configured one, else the kind's natural one.
    pub fn format(&self) -> MessageFormat {
        self.format.unwrap_or(match self.kind {
            AnnounceKind::Slack => MessageFormat::Mrkdwn,
            AnnounceKind::Webhook => MessageFormat::Plain,
        })
    }
}

pub const SLACK_BASE_URL: &str = "https://slack.com/api";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnounceKind {
    Slack,
    Webhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    Mrkdwn,
    Plain,
}

mod defaults {
    pub fn refresh_secs() -> u64 {
        15
    }
    pub fn timeout_secs() -> u64 {
        10
    }
    pub fn retries() -> u32 {
        3
    }
    pub fn retry_backoff_ms() -> u64 {
        250
    }
    pub fn poll_ms() -> u64 {
        500
    }
    pub fn environments() -> Vec<String> {
        vec!["test".into(), "live".into()]
    }
    pub fn test_env() -> String {
        "test".into()
    }
    pub fn live_env() -> String {
        "live".into()
    }
    pub fn auth_header() -> String {
        "Authorization".into()
    }
    pub fn auth_scheme() -> String {
        "Bearer".into()
    }
    pub fn yes() -> bool {
        true
    }
    pub fn one() -> f64 {
        1.0
    }
    pub fn metrics_interval_secs() -> u64 {
        5
    }
    pub fn metrics_history() -> usize {
        240
    }
    pub fn metrics_timeout_secs() -> u64 {
        4
    }
    pub fn buffer_lines() -> usize {
        100_000
    }
    pub fn initial_lines() -> usize {
        200
    }
    pub fn max_line_chars() -> usize {
        4000
    }
    pub fn ssh_host() -> String {
        "{host}".into()
    }
    pub fn ssh_connect_timeout_secs() -> u64 {
        10
    }
    pub fn http_idle_timeout_secs() -> u64 {
        300
    }
    pub fn live() -> crate::model::Env {
        crate::model::Env::live()
    }
    pub fn theme() -> String {
        "dark".into()
    }
    pub fn get() -> String {
        "GET".into()
    }
    pub fn status_ok() -> u16 {
        200
    }
    pub fn smoke_timeout_ms() -> u64 {
        5000
    }
    pub fn smoke_retries() -> u32 {
        2
    }
    pub fn smoke_retry_delay_ms() -> u64 {
        1000
    }
    pub fn fetch_timeout_secs() -> u64 {
        120
    }
    pub fn secret_patterns() -> Vec<String> {
        [
            "*TOKEN*",
            "*SECRET*",
            "*PASSWORD*",
            "*PASSWD*",
            "*KEY*",
            "*CREDENTIAL*",
            "*PRIVATE*",
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect()
    }
    pub fn announce_retries() -> u32 {
        2
    }
}
