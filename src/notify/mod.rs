//! Release announcements in chat: the announcement drafted from the change summary, a
//! thread reply per stack as its deployment starts and finishes, and a completion
//! message in the same thread — to Slack (Web API, one or more channels) or to a generic
//! JSON webhook.
//!
//! Every post has an action key; `NotifierState` records which (action, target) pairs
//! are delivered, so a retry sends only what failed and nothing is posted twice for one
//! action. A post that went out without an answer is "unknown" and is sent again only
//! when forced, after someone has looked at the channel.
//!
//! This module knows nothing of the engine or the UI: the engine calls it and turns
//! each `Delivery` into an event.

mod delivery;
mod message;
mod slack;
mod state;
mod summary;
pub mod template;
mod transport;
mod validate;
mod webhook;

pub use delivery::{Delivery, DeliveryStatus, Plan, Preview, PreviewItem, TargetDelivery};
pub use message::{Message, MessageKind, SendMode};
pub use state::{DeliveryKey, NotifierState, Thread};
pub use summary::{
    CommitLine, Completion, DeployInfo, DeployOutcome, ReleaseSummary, StackLine, StackResult,
};
pub use template::{TemplateError, Templates};
pub use validate::validate;

use crate::config::{AnnounceConfig, AnnounceKind};
use slack::Slack;
use transport::{SecretHeader, Transport};
use webhook::{Facts, Webhook};

/// Slack truncates past 40,000 characters; refuse rather than post half a message.
pub const MAX_TEXT_CHARS: usize = 40_000;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `[announce]` cannot be used (a missing token, an unusable URL).
    #[error("announce: {0}")]
    Config(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("the {0} is empty; nothing to post")]
    Empty(&'static str),
    #[error("the {what} is {chars} characters long; chat services take at most {MAX_TEXT_CHARS}")]
    TooLong { what: &'static str, chars: usize },
}

enum Sender {
    Slack { api: Slack, channels: Vec<String> },
    Webhook(Webhook),
}

/// Sends announcements and remembers what went where. Built once per release; its state
/// can be saved and restored (`state`, `with_state`) to carry on after a restart.
pub struct Notifier {
    sender: Sender,
    templates: Templates,
    state: NotifierState,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Notifier");
        match &self.sender {
            Sender::Slack { api, channels } => d.field("slack", api).field("channels", channels),
            Sender::Webhook(w) => d.field("webhook", w),
        };
        d.field("templates", &self.templates)
            .field("state", &self.state)
            .finish()
    }
}

/// A message rendered and checked, ready to post.
struct Prepared {
    action: String,
    kind: MessageKind,
    text: String,
}

impl Notifier {
    /// Reads the secrets `[announce]` names and compiles its templates.
    pub fn from_config(cfg: &AnnounceConfig) -> Result<Notifier, NotifyError> {
        let templates = Templates::from_config(cfg)?;
        let transport =
            Transport::new(cfg.timeout_secs, cfg.retries).map_err(NotifyError::Config)?;
        let sender = match cfg.kind {
            AnnounceKind::Slack => {
                if cfg.channels.is_empty() {
                    return Err(NotifyError::Config(
                        "channels: name at least one Slack channel".into(),
                    ));
                }
                let token = crate::secrets::read_secret(
                    cfg.token_env.as_deref(),
                    cfg.token_file.as_deref(),
                )
                .map_err(|e| NotifyError::Config(format!("the Slack bot token: {e}")))?;
                let api =
                    Slack::new(cfg.base_url(), &token, transport).map_err(NotifyError::Config)?;
                Sender::Slack {
                    api,
                    channels: cfg.channels.clone(),
                }
            }
            AnnounceKind::Webhook => {
                let (url, label) = webhook::url_from_config(cfg).map_err(NotifyError::Config)?;
                let auth = match &cfg.auth {
                    None => None,
                    Some(a) => {
                        let token = crate::secrets::read_secret(
                            a.token_env.as_deref(),
                            a.token_file.as_deref(),
                        )
                        .map_err(|e| NotifyError::Config(format!("auth: {e}")))?;
                        Some(
                            SecretHeader::new(&a.header, &a.scheme, &token)
                                .map_err(|e| NotifyError::Config(format!("auth: {e}")))?,
                        )
                    }
                };
                Sender::Webhook(Webhook::new(url, label, auth, transport))
            }
        };
        Ok(Notifier {
            sender,
            templates,
            state: NotifierState::default(),
        })
    }

    /// Carries on from a saved state (same release, after a restart).
    pub fn with_state(mut self, state: NotifierState) -> Notifier {
        self.state = state;
        self
    }

