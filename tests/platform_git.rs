//! The `git` platform (`GitOps`) against real repositories: a bare remote on disk, clones
//! made by the platform with the system `git`, and commits checked in the remote.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::path::Path;
use std::sync::Arc;

use slipway::model::{Approval, DeployState, DeploymentId, Env, LockHolder, StackId, Version};
use slipway::platform::{DeployRequest, Platform, PlatformError};
use support::gitrepo::{BareRemote, GitRepo};

const OLD: &str = "ce4e1c5";
const NEW: &str = "c570624";

/// An environment file as people write them: comments, odd spacing, flow maps.
fn values(stack: &str, tag: &str) -> String {
    format!(
        "# {stack}: managed by slipway during releases; comments stay\n\
         image:\n  repository: registry.example.com/acme/{stack}   # the app image\n  tag: \"{tag}\"\n\
         replicas: 3   # scale by hand\n\n\
         resources: {{cpu: 100m, memory: 256Mi}}\n"
    )
}

/// dev and staging run NEW, live runs OLD, for www and cedric.
fn seed() -> (GitRepo, BareRemote) {
    let mut seed = GitRepo::new();
    let mut files = Vec::new();
    for stack in ["www", "cedric"] {
        for (env, tag) in [("dev", NEW), ("staging", NEW), ("live", OLD)] {
            files.push((format!("envs/{env}/{stack}.yaml"), values(stack, tag)));
        }
    }
    files.push(("README.md".into(), "environments\n".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    seed.commit("Ops", "environments for www and cedric", &refs);
    let remote = BareRemote::from(&seed);
    (seed, remote)
}

/// A config for one slipway with its own checkout, as `who`.
fn config_text(remote: &str, checkout: &Path, who: &str, extra: &str) -> String {
    format!(
        r#"[release]
name = "belfrage"
environments = ["dev", "staging", "live"]
journal = "{journal}"

[platform]
kind = "git"
remote = "{remote}"
checkout = "{checkout}"
path = "envs/{{env}}/{{stack}}.yaml"
identity = "{who} <{email}@example.com>"
lock = true
{extra}

[[stacks]]
id = "www"

[[stacks]]
id = "cedric"
"#,
        journal = checkout.with_extension("journal.jsonl").display(),
        checkout = checkout.display(),
        email = who.to_lowercase(),
    )
}

fn platform_from(text: &str) -> Arc<dyn Platform> {
    let config = slipway::validation::parse_str(text, Path::new("gitops.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    slipway::platform::from_config(&config).unwrap_or_else(|e| panic!("{e}"))
}

/// A platform on `remote` with the version at `/image/tag`.
fn platform(remote: &BareRemote, dir: &tempfile::TempDir, who: &str) -> Arc<dyn Platform> {
    let checkout = dir.path().join(format!("checkout-{who}"));
    platform_from(&config_text(
        &remote.url(),
        &checkout,
        who,
        "pointer = \"/image/tag\"",
    ))
}

fn promote(stack: &str, version: &str, previous: &str, user: &str) -> DeployRequest {
    DeployRequest {
        stack: StackId::new(stack),
        env: Env::new("live"),
        version: Version::new(version),
        previous: Version::new(previous),
        rollback: false,
        user: user.into(),
    }
}

fn versions_of(v: &slipway::model::StackVersions) -> Vec<(String, String)> {
    v.envs
        .iter()
        .map(|e| (e.env.to_string(), e.version.to_string()))
        .collect()
}

#[tokio::test]
async fn promote_and_rollback_are_single_commits_that_keep_the_file_byte_for_byte() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");
    let www = StackId::new("www");

    let before = p.versions(&www).await.unwrap();
    assert_eq!(
        versions_of(&before),
        [
            ("dev".to_string(), NEW.to_string()),
            ("staging".to_string(), NEW.to_string()),
            ("live".to_string(), OLD.to_string())
        ]
    );
    let start = remote.head();

    let deployment = p.deploy(&promote("www", NEW, OLD, "alice")).await.unwrap();
    let head = remote.head();
    assert_eq!(deployment.id.as_str(), head, "the deployment is the commit");
    assert_eq!(remote.git(&["rev-parse", "main~1"]), start, "one commit");
    assert_eq!(
        remote.git(&["log", "-1", "--format=%s%n%an <%ae>", "main"]),
        format!("promote www to live: {OLD} → {NEW} (by alice)\nAlice <alice@example.com>")
    );
    assert_eq!(
        remote.git(&["show", "--name-only", "--format=", "main"]),
        "envs/live/www.yaml",
        "only the one file"
    );
    assert_eq!(remote.file("envs/live/www.yaml"), values("www", NEW));
    assert_eq!(
        remote.file("envs/live/cedric.yaml"),
        values("cedric", OLD),
        "other stacks untouched"
    );
    let body = remote.git(&["log", "-1", "--format=%b", "main"]);
    assert!(body.contains("Slipway-Env: live"), "{body}");

    // Without a status command the deployment ends at the push; its output is git's.
    let status = p.deployment_status(&www, &deployment.id).await.unwrap();
    assert_eq!(status.state, DeployState::Succeeded);
    let out = p.deployment_output(&www, &deployment.id, 0).await.unwrap();
    assert!(out.complete);
    let text = out.lines.join("\n");
    assert!(
        text.contains("$ git push origin HEAD:refs/heads/main"),
        "{text}"
    );
    assert!(
        text.contains(&format!("envs/live/www.yaml: {OLD} → {NEW}")),
        "{text}"
    );
    let again = p
        .deployment_output(&www, &deployment.id, out.next_offset)
        .await
        .unwrap();
    assert!(again.lines.is_empty(), "{again:?}");

    // Versions come from the remote branch: live moved.
    let after = p.versions(&www).await.unwrap();
    assert_eq!(after.live().as_str(), NEW);

    // The rollback is a new commit restoring the previous version, byte for byte.
    let mut back = promote("www", OLD, NEW, "alice");
    back.rollback = true;
    let rolled = p.deploy(&back).await.unwrap();
    assert_eq!(remote.git(&["rev-parse", "main~1"]), head);
    assert_eq!(rolled.id.as_str(), remote.head());
    assert_eq!(
        remote.git(&["log", "-1", "--format=%s", "main"]),
        format!("roll back www on live: {NEW} → {OLD} (by alice)")
    );
    assert_eq!(remote.file("envs/live/www.yaml"), values("www", OLD));
    assert_eq!(
        remote.git(&["diff", &start, "main"]),
        "",
        "the tree is as it was before the promotion"
    );
}

#[tokio::test]
async fn a_deployment_is_followed_again_after_a_restart_from_its_commit() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let first = platform(&remote, &dir, "Alice");
    let d = first
        .deploy(&promote("www", NEW, OLD, "alice"))
        .await
        .unwrap();
    drop(first);
    // A new process (same checkout) asked about that deployment.
    let second = platform(&remote, &dir, "Alice");
    let www = StackId::new("www");
    let status = second.deployment_status(&www, &d.id).await.unwrap();
    assert_eq!(status.state, DeployState::Succeeded);
    let out = second.deployment_output(&www, &d.id, 0).await.unwrap();
    assert!(out.lines[0].contains("promote www to live"), "{out:?}");
    let e = second
        .deployment_status(&www, &DeploymentId::new("0000000"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a slipway commit"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clones_promoting_different_stacks_both_land_without_force() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let alice = platform(&remote, &dir, "Alice");
    let bob = platform(&remote, &dir, "Bob");
    // Both have cloned and read before either promotes.
    alice.versions(&StackId::new("www")).await.unwrap();
    bob.versions(&StackId::new("cedric")).await.unwrap();
    let start = remote.head();

    let (ra, rb) = (
        promote("www", NEW, OLD, "alice"),
        promote("cedric", NEW, OLD, "bob"),
    );
    let (a, b) = tokio::join!(alice.deploy(&ra), bob.deploy(&rb));
    let (a, b) = (a.unwrap(), b.unwrap());
    // Linear history on top of the start: nothing was overwritten.
    assert_eq!(
        remote.git(&["rev-list", "--count", &format!("{start}..main")]),
        "2"
    );
    for id in [&a.id, &b.id] {
        remote.git(&["merge-base", "--is-ancestor", id.as_str(), "main"]);
    }
    assert_eq!(remote.file("envs/live/www.yaml"), values("www", NEW));
    assert_eq!(remote.file("envs/live/cedric.yaml"), values("cedric", NEW));
    let subjects = remote.git(&["log", "--format=%s", &format!("{start}..main")]);
    assert!(subjects.contains("promote www to live"), "{subjects}");
    assert!(subjects.contains("promote cedric to live"), "{subjects}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clones_promoting_the_same_file_one_wins_and_the_other_names_its_commit() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let alice = platform(&remote, &dir, "Alice");
    let bob = platform(&remote, &dir, "Bob");
    alice.versions(&StackId::new("www")).await.unwrap();
    bob.versions(&StackId::new("www")).await.unwrap();
    let start = remote.head();

    let (ra, rb) = (
        promote("www", NEW, OLD, "alice"),
        promote("www", "0badc0d", OLD, "bob"),
    );
    let (a, b) = tokio::join!(alice.deploy(&ra), bob.deploy(&rb));
    let (winner, loser_error, loser_version) = match (a, b) {
        (Ok(w), Err(e)) => (w, e, "0badc0d"),
        (Err(e), Ok(w)) => (w, e, NEW),
        other => panic!("exactly one should win: {other:?}"),
    };
    assert_eq!(
        remote.git(&["rev-list", "--count", &format!("{start}..main")]),
        "1"
    );
    assert_eq!(winner.id.as_str(), remote.head());
    let message = loser_error.to_string();
    assert!(
        matches!(loser_error, PlatformError::Conflict { .. }),
        "{loser_error:?}"
    );
    assert!(
        loser_error.is_rejection(),
        "nothing of the loser's reached live"
    );
    assert!(
        message.contains(&winner.id.as_str()[..7]) && message.contains("envs/live/www.yaml"),
        "names the winning commit and the file: {message}"
    );
    let winner_subject = remote.git(&["log", "-1", "--format=%s", "main"]);
    assert!(message.contains(&winner_subject), "{message}");
    assert!(
        !remote.file("envs/live/www.yaml").contains(loser_version),
        "the loser's version is nowhere"
    );
    let all = remote.git(&["log", "--all", "--format=%s"]);
    assert_eq!(all.matches("promote www to live").count(), 1, "{all}");
}

/// Makes Carol push her prepared commit between slipway's fetch and its push, once: a
/// `pre-push` hook in slipway's clone (hooks run after the remote's refs are read, so the
/// push that follows was computed on a branch that has moved).
fn overtaken_by(carol: &GitRepo, checkout: &Path) {
    let hook = checkout.join(".git/hooks/pre-push");
    let mark = checkout.with_extension("pushed-once");
    let script = format!(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n[ -e '{mark}' ] && exit 0\ntouch '{mark}'\ngit -C '{carol}' push -q origin main\n",
        mark = mark.display(),
        carol = carol.path().display()
    );
    std::fs::write(&hook, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn a_push_overtaken_by_a_commit_to_another_file_is_rebased_onto_it() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");
    p.versions(&StackId::new("www")).await.unwrap();
    let mut carol = remote.clone_as_someone();
    let theirs = carol.commit(
        "Carol",
        "scale cedric on live",
        &[(
            "envs/live/cedric.yaml",
            &values("cedric", OLD).replace("replicas: 3", "replicas: 5"),
        )],
    );
    overtaken_by(&carol, &dir.path().join("checkout-Alice"));

    let d = p.deploy(&promote("www", NEW, OLD, "alice")).await.unwrap();
    assert_eq!(remote.head(), d.id.as_str());
    assert_eq!(
        remote.git(&["rev-parse", "main~1"]),
        theirs,
        "ours on top of theirs"
    );
    assert!(remote.file("envs/live/cedric.yaml").contains("replicas: 5"));
    assert_eq!(remote.file("envs/live/www.yaml"), values("www", NEW));
    let out = p
        .deployment_output(&StackId::new("www"), &d.id, 0)
        .await
        .unwrap();
    let text = out.lines.join("\n");
    assert!(text.contains("main moved on the remote"), "{text}");
    assert!(
        text.contains("$ git rebase refs/remotes/origin/main"),
        "{text}"
    );
}

#[tokio::test]
async fn a_push_overtaken_by_a_commit_to_the_same_file_is_refused_and_names_it() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");
    p.versions(&StackId::new("www")).await.unwrap();
    let mut carol = remote.clone_as_someone();
    let theirs = carol.commit(
        "Carol",
        "pin www on live during the incident",
        &[(
            "envs/live/www.yaml",
            &values("www", OLD).replace("replicas: 3", "replicas: 9"),
        )],
    );
    overtaken_by(&carol, &dir.path().join("checkout-Alice"));

    let e = p
        .deploy(&promote("www", NEW, OLD, "alice"))
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, PlatformError::Conflict { .. }), "{e:?}");
    assert!(message.contains(&theirs[..7]), "{message}");
    assert!(message.contains("Carol <carol@example.com>"), "{message}");
    assert!(
        message.contains("pin www on live during the incident"),
        "{message}"
    );
    assert!(message.contains("changed meanwhile"), "{message}");
    assert_eq!(remote.head(), theirs, "nothing of theirs is overwritten");
    assert!(remote.file("envs/live/www.yaml").contains("replicas: 9"));
}

#[tokio::test]
async fn a_promotion_on_top_of_someone_elses_change_to_the_file_is_refused() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");
    p.versions(&StackId::new("www")).await.unwrap();
    // Carol edits live's file by hand after slipway read it.
    let mut carol = remote.clone_as_someone();
    carol.commit(
        "Carol",
        "hotfix www on live",
        &[("envs/live/www.yaml", &values("www", "ffff000"))],
    );
    carol.git(&["push", "-q", "origin", "main"]);
    let theirs = remote.head();
    let e = p
        .deploy(&promote("www", NEW, OLD, "alice"))
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, PlatformError::Conflict { .. }), "{e:?}");
    assert!(message.contains(&theirs[..7]), "{message}");
    assert!(message.contains("Carol"), "{message}");
    assert!(message.contains("hotfix www on live"), "{message}");
    assert_eq!(remote.head(), theirs, "their commit stands");
}

