//! Secrets are named in config (an environment variable or a file), never written in it.

use std::path::Path;

/// Reads a secret from the named environment variable, else the named file, and
/// registers its value so that outside text echoing it shows `[redacted]` (see
/// `text::redact`). The error says where it looked, never what it found.
pub fn read_secret(env: Option<&str>, file: Option<&Path>) -> Result<String, String> {
    let value = read_unregistered(env, file)?;
    crate::text::redact::register(&value);
    Ok(value)
}

fn read_unregistered(env: Option<&str>, file: Option<&Path>) -> Result<String, String> {
    if let Some(var) = env {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => return Ok(v.trim().to_string()),
            _ if file.is_none() => {
                return Err(format!(
                    "the environment variable {var} (token_env) is not set or empty"
                ));
            }
            _ => {}
        }
    }
    if let Some(path) = file {
        return match std::fs::read_to_string(path) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Ok(_) => Err(format!("the token file {} is empty", path.display())),
            Err(e) => Err(format!(
                "cannot read the token file {}: {e}",
                path.display()
            )),
        };
    }
    Err("no token_env or token_file given".to_string())
}

/// Registers the values of every secret the config names (platform token, chat token or
/// webhook URL and auth), for commands that print outside text without reading them
/// otherwise (`history`). A secret that cannot be read is skipped quietly: the command
/// that needs it says so.
pub fn register_configured(config: &crate::config::Config) {
    let mut refs: Vec<(Option<&str>, Option<&Path>)> = Vec::new();
    match &config.platform {
        crate::config::PlatformConfig::Http(h) => {
            if let Some(a) = &h.auth {
                refs.push((a.token_env.as_deref(), a.token_file.as_deref()));
            }
        }
        // Its commands read their own credentials (kubeconfig, cloud CLI login).
        crate::config::PlatformConfig::Command(_) => {}
        // The git platform's secrets are git's own (credential helpers, ssh keys).
        crate::config::PlatformConfig::Git(_) => {}
    }
    if let Some(an) = &config.announce {
        refs.push((an.token_env.as_deref(), an.token_file.as_deref()));
        refs.push((an.url_env.as_deref(), an.url_file.as_deref()));
        if let Some(a) = &an.auth {
            refs.push((a.token_env.as_deref(), a.token_file.as_deref()));
        }
    }
    for (env, file) in refs {
        if env.is_some() || file.is_some() {
            let _ = read_secret(env, file);
        }
    }
}
