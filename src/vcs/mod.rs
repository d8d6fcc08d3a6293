//! What a release ships, read from git: the commits in `live..test` with authors, PR
//! numbers, files and risk flags, and drift when live is not an ancestor of test.
//! Reading uses git2; fetching shells out to the system `git` so the user's credentials
//! and ssh config apply.

mod commit_walk;
mod diff;
pub mod fetch;
mod oid_map;
pub mod patch;
pub mod pr;
mod raw_commit;
pub mod risk;
mod tree_diff;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use diff::{diff, fill_line_stats};
pub use pr::PrRef;
pub use risk::RiskRules;

use crate::model::Env;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// `A`dded, `M`odified, `D`eleted, `R`enamed, `T`ype change.
    pub status: char,
    /// Lines added/removed; None until computed (`fill_line_stats`) or for binary files.
    pub added: Option<u32>,
    pub removed: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub id: String,
    pub short: String,
    pub author: String,
    pub email: String,
    pub time: DateTime<Utc>,
    pub subject: String,
    /// The message after the subject line.
    pub body: String,
    pub pr: Option<PrRef>,
    /// Against the first parent (for a merge: what the merge brought in).
    pub files: Vec<FileChange>,
    pub risks: Vec<String>,
    /// For a merge on the first-parent line: the commits it merged, newest first.
    pub merged: Vec<Commit>,
    pub is_merge: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub live: String,
    pub test: String,
    /// First-parent history from test back to live, newest first; merges carry the
    /// commits they merged.
    pub commits: Vec<Commit>,
    /// Every commit in `live..test`, merged ones included.
    pub count: usize,
    /// Entries of `commits` with at least one risk flag (a merge counts once).
    pub risky: usize,
    pub risk_counts: std::collections::BTreeMap<String, usize>,
    /// Set when live is not an ancestor of test.
    pub drift: Option<Drift>,
}

impl ChangeSet {
    /// `14 commits · 2 risky · DRIFT`, for headers and dialogs.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} commit{}",
            self.count,
            if self.count == 1 { "" } else { "s" }
        );
        if self.risky > 0 {
            s.push_str(&format!(" · {} risky", self.risky));
        }
        if self.drift.is_some() {
            s.push_str(" · DRIFT");
        }
        s
    }
}

/// Live has commits test lacks: a hotfix went straight to live, or test was reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub live_only: Vec<Commit>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DiffError {
    #[error(
        "the {env} version {version} is not in the repository (not fetched yet, or force-pushed away)"
    )]
    UnknownVersion { env: Env, version: String },
    #[error("cannot open the repository {path}: {message}")]
    Open { path: String, message: String },
    #[error("reading git history failed: {0}")]
    Git(String),
}

impl DiffError {
    /// What the user can do about it, for each front end to word in its own gestures.
    pub fn remedy(&self) -> Option<crate::model::Remedy> {
        match self {
            DiffError::UnknownVersion { .. } => Some(crate::model::Remedy::Fetch),
            _ => None,
        }
    }
}

impl From<git2::Error> for DiffError {
    fn from(e: git2::Error) -> Self {
        DiffError::Git(e.message().to_string())
    }
}
