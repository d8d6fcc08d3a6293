//! Secrets are named in config (an environment variable or a file), never written in it.

use std::path::Path;

/// Reads a secret from the named environment variable, else the named file.
/// The error says where it looked, never what it found.
pub fn read_secret(env: Option<&str>, file: Option<&Path>) -> Result<String, String> {
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
