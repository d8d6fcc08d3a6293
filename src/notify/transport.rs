//! One JSON POST with a timeout, and the only retries that cannot double-post: after a
//! rate limit (429: the service says it did not act) and after a refused connection
//! (nothing was sent). Anything else that goes wrong after the request left is reported
//! as "outcome unknown" and never retried here.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::http_body::BodyError;
use crate::text::one_line;

/// Longest `Retry-After` we wait out inside one send; longer ones are reported so the
/// user can retry later instead of staring at a frozen action.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// Wait before retrying a refused connection; doubled each time.
const CONNECT_BACKOFF: Duration = Duration::from_millis(500);

/// How one POST ended.
#[derive(Debug)]
pub(super) enum PostOutcome {
    /// An HTTP answer (any status but 429, which is retried).
    Answer { status: u16, body: String },
    /// Certainly not acted on: nothing was sent, or the service refused it.
    NotSent(String),
    /// The request went out and no answer came: it may have been acted on.
    Unknown(String),
}

/// An HTTP header whose value is a secret: `Debug` never shows it.
#[derive(Clone)]
pub(super) struct SecretHeader {
    pub name: HeaderName,
    pub value: HeaderValue,
}

impl std::fmt::Debug for SecretHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: <redacted>", self.name)
    }
}

impl SecretHeader {
    /// `scheme` may be empty for headers that carry the bare token. The error never
    /// contains the token.
    pub fn new(name: &str, scheme: &str, token: &str) -> Result<SecretHeader, String> {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("'{name}' is not a valid HTTP header name"))?;
        let text = if scheme.trim().is_empty() {
            token.to_string()
        } else {
            format!("{} {token}", scheme.trim())
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            "the token contains characters that cannot be sent in an HTTP header".to_string()
        })?;
        // Keeps the value out of hyper's and reqwest's own debug output.
        value.set_sensitive(true);
        Ok(SecretHeader { name, value })
    }
}

#[derive(Debug, Clone)]
pub(super) struct Transport {
    client: reqwest::Client,
    timeout_secs: u64,
    retries: u32,
}

impl Transport {
    pub fn new(timeout_secs: u64, retries: u32) -> Result<Transport, String> {
        let timeout = Duration::from_secs(timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))?;
        Ok(Transport {
            client,
            timeout_secs: timeout_secs.max(1),
            retries,
        })
    }

    /// POSTs `body` to `url`. `url` may itself be a secret (an incoming-webhook URL), so
    /// no message built here contains it.
    pub async fn post_json(
        &self,
        url: &str,
        auth: Option<&SecretHeader>,
        body: &serde_json::Value,
    ) -> PostOutcome {
        let mut connect_wait = CONNECT_BACKOFF;
        let mut attempt = 0u32;
        loop {
            let outcome = self.try_once(url, auth, body).await;
            let more = attempt < self.retries;
            attempt += 1;
            match outcome {
                Try::RateLimited { wait, body } => {
                    let wait = wait.unwrap_or(Duration::from_secs(1));
                    if !more || wait > MAX_RETRY_WAIT {
                        return PostOutcome::NotSent(format!(
                            "rate limited (HTTP 429, retry after {}s){}",
                            wait.as_secs(),
                            snippet(&body)
                        ));
                    }
                    tracing::info!(
                        wait_secs = wait.as_secs(),
                        attempt,
                        "rate limited; waiting as asked before retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                Try::Refused(reason) if more => {
                    tracing::info!(attempt, %reason, "retrying after a refused connection");
                    tokio::time::sleep(connect_wait).await;
                    connect_wait *= 2;
                }
                Try::Refused(reason) => return PostOutcome::NotSent(reason),
                Try::Done(outcome) => return outcome,
            }
        }
    }

    async fn try_once(
        &self,
        url: &str,
        auth: Option<&SecretHeader>,
        body: &serde_json::Value,
    ) -> Try {
        let mut req = self.client.post(url).json(body);
        if let Some(h) = auth {
            req = req.header(h.name.clone(), h.value.clone());
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let wait = retry_after(resp.headers());
                match crate::http_body::read_capped_text(resp, MAX_ANSWER_BYTES).await {
                    // A chat service that echoes the token back shows `[redacted]`.
                    Ok(body) if status == 429 => Try::RateLimited {
                        wait,
                        body: crate::text::redact::redact(&body).into_owned(),
                    },
                    Ok(body) => Try::Done(PostOutcome::Answer {
                        status,
                        body: crate::text::redact::redact(&body).into_owned(),
                    }),
                    // The service answered, so it saw the request; its verdict is lost.
                    Err(BodyError::Transport(e)) => Try::Done(PostOutcome::Unknown(format!(
                        "HTTP {status}, then the answer was cut off ({})",
                        error_chain(&e)
                    ))),
                    Err(BodyError::TooLarge(limit)) => Try::Done(PostOutcome::Unknown(format!(
                        "HTTP {status}, {}",
                        BodyError::too_large(limit)
                    ))),
                }
            }
            // Includes connect timeouts and TLS handshakes: nothing was sent.
            Err(e) if e.is_connect() => Try::Refused(format!("cannot connect: {}", root_cause(&e))),
            // The request could not even be built (a bad URL).
            Err(e) if e.is_builder() => Try::Done(PostOutcome::NotSent(error_chain(&e))),
            Err(e) if e.is_timeout() => Try::Done(PostOutcome::Unknown(format!(
                "no answer within {}s",
                self.timeout_secs
            ))),
            Err(e) => Try::Done(PostOutcome::Unknown(format!(
                "the connection failed after sending ({})",
                error_chain(&e)
            ))),
        }
    }
}

/// The largest chat answer read (Slack's are a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// One attempt, before the retry policy has had its say.
enum Try {
    /// HTTP 429: not acted on; wait as asked and try again.
    RateLimited {
        wait: Option<Duration>,
        body: String,
    },
    /// Could not connect: nothing was sent, so trying again is safe.
    Refused(String),
    Done(PostOutcome),
}

/// `Retry-After` in seconds (Slack sends seconds; HTTP dates are not worth supporting).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// `": <first 200 characters of the answer>"`, or nothing for an empty answer.
pub(super) fn snippet(body: &str) -> String {
    let line = one_line(body, 200);
    if line.is_empty() {
        String::new()
    } else {
        format!(": {line}")
    }
}

/// The innermost cause (`Connection refused (os error 111)`), which says the most.
/// Never reqwest's own message, which contains the URL.
fn root_cause(e: &reqwest::Error) -> String {
    let Some(mut cause) = std::error::Error::source(e) else {
        return "connection failed".into();
    };
    while let Some(next) = cause.source() {
        cause = next;
    }
    one_line(&cause.to_string(), 200)
}

/// The error and its causes, without the URL (which may be a secret webhook address).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    let head = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else {
        "request failed"
    };
    let text = if parts.is_empty() {
        head.to_string()
    } else {
        format!("{head}: {}", parts.join(": "))
    };
    one_line(&text, 300)
}
