//! The generic JSON webhook against a loopback receiver: method, path, auth header and
//! the body's shape for each kind of message, and the same at-most-once rule as Slack.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

#[path = "support/chat.rs"]
mod chat;

use chat::{ChatServer, Reply};
use serde_json::json;
use slipway::config::AnnounceConfig;
use slipway::notify::{DeliveryStatus, DeployInfo, DeployOutcome, Notifier};

const KEY: &str = "hook-key-8f7e6d";

async fn setup(auth: &str) -> (ChatServer, Notifier, tempfile::TempDir) {
    let (server, base) = ChatServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("hook-key");
    std::fs::write(&key_file, KEY).unwrap();
    let cfg: AnnounceConfig = toml::from_str(&format!(
        "kind = \"webhook\"\nurl = \"{base}/hooks/releases\"\ntimeout_secs = 1\n{}",
        auth.replace("KEY_FILE", &format!("{:?}", key_file.display().to_string()))
    ))
    .unwrap();
    (server, Notifier::from_config(&cfg).unwrap(), dir)
}

#[tokio::test]
async fn every_message_is_a_json_post_with_its_kind_and_facts() {
    let (server, mut n, _dir) =
        setup("[auth]\nheader = \"X-Api-Key\"\nscheme = \"\"\ntoken_file = KEY_FILE\n").await;
    assert!(
        n.announce("Releasing belfrage")
            .await
            .unwrap()
            .is_complete()
    );
    let deploy = DeployInfo::example();
    assert!(n.deploy_started(&deploy).await.unwrap().is_complete());
    assert!(
        n.deploy_finished(&deploy, DeployOutcome::Succeeded, None)
            .await
            .unwrap()
            .is_complete()
    );
    assert!(n.complete("All done").await.unwrap().is_complete());

    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/hooks/releases");
        assert_eq!(r.header("x-api-key"), Some(KEY));
        assert_eq!(r.header("authorization"), None);
        assert!(
            r.header("content-type")
                .unwrap_or("")
                .starts_with("application/json")
        );
    }
    assert_eq!(
        requests[0].body,
        json!({ "text": "Releasing belfrage", "kind": "announcement", "action": "announce" })
    );
    let started = &requests[1].body;
    assert_eq!(started["kind"], "deploy_started");
    assert_eq!(started["action"], "deploy_started:sally:5639226");
    assert_eq!(started["release"], "belfrage");
    assert_eq!(started["stack"], json!({ "id": "sally", "name": "Sally" }));
    assert_eq!(
        started["deployment"],
        json!({ "id": "5639226", "url": "https://deploy.example.internal/deployments/5639226" })
    );
    assert_eq!(started["from"], "3f2a1c0");
    assert_eq!(started["to"], "9be77d4");
    assert!(started.get("outcome").is_none());
    // Plain format: a link is written out, not in Slack's <url|text> form.
    assert_eq!(
        started["text"],
        "▶️ Deploying *Sally* to live: `3f2a1c0` → `9be77d4` · deployment 5639226 (https://deploy.example.internal/deployments/5639226)"
    );
    assert_eq!(requests[2].body["kind"], "deploy_finished");
    assert_eq!(requests[2].body["outcome"], "succeeded");
    assert_eq!(
        requests[3].body,
        json!({ "text": "All done", "kind": "completion", "action": "completion" })
    );
}

#[tokio::test]
async fn default_auth_is_a_bearer_token() {
    let (server, mut n, _dir) = setup("[auth]\ntoken_file = KEY_FILE\n").await;
    n.announce("hi").await.unwrap();
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn failures_are_reported_and_only_the_failed_message_is_resent() {
    let (server, mut n, _dir) = setup("").await;
    server.script("*", vec![Reply::Status(503)]);
    let d = n.announce("hi").await.unwrap();
    match &d.targets[0].status {
        DeliveryStatus::Failed { reason } => {
            assert!(reason.contains("HTTP 503"), "{reason}");
            assert!(reason.contains("upstream exploded"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(n.announce("hi").await.unwrap().is_complete());
    assert_eq!(
        n.announce("hi").await.unwrap().targets[0].status,
        DeliveryStatus::Skipped
    );
    assert_eq!(server.requests().len(), 2);
    // A webhook has no threads: deploy updates go straight out.
    n.deploy_started(&DeployInfo::example()).await.unwrap();
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_hanging_receiver_is_an_unknown_outcome_not_a_resend() {
    let (server, mut n, _dir) = setup("").await;
    server.script("*", vec![Reply::Hang]);
    let d = n.complete("done").await.unwrap();
    assert!(d.has_unknown(), "{d}");
    let d = n.complete("done").await.unwrap();
    assert!(d.has_unknown(), "{d}");
    assert_eq!(server.requests().len(), 1);
}
