//! Approvals kept in the environment repository (`approvals = true`), so one given on one
//! machine lets a promotion go on another: one ref per approval,
//! `refs/slipway/approvals/<stack>/<env>/<from>-<to>/<user>`, pointing at a parentless
//! commit whose message holds the approval as JSON (the http contract's shape). Recording
//! is one push accepted only while the ref does not exist (`--force-with-lease=<ref>:`, as
//! the lock): nothing is ever forced, no branch is touched, and recording the same
//! approval again leaves the first one as it is. Reading lists the step's refs with
//! `git ls-remote` and reads their commits (fetched when new here).

use super::checkout::{Checkout, LOCAL_TIMEOUT, local, network, run_error};
use crate::model::{Approval, Env, StackId};
// One approval as kept in a commit message; `env` in the repository's name for it.
use crate::platform::PlatformError;
use crate::platform::approval_wire::ApprovalWire as Wire;
use crate::text::one_line;

/// Where approvals live; never under `refs/heads/`.
pub const APPROVALS_REF: &str = "refs/slipway/approvals";
/// Local copies of the approval refs read, so their commits stay in the clone.
const SEEN_REF: &str = "refs/slipway-seen/approvals";
/// Approvals read for one step at most (a handful is usual).
const MAX_APPROVALS: usize = 200;
/// An encoded ref component longer than this is cut and given a hash of the whole.
const MAX_COMPONENT: usize = 100;

/// `refs/slipway/approvals/<stack>/<env>/`: every approval of promotions of `stack`
/// onto `env` (the repository's name) is under it.
pub fn step_prefix(stack: &str, env: &str) -> String {
    format!(
        "{APPROVALS_REF}/{}/{}/",
        component(stack, false),
        component(env, false)
    )
}

/// The ref of one approval.
pub fn approval_ref(a: &Approval, env: &str) -> String {
    format!(
        "{}{}-{}/{}",
        step_prefix(a.stack.as_str(), env),
        component(a.from.as_str(), true),
        component(a.to.as_str(), true),
        component(&a.user, false)
    )
}

