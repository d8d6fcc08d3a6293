//! A repository given by URL is cloned into the cache and fetched on demand (with the
//! system git, as the user's credentials need), and new commits then show in the diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use slipway::vcs::fetch::{ensure_clone, fetch};
use slipway::vcs::{RiskRules, diff};
use std::time::Duration;
use support::gitrepo::GitRepo;

#[tokio::test]
async fn clone_then_fetch_brings_new_commits() {
    let mut upstream = GitRepo::new();
    let live = upstream.commit("Alice", "First", &[("a", "1")]);
    let cache = tempfile::tempdir().expect("cache dir");
    let dest = cache.path().join("belfrage.git");
    let url = format!("file://{}", upstream.path().display());
    ensure_clone(&url, &dest, Duration::from_secs(30))
        .await
        .expect("clone");
    assert!(dest.join("HEAD").exists());
    // A second call finds the clone and does nothing.
    ensure_clone(&url, &dest, Duration::from_secs(30))
        .await
        .expect("already cloned");

    let test = upstream.commit("Bob", "Second (#2)", &[("mix.lock", "2")]);
    let clone = git2::Repository::open(&dest).expect("open clone");
    let unknown = diff(&clone, &live, &test, &RiskRules::defaults()).unwrap_err();
    assert!(
        unknown.to_string().contains("not in the repository"),
        "{unknown}"
    );

    fetch(&dest, Duration::from_secs(30)).await.expect("fetch");
    let clone = git2::Repository::open(&dest).expect("open clone");
    let cs = diff(&clone, &live, &test, &RiskRules::defaults()).expect("diff after fetch");
    assert_eq!(cs.count, 1);
    assert_eq!(cs.commits[0].risks, ["dependencies"]);
}

#[tokio::test]
async fn a_failing_clone_says_why_and_does_not_prompt() {
    let cache = tempfile::tempdir().expect("cache dir");
    let err = ensure_clone(
        "file:///nonexistent/slipway/repo.git",
        &cache.path().join("x.git"),
        Duration::from_secs(30),
    )
    .await
    .unwrap_err();
    assert!(err.contains("git clone failed"), "{err}");
    assert!(
        err.contains("does not appear to be a git repository")
            || err.contains("not found")
            || err.contains("No such"),
        "{err}"
    );
}
