//! The `command` platform against real child processes: shell scripts written to a
//! temporary directory play kubectl. No mocks: what the scripts print, how they exit and
//! what they leave running is what the platform sees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use slipway::model::{DeployState, DeployStatus, DeploymentId, Env, StackId, Version};
use slipway::platform::command::{CommandPlatform, Operation, TemplateValues};
use slipway::platform::{self, DeployRequest, Platform, PlatformError};
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes an executable `sh` script and returns its path.
    fn script(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    /// A command platform whose `[platform]` table holds `platform` (TOML lines).
    fn platform(&self, platform: &str) -> Arc<dyn Platform> {
        let text = format!(
            "[release]\nname = \"cmd\"\njournal = \"{}\"\n\n[platform]\nkind = \"command\"\npoll_ms = 50\n{platform}\n\n[[stacks]]\nid = \"www\"\n",
            self.path("journal.jsonl").display()
        );
        let config = slipway::validation::parse_str(&text, Path::new("test.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        platform::from_config(&config).unwrap()
    }

    /// A platform with a working `versions` and `rollback`, and `promote` as given.
    fn deployer(&self, promote: &str, extra: &str) -> Arc<dyn Platform> {
        let versions = self.script("versions.sh", "echo v1");
        self.platform(&format!(
            "versions = [\"{versions}\", \"{{env}}\"]\nrollback = [\"{versions}\"]\npromote = {promote}\n{extra}"
        ))
    }
}

fn www() -> StackId {
    StackId::new("www")
}

fn request(version: &str) -> DeployRequest {
    DeployRequest {
        stack: www(),
        env: Env::live(),
        version: Version::new(version),
        previous: Version::new("v1"),
        rollback: false,
        user: "alice".into(),
    }
}

/// Follows a deployment like the engine does (output, then status, every poll) until it
/// finishes and its output is complete; returns the final status and every line.
async fn follow(p: &dyn Platform, id: &DeploymentId, secs: u64) -> (DeployStatus, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut offset = 0;
    let mut lines = Vec::new();
    let mut finished = None;
    loop {
        assert!(Instant::now() < deadline, "not finished within {secs}s");
        let chunk = p.deployment_output(&www(), id, offset).await.unwrap();
        offset = chunk.next_offset;
        lines.extend(chunk.lines);
        if let Some(status) = &finished
            && chunk.complete
        {
            return (Clone::clone(status), lines);
        }
        let status = p.deployment_status(&www(), id).await.unwrap();
        if status.state.is_finished() {
            finished = Some(status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether a process is gone: no such pid, or a zombie nobody reaped yet.
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

async fn read_pid(path: &Path) -> i32 {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no pid in {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_that_succeeds_streams_its_output() {
    let f = Fixture::new();
    let deploy = f.script(
        "deploy.sh",
        "echo \"deploying $1 to $2 as $SLIPWAY_USER\"\necho 'warning: slow' >&2\nprintf '\\033[32mdone\\033[0m\\n'",
    );
    let p = f.deployer(&format!("[\"{deploy}\", \"{{version}}\", \"{{env}}\"]"), "");
    assert_eq!(p.describe(), format!("command {deploy}"));
    let started = p.deploy(&request("v2")).await.unwrap();
    assert!(started.id.as_str().starts_with("live-"), "{}", started.id);
    let (status, lines) = follow(p.as_ref(), &started.id, 20).await;
    assert_eq!(status.state, DeployState::Succeeded, "{status:?}");
    assert_eq!(lines[0], format!("$ {deploy} v2 live"));
    assert!(
        lines.contains(&"deploying v2 to live as alice".to_string()),
        "{lines:?}"
    );
    assert!(lines.contains(&"warning: slow".to_string()), "{lines:?}");
    // Colours pass through: the Deploy pane turns them into styles.
    assert!(
        lines.contains(&"\x1b[32mdone\x1b[0m".to_string()),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_fails_the_deployment_with_its_exit_code() {
    let f = Fixture::new();
    let deploy = f.script("deploy.sh", "echo 'error: image not found' >&2\nexit 3");
    let p = f.deployer(&format!("[\"{deploy}\"]"), "");
    let started = p.deploy(&request("v2")).await.unwrap();
    let (status, lines) = follow(p.as_ref(), &started.id, 20).await;
    assert_eq!(status.state, DeployState::Failed);
    let message = status.message.unwrap_or_default();
    assert!(message.contains("exited with code 3"), "{message}");
    assert!(lines.contains(&"error: image not found".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_run_in_order_and_stop_at_the_first_failure() {
    let f = Fixture::new();
    let log = f.path("steps.log");
    let step = f.script(
        "step.sh",
        &format!("echo \"$1\" >> '{}'\nexit \"$2\"", log.display()),
    );
    let p = f.deployer(
        &format!("\"{step} one 0 && {step} two 4 && {step} three 0\""),
        "",
    );
    let started = p.deploy(&request("v2")).await.unwrap();
    let (status, lines) = follow(p.as_ref(), &started.id, 20).await;
    assert_eq!(status.state, DeployState::Failed);
    assert!(status.message.unwrap_or_default().contains("code 4"));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "one\ntwo\n");
    let headers: Vec<&String> = lines.iter().filter(|l| l.starts_with("$ ")).collect();
    assert_eq!(headers.len(), 2, "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_lines_are_read_while_the_command_runs() {
    let f = Fixture::new();
    let deploy = f.script(
        "deploy.sh",
        "printf 'copying 10%%\\r'\nsleep 1\nprintf 'copying 60%%\\r'\nsleep 1\nprintf 'copying 100%%\\n'\nsleep 1\necho finished",
    );
    let p = f.deployer(&format!("[\"{deploy}\"]"), "");
    let started = p.deploy(&request("v2")).await.unwrap();
    // While it still runs, the progress line is there, ending with `\r` so the Deploy
    // pane replaces it with the next one.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut offset = 0;
    let mut seen = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "no progress line while running: {seen:?}"
        );
        let chunk = p
            .deployment_output(&www(), &started.id, offset)
            .await
            .unwrap();
        offset = chunk.next_offset;
        seen.extend(chunk.lines);
        if seen.iter().any(|l| l.ends_with("60%\r")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = p.deployment_status(&www(), &started.id).await.unwrap();
    assert_eq!(status.state, DeployState::Running);
    assert!(seen.iter().any(|l| l.ends_with("10%\r")), "{seen:?}");
    let (status, rest) = follow(p.as_ref(), &started.id, 20).await;
    assert_eq!(status.state, DeployState::Succeeded);
    assert!(rest.contains(&"copying 100%".to_string()), "{rest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_interrupts_the_group_kills_the_stubborn_and_runs_the_abort_command() {
    let f = Fixture::new();
    let pidfile = f.path("grandchild.pid");
    // The script ignores SIGINT (so SIGKILL after the grace period is needed) and leaves
    // a grandchild that would outlive it.
    let deploy = f.script(
        "deploy.sh",
        &format!(
            "trap '' INT\nsleep 1000 &\necho $! > '{}'\necho started\nwhile :; do sleep 1; done",
            pidfile.display()
        ),
    );
    let marker = f.path("aborted");
    let undo = f.script(
        "undo.sh",
        &format!(
            "echo \"undo $1 $2\" > '{}'\necho rolled back",
            marker.display()
        ),
    );
    let p = f.deployer(
        &format!("[\"{deploy}\"]"),
        &format!("abort = [\"{undo}\", \"{{stack}}\", \"{{env}}\"]\nabort_grace_secs = 1"),
    );
    assert!(p.capabilities().abort);
    let started = p.deploy(&request("v2")).await.unwrap();
    let grandchild = read_pid(&pidfile).await;
    assert!(!gone(grandchild));
    let t = Instant::now();
    p.abort(&www(), &started.id).await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    let (status, lines) = follow(p.as_ref(), &started.id, 20).await;
    assert_eq!(status.state, DeployState::Aborted, "{status:?}");
    assert!(lines.contains(&"rolled back".to_string()), "{lines:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "undo www live\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(grandchild) {
        assert!(
            Instant::now() < deadline,
            "grandchild {grandchild} still runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Aborting again is refused: it has finished.
    assert!(p.abort(&www(), &started.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_platform_leaves_nothing_running() {
    let f = Fixture::new();
    let pidfile = f.path("grandchild.pid");
    let deploy = f.script(
        "deploy.sh",
        &format!("sleep 1000 &\necho $! > '{}'\nwait", pidfile.display()),
    );
    let p = f.deployer(&format!("[\"{deploy}\"]"), "");
    p.deploy(&request("v2")).await.unwrap();
    let grandchild = read_pid(&pidfile).await;
    drop(p);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(grandchild) {
        assert!(
            Instant::now() < deadline,
            "grandchild {grandchild} outlived the platform"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_that_runs_too_long_is_killed_and_fails() {
    let f = Fixture::new();
    let deploy = f.script("deploy.sh", "echo waiting\nsleep 30");
    let p = f.deployer(
        &format!("[\"{deploy}\"]"),
        "deploy_timeout_secs = 1\nabort_grace_secs = 1",
    );
    let t = Instant::now();
    let started = p.deploy(&request("v2")).await.unwrap();
    let (status, lines) = follow(p.as_ref(), &started.id, 20).await;
    assert_eq!(status.state, DeployState::Failed);
    assert_eq!(status.message.as_deref(), Some("timed out after 1s"));
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    assert!(lines.iter().any(|l| l.contains("timed out")), "{lines:?}");
}

const NASTY: &str = r#"1.0 "quoted" 'single' ; $(touch PWNED) `touch PWNED2` && echo $HOME"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_full_of_shell_syntax_is_one_literal_argument() {
    for shell in [false, true] {
        let f = Fixture::new();
        let args = f.path("args");
        let record = f.script(
            "record.sh",
            &format!(
                "cd '{}'\nprintf '%s\\n' \"$#\" \"$1\" \"$SLIPWAY_VERSION\" > '{}'",
                f.dir.path().display(),
                args.display()
            ),
        );
        let p = if shell {
            f.platform(&format!(
                "shell = true\nversions = \"echo v1\"\nrollback = \"true\"\npromote = \"{record} {{version}}\""
            ))
        } else {
            f.deployer(&format!("[\"{record}\", \"{{version}}\"]"), "")
        };
        let nasty = NASTY.replace("PWNED", &f.path("x").display().to_string());
        let started = p.deploy(&request(&nasty)).await.unwrap();
        let (status, _) = follow(p.as_ref(), &started.id, 20).await;
        assert_eq!(status.state, DeployState::Succeeded, "shell = {shell}");
        let recorded = std::fs::read_to_string(&args).unwrap();
        assert_eq!(
            recorded,
            format!("1\n{nasty}\n{nasty}\n"),
            "shell = {shell}"
        );
        assert!(
            !f.path("x").exists() && !f.path("x2").exists(),
            "shell = {shell}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_output_stays_bounded_and_keeps_its_last_lines() {
    let f = Fixture::new();
    let deploy = f.script("deploy.sh", "seq 1 100000");
    let p = f.deployer(&format!("[\"{deploy}\"]"), "output_lines = 1000");
    let t = Instant::now();
    let started = p.deploy(&request("v2")).await.unwrap();
    // Read only after it ended: everything but the last 1000 lines was dropped.
    loop {
        let status = p.deployment_status(&www(), &started.id).await.unwrap();
        if status.state.is_finished() {
            assert_eq!(status.state, DeployState::Succeeded);
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "too slow");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let chunk = p.deployment_output(&www(), &started.id, 0).await.unwrap();
    // 100,000 lines and the `$ command` line before them.
    assert_eq!(chunk.lines[0], "… 99001 earlier lines dropped");
    assert_eq!(chunk.lines.len(), 1001);
    assert_eq!(chunk.lines[1], "99001");
    assert_eq!(chunk.lines.last().map(String::as_str), Some("100000"));
    assert!(chunk.complete);
    assert_eq!(chunk.next_offset, 100_001);
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_instances_plain_and_json() {
    let f = Fixture::new();
    let versions = f.script(
        "versions.sh",
        "case \"$1\" in test) echo 'registry/www:9be77d' ;; live) echo 'registry/www:3f2a1c' ;; esac",
    );
    let pods = f.script("pods.sh", "printf 'www-0 10.0.0.1\\nwww-1 10.0.0.2\\n\\n'");
    let p = f.platform(&format!(
        "versions = \"{versions} {{env}}\"\nversion_regex = ':([^:@/]+)$'\ninstances = [\"{pods}\"]\npromote = \"true\"\nrollback = \"true\""
    ));
    let v = p.versions(&www()).await.unwrap();
    assert_eq!(v.source().as_str(), "9be77d");
    assert_eq!(v.live().as_str(), "3f2a1c");
    let caps = p.capabilities();
    assert!(caps.instances && !caps.config && caps.abort && !caps.lock);
    let found = p.instances(&www(), &Env::live()).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[1].id.as_str(), found[1].host.as_str()),
        ("www-1", "10.0.0.2")
    );
    assert!(matches!(
        p.config(&www(), &Env::live()).await,
        Err(PlatformError::Unsupported { .. })
    ));

    let json_versions = f.script(
        "jv.sh",
        "echo '{\"spec\":{\"image\":\"x\",\"version\":\"'\"$1\"'-7\"}}'",
    );
    let json_pods = f.script(
        "jp.sh",
        "echo '{\"items\":[{\"metadata\":{\"name\":\"www-a\"},\"status\":{\"podIP\":\"10.1.0.9\"}}]}'",
    );
    let config = f.script(
        "config.sh",
        "echo 'FEATURE_X=on'\necho 'DB_URL=postgres://db'",
    );
    let p = f.platform(&format!(
        "versions = [\"{json_versions}\", \"{{env}}\"]\nversion_pointer = \"/spec/version\"\n\
         instances = [\"{json_pods}\"]\ninstances_pointer = \"/items\"\ninstance_id_pointer = \"/metadata/name\"\ninstance_host_pointer = \"/status/podIP\"\n\
         config = [\"{config}\"]\npromote = \"true\"\nrollback = \"true\"\nenv_names = {{ live = \"production\" }}"
    ));
    let v = p.versions(&www()).await.unwrap();
    assert_eq!(v.live().as_str(), "production-7");
    assert_eq!(v.source().as_str(), "test-7");
    let found = p.instances(&www(), &Env::live()).await.unwrap();
    assert_eq!(
        (found[0].id.as_str(), found[0].host.as_str()),
        ("www-a", "10.1.0.9")
    );
    let c = p.config(&www(), &Env::live()).await.unwrap();
    assert_eq!(c.get("FEATURE_X").map(String::as_str), Some("on"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_output_is_a_clear_error_never_a_panic() {
    let f = Fixture::new();
    let cases = [
        ("empty", "true", "no version"),
        ("binary", "printf 'v\\377\\n'", "not UTF-8"),
        (
            "huge",
            "head -c 5000000 /dev/zero | tr '\\0' 'v'",
            "more than",
        ),
        ("lines", "printf 'a\\nb\\n'", "2 lines"),
        (
            "fails",
            "echo 'Unable to connect to the server' >&2; exit 1",
            "Unable to connect",
        ),
    ];
    for (name, body, expect) in cases {
        let script = f.script(&format!("{name}.sh"), body);
        let p = f.platform(&format!(
            "versions = [\"{script}\"]\npromote = \"true\"\nrollback = \"true\""
        ));
        let e = p.versions(&www()).await.unwrap_err().to_string();
        assert!(e.contains(expect), "{name}: {e}");
        assert!(e.contains("read www"), "{name}: {e}");
    }
    let slow = f.script("slow.sh", "sleep 30");
    let p = f.platform(&format!(
        "versions = [\"{slow}\"]\ntimeout_secs = 1\npromote = \"true\"\nrollback = \"true\""
    ));
    let t = Instant::now();
    let e = p.versions(&www()).await.unwrap_err();
    assert!(matches!(e, PlatformError::Timeout { secs: 1, .. }), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
    // A program that does not exist refuses the deployment: nothing started.
    let p = f.platform(
        "versions = \"true\"\npromote = \"/nonexistent/deploy {version}\"\nrollback = \"true\"",
    );
    let e = p.deploy(&request("v2")).await.unwrap_err();
    assert!(e.is_rejection(), "{e}");
    assert!(
        e.to_string().contains("cannot run /nonexistent/deploy"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_that_outlives_its_command_is_followed_with_status() {
    let f = Fixture::new();
    let state = f.path("state");
    std::fs::write(&state, "progressing 1 of 3 replicas\n").unwrap();
    let status = f.script("status.sh", &format!("cat '{}'", state.display()));
    let p = f.deployer(
        "\"true\"",
        &format!("status = [\"{status}\", \"{{stack}}\", \"{{env}}\", \"{{id}}\"]"),
    );
    // Interrupting a command that has already returned would stop nothing.
    assert!(!p.capabilities().abort);
    let started = p.deploy(&request("v2")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = p.deployment_status(&www(), &started.id).await.unwrap();
    assert_eq!(s.state, DeployState::Running, "{s:?}");
    assert_eq!(s.message.as_deref(), Some("1 of 3 replicas"));
    assert_eq!(
        p.versions(&www()).await.unwrap().in_flight.map(|f| f.id),
        Some(started.id.clone())
    );
    std::fs::write(&state, "succeeded\n").unwrap();
    let (s, _) = follow(p.as_ref(), &started.id, 10).await;
    assert_eq!(s.state, DeployState::Succeeded);

    // A deployment this process never started (a restart): the status command is asked.
    let unknown = DeploymentId::new("live-20990101-000000-abcd");
    let s = p.deployment_status(&www(), &unknown).await.unwrap();
    assert_eq!(s.state, DeployState::Succeeded);
    let out = p.deployment_output(&www(), &unknown, 0).await.unwrap();
    assert!(out.complete && out.lines[0].contains("another slipway process"));
}

#[tokio::test]
async fn template_mistakes_are_config_errors_naming_the_key() {
    let base = "[release]\nname = \"x\"\n\n[platform]\nkind = \"command\"\n";
    let stacks = "\n[[stacks]]\nid = \"www\"\n";
    let cases = [
        (
            "versions = \"get {stack}\"\npromote = \"deploy {stak}\"\nrollback = \"x\"",
            "platform.promote",
            "{stak}",
        ),
        (
            "versions = \"get {version}\"\npromote = \"x\"\nrollback = \"x\"",
            "platform.versions",
            "{version}",
        ),
        (
            "versions = \"get\"\npromote = \"x\"",
            "platform",
            "rollback",
        ),
        (
            "versions = \"get | head\"\npromote = \"x\"\nrollback = \"x\"",
            "platform.versions",
            "shell",
        ),
        (
            "versions = \"kubectl -o jsonpath={.x}\"\npromote = \"x\"\nrollback = \"x\"",
            "platform.versions",
            "'{{'",
        ),
        (
            "versions = \"x\"\npromote = \"x\"\nrollback = \"x\"\nstate_pointer = \"/s\"",
            "platform.state_pointer",
            "not configured",
        ),
        (
            "versions = \"x\"\npromote = \"x\"\nrollback = \"x\"\nenv_names = { prod = \"p\" }",
            "platform.env_names.prod",
            "release.environments",
        ),
    ];
    for (platform, key, expect) in cases {
        let text = format!("{base}{platform}\n{stacks}");
        let e = slipway::validation::parse_str(&text, Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(key) && e.contains(expect), "{platform}\n→ {e}");
    }
}

/// The engine drives the command platform like any other: a promotion runs the deploy
/// script, its output reaches the front end, and the board shows the stack live on the
/// new version (read back through the `versions` command).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_promotes_a_stack_through_commands() {
    use slipway::engine::release::Phase;
    use slipway::engine::{self, Command, Event};

    let f = Fixture::new();
    let envs = f.path("envs");
    std::fs::create_dir(&envs).unwrap();
    std::fs::write(envs.join("test"), "v2\n").unwrap();
    std::fs::write(envs.join("live"), "v1\n").unwrap();
    let versions = f.script("versions.sh", &format!("cat '{}/'\"$1\"", envs.display()));
    let deploy = f.script(
        "deploy.sh",
        &format!(
            "echo \"rolling out $2 to $1\"\nsleep 0.3\necho \"$2\" > '{}/'\"$1\"\necho done",
            envs.display()
        ),
    );
    let text = format!(
        "[release]\nname = \"cmd\"\nrefresh_secs = 3600\njournal = \"{}\"\n\n[platform]\nkind = \"command\"\npoll_ms = 50\nversions = [\"{versions}\", \"{{env}}\"]\npromote = [\"{deploy}\", \"{{env}}\", \"{{version}}\"]\nrollback = [\"{deploy}\", \"{{env}}\", \"{{version}}\"]\n\n[[stacks]]\nid = \"www\"\n",
        f.path("journal.jsonl").display()
    );
    let config = Arc::new(slipway::validation::parse_str(&text, Path::new("t.toml")).unwrap());
    let platform = platform::from_config(&config).unwrap();
    let (handle, mut events) = engine::start(config, platform);
    let until = async |events: &mut tokio::sync::mpsc::Receiver<Event>,
                       what: &str,
                       pick: &dyn Fn(&Event) -> bool| {
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(ev) = events.recv().await {
                if pick(&ev) {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(matches!(found, Ok(true)), "timed out waiting for {what}");
    };
    until(&mut events, "www pending", &|e| {
        matches!(e, Event::Board(b) if b.get(&www()).is_some_and(|s| s.phase == Phase::Pending))
    })
    .await;
    handle
        .send(Command::Promote {
            stack: www(),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await;
    until(&mut events, "the deploy output", &|e| {
        matches!(e, Event::DeployOutput { lines, .. } if lines.iter().any(|l| l == "rolling out v2 to live"))
    })
    .await;
    until(&mut events, "www live on v2", &|e| {
        matches!(e, Event::Board(b) if b.get(&www()).is_some_and(|s| {
            s.phase == Phase::Live
                && s.versions.as_ref().is_some_and(|v| v.live().as_str() == "v2")
        }))
    })
    .await;
    assert_eq!(std::fs::read_to_string(envs.join("live")).unwrap(), "v2\n");
}

/// The shipped Kubernetes example loads through the real config loader, and each of its
/// templates renders to exactly the argv kubectl should get.
#[test]
fn the_kubernetes_example_renders_the_exact_kubectl_commands() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/kubernetes.toml");
    let config = slipway::validation::load_file(&path).unwrap().config;
    let slipway::config::PlatformConfig::Command(cfg) = &config.platform else {
        panic!("a command platform: {:?}", config.platform)
    };
    let envs = config.release.environments();
    assert_eq!(envs, [Env::new("staging"), Env::new("production")]);
    let p = CommandPlatform::new(cfg.clone(), envs).unwrap();
    assert_eq!(p.describe(), "command kubectl");
    let caps = p.capabilities();
    assert!(caps.abort && caps.instances && caps.config && !caps.lock);
    let values = TemplateValues {
        stack: "shop-www",
        env: "production",
        version: "9be77d",
        previous: "3f2a1c",
        user: "alice",
        id: "production-20250101-120000-abcd",
    };
    kubernetes_reads_render_exactly(&p, &values);
    kubernetes_actions_render_exactly(&p, &values);
    // The display is what a dry run prints: pasted into a shell, the same argv.
    let versions = p.commands(Operation::Versions, &values).unwrap();
    assert_eq!(
        versions[0].display(),
        "kubectl get deployment shop-www -n production -o 'jsonpath={.spec.template.spec.containers[0].image}'"
    );
    // The versions read back are the image tags.
    let tag = regex::Regex::new(cfg.version_regex.as_deref().unwrap()).unwrap();
    assert_eq!(
        &tag.captures("registry.example.com/shop-www:9be77d")
            .unwrap()[1],
        "9be77d"
    );
    // The log source follows a pod's log with kubectl too.
    match &config.logs.source {
        Some(slipway::config::LogSourceConfig::Command { command, restart }) => {
            assert!(
                command.starts_with("kubectl logs -f") && *restart,
                "{command}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Each command of `op` as its argv, program first.
fn argv(p: &CommandPlatform, op: Operation, values: &TemplateValues) -> Vec<Vec<String>> {
    p.commands(op, values)
        .unwrap_or_default()
        .into_iter()
        .map(|c| std::iter::once(c.program).chain(c.args).collect())
        .collect()
}

fn words(s: &[&str]) -> Vec<String> {
    s.iter()
        .map(std::string::ToString::to_string)
        .collect::<Vec<_>>()
}

/// The Kubernetes example's reads: the image of the deployment, the running pods and
/// the config map; a rollout's status is read by the promote command itself.
fn kubernetes_reads_render_exactly(p: &CommandPlatform, values: &TemplateValues) {
    assert_eq!(
        argv(p, Operation::Versions, values),
        [words(&[
            "kubectl",
            "get",
            "deployment",
            "shop-www",
            "-n",
            "production",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])]
    );
    assert!(argv(p, Operation::Status, values).is_empty());
    assert_eq!(
        argv(p, Operation::Instances, values),
        [words(&[
            "kubectl",
            "get",
            "pods",
            "-n",
            "production",
            "-l",
            "app=shop-www",
            "--field-selector=status.phase=Running",
            "-o",
            "json",
        ])]
    );
    assert_eq!(
        argv(p, Operation::Config, values),
        [words(&[
            "kubectl",
            "get",
            "configmap",
            "shop-www-config",
            "-n",
            "production",
            "-o",
            "jsonpath={.data}",
        ])]
    );
}

/// The Kubernetes example's actions: promote and rollback note the change cause, set
/// the image and wait for the rollout; abort undoes the rollout.
fn kubernetes_actions_render_exactly(p: &CommandPlatform, values: &TemplateValues) {
    let set_image = words(&[
        "kubectl",
        "set",
        "image",
        "deployment/shop-www",
        "-n",
        "production",
        "shop-www=registry.example.com/shop-www:9be77d",
    ]);
    let rollout_status = words(&[
        "kubectl",
        "rollout",
        "status",
        "deployment/shop-www",
        "-n",
        "production",
        "--timeout=10m",
    ]);
    let annotate = |cause: &str| {
        words(&[
            "kubectl",
            "annotate",
            "deployment/shop-www",
            "-n",
            "production",
            "--overwrite",
            cause,
        ])
    };
    assert_eq!(
        argv(p, Operation::Promote, values),
        [
            annotate(
                "kubernetes.io/change-cause=slipway production-20250101-120000-abcd: alice promoted 9be77d (was 3f2a1c)"
            ),
            set_image.clone(),
            rollout_status.clone(),
        ]
    );
    assert_eq!(
        argv(p, Operation::Rollback, values),
        [
            annotate(
                "kubernetes.io/change-cause=slipway production-20250101-120000-abcd: alice rolled back to 9be77d"
            ),
            set_image,
            rollout_status,
        ]
    );
    assert_eq!(
        argv(p, Operation::Abort, values),
        [words(&[
            "kubectl",
            "rollout",
            "undo",
            "deployment/shop-www",
            "-n",
            "production"
        ])]
    );
}

/// `kill -9` of slipway leaves no cleanup to run: the deploy command still dies with it
/// (`PR_SET_PDEATHSIG`), instead of deploying on with nobody watching.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_command_dies_with_a_killed_slipway() {
    let f = Fixture::new();
    let pidfile = f.path("deploy.pid");
    let versions = f.script(
        "versions.sh",
        "case \"$1\" in test) echo v2 ;; *) echo v1 ;; esac",
    );
    // `exec`: the deploy command is slipway's own child, as kubectl is without a shell.
    let deploy = f.script(
        "deploy.sh",
        &format!("echo $$ > '{}'\nexec sleep 1000", pidfile.display()),
    );
    let config = f.path("slipway.toml");
    std::fs::write(
        &config,
        format!(
            "[release]\nname = \"cmd\"\njournal = \"{}\"\n\n[platform]\nkind = \"command\"\nversions = [\"{versions}\", \"{{env}}\"]\npromote = [\"{deploy}\"]\nrollback = [\"{deploy}\"]\n\n[[stacks]]\nid = \"www\"\n",
            f.path("journal.jsonl").display()
        ),
    )
    .unwrap();
    let mut slipway = std::process::Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args([
            "--config",
            &config.display().to_string(),
            "promote",
            "www",
            "--yes",
        ])
        .env("XDG_STATE_HOME", f.path("state"))
        .env("XDG_CACHE_HOME", f.path("cache"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deploying = read_pid(&pidfile).await;
    assert!(!gone(deploying));
    slipway.kill().unwrap();
    slipway.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(deploying) {
        assert!(
            Instant::now() < deadline,
            "the deploy command {deploying} outlived slipway"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A status command that keeps failing (the cluster unreachable) is retried, but it does
/// not keep the deployment open past its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_status_command_still_times_out() {
    let f = Fixture::new();
    let status = f.script("status.sh", "echo 'connection refused' >&2\nexit 1");
    let p = f.deployer(
        "\"true\"",
        &format!("status = [\"{status}\", \"{{id}}\"]\ndeploy_timeout_secs = 1"),
    );
    let started = p.deploy(&request("v2")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut errors = 0;
    loop {
        assert!(Instant::now() < deadline, "never timed out");
        match p.deployment_status(&www(), &started.id).await {
            Err(e) => {
                assert!(e.to_string().contains("connection refused"), "{e}");
                errors += 1;
            }
            Ok(s) if s.state.is_finished() => {
                assert_eq!(s.state, DeployState::Failed);
                assert_eq!(s.message.as_deref(), Some("timed out after 1s"));
                break;
            }
            Ok(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(errors > 0);
}
