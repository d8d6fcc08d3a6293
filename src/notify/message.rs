//! The four messages of a release and the keys that make each happen at most once.

use super::summary::{DeployInfo, DeployOutcome};

/// What kind of message a post is; webhook bodies carry it as `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Announcement,
    DeployStarted,
    DeployFinished,
    Completion,
    /// The release report, a reply in the release's thread.
    Report,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Announcement => "announcement",
            MessageKind::DeployStarted => "deploy_started",
            MessageKind::DeployFinished => "deploy_finished",
            MessageKind::Completion => "completion",
            MessageKind::Report => "report",
        }
    }
}

/// One message, before it is rendered and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The (possibly hand-edited) announcement text.
    Announcement {
        text: String,
    },
    DeployStarted {
        deploy: DeployInfo,
    },
    DeployFinished {
        deploy: DeployInfo,
        outcome: DeployOutcome,
        /// Why it failed, in the platform's words.
        detail: Option<String>,
    },
    Completion {
        text: String,
    },
    /// The release report (Markdown), as previewed.
    Report {
        text: String,
    },
}

impl Message {
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Announcement { .. } => MessageKind::Announcement,
            Message::DeployStarted { .. } => MessageKind::DeployStarted,
            Message::DeployFinished { .. } => MessageKind::DeployFinished,
            Message::Completion { .. } => MessageKind::Completion,
            Message::Report { .. } => MessageKind::Report,
        }
    }

    /// The key that makes a post happen at most once: one announcement and one
    /// completion per release, one start and one finish per deployment.
    pub fn action(&self) -> String {
        match self {
            Message::Announcement { .. } => "announce".into(),
            Message::DeployStarted { deploy } => {
                format!(
                    "deploy_started:{}:{}",
                    deploy.stack_id, deploy.deployment_id
                )
            }
            Message::DeployFinished { deploy, .. } => {
                format!(
                    "deploy_finished:{}:{}",
                    deploy.stack_id, deploy.deployment_id
                )
            }
            Message::Completion { .. } => "completion".into(),
            // Keyed by content: the same report is posted once, a newer one (after a
            // rollback, say) is posted too.
            Message::Report { text } => format!("report:{:016x}", fnv1a(text.trim())),
        }
    }

    pub(super) fn deploy(&self) -> Option<&DeployInfo> {
        match self {
            Message::DeployStarted { deploy } | Message::DeployFinished { deploy, .. } => {
                Some(deploy)
            }
            _ => None,
        }
    }
}

/// Whether a send may repeat a post whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendMode {
    /// Send what has not been delivered; leave unknown ones alone.
    #[default]
    Normal,
    /// Also send the unknown ones: the user has checked that they are not there.
    Force,
    /// Post once more, even where it was delivered: the user asked for it by name.
    Again,
}

/// FNV-1a: a hash that stays the same across builds and runs (the delivery state is
/// saved), unlike std's `DefaultHasher`.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_posted_once_per_content() {
        let a = Message::Report { text: "one".into() };
        let b = Message::Report {
            text: " one\n".into(),
        };
        let c = Message::Report { text: "two".into() };
        assert_eq!(a.action(), b.action());
        assert_ne!(a.action(), c.action());
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    }
}
