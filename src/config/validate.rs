//! Checks that serde cannot express: unique ids, sane numbers, templates that parse.
//! Errors are `(key path, message)`; the loader turns the key into a line number.

use std::collections::HashSet;

use super::{
    Aggregate, AnnounceConfig, AnnounceKind, Config, LogSourceConfig, MetricsConfig,
    PlatformConfig, ScrapeQuery,
};

pub(super) fn validate(config: &Config, _text: &str) -> Result<(), (String, String)> {
    let err = |key: &str, msg: &str| Err((key.to_string(), msg.to_string()));
    if config.release.name.trim().is_empty() {
        return err("release.name", "must not be empty");
    }
    validate_environments(&config.release.environments)?;
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
                ("approvals_record", &http.endpoints.approvals_record),
                ("approvals_read", &http.endpoints.approvals_read),
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
        PlatformConfig::Command(cmd) => {
            use crate::platform::command::templates::{Templates, check_numbers};
            let in_platform = |(key, msg): (String, String)| (format!("platform.{key}"), msg);
            check_numbers(cmd).map_err(in_platform)?;
            Templates::from_config(cmd).map_err(in_platform)?;
            if let Some(name) = cmd
                .env_names
                .keys()
                .find(|k| !config.release.environments.contains(k))
            {
                return err(
                    &format!("platform.env_names.{name}"),
                    "is not one of release.environments",
                );
            }
        }
        PlatformConfig::Git(git) => {
            if let Err((key, message)) = crate::platform::git::validate(git) {
                return err(&format!("platform.{key}"), &message);
            }
        }
    }
    validate_metrics(&config.metrics)?;
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
    if config.logs.max_line_chars < 80 {
        return err("logs.max_line_chars", "must be at least 80");
    }
    if let Some(source) = &config.logs.source {
        validate_log_source(source)?;
    }
    if let Some(announce) = &config.announce {
        validate_announce(announce)?;
    }
    super::gates::validate(
        &config.gates,
        &config.approval,
        &config.release.environments,
    )?;
    super::keys::validate(&config.keys)?;
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

