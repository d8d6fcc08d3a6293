//! slipway's release lock held in the environment repository: a ref (`refs/slipway/lock`)
//! pointing at a commit whose message holds the holder as JSON. Taking it is one push that
//! the remote accepts only while the ref does not exist (`--force-with-lease=<ref>:`), so
//! of two slipways on two machines exactly one gets it. Releasing deletes the ref, again
//! only if it still points at the commit that was read (so a lock taken by someone else
//! meanwhile is never deleted). No branch is ever pushed with a lease or with force.

use super::checkout::{Checkout, LOCAL_TIMEOUT, local, network, run_error};
use crate::model::LockHolder;
use crate::platform::PlatformError;

/// The lock as found on the remote: its commit and holder.
struct Held {
    commit: String,
    holder: LockHolder,
}

/// The same process (host and pid) holds it.
fn same(a: &LockHolder, b: &LockHolder) -> bool {
    a.host == b.host && a.pid == b.pid
}

pub async fn read(
    checkout: &Checkout,
    lock_ref: &str,
) -> Result<Option<LockHolder>, PlatformError> {
    Ok(read_held(checkout, lock_ref, "read the release lock")
        .await?
        .map(|h| h.holder))
}

/// `None` when taken (or already ours), else who holds it.
pub async fn take(
    checkout: &Checkout,
    lock_ref: &str,
    me: &LockHolder,
) -> Result<Option<LockHolder>, PlatformError> {
    let action = "take the release lock";
    // Twice: a lock released between our read and our push is tried once more.
    for _ in 0..2 {
        if let Some(held) = read_held(checkout, lock_ref, action).await? {
            return Ok((!same(&held.holder, me)).then_some(held.holder));
        }
        let commit = lock_commit(checkout, me, action).await?;
        let lease = format!("--force-with-lease={lock_ref}:");
        let refspec = format!("{commit}:{lock_ref}");
        let ran = checkout
            .git
            .run(
                &["push", "--porcelain", &lease, "origin", &refspec],
                checkout.net_timeout,
            )
            .await;
        let ran = match ran {
            Ok(r) => r,
            Err(e) => return Err(run_error(action, e)),
        };
        if ran.success {
            return Ok(None);
        }
        if !refused_by_lease(&ran.stdout) {
            return Err(PlatformError::Unreachable {
                action: action.into(),
                detail: ran.complaint(),
            });
        }
        // Someone took it first: the next read names them.
    }
    match read_held(checkout, lock_ref, action).await? {
        Some(held) => Ok((!same(&held.holder, me)).then_some(held.holder)),
        None => Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!("{lock_ref} keeps changing on the remote"),
        }),
    }
}

/// Deletes the lock: `holder`'s own, or anyone's with `force`.
pub async fn release(
    checkout: &Checkout,
    lock_ref: &str,
    holder: &LockHolder,
    force: bool,
) -> Result<(), PlatformError> {
    let action = "release the release lock";
    let Some(held) = read_held(checkout, lock_ref, action).await? else {
        return Ok(());
    };
    if !force && !same(&held.holder, holder) {
        return Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!("it is held by {}", held.holder.describe()),
        });
    }
    let lease = format!("--force-with-lease={lock_ref}:{}", held.commit);
    let refspec = format!(":{lock_ref}");
    let ran = checkout
        .git
        .run(
            &["push", "--porcelain", &lease, "origin", &refspec],
            checkout.net_timeout,
        )
        .await;
    let ran = ran.map_err(|e| run_error(action, e))?;
    if ran.success {
        return Ok(());
    }
    if refused_by_lease(&ran.stdout) {
        return Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!("{lock_ref} changed hands meanwhile; it was left alone"),
        });
    }
    Err(PlatformError::Unreachable {
        action: action.into(),
        detail: ran.complaint(),
    })
}

