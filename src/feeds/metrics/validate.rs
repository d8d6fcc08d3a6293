//! The `[metrics]` section's checks at load (called by `crate::validation`): one named
//! check per part, each returning every problem it finds. Keys are from the root.

use std::collections::HashSet;

use crate::config::{
    Aggregate, BadDirection, MetricsConfig, Problem, PrometheusConfig, ScrapeQuery, SeriesConfig,
    check_placeholders, check_url,
};

/// What `scrape_url` may hold, filled per instance (`scrape::instance_url`).
pub const SCRAPE_PLACEHOLDERS: &[&str] = &["instance", "host", "stack"];

/// What a `PromQL` expression may hold (`SeriesConfig::promql_for`).
pub const PROMQL_PLACEHOLDERS: &[&str] = &["stack"];

/// Every problem in `[metrics]`.
pub fn validate(m: &MetricsConfig) -> Vec<Problem> {
    let mut out = check_timing(m);
    if let Some(p) = &m.prometheus {
        out.extend(check_prometheus(p, m.interval_secs));
    }
    out.extend(check_anomaly(m));
    out.extend(check_series(m));
    out.extend(check_scrape_url(m));
    out
}

/// How often, how much history, and how long a scrape may take.
fn check_timing(m: &MetricsConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    if m.interval_secs == 0 {
        out.push(Problem::new("metrics.interval_secs", "must be at least 1"));
    }
    if m.history < 8 {
        out.push(Problem::new(
            "metrics.history",
            "must be at least 8 samples",
        ));
    }
    // Prometheus refuses query_range answers of more than 11,000 points.
    if m.history > 10_000 {
        out.push(Problem::new(
            "metrics.history",
            "must be at most 10000 samples",
        ));
    }
    // A scrape slower than the interval would delay every other source's next round.
    if m.timeout_secs == 0 || m.timeout_secs > m.interval_secs {
        out.push(Problem::new(
            "metrics.timeout_secs",
            "must be between 1 and metrics.interval_secs",
        ));
    }
    out
}

/// `[metrics.prometheus]`: the server's URL, its timeout and where its token is.
fn check_prometheus(p: &PrometheusConfig, interval_secs: u64) -> Vec<Problem> {
    let mut out = check_url("metrics.prometheus.url", &p.url, &[]);
    if p.timeout_secs == 0 || p.timeout_secs > interval_secs {
        out.push(Problem::new(
            "metrics.prometheus.timeout_secs",
            "must be between 1 and metrics.interval_secs",
        ));
    }
    if let Some(auth) = &p.auth
        && auth.token_env.is_none()
        && auth.token_file.is_none()
    {
        out.push(Problem::new(
            "metrics.prometheus.auth",
            "name where the token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
        ));
    }
    out
}

/// `[metrics.anomaly]`: each setting in range, then whether a spike could ever be flagged.
fn check_anomaly(m: &MetricsConfig) -> Vec<Problem> {
    let a = &m.anomaly;
    let mut out = Vec::new();
    if a.min_baseline_samples < 3 || a.min_baseline_samples > m.history {
        out.push(Problem::new(
            "metrics.anomaly.min_baseline_samples",
            "must be between 3 and metrics.history (the baseline is kept within the history)",
        ));
    }
    if a.recent_window < 3 || a.recent_window > m.history {
        out.push(Problem::new(
            "metrics.anomaly.recent_window",
            "must be between 3 and metrics.history",
        ));
    }
    if a.consecutive == 0 {
        out.push(Problem::new(
            "metrics.anomaly.consecutive",
            "must be at least 1",
        ));
    }
    if !(a.p_value > 0.0 && a.p_value <= 0.5) {
        out.push(Problem::new(
            "metrics.anomaly.p_value",
            "must be above 0 and at most 0.5",
        ));
    }
    if !(a.min_effect.is_finite() && a.min_effect >= 0.0) {
        out.push(Problem::new(
            "metrics.anomaly.min_effect",
            "must be 0 or more (0.2 = 20%)",
        ));
    }
    if !(a.min_traffic.is_finite() && a.min_traffic >= 0.0) {
        out.push(Problem::new(
            "metrics.anomaly.min_traffic",
            "must be 0 or more",
        ));
    }
    // The reachability sums assume sane windows: judge it only when they are.
    if out.is_empty() {
        out.extend(check_reachable(m));
    }
    out
}

/// The rank test's smallest p-value depends only on the sample counts: with too small a
/// window (or baseline) a spike could never be flagged however clear, and the dashboard
/// would show "ok" forever. Best case: every recent sample above the whole baseline, with
/// the baseline as large as the history allows.
fn check_reachable(m: &MetricsConfig) -> Option<Problem> {
    let a = &m.anomaly;
    let best = |baseline: usize| {
        let base: Vec<f64> = (0..baseline).map(|i| i as f64).collect();
        let recent: Vec<f64> = (0..a.recent_window)
            .map(|i| (baseline + i) as f64)
            .collect();
        super::anomaly::mann_whitney_p(&recent, &base, BadDirection::Up)
    };
    let largest_baseline = m
        .history
        .saturating_sub(a.recent_window)
        .max(a.min_baseline_samples);
    let at_largest = best(largest_baseline);
    if at_largest >= a.p_value {
        return Some(Problem::new(
            "metrics.anomaly.recent_window",
            format!(
                "with recent_window = {} the rank test can never reach p_value = {} (best case p = {at_largest:.4}): no spike could ever be flagged; use a larger recent_window or p_value",
                a.recent_window, a.p_value,
            ),
        ));
    }
    let at_smallest = best(a.min_baseline_samples);
    if at_smallest >= a.p_value {
        return Some(Problem::new(
            "metrics.anomaly.min_baseline_samples",
            format!(
                "with min_baseline_samples = {} and recent_window = {} the rank test cannot reach p_value = {} until the baseline grows (best case p = {at_smallest:.4}); raise min_baseline_samples",
                a.min_baseline_samples, a.recent_window, a.p_value,
            ),
        ));
    }
    None
}

