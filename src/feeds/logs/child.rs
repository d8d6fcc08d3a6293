//! Child processes in a process group of their own, for the `command` and `ssh` log
//! sources and for the platforms that run commands (`platform::exec`).
//!
//! Each child starts in a session of its own (`setsid`): it has no controlling terminal, so
//! nothing it runs can prompt on, or draw over, the dashboard's terminal, and its process
//! group id is its pid, so the whole group (`sh -c 'a | b'`, `kubectl` and its helpers)
//! can be killed at once. The group is killed when the [`GroupChild`] is dropped — which is
//! what happens when the source's task is aborted because its handle was dropped.

use std::io;
use std::process::{ExitStatus, Stdio};

use tokio::process::{Child, ChildStderr, ChildStdout, Command};

pub(crate) struct GroupChild {
    child: Child,
    /// Process group (= pid of the session leader); `None` once signalled after exit.
    pgid: Option<i32>,
}

pub(crate) struct Spawned {
    pub child: GroupChild,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

/// How a child is started beyond its argv.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpawnOptions<'a> {
    /// Added to the inherited environment.
    pub env: &'a [(String, String)],
    /// The child gets SIGKILL when slipway dies, even by `kill -9` (Linux only): see
    /// [`spawn_group_with`] for the trade-off.
    pub die_with_parent: bool,
}

/// Starts `program args…` with stdin closed and stdout/stderr piped.
pub(crate) fn spawn_group(program: &str, args: &[String]) -> io::Result<Spawned> {
    spawn_group_with(program, args, &SpawnOptions::default())
}

/// [`spawn_group`] with options.
///
/// `die_with_parent` sets `PR_SET_PDEATHSIG` to SIGKILL in the child. The trade-off: a
/// deploy command never outlives the slipway that started it, even one killed with
/// `kill -9` (a `kill_on_drop` or a group kill on exit cannot run then) — but neither can
/// a deliberately long rollout survive a crash or a closed ssh session; the platform's
/// `status` command is there to follow such a rollout after a restart. The signal fires
/// when the *thread* that forked the child exits, not only the process: callers spawn from
/// async tasks on the runtime's worker threads, which live as long as the runtime (slipway
/// never uses `block_in_place`, which could retire a worker thread early).
pub(crate) fn spawn_group_with(
    program: &str,
    args: &[String],
    opts: &SpawnOptions<'_>,
) -> io::Result<Spawned> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(opts.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let die_with_parent = opts.die_with_parent;
    // Read before forking: the child compares it with its parent after prctl, in case
    // slipway died in between (the death signal would then never come).
    // SAFETY: getpid(2) has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and only calls setsid(2),
    // prctl(2) and getppid(2), which are async-signal-safe; it touches no memory shared
    // with the parent (`parent` and `die_with_parent` are copies).
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            if die_with_parent {
                set_parent_death_signal(parent)?;
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok());
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(io::Error::other("child has no stdout/stderr pipes"));
    };
    Ok(Spawned {
        child: GroupChild { child, pgid },
        stdout,
        stderr,
    })
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_parent_death_signal(parent: libc::pid_t) -> io::Result<()> {
    // SAFETY: prctl(2) with PR_SET_PDEATHSIG takes a signal number; getppid(2) has no
    // preconditions. Both are async-signal-safe.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
            return Err(io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            return Err(io::Error::other(
                "slipway exited while starting the command",
            ));
        }
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_parent_death_signal(_parent: libc::pid_t) -> io::Result<()> {
    // No equivalent: the group is still killed on drop and on exit.
    Ok(())
}

impl GroupChild {
    /// Waits for the leader to exit, then kills whatever it left behind in its group
    /// (background jobs holding our pipes open). Done straight away, while the group id
    /// cannot have been reused. Cancel-safe: dropping the future changes nothing.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await?;
        self.kill_group();
        Ok(status)
    }

    /// Sends `signal` to the whole group; nothing once the leader has been reaped (its
    /// group id could belong to someone else by then).
    pub(crate) fn signal(&self, signal: i32) {
        if let Some(pgid) = self.pgid {
            // SAFETY: kill(2) with a negative pid signals a process group; no memory involved.
            unsafe {
                libc::kill(-pgid, signal);
            }
        }
    }

    /// Kills the whole group now (SIGKILL).
    pub(crate) fn kill_group(&mut self) {
        self.signal(libc::SIGKILL);
        self.pgid = None;
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        // The leader has not been reaped (we never saw it exit), so the group id is still
        // ours. `kill_on_drop` then has tokio reap the leader.
        self.kill_group();
    }
}
