//! What a send did, per target, and what a send would do (the preview). Both are shown to
//! the user as they are, so neither ever holds a secret.

use std::fmt;

use serde::Serialize;

/// The result of one send: one line per channel (or the webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The action key (`announce`, `deploy_started:sally:5639226`, `completion`).
    pub action: String,
    pub targets: Vec<TargetDelivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetDelivery {
    /// The channel as configured (`#belfrage`), or the webhook's label.
    pub target: String,
    pub status: DeliveryStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Posted now. `ts` is Slack's message timestamp (its id within the channel).
    Posted { ts: Option<String> },
    /// Already posted by an earlier send; not sent again.
    Skipped,
    /// Not posted; a plain retry sends it.
    Failed { reason: String },
    /// Sent without an answer: it may be in the channel. A plain retry leaves it alone;
    /// a forced one sends it again.
    Unknown { reason: String },
}

impl Delivery {
    /// Every target has the message (now or before).
    pub fn is_complete(&self) -> bool {
        self.targets.iter().all(|t| {
            matches!(
                t.status,
                DeliveryStatus::Posted { .. } | DeliveryStatus::Skipped
            )
        })
    }

    /// Some target failed for certain: a plain retry will send to it.
    pub fn has_failures(&self) -> bool {
        self.targets
            .iter()
            .any(|t| matches!(t.status, DeliveryStatus::Failed { .. }))
    }

    /// Some target may or may not have the message: someone must look, then force.
    pub fn has_unknown(&self) -> bool {
        self.targets
            .iter()
            .any(|t| matches!(t.status, DeliveryStatus::Unknown { .. }))
    }

    /// The targets that did not get the message for certain, with why.
    pub fn problems(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter(|t| {
                !matches!(
                    t.status,
                    DeliveryStatus::Posted { .. } | DeliveryStatus::Skipped
                )
            })
            .map(|t| format!("{}: {}", t.target, t.status))
            .collect()
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryStatus::Posted { .. } => write!(f, "posted"),
            DeliveryStatus::Skipped => write!(f, "already posted"),
            DeliveryStatus::Failed { reason } => write!(f, "failed: {reason}"),
            DeliveryStatus::Unknown { reason } => write!(
                f,
                "may have been posted ({reason}); check the channel, then retry with force if it is not there"
            ),
        }
    }
}

impl fmt::Display for Delivery {
    /// `announce: #belfrage posted; #help-belfrage failed: Slack said …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.action)?;
        for (i, t) in self.targets.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{} {}", t.target, t.status)?;
        }
        Ok(())
    }
}

/// What a send would do, without doing it (`--dry-run`, the TUI's preview).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub action: String,
    pub items: Vec<PreviewItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewItem {
    /// The channel as configured, or the webhook's label.
    pub target: String,
    /// `POST https://slack.com/api/chat.postMessage`, or the webhook's label.
    pub request: String,
    /// The reply's thread, when it goes in one.
    pub thread_ts: Option<String>,
    pub text: String,
    /// The exact JSON body that would be sent (no headers: they hold the token).
    pub body: serde_json::Value,
    pub plan: Plan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum Plan {
    /// Would be sent.
    Send,
    /// Already posted; would be skipped.
    Skip,
    /// An earlier send got no answer; sent only when forced.
    NeedsForce,
    /// Cannot be sent yet (no announcement thread in this channel).
    Blocked { reason: String },
}

impl fmt::Display for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let plan = match &item.plan {
                Plan::Send => "would post".to_string(),
                Plan::Skip => "already posted, would skip".to_string(),
                Plan::NeedsForce => {
                    "an earlier post got no answer; would send only with force".to_string()
                }
                Plan::Blocked { reason } => format!("cannot post yet: {reason}"),
            };
            write!(f, "── {} · {} · {plan}", item.target, item.request)?;
            if let Some(ts) = &item.thread_ts {
                write!(f, " · in thread {ts}")?;
            }
            writeln!(f)?;
            writeln!(f, "{}", item.text)?;
        }
        Ok(())
    }
}
