//! Checks of the sections `config` owns itself (`[release]`, `[[stacks]]`, `[repo]`) that
//! serde cannot express. Every other section is checked by the module it configures
//! (`platform`, `feeds`, `notify`, `engine::gates`, `vcs`), and `crate::validation`
//! collects them all: `config` imports none of them.

use std::collections::HashSet;

use super::{Config, Problem, RepoConfig, StackConfig};

/// Every problem in the sections `config` owns, keys from the document's root.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    if config.release.name.trim().is_empty() {
        out.push(Problem::new("release.name", "must not be empty"));
    }
    out.extend(validate_environments(&config.release.environments));
    if config.release.refresh_secs == 0 {
        out.push(Problem::new("release.refresh_secs", "must be at least 1"));
    }
    out.extend(validate_stacks(&config.stacks));
    if let Some(repo) = &config.repo {
        out.extend(validate_repo(repo));
    }
    out
}

fn validate_stacks(stacks: &[StackConfig]) -> Vec<Problem> {
    if stacks.is_empty() {
        return vec![Problem::new(
            "stacks",
            "at least one [[stacks]] entry is needed",
        )];
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, stack) in stacks.iter().enumerate() {
        let id = stack.id.as_str();
        let key = format!("stacks[{i}].id");
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            out.push(Problem::new(
                key,
                "must be non-empty and use only letters, digits, '-', '_' and '.'",
            ));
        } else if !seen.insert(id.to_string()) {
            out.push(Problem::new(key, format!("duplicate stack id '{id}'")));
        }
    }
    out
}

fn validate_repo(repo: &RepoConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    match (&repo.path, &repo.url) {
        (Some(_), Some(_)) => out.push(Problem::new("repo", "give either path or url, not both")),
        (None, None) => out.push(Problem::new(
            "repo",
            "give path = \"/a/local/clone\" or url = \"git@host:org/repo.git\"",
        )),
        _ => {}
    }
    if repo.fetch_timeout_secs == 0 {
        out.push(Problem::new(
            "repo.fetch_timeout_secs",
            "must be at least 1",
        ));
    }
    out
}

/// Two or more distinct, non-empty names: a promotion needs somewhere to come from.
fn validate_environments(envs: &[String]) -> Option<Problem> {
    let key = "release.environments";
    if envs.len() < 2 {
        return Some(Problem::new(
            key,
            "needs two or more environments in promotion order, e.g. [\"test\", \"live\"]",
        ));
    }
    let mut seen = HashSet::new();
    for name in envs {
        let norm = name.trim().to_lowercase();
        if norm.is_empty() {
            return Some(Problem::new(key, "an environment name is empty"));
        }
        if !norm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Some(Problem::new(
                key,
                format!("'{name}' should be letters, digits, '-' or '_'"),
            ));
        }
        if !seen.insert(norm) {
            return Some(Problem::new(key, format!("'{name}' is listed twice")));
        }
    }
    None
}