fn validate_metrics(m: &MetricsConfig) -> Result<(), (String, String)> {
    let err = |key: &str, msg: &str| Err((key.to_string(), msg.to_string()));
    if m.interval_secs == 0 {
        return err("metrics.interval_secs", "must be at least 1");
    }
    if m.history < 8 {
        return err("metrics.history", "must be at least 8 samples");
    }
    // Prometheus refuses query_range answers of more than 11,000 points.
    if m.history > 10_000 {
        return err("metrics.history", "must be at most 10000 samples");
    }
    // A scrape slower than the interval would delay every other source's next round.
    if m.timeout_secs == 0 || m.timeout_secs > m.interval_secs {
        return err(
            "metrics.timeout_secs",
            "must be between 1 and metrics.interval_secs",
        );
    }
    if let Some(p) = &m.prometheus {
        if !(p.url.starts_with("http://") || p.url.starts_with("https://")) {
            return err(
                "metrics.prometheus.url",
                "must start with http:// or https://",
            );
        }
        if p.timeout_secs == 0 || p.timeout_secs > m.interval_secs {
            return err(
                "metrics.prometheus.timeout_secs",
                "must be between 1 and metrics.interval_secs",
            );
        }
        if let Some(auth) = &p.auth
            && auth.token_env.is_none()
            && auth.token_file.is_none()
        {
            return err(
                "metrics.prometheus.auth",
                "name where the token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
            );
        }
    }
    let a = &m.anomaly;
    if a.min_baseline_samples < 3 || a.min_baseline_samples > m.history {
        return err(
            "metrics.anomaly.min_baseline_samples",
            "must be between 3 and metrics.history (the baseline is kept within the history)",
        );
    }
    if a.recent_window < 3 || a.recent_window > m.history {
        return err(
            "metrics.anomaly.recent_window",
            "must be between 3 and metrics.history",
        );
    }
    if a.consecutive == 0 {
        return err("metrics.anomaly.consecutive", "must be at least 1");
    }
    if !(a.p_value > 0.0 && a.p_value <= 0.5) {
        return err("metrics.anomaly.p_value", "must be above 0 and at most 0.5");
    }
    if !(a.min_effect.is_finite() && a.min_effect >= 0.0) {
        return err(
            "metrics.anomaly.min_effect",
            "must be 0 or more (0.2 = 20%)",
        );
    }
    if !(a.min_traffic.is_finite() && a.min_traffic >= 0.0) {
        return err("metrics.anomaly.min_traffic", "must be 0 or more");
    }
    // The rank test's smallest p-value depends only on the sample counts: with too small
    // a window (or baseline) a spike could never be flagged however clear, and the
    // dashboard would show "ok" forever. Best case: every recent sample above the whole
    // baseline, with the baseline as large as the history allows.
    let best = |baseline: usize| {
        let base: Vec<f64> = (0..baseline).map(|i| i as f64).collect();
        let recent: Vec<f64> = (0..a.recent_window)
            .map(|i| (baseline + i) as f64)
            .collect();
        crate::feeds::metrics::anomaly::mann_whitney_p(&recent, &base, super::BadDirection::Up)
    };
    let largest_baseline = m
        .history
        .saturating_sub(a.recent_window)
        .max(a.min_baseline_samples);
    if best(largest_baseline) >= a.p_value {
        return err(
            "metrics.anomaly.recent_window",
            &format!(
                "with recent_window = {} the rank test can never reach p_value = {} (best case p = {:.4}): no spike could ever be flagged; use a larger recent_window or p_value",
                a.recent_window,
                a.p_value,
                best(largest_baseline)
            ),
        );
    }
    if best(a.min_baseline_samples) >= a.p_value {
        return err(
            "metrics.anomaly.min_baseline_samples",
            &format!(
                "with min_baseline_samples = {} and recent_window = {} the rank test cannot reach p_value = {} until the baseline grows (best case p = {:.4}); raise min_baseline_samples",
                a.min_baseline_samples,
                a.recent_window,
                a.p_value,
                best(a.min_baseline_samples)
            ),
        );
    }
    let mut names = HashSet::new();
    for (i, s) in m.series.iter().enumerate() {
        let key = |k: &str| format!("metrics.series[{i}].{k}");
        if s.name.trim().is_empty() {
            return err(&key("name"), "must not be empty");
        }
        if !names.insert(s.name.as_str()) {
            return err(&key("name"), &format!("duplicate series name '{}'", s.name));
        }
        if !s.scale.is_finite() {
            return err(&key("scale"), "must be a finite number");
        }
        match (&s.metric, &s.promql) {
            (None, None) => {
                return err(
                    &key("metric"),
                    "name the metric to scrape, or give a promql expression",
                );
            }
            (Some(_), Some(_)) => {
                return err(&key("promql"), "give either metric or promql, not both");
            }
            (None, Some(q)) => {
                if s.baseline_promql.is_some() {
                    return err(
                        &key("baseline_promql"),
                        "a promql series takes its history from its own expression",
                    );
                }
                if q.trim().is_empty() {
                    return err(&key("promql"), "must not be empty");
                }
                if m.prometheus.is_none() {
                    return err(
                        &key("promql"),
                        "promql series need a [metrics.prometheus] section with the server's url",
                    );
                }
                if !s.labels.is_empty() || s.quantile.is_some() || s.divide_by.is_some() {
                    return err(
                        &key("promql"),
                        "labels, quantile and divide_by apply to scraped series; write them into the PromQL expression",
                    );
                }
            }
            (Some(_), None) => {
                if let Some(q) = s.scrape_query() {
                    validate_query(&q, &key)?;
                }
                if let Some(b) = &s.baseline_promql {
                    if b.trim().is_empty() {
                        return err(&key("baseline_promql"), "must not be empty");
                    }
                    if m.prometheus.is_none() {
                        return err(
                            &key("baseline_promql"),
                            "needs a [metrics.prometheus] section with the server's url",
                        );
                    }
                }
                if let Some(d) = &s.divide_by {
                    validate_query(d, &|k: &str| key(&format!("divide_by.{k}")))?;
                }
            }
        }
    }
    if m.series.iter().any(|s| s.metric.is_some()) && m.scrape_url.is_none() {
        return err(
            "metrics.scrape_url",
            "scraped series need a scrape_url template such as \"http://{host}:9100/metrics\"",
        );
    }
    Ok(())
}

