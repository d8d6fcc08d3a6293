//! Running the system `git`: the user's credentials, ssh config, signing and hooks apply.
//! Every run has a timeout (the whole process group is killed at it), never prompts (no
//! terminal to answer in), and keeps a bounded amount of what git prints.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// What one git run may print that is kept (each of stdout and stderr).
const MAX_OUTPUT: usize = 1024 * 1024;

/// What a finished git run printed.
#[derive(Debug, Clone, Default)]
pub struct Ran {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The last lines of stderr (else stdout), for a message.
    pub fn complaint(&self) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        // git's advice after a failed connection says nothing the first line did not.
        let boilerplate = [
            "Please make sure you have the correct access rights",
            "and the repository exists.",
        ];
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
            .filter(|l| !boilerplate.iter().any(|b| l.starts_with(b)))
            .collect();
        let tail = &lines[lines.len().saturating_sub(3)..];
        crate::text::one_line(&strip_credentials(&tail.join("; ")), 400)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// git could not be started at all.
    Spawn(String),
    TimedOut(u64),
}

/// How git is run for one checkout.
#[derive(Debug, Clone)]
pub struct GitRunner {
    pub dir: PathBuf,
    /// `user.name`, `user.email` for commits, when configured.
    identity: Option<(String, String)>,
    /// Settled once (`settle_ssh`) before git first talks to the remote.
    ssh_command: std::sync::OnceLock<Option<String>>,
}

impl GitRunner {
    pub fn new(dir: PathBuf, identity: Option<(String, String)>) -> GitRunner {
        GitRunner {
            dir,
            identity,
            ssh_command: std::sync::OnceLock::new(),
        }
    }

    /// Works out the ssh command once: the user's (`GIT_SSH_COMMAND`, `core.sshCommand`)
    /// with `BatchMode=yes` added.
    pub async fn settle_ssh(&self) {
        if self.ssh_command.get().is_some() {
            return;
        }
        let configured = self
            .run_in(
                &std::env::temp_dir(),
                &["config", "--get", "core.sshCommand"],
                &[],
                Duration::from_secs(10),
            )
            .await
            .ok()
            .filter(|r| r.success)
            .map(|r| r.stdout.trim().to_string())
            .filter(|s| !s.is_empty());
        let _ = self.ssh_command.set(batch_ssh_command(configured));
    }

    /// `git args…` in the checkout.
    pub async fn run(&self, args: &[&str], timeout: Duration) -> Result<Ran, RunError> {
        self.run_in(&self.dir, args, &[], timeout).await
    }

    /// `git args…` with extra environment (a lock commit's author).
    pub async fn run_env(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Ran, RunError> {
        self.run_in(&self.dir, args, env, timeout).await
    }

    /// `git args…` in `cwd` (a clone is made from the checkout's parent).
    pub async fn run_in(
        &self,
        cwd: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Ran, RunError> {
        let mut cmd = Command::new("git");
        if let Some((name, email)) = &self.identity {
            cmd.arg("-c")
                .arg(format!("user.name={name}"))
                .arg("-c")
                .arg(format!("user.email={email}"));
        }
        cmd.args(args)
            .current_dir(cwd)
            // Nobody is there to type a password: fail instead of waiting for one.
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never")
            .env("GIT_EDITOR", "true")
            // Messages are matched (push results), so they must be git's own words.
            .env("LC_ALL", "C")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: ssh and the remote helpers die with git at a timeout.
            .process_group(0);
        if let Some(Some(ssh)) = self.ssh_command.get() {
            cmd.env("GIT_SSH_COMMAND", ssh);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| RunError::Spawn(format!("cannot run git: {e}")))?;
        let pgid = child.id().and_then(|id| i32::try_from(id).ok());
        let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(RunError::Spawn("git started without output pipes".into()));
        };
        let work = async {
            let (stdout, stderr, status) =
                tokio::join!(read_capped(out), read_capped(err), child.wait());
            (stdout, stderr, status)
        };
        match tokio::time::timeout(timeout, work).await {
            Ok((stdout, stderr, status)) => {
                let status = status.map_err(|e| RunError::Spawn(format!("git: {e}")))?;
                Ok(Ran {
                    success: status.success(),
                    stdout,
                    stderr,
                })
            }
            Err(_) => {
                if let Some(pgid) = pgid {
                    // SAFETY: kill(2) on the process group git leads; no memory involved.
                    unsafe {
                        libc::kill(-pgid, libc::SIGKILL);
                    }
                }
                Err(RunError::TimedOut(timeout.as_secs()))
            }
        }
    }
}

/// Reads a pipe to its end, keeping at most `MAX_OUTPUT` bytes (the rest is read and
/// dropped, so git never blocks on a full pipe).
async fn read_capped(mut pipe: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// The ssh command git should use, with `BatchMode=yes` added so ssh never asks for a
/// passphrase or a host key confirmation: the user's own `GIT_SSH_COMMAND`, else their
/// `core.sshCommand`, else plain `ssh` (which reads ~/.ssh/config). `None` leaves a
/// `GIT_SSH` program alone (it takes no options).
fn batch_ssh_command(configured: Option<String>) -> Option<String> {
    let own = std::env::var("GIT_SSH_COMMAND")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or(configured);
    if let Some(own) = own {
        return Some(format!("{own} -o BatchMode=yes"));
    }
    if std::env::var_os("GIT_SSH").is_some() {
        return None;
    }
    Some("ssh -o BatchMode=yes".into())
}

/// `https://user:token@host/x` → `https://host/x`: git's messages may repeat the remote
/// URL, and its credentials must not reach the screen or the journal.
pub fn strip_credentials(text: &str) -> String {
    static USERINFO: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(://)[^/@\s]+@").ok());
    match USERINFO.as_ref() {
        Some(re) => re.replace_all(text, "$1").into_owned(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped_from_urls() {
        assert_eq!(
            strip_credentials("To https://bot:s3cret@git.example.com/envs.git"),
            "To https://git.example.com/envs.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:acme/envs.git"),
            "git@github.com:acme/envs.git"
        );
    }

    #[tokio::test]
    async fn a_run_is_bounded_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let git = GitRunner::new(dir.path().to_path_buf(), None);
        let ran = git
            .run(&["--version"], Duration::from_secs(10))
            .await
            .unwrap();
        assert!(ran.success && ran.stdout.starts_with("git version"));
        let ran = git
            .run(&["rev-parse", "HEAD"], Duration::from_secs(10))
            .await
            .unwrap();
        assert!(!ran.success);
        assert!(ran.complaint().contains("not a git repository"), "{ran:?}");
    }
}
