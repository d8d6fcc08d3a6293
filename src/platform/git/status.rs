//! Where a rollout stands, read from the controller through a command's JSON answer
//! (`argocd app get www-live -o json`): synced, healthy, and at our commit.

use std::time::Duration;

use serde_json::Value;

use crate::config::GitStatusConfig;
use crate::model::{DeployState, DeployStatus};

/// One reading of the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub sync: String,
    pub health: String,
    pub synced: bool,
    pub healthy: bool,
    pub failed: bool,
    /// `Some(false)` while the controller has not reached our commit yet.
    pub at_commit: Option<bool>,
    pub revision: Option<String>,
    pub message: Option<String>,
}

impl Reading {
    pub fn from_answer(cfg: &GitStatusConfig, answer: &Value, commit: &str) -> Reading {
        let sync = word_at(answer, &cfg.synced_pointer);
        let health = word_at(answer, &cfg.healthy_pointer);
        let revision = cfg
            .revision_pointer
            .as_deref()
            .map(|p| word_at(answer, p))
            .filter(|r| r != "?");
        let at_commit = cfg
            .revision_pointer
            .as_ref()
            .map(|_| revision.as_deref().is_some_and(|r| names_commit(r, commit)));
        let message = cfg
            .message_pointer
            .as_deref()
            .and_then(|p| answer.pointer(p))
            .and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(crate::text::one_line(s, 200)),
                _ => None,
            });
        Reading {
            synced: matches_any(&sync, &cfg.synced_values),
            healthy: matches_any(&health, &cfg.healthy_values),
            failed: matches_any(&health, &cfg.failed_values),
            sync,
            health,
            at_commit,
            revision,
            message,
        }
    }

    /// `sync Synced · health Progressing · at 1a2b3c4`: one output line per change.
    pub fn line(&self, commit: &str) -> String {
        let mut line = format!("sync {} · health {}", self.sync, self.health);
        match (self.at_commit, &self.revision) {
            (Some(true), _) => line.push_str(&format!(" · at {}", short(commit))),
            (Some(false), Some(r)) => line.push_str(&format!(
                " · at {} (waiting for {})",
                short(r),
                short(commit)
            )),
            (Some(false), None) => line.push_str(&format!(
                " · no revision yet (waiting for {})",
                short(commit)
            )),
            (None, _) => {}
        }
        if let Some(m) = &self.message {
            line.push_str(&format!(" · {m}"));
        }
        line
    }

    /// The deployment's state from this reading, `elapsed` after the push.
    pub fn status(&self, elapsed: Duration, rollout_timeout: Duration) -> DeployStatus {
        let reached = self.at_commit != Some(false);
        let raw_state = format!("{}/{}", self.sync, self.health);
        let (state, progress, message) = if reached && self.failed {
            (
                DeployState::Failed,
                None,
                format!("the controller reports {}", self.health),
            )
        } else if reached && self.synced && self.healthy {
            (
                DeployState::Succeeded,
                Some(1.0),
                "synced and healthy".to_string(),
            )
        } else if elapsed >= rollout_timeout {
            (
                DeployState::Failed,
                None,
                format!(
                    "not synced and healthy at our commit {}s after the push ({})",
                    elapsed.as_secs(),
                    raw_state
                ),
            )
        } else if reached && self.synced {
            (
                DeployState::Running,
                Some(0.6),
                "synced; waiting for health".into(),
            )
        } else {
            (
                DeployState::Running,
                Some(0.3),
                "pushed; waiting for the controller".into(),
            )
        };
        let message = match &self.message {
            Some(m) if state != DeployState::Succeeded => format!("{message}: {m}"),
            _ => message,
        };
        DeployStatus {
            state,
            raw_state: crate::text::one_line(&raw_state, 40),
            progress,
            message: Some(message),
        }
    }
}

/// The text at a pointer (`true` for a JSON true), `?` when absent.
fn word_at(answer: &Value, pointer: &str) -> String {
    match answer.pointer(pointer) {
        Some(Value::String(s)) => crate::text::one_line(s, 80),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "?".into(),
    }
}

fn matches_any(word: &str, values: &[String]) -> bool {
    values.iter().any(|v| v.eq_ignore_ascii_case(word))
}

/// Argo CD reports the full hash, Flux `main@sha1:<hash>`, some tools a short hash.
fn names_commit(revision: &str, commit: &str) -> bool {
    let revision = revision.trim();
    revision.contains(commit)
        || (revision.len() >= 7
            && revision.chars().all(|c| c.is_ascii_hexdigit())
            && commit.starts_with(revision))
}

fn short(hash: &str) -> &str {
    hash.get(..7).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> GitStatusConfig {
        let text = r#"
            command = "argocd app get {stack}-{env} -o json"
            synced_pointer = "/status/sync/status"
            healthy_pointer = "/status/health/status"
            revision_pointer = "/status/sync/revision"
        "#;
        toml::from_str(text).unwrap()
    }

    const C: &str = "c5706240123456789abcdef0123456789abcdef0";
    const T: Duration = Duration::from_secs(900);

    #[test]
    fn synced_and_healthy_at_our_commit_succeeds() {
        let old = json!({"status": {"sync": {"status": "Synced", "revision": "ce4e1c5aaaa"}, "health": {"status": "Healthy"}}});
        let r = Reading::from_answer(&cfg(), &old, C);
        assert_eq!(r.at_commit, Some(false));
        let s = r.status(Duration::from_secs(5), T);
        assert_eq!(
            s.state,
            DeployState::Running,
            "the old commit being healthy is not ours"
        );
        assert!(r.line(C).contains("waiting for c570624"), "{}", r.line(C));
        let ours = json!({"status": {"sync": {"status": "Synced", "revision": C}, "health": {"status": "Progressing"}}});
        let r = Reading::from_answer(&cfg(), &ours, C);
        assert_eq!(r.status(Duration::from_secs(5), T).progress, Some(0.6));
        let done = json!({"status": {"sync": {"status": "Synced", "revision": C}, "health": {"status": "Healthy"}}});
        let r = Reading::from_answer(&cfg(), &done, C);
        assert_eq!(
            r.status(Duration::from_secs(5), T).state,
            DeployState::Succeeded
        );
        assert_eq!(r.line(C), "sync Synced · health Healthy · at c570624");
    }

    #[test]
    fn degraded_fails_and_so_does_waiting_too_long() {
        let bad = json!({"status": {"sync": {"status": "Synced", "revision": C}, "health": {"status": "Degraded"}}});
        let r = Reading::from_answer(&cfg(), &bad, C);
        assert_eq!(r.status(Duration::ZERO, T).state, DeployState::Failed);
        let slow = json!({"status": {}});
        let r = Reading::from_answer(&cfg(), &slow, C);
        assert_eq!(r.sync, "?");
        let s = r.status(T, T);
        assert_eq!(s.state, DeployState::Failed);
        assert!(s.message.unwrap().contains("900s"));
    }

    #[test]
    fn flux_revisions_and_short_hashes_name_the_commit() {
        assert!(names_commit(&format!("main@sha1:{C}"), C));
        assert!(names_commit("c570624", C));
        assert!(!names_commit("ce4e1c5", C));
        assert!(!names_commit("", C));
    }
}
