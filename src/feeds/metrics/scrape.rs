//! Fetching one instance's `/metrics` text: bounded in time and in size.

use std::time::Duration;

use crate::model::{Instance, StackId};

/// The most text read from one endpoint. A big exporter is a few MB; past this it is
/// probably not an exporter, and memory stays bounded with hundreds of endpoints.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Why an endpoint gave no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    Timeout {
        secs: u64,
    },
    /// Connection refused, DNS, TLS…
    Unreachable(String),
    Status(u16),
    TooLarge {
        limit: usize,
    },
    /// The body broke off.
    Body(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Timeout { secs } => write!(f, "no answer within {secs} s"),
            FetchError::Unreachable(e) => write!(f, "unreachable: {e}"),
            FetchError::Status(code) => write!(f, "HTTP {code}"),
            FetchError::TooLarge { limit } => write!(f, "more than {} MB", limit / 1_000_000),
            FetchError::Body(e) => write!(f, "answer broke off: {e}"),
        }
    }
}

/// The scrape URL of one instance, from the `scrape_url` template.
pub fn instance_url(template: &str, stack: &StackId, instance: &Instance) -> String {
    template
        .replace("{instance}", &instance.id)
        .replace("{host}", &instance.host)
        .replace("{stack}", stack.as_str())
}

/// One HTTP client for every scrape (connection reuse), with the per-scrape timeout.
#[derive(Debug, Clone)]
pub struct Scraper {
    client: reqwest::Client,
    timeout: Duration,
}

impl Scraper {
    pub fn new(timeout: Duration) -> Result<Scraper, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        Ok(Scraper { client, timeout })
    }

    /// Fetches the text at `url`. Invalid UTF-8 is replaced (and then counted as lines not
    /// understood by the parser) rather than failing the whole scrape.
    pub async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let secs = self.timeout.as_secs().max(1);
        // reqwest's timeout covers the whole exchange; this one also covers a body that
        // trickles in, whatever the client does.
        match tokio::time::timeout(self.timeout, self.fetch_inner(url)).await {
            Ok(result) => result.map_err(|e| match e {
                Inner::Reqwest(e) if e.is_timeout() => FetchError::Timeout { secs },
                Inner::Reqwest(e) if e.is_body() || e.is_decode() => {
                    FetchError::Body(error_chain(&e))
                }
                Inner::Reqwest(e) => FetchError::Unreachable(error_chain(&e)),
                Inner::Fetch(e) => e,
            }),
            Err(_) => Err(FetchError::Timeout { secs }),
        }
    }

    async fn fetch_inner(&self, url: &str) -> Result<String, Inner> {
        let mut resp = self
            .client
            .get(url)
            // Text format: servers that negotiate would otherwise offer protobuf/OpenMetrics.
            .header(
                reqwest::header::ACCEPT,
                "text/plain;version=0.0.4;q=1,*/*;q=0.1",
            )
            .send()
            .await
            .map_err(Inner::Reqwest)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Inner::Fetch(FetchError::Status(status.as_u16())));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(Inner::Fetch(FetchError::TooLarge {
                limit: MAX_BODY_BYTES,
            }));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(Inner::Reqwest)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Inner::Fetch(FetchError::TooLarge {
                    limit: MAX_BODY_BYTES,
                }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(match String::from_utf8(body) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

enum Inner {
    Reqwest(reqwest::Error),
    Fetch(FetchError),
}

/// reqwest's message plus its causes ("error sending request" alone says little).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let msg = inner.to_string();
        if !s.contains(&msg) {
            s.push_str(": ");
            s.push_str(&msg);
        }
        source = inner.source();
    }
    s
}
