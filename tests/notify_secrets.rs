//! Secrets never reach anything a person sees: not errors, not `Debug` output, not the
//! preview, not the saved state, and not the diagnostics log — including on every
//! failure path (Slack refusing the token, 500s, rate limits, timeouts, refused
//! connections).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

#[path = "support/chat.rs"]
mod chat;

use std::path::Path;
use std::sync::Mutex;

use chat::{ChatServer, Reply};
use slipway::config::AnnounceConfig;
use slipway::notify::{DeployInfo, DeployOutcome, Message, Notifier, SendMode};

const TOKEN: &str = "xoxb-SECRET-4242-do-not-show";
const HOOK_PATH: &str = "T0000/B0000/SECRETPATH9z9z";
const HOOK_KEY: &str = "hook-SECRET-key-5151";

/// Everything the notifier writes to `tracing`, at every level, goes to `path`.
fn log_to(path: &Path) -> tracing::subscriber::DefaultGuard {
    let file = std::fs::File::create(path).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .finish();
    tracing::subscriber::set_default(subscriber)
}

/// A loopback port with nothing listening.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

fn assert_hidden(secret: &str, shown: &[String], log: &str) {
    for s in shown {
        assert!(!s.contains(secret), "the secret leaked into: {s}");
    }
    assert!(
        !log.contains(secret),
        "the secret leaked into the log:\n{log}"
    );
}

#[tokio::test]
async fn the_slack_token_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("slipway.log");
    let guard = log_to(&log_path);

    let (server, base) = ChatServer::start().await;
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let config = |base: &str| -> AnnounceConfig {
        toml::from_str(&format!(
            "kind = \"slack\"\nchannels = [\"#belfrage\", \"#help-belfrage\"]\ntoken_file = {:?}\nbase_url = \"{base}\"\ntimeout_secs = 1\nretries = 1\n",
            token_file.display().to_string()
        ))
        .unwrap()
    };
    let cfg = config(&base);
    server.script(
        "#belfrage",
        vec![
            Reply::OkFalse("invalid_auth"),
            // A service that echoes the token back in its error.
            Reply::OkFalse("invalid_auth: xoxb-SECRET-4242-do-not-show is revoked"),
            Reply::Status(500),
            Reply::RateLimited(0),
            Reply::Hang,
        ],
    );
    let mut shown = vec![format!("{cfg:?}")];
    let mut n = Notifier::from_config(&cfg).unwrap();
    shown.push(format!("{n:?}"));

    let announcement = Message::Announcement {
        text: "Releasing belfrage".into(),
    };
    for mode in [
        SendMode::Normal,
        SendMode::Normal,
        SendMode::Normal,
        SendMode::Normal,
        SendMode::Normal,
        SendMode::Force,
    ] {
        let preview = n.preview(&announcement, mode).unwrap();
        shown.push(preview.to_string());
        shown.push(format!("{preview:?}"));
        shown.push(serde_json::to_string(&preview).unwrap());
        let d = n.send(&announcement, mode).await.unwrap();
        shown.push(d.to_string());
        shown.push(format!("{d:?}"));
        shown.push(serde_json::to_string(&d).unwrap());
    }
    let deploy = DeployInfo::example();
    let d = n.deploy_started(&deploy).await.unwrap();
    shown.push(d.to_string());
    let d = n
        .deploy_finished(&deploy, DeployOutcome::Failed, Some("boom"))
        .await
        .unwrap();
    shown.push(d.to_string());
    shown.push(format!("{n:?}"));
    shown.push(serde_json::to_string(n.state()).unwrap());

    // Nothing listening: a refused connection, retried, then reported.
    let mut refused = Notifier::from_config(&config(&format!(
        "http://127.0.0.1:{}",
        closed_port().await
    )))
    .unwrap();
    let d = refused.announce("x").await.unwrap();
    assert!(d.has_failures(), "{d}");
    assert!(d.to_string().contains("cannot connect"), "{d}");
    shown.push(d.to_string());

    // A token that cannot be read is explained without any token in sight.
    let missing: AnnounceConfig = toml::from_str(
        "kind = \"slack\"\nchannels = [\"#a\"]\ntoken_env = \"SLIPWAY_TEST_SURELY_UNSET_TOKEN\"\n",
    )
    .unwrap();
    let e = Notifier::from_config(&missing).unwrap_err();
    assert!(
        e.to_string().contains("SLIPWAY_TEST_SURELY_UNSET_TOKEN"),
        "{e}"
    );
    shown.push(e.to_string());

    drop(guard);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("post failed"), "the log was written:\n{log}");
    assert!(log.contains("post outcome unknown"), "{log}");
    assert!(log.contains("invalid_auth"), "{log}");
    // The echo was shown, with the token masked.
    assert!(
        shown.iter().any(|s| s.contains("[redacted] is revoked")),
        "{shown:#?}"
    );
    // The test means something only if the token really was sent.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}")))
    );
    assert_hidden(TOKEN, &shown, &log);
}

#[tokio::test]
async fn a_secret_webhook_url_and_its_key_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("slipway.log");
    let guard = log_to(&log_path);

    let (server, base) = ChatServer::start().await;
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, HOOK_KEY).unwrap();
    let config = |base: &str| -> AnnounceConfig {
        let url_file = dir.path().join(format!("url-{}", base.len()));
        std::fs::write(&url_file, format!("{base}/hooks/{HOOK_PATH}\n")).unwrap();
        toml::from_str(&format!(
            "kind = \"webhook\"\nurl_file = {:?}\ntimeout_secs = 1\nretries = 0\n[auth]\ntoken_file = {:?}\n",
            url_file.display().to_string(),
            key_file.display().to_string()
        ))
        .unwrap()
    };
    let cfg = config(&base);
    server.script("*", vec![Reply::Status(500), Reply::Hang]);
    let mut shown = vec![format!("{cfg:?}")];
    let mut n = Notifier::from_config(&cfg).unwrap();
    shown.push(format!("{n:?}"));
    shown.extend(n.targets());

    let message = Message::Completion {
        text: "done".into(),
    };
    let preview = n.preview(&message, SendMode::Normal).unwrap();
    assert_eq!(
        preview.items[0].request,
        format!("POST {base}/…"),
        "only scheme, host and port are shown"
    );
    shown.push(preview.to_string());
    shown.push(serde_json::to_string(&preview).unwrap());
    for mode in [SendMode::Normal, SendMode::Normal, SendMode::Force] {
        let d = n.send(&message, mode).await.unwrap();
        shown.push(d.to_string());
        shown.push(format!("{d:?}"));
    }
    shown.push(serde_json::to_string(n.state()).unwrap());

    let mut refused = Notifier::from_config(&config(&format!(
        "http://127.0.0.1:{}",
        closed_port().await
    )))
    .unwrap();
    let d = refused.complete("done").await.unwrap();
    assert!(d.has_failures(), "{d}");
    shown.push(d.to_string());
    shown.push(format!("{refused:?}"));

    drop(guard);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("post failed"), "the log was written:\n{log}");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.path == format!("/hooks/{HOOK_PATH}"))
    );
    assert!(
        requests
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {HOOK_KEY}")))
    );
    assert_hidden(HOOK_PATH, &shown, &log);
    assert_hidden(HOOK_KEY, &shown, &log);
}
