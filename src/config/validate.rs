//! Checks that serde cannot express: unique ids, sane numbers, templates that parse.
//! Errors are `(key path, message)`; the loader turns the key into a line number.

use std::collections::HashSet;

use super::{Aggregate, AnnounceConfig, AnnounceKind, Config, PlatformConfig};

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
    if let Some(announce) = &config.announce {
        validate_announce(announce)?;
    }
    Ok(())
}

/// `[announce]` is one flat table for both kinds (so serde keeps line numbers); here the
/// keys are checked against the kind, so a Slack key in a webhook config is not ignored.
fn validate_announce(a: &AnnounceConfig) -> Result<(), (String, String)> {
    let err = |key: &str, msg: &str| Err((format!("announce.{key}"), msg.to_string()));
    let is_http = |u: &str| u.starts_with("http://") || u.starts_with("https://");
    match a.kind {
        AnnounceKind::Slack => {
            let webhook_only = [
                ("url", a.url.is_some()),
                ("url_env", a.url_env.is_some()),
                ("url_file", a.url_file.is_some()),
                ("auth", a.auth.is_some()),
            ];
            if let Some((key, _)) = webhook_only.iter().find(|(_, set)| *set) {
                return err(
                    key,
                    "only for kind = \"webhook\"; Slack needs channels and token_env or token_file",
                );
            }
            if a.channels.is_empty() {
                return err(
                    "channels",
                    "name at least one channel, e.g. channels = [\"#releases\"]",
                );
            }
            let mut seen = HashSet::new();
            for c in &a.channels {
                let c = c.trim();
                if c.is_empty() || c.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
                    return err(
                        "channels",
                        "channel names must be non-empty, without spaces (\"#belfrage\" or an id such as \"C0123ABC\")",
                    );
                }
                if !seen.insert(c.to_lowercase()) {
                    return err("channels", &format!("'{c}' is listed twice"));
                }
            }
            if a.token_env.is_none() && a.token_file.is_none() {
                return err(
                    "token_env",
                    "name where the Slack bot token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
                );
            }
            if let Some(base) = &a.base_url
                && !is_http(base)
            {
                return err("base_url", "must start with http:// or https://");
            }
        }
        AnnounceKind::Webhook => {
            let slack_only = [
                ("channels", !a.channels.is_empty()),
                ("token_env", a.token_env.is_some()),
                ("token_file", a.token_file.is_some()),
                ("base_url", a.base_url.is_some()),
            ];
            if let Some((key, _)) = slack_only.iter().find(|(_, set)| *set) {
                return err(
                    key,
                    "only for kind = \"slack\"; a webhook's token goes in [announce.auth]",
                );
            }
            match (&a.url, a.url_env.is_some() || a.url_file.is_some()) {
                (None, false) => {
                    return err(
                        "url",
                        "give the webhook's url, or url_env / url_file when the URL itself is secret",
                    );
                }
                (Some(_), true) => {
                    return err("url", "give url, or url_env / url_file, not both");
                }
                (Some(url), false) => {
                    if !is_http(url) {
                        return err("url", "must start with http:// or https://");
                    }
                    if looks_like_secret_url(url) {
                        return err(
                            "url",
                            "this is an incoming-webhook URL, which is itself a secret: put it in an environment variable and name it with url_env",
                        );
                    }
                }
                (None, true) => {}
            }
            if let Some(auth) = &a.auth {
                if auth.token_env.is_none() && auth.token_file.is_none() {
                    return err(
                        "auth",
                        "name where the token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
                    );
                }
                if reqwest::header::HeaderName::from_bytes(auth.header.trim().as_bytes()).is_err() {
                    return err("auth.header", "is not a valid HTTP header name");
                }
            }
        }
    }
    if a.timeout_secs == 0 || a.timeout_secs > 120 {
        return err("timeout_secs", "must be between 1 and 120");
    }
    if a.retries > 5 {
        return err("retries", "must be at most 5");
    }
    crate::notify::template::check(a).map_err(|e| (e.key(), e.message))
}

/// Incoming-webhook URLs carry their credential in the path.
fn looks_like_secret_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_lowercase();
    host == "hooks.slack.com"
        || host.ends_with(".webhook.office.com")
        || ((host == "discord.com" || host == "discordapp.com") && rest.contains("/api/webhooks/"))
}
