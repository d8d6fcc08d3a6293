//! The release journal: an append-only JSON Lines file per release in the state
//! directory, one entry per action and outcome, written as it happens (flushed per
//! entry). It answers "who did what, when, with which versions", and lets a restarted
//! slipway (or another terminal) know what live ran before the last promotion.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Entries read back at most (the newest); older ones stay in the file.
const READ_LIMIT: usize = 10_000;
/// Bytes read from the end of the journal at most: it holds every release of the service,
/// and only the newest entries are ever needed (entries are ~250 bytes: ~16,000 of them).
const READ_TAIL_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// Who ran slipway ($USER), and where.
    pub user: String,
    pub host: String,
    /// The process that wrote it: a restarted slipway can tell whether the starter of an
    /// unfinished deployment is gone (on this host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// `promote`, `rollback`, `abort`, `deploy_started`, `deploy_finished`, `smoke`,
    /// `announce`, `refused`, `observed`, `adopted`, `lock_stolen`, `lock_taken_over`,
    /// `flag` (a metric flag raised: `series`, `outcome` spike or drop), `approve` (another
    /// user's approval of one step: stack, env, from, to), `override` (a promotion went past
    /// blocking gates: stack, env, from, to, `gates`, `reason`).
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// The environment a promotion or rollback went to; absent in entries written before
    /// environments were configurable, which were all about live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The metric series a `flag` entry is about (`errors`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// The pre-flight gates an `override` went past (`freeze`, `in_flight`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<String>,
    /// Why, as the user typed it (`override`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a journal entry records, as its `action` word. The words are on disk, in journals
/// written by every earlier build: they never change (`as_str`), whatever the variants
/// are called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    Promote,
    Rollback,
    Abort,
    DeployStarted,
    DeployFinished,
    Smoke,
    Announce,
    Refused,
    Observed,
    Adopted,
    LockStolen,
    LockTakenOver,
    /// A metric flag raised (`series`; `outcome` spike or drop).
    Flag,
    /// Another user's approval of one step.
    Approve,
    /// A promotion went past blocking gates.
    Override,
}

impl Act {
    pub const ALL: [Act; 15] = [
        Act::Promote,
        Act::Rollback,
        Act::Abort,
        Act::DeployStarted,
        Act::DeployFinished,
        Act::Smoke,
        Act::Announce,
        Act::Refused,
        Act::Observed,
        Act::Adopted,
        Act::LockStolen,
        Act::LockTakenOver,
        Act::Flag,
        Act::Approve,
        Act::Override,
    ];

    /// The word on disk.
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Promote => "promote",
            Act::Rollback => "rollback",
            Act::Abort => "abort",
            Act::DeployStarted => "deploy_started",
            Act::DeployFinished => "deploy_finished",
            Act::Smoke => "smoke",
            Act::Announce => "announce",
            Act::Refused => "refused",
            Act::Observed => "observed",
            Act::Adopted => "adopted",
            Act::LockStolen => "lock_stolen",
            Act::LockTakenOver => "lock_taken_over",
            Act::Flag => "flag",
            Act::Approve => "approve",
            Act::Override => "override",
        }
    }

    /// The action a word on disk names; `None` for a word this build does not know (a
    /// newer build's), which readers skip rather than fail on.
    pub fn parse(word: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.as_str() == word)
    }
}