/// A stand-in for `argocd app get … -o json`: a real script that reports the old
/// revision out of sync twice, then our commit synced and healthy.
fn argocd_script(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("argocd.sh");
    let count = dir.join("argocd.calls");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
# $1 = app ({{stack}}-{{env}}), $2 = the commit slipway pushed
n=$(cat '{count}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{count}'
echo "$1" >> '{count}.apps'
if [ $n -lt 3 ]; then
  printf '{{"status":{{"sync":{{"status":"OutOfSync","revision":"%s"}},"health":{{"status":"Progressing"}},"operationState":{{"message":"waiting for rollout"}}}}}}\n' "ce4e1c5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
else
  printf '{{"status":{{"sync":{{"status":"Synced","revision":"%s"}},"health":{{"status":"Healthy"}}}}}}\n' "$2"
fi
"#,
            count = count.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn with_status(script: &Path) -> String {
    format!(
        "pointer = \"/image/tag\"\npoll_ms = 200\n\n[platform.status]\n\
         command = [\"{}\", \"{{stack}}-{{env}}\", \"{{commit}}\"]\n\
         synced_pointer = \"/status/sync/status\"\n\
         healthy_pointer = \"/status/health/status\"\n\
         revision_pointer = \"/status/sync/revision\"\n\
         message_pointer = \"/status/operationState/message\"\n",
        script.display()
    )
}

#[tokio::test]
async fn a_status_command_drives_the_deployment_from_running_to_succeeded() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let script = argocd_script(dir.path());
    let p = platform_from(&config_text(
        &remote.url(),
        &dir.path().join("checkout"),
        "Alice",
        &with_status(&script),
    ));
    let www = StackId::new("www");
    let d = p.deploy(&promote("www", NEW, OLD, "alice")).await.unwrap();
    // Running until the controller reports our commit synced and healthy.
    let in_flight = p.versions(&www).await.unwrap().in_flight;
    assert_eq!(in_flight.map(|f| f.id), Some(d.id.clone()));
    let mut states = Vec::new();
    for _ in 0..20 {
        let s = p.deployment_status(&www, &d.id).await.unwrap();
        states.push((s.state.clone(), s.raw_state.clone()));
        if s.state.is_finished() {
            break;
        }
    }
    assert_eq!(
        states,
        [
            (DeployState::Running, "OutOfSync/Progressing".to_string()),
            (DeployState::Running, "OutOfSync/Progressing".to_string()),
            (DeployState::Succeeded, "Synced/Healthy".to_string()),
        ]
    );
    let out = p.deployment_output(&www, &d.id, 0).await.unwrap();
    assert!(out.complete);
    let text = out.lines.join("\n");
    assert!(text.contains("$ git push"), "{text}");
    assert_eq!(
        text.matches("sync OutOfSync · health Progressing").count(),
        1,
        "a status line only when it changes: {text}"
    );
    assert!(text.contains("waiting for rollout"), "{text}");
    assert!(
        text.contains(&format!(
            "sync Synced · health Healthy · at {}",
            &d.id.as_str()[..7]
        )),
        "{text}"
    );
    let apps = std::fs::read_to_string(dir.path().join("argocd.calls.apps")).unwrap();
    assert!(apps.lines().all(|l| l == "www-live"), "{apps}");
    assert!(p.versions(&www).await.unwrap().in_flight.is_none());
}

#[tokio::test]
async fn bad_inputs_give_clear_errors() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");

    // A stack with no file.
    let e = p.versions(&StackId::new("ghost")).await.unwrap_err();
    assert!(
        e.to_string().contains("envs/dev/ghost.yaml is not on main"),
        "{e}"
    );
    let e = p
        .deploy(&promote("ghost", NEW, OLD, "alice"))
        .await
        .unwrap_err();
    assert!(
        e.is_rejection() && e.to_string().contains("no such file"),
        "{e}"
    );

    // A pointer that is not in the file.
    let text = config_text(
        &remote.url(),
        &dir.path().join("c2"),
        "Alice",
        "pointer = \"/image/digest\"",
    );
    let e = platform_from(&text)
        .versions(&StackId::new("www"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("/image has no key 'digest'"), "{e}");

    // A regex that matches nothing.
    let text = config_text(
        &remote.url(),
        &dir.path().join("c3"),
        "Alice",
        "regex = 'version: (\\S+)'",
    );
    let e = platform_from(&text)
        .versions(&StackId::new("www"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("matches nothing"), "{e}");

    // A remote that is not there.
    let text = config_text(
        "/nonexistent/envs.git",
        &dir.path().join("c4"),
        "Alice",
        "pointer = \"/image/tag\"",
    );
    let e = platform_from(&text)
        .versions(&StackId::new("www"))
        .await
        .unwrap_err();
    assert!(matches!(e, PlatformError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("nonexistent"), "{e}");

    // Config mistakes are named with their key.
    for (extra, expect) in [
        ("pointer = \"image/tag\"", "platform.pointer"),
        ("regex = 'tag: \\S+'", "one capture group"),
        ("pointer = \"/a\"\nregex = '(a)'", "not both"),
        ("pointer = \"/a\"\npath = \"x\"", "duplicate key"),
    ] {
        let text = config_text("/x", &dir.path().join("c5"), "Alice", extra);
        let e = slipway::validation::parse_str(&text, Path::new("g.toml")).unwrap_err();
        assert!(e.to_string().contains(expect), "{extra} → {e}");
    }
    let text = config_text("/x", &dir.path().join("c6"), "Alice", "pointer = \"/a\"")
        .replace("envs/{env}/{stack}.yaml", "envs/{stage}/{stack}.yaml");
    let e = slipway::validation::parse_str(&text, Path::new("g.toml")).unwrap_err();
    assert!(e.to_string().contains("{stage}"), "{e}");
}

#[tokio::test]
async fn config_path_gives_a_files_keys_for_the_config_diff() {
    let (_seed, remote) = seed();
    let mut ops = remote.clone_as_someone();
    ops.commit(
        "Ops",
        "www settings",
        &[(
            "envs/live/www.config.yaml",
            "# live settings\nenv:\n  LOG_LEVEL: info   # quiet\n  API_TOKEN: from-vault\nhosts: [a.example, b.example]\n",
        )],
    );
    ops.git(&["push", "-q", "origin", "main"]);
    let dir = tempfile::tempdir().unwrap();
    let p = platform_from(&config_text(
        &remote.url(),
        &dir.path().join("c"),
        "Alice",
        "pointer = \"/image/tag\"\nconfig_path = \"envs/{env}/{stack}.config.yaml\"",
    ));
    assert!(p.capabilities().config);
    let www = StackId::new("www");
    let keys = p.config(&www, &Env::new("live")).await.unwrap();
    let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("env.API_TOKEN", "from-vault"),
            ("env.LOG_LEVEL", "info"),
            ("hosts.0", "a.example"),
            ("hosts.1", "b.example")
        ]
    );
    let e = p.config(&www, &Env::new("dev")).await.unwrap_err();
    assert!(e.to_string().contains("envs/dev/www.config.yaml"), "{e}");
    assert!(matches!(
        p.instances(&www, &Env::new("live")).await,
        Err(PlatformError::Unsupported { .. })
    ));
}

fn holder(user: &str, pid: u32) -> LockHolder {
    LockHolder {
        user: user.into(),
        host: format!("{user}-laptop"),
        pid,
        action: "promoting www".into(),
        since: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_ref_has_one_holder_and_the_next_sees_who() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let a = platform(&remote, &dir, "Alice");
    let b = platform(&remote, &dir, "Bob");
    assert!(a.capabilities().lock);
    let main = remote.head();
    let (alice, bob) = (holder("alice", 11), holder("bob", 22));

    // Taken at once by both: exactly one gets it, the other is told who.
    let (ta, tb) = tokio::join!(a.take_lock(&alice), b.take_lock(&bob));
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    let (first, second, first_p, second_p) = match (&ta, &tb) {
        (None, Some(h)) => {
            assert_eq!(h, &alice);
            (&alice, &bob, &a, &b)
        }
        (Some(h), None) => {
            assert_eq!(h, &bob);
            (&bob, &alice, &b, &a)
        }
        other => panic!("exactly one holder: {other:?}"),
    };
    assert_eq!(second_p.read_lock().await.unwrap().as_ref(), Some(first));
    assert_eq!(
        second_p.take_lock(second).await.unwrap().as_ref(),
        Some(first)
    );
    assert_eq!(first_p.take_lock(first).await.unwrap(), None, "re-entrant");
    // Not theirs to release.
    assert!(second_p.release_lock(second, false).await.is_err());
    assert_eq!(first_p.read_lock().await.unwrap().as_ref(), Some(first));
    let message = remote.git(&["log", "-1", "--format=%s", "refs/slipway/lock"]);
    assert!(message.starts_with("slipway release lock: "), "{message}");

    first_p.release_lock(first, false).await.unwrap();
    assert_eq!(second_p.read_lock().await.unwrap(), None);
    assert_eq!(second_p.take_lock(second).await.unwrap(), None);
    // Forced (steal-lock) release works on someone else's.
    first_p.release_lock(first, true).await.unwrap();
    assert_eq!(first_p.read_lock().await.unwrap(), None);
    assert_eq!(
        remote.head(),
        main,
        "the branch is never touched by the lock"
    );
}

#[tokio::test]
async fn without_lock_enabled_the_lock_is_unsupported() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(
        &remote.url(),
        &dir.path().join("c"),
        "Alice",
        "pointer = \"/image/tag\"",
    )
    .replace("lock = true\n", "");
    let p = platform_from(&text);
    assert!(!p.capabilities().lock);
    assert!(matches!(
        p.read_lock().await,
        Err(PlatformError::Unsupported { .. })
    ));
}

fn approval(stack: &str, from: &str, to: &str, user: &str) -> Approval {
    Approval {
        stack: StackId::new(stack),
        env: Env::live(),
        from: Version::new(from),
        to: Version::new(to),
        user: user.into(),
        host: format!("{user}-laptop"),
        at: chrono::Utc::now(),
    }
}

/// The remote's approval refs.
fn approval_refs(remote: &BareRemote) -> Vec<String> {
    let out = remote.git(&[
        "for-each-ref",
        "--format=%(refname)",
        "refs/slipway/approvals/",
    ]);
    out.lines().map(str::to_string).collect()
}

/// A platform with approvals kept in the repository, with its own checkout (a machine).
fn approving_platform(
    remote: &BareRemote,
    dir: &tempfile::TempDir,
    who: &str,
) -> Arc<dyn Platform> {
    let checkout = dir.path().join(format!("checkout-{who}"));
    platform_from(&config_text(
        &remote.url(),
        &checkout,
        who,
        "pointer = \"/image/tag\"\napprovals = true",
    ))
}

#[tokio::test]
async fn an_approval_recorded_on_one_machine_is_read_on_another() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let alice = approving_platform(&remote, &dir, "Alice");
    let bob = approving_platform(&remote, &dir, "Bob");
    assert!(alice.capabilities().approvals && bob.capabilities().approvals);
    let (www, live) = (StackId::new("www"), Env::live());
    let main = remote.head();
    // Alice's clone exists before Bob approves: his commit is new to it.
    assert_eq!(alice.read_approvals(&www, &live).await.unwrap(), vec![]);

    let given = approval("www", OLD, NEW, "bob");
    bob.record_approval(&given).await.unwrap();
    assert_eq!(
        approval_refs(&remote),
        vec![format!("refs/slipway/approvals/www/live/{OLD}-{NEW}/bob")]
    );
    assert_eq!(
        alice.read_approvals(&www, &live).await.unwrap(),
        vec![given.clone()]
    );
    // Only that stack and environment.
    let cedric = StackId::new("cedric");
    assert_eq!(alice.read_approvals(&cedric, &live).await.unwrap(), vec![]);
    assert_eq!(
        alice
            .read_approvals(&www, &Env::new("staging"))
            .await
            .unwrap(),
        vec![]
    );

    // The same approval again, from either machine: kept once, the first one stands.
    let again = Approval {
        at: chrono::Utc::now(),
        ..given.clone()
    };
    bob.record_approval(&again).await.unwrap();
    alice.record_approval(&again).await.unwrap();
    assert_eq!(approval_refs(&remote).len(), 1);
    assert_eq!(
        bob.read_approvals(&www, &live).await.unwrap(),
        vec![given.clone()]
    );

    // Another user's approval of the same step is a second ref.
    let carol = approval("www", OLD, NEW, "carol");
    alice.record_approval(&carol).await.unwrap();
    let read = bob.read_approvals(&www, &live).await.unwrap();
    assert_eq!(read.len(), 2, "{read:?}");
    assert!(read.contains(&given) && read.contains(&carol));
    let message = remote.git(&[
        "log",
        "-1",
        "--format=%an %s",
        &format!("refs/slipway/approvals/www/live/{OLD}-{NEW}/carol"),
    ]);
    assert!(message.starts_with("carol slipway approval: "), "{message}");
    assert_eq!(remote.head(), main, "approvals never touch the branch");
}

