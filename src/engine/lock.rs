//! The release lock: a file beside the journal, created exclusively, naming who holds it
//! (user, host, pid), for what and since when. Whoever holds it may change live; everyone
//! else is refused with that sentence. A holder that died on this host is taken over; a
//! holder elsewhere can only be displaced on purpose (`--steal-lock --reason`).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Local, Utc};

/// Who holds the lock, as written in the file (and sent to a platform that holds one).
pub use crate::model::LockHolder as Holder;

impl Holder {
    /// This process, doing `action`.
    pub fn me(action: impl Into<String>) -> Holder {
        Holder {
            user: crate::journal::os_user(),
            host: crate::journal::host_name(),
            pid: std::process::id(),
            action: action.into(),
            since: Utc::now(),
        }
    }

    pub fn is_me(&self) -> bool {
        self.pid == std::process::id() && self.host == crate::journal::host_name()
    }

    /// `alice@web-3 · promoting Sally · since 10:02`.
    pub fn describe(&self) -> String {
        format!(
            "{}@{} · {} · since {}",
            self.user,
            self.host,
            self.action,
            self.since.with_timezone(&Local).format("%H:%M")
        )
    }

    /// Dead when it ran on this host and its pid is gone.
    pub fn is_dead_here(&self) -> bool {
        if self.host != crate::journal::host_name() {
            return false;
        }
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return true;
        };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let rc = unsafe { libc::kill(pid, 0) };
        rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
}

/// What taking the lock gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Fresh,
    /// The previous holder had died on this host; its lock was taken over.
    TakenOver(Holder),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockError {
    Held(Holder),
    Io(String),
}

/// The lock of one release.
#[derive(Debug, Clone)]
pub struct ReleaseLock {
    path: PathBuf,
}

impl ReleaseLock {
    /// `<journal without .jsonl>.lock`, beside the journal.
    pub fn beside(journal: &Path) -> ReleaseLock {
        ReleaseLock {
            path: journal.with_extension("lock"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The holder now, if any (an unreadable file counts as held by nobody known).
    pub fn holder(&self) -> Option<Holder> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|_| Holder {
            user: "unknown".into(),
            host: "unknown".into(),
            pid: 0,
            action: "an unreadable lock file".into(),
            since: Utc::now(),
        }))
    }

    /// Takes the lock for `me`, or says who has it. Re-entrant for this process.
    pub fn take(&self, me: &Holder) -> Result<Taken, LockError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| LockError::Io(e.to_string()))?;
        }
        let mut taken_over = None;
        for _ in 0..2 {
            match self.create(me) {
                Ok(()) => {
                    return Ok(taken_over.map_or(Taken::Fresh, Taken::TakenOver));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let Some(holder) = self.holder() else {
                        continue; // released meanwhile
                    };
                    if holder.is_me() {
                        self.write(me).map_err(|e| LockError::Io(e.to_string()))?;
                        return Ok(Taken::Fresh);
                    }
                    if holder.is_dead_here() && taken_over.is_none() {
                        let _ = std::fs::remove_file(&self.path);
                        taken_over = Some(holder);
                        continue;
                    }
                    return Err(LockError::Held(holder));
                }
                Err(e) => return Err(LockError::Io(e.to_string())),
            }
        }
        match self.holder() {
            Some(h) => Err(LockError::Held(h)),
            None => Err(LockError::Io("the lock file keeps changing".into())),
        }
    }

    /// Releases the lock if this process holds it.
    pub fn release(&self) {
        if self.holder().is_some_and(|h| h.is_me()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// Removes whoever's lock (on purpose, with a reason the caller journals).
    pub fn steal(&self) -> Option<Holder> {
        let before = self.holder();
        let _ = std::fs::remove_file(&self.path);
        before
    }

    fn create(&self, me: &Holder) -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)?;
        let text = serde_json::to_vec(me).map_err(std::io::Error::other)?;
        f.write_all(&text)?;
        f.sync_data()
    }

    fn write(&self, me: &Holder) -> std::io::Result<()> {
        let text = serde_json::to_vec(me).map_err(std::io::Error::other)?;
        std::fs::write(&self.path, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(pid: u32, host: &str) -> Holder {
        Holder {
            user: "alice".into(),
            host: host.into(),
            pid,
            action: "promoting Sally".into(),
            since: Utc::now(),
        }
    }

    #[test]
    fn one_holder_at_a_time_and_a_dead_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = ReleaseLock::beside(&dir.path().join("belfrage.jsonl"));
        let me = Holder::me("promoting WWW");
        assert_eq!(lock.take(&me), Ok(Taken::Fresh));
        assert_eq!(lock.take(&me), Ok(Taken::Fresh), "re-entrant");
        lock.release();
        assert!(lock.holder().is_none());

        // Someone alive elsewhere holds it: refused, naming them.
        let alice = other(1, "web-3");
        std::fs::write(lock.path(), serde_json::to_vec(&alice).unwrap()).unwrap();
        assert_eq!(lock.take(&me), Err(LockError::Held(alice.clone())));
        assert!(
            alice
                .describe()
                .starts_with("alice@web-3 · promoting Sally · since ")
        );
        lock.release();
        assert!(
            lock.holder().is_some(),
            "release leaves others' locks alone"
        );

        // A holder on this host whose process is gone: taken over.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let dead = other(dead_pid, &crate::journal::host_name());
        std::fs::write(lock.path(), serde_json::to_vec(&dead).unwrap()).unwrap();
        assert_eq!(lock.take(&me), Ok(Taken::TakenOver(dead)));
        assert_eq!(lock.steal().map(|h| h.pid), Some(std::process::id()));
        assert!(lock.holder().is_none());
    }
}