/// `[[metrics.series]]`: unique names, and each series' source.
fn check_series(m: &MetricsConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut names = HashSet::new();
    for (i, s) in m.series.iter().enumerate() {
        let key = |k: &str| format!("metrics.series[{i}].{k}");
        if s.name.trim().is_empty() {
            out.push(Problem::new(key("name"), "must not be empty"));
        } else if !names.insert(s.name.as_str()) {
            out.push(Problem::new(
                key("name"),
                format!("duplicate series name '{}'", s.name),
            ));
        }
        if !s.scale.is_finite() {
            out.push(Problem::new(key("scale"), "must be a finite number"));
        }
        out.extend(check_source(m, s, &key));
    }
    out
}

/// A series is scraped (`metric`) or asked of Prometheus (`promql`), never both.
fn check_source(m: &MetricsConfig, s: &SeriesConfig, key: &dyn Fn(&str) -> String) -> Vec<Problem> {
    let mut out = Vec::new();
    let no_server = m.prometheus.is_none();
    match (&s.metric, &s.promql) {
        (None, None) => out.push(Problem::new(
            key("metric"),
            "name the metric to scrape, or give a promql expression",
        )),
        (Some(_), Some(_)) => out.push(Problem::new(
            key("promql"),
            "give either metric or promql, not both",
        )),
        (None, Some(q)) => {
            if s.baseline_promql.is_some() {
                out.push(Problem::new(
                    key("baseline_promql"),
                    "a promql series takes its history from its own expression",
                ));
            }
            out.extend(check_placeholders(&key("promql"), q, PROMQL_PLACEHOLDERS));
            if q.trim().is_empty() {
                out.push(Problem::new(key("promql"), "must not be empty"));
            } else if no_server {
                out.push(Problem::new(
                    key("promql"),
                    "promql series need a [metrics.prometheus] section with the server's url",
                ));
            }
            if !s.labels.is_empty() || s.quantile.is_some() || s.divide_by.is_some() {
                out.push(Problem::new(
                    key("promql"),
                    "labels, quantile and divide_by apply to scraped series; write them into the PromQL expression",
                ));
            }
        }
        (Some(_), None) => {
            if let Some(q) = s.scrape_query() {
                out.extend(check_query(&q, key));
            }
            if let Some(b) = &s.baseline_promql {
                out.extend(check_placeholders(
                    &key("baseline_promql"),
                    b,
                    PROMQL_PLACEHOLDERS,
                ));
                if b.trim().is_empty() {
                    out.push(Problem::new(key("baseline_promql"), "must not be empty"));
                } else if no_server {
                    out.push(Problem::new(
                        key("baseline_promql"),
                        "needs a [metrics.prometheus] section with the server's url",
                    ));
                }
            }
            if let Some(d) = &s.divide_by {
                out.extend(check_query(d, &|k: &str| key(&format!("divide_by.{k}"))));
            }
        }
    }
    out
}

/// A scrape query: a metric name, a quantile when asked for one, label regexes that compile.
fn check_query(q: &ScrapeQuery, key: &dyn Fn(&str) -> String) -> Vec<Problem> {
    let mut out = Vec::new();
    if q.metric.trim().is_empty() {
        out.push(Problem::new(key("metric"), "must not be empty"));
    }
    if q.aggregate == Aggregate::Quantile
        && !matches!(q.quantile, Some(v) if (0.0..=1.0).contains(&v))
    {
        out.push(Problem::new(
            key("quantile"),
            "aggregate = \"quantile\" needs quantile between 0 and 1",
        ));
    }
    for (label, value) in &q.labels {
        if let Some(re) = value.strip_prefix('~')
            && let Err(e) = regex::Regex::new(re)
        {
            out.push(Problem::new(
                key(&format!("labels.{label}")),
                format!("bad regex: {e}"),
            ));
        }
    }
    out
}

/// `scrape_url`: present when a series is scraped, a URL, with only the instance's
/// placeholders.
fn check_scrape_url(m: &MetricsConfig) -> Vec<Problem> {
    let key = "metrics.scrape_url";
    match &m.scrape_url {
        None if m.series.iter().any(|s| s.metric.is_some()) => vec![Problem::new(
            key,
            "scraped series need a scrape_url template such as \"http://{host}:9100/metrics\"",
        )],
        None => Vec::new(),
        Some(url) => check_url(key, url, SCRAPE_PLACEHOLDERS),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::validation::parse_str;

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
