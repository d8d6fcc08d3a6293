//! Slack's Web API: `chat.postMessage` with a bot token. Slack answers HTTP 200 even for
//! most failures, with `{"ok": false, "error": "..."}`; both layers are checked here.

use serde_json::{Value, json};

use super::Attempt;
use super::transport::{PostOutcome, SecretHeader, Transport, snippet};
use crate::text::one_line;

#[derive(Debug)]
pub(super) struct Slack {
    transport: Transport,
    /// `{base_url}/chat.postMessage`.
    post_url: String,
    auth: SecretHeader,
}

impl Slack {
    pub fn new(base_url: &str, token: &str, transport: Transport) -> Result<Slack, String> {
        Ok(Slack {
            transport,
            post_url: format!("{}/chat.postMessage", base_url.trim_end_matches('/')),
            auth: SecretHeader::new("Authorization", "Bearer", token)
                .map_err(|e| format!("the Slack token: {e}"))?,
        })
    }

    pub fn post_url(&self) -> &str {
        &self.post_url
    }

    /// The exact JSON body of a post (shared with the preview, so a dry run shows what
    /// would really be sent).
    pub fn body(channel: &str, text: &str, thread_ts: Option<&str>) -> Value {
        let mut body = json!({
            "channel": channel,
            "text": text,
            // A deployment link would otherwise unfurl into a large card in the thread.
            "unfurl_links": false,
            "unfurl_media": false,
        });
        if let (Some(ts), Some(map)) = (thread_ts, body.as_object_mut()) {
            map.insert("thread_ts".into(), Value::String(ts.to_string()));
        }
        body
    }

    pub async fn post(&self, body: &Value) -> Attempt {
        match self
            .transport
            .post_json(&self.post_url, Some(&self.auth), body)
            .await
        {
            PostOutcome::Answer { status, body } => interpret(status, &body),
            PostOutcome::NotSent(reason) => Attempt::Failed(reason),
            PostOutcome::Unknown(reason) => Attempt::Unknown(reason),
        }
    }
}

fn interpret(status: u16, body: &str) -> Attempt {
    if !(200..300).contains(&status) {
        // Slack does not post and then fail with a status; a 5xx is a failure to retry.
        return Attempt::Failed(format!("Slack answered HTTP {status}{}", snippet(body)));
    }
    let Ok(answer) = serde_json::from_str::<Value>(body) else {
        // A 2xx that is not Slack's JSON (a proxy's page?) says nothing about the post.
        return Attempt::Unknown(format!(
            "Slack answered HTTP {status} with something that is not its JSON{}",
            snippet(body)
        ));
    };
    let text = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_string);
    if answer.get("ok").and_then(Value::as_bool) == Some(true) {
        return Attempt::Posted {
            channel_id: text("channel"),
            ts: text("ts"),
        };
    }
    let error = text("error").unwrap_or_else(|| "no error given".into());
    Attempt::Failed(explain(&one_line(&error, 80)))
}

/// Slack's error code, with what to do about the common ones.
fn explain(code: &str) -> String {
    let hint = match code {
        "channel_not_found" => {
            "no such channel, or the bot cannot see it (a private channel needs the bot invited)"
        }
        "not_in_channel" => "invite the bot to the channel (/invite @your-bot)",
        "is_archived" => "the channel is archived",
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" => {
            "the bot token was rejected; check token_env / token_file in [announce]"
        }
        "missing_scope" => "the bot token lacks the chat:write scope",
        "msg_too_long" => "the message is too long; shorten it or the template",
        "no_text" => "the message is empty",
        "ratelimited" | "rate_limited" => "rate limited; retry in a minute",
        _ => "",
    };
    if hint.is_empty() {
        format!("Slack said {code}")
    } else {
        format!("Slack said {code}: {hint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_false_is_a_failure_with_slacks_words() {
        match interpret(200, r#"{"ok":false,"error":"channel_not_found"}"#) {
            Attempt::Failed(r) => assert!(
                r.starts_with("Slack said channel_not_found: no such channel"),
                "{r}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ok_true_gives_channel_and_ts() {
        match interpret(200, r#"{"ok":true,"channel":"C1","ts":"1.5"}"#) {
            Attempt::Posted { channel_id, ts } => {
                assert_eq!(channel_id.as_deref(), Some("C1"));
                assert_eq!(ts.as_deref(), Some("1.5"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_non_json_200_leaves_the_outcome_unknown() {
        assert!(matches!(interpret(200, "<html>"), Attempt::Unknown(_)));
        assert!(matches!(interpret(502, "bad gateway"), Attempt::Failed(_)));
    }

    #[test]
    fn thread_ts_only_when_replying() {
        assert!(Slack::body("#a", "t", None).get("thread_ts").is_none());
        assert_eq!(Slack::body("#a", "t", Some("1.2"))["thread_ts"], "1.2");
    }
}
