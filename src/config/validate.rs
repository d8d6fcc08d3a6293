//! Checks that serde cannot express: unique ids, sane numbers, templates that parse.
//! Errors are `(key path, message)`; the loader turns the key into a line number.

use std::collections::HashSet;

use super::{Aggregate, Config, LogSourceConfig, PlatformConfig};

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
    if config.logs.buffer_lines == 0 {
        return err("logs.buffer_lines", "must be at least 1");
    }
    if config.logs.max_line_chars < 80 {
        return err("logs.max_line_chars", "must be at least 80");
    }
    if let Some(source) = &config.logs.source {
        validate_log_source(source)?;
    }
    Ok(())
}

/// Log sources: required strings present, templates use known placeholders, and nothing that
/// ssh could read as one of its own options.
fn validate_log_source(source: &LogSourceConfig) -> Result<(), (String, String)> {
    use crate::feeds::logs::template::unknown_placeholder;
    let err = |key: &str, msg: String| Err((format!("logs.source.{key}"), msg));
    let check = |key: &str, value: &str| -> Result<(), (String, String)> {
        if value.trim().is_empty() {
            return err(key, "must not be empty".into());
        }
        if let Some(name) = unknown_placeholder(value) {
            return err(
                key,
                format!(
                    "unknown placeholder {{{name}}} (use {{stack}}, {{instance}}, {{host}} or {{env}})"
                ),
            );
        }
        Ok(())
    };
    match source {
        LogSourceConfig::File { path } => check("path", path),
        LogSourceConfig::Ssh {
            host,
            path,
            connect_timeout_secs,
            ..
        } => {
            check("host", host)?;
            check("path", path)?;
            if host.starts_with('-') || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return err("host", "must be a host name, alias or user@host".into());
            }
            if *connect_timeout_secs == 0 {
                return err("connect_timeout_secs", "must be at least 1".into());
            }
            Ok(())
        }
        LogSourceConfig::Command { command, .. } => check("command", command),
        LogSourceConfig::Http {
            url,
            auth,
            timeout_secs,
            idle_timeout_secs,
        } => {
            check("url", url)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return err("url", "must start with http:// or https://".into());
            }
            if *timeout_secs == 0 {
                return err("timeout_secs", "must be at least 1".into());
            }
            if *idle_timeout_secs == 0 {
                return err("idle_timeout_secs", "must be at least 1".into());
            }
            if let Some(auth) = auth
                && auth.token_env.is_none()
                && auth.token_file.is_none()
            {
                return err(
                    "auth",
                    "name where the token is: token_env = \"VAR\" or token_file = \"PATH\"".into(),
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod log_source_tests {
    use std::path::Path;

    use crate::config::{LogSourceConfig, parse_str};

    const BASE: &str = "[release]\nname = \"x\"\n\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:1\"\n\n[[stacks]]\nid = \"a\"\n\n";

    fn parse(logs: &str) -> Result<crate::config::Config, String> {
        parse_str(&format!("{BASE}{logs}"), Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn each_source_kind_parses_with_defaults() {
        let c = parse("[logs.source]\nkind = \"ssh\"\npath = \"/var/log/{stack}.log\"\noptions = [\"-p\", \"2222\"]\n")
            .unwrap();
        match c.logs.source {
            Some(LogSourceConfig::Ssh {
                host,
                connect_timeout_secs,
                ..
            }) => {
                assert_eq!(host, "{host}");
                assert_eq!(connect_timeout_secs, 10);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.logs.initial_lines, 200);
        assert_eq!(c.logs.max_line_chars, 4000);
        let c =
            parse("[logs.source]\nkind = \"command\"\ncommand = \"kubectl logs -f {instance}\"\n")
                .unwrap();
        assert!(matches!(
            c.logs.source,
            Some(LogSourceConfig::Command { restart: false, .. })
        ));
        let c =
            parse("[logs.source]\nkind = \"http\"\nurl = \"http://{host}:9000/logs\"\n").unwrap();
        assert!(matches!(
            c.logs.source,
            Some(LogSourceConfig::Http {
                idle_timeout_secs: 300,
                ..
            })
        ));
        let c = parse("[logs.source]\nkind = \"file\"\npath = \"/tmp/{instance}.log\"\n").unwrap();
        assert!(matches!(c.logs.source, Some(LogSourceConfig::File { .. })));
    }

    #[test]
    fn mistakes_are_reported_with_their_key() {
        let e = parse("[logs.source]\nkind = \"file\"\npath = \"/x\"\ntypo = 1\n").unwrap_err();
        assert!(e.contains("typo"), "{e}");
        let e = parse("[logs.source]\nkind = \"file\"\npath = \"/x/{stak}\"\n").unwrap_err();
        assert!(
            e.contains("logs.source.path") && e.contains("{stak}"),
            "{e}"
        );
        let e =
            parse("[logs.source]\nkind = \"ssh\"\nhost = \"-oProxyCommand=x\"\npath = \"/x\"\n")
                .unwrap_err();
        assert!(e.contains("logs.source.host"), "{e}");
        let e = parse("[logs.source]\nkind = \"http\"\nurl = \"ftp://x\"\n").unwrap_err();
        assert!(e.contains("http://"), "{e}");
        let e = parse("[logs.source]\nkind = \"command\"\ncommand = \" \"\n").unwrap_err();
        assert!(e.contains("must not be empty"), "{e}");
    }
}
