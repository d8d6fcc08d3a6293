//! Child processes for the `command` and `ssh` sources.
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

/// Starts `program args…` with stdin closed and stdout/stderr piped.
pub(crate) fn spawn_group(program: &str, args: &[String]) -> io::Result<Spawned> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: the closure runs in the forked child before exec and only calls setsid(2),
    // which is async-signal-safe; it touches no memory shared with the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
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

impl GroupChild {
    /// Waits for the leader to exit, then kills whatever it left behind in its group
    /// (background jobs holding our pipes open). Done straight away, while the group id
    /// cannot have been reused.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await?;
        self.kill_group();
        Ok(status)
    }

    fn kill_group(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            // SAFETY: kill(2) with a negative pid signals a process group; no memory involved.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        // The leader has not been reaped (we never saw it exit), so the group id is still
        // ours. `kill_on_drop` then has tokio reap the leader.
        self.kill_group();
    }
}
