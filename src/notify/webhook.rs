//! A generic JSON webhook: one POST per message, with the message's kind and facts beside
//! the text so a receiver can do more than print it. Any 2xx is success.

use std::path::Path;

use serde_json::{Value, json};

use super::Attempt;
use super::transport::{PostOutcome, SecretHeader, Transport, snippet};
use crate::config::AnnounceConfig;

pub(super) struct Webhook {
    transport: Transport,
    /// May be a secret (incoming-webhook URLs are): only `label` is ever shown.
    url: String,
    /// What the user sees instead of the URL.
    label: String,
    auth: Option<SecretHeader>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.label)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// The facts a webhook body carries besides the text.
#[derive(Debug, Default)]
pub(super) struct Facts<'a> {
    pub release: Option<&'a str>,
    pub stack: Option<(&'a str, &'a str)>,
    pub deployment_id: Option<&'a str>,
    pub deployment_url: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub outcome: Option<&'a str>,
}

impl Webhook {
    pub fn new(
        url: String,
        label: String,
        auth: Option<SecretHeader>,
        transport: Transport,
    ) -> Webhook {
        Webhook {
            transport,
            url,
            label,
            auth,
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// `{"text", "kind", "action", "release"?, "stack"?, "deployment"?, "from"?, "to"?, "outcome"?}`
    pub fn body(kind: &str, action: &str, text: &str, facts: &Facts<'_>) -> Value {
        let mut body = json!({ "text": text, "kind": kind, "action": action });
        let Some(map) = body.as_object_mut() else {
            return body;
        };
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(v) = value {
                map.insert(key.to_string(), v);
            }
        };
        put("release", facts.release.map(Value::from));
        put(
            "stack",
            facts
                .stack
                .map(|(id, name)| json!({ "id": id, "name": name })),
        );
        put(
            "deployment",
            facts
                .deployment_id
                .map(|id| json!({ "id": id, "url": facts.deployment_url })),
        );
        put("from", facts.from.map(Value::from));
        put("to", facts.to.map(Value::from));
        put("outcome", facts.outcome.map(Value::from));
        body
    }

    pub async fn post(&self, body: &Value) -> Attempt {
        match self
            .transport
            .post_json(&self.url, self.auth.as_ref(), body)
            .await
        {
            PostOutcome::Answer { status, .. } if (200..300).contains(&status) => Attempt::Posted {
                channel_id: None,
                ts: None,
            },
            PostOutcome::Answer { status, body } => Attempt::Failed(format!(
                "the webhook answered HTTP {status}{}",
                snippet(&body)
            )),
            PostOutcome::NotSent(reason) => Attempt::Failed(reason),
            PostOutcome::Unknown(reason) => Attempt::Unknown(reason),
        }
    }
}

/// What to show for a webhook URL: scheme, host and port only, since the path of an
/// incoming-webhook URL is its secret.
pub(super) fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}/…", u.scheme()),
                None => format!("{}://{host}/…", u.scheme()),
            }
        }
        Err(_) => "the webhook URL".to_string(),
    }
}

/// The webhook's URL and what to show for it: the URL itself when it is in the config
/// text, only its host when it came from a secret.
pub(super) fn url_from_config(cfg: &AnnounceConfig) -> Result<(String, String), String> {
    if let Some(url) = &cfg.url {
        return Ok((url.clone(), url.clone()));
    }
    let url = read_url_secret(cfg.url_env.as_deref(), cfg.url_file.as_deref())?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(
            "the webhook URL (from url_env / url_file) must start with http:// or https://".into(),
        );
    }
    // The address is the secret: it is redacted from outside text, and so is its path
    // (an echo of the request line holds only that).
    crate::text::redact::register(&url);
    if let Some(path) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
    {
        crate::text::redact::register(path);
    }
    let label = redacted_url(&url);
    Ok((url, label))
}

/// Like `secrets::read_secret`, with messages that name `url_env` / `url_file`.
fn read_url_secret(env: Option<&str>, file: Option<&Path>) -> Result<String, String> {
    if let Some(var) = env
        && let Ok(v) = std::env::var(var)
        && !v.trim().is_empty()
    {
        return Ok(v.trim().to_string());
    }
    match (env, file) {
        (_, Some(path)) => match std::fs::read_to_string(path) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Ok(_) => Err(format!("url_file: {} is empty", path.display())),
            Err(e) => Err(format!("url_file: cannot read {}: {e}", path.display())),
        },
        (Some(var), None) => Err(format!(
            "url_env: the environment variable {var} is not set or empty"
        )),
        (None, None) => Err("url: give url, url_env or url_file".into()),
    }
}
