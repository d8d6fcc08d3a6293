//! The `http` platform's optional release lock (`capabilities.lock = true`): slipways on
//! different machines exclude each other through the platform, not only through the
//! lock file of one state directory. Contract: docs/http-platform.md, "Release lock".

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::PlatformError;
use super::http::{Endpoint, HttpPlatform};
use crate::model::LockHolder;
use crate::text::one_line;

/// A lock answer is a few hundred bytes; more is not a lock answer.
const MAX_LOCK_ANSWER: usize = 64 * 1024;

impl HttpPlatform {
    pub(super) async fn take_release_lock(
        &self,
        holder: &LockHolder,
    ) -> Result<Option<LockHolder>, PlatformError> {
        let action = "take the release lock";
        let (status, body) = self
            .lock_request(action, &self.endpoints.lock_take, Some(json!(holder)))
            .await?;
        match status {
            s if s.is_success() => Ok(None),
            StatusCode::CONFLICT => {
                holder_in(action, &body)?
                    .map(Some)
                    .ok_or_else(|| PlatformError::BadResponse {
                        action: action.into(),
                        detail: format!("409 without a holder: {}", one_line(&body, 120)),
                    })
            }
            s => Err(status_error(action, s, &body)),
        }
    }

    pub(super) async fn let_release_lock_go(
        &self,
        holder: &LockHolder,
        force: bool,
    ) -> Result<(), PlatformError> {
        let action = "release the release lock";
        let body = json!({"holder": holder, "force": force});
        let (status, text) = self
            .lock_request(action, &self.endpoints.lock_release, Some(body))
            .await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(status_error(action, status, &text))
        }
    }

    pub(super) async fn read_release_lock(&self) -> Result<Option<LockHolder>, PlatformError> {
        let action = "read the release lock";
        let (status, body) = self
            .lock_request(action, &self.endpoints.lock_read, None)
            .await?;
        match status {
            StatusCode::NOT_FOUND | StatusCode::NO_CONTENT => Ok(None),
            s if s.is_success() => holder_in(action, &body),
            s => Err(status_error(action, s, &body)),
        }
    }

    /// One request to a lock endpoint: its status and (bounded) body.
    async fn lock_request(
        &self,
        action: &str,
        endpoint: &Endpoint,
        body: Option<Value>,
    ) -> Result<(StatusCode, String), PlatformError> {
        if !self.cfg.capabilities.lock {
            return Err(PlatformError::Unsupported {
                action: action.into(),
            });
        }
        let mut req = self
            .client
            .request(endpoint.method.clone(), self.url(&endpoint.path));
        if let Some((h, v)) = &self.auth {
            req = req.header(h.as_str(), v.as_str());
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(action, &e))?;
        let status = resp.status();
        let mut bytes = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport_error(action, &e))?;
            if bytes.len() + chunk.len() > MAX_LOCK_ANSWER {
                return Err(PlatformError::BadResponse {
                    action: action.into(),
                    detail: format!("answer larger than {} KiB", MAX_LOCK_ANSWER / 1024),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// The holder in a lock answer: the whole body, or its `holder` member; `None` for an
/// empty body or `null`.
fn holder_in(action: &str, body: &str) -> Result<Option<LockHolder>, PlatformError> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let v: Value = serde_json::from_str(body).map_err(|e| PlatformError::BadResponse {
        action: action.into(),
        detail: format!("not JSON ({e}): {}", one_line(body, 120)),
    })?;
    let v = v.get("holder").cloned().unwrap_or(v);
    if v.is_null() {
        return Ok(None);
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(|e| PlatformError::BadResponse {
            action: action.into(),
            detail: format!("not a lock holder ({e}): {}", one_line(body, 120)),
        })
}

fn status_error(action: &str, status: StatusCode, body: &str) -> PlatformError {
    PlatformError::Status {
        action: action.into(),
        status: status.as_u16(),
        detail: one_line(body, 200),
    }
}
