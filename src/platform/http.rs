//! The `http` platform: a REST deploy API whose paths, methods and JSON pointers come
//! from config (see `docs/http-platform.md` for the default contract).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::Value;

use super::{Capabilities, DeployRequest, OutputChunk, Platform, PlatformError};
use crate::config::HttpPlatformConfig;
use crate::http_body::BodyError;
use crate::model::{
    Approval, DeployState, DeployStatus, DeploymentId, DeploymentRef, Env, EnvVersion, InFlight,
    Instance, LockHolder, StackId, StackVersions, Version,
};
use crate::text::one_line;

/// The largest answer read from the platform (versions, statuses, instances, config).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// The largest chunk of deploy output read in one poll.
const MAX_OUTPUT_BYTES: usize = 8 * 1024 * 1024;

/// Marks transport errors where no connection was made, so nothing was sent.
const CONNECT_FAILED: &str = "connection failed: ";

/// Characters left as they are when substituted into a path: RFC 3986 unreserved.
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `"METHOD /path/{placeholder}?q={x}"` from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: Method,
    pub path: String,
}

impl Endpoint {
    pub fn parse(spec: &str) -> Result<Endpoint, String> {
        let (method, path) = spec.trim().split_once(char::is_whitespace).ok_or_else(|| {
            format!("'{spec}' should be \"METHOD /path\", e.g. \"GET /stacks/{{stack}}\"")
        })?;
        let method = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            other => return Err(format!("unknown HTTP method '{other}'")),
        };
        let path = path.trim();
        if !path.starts_with('/') {
            return Err(format!("path '{path}' must start with '/'"));
        }
        let known = ["{stack}", "{env}", "{id}", "{offset}", "{version}"];
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed '{{' in '{path}'"))?;
            let name = &rest[open..=(open + close)];
            if !known.contains(&name) {
                return Err(format!(
                    "unknown placeholder {name}; known: {}",
                    known.join(" ")
                ));
            }
            rest = &rest[open + close + 1..];
        }
        Ok(Endpoint {
            method,
            path: path.to_string(),
        })
    }

    pub(super) fn render(&self, vars: &[(&str, &str)]) -> String {
        let mut out = self.path.clone();
        for (name, value) in vars {
            let encoded = utf8_percent_encode(value, PATH_VALUE).to_string();
            out = out.replace(&format!("{{{name}}}"), &encoded);
        }
        out
    }
}

pub(super) struct Endpoints {
    versions: Endpoint,
    promote: Endpoint,
    deployment: Endpoint,
    output: Endpoint,
    abort: Endpoint,
    instances: Endpoint,
    config: Endpoint,
    pub(super) lock_take: Endpoint,
    pub(super) lock_release: Endpoint,
    pub(super) lock_read: Endpoint,
    pub(super) approvals_record: Endpoint,
    pub(super) approvals_read: Endpoint,
}

pub struct HttpPlatform {
    pub(super) cfg: HttpPlatformConfig,
    /// slipway's environments in promotion order (the platform may name them otherwise).
    environments: Vec<Env>,
    pub(super) endpoints: Endpoints,
    pub(super) client: reqwest::Client,
    /// `(header name, header value)` with the secret; never logged or displayed.
    pub(super) auth: Option<(String, String)>,
}

