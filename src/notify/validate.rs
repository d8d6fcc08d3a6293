//! The `[announce]` section's checks at load (called by `crate::validation`).
//! `[announce]` is one flat table for both kinds (so serde keeps line numbers); here the
//! keys are checked against the kind, so a Slack key in a webhook config is not ignored.

use std::collections::HashSet;

use super::template::TemplateKind;
use crate::config::{AnnounceConfig, AnnounceKind, AuthConfig, Problem, check_url};

const NO_INLINE_TOKEN: &str = "name where the token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)";

/// Every problem in `[announce]`, keys from the root.
pub fn validate(a: &AnnounceConfig) -> Vec<Problem> {
    let mut out = match a.kind {
        AnnounceKind::Slack => check_slack(a),
        AnnounceKind::Webhook => check_webhook(a),
    };
    if a.timeout_secs == 0 || a.timeout_secs > 120 {
        out.push(Problem::new("timeout_secs", "must be between 1 and 120"));
    }
    if a.retries > 5 {
        out.push(Problem::new("retries", "must be at most 5"));
    }
    out.extend(check_single_braces(a));
    let mut out: Vec<Problem> = out.into_iter().map(|p| p.under("announce")).collect();
    if let Err(e) = super::template::check(a) {
        out.push(Problem::new(e.key(), e.message));
    }
    out
}

fn check_slack(a: &AnnounceConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    let webhook_only = [
        ("url", a.url.is_some()),
        ("url_env", a.url_env.is_some()),
        ("url_file", a.url_file.is_some()),
        ("auth", a.auth.is_some()),
    ];
    for (key, _) in webhook_only.iter().filter(|(_, set)| *set) {
        out.push(Problem::new(
            *key,
            "only for kind = \"webhook\"; Slack needs channels and token_env or token_file",
        ));
    }
    if a.channels.is_empty() {
        out.push(Problem::new(
            "channels",
            "name at least one channel, e.g. channels = [\"#releases\"]",
        ));
    }
    let mut seen = HashSet::new();
    for c in &a.channels {
        let c = c.trim();
        if c.is_empty() || c.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
            out.push(Problem::new(
                "channels",
                "channel names must be non-empty, without spaces (\"#belfrage\" or an id such as \"C0123ABC\")",
            ));
        } else if !seen.insert(c.to_lowercase()) {
            out.push(Problem::new("channels", format!("'{c}' is listed twice")));
        }
    }
    if a.token_env.is_none() && a.token_file.is_none() {
        out.push(Problem::new(
            "token_env",
            "name where the Slack bot token is: token_env = \"VAR\" or token_file = \"PATH\" (tokens are never written in config)",
        ));
    }
    if let Some(base) = &a.base_url {
        out.extend(check_url("base_url", base, &[]));
    }
    out
}

fn check_webhook(a: &AnnounceConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    let slack_only = [
        ("channels", !a.channels.is_empty()),
        ("token_env", a.token_env.is_some()),
        ("token_file", a.token_file.is_some()),
        ("base_url", a.base_url.is_some()),
    ];
    for (key, _) in slack_only.iter().filter(|(_, set)| *set) {
        out.push(Problem::new(
            *key,
            "only for kind = \"slack\"; a webhook's token goes in [announce.auth]",
        ));
    }
    match (&a.url, a.url_env.is_some() || a.url_file.is_some()) {
        (None, false) => out.push(Problem::new(
            "url",
            "give the webhook's url, or url_env / url_file when the URL itself is secret",
        )),
        (Some(_), true) => out.push(Problem::new(
            "url",
            "give url, or url_env / url_file, not both",
        )),
        (Some(url), false) => {
            let bad = check_url("url", url, &[]);
            if bad.is_empty() && looks_like_secret_url(url) {
                out.push(Problem::new(
                    "url",
                    "this is an incoming-webhook URL, which is itself a secret: put it in an environment variable and name it with url_env",
                ));
            }
            out.extend(bad);
        }
        (None, true) => {}
    }
    if let Some(auth) = &a.auth {
        out.extend(check_auth(auth));
    }
    out
}

fn check_auth(auth: &AuthConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    if auth.token_env.is_none() && auth.token_file.is_none() {
        out.push(Problem::new("auth", NO_INLINE_TOKEN));
    }
    if reqwest::header::HeaderName::from_bytes(auth.header.trim().as_bytes()).is_err() {
        out.push(Problem::new(
            "auth.header",
            "is not a valid HTTP header name",
        ));
    }
    out
}

/// Templates are minijinja: `{stack}` (the placeholder syntax of URLs and commands
/// elsewhere in the config) would be posted as written. Each such word is named, with
/// the variables the template has.
fn check_single_braces(a: &AnnounceConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    for kind in TemplateKind::ALL {
        let Some(source) = kind.source(a) else {
            continue;
        };
        let words = crate::config::unknown_placeholders(&outside_jinja(source), &[]);
        if words.is_empty() {
            continue;
        }
        let names: Vec<String> = words.iter().map(|w| format!("{{{w}}}")).collect();
        out.push(
            Problem::new(
                kind.key(),
                format!(
                    "{} would be posted as written: templates use {{{{ name }}}}; known: {}",
                    names.join(" "),
                    kind.variables().join(" ")
                ),
            )
            .with_hint(format!("write {{{{ {} }}}}", words[0])),
        );
    }
    out
}

/// The template's literal text: `{{ … }}`, `{% … %}` and `{# … #}` blanked out.
fn outside_jinja(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    loop {
        let next = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|open| rest.find(open).map(|i| (i, *open)))
            .min_by_key(|(i, _)| *i);
        let Some((i, open)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        let close = match open {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        match rest[i + 2..].find(close) {
            Some(j) => {
                out.push(' ');
                rest = &rest[i + 2 + j + 2..];
            }
            None => return out,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::outside_jinja;

    #[test]
    fn jinja_blocks_are_not_literal_text() {
        assert_eq!(
            outside_jinja("a {{x}} b {% if y %}c{% endif %}{# n #}"),
            "a   b  c  "
        );
        assert_eq!(outside_jinja("{stack} {{ stack_name }}"), "{stack}  ");
    }
}
