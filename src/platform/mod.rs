//! Deployment platforms behind one trait. The engine only talks to `dyn Platform`.

mod approval_wire;
pub mod command;
pub mod exec;
pub mod git;
pub mod http;
mod http_approvals;
mod http_lock;
pub mod template;
mod validate;

pub use validate::{validate, validate_command, validate_git, validate_http};

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{Config, PlatformConfig};
use crate::model::{
    Approval, DeployStatus, DeploymentId, DeploymentRef, Env, Instance, LockHolder, StackId,
    StackVersions, Version,
};

/// What went wrong talking to a platform, phrased for the person at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error("{action}: cannot reach the platform: {detail}")]
    Unreachable { action: String, detail: String },
    #[error("{action}: timed out after {secs}s")]
    Timeout { action: String, secs: u64 },
    #[error("{action}: the platform answered {status}: {detail}")]
    Status {
        action: String,
        status: u16,
        detail: String,
    },
    #[error("{action}: unexpected answer: {detail}")]
    BadResponse { action: String, detail: String },
    #[error("{action}: a deployment is already in flight: {detail}")]
    Conflict { action: String, detail: String },
    #[error("{action} is not supported by this platform")]
    Unsupported { action: String },
    #[error(
        "{action}: the request was sent but the answer was lost ({detail}); check the platform before trying again"
    )]
    OutcomeUnknown { action: String, detail: String },
    #[error("platform configuration: {0}")]
    Config(String),
}

impl PlatformError {
    /// The platform said no (a 4xx, a conflict, an unsupported action) or was never
    /// reached: nothing was started, so nothing on live changed.
    pub fn is_rejection(&self) -> bool {
        match self {
            PlatformError::Status { status, .. } => (400..500).contains(status),
            PlatformError::Conflict { .. }
            | PlatformError::Unsupported { .. }
            | PlatformError::Config(_)
            | PlatformError::Unreachable { .. } => true,
            PlatformError::Timeout { .. }
            | PlatformError::BadResponse { .. }
            | PlatformError::OutcomeUnknown { .. } => false,
        }
    }

    /// The same error told as part of `action` (`read www live version`): the action it
    /// named before (a command, `` `kubectl get` ``) moves into the detail, so the message
    /// says both what slipway was doing and what failed.
    pub fn within(self, action: &str) -> PlatformError {
        let action = action.to_string();
        match self {
            PlatformError::Unreachable { action: a, detail } => PlatformError::Unreachable {
                action,
                detail: join(a, detail),
            },
            PlatformError::Timeout { action: a, secs } => PlatformError::Timeout {
                action: format!("{action} ({a})"),
                secs,
            },
            PlatformError::Status {
                action: a,
                status,
                detail,
            } => PlatformError::Status {
                action,
                status,
                detail: join(a, detail),
            },
            PlatformError::BadResponse { action: a, detail } => PlatformError::BadResponse {
                action,
                detail: join(a, detail),
            },
            PlatformError::Conflict { action: a, detail } => PlatformError::Conflict {
                action,
                detail: join(a, detail),
            },
            PlatformError::Unsupported { action: a } => PlatformError::Unsupported {
                action: format!("{action} ({a})"),
            },
            PlatformError::OutcomeUnknown { action: a, detail } => PlatformError::OutcomeUnknown {
                action,
                detail: join(a, detail),
            },
            PlatformError::Config(m) => PlatformError::Config(m),
        }
    }
}

fn join(inner_action: String, detail: String) -> String {
    if detail.contains(&inner_action) {
        detail
    } else {
        format!("{inner_action} {detail}")
    }
}

/// One read of a deployment's output from some position on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutputChunk {
    pub lines: Vec<String>,
    /// Where to continue reading next time.
    pub next_offset: u64,
    /// The platform has no more output for this deployment.
    pub complete: bool,
}

/// What a platform can do beyond the basics, reported instead of faked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub abort: bool,
    pub config: bool,
    pub instances: bool,
    /// The platform holds a release lock across machines.
    pub lock: bool,
    /// The platform keeps approvals, so one given on one machine counts on every other.
    pub approvals: bool,
}

/// One deployment to start: everything a platform may need to name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    pub stack: StackId,
    /// Where it goes.
    pub env: Env,
    pub version: Version,
    /// What `env` runs now (the version a rollback template may restore from).
    pub previous: Version,
    pub rollback: bool,
    /// Who asked (`alice`), for commit messages and audit trails.
    pub user: String,
}

