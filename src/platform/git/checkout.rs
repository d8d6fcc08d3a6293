//! slipway's own working clone of the environment repository: cloned on first use,
//! fetched at most every `fetch_interval_secs` while versions are read, and changed by one
//! task at a time (a mutex in this process, a file lock between processes sharing it).
//! Versions are read from the fetched remote branch, never from the working tree.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::run::{GitRunner, Ran, RunError};
use crate::platform::PlatformError;

/// The largest environment file read (a values file is a few KiB).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Local git commands (commit, log, rebase) take moments; this only stops a hang.
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Checkout {
    pub git: GitRunner,
    pub remote: String,
    pub branch: String,
    pub net_timeout: Duration,
    fetch_interval: Duration,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
pub struct State {
    cloned: bool,
    /// When the last fetch was tried and how it went (a failure is remembered for the
    /// interval too, so an unreachable remote is not asked on every refresh).
    last_fetch: Option<(Instant, Result<(), PlatformError>)>,
    /// A clone that failed is not tried again before the interval either.
    clone_failed: Option<(Instant, PlatformError)>,
}

/// Exclusive use of the clone: held while it changes.
pub struct Busy<'a> {
    state: tokio::sync::MutexGuard<'a, State>,
    _file: FileLock,
}

/// A commit as named in messages: `1a2b3c4 alice <alice@example.com> "subject"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub hash: String,
    pub author: String,
    pub subject: String,
}

impl CommitInfo {
    pub fn describe(&self) -> String {
        format!(
            "{} by {} \"{}\"",
            self.hash.get(..7).unwrap_or(&self.hash),
            self.author,
            self.subject
        )
    }
}

impl Checkout {
    pub fn new(
        git: GitRunner,
        remote: String,
        branch: String,
        net_timeout: Duration,
        fetch_interval: Duration,
    ) -> Checkout {
        Checkout {
            git,
            remote,
            branch,
            net_timeout,
            fetch_interval,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.git.dir
    }

    /// `refs/remotes/origin/<branch>`: what the remote had at the last fetch.
    pub fn remote_ref(&self) -> String {
        format!("refs/remotes/origin/{}", self.branch)
    }

    /// Exclusive use of the clone, cloning it first if needed.
    pub async fn busy(&self, action: &str) -> Result<Busy<'_>, PlatformError> {
        let state = self.state.lock().await;
        let file = FileLock::take(&lock_path(self.dir()), self.net_timeout * 2)
            .await
            .map_err(|detail| PlatformError::Conflict {
                action: action.into(),
                detail,
            })?;
        let mut busy = Busy { state, _file: file };
        if !busy.state.cloned {
            if let Some((at, e)) = &busy.state.clone_failed
                && at.elapsed() < self.fetch_interval
            {
                return Err(for_action(e.clone(), action));
            }
            match self.clone_once(action).await {
                Err(e) => {
                    busy.state.clone_failed = Some((Instant::now(), e.clone()));
                    return Err(e);
                }
                // A fresh clone has just fetched.
                Ok(true) => busy.state.last_fetch = Some((Instant::now(), Ok(()))),
                Ok(false) => {}
            }
            busy.state.cloned = true;
        }
        Ok(busy)
    }

    /// Fetches the branch unless that was tried less than the interval ago (`force`
    /// fetches anyway: a promotion decides on what the remote has now).
    pub async fn fetch(
        &self,
        busy: &mut Busy<'_>,
        action: &str,
        force: bool,
    ) -> Result<(), PlatformError> {
        if !force
            && let Some((at, result)) = &busy.state.last_fetch
            && at.elapsed() < self.fetch_interval
        {
            return result.clone().map_err(|e| for_action(e, action));
        }
        let refspec = format!("+refs/heads/{0}:refs/remotes/origin/{0}", self.branch);
        let ran = self
            .git
            .run(
                &["fetch", "--quiet", "--no-tags", "origin", &refspec],
                self.net_timeout,
            )
            .await;
        let result = network(action, ran).map(|_| ());
        busy.state.last_fetch = Some((Instant::now(), result.clone()));
        result
    }

    /// Clones the remote into the checkout directory (`true`), or adopts a clone already
    /// there (`false`).
    async fn clone_once(&self, action: &str) -> Result<bool, PlatformError> {
        self.git.settle_ssh().await;
        let dir = self.dir();
        if dir.join(".git").exists() {
            let ran = self
                .git
                .run(&["remote", "get-url", "origin"], LOCAL_TIMEOUT)
                .await;
            let url = local(action, ran)?;
            if url.stdout.trim() != self.remote {
                // The config names another remote now: follow the config.
                let ran = self
                    .git
                    .run(
                        &["remote", "set-url", "origin", &self.remote],
                        LOCAL_TIMEOUT,
                    )
                    .await;
                local(action, ran)?;
            }
            return Ok(false);
        }
        let not_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
        if not_empty {
            return Err(PlatformError::Config(format!(
                "the checkout directory {} is not empty and is not a git clone; point `checkout` at an empty or missing directory",
                dir.display()
            )));
        }
        let parent = dir.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(parent).map_err(|e| {
            PlatformError::Config(format!("cannot create {}: {e}", parent.display()))
        })?;
        let dir_text = dir.to_string_lossy();
        let ran = self
            .git
            .run_in(
                parent,
                &[
                    "clone",
                    "--quiet",
                    "--no-tags",
                    "--single-branch",
                    "--branch",
                    &self.branch,
                    "--",
                    &self.remote,
                    &dir_text,
                ],
                &[],
                self.net_timeout,
            )
            .await;
        network(action, ran).map(|_| true)
    }

