//! The release report: what shipped, and what happened to each stack, who did it and
//! when, built from the journal and the repository's diff. Markdown to paste into a
//! ticket or a chat thread, JSON for machines. `slipway report` prints it; the
//! dashboard's `R` previews it, saves it and posts it to the release thread.
//!
//! Building is plain data and functions (`scope`, `build`, `shipped`, `markdown`); only
//! [`gather`] reads files (the journal and the git repository), so it runs on a blocking
//! thread in the engine and directly in the CLI.

mod build;
mod markdown;
mod scope;
mod shipped;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use build::{Context, build};
pub use markdown::markdown;
pub use scope::{Window, parse_since, same_version, select};
pub use shipped::{RepoAccess, ranges, shipped};

use crate::config::Config;

/// Which part of the journal is one release. Empty: the newest release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The release of this version (a commit id or a prefix of one, or a tag as the
    /// platform reports it).
    pub release: Option<String>,
    /// Only what was recorded from then on; without `release`, everything since then.
    pub since: Option<DateTime<Utc>>,
}

/// The report, as data. Serialised as is for `--format json` (times in RFC 3339, UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The shape of this JSON; raised when a field changes meaning or goes away.
    pub format: u32,
    /// The service released (`[release] name`).
    pub service: String,
    /// The release's version (in full, as the journal records it); `None` for a `--since`
    /// report in which nothing was promoted.
    pub version: Option<String>,
    /// Which entries were taken, in words.
    pub scope: String,
    /// The first and last entry taken.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub generated_at: DateTime<Utc>,
    pub journal: String,
    /// Entries taken, and lines of the journal that could not be read at all.
    pub entries: usize,
    pub unreadable_lines: usize,
    pub shipped: Shipped,
    /// In the configured promotion order; stacks the journal names that the config no
    /// longer has come last.
    pub stacks: Vec<StackReport>,
    pub overrides: Vec<Note>,
    pub approvals: Vec<Note>,
    pub announcements: Vec<Note>,
    pub refusals: Vec<Note>,
    /// Release lock taken from someone, deployments adopted after a crash.
    pub other: Vec<Note>,
    /// Everyone who did something in this release (`user@host`), first to act first.
    pub people: Vec<String>,
}

/// What the release ships, from the repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Shipped {
    /// No `[repo]` in config.
    NotConfigured,
    /// The repository is configured but the commits could not be read.
    Unavailable {
        reason: String,
    },
    /// Nothing was promoted in this part of the journal.
    NothingPromoted,
    Listed(Changes),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    /// The widest range promoted (most commits): stacks that started from a later
    /// version shipped a part of it (`other_ranges`).
    pub from: String,
    pub to: String,
    /// Every commit in the range, merged ones included.
    pub count: usize,
    pub risky: usize,
    pub risk_counts: std::collections::BTreeMap<String, usize>,
    /// Pull/merge requests, newest first (`#1234`, `!12`).
    pub prs: Vec<String>,
    /// First-parent history, newest first, at most [`MAX_COMMITS`].
    pub commits: Vec<ShippedCommit>,
    /// Commits of the first-parent history not listed.
    pub more: usize,
    /// Live had commits test lacked.
    pub drift: bool,
    pub other_ranges: Vec<Range>,
}

