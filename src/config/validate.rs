//! Checks that serde cannot express: unique ids, sane numbers, templates that parse.
//! Errors are `(key path, message)`; the loader turns the key into a line number.

use std::collections::HashSet;

use super::{Aggregate, Config, PlatformConfig};

pub(super) fn validate(config: &Config, _text: &str) -> Result<(), (String, String)> {
    let err = |key: &str, msg: &str| Err((key.to_string(), msg.to_string()));
    if config.release.name.trim().is_empty() {
        return err("release.name", "must not be empty");
    }
    if config.release.refresh_secs == 0 {
        return err("release.refresh_secs", "must be at least 1");
    }
    if config.stacks.is_empty() {
        return err("stacks", "at least one [[stacks]] entry is needed");
    }
    let mut seen = HashSet::new();
    for (i, stack) in config.stacks.iter().enumerate() {
        let id = stack.id.as_str();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return err(
                &format!("stacks[{i}].id"),
                "must be non-empty and use only letters, digits, '-', '_' and '.'",
            );
        }
        if !seen.insert(id.to_string()) {
            return err(
                &format!("stacks[{i}].id"),
                &format!("duplicate stack id '{id}'"),
            );
        }
    }
    match &config.platform {
        PlatformConfig::Http(http) => {
            if !(http.base_url.starts_with("http://") || http.base_url.starts_with("https://")) {
                return err("platform.base_url", "must start with http:// or https://");
            }
            if http.timeout_secs == 0 {
                return err("platform.timeout_secs", "must be at least 1");
            }
            if http.poll_ms < 50 {
                return err("platform.poll_ms", "must be at least 50");
            }
            let endpoints = [
                ("versions", &http.endpoints.versions),
                ("promote", &http.endpoints.promote),
                ("deployment", &http.endpoints.deployment),
                ("output", &http.endpoints.output),
                ("abort", &http.endpoints.abort),
                ("instances", &http.endpoints.instances),
                ("config", &http.endpoints.config),
            ];
            for (name, value) in endpoints {
                if let Err(m) = crate::platform::http::Endpoint::parse(value) {
                    return err(&format!("platform.endpoints.{name}"), &m);
                }
            }
            if let Some(auth) = &http.auth
                && auth.token_env.is_none()
                && auth.token_file.is_none()
            {
                return err(
                    "platform.auth",
                    "name where the token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
                );
            }
        }
    }
    if config.metrics.interval_secs == 0 {
        return err("metrics.interval_secs", "must be at least 1");
    }
    if config.metrics.history < 8 {
        return err("metrics.history", "must be at least 8 samples");
    }
    for (i, s) in config.metrics.series.iter().enumerate() {
        let key = |k: &str| format!("metrics.series[{i}].{k}");
        if s.metric.is_none() {
            return err(&key("metric"), "name the metric to scrape");
        }
        if s.aggregate == Aggregate::Quantile
            && !matches!(s.quantile, Some(q) if (0.0..=1.0).contains(&q))
        {
            return err(
                &key("quantile"),
                "aggregate = \"quantile\" needs quantile between 0 and 1",
            );
        }
        for (label, value) in &s.labels {
            if let Some(re) = value.strip_prefix('~')
                && let Err(e) = regex::Regex::new(re)
            {
                return err(&key(&format!("labels.{label}")), &format!("bad regex: {e}"));
            }
        }
    }
    if !config.metrics.series.is_empty() && config.metrics.scrape_url.is_none() {
        return err(
            "metrics.scrape_url",
            "scraped series need a scrape_url template such as \"http://{host}:9100/metrics\"",
        );
    }
    if let Some(repo) = &config.repo {
        match (&repo.path, &repo.url) {
            (Some(_), Some(_)) => return err("repo", "give either path or url, not both"),
            (None, None) => {
                return err(
                    "repo",
                    "give path = \"/a/local/clone\" or url = \"git@host:org/repo.git\"",
                );
            }
            _ => {}
        }
        if repo.fetch_timeout_secs == 0 {
            return err("repo.fetch_timeout_secs", "must be at least 1");
        }
    }
    if let Err(e) = crate::vcs::RiskRules::new(&config.changes.risk) {
        let name = e.split(':').next().unwrap_or_default().to_string();
        return err(&format!("changes.risk.{name}"), &e);
    }
    if let Err(e) = crate::configdiff::SecretMatcher::new(&config.changes.secret_patterns) {
        return err("changes.secret_patterns", &e);
    }
    if config.logs.buffer_lines == 0 {
        return err("logs.buffer_lines", "must be at least 1");
    }
    Ok(())
}
