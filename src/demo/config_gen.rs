//! The slipway configuration that points at a running demo: built as a typed `Config`
//! for `slipway demo` itself, and written as commented TOML for `--write-config`, so a
//! reader can see (and copy) what a real four-stack setup looks like.

use std::path::Path;

use crate::config::{Config, ConfigErrors};

use super::topology::STACKS;

pub struct Endpoints<'a> {
    /// The platform base URL (`…/api`).
    pub api_url: &'a str,
    /// Where metrics and smoke endpoints live.
    pub base_url: &'a str,
    pub log_dir: &'a Path,
    /// The generated git repository the versions are commits of.
    pub repo: &'a Path,
    /// The file holding the simulated chat's bot token.
    pub chat_token: &'a Path,
    /// The environments in promotion order.
    pub environments: &'a [&'a str],
}

fn scrape_url(base: &str) -> String {
    format!("{base}/instances/{{instance}}/metrics")
}

fn log_path(dir: &Path) -> String {
    format!("{}/{{instance}}.log", dir.display())
}

/// The configuration as typed data: parsed from [`toml_text`], so the file a user is
/// given and the config the demo runs on cannot drift apart.
pub fn build(e: &Endpoints<'_>) -> Result<Config, ConfigErrors> {
    crate::validation::parse_str(&toml_text(e), Path::new("demo.toml"))
}

/// A TOML basic string, escaped (paths may hold quotes or backslashes).
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The same configuration as [`build`], as commented TOML that parses back to it: one
/// section after another, each with the comments that explain it.
pub fn toml_text(e: &Endpoints<'_>) -> String {
    [
        HEADER.to_string(),
        release_section(e),
        platform_section(e),
        stacks_section(e),
        metrics_section(e),
        SMOKE_SECTION.to_string(),
        announce_section(e),
        repo_section(e),
        GATES_COMMENT.to_string(),
        logs_section(e),
    ]
    .concat()
}

/// What the file is and how to use it.
const HEADER: &str = "# slipway configuration for the embedded demo environment.
#
# Written by `slipway demo --serve --write-config PATH`. It points at the simulated
# platform that command is serving on loopback, so it only works while that command runs:
#     slipway --config PATH
# Everything below is what a real setup needs too; only the URLs and paths change.

";

fn release_section(e: &Endpoints<'_>) -> String {
    let environments = toml::Value::Array(
        e.environments
            .iter()
            .map(|n| toml::Value::String(n.to_string()))
            .collect(),
    );
    let journal = q(&e
        .log_dir
        .with_file_name("journal.jsonl")
        .display()
        .to_string());
    format!(
        r#"[release]
# The service being released, shown in the header.
name = "belfrage"
# How often versions are re-read while nothing is moving.
refresh_secs = 5
# The environments a version goes through, in order; the last is live.
environments = {environments}
# Who did what, when, with which versions. The demo keeps its own, beside its logs, so it
# never mixes with a real release's record (default: ~/.local/state/slipway/journal/).
journal = {journal}

"#
    )
}

fn platform_section(e: &Endpoints<'_>) -> String {
    format!(
        r#"# The deployment platform: a REST API with the default contract of
# docs/http-platform.md (the demo serves exactly that contract).
[platform]
kind = "http"
base_url = {api}
timeout_secs = 10        # every request has a timeout
retries = 3              # reads only; promote, rollback and abort are never retried
retry_backoff_ms = 250
poll_ms = 300            # how often a running deployment's status and output are read
# The platform holds a release lock too (POST/DELETE/GET /lock), so slipways on different
# machines exclude each other, not only those sharing a state directory.
# It keeps approvals too (POST/GET /approvals): one given on any machine counts on all.
capabilities = {{ lock = true, approvals = true }}
# No [platform.auth] table: the demo needs no token. A real platform would name where
# the token is, never the token itself:
#   [platform.auth]
#   token_env = "DEPLOY_TOKEN"

"#,
        api = q(e.api_url)
    )
}

/// Every demo stack in promotion order, each with its smoke checks.
fn stacks_section(e: &Endpoints<'_>) -> String {
    let mut text = String::from(
        "# Stacks in promotion order, least busy first (WWW, Cedric, Sally, Bruce).
# Instances are asked from the platform, so none are listed here. Each stack's smoke
# checks run when its promotion finishes (it counts as live only if they pass) and on
# demand with `s`.
",
    );
    for (i, s) in STACKS.iter().enumerate() {
        text.push_str(&format!(
            "[[stacks]]\nid = {}\nname = {}   # {} live instances, about {} requests/s each{}\n\n",
            q(s.id),
            q(s.name),
            s.live_instances,
            s.rps,
            if i == 0 { "; promoted first" } else { "" }
        ));
        let site = format!("{}/sites/{}", e.base_url, s.id);
        text.push_str(&format!(
            "[[stacks.smoke]]\nname = \"health\"\nurl = {}\nbody_contains = \"ok\"\nretries = 1\nretry_delay_ms = 500\n\n\
             [[stacks.smoke]]\nname = \"front page\"\nurl = {}\nbody_regex = \"<title>[^<]+</title>\"\nretries = 1\nretry_delay_ms = 500\n\n\
             [[stacks.smoke]]\nname = \"article\"\nurl = {}\nretries = 1\nretry_delay_ms = 500\n\n",
            q(&format!("{site}/healthz")),
            q(&format!("{site}/")),
            q(&format!("{site}/articles/1")),
        ));
    }
    text
}

