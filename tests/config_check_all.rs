//! `check-config` lists every problem of a config at once (file order, key and message,
//! exit status 2), the dashboard and the CLI refuse the same config with the same list,
//! and the checks that used to pass at load and fail later (placeholders, URL hosts,
//! smoke regexes, announce templates) refuse it at load.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::path::Path;
use std::process::{Command, Output, Stdio};

const FIVE_PROBLEMS: &str = r#"[release]
name = "shop"
refresh_secs = 0

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"

[platform.endpoints]
versions = "GET /stacks/{nosuch}/environments/{env}"

[[stacks]]
id = "eu"

[[stacks.smoke]]
name = "status"
url = "http://exa mple.com/status"
body_regex = "ok("

[metrics]
scrape_url = "http://{hots}:9100/metrics"
"#;

/// The five problems, in the order of the file, as `file:line:col: key: message`.
const EXPECTED: [(&str, &str); 5] = [
    (":3:1: release.refresh_secs:", "must be at least 1"),
    (
        ":10:1: platform.endpoints.versions:",
        "unknown placeholder {nosuch}; known: {stack} {env} {id} {offset} {version}",
    ),
    (
        ":17:1: stacks[0].smoke[0].url:",
        "'http://exa mple.com/status' is not a URL",
    ),
    (":18:1: stacks[0].smoke[0].body_regex:", "bad regex"),
    (
        ":21:1: metrics.scrape_url:",
        "unknown placeholder {hots}; known: {instance} {host} {stack}",
    ),
];

fn slipway(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("XDG_CACHE_HOME", state)
        .env_remove("SLIPWAY_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("slipway runs")
}

/// The problem lines of an error output, with the file name cut off.
fn problem_lines(stderr: &str, file: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once(file).map(|(_, rest)| rest.to_string()))
        .collect()
}

fn assert_the_five(stderr: &str, file: &str) {
    let lines = problem_lines(stderr, file);
    assert_eq!(lines.len(), 5, "{stderr}");
    for (line, (at, message)) in lines.iter().zip(EXPECTED) {
        assert!(
            line.starts_with(at) && line.contains(message),
            "expected {at} … {message}\n in {line}\n{stderr}"
        );
    }
    assert!(stderr.trim_end().ends_with("5 problems"), "{stderr}");
}

#[test]
fn check_config_lists_all_five_problems_in_file_order_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("five.toml");
    std::fs::write(&path, FIVE_PROBLEMS).expect("config written");
    let file = path.display().to_string();

    let out = slipway(&["check-config", "--config", &file], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing says ok");
    assert_the_five(&stderr, &file);

    // Stable: the same list, byte for byte, on a second run.
    let again = slipway(&["check-config", "--config", &file], dir.path());
    assert_eq!(again.stderr, out.stderr);

    // Fixing one leaves the other four.
    std::fs::write(
        &path,
        FIVE_PROBLEMS.replace("refresh_secs = 0", "refresh_secs = 15"),
    )
    .expect("config written");
    let out = slipway(&["check-config", "--config", &file], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(problem_lines(&stderr, &file).len(), 4, "{stderr}");
    assert!(!stderr.contains("refresh_secs"), "{stderr}");
}

#[test]
fn the_dashboard_and_the_cli_refuse_the_config_with_the_same_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("five.toml");
    std::fs::write(&path, FIVE_PROBLEMS).expect("config written");
    let file = path.display().to_string();
    // No subcommand is the dashboard: it refuses before touching the terminal.
    for args in [
        vec!["--config", file.as_str()],
        vec!["--config", file.as_str(), "status"],
        vec!["--config", file.as_str(), "smoke", "eu"],
    ] {
        let out = slipway(&args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_the_five(&stderr, &file);
    }
}

#[test]
fn a_config_that_is_fine_still_says_ok() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fine.toml");
    let fine = FIVE_PROBLEMS
        .replace("refresh_secs = 0", "refresh_secs = 15")
        .replace("{nosuch}", "{stack}")
        .replace("exa mple.com", "example.com")
        .replace("ok(", "ok")
        .replace("{hots}", "{host}");
    std::fs::write(&path, fine).expect("config written");
    let out = slipway(
        &["check-config", "--config", &path.display().to_string()],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(": ok — release shop"), "{stdout}");
}

