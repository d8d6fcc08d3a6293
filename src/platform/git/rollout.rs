//! Following a rollout: runs the configured status command for a deployment and turns
//! its JSON answer into a `DeployStatus` and an output line.

use std::time::Duration;

use serde_json::Value;

use super::deployments::Deployment;
use super::status::Reading;
use crate::config::GitStatusConfig;
use crate::model::DeployStatus;
use crate::platform::PlatformError;

/// The status, and the line the output shows for it.
pub async fn read(
    cfg: &GitStatusConfig,
    deployment: &Deployment,
    env_name: &str,
) -> Result<(DeployStatus, String), PlatformError> {
    let answer = run(cfg, deployment, env_name).await?;
    let reading = Reading::from_answer(cfg, &answer, &deployment.commit);
    let status = reading.status(
        deployment.pushed_at.elapsed(),
        Duration::from_secs(cfg.rollout_timeout_secs),
    );
    let stamp = chrono::Local::now().format("%H:%M:%S");
    Ok((
        status,
        format!("[{stamp}] {}", reading.line(&deployment.commit)),
    ))
}

async fn run(
    _cfg: &GitStatusConfig,
    deployment: &Deployment,
    _env_name: &str,
) -> Result<Value, PlatformError> {
    Err(PlatformError::Unsupported {
        action: format!("follow the rollout of {}", deployment.commit),
    })
}

/// The status section's pointers and numbers.
pub fn validate(cfg: &GitStatusConfig) -> Result<(), (&'static str, String)> {
    let pointer = |key: &'static str, p: &str| {
        if p.is_empty() || p.starts_with('/') {
            Ok(())
        } else {
            Err((
                key,
                format!("'{p}' is not a JSON pointer: it must start with '/'"),
            ))
        }
    };
    pointer("status.synced_pointer", &cfg.synced_pointer)?;
    pointer("status.healthy_pointer", &cfg.healthy_pointer)?;
    if let Some(p) = &cfg.revision_pointer {
        pointer("status.revision_pointer", p)?;
    }
    if let Some(p) = &cfg.message_pointer {
        pointer("status.message_pointer", p)?;
    }
    if cfg.synced_values.is_empty() || cfg.healthy_values.is_empty() {
        return Err((
            "status.synced_values",
            "synced_values and healthy_values need at least one word each".into(),
        ));
    }
    if cfg.timeout_secs == 0 {
        return Err(("status.timeout_secs", "must be at least 1".into()));
    }
    if cfg.rollout_timeout_secs == 0 {
        return Err(("status.rollout_timeout_secs", "must be at least 1".into()));
    }
    Ok(())
}