#[tokio::test]
async fn approval_ref_components_with_odd_characters_are_sanitised() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let alice = approving_platform(&remote, &dir, "Alice");
    let bob = approving_platform(&remote, &dir, "Bob");
    let odd = approval(
        "www",
        "release/1.2..3",
        "v2:rc~1^ [x].lock",
        "bob o'neil@home",
    );
    bob.record_approval(&odd).await.unwrap();
    let refs = approval_refs(&remote);
    assert_eq!(refs.len(), 1, "{refs:?}");
    let name = &refs[0];
    assert!(
        name.starts_with("refs/slipway/approvals/www/live/")
            && name.split('/').count() == 7
            && !name.contains("..")
            && !name.to_ascii_lowercase().ends_with(".lock")
            && !name.contains([' ', ':', '~', '^', '[']),
        "{name}"
    );
    // The versions are told apart from one with the same characters elsewhere.
    let other = approval(
        "www",
        "release/1.2",
        ".3-v2:rc~1^ [x].lock",
        "bob o'neil@home",
    );
    bob.record_approval(&other).await.unwrap();
    assert_eq!(approval_refs(&remote).len(), 2);
    let read = alice
        .read_approvals(&StackId::new("www"), &Env::live())
        .await
        .unwrap();
    assert!(read.contains(&odd) && read.contains(&other), "{read:?}");
}

