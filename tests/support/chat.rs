//! A loopback HTTP server (axum) standing in for Slack's Web API and for a webhook
//! receiver: it records every request exactly as it arrived and answers as Slack does,
//! or with the failures a test scripts per channel.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_lowercase()).map(String::as_str)
    }
    pub fn channel(&self) -> &str {
        self.body["channel"].as_str().unwrap_or("")
    }
    pub fn text(&self) -> &str {
        self.body["text"].as_str().unwrap_or("")
    }
    pub fn thread_ts(&self) -> Option<&str> {
        self.body.get("thread_ts").and_then(Value::as_str)
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Slack's success: `{"ok":true,"channel":"C…","ts":"1700000000.000100"}`.
    Ok,
    /// Slack's failure: HTTP 200 with `{"ok":false,"error":…}`.
    OkFalse(&'static str),
    /// A bare HTTP status with a short text body.
    Status(u16),
    /// HTTP 429 with `Retry-After: secs`.
    RateLimited(u64),
    /// Never answer (well, not for a minute).
    Hang,
}

#[derive(Clone, Default)]
pub struct ChatServer {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// Channel (or `*` for any) → replies in order; when none is left, `Ok`.
    script: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
    next_ts: Arc<AtomicU64>,
}

impl ChatServer {
    /// Starts the server; returns it and its base URL (`http://127.0.0.1:PORT`).
    pub async fn start() -> (ChatServer, String) {
        let server = ChatServer::default();
        server.next_ts.store(100, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = server.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.handle(method, uri, headers, body).await }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (server, format!("http://{addr}"))
    }

    /// Answers for posts to `channel` (`*`: any request), in order.
    pub fn script(&self, channel: &str, replies: Vec<Reply>) {
        if let Ok(mut s) = self.script.lock() {
            s.entry(channel.to_string()).or_default().extend(replies);
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Requests whose JSON `channel` is `channel` (a name or an id).
    pub fn posts_to(&self, channel: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.channel() == channel)
            .collect()
    }

    /// The id this fake Slack gives a channel name: `#belfrage` → `CBELFRAGE`.
    pub fn channel_id(name: &str) -> String {
        format!(
            "C{}",
            name.trim_start_matches('#').to_uppercase().replace('-', "")
        )
    }

    async fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let recorded = Recorded {
            method: method.to_string(),
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_lowercase(),
                        v.to_str().unwrap_or("").to_string(),
                    )
                })
                .collect(),
            body,
        };
        let channel = recorded.channel().to_string();
        if let Ok(mut r) = self.requests.lock() {
            r.push(recorded);
        }
        let reply = self
            .script
            .lock()
            .ok()
            .and_then(|mut s| {
                let from_channel = s.get_mut(&channel).and_then(VecDeque::pop_front);
                from_channel.or_else(|| s.get_mut("*").and_then(VecDeque::pop_front))
            })
            .unwrap_or(Reply::Ok);
        match reply {
            Reply::Ok => {
                let n = self.next_ts.fetch_add(1, Ordering::SeqCst);
                let id = if channel.starts_with('C') {
                    channel.clone()
                } else {
                    ChatServer::channel_id(&channel)
                };
                axum::Json(json!({
                    "ok": true,
                    "channel": id,
                    "ts": format!("1700000000.{n:06}"),
                    "message": { "text": "…" }
                }))
                .into_response()
            }
            Reply::OkFalse(error) => {
                axum::Json(json!({ "ok": false, "error": error })).into_response()
            }
            Reply::Status(code) => (
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "upstream exploded",
            )
                .into_response(),
            Reply::RateLimited(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                "",
            )
                .into_response(),
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                StatusCode::GATEWAY_TIMEOUT.into_response()
            }
        }
    }
}
