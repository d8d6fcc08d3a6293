//! Following a rollout: runs the configured status command for a deployment and turns
//! its JSON answer into a `DeployStatus` and an output line.

use std::time::Duration;

use serde_json::Value;

use super::deployments::Deployment;
use super::status::Reading;
use crate::config::GitStatusConfig;
use crate::model::DeployStatus;
use crate::platform::PlatformError;
use crate::platform::exec::capture;
use crate::platform::template::CommandTemplate;

/// The placeholders a status command may use.
pub const PLACEHOLDERS: &[&str] = &["stack", "env", "version", "previous", "user", "commit"];
/// A controller's answer about one application is a few KiB; Argo CD's with its resource
/// tree can reach a few MiB.
const MAX_ANSWER: usize = 8 * 1024 * 1024;

/// The status command, parsed once.
pub fn template(cfg: &GitStatusConfig) -> Result<CommandTemplate, String> {
    let t = CommandTemplate::parse(&cfg.command, cfg.shell, PLACEHOLDERS)?;
    if t.steps() != 1 {
        return Err(
            "the status command is one command whose JSON answer is read (no '&&' steps)".into(),
        );
    }
    Ok(t)
}

/// The status, and the line the output shows for it.
pub async fn read(
    cfg: &GitStatusConfig,
    command: &CommandTemplate,
    deployment: &Deployment,
    env_name: &str,
) -> Result<(DeployStatus, String), PlatformError> {
    let vars = [
        ("stack", deployment.stack.as_str()),
        ("env", env_name),
        ("version", deployment.version.as_str()),
        ("previous", deployment.previous.as_str()),
        ("user", deployment.user.as_str()),
        ("commit", deployment.commit.as_str()),
    ];
    let Some(cmd) = command.render(&vars).into_iter().next() else {
        return Err(PlatformError::Config("the status command is empty".into()));
    };
    let captured = capture(&cmd, Duration::from_secs(cfg.timeout_secs), MAX_ANSWER)
        .await?
        .require_success()?;
    let text = captured.stdout_text()?;
    let answer: Value = serde_json::from_str(text).map_err(|e| PlatformError::BadResponse {
        action: format!("`{}`", cmd.short()),
        detail: format!("not JSON ({e}): {}", crate::text::one_line(text, 120)),
    })?;
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
    template(cfg).map_err(|m| ("status.command", m))?;
    if cfg.timeout_secs == 0 {
        return Err(("status.timeout_secs", "must be at least 1".into()));
    }
    if cfg.rollout_timeout_secs == 0 {
        return Err(("status.rollout_timeout_secs", "must be at least 1".into()));
    }
    Ok(())
}