#[tokio::test]
async fn without_approvals_enabled_they_are_unsupported() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");
    assert!(!p.capabilities().approvals);
    assert!(matches!(
        p.record_approval(&approval("www", OLD, NEW, "bob")).await,
        Err(PlatformError::Unsupported { .. })
    ));
    assert!(matches!(
        p.read_approvals(&StackId::new("www"), &Env::live()).await,
        Err(PlatformError::Unsupported { .. })
    ));
    assert!(approval_refs(&remote).is_empty());
}

/// Waits for an event `pick` accepts, collecting what went by.
async fn until<T>(
    events: &mut tokio::sync::mpsc::Receiver<slipway::engine::Event>,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(&slipway::engine::Event) -> Option<T>,
) -> T {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(secs), async {
        while let Some(ev) = events.recv().await {
            if let Some(t) = pick(&ev) {
                return Some(t);
            }
            if !matches!(ev, slipway::engine::Event::Board(_)) {
                seen.push(format!("{ev:?}").chars().take(300).collect::<String>());
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(t)) => t,
        _ => panic!(
            "timed out after {secs}s waiting for {what}; saw:\n{}",
            seen.join("\n")
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_promotes_through_the_git_platform_and_the_board_shows_it_on_live() {
    use slipway::engine::release::Phase;
    use slipway::engine::{self, Command, Event};

    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let script = argocd_script(dir.path());
    let text = config_text(
        &remote.url(),
        &dir.path().join("checkout"),
        "Alice",
        &with_status(&script),
    );
    let config = Arc::new(
        slipway::validation::parse_str(&text, Path::new("gitops.toml"))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let platform = slipway::platform::from_config(&config).unwrap();
    let (handle, mut events) = engine::start(config, platform);
    let www = StackId::new("www");
    let board_www = |e: &Event| match e {
        Event::Board(b) => b.get(&www).cloned(),
        _ => None,
    };
    // The board shows all three environments, live behind staging.
    let row = until(&mut events, 30, "www's versions on the board", |e| {
        board_www(e).filter(|r| r.versions.is_some())
    })
    .await;
    let v = row.versions.unwrap();
    assert_eq!(versions_of(&v)[2], ("live".to_string(), OLD.to_string()));
    assert_eq!(
        (v.source_env().as_str(), v.target_env().as_str()),
        ("staging", "live")
    );

    handle
        .send(Command::Promote {
            stack: www.clone(),
            expected: None,
            override_order: false,
            to: None,
            override_gates: None,
        })
        .await;
    until(
        &mut events,
        30,
        "the git output in the Deploy pane",
        |e| match e {
            Event::DeployOutput { stack, lines, .. } if *stack == www => {
                lines.iter().any(|l| l.contains("$ git push")).then_some(())
            }
            _ => None,
        },
    )
    .await;
    let row = until(&mut events, 30, "www live on the board", |e| {
        board_www(e).filter(|r| matches!(r.phase, Phase::Live))
    })
    .await;
    assert_eq!(row.versions.unwrap().live().as_str(), NEW);
    assert_eq!(
        remote.git(&["log", "-1", "--format=%s", "main"]),
        format!(
            "promote www to live: {OLD} → {NEW} (by {})",
            slipway::journal::os_user()
        )
    );
    assert_eq!(remote.file("envs/live/www.yaml"), values("www", NEW));
    // The platform's lock was taken for the promotion and let go after it.
    let lock_gone = async {
        while !remote.git(&["for-each-ref", "refs/slipway"]).is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), lock_gone)
        .await
        .expect("the lock ref is deleted once the promotion is done");
}

/// `--dry-run` shows the file edit, the commit and the push exactly, and none of it
/// happens: the remote's branch and file are as they were.
#[tokio::test]
async fn a_dry_run_plan_names_the_edit_the_commit_and_the_push_and_changes_nothing() {
    let (_seed, remote) = seed();
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&remote, &dir, "Alice");
    let before = remote.head();
    let plan = p.plan_deploy(&promote("www", NEW, OLD, "alice"));
    assert_eq!(
        plan,
        vec![
            format!(
                "edit envs/live/www.yaml on main of {}: {OLD} → {NEW}",
                remote.url()
            ),
            "$ git commit -m 'promote www to live: ce4e1c5 → c570624 (by alice)'".to_string(),
            "$ git push origin HEAD:refs/heads/main".to_string(),
        ]
    );
    assert_eq!(remote.head(), before, "nothing pushed");
    assert_eq!(remote.file("envs/live/www.yaml"), values("www", OLD));
}
