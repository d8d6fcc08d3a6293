//! Smoke tests: a stack's HTTP checks (status, body substring or regex, latency), each
//! with a timeout and retries, all checks of a stack at once.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::SmokeCheck;
use crate::text::one_line;

/// The outcome of one check after its retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub method: String,
    pub url: String,
    pub passed: bool,
    /// The last answer's status, if any answer came.
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub attempts: u32,
    /// Why it failed, in words (expected 200, got 500: upstream timeout…).
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeReport {
    pub checks: Vec<CheckResult>,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl SmokeReport {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    pub fn failed(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// `3/3 passed` or `2/3 passed; articles: expected 200, got 500`.
    pub fn summary(&self) -> String {
        let ok = self.checks.iter().filter(|c| c.passed).count();
        let mut s = format!("{ok}/{} passed", self.checks.len());
        if let Some(f) = self.failed().next() {
            s.push_str(&format!(
                "; {}: {}",
                f.name,
                f.failure.as_deref().unwrap_or("failed")
            ));
        }
        s
    }
}

/// Runs every check concurrently.
pub async fn run(client: &reqwest::Client, checks: &[SmokeCheck]) -> SmokeReport {
    let results = futures::future::join_all(checks.iter().map(|c| run_check(client, c))).await;
    SmokeReport {
        checks: results,
        at: chrono::Utc::now(),
    }
}

async fn run_check(client: &reqwest::Client, check: &SmokeCheck) -> CheckResult {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let started = Instant::now();
        let outcome = attempt(client, check).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let (status, failure) = match outcome {
            Ok(status) => (Some(status), None),
            Err((status, why)) => (status, Some(why)),
        };
        if failure.is_none() || attempts > check.retries {
            return CheckResult {
                name: check.name.clone(),
                method: check.method.clone(),
                url: check.url.clone(),
                passed: failure.is_none(),
                status,
                latency_ms,
                attempts,
                failure,
            };
        }
        tokio::time::sleep(Duration::from_millis(check.retry_delay_ms)).await;
    }
}

/// One request: Ok(status) when every expectation holds, else the status (if any) and why.
async fn attempt(
    client: &reqwest::Client,
    check: &SmokeCheck,
) -> Result<u16, (Option<u16>, String)> {
    let method = reqwest::Method::from_bytes(check.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| (None, format!("bad method {}", check.method)))?;
    let request = client
        .request(method, &check.url)
        .timeout(Duration::from_millis(check.timeout_ms));
    let response = request.send().await.map_err(|e| {
        let why = if e.is_timeout() {
            format!("no answer within {} ms", check.timeout_ms)
        } else if e.is_connect() {
            "cannot connect".to_string()
        } else {
            one_line(&e.without_url().to_string(), 120)
        };
        (None, why)
    })?;
    let status = response.status().as_u16();
    // Bodies are read up to a bound: a smoke test never needs megabytes.
    let body = read_bounded(response, 256 * 1024).await;
    if status != check.expect_status {
        let hint = if body.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", one_line(&body, 80))
        };
        return Err((
            Some(status),
            format!("expected {}, got {status}{hint}", check.expect_status),
        ));
    }
    if let Some(needle) = &check.body_contains
        && !body.contains(needle.as_str())
    {
        return Err((
            Some(status),
            format!("body lacks \"{}\"", one_line(needle, 40)),
        ));
    }
    if let Some(pattern) = &check.body_regex {
        match regex::Regex::new(pattern) {
            Ok(re) if re.is_match(&body) => {}
            Ok(_) => {
                return Err((
                    Some(status),
                    format!("body does not match /{}/", one_line(pattern, 40)),
                ));
            }
            Err(e) => return Err((Some(status), format!("bad regex: {e}"))),
        }
    }
    Ok(status)
}

async fn read_bounded(mut response: reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}