/// `text` as one ref path component that git accepts (`git check-ref-format`) and that
/// no other text gives: bytes outside `[A-Za-z0-9_+,=.-]` become `%XX`, and so do dots
/// where git forbids them (first, last, after a dot, before a final `lock`). `dash` also
/// encodes `-`, for the two versions joined by one. An empty text is `%`; a long one is
/// cut and ends with a hash of the whole.
fn component(text: &str, dash: bool) -> String {
    if text.is_empty() {
        return "%".into();
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, &b) in bytes.iter().enumerate() {
        let plain = b.is_ascii_alphanumeric()
            || matches!(b, b'_' | b'+' | b',' | b'=')
            || (b == b'-' && !dash);
        let dot_ok = b == b'.'
            && i > 0
            && i + 1 < bytes.len()
            && !out.ends_with('.')
            && &bytes[i + 1..] != b"lock";
        if plain || dot_ok {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() <= MAX_COMPONENT {
        return out;
    }
    let hash = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .map(|o| o.to_string())
        .unwrap_or_default();
    // Cut at a character boundary that does not split a `%XX` or end in a dot.
    let mut cut = MAX_COMPONENT - 20;
    while cut > 0 && (out[..cut].ends_with('.') || out[cut.saturating_sub(2)..cut].contains('%')) {
        cut -= 1;
    }
    // `%%` is never made by the encoding above, so a cut text meets no whole one.
    format!("{}%%{}", &out[..cut], hash.get(..16).unwrap_or(&hash))
}

/// Pushes the approval's ref unless it is there already (then the first one stands).
pub async fn record(checkout: &Checkout, a: &Approval, env: &str) -> Result<(), PlatformError> {
    let action = format!("record the approval of {} to {}", a.stack, a.env);
    let name = approval_ref(a, env);
    // Clone first (approvals live in the same repository as the versions).
    drop(checkout.busy(&action).await?);
    let commit = approval_commit(checkout, a, env, &action).await?;
    let lease = format!("--force-with-lease={name}:");
    let refspec = format!("{commit}:{name}");
    let ran = checkout
        .git
        .run(
            &["push", "--porcelain", &lease, "origin", &refspec],
            checkout.net_timeout,
        )
        .await
        .map_err(|e| run_error(&action, e))?;
    if ran.success {
        return Ok(());
    }
    // Turned down: fine when the ref is there (recorded before, or at the same moment).
    if remote_refs(checkout, &name, &action)
        .await?
        .iter()
        .any(|(_, r)| *r == name)
    {
        return Ok(());
    }
    Err(PlatformError::Unreachable {
        action,
        detail: ran.complaint(),
    })
}

/// The approvals kept for promotions of `stack` onto `env` (`name`: the repository's name
/// for it), oldest first.
pub async fn read(
    checkout: &Checkout,
    stack: &StackId,
    env: &Env,
    name: &str,
) -> Result<Vec<Approval>, PlatformError> {
    let action = format!("read the approvals of {stack} to {env}");
    drop(checkout.busy(&action).await?);
    let prefix = step_prefix(stack.as_str(), name);
    let pattern = format!("{prefix}*");
    let mut refs = remote_refs(checkout, &pattern, &action).await?;
    refs.retain(|(_, r)| r.starts_with(&prefix));
    refs.sort_by(|a, b| a.1.cmp(&b.1));
    if refs.len() > MAX_APPROVALS {
        tracing::warn!(
            "{} approval refs under {prefix}; reading the first {MAX_APPROVALS}",
            refs.len()
        );
        refs.truncate(MAX_APPROVALS);
    }
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let hashes: Vec<&str> = refs.iter().map(|(h, _)| h.as_str()).collect();
    let messages = match messages(checkout, &hashes, &action).await {
        Ok(m) => m,
        Err(_) => {
            // New here: fetch the step's refs, then read again.
            let seen = format!("{SEEN_REF}/{}", &prefix[APPROVALS_REF.len() + 1..]);
            let refspec = format!("+{prefix}*:{seen}*");
            let ran = checkout
                .git
                .run(
                    &["fetch", "--quiet", "--no-tags", "origin", &refspec],
                    checkout.net_timeout,
                )
                .await;
            network(&action, ran)?;
            messages(checkout, &hashes, &action).await?
        }
    };
    let mut out = Vec::with_capacity(refs.len());
    for (hash, r) in &refs {
        let Some(message) = messages.iter().find(|(h, _)| h == hash).map(|(_, m)| m) else {
            // Deleted and fetched away between the two calls: not kept any more.
            continue;
        };
        let w = wire_in(message).ok_or_else(|| PlatformError::BadResponse {
            action: action.clone(),
            detail: format!(
                "{r} ({}) does not hold a slipway approval: {}",
                hash.get(..7).unwrap_or(hash),
                one_line(message, 120)
            ),
        })?;
        // Only this exact step counts, whatever the ref is called.
        out.extend(w.for_step(stack, env, name));
    }
    out.sort_by_key(|a| a.at);
    Ok(out)
}

/// `(hash, ref)` of the remote's refs matching `pattern`.
async fn remote_refs(
    checkout: &Checkout,
    pattern: &str,
    action: &str,
) -> Result<Vec<(String, String)>, PlatformError> {
    let ran = checkout
        .git
        .run(&["ls-remote", "origin", pattern], checkout.net_timeout)
        .await;
    let ran = network(action, ran)?;
    Ok(ran
        .stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(h, r)| (h.trim().to_string(), r.trim().to_string()))
        .filter(|(h, _)| h.len() >= 40 && h.chars().all(|c| c.is_ascii_hexdigit()))
        .collect())
}

/// The messages of commits present in the clone, by hash; an error when one is missing.
async fn messages(
    checkout: &Checkout,
    hashes: &[&str],
    action: &str,
) -> Result<Vec<(String, String)>, PlatformError> {
    let mut args = vec!["show", "-s", "--no-walk=unsorted", "--format=%x1e%H%n%B"];
    args.extend_from_slice(hashes);
    let ran = local(action, checkout.git.run(&args, LOCAL_TIMEOUT).await)?;
    Ok(ran
        .stdout
        .split('\x1e')
        .filter_map(|one| one.split_once('\n'))
        .map(|(h, m)| (h.trim().to_string(), m.to_string()))
        .collect())
}

/// A parentless commit with an empty tree, authored by the approver, whose message says
/// the approval for people and holds it as JSON.
async fn approval_commit(
    checkout: &Checkout,
    a: &Approval,
    env: &str,
    action: &str,
) -> Result<String, PlatformError> {
    let tree = local(action, checkout.git.run(&["mktree"], LOCAL_TIMEOUT).await)?;
    let tree = tree.stdout.trim().to_string();
    let wire = Wire::of(a, env);
    let json = serde_json::to_string(&wire).map_err(|e| PlatformError::BadResponse {
        action: action.into(),
        detail: format!("the approval cannot be written: {e}"),
    })?;
    let subject = one_line(
        &format!(
            "slipway approval: {} approves {} to {}: {} → {}",
            a.user,
            a.stack,
            env,
            a.from.short(),
            a.to.short()
        ),
        200,
    );
    let message = format!("{subject}\n\n{json}\n");
    let user = one_line(&a.user, 80);
    let email = format!("{}@{}", user, one_line(&a.host, 80));
    let env_vars = [
        ("GIT_AUTHOR_NAME", user.as_str()),
        ("GIT_AUTHOR_EMAIL", email.as_str()),
        ("GIT_COMMITTER_NAME", user.as_str()),
        ("GIT_COMMITTER_EMAIL", email.as_str()),
    ];
    let ran = checkout
        .git
        .run_env(
            &["commit-tree", &tree, "-m", &message],
            &env_vars,
            LOCAL_TIMEOUT,
        )
        .await;
    Ok(local(action, ran)?.stdout.trim().to_string())
}

/// The JSON object in an approval commit's message.
fn wire_in(message: &str) -> Option<Wire> {
    let start = message.find('{')?;
    let end = message.rfind('}')?;
    serde_json::from_str(message.get(start..=end)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_ref_format(name: &str) -> bool {
        std::process::Command::new("git")
            .args(["check-ref-format", name])
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn every_component_is_a_valid_ref_part_and_distinct() {
        let odd = [
            "1.2.3",
            "v1-rc1",
            ".hidden",
            "end.",
            "a..b",
            "x.lock",
            "a/b",
            "a:b~c^d?e*f[g\\h",
            "sp ace\ttab\nline",
            "@",
            "@{u}",
            "ünïcødé",
            "",
            "%",
            "%25",
            "-",
        ];
        let mut seen = std::collections::HashSet::new();
        for text in odd {
            for dash in [false, true] {
                let c = component(text, dash);
                let name = format!("refs/slipway/approvals/{c}/x");
                assert!(check_ref_format(&name), "{text:?} → {name}");
                assert!(!c.contains('/'), "{c}");
                if !dash {
                    assert!(seen.insert(c.clone()), "{text:?} → {c} again");
                }
            }
        }
        assert_eq!(component("1.2.3", true), "1.2.3");
        assert_eq!(component("alice", false), "alice");
        // The two versions of a step are told apart whatever dashes they hold.
        assert_ne!(
            format!("{}-{}", component("a-b", true), component("c", true)),
            format!("{}-{}", component("a", true), component("b-c", true))
        );
        let long = "x".repeat(400);
        let c = component(&long, false);
        assert!(c.len() <= MAX_COMPONENT && check_ref_format(&format!("refs/a/{c}")));
        assert_ne!(c, component(&format!("{long}y"), false));
    }

    #[test]
    fn the_approval_is_read_back_from_the_message() {
        let message = "slipway approval: x\n\n{\"stack\":\"www\",\"env\":\"live\",\"from\":\"a\",\"to\":\"b\",\"user\":\"bob\",\"host\":\"h\",\"at\":\"2026-01-02T03:04:05Z\"}\n";
        let w = wire_in(message).unwrap();
        assert_eq!((w.stack.as_str(), w.user.as_str()), ("www", "bob"));
        assert!(wire_in("no json").is_none());
    }
}