/// Where the metrics are scraped, and the three series the demo's bad version moves.
fn metrics_section(e: &Endpoints<'_>) -> String {
    format!(
        r#"# Sparklines per stack, scraped from every live instance's Prometheus endpoint.
[metrics]
interval_secs = 2
history = 240            # samples kept per series
timeout_secs = 2         # every scrape has a timeout, at most the interval
# {{instance}}, {{host}} and {{stack}} are filled in per instance.
scrape_url = {scrape}

# Requests per second across the stack's instances. A fall is bad (traffic lost).
[[metrics.series]]
name = "req/s"
metric = "http_requests_total"
aggregate = "rate"
unit = "/s"
bad = "down"

# Share of requests answered with a 5xx, in percent. A rise is bad.
[[metrics.series]]
name = "errors"
metric = "http_requests_total"
labels = {{ status = "~5.." }}   # "~" makes the value a regex
aggregate = "rate"
divide_by = {{ metric = "http_requests_total", aggregate = "rate" }}
scale = 100.0
unit = "%"
bad = "up"

# 99th percentile latency from the request duration histogram, in milliseconds.
[[metrics.series]]
name = "p99"
metric = "http_request_duration_seconds"
aggregate = "quantile"
quantile = 0.99
scale = 1000.0
unit = "ms"
bad = "up"

"#,
        scrape = q(&scrape_url(e.base_url))
    )
}

const SMOKE_SECTION: &str =
    "# Smoke checks that fail after a promotion leave the stack failed; set auto_rollback to
# have slipway roll it back by itself.
[smoke]
after_promotion = true
auto_rollback = false

";

/// Announcements go to the demo's stand-in for Slack, its token read from a file.
fn announce_section(e: &Endpoints<'_>) -> String {
    format!(
        r##"# Release announcements: `a` in the dashboard (or `slipway announce`) drafts one from
# the diff; deploy starts and results go into its thread. The demo serves a stand-in
# for Slack's chat.postMessage (see what it received at {base}/chat/messages).
[announce]
kind = "slack"
base_url = {chat_api}
channels = ["#belfrage", "#help-belfrage"]
token_file = {chat_token}    # the token is read from a file, never written here

"##,
        base = e.base_url,
        chat_api = q(&format!("{}/chat/api", e.base_url)),
        chat_token = q(&e.chat_token.display().to_string()),
    )
}

fn repo_section(e: &Endpoints<'_>) -> String {
    format!(
        "# The code's history, for the commits between live and test. A real setup points at a
# local clone (path) or a URL slipway clones into its cache (url).
[repo]
path = {repo}

",
        repo = q(&e.repo.display().to_string())
    )
}

/// The gates need no settings; the comment shows the ones a real release would add.
const GATES_COMMENT: &str = r#"# Pre-flight gates (`g` in the dashboard, `slipway check`) are on without settings: what
# ships, drift, deployments in flight, health, the lock. Freeze windows are read in a
# named time zone, so Friday 15:00 stays 15:00 in London across the clock changes:
#   [gates]
#   time_zone = "Europe/London"
#   [[gates.freeze]]
#   name = "weekend"
#   from = "Fri 15:00"
#   to = "Mon 07:00"
# Promotions onto an environment listed here need another user's approval of the exact
# step first (`slipway approve STACK`, or A in the dashboard):
#   [approval]
#   environments = ["live"]

"#;

fn logs_section(e: &Endpoints<'_>) -> String {
    format!(
        r#"# Application logs of the live instances. The demo writes them to local files; on real
# machines this would be `kind = "ssh"` with the log path on the instance.
[logs]
env = "live"
buffer_lines = 20000     # lines kept per instance; older ones are dropped and counted
source = {{ kind = "file", path = {logs} }}
"#,
        logs = q(&log_path(e.log_dir))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_parses_back_to_the_same_config() {
        let dir = Path::new("/tmp/demo \"quoted\" dir\\x");
        let e = Endpoints {
            api_url: "http://127.0.0.1:4567/api",
            base_url: "http://127.0.0.1:4567",
            log_dir: dir,
            repo: dir,
            chat_token: dir,
            environments: &["test", "live"],
        };
        let text = toml_text(&e);
        let parsed = build(&e).unwrap_or_else(|err| panic!("{err}\n{text}"));
        assert_eq!(parsed.stacks.len(), 4);
        assert_eq!(parsed.metrics.series.len(), 3);
        assert_eq!(parsed.repo.and_then(|r| r.path), Some(dir.to_path_buf()));
        assert!(
            text.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
                > 15
        );
    }
}
