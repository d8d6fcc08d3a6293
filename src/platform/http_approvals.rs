//! The `http` platform's optional approvals (`capabilities.approvals = true`): an approval
//! given on one machine lets a promotion go on another, instead of living only in the
//! journal of one state directory. Contract: docs/http-platform.md, "Approvals".

use serde_json::{Value, json};

use super::PlatformError;
use super::approval_wire::ApprovalWire;
use super::http::HttpPlatform;
use crate::model::{Approval, Env, StackId};
use crate::text::one_line;

impl HttpPlatform {
    pub(super) async fn post_approval(&self, a: &Approval) -> Result<(), PlatformError> {
        let action = format!("record the approval of {} to {}", a.stack, a.env);
        if !self.cfg.capabilities.approvals {
            return Err(PlatformError::Unsupported { action });
        }
        let env = self.env_name(&a.env);
        let path = self
            .endpoints
            .approvals_record
            .render(&[("stack", a.stack.as_str()), ("env", env)]);
        let body = json!({
            "stack": a.stack,
            "env": env,
            "from": a.from,
            "to": a.to,
            "user": a.user,
            "host": a.host,
            "at": a.at,
        });
        self.write(&action, &self.endpoints.approvals_record, &path, &body)
            .await
            .map(|_| ())
    }

    pub(super) async fn get_approvals(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<Vec<Approval>, PlatformError> {
        let action = format!("read the approvals of {stack} to {env}");
        if !self.cfg.capabilities.approvals {
            return Err(PlatformError::Unsupported { action });
        }
        let name = self.env_name(env).to_string();
        let path = self
            .endpoints
            .approvals_read
            .render(&[("stack", stack.as_str()), ("env", &name)]);
        let body = self
            .read(&action, &self.endpoints.approvals_read, &path)
            .await?;
        // A list, or an object holding one as `approvals`; nothing yet may be null.
        let items = match &body {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            other => match other.get("approvals") {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(PlatformError::BadResponse {
                        action,
                        detail: format!(
                            "expected a list of approvals: {}",
                            one_line(&other.to_string(), 120)
                        ),
                    });
                }
            },
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let w: ApprovalWire =
                serde_json::from_value(item.clone()).map_err(|e| PlatformError::BadResponse {
                    action: action.clone(),
                    detail: format!(
                        "not an approval ({e}): {}",
                        one_line(&item.to_string(), 120)
                    ),
                })?;
            // A platform that ignores the query's filter still only answers for this step.
            out.extend(w.for_step(stack, env, &name));
        }
        Ok(out)
    }
}