impl HttpPlatform {
    pub fn new(cfg: HttpPlatformConfig, environments: Vec<Env>) -> Result<Self, PlatformError> {
        let ep = |s: &str| Endpoint::parse(s).map_err(PlatformError::Config);
        let endpoints = Endpoints {
            versions: ep(&cfg.endpoints.versions)?,
            promote: ep(&cfg.endpoints.promote)?,
            deployment: ep(&cfg.endpoints.deployment)?,
            output: ep(&cfg.endpoints.output)?,
            abort: ep(&cfg.endpoints.abort)?,
            instances: ep(&cfg.endpoints.instances)?,
            config: ep(&cfg.endpoints.config)?,
            lock_take: ep(&cfg.endpoints.lock_take)?,
            lock_release: ep(&cfg.endpoints.lock_release)?,
            lock_read: ep(&cfg.endpoints.lock_read)?,
            approvals_record: ep(&cfg.endpoints.approvals_record)?,
            approvals_read: ep(&cfg.endpoints.approvals_read)?,
        };
        let auth = match &cfg.auth {
            None => None,
            Some(a) => {
                let token =
                    crate::secrets::read_secret(a.token_env.as_deref(), a.token_file.as_deref())
                        .map_err(PlatformError::Config)?;
                let value = if a.scheme.is_empty() {
                    token
                } else {
                    format!("{} {}", a.scheme, token)
                };
                Some((a.header.clone(), value))
            }
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.timeout_secs))
            .connect_timeout(Duration::from_secs(cfg.timeout_secs.min(5)))
            .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PlatformError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpPlatform {
            cfg,
            environments,
            endpoints,
            client,
            auth,
        })
    }

    /// The path and JSON body of a deploy request: one place for the request sent and
    /// the one a dry run shows.
    fn deploy_request(&self, request: &DeployRequest) -> (String, Value) {
        let path = self.endpoints.promote.render(&[
            ("stack", request.stack.as_str()),
            ("env", self.env_name(&request.env)),
            ("version", request.version.as_str()),
        ]);
        let body = serde_json::json!({
            "version": request.version.as_str(),
            "rollback": request.rollback,
        });
        (path, body)
    }

    /// The platform's name for one of slipway's environments.
    pub(super) fn env_name<'a>(&'a self, env: &'a Env) -> &'a str {
        if let Some(name) = self.cfg.env_names.get(env.as_str()) {
            return name;
        }
        match env.as_str() {
            "test" => &self.cfg.test_env,
            "live" => &self.cfg.live_env,
            other => other,
        }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{}", self.cfg.base_url.trim_end_matches('/'), path)
    }

    /// Sends one request and returns the parsed JSON body of a 2xx answer.
    pub(super) async fn send_once(
        &self,
        action: &str,
        endpoint: &Endpoint,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, PlatformError> {
        let mut req = self.client.request(endpoint.method.clone(), self.url(path));
        if let Some((h, v)) = &self.auth {
            req = req.header(h.as_str(), v.as_str());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(action, &e))?;
        let status = resp.status();
        let limit = self.answer_limit(endpoint);
        let text = match crate::http_body::read_capped_text(resp, limit).await {
            Ok(t) => t,
            Err(BodyError::Transport(e)) => return Err(self.transport_error(action, &e)),
            Err(BodyError::TooLarge(limit)) => {
                return Err(PlatformError::BadResponse {
                    action: action.to_string(),
                    detail: BodyError::too_large(limit),
                });
            }
        };
        // A platform that echoes a configured secret (the token in an error message or in
        // deploy output) shows `[redacted]` everywhere downstream.
        let text = crate::text::redact::redact(&text);
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| PlatformError::BadResponse {
                action: action.to_string(),
                detail: format!("not JSON ({e}): {}", one_line(&text, 120)),
            });
        }
        let detail = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.pointer(&self.cfg.pointers.error).and_then(value_text))
            .map_or_else(|| one_line(&text, 200), |e| one_line(&e, 200));
        let detail = format!("{} {path}: {detail}", endpoint.method);
        if status.as_u16() == 409 {
            return Err(PlatformError::Conflict {
                action: action.to_string(),
                detail,
            });
        }
        Err(PlatformError::Status {
            action: action.to_string(),
            status: status.as_u16(),
            detail,
        })
    }

    /// How large an answer may be: deploy output chunks carry a job's terminal, every
    /// other answer is a small JSON document.
    fn answer_limit(&self, endpoint: &Endpoint) -> usize {
        if endpoint == &self.endpoints.output {
            MAX_OUTPUT_BYTES
        } else {
            MAX_ANSWER_BYTES
        }
    }

    pub(super) fn transport_error(&self, action: &str, e: &reqwest::Error) -> PlatformError {
        if e.is_timeout() {
            PlatformError::Timeout {
                action: action.to_string(),
                secs: self.cfg.timeout_secs,
            }
        } else {
            let prefix = if e.is_connect() { CONNECT_FAILED } else { "" };
            PlatformError::Unreachable {
                action: action.to_string(),
                detail: format!("{prefix}{}", one_line(&error_chain(e), 200)),
            }
        }
    }

    /// A read: retried with back-off on transport errors and 5xx answers.
    pub(super) async fn read(
        &self,
        action: &str,
        endpoint: &Endpoint,
        path: &str,
    ) -> Result<Value, PlatformError> {
        let mut delay = Duration::from_millis(self.cfg.retry_backoff_ms);
        let mut attempt = 0;
        loop {
            match self.send_once(action, endpoint, path, None).await {
                Ok(v) => return Ok(v),
                Err(e) if attempt < self.cfg.retries && retryable(&e) => {
                    tracing::debug!(action, attempt, error = %e, "retrying platform read");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A write: sent once. Only a failure to connect proves nothing was sent; any other
    /// transport failure (timeout, connection dropped mid-answer) leaves the outcome
    /// unknown, and saying so keeps people from deploying twice.
    pub(super) async fn write(
        &self,
        action: &str,
        endpoint: &Endpoint,
        path: &str,
        body: &Value,
    ) -> Result<Value, PlatformError> {
        match self.send_once(action, endpoint, path, Some(body)).await {
            Err(PlatformError::Timeout { action, secs }) => Err(PlatformError::OutcomeUnknown {
                action,
                detail: format!("no answer within {secs}s"),
            }),
            Err(PlatformError::Unreachable { action, detail })
                if !detail.starts_with(CONNECT_FAILED) =>
            {
                Err(PlatformError::OutcomeUnknown { action, detail })
            }
            other => other,
        }
    }

    #[allow(
        clippy::unused_self,
        reason = "a method like its siblings, so callers need not know it reads no state"
    )]
    fn pointer<'a>(
        &self,
        action: &str,
        v: &'a Value,
        pointer: &str,
    ) -> Result<&'a Value, PlatformError> {
        v.pointer(pointer)
            .ok_or_else(|| PlatformError::BadResponse {
                action: action.to_string(),
                detail: format!(
                    "no value at JSON pointer '{pointer}' in {}",
                    one_line(&v.to_string(), 120)
                ),
            })
    }

    fn text_at(&self, action: &str, v: &Value, pointer: &str) -> Result<String, PlatformError> {
        let found = self.pointer(action, v, pointer)?;
        value_text(found).ok_or_else(|| PlatformError::BadResponse {
            action: action.to_string(),
            detail: format!(
                "the value at '{pointer}' is not a string or number: {}",
                one_line(&found.to_string(), 80)
            ),
        })
    }

    async fn env_version(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<(Version, Option<DeploymentId>), PlatformError> {
        let action = format!("read {stack} {env} version");
        let path = self
            .endpoints
            .versions
            .render(&[("stack", stack.as_str()), ("env", self.env_name(env))]);
        let body = self.read(&action, &self.endpoints.versions, &path).await?;
        let version = self.text_at(&action, &body, &self.cfg.pointers.version)?;
        if version.trim().is_empty() {
            return Err(PlatformError::BadResponse {
                action,
                detail: "the version is empty".into(),
            });
        }
        let active = body
            .pointer(&self.cfg.pointers.active_deployment)
            .and_then(value_text)
            .map(|s| identifier(&s))
            .filter(|s| !s.is_empty())
            .map(DeploymentId::new);
        Ok((Version::new(identifier(&version)), active))
    }

    fn map_state(&self, raw: &str) -> DeployState {
        let is = |words: &[String]| words.iter().any(|w| w.eq_ignore_ascii_case(raw));
        if is(&self.cfg.states.succeeded) {
            DeployState::Succeeded
        } else if is(&self.cfg.states.failed) {
            DeployState::Failed
        } else if is(&self.cfg.states.aborted) {
            DeployState::Aborted
        } else {
            DeployState::Running
        }
    }
}

