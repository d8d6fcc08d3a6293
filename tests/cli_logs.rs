//! `slipway logs` as a user runs it: the real binary against a config whose `file` or
//! `command` source is a temp file or a real process, and against `slipway demo --serve`
//! running as a child process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn slipway(state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slipway"));
    c.env("XDG_STATE_HOME", state).env_remove("NO_COLOR");
    c
}

/// Runs `slipway -c CONFIG logs ARGS…` to the end: (exit code, stdout, stderr).
fn logs(config: &Path, args: &[&str]) -> (i32, String, String) {
    let state = config.parent().unwrap().join("state");
    let out = slipway(&state)
        .arg("-c")
        .arg(config)
        .arg("logs")
        .args(args)
        .output()
        .expect("slipway runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config with one stack whose two instances are named in config, read by `source`.
/// The platform is never asked anything this command needs (nothing listens there).
fn config(dir: &Path, source: &str) -> PathBuf {
    let path = dir.join("slipway.toml");
    let text = format!(
        r#"[release]
name = "test"

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"

[[stacks]]
id = "sally"
name = "Sally"
instances = [{{ id = "sally-0a1b", host = "10.0.0.1" }}, {{ id = "sally-9f8e", host = "10.0.0.2" }}]

[logs]
source = {source}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn file_config(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    config(
        dir,
        &format!(
            "{{ kind = \"file\", path = \"{}/{{instance}}.log\" }}",
            logs.display()
        ),
    )
}

const LOG: &str = "\
12:00:01 INFO  GET / -> 200
12:00:02 ERROR upstream timeout origin=ares
12:00:03 INFO  GET /news -> 200
12:00:04 WARN  slow origin
12:00:05 INFO  GET /sport -> 200
12:00:06 ERROR pool exhausted
12:00:07 INFO  GET /weather -> 200
";

#[test]
fn n_prints_the_last_lines_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_config(dir.path());
    std::fs::write(dir.path().join("logs/sally-0a1b.log"), LOG).unwrap();
    let (code, out, err) = logs(&cfg, &["sally", "-n", "5"]);
    assert_eq!(code, 0, "{err}");
    let expected: Vec<&str> = LOG.lines().skip(2).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    // The stack by its display name, any case; the second instance by id.
    std::fs::write(dir.path().join("logs/sally-9f8e.log"), "only line\n").unwrap();
    let (code, out, _) = logs(&cfg, &["SALLY", "--instance", "sally-9f8e"]);
    assert_eq!((code, out.as_str()), (0, "only line\n"));
}

#[test]
fn grep_filters_by_substring_or_regex() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_config(dir.path());
    std::fs::write(dir.path().join("logs/sally-0a1b.log"), LOG).unwrap();
    let (code, out, _) = logs(&cfg, &["sally", "--grep", "ERROR"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "12:00:02 ERROR upstream timeout origin=ares\n12:00:06 ERROR pool exhausted\n"
    );
    // Smart case: lower case matches any case.
    let (_, out, _) = logs(&cfg, &["sally", "--grep", "warn"]);
    assert_eq!(out, "12:00:04 WARN  slow origin\n");
    let (_, out, _) = logs(&cfg, &["sally", "--grep", "/GET /(news|sport)/"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    // With --grep, -n counts matching lines (like grep | tail -n): the last N matches,
    // however far back they are.
    let (_, out, _) = logs(&cfg, &["sally", "-n", "1", "--grep", "ERROR"]);
    assert_eq!(out, "12:00:06 ERROR pool exhausted\n");
    let (_, out, _) = logs(&cfg, &["sally", "-n", "3", "--grep", "/GET|ERROR/"]);
    assert_eq!(
        out,
        "12:00:05 INFO  GET /sport -> 200\n12:00:06 ERROR pool exhausted\n12:00:07 INFO  GET /weather -> 200\n"
    );
    let (_, out, _) = logs(&cfg, &["sally", "-n", "2", "--grep", "ERROR"]);
    assert_eq!(
        out,
        "12:00:02 ERROR upstream timeout origin=ares\n12:00:06 ERROR pool exhausted\n"
    );
    let (code, _, err) = logs(&cfg, &["sally", "--grep", "/(oops/"]);
    assert_eq!(code, 2);
    assert!(err.contains("--grep: invalid regex"), "{err}");
}

#[test]
fn escape_sequences_are_not_printed_to_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_config(dir.path());
    let nasty = b"plain\n\
        \x1b[31mERROR\x1b[0m coloured\n\
        title \x1b]0;pwned\x07set\x1b[2J\x1b[H cleared\n\
        paste \x1b[200~evil\x1b[201~ end\n\
        c1 \xc2\x9b31m and invalid \xff\xfe bytes\n\
        progress  10%\rprogress 100%\n";
    std::fs::write(dir.path().join("logs/sally-0a1b.log"), nasty).unwrap();
    let out = slipway(&dir.path().join("state"))
        .arg("-c")
        .arg(&cfg)
        .args(["logs", "sally"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !out.stdout
            .iter()
            .any(|&b| b == 0x1b || b == 0x07 || b == b'\r'),
        "raw control bytes in {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8(out.stdout).expect("valid UTF-8 out");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "plain");
    assert_eq!(lines[1], "ERROR coloured");
    assert_eq!(lines[2], "title set cleared");
    assert_eq!(lines[3], "paste evil end");
    assert!(
        lines[4].starts_with("c1 ") && lines[4].contains('\u{fffd}'),
        "{lines:?}"
    );
    assert_eq!(
        lines[5], "progress 100%",
        "the last state of a \\r progress line"
    );
}

#[test]
fn a_missing_file_instance_or_stack_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_config(dir.path());
    let (code, out, err) = logs(&cfg, &["sally"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(
        err.contains("sally-0a1b:") && err.contains("sally-0a1b.log does not exist"),
        "{err}"
    );

    let (code, _, err) = logs(&cfg, &["sally", "--instance", "sally-zzzz"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no instance 'sally-zzzz' in sally (live instances: sally-0a1b, sally-9f8e)"),
        "{err}"
    );

    let (code, _, err) = logs(&cfg, &["bruce"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no stack 'bruce'") && err.contains("stacks: sally"),
        "{err}"
    );

    let bare = dir.path().join("bare.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&bare, &text[..text.find("[logs]").unwrap()]).unwrap();
    let (code, _, err) = logs(&bare, &["sally"]);
    assert_eq!(code, 2);
    assert!(err.contains("no log source"), "{err}");
}

#[test]
fn a_command_source_passes_its_exit_code_through() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        r#"{ kind = "command", command = "echo from {instance}; exit 3" }"#,
    );
    let (code, out, _) = logs(&cfg, &["sally"]);
    assert_eq!((code, out.as_str()), (3, "from sally-0a1b\n"));
}

/// Kills the child when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads stdout lines on a thread, so a test can wait for one with a deadline.
fn line_reader(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_line(rx: &std::sync::mpsc::Receiver<String>, what: &str) -> String {
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("no line: {what}"))
}

#[test]
fn follow_prints_appended_lines_across_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_config(dir.path());
    let path = dir.path().join("logs/sally-0a1b.log");
    std::fs::write(&path, "old 1\nold 2\n").unwrap();
    let mut child = Killed(
        slipway(&dir.path().join("state"))
            .arg("-c")
            .arg(&cfg)
            .args(["logs", "sally", "-f", "-n", "1", "--grep", "/old 2|new/"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rx = line_reader(&mut child.0);
    assert_eq!(next_line(&rx, "history"), "old 2");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(f, "skipped\nnew 1").unwrap();
    assert_eq!(next_line(&rx, "an appended line"), "new 1");
    // logrotate: rename, then a new file.
    std::fs::rename(&path, path.with_extension("log.1")).unwrap();
    std::fs::write(&path, "new 2\n").unwrap();
    assert_eq!(next_line(&rx, "a line of the new file"), "new 2");
    assert!(child.0.try_wait().unwrap().is_none(), "still following");
}

#[test]
fn sigterm_stops_the_source_process_too() {
    let dir = tempfile::tempdir().unwrap();
    // The shell prints its pid, then becomes a long sleep in the source's process group.
    let cfg = config(
        dir.path(),
        r#"{ kind = "command", command = "echo $$; exec sleep 600" }"#,
    );
    let mut child = Killed(
        slipway(&dir.path().join("state"))
            .arg("-c")
            .arg(&cfg)
            .args(["logs", "sally", "-f"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rx = line_reader(&mut child.0);
    let pid: u32 = next_line(&rx, "the source's pid").trim().parse().unwrap();
    let proc = PathBuf::from(format!("/proc/{pid}"));
    assert!(proc.exists());
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s.code();
        }
        assert!(Instant::now() < deadline, "slipway did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(143));
    // The sleep went with it (a zombie until reaped by init counts as gone).
    let deadline = Instant::now() + Duration::from_secs(5);
    while proc.exists() && !is_zombie(&proc) {
        assert!(
            Instant::now() < deadline,
            "the source's process outlived slipway"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_zombie(proc: &Path) -> bool {
    std::fs::read_to_string(proc.join("stat")).map_or(true, |s| {
        s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

// ---- against the demo environment, run as a separate process --------------------------

struct Demo {
    _child: Killed,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.toml");
    let mut child = Killed(
        slipway(&dir.path().join("state"))
            .args(["demo", "--serve", "--write-config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rx = line_reader(&mut child.0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut log_dir = None;
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.starts_with("Press Ctrl-C") => break,
            Ok(line) => {
                if let Some(dir) = line.trim().strip_prefix("logs") {
                    log_dir = Some(PathBuf::from(dir.trim()));
                }
            }
            Err(_) => panic!("the demo did not start"),
        }
        assert!(Instant::now() < deadline, "the demo did not start");
    }
    // Its log files are written just after it says it runs.
    let log_dir = log_dir.expect("the demo names its log directory");
    while !std::fs::read_dir(&log_dir).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("sally-"))
    }) {
        assert!(
            Instant::now() < deadline,
            "no log files in {}",
            log_dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Demo {
        _child: child,
        config,
        _dir: dir,
    }
}

#[test]
fn against_the_running_demo() {
    let d = demo();
    let (code, out, err) = logs(&d.config, &["sally", "-n", "5"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines.iter().all(|l| l.contains("20")), "timestamps: {out}");

    let (code, out, _) = logs(&d.config, &["sally", "-n", "2000", "--grep", "ERROR"]);
    assert_eq!(code, 0);
    assert!(out.lines().all(|l| l.contains("ERROR")), "{out}");

    // Instances come from the platform: a wrong one is named with the real ones.
    let (code, _, err) = logs(&d.config, &["sally", "--instance", "sally-nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no instance 'sally-nope' in sally (live instances: sally-"),
        "{err}"
    );
    // And one of those works.
    let id = err
        .split("live instances: ")
        .nth(1)
        .and_then(|l| l.split([',', ')']).next())
        .unwrap()
        .trim()
        .to_string();
    let (code, out, _) = logs(&d.config, &["sally", "-i", &id, "-n", "3"]);
    assert_eq!((code, out.lines().count()), (0, 3), "{id}");
}
