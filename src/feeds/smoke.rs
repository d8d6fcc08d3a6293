//! Smoke tests: a stack's HTTP checks (status, body substring or regex, latency), each
//! with a timeout and retries, all checks of a stack at once.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{Problem, SmokeCheck, StackConfig, check_url};
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
        match body_regex(pattern) {
            Ok(re) if re.is_match(&body) => {}
            Ok(_) => {
                return Err((
                    Some(status),
                    format!("body does not match /{}/", one_line(pattern, 40)),
                ));
            }
            Err(e) => return Err((Some(status), e)),
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

/// Compiled regexes are kept small: a smoke check's pattern is a few words, and one that
/// compiles to megabytes is a mistake (`a{1000}{1000}`), not a check.
const REGEX_SIZE_LIMIT: usize = 1024 * 1024;

/// A `body_regex`, compiled as the check runs it.
fn body_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "the regex is too big (it compiles to more than {} KiB); match a shorter pattern",
                limit / 1024
            ),
            other => format!("bad regex: {}", one_line(&other.to_string(), 200)),
        })
}

/// Every problem in the stacks' `[[stacks.smoke]]` checks, found at load rather than
/// after a deployment has gone live (where a failing check marks the stack failed).
/// Smoke URLs are used as written: they take no placeholders.
pub fn validate(stacks: &[StackConfig]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, stack) in stacks.iter().enumerate() {
        for (j, check) in stack.smoke.iter().enumerate() {
            let key = |k: &str| format!("stacks[{i}].smoke[{j}].{k}");
            out.extend(validate_check(check, &key));
        }
    }
    out
}

fn validate_check(check: &SmokeCheck, key: &dyn Fn(&str) -> String) -> Vec<Problem> {
    let mut out = Vec::new();
    if check.name.trim().is_empty() {
        out.push(Problem::new(key("name"), "must not be empty"));
    }
    out.extend(check_url(&key("url"), &check.url, &[]));
    if reqwest::Method::from_bytes(check.method.to_ascii_uppercase().as_bytes()).is_err() {
        out.push(Problem::new(
            key("method"),
            format!("'{}' is not an HTTP method", check.method),
        ));
    }
    if !(100..=599).contains(&check.expect_status) {
        out.push(Problem::new(
            key("expect_status"),
            "must be an HTTP status between 100 and 599",
        ));
    }
    if let Some(pattern) = &check.body_regex
        && let Err(e) = body_regex(pattern)
    {
        out.push(Problem::new(key("body_regex"), e));
    }
    if check.timeout_ms == 0 {
        out.push(Problem::new(key("timeout_ms"), "must be at least 1"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = "[release]\nname = \"x\"\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:1\"\n[[stacks]]\nid = \"a\"\n[[stacks.smoke]]\nname = \"status\"\n";

    fn problems(smoke: &str) -> Vec<String> {
        match crate::validation::parse_str(&format!("{BASE}{smoke}"), Path::new("t.toml")) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(std::string::ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_body_regex_that_does_not_compile_is_refused_at_load() {
        let p = problems("url = \"http://127.0.0.1:1/s\"\nbody_regex = \"ok\\\\s+(\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("t.toml:11:1: stacks[0].smoke[0].body_regex: bad regex:")
                && p[0].contains("unclosed group"),
            "{p:?}"
        );
        let big = problems("url = \"http://127.0.0.1:1/s\"\nbody_regex = \"\\\\w{1000}{1000}\"\n");
        assert_eq!(big.len(), 1, "{big:?}");
        assert!(
            big[0].contains("body_regex: the regex is too big"),
            "{big:?}"
        );
        assert!(problems("url = \"http://127.0.0.1:1/s\"\nbody_regex = \"ok|fine\"\n").is_empty());
    }

    #[test]
    fn smoke_urls_need_a_host_and_take_no_placeholders() {
        let p = problems("url = \"http://{host}/status\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("smoke[0].url: unknown placeholder {host}; none are known here"),
            "{p:?}"
        );
        let p = problems("url = \"http://exa mple.com/status\"\n");
        assert!(
            p[0].contains("smoke[0].url: 'http://exa mple.com/status' is not a URL"),
            "{p:?}"
        );
        let p = problems("url = \"www.example.com/status\"\n");
        assert!(p[0].contains("must start with http://"), "{p:?}");
        let p = problems("url = \"http://a/\"\nmethod = \"G T\"\nexpect_status = 42\n");
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