const BASE: &str = r#"[release]
name = "shop"

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"

[[stacks]]
id = "eu"
"#;

/// Every problem of `BASE` + `extra`, as displayed.
fn problems(extra: &str) -> Vec<String> {
    match slipway::validation::parse_str(&format!("{BASE}{extra}"), Path::new("s.toml")) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(std::string::ToString::to_string).collect(),
    }
}

fn one(extra: &str) -> String {
    let p = problems(extra);
    assert_eq!(p.len(), 1, "{extra}\n→ {p:#?}");
    p.into_iter().next().unwrap_or_default()
}

#[test]
fn placeholders_in_urls_and_queries_are_checked_with_the_known_ones_listed() {
    let e = one("[metrics]\nscrape_url = \"http://{hots}:9100/metrics\"\n");
    assert!(
        e.contains(
            "metrics.scrape_url: unknown placeholder {hots}; known: {instance} {host} {stack}"
        ),
        "{e}"
    );
    let e = one("[metrics.prometheus]\nurl = \"http://{stack}.prom:9090\"\n");
    assert!(
        e.contains("metrics.prometheus.url: unknown placeholder {stack}; none are known here"),
        "{e}"
    );
    let e = one(
        "[metrics.prometheus]\nurl = \"http://127.0.0.1:9090\"\n[[metrics.series]]\nname = \"e\"\npromql = 'sum(rate(e{stack=\"{stak}\"}[1m]))'\n",
    );
    assert!(
        e.contains("metrics.series[0].promql: unknown placeholder {stak}; known: {stack}"),
        "{e}"
    );
    let e = one("[logs.source]\nkind = \"http\"\nurl = \"http://{hots}:9000/logs\"\n");
    assert!(
        e.contains(
            "logs.source.url: unknown placeholder {hots}; known: {stack} {instance} {host} {env}"
        ),
        "{e}"
    );
    let e = one("[[stacks.smoke]]\nname = \"s\"\nurl = \"http://{stack}.example/status\"\n");
    assert!(
        e.contains("stacks[0].smoke[0].url: unknown placeholder {stack}"),
        "{e}"
    );
    let text = BASE.replace("http://127.0.0.1:9/api", "http://{env}.deploy/api");
    let e = slipway::validation::parse_str(&text, Path::new("s.toml"))
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("platform.base_url: unknown placeholder {env}"),
        "{e}"
    );
}

#[test]
fn url_hosts_and_schemes_are_checked() {
    let e = one("[metrics]\nscrape_url = \"http://exa mple:9100/metrics\"\n");
    assert!(
        e.contains("metrics.scrape_url: 'http://exa mple:9100/metrics' is not a URL"),
        "{e}"
    );
    let e = one("[logs.source]\nkind = \"http\"\nurl = \"http://:9000/logs\"\n");
    assert!(e.contains("logs.source.url:"), "{e}");
    let e = one("[[stacks.smoke]]\nname = \"s\"\nurl = \"status.example/health\"\n");
    assert!(e.contains("must start with http:// or https://"), "{e}");
    let text = BASE.replace("http://127.0.0.1:9/api", "https://bad host/api");
    let e = slipway::validation::parse_str(&text, Path::new("s.toml"))
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("platform.base_url: 'https://bad host/api' is not a URL"),
        "{e}"
    );
}

#[test]
fn smoke_checks_are_checked_at_load_not_after_going_live() {
    let e = one("[[stacks.smoke]]\nname = \"s\"\nurl = \"http://a/\"\nbody_regex = \"(ok\"\n");
    assert!(
        e.contains("stacks[0].smoke[0].body_regex: bad regex"),
        "{e}"
    );
    let e = one(
        "[[stacks.smoke]]\nname = \"s\"\nurl = \"http://a/\"\nbody_regex = '\\w{1000}{1000}'\n",
    );
    assert!(e.contains("body_regex: the regex is too big"), "{e}");
    let p = problems(
        "[[stacks.smoke]]\nname = \" \"\nurl = \"http://a/\"\nmethod = \"G T\"\nexpect_status = 2000\ntimeout_ms = 0\n",
    );
    let keys: Vec<&str> = p.iter().filter_map(|l| l.split(": ").nth(1)).collect();
    assert_eq!(
        keys,
        [
            "stacks[0].smoke[0].name",
            "stacks[0].smoke[0].method",
            "stacks[0].smoke[0].expect_status",
            "stacks[0].smoke[0].timeout_ms",
        ],
        "{p:#?}"
    );
}