impl std::fmt::Display for Act {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `outcome` words of entries other than `deploy_finished` (whose outcome is the
/// deployment's state, `DeployState::as_str`): on disk, so they never change.
pub mod outcome {
    /// A smoke test run passed.
    pub const PASSED: &str = "passed";
    /// A smoke test run, or a promotion the platform did not start, failed.
    pub const FAILED: &str = "failed";
    /// The platform refused the request.
    pub const REFUSED: &str = "refused";
}

impl Entry {
    pub fn new(action: Act) -> Entry {
        Entry {
            at: Utc::now(),
            user: os_user(),
            host: host_name(),
            pid: Some(std::process::id()),
            action: action.as_str().to_string(),
            stack: None,
            env: None,
            from: None,
            to: None,
            deployment: None,
            outcome: None,
            detail: None,
            series: None,
            gates: Vec::new(),
            reason: None,
        }
    }

    /// Whether this entry records `action`.
    pub fn is(&self, action: Act) -> bool {
        self.action == action.as_str()
    }

    /// `user@host`, or the user alone when the host is unknown.
    pub fn actor(&self) -> String {
        if self.host.is_empty() {
            self.user.clone()
        } else {
            format!("{}@{}", self.user, self.host)
        }
    }

    pub fn env(mut self, env: impl ToString) -> Self {
        self.env = Some(env.to_string());
        self
    }

    /// About `live` (the name of the last environment): entries without an environment
    /// predate configurable environments and were.
    pub fn is_about(&self, live: &str) -> bool {
        self.env.as_deref().is_none_or(|e| e == live)
    }

    pub fn stack(mut self, s: impl ToString) -> Self {
        self.stack = Some(s.to_string());
        self
    }
    pub fn versions(mut self, from: impl ToString, to: impl ToString) -> Self {
        self.from = Some(from.to_string());
        self.to = Some(to.to_string());
        self
    }
    pub fn deployment(mut self, d: impl ToString) -> Self {
        self.deployment = Some(d.to_string());
        self
    }
    pub fn outcome(mut self, o: impl ToString) -> Self {
        self.outcome = Some(o.to_string());
        self
    }
    pub fn series(mut self, name: impl Into<String>) -> Self {
        self.series = Some(crate::text::one_line(&name.into(), 100));
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(crate::text::one_line(&d.into(), 500));
        self
    }
    pub fn gates(mut self, gates: impl IntoIterator<Item = impl ToString>) -> Self {
        self.gates = gates.into_iter().map(|g| g.to_string()).collect();
        self
    }
    /// A reason typed by a person: kept on one line, bounded like a detail.
    pub fn reason(mut self, r: &str) -> Self {
        self.reason = Some(crate::text::one_line(r, 500));
        self
    }
}

/// Where a release's journal lives: `$XDG_STATE_HOME/slipway/journal/<release>.jsonl`.
pub fn default_path(release: &str) -> PathBuf {
    let safe: String = release
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    crate::telemetry::default_log_dir()
        .join("journal")
        .join(format!("{safe}.jsonl"))
}

/// Who runs this process: `$USER` (or `$LOGNAME`), else the OS account of the effective
/// user id (containers, cron and systemd units often set neither), else `uid 1234`.
pub fn os_user() -> String {
    static USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    USER.get_or_init(|| {
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.trim().is_empty())
            .or_else(account_name)
            .unwrap_or_else(|| {
                // SAFETY: geteuid has no preconditions and cannot fail.
                let uid = unsafe { libc::geteuid() };
                format!("uid {uid}")
            })
    })
    .clone()
}

/// The account name of the effective user id, from the password database.
fn account_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: a zeroed passwd is a valid out-parameter; getpwuid_r writes into it and
    // `buf` (whose length we pass), and sets `result` to it or to null.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &raw mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &raw mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points at a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}

/// This machine's name: `/etc/hostname`, else `gethostname`.
pub fn host_name() -> String {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                let mut buf = [0 as libc::c_char; 256];
                // SAFETY: gethostname writes at most `len` bytes into `buf`.
                let rc = unsafe { libc::gethostname(buf.as_mut_ptr(), buf.len()) };
                if rc != 0 {
                    return None;
                }
                buf[buf.len() - 1] = 0;
                // SAFETY: NUL-terminated above at the latest.
                let s = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
                Some(s.to_string_lossy().into_owned())
            })
            .unwrap_or_default()
    })
    .clone()
}

/// Appends one entry, flushed and synced, so a crash right after loses nothing.
pub fn append(path: &Path, entry: &Entry) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    // A detail that echoes a configured secret is recorded with `[redacted]` (valid JSON:
    // the marker needs no escaping).
    let mut line = crate::text::redact::redact(&line).into_owned();
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write per entry: appends from two slipways on one machine do not interleave.
    f.write_all(line.as_bytes())?;
    f.flush()?;
    f.sync_data()
}

/// The newest entries, oldest first, and how many lines could not be read (a torn last
/// line after a crash, or a hand edit): counted, never silently skipped.
pub fn read(path: &Path) -> std::io::Result<(Vec<Entry>, usize)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(READ_TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 {
        // The first line read is most likely the end of an entry cut in half.
        let cut = text.find('\n').map_or(text.len(), |i| i + 1);
        text.drain(..cut);
    }
    let mut bad = 0;
    let mut entries: Vec<Entry> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str(line) {
            Ok(e) => entries.push(e),
            Err(_) => bad += 1,
        }
    }
    let skip = entries.len().saturating_sub(READ_LIMIT);
    Ok((entries.split_off(skip), bad))
}

