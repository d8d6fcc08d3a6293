//! The Slack sender against a loopback server that records every request: what is posted,
//! where, with which token and in which thread, and that nothing is posted twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

#[path = "support/chat.rs"]
mod chat;

use std::time::Instant;

use chat::{ChatServer, Recorded, Reply};
use slipway::config::AnnounceConfig;
use slipway::notify::{
    Completion, DeliveryStatus, DeployInfo, DeployOutcome, Message, Notifier, NotifierState, Plan,
    ReleaseSummary, SendMode,
};

const TOKEN: &str = "xoxb-test-1111-2222-abcdef";

struct Setup {
    server: ChatServer,
    notifier: Notifier,
    cfg: AnnounceConfig,
    _dir: tempfile::TempDir,
}

async fn setup(extra: &str) -> Setup {
    let (server, base) = ChatServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("slack-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let cfg: AnnounceConfig = toml::from_str(&format!(
        "kind = \"slack\"\nchannels = [\"#belfrage\", \"#help-belfrage\"]\ntoken_file = {:?}\nbase_url = \"{base}/api\"\ntimeout_secs = 1\n{extra}",
        token_file.display().to_string()
    ))
    .unwrap();
    let notifier = Notifier::from_config(&cfg).unwrap();
    Setup {
        server,
        notifier,
        cfg,
        _dir: dir,
    }
}

fn status_of<'a>(d: &'a slipway::notify::Delivery, target: &str) -> &'a DeliveryStatus {
    &d.targets
        .iter()
        .find(|t| t.target == target)
        .unwrap_or_else(|| panic!("no {target} in {d}"))
        .status
}

fn assert_slack_post(r: &Recorded) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/api/chat.postMessage");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{r:?}"
    );
}

#[tokio::test]
async fn announcement_then_thread_replies_then_completion() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    let text = notifier
        .draft_announcement(&ReleaseSummary::example())
        .unwrap();
    let d = notifier.announce(&text).await.unwrap();
    assert!(d.is_complete(), "{d}");

    let posts = server.requests();
    assert_eq!(posts.len(), 2, "{posts:?}");
    let channels: Vec<&str> = posts.iter().map(Recorded::channel).collect();
    assert_eq!(channels, ["#belfrage", "#help-belfrage"]);
    for p in &posts {
        assert_slack_post(p);
        assert_eq!(p.thread_ts(), None, "the announcement starts the thread");
        let t = p.text();
        for expected in [
            "belfrage",
            "*WWW*",
            "*Bruce*",
            "`3f2a1c0`",
            "`9be77d4`",
            "`5d0e9a1`",
            "4 commits, 2 risky",
            "Fix cache key for &lt;personalised&gt; pages",
            "Add routes column to the platform table",
            "Alice Example",
            "Bob Example",
            "(#1234)",
            "(#1230)",
            "*MIGRATION*",
            "*DEPENDENCIES*",
            "drift",
        ] {
            assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
        }
    }
    let ts_belfrage = notifier.state().thread("#belfrage").unwrap().ts.clone();
    let ts_help = notifier
        .state()
        .thread("#help-belfrage")
        .unwrap()
        .ts
        .clone();
    assert_ne!(ts_belfrage, ts_help, "each channel has its own thread");
    match status_of(&d, "#belfrage") {
        DeliveryStatus::Posted { ts } => assert_eq!(ts.as_deref(), Some(ts_belfrage.as_str())),
        other => panic!("{other:?}"),
    }

    // Each stack's deployment goes into each channel's thread, with its link and id.
    let deploy = DeployInfo::example();
    assert!(
        notifier
            .deploy_started(&deploy)
            .await
            .unwrap()
            .is_complete()
    );
    assert!(
        notifier
            .deploy_finished(&deploy, DeployOutcome::Succeeded, None)
            .await
            .unwrap()
            .is_complete()
    );
    let done = notifier.draft_completion(&Completion::example()).unwrap();
    assert!(notifier.complete(&done).await.unwrap().is_complete());

    for (channel, ts) in [("#belfrage", &ts_belfrage), ("#help-belfrage", &ts_help)] {
        let replies = server.posts_to(&ChatServer::channel_id(channel));
        assert_eq!(replies.len(), 3, "{channel}: {replies:?}");
        for r in &replies {
            assert_slack_post(r);
            assert_eq!(r.thread_ts(), Some(ts.as_str()), "{channel}: {r:?}");
        }
        assert!(replies[0].text().contains("Deploying *Sally* to live"));
        assert!(
            replies[0]
                .text()
                .contains("<https://deploy.example.internal/deployments/5639226|5639226>")
        );
        assert!(replies[0].text().contains("`3f2a1c0` → `9be77d4`"));
        assert!(replies[1].text().contains("*Sally* is live on `9be77d4`"));
        assert!(
            replies[2].text().contains("release complete"),
            "{:?}",
            replies[2]
        );
    }
    assert_eq!(server.requests().len(), 8);
}

