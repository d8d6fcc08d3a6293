//! The four messages of a release and the keys that make each happen at most once.

use super::summary::{DeployInfo, DeployOutcome};

/// What kind of message a post is; webhook bodies carry it as `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Announcement,
    DeployStarted,
    DeployFinished,
    Completion,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Announcement => "announcement",
            MessageKind::DeployStarted => "deploy_started",
            MessageKind::DeployFinished => "deploy_finished",
            MessageKind::Completion => "completion",
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
}

impl Message {
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Announcement { .. } => MessageKind::Announcement,
            Message::DeployStarted { .. } => MessageKind::DeployStarted,
            Message::DeployFinished { .. } => MessageKind::DeployFinished,
            Message::Completion { .. } => MessageKind::Completion,
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