    /// The file at `path` on the fetched remote branch; `None` when it is not there.
    pub async fn read_remote(
        &self,
        action: &str,
        path: &str,
    ) -> Result<Option<String>, PlatformError> {
        let dir = self.dir().to_path_buf();
        let rev = self.remote_ref();
        let path = path.to_string();
        let action_owned = action.to_string();
        tokio::task::spawn_blocking(move || read_blob(&dir, &rev, &path))
            .await
            .map_err(|e| PlatformError::BadResponse {
                action: action_owned,
                detail: format!("reading the clone failed: {e}"),
            })?
            .map_err(|detail| PlatformError::BadResponse {
                action: action.into(),
                detail,
            })
    }

    /// The commits in `range` that touched `path`, newest first (at most `max`).
    pub async fn commits_touching(
        &self,
        action: &str,
        range: &str,
        path: &str,
        max: usize,
    ) -> Result<Vec<CommitInfo>, PlatformError> {
        let max = format!("--max-count={max}");
        let ran = self
            .git
            .run(
                &[
                    "log",
                    &max,
                    "--format=%H%x1f%an <%ae>%x1f%s",
                    range,
                    "--",
                    path,
                ],
                LOCAL_TIMEOUT,
            )
            .await;
        let ran = local(action, ran)?;
        Ok(ran
            .stdout
            .lines()
            .filter_map(|line| {
                let mut parts = line.splitn(3, '\u{1f}');
                Some(CommitInfo {
                    hash: parts.next()?.to_string(),
                    author: crate::text::one_line(parts.next()?, 120),
                    subject: crate::text::one_line(parts.next()?, 160),
                })
            })
            .collect())
    }
}

fn read_blob(dir: &Path, rev: &str, path: &str) -> Result<Option<String>, String> {
    let repo = git2::Repository::open(dir)
        .map_err(|e| format!("cannot open the clone {}: {}", dir.display(), e.message()))?;
    let tree = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| format!("the clone has no {rev}: {}", e.message()))?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(entry) => entry,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(format!("{path}: {}", e.message())),
    };
    let odb = repo.odb().map_err(|e| e.message().to_string())?;
    let (size, kind) = odb
        .read_header(entry.id())
        .map_err(|e| format!("{path}: {}", e.message()))?;
    if kind != git2::ObjectType::Blob {
        return Err(format!("{path} is a directory, not a file"));
    }
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{path} is {size} bytes; environment files are read up to {MAX_FILE_BYTES}"
        ));
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| format!("{path}: {}", e.message()))?;
    String::from_utf8(blob.content().to_vec())
        .map(Some)
        .map_err(|_| format!("{path} is not UTF-8 text"))
}

/// A git run that talks to the remote: a failure means it could not be reached (or
/// refused us), so nothing changed.
pub fn network(action: &str, ran: Result<Ran, RunError>) -> Result<Ran, PlatformError> {
    match ran {
        Ok(r) if r.success => Ok(r),
        Ok(r) => Err(PlatformError::Unreachable {
            action: action.into(),
            detail: r.complaint(),
        }),
        Err(e) => Err(run_error(action, e)),
    }
}

/// A git run on the clone alone.
pub fn local(action: &str, ran: Result<Ran, RunError>) -> Result<Ran, PlatformError> {
    match ran {
        Ok(r) if r.success => Ok(r),
        Ok(r) => Err(PlatformError::BadResponse {
            action: action.into(),
            detail: format!("git: {}", r.complaint()),
        }),
        Err(e) => Err(run_error(action, e)),
    }
}

/// A remembered failure, told about the action asking now.
fn for_action(e: PlatformError, action: &str) -> PlatformError {
    let action = action.to_string();
    match e {
        PlatformError::Unreachable { detail, .. } => PlatformError::Unreachable { action, detail },
        PlatformError::Timeout { secs, .. } => PlatformError::Timeout { action, secs },
        PlatformError::BadResponse { detail, .. } => PlatformError::BadResponse { action, detail },
        other => other,
    }
}

pub fn run_error(action: &str, e: RunError) -> PlatformError {
    match e {
        RunError::Spawn(detail) => PlatformError::Config(detail),
        RunError::TimedOut(secs) => PlatformError::Timeout {
            action: action.into(),
            secs,
        },
    }
}

/// `<checkout>.clone-lock`, beside the clone (which may not exist yet); a name of its own
/// so that it never meets a release lock file (`<journal>.lock`) put beside it.
fn lock_path(dir: &Path) -> PathBuf {
    let mut name = dir
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".clone-lock");
    dir.with_file_name(name)
}

/// An exclusive `flock` on a file: two slipway processes sharing a clone take turns.
/// Released when dropped (closing the file releases the lock, also if the process dies).
struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    async fn take(path: &Path, wait: Duration) -> Result<FileLock, String> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let started = Instant::now();
        loop {
            use std::os::fd::AsRawFd;
            // SAFETY: flock(2) on a descriptor this function owns; no memory involved.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc == 0 {
                return Ok(FileLock { _file: file });
            }
            if started.elapsed() >= wait {
                return Err(format!(
                    "another slipway process has held {} for {}s",
                    path.display(),
                    wait.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
