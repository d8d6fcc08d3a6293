//! `--dry-run`: the real binary checks the action and prints exactly what it would send,
//! and sends nothing. A loopback server records every request (only reads may arrive);
//! a command platform's deploy script would leave a mark if it ran.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::rawhttp::{Reply, Script, serve};

fn slipway(config: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .env("DRY_TOKEN", "s3cret-token-value")
        .arg("--config")
        .arg(config)
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("slipway runs")
}

fn platform_script() -> Script {
    let s = Script::default();
    let version = |v: &str| Reply::Json(200, format!(r#"{{"version":"{v}","deployment":null}}"#));
    s.on(
        "GET",
        "/stacks/www/environments/test",
        vec![version("bbbbbbbbbbbbbbbb")],
    );
    s.on(
        "GET",
        "/stacks/www/environments/live",
        vec![version("aaaaaaaaaaaaaaaa")],
    );
    s.on("GET", "/lock", vec![Reply::Text(404, String::new())]);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_dry_run_prints_the_exact_request_and_sends_nothing() {
    let script = platform_script();
    let base = serve(script.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("dry.jsonl");
    let config = dir.path().join("slipway.toml");
    std::fs::write(
        &config,
        format!(
            "[release]\nname = \"dry\"\njournal = \"{}\"\n\n[platform]\nkind = \"http\"\nbase_url = \"{base}\"\n\
             timeout_secs = 2\n\n[platform.auth]\ntoken_env = \"DRY_TOKEN\"\n\n[[stacks]]\nid = \"www\"\n",
            journal.display()
        ),
    )
    .unwrap();
    let (config2, state) = (config.clone(), dir.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
        cmd.arg("--config")
            .arg(&config2)
            .args(["--dry-run", "promote", "www"])
            .env("XDG_STATE_HOME", &state)
            .env("DRY_TOKEN", "s3cret-token-value")
            .stdin(std::process::Stdio::null());
        cmd.output().expect("slipway runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!(
            "POST {base}/stacks/www/environments/live/deployments\n\
             Authorization: [redacted]\n\
             Content-Type: application/json\n\
             {{\"rollback\":false,\"version\":\"bbbbbbbbbbbbbbbb\"}}\n"
        )
    );
    assert!(
        stderr.contains("dry run: the checks passed and nothing was sent"),
        "{stderr}"
    );
    assert!(!stdout.contains("s3cret"), "the token never shows");
    let seen = script.seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|r| r.starts_with("GET ")),
        "only reads reached the platform: {seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.starts_with("GET /stacks/www")),
        "the versions were read, so the check was real: {seen:?}"
    );
    assert!(!journal.exists(), "nothing journaled");
    assert!(!journal.with_extension("lock").exists(), "no lock taken");

    // A dry run keeps every rule: live already on test's version is refused (exit 2).
    let refused = slipway(&config, dir.path(), &["--dry-run", "rollback", "www"]);
    assert_eq!(refused.status.code(), Some(2));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("no earlier live version"), "{why}");
}

#[test]
fn command_dry_run_prints_the_command_line_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("deployed");
    let deploy = dir.path().join("deploy.sh");
    std::fs::write(&deploy, format!("#!/bin/sh\ntouch {}\n", mark.display())).unwrap();
    let versions = dir.path().join("versions.sh");
    std::fs::write(
        &versions,
        "#!/bin/sh\nif [ \"$1\" = test ]; then echo 'v2 with spaces'; else echo v1; fi\n",
    )
    .unwrap();
    for f in [&deploy, &versions] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config = dir.path().join("slipway.toml");
    std::fs::write(
        &config,
        format!(
            "[release]\nname = \"dry\"\njournal = \"{j}\"\n\n[platform]\nkind = \"command\"\n\
             versions = [\"{v}\", \"{{env}}\"]\npromote = [\"{d}\", \"{{stack}}\", \"{{env}}\", \"{{version}}\"]\n\
             rollback = [\"{d}\"]\n\n[[stacks]]\nid = \"www\"\n",
            j = dir.path().join("dry.jsonl").display(),
            v = versions.display(),
            d = deploy.display()
        ),
    )
    .unwrap();
    let out = slipway(&config, dir.path(), &["--dry-run", "promote", "www"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The exact command line, the version quoted as one argument.
    assert_eq!(
        stdout,
        format!("$ {} www live 'v2 with spaces'\n", deploy.display())
    );
    assert!(!mark.exists(), "the deploy script did not run");
    assert!(!dir.path().join("dry.jsonl").exists(), "nothing journaled");
}
