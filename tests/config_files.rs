//! Every example config parses, and broken configs are reported with file, line and key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::path::Path;

use slipway::config::{ConfigError, PlatformConfig};
use slipway::validation::parse_str;

/// The first problem in file order (the tests with several are at the end).
fn parse(text: &str) -> Result<slipway::config::Config, ConfigError> {
    parse_str(text, Path::new("slipway.toml")).map_err(|e| e.first().clone())
}

#[test]
fn every_example_in_config_dir_parses_and_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("config/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let loaded = slipway::validation::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !loaded.config.stacks.is_empty(),
                "{} has stacks",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(
        seen >= 2,
        "expected at least two example configs, found {seen}"
    );
}

#[test]
fn four_stack_example_keeps_the_promotion_order_and_references_its_token() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/four-stacks-http.toml");
    let c = slipway::validation::load_file(&path).unwrap().config;
    let order: Vec<String> = c
        .stacks
        .iter()
        .map(slipway::config::StackConfig::display_name)
        .collect();
    assert_eq!(order, ["WWW", "Cedric", "Sally", "Bruce"]);
    let PlatformConfig::Http(http) = &c.platform else {
        panic!("an http platform: {:?}", c.platform)
    };
    assert_eq!(
        http.auth.as_ref().and_then(|a| a.token_env.as_deref()),
        Some("DEPLOY_API_TOKEN")
    );
    assert_eq!(
        c.resolve_stack("SALLY").map(|s| s.id.as_str()),
        Some("sally")
    );
}

const MINIMAL: &str = r#"[release]
name = "shop"

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"

[[stacks]]
id = "eu"

[[stacks]]
id = "us"
"#;

#[test]
fn minimal_config_gets_documented_defaults() {
    let c = parse(MINIMAL).unwrap();
    let PlatformConfig::Http(http) = &c.platform else {
        panic!("an http platform: {:?}", c.platform)
    };
    assert_eq!(http.timeout_secs, 10);
    assert_eq!(http.retries, 3);
    assert_eq!(
        http.endpoints.versions,
        "GET /stacks/{stack}/environments/{env}"
    );
    assert_eq!(c.release.refresh_secs, 15);
    assert_eq!(c.ui.theme, "dark");
    assert_eq!(c.stacks[1].display_name(), "us");
}

#[test]
fn unknown_key_names_line_and_key() {
    let text = MINIMAL.replace("id = \"us\"", "id = \"us\"\ncolour = \"blue\"");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.line, Some(13), "{e}");
    assert_eq!(e.key.as_deref(), Some("stacks[1].colour"), "{e}");
    assert!(e.message.contains("unknown field `colour`"), "{e}");
    assert!(
        e.to_string()
            .starts_with("slipway.toml:13:1: stacks[1].colour: unknown field"),
        "{e}"
    );
}

#[test]
fn wrong_type_names_the_key_path() {
    let text = MINIMAL.replace(
        "base_url = \"http://127.0.0.1:9/api\"",
        "base_url = \"http://x\"\ntimeout_secs = \"ten\"",
    );
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("platform.timeout_secs"), "{e}");
    assert_eq!(e.line, Some(7), "{e}");
}

#[test]
fn unknown_platform_kind_is_named() {
    let e = parse(&MINIMAL.replace("kind = \"http\"", "kind = \"ftp\"")).unwrap_err();
    assert!(e.message.contains("unknown platform kind 'ftp'"), "{e}");
    assert_eq!(e.line, Some(4), "{e}");
}

#[test]
fn syntax_error_names_the_line() {
    let text = MINIMAL.replace("name = \"shop\"", "name = \"shop");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
}

#[test]
fn duplicate_stack_id_is_reported_at_the_second_stack() {
    let text = MINIMAL.replace("id = \"us\"", "id = \"EU\"");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("stacks[1].id"));
    assert_eq!(e.line, Some(12), "{e}");
    assert!(e.message.contains("duplicate stack id 'eu'"), "{e}");
}

#[test]
fn inline_secret_is_impossible_and_missing_token_source_is_explained() {
    let with_token = format!("{MINIMAL}\n[platform.auth]\ntoken = \"hunter2\"\n");
    // [platform.auth] after [[stacks]] is still a platform table in TOML.
    let e = parse(&with_token).unwrap_err();
    assert!(e.message.contains("unknown field `token`"), "{e}");
    let without = format!("{MINIMAL}\n[platform.auth]\nheader = \"X-Token\"\n");
    let e = parse(&without).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("platform.auth"));
    assert!(e.message.contains("token_env"), "{e}");
}

#[test]
fn bad_endpoint_and_bad_label_regex_are_caught() {
    let text = format!("{MINIMAL}\n[platform.endpoints]\npromote = \"SEND /x\"\n");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("platform.endpoints.promote"));
    assert!(e.message.contains("unknown HTTP method"), "{e}");
    let text = format!(
        "{MINIMAL}\n[metrics]\nscrape_url = \"http://{{host}}/metrics\"\n[[metrics.series]]\nname = \"e\"\nmetric = \"m\"\nlabels = {{ status = \"~5(\" }}\n"
    );
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("metrics.series[0].labels.status"));
    assert!(e.message.contains("bad regex"), "{e}");
}

#[test]
fn no_stacks_is_an_error() {
    let text = "stacks = []\n[release]\nname = \"x\"\n[platform]\nkind = \"http\"\nbase_url = \"http://a\"\n";
    let e = parse(text).unwrap_err();
    assert!(e.message.contains("at least one [[stacks]]"), "{e}");
}

#[test]
fn anomaly_settings_that_could_never_flag_are_refused() {
    let text = format!("{MINIMAL}\n[metrics.anomaly]\nrecent_window = 3\np_value = 0.001\n");
    let e = parse(&text).unwrap_err();
    assert_eq!(
        e.key.as_deref(),
        Some("metrics.anomaly.recent_window"),
        "{e}"
    );
    assert!(e.message.contains("can never reach p_value"), "{e}");
    // A window that can reach it is accepted.
    let text = format!("{MINIMAL}\n[metrics.anomaly]\nrecent_window = 6\np_value = 0.001\n");
    assert!(parse(&text).is_ok());
}