/// Commits listed at most: a report is read by people.
pub const MAX_COMMITS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShippedCommit {
    pub id: String,
    pub short: String,
    pub subject: String,
    pub author: String,
    pub pr: Option<String>,
    pub risks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range {
    pub from: String,
    pub to: String,
    /// Commits, or `None` when they could not be read.
    pub count: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackReport {
    pub id: String,
    pub name: String,
    /// Where the stack ended up, in words (`live runs 9be77d1`, `rolled back to 3f2a1c4`).
    pub state: String,
    pub outcome: StackOutcome,
    pub steps: Vec<Step>,
    pub smoke: Vec<SmokeRun>,
    pub flags: Vec<FlagRaised>,
}

/// Where a stack ended up, for the summary line and machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackOutcome {
    /// Its last promotion succeeded (and passed its checks, where they ran).
    Promoted,
    RolledBack,
    Failed,
    Aborted,
    InProgress,
    NotPromoted,
}

/// One promotion, rollback, or deployment started outside slipway.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// `promote`, `rollback` or `outside` (a deployment slipway did not start).
    pub action: String,
    pub env: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Who asked for it (`user@host`).
    pub by: String,
    pub requested: DateTime<Utc>,
    pub deployment: Option<String>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub duration_secs: Option<i64>,
    /// `succeeded`, `failed`, `aborted`, `refused` (by the platform), `in progress`.
    pub outcome: String,
    /// The platform's message, or the override the promotion was made with.
    pub detail: Option<String>,
    /// Who asked for the abort of this deployment.
    pub aborted_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmokeRun {
    pub at: DateTime<Utc>,
    pub by: String,
    pub passed: bool,
    /// `after the promotion`, `after the rollback`, `on request`.
    pub cause: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagRaised {
    /// When the dashboard that saw it journaled it.
    pub at: DateTime<Utc>,
    /// The slipway that saw it (`user@host`).
    pub by: String,
    pub series: String,
    /// `spike` or `drop`.
    pub effect: String,
    pub detail: Option<String>,
}

/// A line of the journal worth a line of the report: when, who, about which stack, what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub by: String,
    pub stack: Option<String>,
    pub text: String,
}

/// Reads the journal and the repository and builds the report of `scope`. Blocking:
/// local files only (the repository is read, never fetched).
pub fn gather(config: &Config, scope: &Scope, repo: &RepoAccess) -> Result<Report, String> {
    let path = config.release.journal_path();
    let (entries, unreadable) = crate::journal::read(&path)
        .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?;
    let window = select(&entries, scope).map_err(|e| format!("{e} ({})", path.display()))?;
    let live_env = config
        .release
        .environments()
        .pop()
        .map_or_else(|| "live".into(), |e| e.to_string());
    let rules = crate::vcs::RiskRules::new(&config.changes.risk)
        .unwrap_or_else(|_| crate::vcs::RiskRules::defaults());
    let shipped = shipped::shipped(repo, &ranges(&window.entries, &live_env), &rules);
    let ctx = Context {
        service: config.release.name.clone(),
        stacks: config
            .stacks
            .iter()
            .map(|s| (s.id.to_string(), s.display_name()))
            .collect(),
        live_env,
        journal: path.display().to_string(),
        unreadable,
        generated_at: Utc::now(),
    };
    Ok(build(&ctx, &window, shipped))
}

/// Where the CLI finds the repository: the configured path, or the clone slipway made of
/// the configured URL (the CLI does not clone: the dashboard or `slipway diff` does).
pub fn repo_access(config: &Config) -> RepoAccess {
    let Some(repo) = &config.repo else {
        return RepoAccess::NotConfigured;
    };
    match (&repo.path, &repo.url) {
        (Some(p), _) => RepoAccess::Path(p.clone()),
        (None, Some(url)) => {
            let clone = crate::vcs::fetch::cache_path(url);
            if clone.exists() {
                RepoAccess::Path(clone)
            } else {
                RepoAccess::Unavailable(format!(
                    "{url} has not been cloned yet (run `slipway diff --fetch` or open the dashboard once)"
                ))
            }
        }
        (None, None) => RepoAccess::NotConfigured,
    }
}

/// Where the dashboard saves a report: the working directory, named after the release,
/// so it is found where the user started slipway.
pub fn file_name(report: &Report) -> PathBuf {
    let version = report.version.as_deref().map_or("since", short).to_string();
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    Path::new(&format!(
        "release-report-{}-{}.md",
        safe(&report.service),
        safe(&version)
    ))
    .to_path_buf()
}

/// A commit id as people read it (7 characters); anything else (a tag) as is.
pub fn short(v: &str) -> &str {
    if v.len() >= 12 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        &v[..7]
    } else {
        v
    }
}

/// A report built for the dashboard to preview: the text, where saving puts it, and where
/// posting would send it (or why it cannot be posted).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// `belfrage 9be77d1`.
    pub title: String,
    pub markdown: String,
    pub save_to: PathBuf,
    pub post_to: Result<Vec<String>, String>,
}

impl Draft {
    pub fn new(report: &Report, post_to: Result<Vec<String>, String>) -> Draft {
        let title = match report.version.as_deref() {
            Some(v) => format!("{} {}", report.service, short(v)),
            None => report.service.clone(),
        };
        Draft {
            title,
            markdown: markdown(report),
            save_to: file_name(report),
            post_to,
        }
    }
}
