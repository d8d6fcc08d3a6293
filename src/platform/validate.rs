//! The `[platform]` section's checks at load, one function per kind (called by
//! `crate::validation`). Keys are from the document's root (`platform.poll_ms`).

use crate::config::{
    CommandPlatformConfig, GitPlatformConfig, HttpPlatformConfig, PlatformConfig, Problem,
    check_url,
};

/// Every problem in `[platform]`; `environments` are `release.environments`.
pub fn validate(platform: &PlatformConfig, environments: &[String]) -> Vec<Problem> {
    let problems = match platform {
        PlatformConfig::Http(http) => validate_http(http),
        PlatformConfig::Command(cmd) => validate_command(cmd, environments),
        PlatformConfig::Git(git) => validate_git(git),
    };
    problems.into_iter().map(|p| p.under("platform")).collect()
}

/// `kind = "http"`: the base URL, numbers, every endpoint's method, path and
/// placeholders, and where the token is.
pub fn validate_http(http: &HttpPlatformConfig) -> Vec<Problem> {
    let mut out = check_url("base_url", &http.base_url, &[]);
    if http.timeout_secs == 0 {
        out.push(Problem::new("timeout_secs", "must be at least 1"));
    }
    if http.poll_ms < 50 {
        out.push(Problem::new("poll_ms", "must be at least 50"));
    }
    let e = &http.endpoints;
    let endpoints = [
        ("versions", &e.versions),
        ("promote", &e.promote),
        ("deployment", &e.deployment),
        ("output", &e.output),
        ("abort", &e.abort),
        ("instances", &e.instances),
        ("config", &e.config),
        ("lock_take", &e.lock_take),
        ("lock_release", &e.lock_release),
        ("lock_read", &e.lock_read),
        ("approvals_record", &e.approvals_record),
        ("approvals_read", &e.approvals_read),
    ];
    for (name, value) in endpoints {
        if let Err(m) = super::http::Endpoint::parse(value) {
            out.push(Problem::new(format!("endpoints.{name}"), m));
        }
    }
    if let Some(auth) = &http.auth
        && auth.token_env.is_none()
        && auth.token_file.is_none()
    {
        out.push(Problem::new(
            "auth",
            "name where the token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
        ));
    }
    out
}

/// `kind = "command"`: numbers, templates and their placeholders, and environment names.
pub fn validate_command(cmd: &CommandPlatformConfig, environments: &[String]) -> Vec<Problem> {
    use super::command::templates::{check_numbers, problems};
    let mut out: Vec<Problem> = check_numbers(cmd)
        .into_iter()
        .chain(problems(cmd))
        .map(|(key, message)| Problem::new(key, message))
        .collect();
    for name in cmd.env_names.keys() {
        if !environments.contains(name) {
            out.push(Problem::new(
                format!("env_names.{name}"),
                format!(
                    "is not one of release.environments ({})",
                    environments.join(", ")
                ),
            ));
        }
    }
    out
}

/// `kind = "git"`: see `platform::git::validate`.
pub fn validate_git(git: &GitPlatformConfig) -> Vec<Problem> {
    super::git::validate(git)
        .into_iter()
        .map(|(key, message)| Problem::new(key, message))
        .collect()
}