#[async_trait]
impl Platform for HttpPlatform {
    fn describe(&self) -> String {
        format!("http {}", self.cfg.base_url)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            abort: self.cfg.capabilities.abort,
            config: self.cfg.capabilities.config,
            instances: self.cfg.capabilities.instances,
            lock: self.cfg.capabilities.lock,
            approvals: self.cfg.capabilities.approvals,
        }
    }

    async fn take_lock(&self, holder: &LockHolder) -> Result<Option<LockHolder>, PlatformError> {
        self.take_release_lock(holder).await
    }

    async fn release_lock(&self, holder: &LockHolder, force: bool) -> Result<(), PlatformError> {
        self.let_release_lock_go(holder, force).await
    }

    async fn read_lock(&self) -> Result<Option<LockHolder>, PlatformError> {
        self.read_release_lock().await
    }

    async fn record_approval(&self, approval: &Approval) -> Result<(), PlatformError> {
        self.post_approval(approval).await
    }

    async fn read_approvals(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<Vec<Approval>, PlatformError> {
        self.get_approvals(stack, env).await
    }

    async fn versions(&self, stack: &StackId) -> Result<StackVersions, PlatformError> {
        let answers = futures::future::join_all(
            self.environments
                .iter()
                .map(|env| self.env_version(stack, env)),
        )
        .await;
        let mut envs = Vec::with_capacity(answers.len());
        let mut in_flight = None;
        for (env, answer) in self.environments.iter().zip(answers) {
            let (version, deployment) = answer?;
            if let Some(id) = deployment {
                in_flight = Some(InFlight {
                    env: env.clone(),
                    id,
                });
            }
            envs.push(EnvVersion {
                env: env.clone(),
                version,
            });
        }
        Ok(StackVersions::new(envs, in_flight))
    }

    fn plan_abort(&self, stack: &StackId, id: &DeploymentId) -> Vec<String> {
        let path = self
            .endpoints
            .abort
            .render(&[("stack", stack.as_str()), ("id", id.as_str())]);
        vec![
            format!("{} {}", self.endpoints.abort.method, self.url(&path)),
            "{}".into(),
        ]
    }

    fn plan_deploy(&self, request: &DeployRequest) -> Vec<String> {
        let (path, body) = self.deploy_request(request);
        let mut lines = vec![format!(
            "{} {}",
            self.endpoints.promote.method,
            self.url(&path)
        )];
        if let Some((header, _)) = &self.auth {
            // The secret never reaches the screen, even in a dry run.
            lines.push(format!("{header}: [redacted]"));
        }
        lines.push("Content-Type: application/json".into());
        lines.push(body.to_string());
        lines
    }

    async fn deploy(&self, request: &DeployRequest) -> Result<DeploymentRef, PlatformError> {
        let action = request.describe();
        let (path, body) = self.deploy_request(request);
        let answer = self
            .write(&action, &self.endpoints.promote, &path, &body)
            .await?;
        let id = self.text_at(&action, &answer, &self.cfg.pointers.id)?;
        let url = answer
            .pointer(&self.cfg.pointers.url)
            .and_then(value_text)
            .map(|u| one_line(&u, 300));
        Ok(DeploymentRef {
            id: DeploymentId::new(identifier(&id)),
            url,
        })
    }

    async fn deployment_status(
        &self,
        stack: &StackId,
        id: &DeploymentId,
    ) -> Result<DeployStatus, PlatformError> {
        let action = format!("read deployment {id}");
        let path = self
            .endpoints
            .deployment
            .render(&[("stack", stack.as_str()), ("id", id.as_str())]);
        let body = self
            .read(&action, &self.endpoints.deployment, &path)
            .await?;
        let raw = self.text_at(&action, &body, &self.cfg.pointers.state)?;
        let progress = body
            .pointer(&self.cfg.pointers.progress)
            .and_then(Value::as_f64)
            .filter(|p| p.is_finite())
            .map(|p| p.clamp(0.0, 1.0) as f32);
        let message = body
            .pointer(&self.cfg.pointers.message)
            .and_then(value_text)
            .map(|m| one_line(&m, 200));
        Ok(DeployStatus {
            state: self.map_state(raw.trim()),
            raw_state: one_line(&raw, 40),
            progress,
            message,
        })
    }

    async fn deployment_output(
        &self,
        stack: &StackId,
        id: &DeploymentId,
        offset: u64,
    ) -> Result<OutputChunk, PlatformError> {
        let action = format!("read the output of deployment {id}");
        let offset_text = offset.to_string();
        let path = self.endpoints.output.render(&[
            ("stack", stack.as_str()),
            ("id", id.as_str()),
            ("offset", &offset_text),
        ]);
        let body = self.read(&action, &self.endpoints.output, &path).await?;
        let lines = match self.pointer(&action, &body, &self.cfg.pointers.lines)? {
            Value::Array(items) => items
                .iter()
                .map(|v| value_text(v).unwrap_or_default())
                .collect(),
            Value::String(s) => s.lines().map(str::to_string).collect(),
            other => {
                return Err(PlatformError::BadResponse {
                    action,
                    detail: format!(
                        "expected a list of lines, got {}",
                        one_line(&other.to_string(), 80)
                    ),
                });
            }
        };
        let next_offset = body
            .pointer(&self.cfg.pointers.next_offset)
            .and_then(Value::as_u64)
            .unwrap_or(offset);
        let complete = body
            .pointer(&self.cfg.pointers.complete)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(OutputChunk {
            lines,
            next_offset,
            complete,
        })
    }

    async fn abort(&self, stack: &StackId, id: &DeploymentId) -> Result<(), PlatformError> {
        let action = format!("abort deployment {id}");
        if !self.cfg.capabilities.abort {
            return Err(PlatformError::Unsupported { action });
        }
        let path = self
            .endpoints
            .abort
            .render(&[("stack", stack.as_str()), ("id", id.as_str())]);
        self.write(
            &action,
            &self.endpoints.abort,
            &path,
            &serde_json::json!({}),
        )
        .await
        .map(|_| ())
    }

    async fn instances(&self, stack: &StackId, env: &Env) -> Result<Vec<Instance>, PlatformError> {
        let action = format!("list {stack} {env} instances");
        if !self.cfg.capabilities.instances {
            return Err(PlatformError::Unsupported { action });
        }
        let path = self
            .endpoints
            .instances
            .render(&[("stack", stack.as_str()), ("env", self.env_name(env))]);
        let body = self.read(&action, &self.endpoints.instances, &path).await?;
        let items = self
            .pointer(&action, &body, &self.cfg.pointers.instances)?
            .as_array()
            .ok_or_else(|| PlatformError::BadResponse {
                action: action.clone(),
                detail: "expected a list of instances".into(),
            })?;
        items
            .iter()
            .map(|item| {
                let id =
                    identifier(&self.text_at(&action, item, &self.cfg.pointers.instance_id)?);
                let host = item
                    .pointer(&self.cfg.pointers.instance_host)
                    .and_then(value_text)
                    .map_or_else(|| id.clone(), |h| identifier(&h));
                Ok(Instance { id, host })
            })
            .collect()
    }

    async fn config(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<BTreeMap<String, String>, PlatformError> {
        let action = format!("read {stack} {env} configuration");
        if !self.cfg.capabilities.config {
            return Err(PlatformError::Unsupported { action });
        }
        let path = self
            .endpoints
            .config
            .render(&[("stack", stack.as_str()), ("env", self.env_name(env))]);
        let body = self.read(&action, &self.endpoints.config, &path).await?;
        let obj = body.as_object().ok_or_else(|| PlatformError::BadResponse {
            action: action.clone(),
            detail: "expected an object of key/values".into(),
        })?;
        Ok(obj
            .iter()
            .map(|(k, v)| (k.clone(), value_text(v).unwrap_or_else(|| v.to_string())))
            .collect())
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.cfg.poll_ms)
    }
}

