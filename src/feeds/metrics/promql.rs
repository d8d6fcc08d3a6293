//! `PromQL` against a Prometheus server's HTTP API: `/api/v1/query` for the current value,
//! `/api/v1/query_range` to fill the history on start.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::exposition::parse_float;
use super::scrape::error_chain;
use crate::config::PrometheusConfig;

/// Answers larger than this are refused (a range query of 10,000 points is ~300 KB).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    Timeout {
        secs: u64,
    },
    Unreachable(String),
    /// Prometheus answered `"status": "error"` (a bad query, a timeout on its side).
    Api {
        kind: String,
        message: String,
    },
    Status(u16),
    /// Not Prometheus' JSON.
    BadAnswer(String),
    /// The expression gives several series; a sparkline needs one number.
    ManySeries(usize),
    /// The expression gives a string, or a range vector for an instant query.
    WrongType(String),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Timeout { secs } => write!(f, "no answer within {secs} s"),
            QueryError::Unreachable(e) => write!(f, "unreachable: {e}"),
            QueryError::Api { kind, message } => write!(f, "{kind}: {message}"),
            QueryError::Status(code) => write!(f, "HTTP {code}"),
            QueryError::BadAnswer(e) => write!(f, "not a Prometheus answer: {e}"),
            QueryError::ManySeries(n) => write!(
                f,
                "{n} series in the answer; aggregate them (sum, max…) to one"
            ),
            QueryError::WrongType(t) => write!(f, "the expression gives a {t}, not a number"),
        }
    }
}

/// A client for one Prometheus server.
#[derive(Debug, Clone)]
pub struct Prometheus {
    client: reqwest::Client,
    base: String,
    timeout: Duration,
    auth: Option<(String, String)>,
}

impl Prometheus {
    /// Reads the auth token (if any) once, here; it is sent as a header and never shown.
    pub fn new(cfg: &PrometheusConfig) -> Result<Prometheus, String> {
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        let auth = match &cfg.auth {
            Some(a) => {
                let token =
                    crate::secrets::read_secret(a.token_env.as_deref(), a.token_file.as_deref())?;
                let value = if a.scheme.is_empty() {
                    token
                } else {
                    format!("{} {token}", a.scheme)
                };
                Some((a.header.clone(), value))
            }
            None => None,
        };
        Ok(Prometheus {
            client,
            base: cfg.url.trim_end_matches('/').to_string(),
            timeout,
            auth,
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// The value of `query` at `at`: `None` when the answer is empty (no such series) or
    /// not a number (NaN, ±Inf: shown as no value).
    pub async fn instant(&self, query: &str, at: DateTime<Utc>) -> Result<Option<f64>, QueryError> {
        let time = format!("{:.3}", at.timestamp_millis() as f64 / 1000.0);
        let data = self
            .get("/api/v1/query", &[("query", query), ("time", &time)])
            .await?;
        match data {
            Data::Scalar((_, v)) => Ok(number(&v)),
            Data::Vector(v) => match v.as_slice() {
                [] => Ok(None),
                [one] => Ok(number(&one.value.1)),
                many => Err(QueryError::ManySeries(many.len())),
            },
            Data::Matrix(_) => Err(QueryError::WrongType("range vector".into())),
            Data::String(_) => Err(QueryError::WrongType("string".into())),
        }
    }

    /// Values of `query` from `start` to `end` every `step`, oldest first (for the history
    /// on start). NaN and ±Inf become `None`.
    pub async fn range(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<Vec<(DateTime<Utc>, Option<f64>)>, QueryError> {
        let secs = |t: DateTime<Utc>| format!("{:.3}", t.timestamp_millis() as f64 / 1000.0);
        let step = format!("{}s", step.as_secs().max(1));
        let data = self
            .get(
                "/api/v1/query_range",
                &[
                    ("query", query),
                    ("start", &secs(start)),
                    ("end", &secs(end)),
                    ("step", &step),
                ],
            )
            .await?;
        let values = match data {
            Data::Matrix(m) => match m.as_slice() {
                [] => return Ok(Vec::new()),
                [one] => one.values.clone(),
                many => return Err(QueryError::ManySeries(many.len())),
            },
            // Prometheus answers a range query of a scalar expression as a matrix; a server
            // that does otherwise is still understood.
            Data::Scalar(v) => vec![v],
            Data::Vector(_) => return Err(QueryError::WrongType("instant vector".into())),
            Data::String(_) => return Err(QueryError::WrongType("string".into())),
        };
        Ok(values
            .into_iter()
            .filter_map(|(t, v)| Some((timestamp(t)?, number(&v))))
            .collect())
    }

    async fn get(&self, path: &str, params: &[(&str, &str)]) -> Result<Data, QueryError> {
        let secs = self.timeout.as_secs().max(1);
        match tokio::time::timeout(self.timeout, self.get_inner(path, params)).await {
            Ok(r) => r,
            Err(_) => Err(QueryError::Timeout { secs }),
        }
    }

    async fn get_inner(&self, path: &str, params: &[(&str, &str)]) -> Result<Data, QueryError> {
        let secs = self.timeout.as_secs().max(1);
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                QueryError::Timeout { secs }
            } else {
                QueryError::Unreachable(error_chain(&e))
            }
        };
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .query(params);
        if let Some((name, value)) = &self.auth {
            req = req.header(name.as_str(), value.as_str());
        }
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(QueryError::BadAnswer(format!(
                    "more than {} MB",
                    MAX_ANSWER_BYTES / 1_000_000
                )));
            }
            body.extend_from_slice(&chunk);
        }
        // Prometheus sends errors (400, 422, 503) with a JSON body that says what is wrong.
        let answer: Answer = match serde_json::from_slice(&body) {
            Ok(a) => a,
            Err(_) if !status.is_success() => return Err(QueryError::Status(status.as_u16())),
            Err(e) => return Err(QueryError::BadAnswer(e.to_string())),
        };
        if answer.status != "success" {
            return Err(QueryError::Api {
                kind: answer.error_type.unwrap_or_else(|| "error".into()),
                message: answer.error.unwrap_or_default(),
            });
        }
        if !status.is_success() {
            return Err(QueryError::Status(status.as_u16()));
        }
        answer
            .data
            .ok_or_else(|| QueryError::BadAnswer("no data".into()))
    }
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// `[unix seconds, "value"]`, the API's sample shape.
type SamplePair = (f64, String);

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Vector(Vec<VectorSample>),
    Matrix(Vec<MatrixSeries>),
    Scalar(SamplePair),
    String(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct VectorSample {
    value: SamplePair,
}

#[derive(Deserialize)]
struct MatrixSeries {
    values: Vec<SamplePair>,
}

fn number(s: &str) -> Option<f64> {
    parse_float(s).filter(|v| v.is_finite())
}

fn timestamp(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() {
        return None;
    }
    Utc.timestamp_millis_opt((secs * 1000.0).round() as i64)
        .single()
}
