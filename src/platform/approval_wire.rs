//! An approval as platforms keep it (the http platform's `/approvals` items, the git
//! platform's approval commits): one shape, read back the same way by both.

use serde::{Deserialize, Serialize};

use crate::model::{Approval, Env, StackId, Version};
use crate::text::one_line;

/// `env` is the platform's own name for the environment.
#[derive(Serialize, Deserialize)]
pub(super) struct ApprovalWire {
    pub stack: String,
    pub env: String,
    pub from: String,
    pub to: String,
    pub user: String,
    #[serde(default)]
    pub host: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl ApprovalWire {
    /// `a` as kept, with `env_name` the platform's name for its environment.
    pub fn of(a: &Approval, env_name: &str) -> ApprovalWire {
        ApprovalWire {
            stack: a.stack.to_string(),
            env: env_name.to_string(),
            from: a.from.to_string(),
            to: a.to.to_string(),
            user: a.user.clone(),
            host: a.host.clone(),
            at: a.at,
        }
    }

    /// The approval, if it is about `stack` onto `env` (called `env_name` there): a
    /// platform that ignores a filter, or a misfiled record, still counts only for its
    /// own step. Outside text is kept to one bounded line.
    pub fn for_step(self, stack: &StackId, env: &Env, env_name: &str) -> Option<Approval> {
        if StackId::new(&self.stack) != *stack || self.env != env_name {
            return None;
        }
        Some(Approval {
            stack: stack.clone(),
            env: env.clone(),
            from: Version::new(self.from),
            to: Version::new(self.to),
            user: one_line(&self.user, 80),
            host: one_line(&self.host, 80),
            at: self.at,
        })
    }
}