/// What live ran before each stack's last promotion that finished, if live still runs
/// what that promotion deployed: the rollback target a restart must not forget.
pub fn previous_live(entries: &[Entry]) -> std::collections::HashMap<String, (String, String)> {
    let mut out = std::collections::HashMap::new();
    for e in entries {
        if e.is(Act::DeployFinished)
            && e.outcome.as_deref() == Some(crate::model::DeployState::Succeeded.as_str())
            && let (Some(stack), Some(from), Some(to)) = (&e.stack, &e.from, &e.to)
        {
            out.insert(stack.clone(), (from.clone(), to.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Journals written by older builds must still read: every word on disk is pinned.
    #[test]
    fn the_words_on_disk_never_change() {
        let words: Vec<&str> = Act::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            words,
            [
                "promote",
                "rollback",
                "abort",
                "deploy_started",
                "deploy_finished",
                "smoke",
                "announce",
                "refused",
                "observed",
                "adopted",
                "lock_stolen",
                "lock_taken_over",
                "flag",
                "approve",
                "override",
            ]
        );
        for a in Act::ALL {
            assert_eq!(Act::parse(a.as_str()), Some(a));
        }
        assert_eq!(Act::parse("promoted"), None);
        use crate::model::DeployState;
        let states: Vec<&str> = [
            DeployState::Running,
            DeployState::Succeeded,
            DeployState::Failed,
            DeployState::Aborted,
        ]
        .iter()
        .map(DeployState::as_str)
        .collect();
        assert_eq!(states, ["running", "succeeded", "failed", "aborted"]);
        assert_eq!(
            [outcome::PASSED, outcome::FAILED, outcome::REFUSED],
            ["passed", "failed", "refused"]
        );
        // A line as an older build wrote it reads, and names what it did.
        let old = r#"{"at":"2026-11-30T10:00:00Z","user":"alice","host":"web-3","action":"deploy_finished","stack":"sally","from":"aaa","to":"bbb","deployment":"17","outcome":"succeeded"}"#;
        let e: Entry = serde_json::from_str(old).unwrap();
        assert!(e.is(Act::DeployFinished));
        assert_eq!(
            previous_live(&[e]).get("sally"),
            Some(&("aaa".to_string(), "bbb".to_string()))
        );
    }

    #[test]
    fn appends_reads_back_and_counts_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j/belfrage.jsonl");
        append(
            &path,
            &Entry::new(Act::Promote)
                .stack("sally")
                .versions("aaa", "bbb"),
        )
        .unwrap();
        append(
            &path,
            &Entry::new(Act::DeployFinished)
                .stack("sally")
                .versions("aaa", "bbb")
                .outcome("succeeded"),
        )
        .unwrap();
        // A crash mid-write leaves half a line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(br#"{"at":"2026"#)
            .unwrap();
        let (entries, bad) = read(&path).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(bad, 1);
        assert_eq!(entries[0].action, "promote");
        assert_eq!(
            previous_live(&entries).get("sally"),
            Some(&("aaa".to_string(), "bbb".to_string()))
        );
        assert_eq!(
            read(&dir.path().join("none.jsonl")).unwrap(),
            (Vec::new(), 0)
        );
    }

    #[test]
    fn a_long_journal_is_read_from_its_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.jsonl");
        // Older releases: more than the tail holds.
        let old = serde_json::to_string(
            &Entry::new(Act::Promote)
                .stack("www")
                .detail("x".repeat(400)),
        )
        .unwrap();
        let mut f = std::fs::File::create(&path).unwrap();
        let copies = (READ_TAIL_BYTES as usize / old.len()) + 100;
        for _ in 0..copies {
            writeln!(f, "{old}").unwrap();
        }
        drop(f);
        append(
            &path,
            &Entry::new(Act::DeployFinished)
                .stack("sally")
                .versions("a", "b")
                .outcome("succeeded"),
        )
        .unwrap();
        let (entries, bad) = read(&path).unwrap();
        assert_eq!(
            bad, 0,
            "the entry cut in half at the start is skipped, not counted"
        );
        // Entries of ~650 bytes: the tail holds fewer than READ_LIMIT, so this counts
        // what was read, not the cap.
        assert!(
            old.len() > READ_TAIL_BYTES as usize / READ_LIMIT,
            "entries long enough to tell"
        );
        assert!(
            entries.len() <= READ_TAIL_BYTES as usize / old.len() + 1,
            "only the tail was read: {}",
            entries.len()
        );
        assert_eq!(
            entries.last().map(|e| e.action.as_str()),
            Some("deploy_finished")
        );
    }
}