fn validate_query(q: &ScrapeQuery, key: &dyn Fn(&str) -> String) -> Result<(), (String, String)> {
    let err = |key: String, msg: &str| Err((key, msg.to_string()));
    if q.metric.trim().is_empty() {
        return err(key("metric"), "must not be empty");
    }
    if q.aggregate == Aggregate::Quantile
        && !matches!(q.quantile, Some(v) if (0.0..=1.0).contains(&v))
    {
        return err(
            key("quantile"),
            "aggregate = \"quantile\" needs quantile between 0 and 1",
        );
    }
    for (label, value) in &q.labels {
        if let Some(re) = value.strip_prefix('~')
            && let Err(e) = regex::Regex::new(re)
        {
            return err(key(&format!("labels.{label}")), &format!("bad regex: {e}"));
        }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::parse_str;

    const BASE: &str = "[release]\nname = \"svc\"\n\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:1\"\n\n[[stacks]]\nid = \"a\"\n\n";

    fn check(metrics: &str) -> Result<crate::config::Config, String> {
        let text = format!("{BASE}{metrics}");
        parse_str(&text, Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn metrics_defaults_and_promql_series() {
        let c = check(
            "[metrics]\n[metrics.prometheus]\nurl = \"http://127.0.0.1:9090\"\n\n\
             [[metrics.series]]\nname = \"errors\"\npromql = 'sum(rate(e{stack=\"{stack}\"}[1m]))'\n",
        );
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        let m = &c.metrics;
        assert_eq!(m.timeout_secs, 4);
        assert_eq!(m.anomaly.recent_window, 6);
        assert_eq!(m.anomaly.consecutive, 3);
        assert!(m.prometheus.as_ref().is_some_and(|p| p.backfill));
        assert_eq!(
            m.series[0].promql_for(&crate::model::StackId::new("Sally")),
            Some("sum(rate(e{stack=\"sally\"}[1m]))".to_string())
        );
    }

    #[test]
    fn metrics_mistakes_are_named() {
        let cases = [
            (
                "[[metrics.series]]\nname = \"x\"\n",
                "metrics.series[0].metric",
            ),
            (
                "[metrics]\nscrape_url = \"http://{host}/m\"\n[[metrics.series]]\nname = \"x\"\nmetric = \"m\"\npromql = \"up\"\n",
                "promql: give either",
            ),
            (
                "[[metrics.series]]\nname = \"x\"\npromql = \"up\"\n",
                "[metrics.prometheus]",
            ),
            (
                "[metrics]\nscrape_url = \"http://{host}/m\"\n[[metrics.series]]\nname = \"x\"\nmetric = \"m\"\n[[metrics.series]]\nname = \"x\"\nmetric = \"n\"\n",
                "duplicate series name",
            ),
            (
                "[metrics]\nscrape_url = \"http://{host}/m\"\n[[metrics.series]]\nname = \"x\"\nmetric = \"m\"\n[metrics.series.divide_by]\nmetric = \"t\"\nlabels = { code = \"~(\" }\n",
                "divide_by.labels.code",
            ),
            ("[metrics]\ntimeout_secs = 10\n", "metrics.timeout_secs"),
            ("[metrics.anomaly]\nrecent_window = 1\n", "recent_window"),
            ("[metrics.anomaly]\np_value = 0.9\n", "p_value"),
            ("[metrics.anomaly]\nwindow = 3\n", "unknown field"),
            (
                "[metrics.prometheus]\nurl = \"127.0.0.1:9090\"\n",
                "metrics.prometheus.url",
            ),
        ];
        for (text, expect) in cases {
            match check(text) {
                Ok(_) => panic!("accepted: {text}"),
                Err(e) => assert!(e.contains(expect), "{text}\n→ {e}"),
            }
        }
    }
}

/// Two or more distinct, non-empty names: a promotion needs somewhere to come from.
fn validate_environments(envs: &[String]) -> Result<(), (String, String)> {
    let key = "release.environments";
    let err = |key: &str, msg: &str| Err((key.to_string(), msg.to_string()));
    if envs.len() < 2 {
        return err(
            key,
            "needs two or more environments in promotion order, e.g. [\"test\", \"live\"]",
        );
    }
    let mut seen = std::collections::HashSet::new();
    for name in envs {
        let norm = name.trim().to_lowercase();
        if norm.is_empty() {
            return err(key, "an environment name is empty");
        }
        if !norm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return err(
                key,
                &format!("'{name}' should be letters, digits, '-' or '_'"),
            );
        }
        if !seen.insert(norm) {
            return err(key, &format!("'{name}' is listed twice"));
        }
    }
    Ok(())
}
