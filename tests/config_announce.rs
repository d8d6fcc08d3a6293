//! `[announce]` parses with documented defaults, and mistakes inside it are reported with
//! the line and key, including templates that do not compile.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::path::Path;

use slipway::config::{AnnounceKind, ConfigError, MessageFormat};
use slipway::validation::parse_str;

const BASE: &str = r#"[release]
name = "belfrage"

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"

[[stacks]]
id = "www"
"#;

fn parse(announce: &str) -> Result<slipway::config::Config, ConfigError> {
    parse_str(&format!("{BASE}\n{announce}"), Path::new("slipway.toml"))
        .map_err(|e| e.first().clone())
}

/// Line numbers in errors are counted from the `[announce]` header (line 11).
const HEADER_LINE: usize = 11;

#[test]
fn slack_example_parses_with_defaults() {
    let c = parse(
        "[announce]\nkind = \"slack\"\nchannels = [\"#belfrage\", \"#help-belfrage\"]\ntoken_env = \"SLACK_BOT_TOKEN\"\n",
    )
    .unwrap();
    let a = c.announce.expect("announce section");
    assert_eq!(a.kind, AnnounceKind::Slack);
    assert_eq!(a.channels, ["#belfrage", "#help-belfrage"]);
    assert_eq!(a.base_url(), "https://slack.com/api");
    assert_eq!(a.timeout_secs, 10);
    assert_eq!(a.retries, 2);
    assert_eq!(a.format(), MessageFormat::Mrkdwn);
    assert!(a.template.is_none());
}

#[test]
fn no_announce_section_is_fine() {
    assert!(parse("").unwrap().announce.is_none());
}

#[test]
fn webhook_example_parses_with_auth() {
    let c = parse(
        "[announce]\nkind = \"webhook\"\nurl = \"https://chat.example.internal/hooks/releases\"\n\n[announce.auth]\nheader = \"X-Api-Key\"\nscheme = \"\"\ntoken_env = \"HOOK_KEY\"\n",
    )
    .unwrap();
    let a = c.announce.unwrap();
    assert_eq!(a.kind, AnnounceKind::Webhook);
    assert_eq!(a.format(), MessageFormat::Plain);
    assert_eq!(a.auth.unwrap().header, "X-Api-Key");
}

#[test]
fn unknown_kind_names_line_and_key() {
    let e = parse("[announce]\nkind = \"teams\"\n").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.kind"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 1), "{e}");
    assert!(e.message.contains("unknown variant `teams`"), "{e}");
}

#[test]
fn an_inline_token_is_an_unknown_key() {
    let e = parse("[announce]\nkind = \"slack\"\nchannels = [\"#a\"]\ntoken = \"xoxb-123\"\n")
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.token"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 3), "{e}");
    assert!(!e.to_string().contains("xoxb-123"), "{e}");
}

#[test]
fn wrong_type_names_line_and_key() {
    let e = parse("[announce]\nkind = \"slack\"\nchannels = \"#belfrage\"\ntoken_env = \"T\"\n")
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.channels"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 2), "{e}");
}

#[test]
fn slack_without_channels_or_token_is_explained() {
    let e = parse("[announce]\nkind = \"slack\"\ntoken_env = \"T\"\n").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.channels"), "{e}");
    let e = parse("[announce]\nkind = \"slack\"\nchannels = [\"#a\"]\n").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.token_env"), "{e}");
    assert!(e.message.contains("token_file"), "{e}");
    let e = parse("[announce]\nkind = \"slack\"\nchannels = [\"#a\", \"#A\"]\ntoken_env = \"T\"\n")
        .unwrap_err();
    assert!(e.message.contains("listed twice"), "{e}");
}

#[test]
fn keys_of_the_other_kind_are_refused_not_ignored() {
    let e = parse(
        "[announce]\nkind = \"slack\"\nchannels = [\"#a\"]\ntoken_env = \"T\"\nurl = \"https://x.example\"\n",
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.url"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 4), "{e}");
    assert!(e.message.contains("only for kind = \"webhook\""), "{e}");
    let e =
        parse("[announce]\nkind = \"webhook\"\nurl = \"https://x.example\"\nchannels = [\"#a\"]\n")
            .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.channels"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 3), "{e}");
}

#[test]
fn webhook_url_mistakes_are_explained() {
    let e = parse("[announce]\nkind = \"webhook\"\n").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.url"), "{e}");
    let e = parse("[announce]\nkind = \"webhook\"\nurl = \"ftp://x\"\n").unwrap_err();
    assert!(e.message.contains("http://"), "{e}");
    let e = parse(
        "[announce]\nkind = \"webhook\"\nurl = \"https://hooks.slack.com/services/T0/B0/abc\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("url_env"), "{e}");
    parse("[announce]\nkind = \"webhook\"\nurl_env = \"RELEASE_HOOK_URL\"\n").unwrap();
}

#[test]
fn bad_numbers_name_their_key() {
    let e = parse(
        "[announce]\nkind = \"slack\"\nchannels = [\"#a\"]\ntoken_env = \"T\"\ntimeout_secs = 0\n",
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.timeout_secs"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 4), "{e}");
}

#[test]
fn a_broken_template_is_reported_at_check_config_time_with_its_key() {
    let e = parse(
        "[announce]\nkind = \"slack\"\nchannels = [\"#a\"]\ntoken_env = \"T\"\ntemplate = \"\"\"\nRelease {{ release }}\n{% for c in commits %}\n\"\"\"\n",
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("announce.template"), "{e}");
    assert_eq!(e.line, Some(HEADER_LINE + 4), "{e}");
    assert!(e.message.contains("does not compile"), "{e}");
    assert!(e.message.contains("syntax error"), "{e}");

    let e = parse(
        "[announce]\nkind = \"slack\"\nchannels = [\"#a\"]\ntoken_env = \"T\"\ncompletion_template = \"Done: {{ relase }}\"\n",
    )
    .unwrap_err();
    assert_eq!(
        e.key.as_deref(),
        Some("announce.completion_template"),
        "{e}"
    );
    assert!(e.message.contains("undefined value"), "{e}");
}
