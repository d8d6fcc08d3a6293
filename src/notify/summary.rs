//! What messages are drafted from. Defined here, as plain data, so that notify does not
//! depend on the git code: whoever computes the diff fills these in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a release will ship: the announcement's template context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSummary {
    /// The service being released (`belfrage`).
    pub release: String,
    /// In promotion order.
    pub stacks: Vec<StackLine>,
    /// Newest first. May be cut short by whoever builds the summary; `commit_count` is
    /// the true total.
    pub commits: Vec<CommitLine>,
    pub commit_count: usize,
    /// Commits with at least one risk flag.
    pub risky_count: usize,
    /// Risk flag → how many commits carry it (`migration` → 1).
    pub risk_counts: BTreeMap<String, usize>,
    /// Names of stacks whose live version is not an ancestor of test.
    pub drift: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackLine {
    pub id: String,
    pub name: String,
    /// Short versions, as the dashboard shows them: what the next promotion replaces (on
    /// `env`) and what it takes forward (from `source_env`).
    pub live: String,
    pub test: String,
    /// The environment promoted onto (`live`), and the one promoted from (`test`).
    #[serde(default)]
    pub env: String,
    #[serde(default)]
    pub source_env: String,
    /// When `env` already runs `test`'s version: what it ran before, as the journal
    /// records the promotion that shipped it (short).
    #[serde(default)]
    pub shipped_from: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitLine {
    pub short: String,
    pub subject: String,
    pub author: String,
    pub pr: Option<u32>,
    /// Risk flags (`migration`, `config`, `dependencies`).
    pub risks: Vec<String>,
}

/// One deployment of one stack, for the thread replies that follow the announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployInfo {
    /// The service being released; webhook receivers have no thread to tell them.
    pub release: String,
    pub stack_id: String,
    pub stack_name: String,
    /// The version live was on, and the one being deployed (short). A rollback simply
    /// goes the other way.
    pub from: String,
    pub to: String,
    /// The platform's deployment id (Cosmos' `5639226`).
    pub deployment_id: String,
    /// The deployment's page (its terminal), when the platform reports one.
    pub url: Option<String>,
}

/// How a deployment ended, as the thread reply and the completion message say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployOutcome {
    Succeeded,
    Failed,
    Aborted,
    RolledBack,
    /// Skipped on purpose, as the journal records it (completion message only).
    Skipped,
    /// Not promoted (yet): still on the old version (completion message only).
    NotPromoted,
}

impl DeployOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployOutcome::Succeeded => "succeeded",
            DeployOutcome::Failed => "failed",
            DeployOutcome::Aborted => "aborted",
            DeployOutcome::RolledBack => "rolled_back",
            DeployOutcome::Skipped => "skipped",
            DeployOutcome::NotPromoted => "not_promoted",
        }
    }
}

/// The end of a release: the completion message's template context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub release: String,
    pub stacks: Vec<StackResult>,
    /// Anything the operator wants to add ("Sally rolled back, investigating").
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackResult {
    pub id: String,
    pub name: String,
    /// The version live is on now (short).
    pub version: String,
    pub outcome: DeployOutcome,
    /// Why, when the journal says (a refusal, a failure, a skip).
    #[serde(default)]
    pub reason: Option<String>,
}

impl ReleaseSummary {
    /// A realistic summary: the defaults' snapshot and the config check render it, so a
    /// template that names a missing field fails at `check-config` time, not mid-release.
    pub fn example() -> ReleaseSummary {
        let stack = |id: &str, name: &str, live: &str| StackLine {
            id: id.into(),
            name: name.into(),
            live: live.into(),
            test: "9be77d4".into(),
            env: "live".into(),
            source_env: "test".into(),
            shipped_from: None,
        };
        let commit = |short: &str, subject: &str, author: &str, pr, risks: &[&str]| CommitLine {
            short: short.into(),
            subject: subject.into(),
            author: author.into(),
            pr,
            risks: risks.iter().map(std::string::ToString::to_string).collect(),
        };
        ReleaseSummary {
            release: "belfrage".into(),
            stacks: vec![
                stack("www", "WWW", "3f2a1c0"),
                stack("cedric", "Cedric", "3f2a1c0"),
                stack("sally", "Sally", "3f2a1c0"),
                stack("bruce", "Bruce", "5d0e9a1"),
            ],
            commits: vec![
                commit(
                    "9be77d4",
                    "Fix cache key for <personalised> pages",
                    "Alice Example",
                    Some(1234),
                    &[],
                ),
                commit(
                    "7a1e0c2",
                    "Add routes column to the platform table",
                    "Bob Example",
                    Some(1230),
                    &["migration"],
                ),
                commit(
                    "51c9f03",
                    "Bump the HTTP client & TLS libraries",
                    "Carol Example",
                    Some(1228),
                    &["dependencies"],
                ),
                commit(
                    "0d4b7e6",
                    "Log the upstream's latency on timeouts",
                    "Alice Example",
                    None,
                    &[],
                ),
            ],
            commit_count: 4,
            risky_count: 2,
            risk_counts: BTreeMap::from([("dependencies".into(), 1), ("migration".into(), 1)]),
            drift: vec!["Bruce".into()],
        }
    }
}

impl DeployInfo {
    pub fn example() -> DeployInfo {
        DeployInfo {
            release: "belfrage".into(),
            stack_id: "sally".into(),
            stack_name: "Sally".into(),
            from: "3f2a1c0".into(),
            to: "9be77d4".into(),
            deployment_id: "5639226".into(),
            url: Some("https://deploy.example.internal/deployments/5639226".into()),
        }
    }
}

impl Completion {
    pub fn example() -> Completion {
        let result = |id: &str, name: &str, version: &str, outcome| StackResult {
            id: id.into(),
            name: name.into(),
            version: version.into(),
            outcome,
            reason: None,
        };
        Completion {
            release: "belfrage".into(),
            stacks: vec![
                result("www", "WWW", "9be77d4", DeployOutcome::Succeeded),
                result("cedric", "Cedric", "9be77d4", DeployOutcome::Succeeded),
                result("sally", "Sally", "9be77d4", DeployOutcome::Succeeded),
                result("bruce", "Bruce", "9be77d4", DeployOutcome::Succeeded),
            ],
            note: None,
        }
    }
}