impl DeployRequest {
    /// `promote www to live`, `roll back www on live`.
    pub fn describe(&self) -> String {
        if self.rollback {
            format!("roll back {} on {}", self.stack, self.env)
        } else {
            format!("promote {} to {}", self.stack, self.env)
        }
    }
}

#[async_trait]
pub trait Platform: Send + Sync {
    /// A short name for messages (`http https://deploy.example`).
    fn describe(&self) -> String;
    /// Why a deployment in flight ends when this process does, where it does (the deploy
    /// runs as our child); `None` when the platform carries it on without us.
    fn stops_with_us(&self) -> Option<String> {
        None
    }
    fn capabilities(&self) -> Capabilities;
    /// The stack's version in every configured environment, in order, plus a deployment
    /// in flight if any.
    async fn versions(&self, stack: &StackId) -> Result<StackVersions, PlatformError>;
    /// Starts deploying a version to an environment. Never retried: a lost answer is
    /// `OutcomeUnknown`.
    async fn deploy(&self, request: &DeployRequest) -> Result<DeploymentRef, PlatformError>;
    async fn deployment_status(
        &self,
        stack: &StackId,
        id: &DeploymentId,
    ) -> Result<DeployStatus, PlatformError>;
    async fn deployment_output(
        &self,
        stack: &StackId,
        id: &DeploymentId,
        offset: u64,
    ) -> Result<OutputChunk, PlatformError>;
    async fn abort(&self, stack: &StackId, id: &DeploymentId) -> Result<(), PlatformError>;
    async fn instances(&self, stack: &StackId, env: &Env) -> Result<Vec<Instance>, PlatformError>;
    async fn config(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<BTreeMap<String, String>, PlatformError>;
    /// Exactly what [`Platform::deploy`] would do for `request`, for `--dry-run`: the
    /// HTTP request, the command lines, or the commit and push. Nothing is sent.
    fn plan_deploy(&self, request: &DeployRequest) -> Vec<String> {
        vec![format!(
            "{}: {} → {} ({} cannot show its exact request)",
            request.describe(),
            request.previous.short(),
            request.version.short(),
            self.describe()
        )]
    }

    /// Exactly what [`Platform::abort`] would do, for `--dry-run`.
    fn plan_abort(&self, stack: &StackId, id: &DeploymentId) -> Vec<String> {
        vec![format!(
            "abort deployment {id} of {stack} ({} cannot show its exact request)",
            self.describe()
        )]
    }

    /// How often a running deployment should be polled.
    fn poll_interval(&self) -> std::time::Duration;

    /// Takes the platform's release lock for `holder`, where the platform holds one (so
    /// two machines exclude each other): `None` when taken (or already ours), `Some` with
    /// whoever holds it otherwise.
    async fn take_lock(&self, holder: &LockHolder) -> Result<Option<LockHolder>, PlatformError> {
        let _ = holder;
        Err(PlatformError::Unsupported {
            action: "a release lock".into(),
        })
    }

    /// Lets the platform's lock go: `holder`'s own, or anyone's with `force`.
    async fn release_lock(&self, holder: &LockHolder, force: bool) -> Result<(), PlatformError> {
        let _ = (holder, force);
        Err(PlatformError::Unsupported {
            action: "a release lock".into(),
        })
    }

    /// Who holds the platform's lock now.
    async fn read_lock(&self) -> Result<Option<LockHolder>, PlatformError> {
        Err(PlatformError::Unsupported {
            action: "a release lock".into(),
        })
    }

    /// Keeps an approval where every machine's slipway can read it. Without this the
    /// journal of the release (one state directory) is where approvals are.
    async fn record_approval(&self, approval: &Approval) -> Result<(), PlatformError> {
        let _ = approval;
        Err(PlatformError::Unsupported {
            action: "keeping approvals".into(),
        })
    }

    /// The approvals the platform keeps for promotions of `stack` onto `env`.
    async fn read_approvals(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<Vec<Approval>, PlatformError> {
        let _ = (stack, env);
        Err(PlatformError::Unsupported {
            action: "keeping approvals".into(),
        })
    }
}

/// Builds the platform named in config.
pub fn from_config(config: &Config) -> Result<Arc<dyn Platform>, PlatformError> {
    let envs = config.release.environments();
    match &config.platform {
        PlatformConfig::Http(http) => Ok(Arc::new(http::HttpPlatform::new(http.clone(), envs)?)),
        PlatformConfig::Command(cmd) => {
            Ok(Arc::new(command::CommandPlatform::new(cmd.clone(), envs)?))
        }
        PlatformConfig::Git(git) => Ok(Arc::new(git::GitPlatform::new(git.clone(), envs)?)),
    }
}