#[test]
fn announce_templates_with_single_brace_placeholders_are_refused_with_the_variables() {
    let e = one(
        "[announce]\nkind = \"webhook\"\nurl = \"https://chat.example/hook\"\ndeploy_started_template = \"Deploying {stack} {{ stack_name }}\"\n",
    );
    assert!(
        e.contains("announce.deploy_started_template: {stack} would be posted as written"),
        "{e}"
    );
    assert!(e.contains("stack_name"), "the variables are listed: {e}");
    assert!(e.contains("write {{ stack }}"), "{e}");
    // Jinja's own braces are fine.
    assert!(problems(
        "[announce]\nkind = \"webhook\"\nurl = \"https://chat.example/hook\"\ndeploy_started_template = \"{% if url %}{{ stack_name }}{% endif %}\"\n"
    )
    .is_empty());
}

#[test]
fn problems_of_several_sections_are_all_reported() {
    let p = problems(
        "[metrics]\ninterval_secs = 0\nhistory = 4\n[logs]\nbuffer_lines = 0\n[gates]\ntime_zone = \"Mars/Olympus\"\nnotice_mins = 5000\n[approval]\nenvironments = [\"prod\"]\n",
    );
    let keys: Vec<&str> = p.iter().filter_map(|l| l.split(": ").nth(1)).collect();
    for key in [
        "metrics.interval_secs",
        "metrics.history",
        "metrics.timeout_secs",
        "logs.buffer_lines",
        "gates.time_zone",
        "gates.notice_mins",
        "approval.environments[0]",
    ] {
        assert!(keys.contains(&key), "{key} missing from {p:#?}");
    }
}

#[test]
fn every_command_template_and_number_of_a_command_platform_is_reported() {
    let text = r#"[release]
name = "shop"

[platform]
kind = "command"
poll_ms = 1
versions = "kubectl get deploy {stack} -n {envv}"
promote = "deploy {stack} {verison}"
rollback = "rollback {stack} {version}"
status = "status {id} {nosuch}"
progress_pointer = "progress"

[[stacks]]
id = "eu"
"#;
    let e = slipway::validation::parse_str(text, Path::new("k.toml")).expect_err("refused");
    let lines: Vec<String> = e.iter().map(std::string::ToString::to_string).collect();
    let keys: Vec<&str> = lines.iter().filter_map(|l| l.split(": ").nth(1)).collect();
    assert_eq!(
        keys,
        [
            // A key that is not written is shown at its section's header.
            "platform.state_pointer",
            "platform.poll_ms",
            "platform.versions",
            "platform.promote",
            "platform.status",
            "platform.progress_pointer",
        ],
        "{lines:#?}"
    );
    assert!(lines[0].starts_with("k.toml:4:1: "), "{lines:#?}");
    assert!(lines[2].contains("{envv}"), "{lines:#?}");
    assert!(lines[3].contains("{verison}"), "{lines:#?}");
    assert!(lines[4].contains("{nosuch}"), "{lines:#?}");
}

#[test]
fn every_problem_of_a_git_platform_is_reported() {
    let text = r#"[release]
name = "shop"

[platform]
kind = "git"
remote = "/tmp/envs.git"
branch = "-main"
path = "envs/{stage}/{stack}.yaml"
pointer = "/image/tag"
poll_ms = 10
lock_ref = "refs/heads/lock"

[[stacks]]
id = "eu"
"#;
    let e = slipway::validation::parse_str(text, Path::new("g.toml")).expect_err("refused");
    let lines: Vec<String> = e.iter().map(std::string::ToString::to_string).collect();
    let keys: Vec<&str> = lines.iter().filter_map(|l| l.split(": ").nth(1)).collect();
    assert_eq!(
        keys,
        [
            "platform.branch",
            "platform.path",
            "platform.poll_ms",
            "platform.lock_ref"
        ],
        "{lines:#?}"
    );
    assert!(lines[1].contains("{stage}"), "{lines:#?}");
}