/// The lock on the remote now: `git ls-remote`, then its commit (fetched when new here).
async fn read_held(
    checkout: &Checkout,
    lock_ref: &str,
    action: &str,
) -> Result<Option<Held>, PlatformError> {
    // Clone first (the lock lives in the same repository as the versions).
    drop(checkout.busy(action).await?);
    let ran = checkout
        .git
        .run(&["ls-remote", "origin", lock_ref], checkout.net_timeout)
        .await;
    let ran = network(action, ran)?;
    let Some(commit) = ran
        .stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(_, name)| *name == lock_ref)
        .map(|(hash, _)| hash.trim().to_string())
    else {
        return Ok(None);
    };
    if !is_hash(&commit) {
        return Err(PlatformError::BadResponse {
            action: action.into(),
            detail: format!("ls-remote named {lock_ref} with '{commit}'"),
        });
    }
    let object = format!("{commit}^{{commit}}");
    let have = checkout
        .git
        .run(&["cat-file", "-e", &object], LOCAL_TIMEOUT)
        .await
        .is_ok_and(|r| r.success);
    if !have {
        let refspec = format!("+{lock_ref}:refs/slipway-seen/lock");
        let ran = checkout
            .git
            .run(
                &["fetch", "--quiet", "--no-tags", "origin", &refspec],
                checkout.net_timeout,
            )
            .await;
        // Released between the two calls: nobody holds it.
        match network(action, ran) {
            Ok(_) => {}
            Err(PlatformError::Unreachable { detail, .. })
                if detail.contains("couldn't find remote ref") =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
    let ran = checkout
        .git
        .run(&["show", "-s", "--format=%B", &commit], LOCAL_TIMEOUT)
        .await;
    let message = local(action, ran)?.stdout;
    let holder = holder_in(&message).ok_or_else(|| PlatformError::BadResponse {
        action: action.into(),
        detail: format!(
            "{lock_ref} ({}) does not hold a slipway lock holder: {}",
            commit.get(..7).unwrap_or(&commit),
            crate::text::one_line(&message, 120)
        ),
    })?;
    Ok(Some(Held { commit, holder }))
}

/// A parentless commit with an empty tree whose message names the holder for people
/// (`slipway release lock: alice@web-3 · promoting www · since 10:02`) and as JSON.
async fn lock_commit(
    checkout: &Checkout,
    me: &LockHolder,
    action: &str,
) -> Result<String, PlatformError> {
    let tree = local(action, checkout.git.run(&["mktree"], LOCAL_TIMEOUT).await)?;
    let tree = tree.stdout.trim().to_string();
    let json = serde_json::to_string(me).map_err(|e| PlatformError::BadResponse {
        action: action.into(),
        detail: format!("the holder cannot be written: {e}"),
    })?;
    let message = format!("slipway release lock: {}\n\n{json}\n", me.describe());
    let email = format!("{}@{}", me.user, me.host);
    // The holder is the author, so the lock commit says who took it even without an
    // identity configured for git.
    let env = [
        ("GIT_AUTHOR_NAME", me.user.as_str()),
        ("GIT_AUTHOR_EMAIL", email.as_str()),
        ("GIT_COMMITTER_NAME", me.user.as_str()),
        ("GIT_COMMITTER_EMAIL", email.as_str()),
    ];
    let ran = checkout
        .git
        .run_env(&["commit-tree", &tree, "-m", &message], &env, LOCAL_TIMEOUT)
        .await;
    Ok(local(action, ran)?.stdout.trim().to_string())
}

/// The JSON object in a lock commit's message.
fn holder_in(message: &str) -> Option<LockHolder> {
    let start = message.find('{')?;
    let end = message.rfind('}')?;
    serde_json::from_str(message.get(start..=end)?).ok()
}

fn is_hash(s: &str) -> bool {
    s.len() >= 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// The remote turned the ref update down: the lease (`[rejected] (stale info)`), or two
/// pushes in the same instant (`[remote rejected] (failed to update ref)`). Reading the
/// lock again tells who won.
fn refused_by_lease(porcelain: &str) -> bool {
    porcelain.lines().any(|l| l.starts_with('!'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_read_back_from_the_message() {
        let me = LockHolder {
            user: "alice".into(),
            host: "web-3".into(),
            pid: 42,
            action: "promoting www".into(),
            since: chrono::Utc::now(),
        };
        let message = format!(
            "slipway release lock: x\n\n{}\n",
            serde_json::to_string(&me).unwrap()
        );
        assert_eq!(holder_in(&message), Some(me));
        assert_eq!(holder_in("no json"), None);
        assert!(refused_by_lease(
            "To r\n!\tabc:refs/slipway/lock\t[rejected] (stale info)\nDone"
        ));
    }
}
