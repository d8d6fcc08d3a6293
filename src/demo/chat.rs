//! A stand-in for Slack's `chat.postMessage`, so announcements work in the demo: it
//! checks the bot token like Slack does, keeps what was posted (bounded), and serves it
//! back at `/chat/messages` for anyone curious what the channel would show.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::world::World;

/// The token the demo writes to its token file (not a secret: it opens nothing real).
pub const DEMO_TOKEN: &str = "xoxb-slipway-demo";
const KEEP: usize = 500;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChatMessage {
    pub channel: String,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub text: String,
}

#[derive(Default)]
pub struct Chat {
    messages: Mutex<VecDeque<ChatMessage>>,
}

impl Chat {
    fn post(&self, channel: String, thread_ts: Option<String>, text: String) -> String {
        let Ok(mut m) = self.messages.lock() else {
            return String::new();
        };
        let ts = format!("1790000000.{:06}", m.len() + 1);
        if m.len() == KEEP {
            m.pop_front();
        }
        m.push_back(ChatMessage {
            channel,
            ts: ts.clone(),
            thread_ts,
            text,
        });
        ts
    }

    pub fn messages(&self) -> Vec<ChatMessage> {
        self.messages
            .lock()
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }
}

pub async fn post_message(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Json<Value> {
    let authorised = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {DEMO_TOKEN}"));
    if !authorised {
        return Json(json!({"ok": false, "error": "invalid_auth"}));
    }
    let Some(Json(body)) = body else {
        return Json(json!({"ok": false, "error": "invalid_json"}));
    };
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(channel), Some(message)) = (text("channel"), text("text")) else {
        return Json(json!({"ok": false, "error": "no_text"}));
    };
    let ts = world.chat.post(channel.clone(), text("thread_ts"), message);
    // Slack answers with the channel's id; the demo's ids are its names without '#'.
    Json(json!({"ok": true, "channel": channel.trim_start_matches('#'), "ts": ts}))
}

pub async fn messages(State(world): State<Arc<World>>) -> Json<Vec<ChatMessage>> {
    Json(world.chat.messages())
}