fn retryable(e: &PlatformError) -> bool {
    match e {
        PlatformError::Unreachable { .. } | PlatformError::Timeout { .. } => true,
        PlatformError::Status { status, .. } => *status >= 500,
        _ => false,
    }
}

/// A version or deployment id as both front ends show it: escape sequences, control
/// and bidi characters removed (a version holding `ESC[2J` or U+202E is garbage, not an
/// identifier anyone can type), surrounding space trimmed.
pub(super) fn identifier(raw: &str) -> String {
    let trimmed = raw.trim();
    if !trimmed.chars().any(crate::text::sanitize::removed) {
        return trimmed.to_string();
    }
    let clean = one_line(trimmed, 200);
    tracing::warn!(cleaned = %clean, "the platform sent an identifier with control characters");
    clean
}

/// Strings as they are, numbers as text (platforms disagree on id types).
pub(super) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What went wrong, in the words of the innermost cause ("Connection refused (os error
/// 111)", "failed to lookup address information"): reqwest's own layers ("error sending
/// request for url (…)", "client error (Connect)") say nothing the user can act on.
/// The URL is left out too: the base URL is in the config, and a URL may carry a secret.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut innermost = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        innermost = s.to_string();
        source = s.source();
    }
    innermost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parses_method_and_checks_placeholders() {
        let e = Endpoint::parse("post /stacks/{stack}/deployments").unwrap();
        assert_eq!(e.method, Method::POST);
        assert!(
            Endpoint::parse("GET stacks")
                .unwrap_err()
                .contains("must start with '/'")
        );
        assert!(
            Endpoint::parse("FETCH /x")
                .unwrap_err()
                .contains("unknown HTTP method")
        );
        assert!(
            Endpoint::parse("GET /x/{stak}")
                .unwrap_err()
                .contains("unknown placeholder {stak}")
        );
        assert!(Endpoint::parse("/x").is_err());
    }

    #[test]
    fn endpoint_render_encodes_values() {
        let e = Endpoint::parse("GET /stacks/{stack}/environments/{env}").unwrap();
        assert_eq!(
            e.render(&[("stack", "a b/c"), ("env", "live")]),
            "/stacks/a%20b%2Fc/environments/live"
        );
    }
}