    pub fn state(&self) -> &NotifierState {
        &self.state
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The channels, or the webhook's label: where every message goes.
    pub fn targets(&self) -> Vec<String> {
        match &self.sender {
            Sender::Slack { channels, .. } => channels.clone(),
            Sender::Webhook(w) => vec![w.label().to_string()],
        }
    }

    /// The announcement's draft, for the user to read and edit before `announce`.
    pub fn draft_announcement(&self, summary: &ReleaseSummary) -> Result<String, TemplateError> {
        self.templates.render_announcement(summary)
    }

    /// The completion message's draft, for the user to read and edit before `complete`.
    pub fn draft_completion(&self, completion: &Completion) -> Result<String, TemplateError> {
        self.templates.render_completion(completion)
    }

    pub async fn announce(&mut self, text: &str) -> Result<Delivery, NotifyError> {
        let message = Message::Announcement {
            text: text.to_string(),
        };
        self.send(&message, SendMode::Normal).await
    }

    pub async fn deploy_started(&mut self, deploy: &DeployInfo) -> Result<Delivery, NotifyError> {
        let message = Message::DeployStarted {
            deploy: deploy.clone(),
        };
        self.send(&message, SendMode::Normal).await
    }

    pub async fn deploy_finished(
        &mut self,
        deploy: &DeployInfo,
        outcome: DeployOutcome,
        detail: Option<&str>,
    ) -> Result<Delivery, NotifyError> {
        let message = Message::DeployFinished {
            deploy: deploy.clone(),
            outcome,
            detail: detail.map(str::to_string),
        };
        self.send(&message, SendMode::Normal).await
    }

    pub async fn complete(&mut self, text: &str) -> Result<Delivery, NotifyError> {
        let message = Message::Completion {
            text: text.to_string(),
        };
        self.send(&message, SendMode::Normal).await
    }

    /// Sends `message` to every target that does not have it yet. This is also the retry:
    /// calling it again re-sends only what failed, and with `SendMode::Force` also what
    /// may or may not have been posted.
    pub async fn send(
        &mut self,
        message: &Message,
        mode: SendMode,
    ) -> Result<Delivery, NotifyError> {
        let prepared = self.prepare(message)?;
        let mut targets = Vec::new();
        for target in self.targets() {
            let status = self.send_to(&target, message, &prepared, mode).await;
            targets.push(TargetDelivery { target, status });
        }
        let delivery = Delivery {
            action: prepared.action,
            targets,
        };
        if delivery.is_complete() {
            tracing::info!(action = %delivery.action, "delivered");
        } else {
            tracing::warn!(action = %delivery.action, result = %delivery, "not delivered everywhere");
        }
        Ok(delivery)
    }

    /// Exactly what `send` would post, per target, without posting.
    pub fn preview(&self, message: &Message, mode: SendMode) -> Result<Preview, NotifyError> {
        let prepared = self.prepare(message)?;
        let items = self
            .targets()
            .into_iter()
            .map(|target| {
                let plan = self.plan(&target, &prepared.action, mode);
                let (body, thread_ts, plan) = match self.body(&target, message, &prepared) {
                    Ok((body, thread_ts)) => (body, thread_ts, plan),
                    Err(reason) => (
                        serde_json::Value::Null,
                        None,
                        match plan {
                            Plan::Send => Plan::Blocked { reason },
                            other => other,
                        },
                    ),
                };
                PreviewItem {
                    request: self.request_label(),
                    target,
                    thread_ts,
                    text: prepared.text.clone(),
                    body,
                    plan,
                }
            })
            .collect();
        Ok(Preview {
            action: prepared.action,
            items,
        })
    }

    fn request_label(&self) -> String {
        match &self.sender {
            Sender::Slack { api, .. } => format!("POST {}", api.post_url()),
            Sender::Webhook(w) => format!("POST {}", w.label()),
        }
    }

    fn plan(&self, target: &str, action: &str, mode: SendMode) -> Plan {
        if mode == SendMode::Again {
            Plan::Send
        } else if self.state.is_delivered(action, target) {
            Plan::Skip
        } else if self.state.is_unknown(action, target) && mode == SendMode::Normal {
            Plan::NeedsForce
        } else {
            Plan::Send
        }
    }

    fn prepare(&self, message: &Message) -> Result<Prepared, NotifyError> {
        let text = match message {
            Message::Announcement { text }
            | Message::Completion { text }
            | Message::Report { text } => text.trim().to_string(),
            Message::DeployStarted { deploy } => self.templates.render_deploy_started(deploy)?,
            Message::DeployFinished {
                deploy,
                outcome,
                detail,
            } => self
                .templates
                .render_deploy_finished(deploy, *outcome, detail.as_deref())?,
        };
        let what = match message.kind() {
            MessageKind::Announcement => "announcement",
            MessageKind::DeployStarted => "deploy start message",
            MessageKind::DeployFinished => "deploy finish message",
            MessageKind::Completion => "completion message",
            MessageKind::Report => "release report",
        };
        if text.is_empty() {
            return Err(NotifyError::Empty(what));
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(NotifyError::TooLong { what, chars });
        }
        Ok(Prepared {
            action: message.action(),
            kind: message.kind(),
            text,
        })
    }

    /// The JSON body for one target, and the thread it replies in. Replies need the
    /// channel's announcement thread; without it they are not posted at the top level
    /// (where they would read as a new, unexplained release).
    fn body(
        &self,
        target: &str,
        message: &Message,
        prepared: &Prepared,
    ) -> Result<(serde_json::Value, Option<String>), String> {
        match &self.sender {
            Sender::Slack { .. } => {
                if prepared.kind == MessageKind::Announcement {
                    return Ok((Slack::body(target, &prepared.text, None), None));
                }
                match self.state.thread(target) {
                    Some(thread) => Ok((
                        Slack::body(&thread.channel_id, &prepared.text, Some(&thread.ts)),
                        Some(thread.ts.clone()),
                    )),
                    None if self.state.is_unknown("announce", target) => Err(format!(
                        "the announcement in {target} may have been posted but its thread is unknown; check the channel and retry the announcement with force"
                    )),
                    None => Err(format!(
                        "no announcement thread in {target} yet; announce first"
                    )),
                }
            }
            Sender::Webhook(_) => {
                let deploy = message.deploy();
                let outcome = match message {
                    Message::DeployFinished { outcome, .. } => Some(outcome.as_str()),
                    _ => None,
                };
                let facts = Facts {
                    release: deploy.map(|d| d.release.as_str()),
                    stack: deploy.map(|d| (d.stack_id.as_str(), d.stack_name.as_str())),
                    deployment_id: deploy.map(|d| d.deployment_id.as_str()),
                    deployment_url: deploy.and_then(|d| d.url.as_deref()),
                    from: deploy.map(|d| d.from.as_str()),
                    to: deploy.map(|d| d.to.as_str()),
                    outcome,
                };
                Ok((
                    Webhook::body(
                        prepared.kind.as_str(),
                        &prepared.action,
                        &prepared.text,
                        &facts,
                    ),
                    None,
                ))
            }
        }
    }

    async fn send_to(
        &mut self,
        target: &str,
        message: &Message,
        prepared: &Prepared,
        mode: SendMode,
    ) -> DeliveryStatus {
        let action = prepared.action.as_str();
        match self.plan(target, action, mode) {
            Plan::Skip => return DeliveryStatus::Skipped,
            Plan::NeedsForce => {
                return DeliveryStatus::Unknown {
                    reason: "an earlier send got no answer".into(),
                };
            }
            Plan::Send | Plan::Blocked { .. } => {}
        }
        let (body, _) = match self.body(target, message, prepared) {
            Ok(b) => b,
            Err(reason) => return DeliveryStatus::Failed { reason },
        };
        tracing::debug!(
            action,
            target,
            chars = prepared.text.chars().count(),
            "posting"
        );
        let attempt = match &self.sender {
            Sender::Slack { api, .. } => api.post(&body).await,
            Sender::Webhook(w) => w.post(&body).await,
        };
        match attempt {
            Attempt::Posted { channel_id, ts } => {
                self.state.mark_delivered(action, target);
                if prepared.kind == MessageKind::Announcement
                    && let (Sender::Slack { .. }, Some(ts)) = (&self.sender, &ts)
                {
                    self.state.set_thread(
                        target,
                        Thread {
                            channel_id: channel_id.unwrap_or_else(|| target.to_string()),
                            ts: ts.clone(),
                        },
                    );
                }
                tracing::info!(action, target, ts = ts.as_deref().unwrap_or(""), "posted");
                DeliveryStatus::Posted { ts }
            }
            Attempt::Failed(reason) => {
                // An earlier unknown attempt stays unknown: this failure says nothing
                // about whether that one landed.
                tracing::warn!(action, target, %reason, "post failed");
                DeliveryStatus::Failed { reason }
            }
            Attempt::Unknown(reason) => {
                self.state.mark_unknown(action, target);
                tracing::warn!(action, target, %reason, "post outcome unknown");
                DeliveryStatus::Unknown { reason }
            }
        }
    }
}

/// What one post achieved, as the senders report it.
#[derive(Debug)]
enum Attempt {
    /// `channel_id` and `ts` as Slack answered them (a webhook answers neither).
    Posted {
        channel_id: Option<String>,
        ts: Option<String>,
    },
    Failed(String),
    Unknown(String),
}
