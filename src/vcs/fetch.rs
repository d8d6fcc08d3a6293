//! Getting history: cloning a configured URL into the cache directory and fetching on
//! demand, with the system `git` (so credentials, ssh config and proxies just work).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

/// Where a URL's clone lives: `$XDG_CACHE_HOME/slipway/repos/<url made safe>.git`.
pub fn cache_path(url: &str) -> PathBuf {
    let safe: String = url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("slipway")
        .join("repos")
        .join(format!("{safe}.git"))
}

/// Runs git with a timeout; never prompts (no terminal to answer in).
async fn git(args: &[&str], cwd: Option<&Path>, timeout: Duration) -> Result<(), String> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = tokio::time::timeout(timeout, cmd.output())
        .await
        .map_err(|_| {
            format!(
                "git {} took longer than {}s",
                args.join(" "),
                timeout.as_secs()
            )
        })?
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "git {} failed: {}",
            args[0],
            crate::text::one_line(&err, 300)
        ))
    }
}

/// Clones `url` bare into `dest` unless it is already there.
pub async fn ensure_clone(url: &str, dest: &Path, timeout: Duration) -> Result<(), String> {
    if dest.join("HEAD").exists() {
        return Ok(());
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let dest_s = dest.to_string_lossy().to_string();
    git(&["clone", "--bare", "--quiet", url, &dest_s], None, timeout).await
}

/// Brings branches and tags up to date: in a bare cache clone, straight into its refs;
/// in a user's clone, into its remote-tracking refs (their branches are left alone).
pub async fn fetch(repo: &Path, timeout: Duration) -> Result<(), String> {
    let bare = git2::Repository::open(repo).is_ok_and(|r| r.is_bare());
    if bare {
        git(
            &[
                "fetch",
                "--quiet",
                "--prune",
                "--tags",
                "origin",
                "+refs/heads/*:refs/heads/*",
            ],
            Some(repo),
            timeout,
        )
        .await
    } else {
        git(
            &["fetch", "--quiet", "--all", "--prune", "--tags"],
            Some(repo),
            timeout,
        )
        .await
    }
}