#[tokio::test]
async fn announcing_twice_posts_once() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    notifier.announce("Releasing belfrage").await.unwrap();
    let again = notifier.announce("Releasing belfrage").await.unwrap();
    assert!(again.is_complete(), "{again}");
    assert!(
        again
            .targets
            .iter()
            .all(|t| t.status == DeliveryStatus::Skipped),
        "{again}"
    );
    assert_eq!(server.requests().len(), 2);

    // The same deployment's start is posted once; another deployment is a new action.
    let deploy = DeployInfo::example();
    notifier.deploy_started(&deploy).await.unwrap();
    notifier.deploy_started(&deploy).await.unwrap();
    assert_eq!(server.requests().len(), 4);
    let rollback = DeployInfo {
        deployment_id: "5639301".into(),
        from: deploy.to.clone(),
        to: deploy.from.clone(),
        ..deploy
    };
    notifier.deploy_started(&rollback).await.unwrap();
    assert_eq!(server.requests().len(), 6);
}

#[tokio::test]
async fn a_failed_channel_is_retried_alone() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    server.script("#help-belfrage", vec![Reply::OkFalse("channel_not_found")]);
    let d = notifier.announce("Releasing belfrage").await.unwrap();
    assert!(!d.is_complete());
    assert!(d.has_failures());
    assert!(matches!(
        status_of(&d, "#belfrage"),
        DeliveryStatus::Posted { .. }
    ));
    match status_of(&d, "#help-belfrage") {
        DeliveryStatus::Failed { reason } => {
            assert!(reason.contains("channel_not_found"), "{reason}");
            assert!(reason.contains("invited"), "says what to do: {reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        d.to_string()
            .contains("#help-belfrage failed: Slack said channel_not_found"),
        "{d}"
    );

    // Replies go where there is a thread, and are refused where there is none.
    let deploy = DeployInfo::example();
    let started = notifier.deploy_started(&deploy).await.unwrap();
    match status_of(&started, "#help-belfrage") {
        DeliveryStatus::Failed { reason } => assert!(reason.contains("announce first"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.posts_to("#help-belfrage").len(), 1);
    assert_eq!(server.posts_to("CHELPBELFRAGE").len(), 0);

    let retry = notifier.announce("Releasing belfrage").await.unwrap();
    assert!(retry.is_complete(), "{retry}");
    assert_eq!(status_of(&retry, "#belfrage"), &DeliveryStatus::Skipped);
    assert_eq!(server.posts_to("#belfrage").len(), 1, "not posted twice");
    assert_eq!(server.posts_to("#help-belfrage").len(), 2);

    // Now the reply can follow in the new thread, and only there.
    let started = notifier.deploy_started(&deploy).await.unwrap();
    assert!(started.is_complete(), "{started}");
    assert_eq!(server.posts_to("CBELFRAGE").len(), 1);
    assert_eq!(server.posts_to("CHELPBELFRAGE").len(), 1);
}

#[tokio::test]
async fn http_500_fails_and_a_retry_sends_it() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    server.script("#belfrage", vec![Reply::Status(500)]);
    let d = notifier.announce("hello").await.unwrap();
    match status_of(&d, "#belfrage") {
        DeliveryStatus::Failed { reason } => {
            assert!(reason.contains("HTTP 500"), "{reason}");
            assert!(reason.contains("upstream exploded"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.posts_to("#belfrage").len(),
        1,
        "a 500 is not retried on its own"
    );
    let d = notifier.announce("hello").await.unwrap();
    assert!(d.is_complete(), "{d}");
    assert_eq!(server.posts_to("#belfrage").len(), 2);
    assert_eq!(server.posts_to("#help-belfrage").len(), 1);
}

#[tokio::test]
async fn rate_limit_is_waited_out_as_asked() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    server.script("#belfrage", vec![Reply::RateLimited(1)]);
    let started = Instant::now();
    let d = notifier.announce("hello").await.unwrap();
    assert!(d.is_complete(), "{d}");
    assert!(started.elapsed().as_millis() >= 1000, "waited Retry-After");
    assert_eq!(server.posts_to("#belfrage").len(), 2);
}

#[tokio::test]
async fn endless_rate_limiting_gives_up_after_the_configured_retries() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("retries = 1").await;
    server.script("#belfrage", vec![Reply::RateLimited(0); 2]);
    let d = notifier.announce("hello").await.unwrap();
    match status_of(&d, "#belfrage") {
        DeliveryStatus::Failed { reason } => assert!(reason.contains("rate limited"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.posts_to("#belfrage").len(),
        2,
        "one try and one retry"
    );
    // A long Retry-After is reported, not waited out.
    server.script("#belfrage", vec![Reply::RateLimited(3600)]);
    let started = Instant::now();
    let d = notifier.announce("hello").await.unwrap();
    assert!(started.elapsed().as_secs() < 5);
    match status_of(&d, "#belfrage") {
        DeliveryStatus::Failed { reason } => {
            assert!(reason.contains("retry after 3600s"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_timed_out_post_is_not_resent_without_force() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    server.script("#belfrage", vec![Reply::Hang]);
    let d = notifier.announce("hello").await.unwrap();
    assert!(d.has_unknown(), "{d}");
    match status_of(&d, "#belfrage") {
        DeliveryStatus::Unknown { reason } => {
            assert!(reason.contains("no answer within 1s"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(d.to_string().contains("may have been posted"), "{d}");
    assert!(d.to_string().contains("check the channel"), "{d}");
    assert!(notifier.state().is_unknown("announce", "#belfrage"));

    // A plain retry leaves it alone.
    let again = notifier.announce("hello").await.unwrap();
    assert!(matches!(
        status_of(&again, "#belfrage"),
        DeliveryStatus::Unknown { .. }
    ));
    assert_eq!(
        status_of(&again, "#help-belfrage"),
        &DeliveryStatus::Skipped
    );
    assert_eq!(server.posts_to("#belfrage").len(), 1);

    // Replies cannot go into a thread that may not exist.
    let started = notifier
        .deploy_started(&DeployInfo::example())
        .await
        .unwrap();
    match status_of(&started, "#belfrage") {
        DeliveryStatus::Failed { reason } => assert!(reason.contains("force"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(server.posts_to("CBELFRAGE").is_empty());

    // The preview says a force is needed.
    let message = Message::Announcement {
        text: "hello".into(),
    };
    let preview = notifier.preview(&message, SendMode::Normal).unwrap();
    assert_eq!(preview.items[0].plan, Plan::NeedsForce);
    assert_eq!(preview.items[1].plan, Plan::Skip);

    // Someone looked: it is not there. Forcing sends it, once, and only there.
    let forced = notifier.send(&message, SendMode::Force).await.unwrap();
    assert!(forced.is_complete(), "{forced}");
    assert_eq!(server.posts_to("#belfrage").len(), 2);
    assert_eq!(server.posts_to("#help-belfrage").len(), 1);
    assert!(!notifier.state().is_unknown("announce", "#belfrage"));
    assert!(notifier.state().thread("#belfrage").is_some());
}

#[tokio::test]
async fn preview_is_exactly_what_is_sent_and_sends_nothing() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    let message = Message::Announcement {
        text: "Releasing *belfrage*".into(),
    };
    let preview = notifier.preview(&message, SendMode::Normal).unwrap();
    assert!(server.requests().is_empty());
    assert_eq!(preview.action, "announce");
    assert_eq!(preview.items.len(), 2);
    assert_eq!(preview.items[0].target, "#belfrage");
    assert!(preview.items[0].request.ends_with("/api/chat.postMessage"));
    assert_eq!(preview.items[0].plan, Plan::Send);
    assert!(preview.to_string().contains("Releasing *belfrage*"));

    notifier.send(&message, SendMode::Normal).await.unwrap();
    let sent = server.requests();
    assert_eq!(sent[0].body, preview.items[0].body);
    assert_eq!(sent[1].body, preview.items[1].body);

    let deploy = Message::DeployStarted {
        deploy: DeployInfo::example(),
    };
    let preview = notifier.preview(&deploy, SendMode::Normal).unwrap();
    let ts = notifier.state().thread("#belfrage").unwrap().ts.clone();
    assert_eq!(preview.items[0].thread_ts.as_deref(), Some(ts.as_str()));
    assert!(preview.items[0].text.contains("Deploying *Sally*"));
    assert_eq!(server.requests().len(), 2, "preview never sends");
    notifier.send(&deploy, SendMode::Normal).await.unwrap();
    let sent = server.requests();
    assert_eq!(sent[2].body, preview.items[0].body);

    let preview = notifier.preview(&message, SendMode::Normal).unwrap();
    assert!(preview.items.iter().all(|i| i.plan == Plan::Skip));
}

#[tokio::test]
async fn saved_state_carries_the_threads_over_a_restart() {
    let Setup {
        server,
        mut notifier,
        cfg,
        _dir,
    } = setup("").await;
    notifier.announce("hello").await.unwrap();
    let saved = serde_json::to_string(notifier.state()).unwrap();
    drop(notifier);

    let restored: NotifierState = serde_json::from_str(&saved).unwrap();
    let mut again = Notifier::from_config(&cfg).unwrap().with_state(restored);
    let d = again.announce("hello").await.unwrap();
    assert!(
        d.targets
            .iter()
            .all(|t| t.status == DeliveryStatus::Skipped)
    );
    again.deploy_started(&DeployInfo::example()).await.unwrap();
    let ts = again.state().thread("#belfrage").unwrap().ts.clone();
    assert_eq!(server.posts_to("#belfrage")[0].thread_ts(), None);
    let replies = server.posts_to("CBELFRAGE");
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].thread_ts(), Some(ts.as_str()));
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_failed_deploy_says_why_in_the_thread() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    notifier.announce("hello").await.unwrap();
    let deploy = DeployInfo {
        url: None,
        ..DeployInfo::example()
    };
    notifier
        .deploy_finished(
            &deploy,
            DeployOutcome::Failed,
            Some("2 of 6 instances unhealthy"),
        )
        .await
        .unwrap();
    let r = &server.posts_to("CBELFRAGE")[0];
    assert!(
        r.text().contains("❌ *Sally* deployment failed"),
        "{}",
        r.text()
    );
    assert!(
        r.text()
            .contains("deployment 5639226: 2 of 6 instances unhealthy"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn empty_and_oversized_messages_are_refused_before_sending() {
    let Setup {
        server,
        mut notifier,
        ..
    } = setup("").await;
    let e = notifier.announce("  \n").await.unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let e = notifier.announce(&"x".repeat(40_001)).await.unwrap_err();
    assert!(e.to_string().contains("40001 characters"), "{e}");
    assert!(server.requests().is_empty());
}
