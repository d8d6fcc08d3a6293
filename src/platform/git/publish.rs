//! One deployment = one commit pushed to the environment branch. The commit is made on the
//! remote's latest state, checked against what the engine decided on, and pushed without
//! force. When someone else moved the branch meanwhile, it is rebased onto theirs only if
//! none of their commits touched our file; otherwise nothing is pushed and the error names
//! their commit.

use super::checkout::{Busy, Checkout, LOCAL_TIMEOUT, MAX_FILE_BYTES, local, run_error};
use super::run::{RunError, strip_credentials};
use super::version_file::Locator;
use crate::platform::PlatformError;

/// Pushes tried when the branch keeps moving under us (each after a fetch and a rebase).
const PUSH_ATTEMPTS: usize = 3;

/// What to change and how to say it.
pub struct Change<'a> {
    /// `promote www to live`, for messages.
    pub action: &'a str,
    /// The file, relative to the repository root.
    pub file: &'a str,
    /// The version the file must hold now (what the engine decided on).
    pub expected: &'a str,
    pub version: &'a str,
    pub subject: String,
    pub body: String,
}

/// The pushed commit and the git output along the way.
pub struct Published {
    pub commit: String,
    pub lines: Vec<String>,
}

pub async fn publish(
    checkout: &Checkout,
    locator: &Locator,
    change: &Change<'_>,
) -> Result<Published, PlatformError> {
    let action = change.action;
    let mut busy = checkout.busy(action).await?;
    let mut out = vec![change.subject.clone()];
    out.push(format!("$ git fetch origin {}", checkout.branch));
    checkout.fetch(&mut busy, action, true).await?;
    let result = commit_and_push(checkout, &mut busy, locator, change, &mut out).await;
    if result.is_err() {
        // Leave nothing half-done in the clone for the next deployment.
        let _ = reset_to_remote(checkout).await;
    }
    result.map(|commit| Published { commit, lines: out })
}

async fn commit_and_push(
    checkout: &Checkout,
    busy: &mut Busy<'_>,
    locator: &Locator,
    change: &Change<'_>,
    out: &mut Vec<String>,
) -> Result<String, PlatformError> {
    edit_file(checkout, locator, change, out).await?;
    commit(checkout, change, out).await?;
    push_with_retries(checkout, busy, change, out).await
}

/// Writes the new version into the file of a clean clone, refusing when the file does not
/// say what the release expects (someone else changed it).
async fn edit_file(
    checkout: &Checkout,
    locator: &Locator,
    change: &Change<'_>,
    out: &mut Vec<String>,
) -> Result<(), PlatformError> {
    let action = change.action;
    reset_to_remote(checkout)
        .await
        .map_err(|e| local_failure(action, e))?;
    let full = checkout.dir().join(change.file);
    let text = read_file(&full).map_err(|detail| {
        PlatformError::Config(format!(
            "{}: {detail} on {} of {}",
            change.file, checkout.branch, checkout.remote
        ))
    })?;
    let current = locator
        .read(&text, change.file)
        .map_err(PlatformError::Config)?;
    if current == change.version {
        return Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!("{} already says {}", change.file, change.version),
        });
    }
    if current != change.expected {
        let who = checkout
            .commits_touching(action, &checkout.remote_ref(), change.file, 1)
            .await
            .ok()
            .and_then(|c| c.into_iter().next())
            .map(|c| format!(", last changed by {}", c.describe()))
            .unwrap_or_default();
        return Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!(
                "{} says {current}, not {} as expected{who}; nothing was changed",
                change.file, change.expected
            ),
        });
    }
    let new_text = locator
        .write(&text, change.file, change.version)
        .map_err(PlatformError::Config)?;
    std::fs::write(&full, new_text).map_err(|e| PlatformError::BadResponse {
        action: action.into(),
        detail: format!("cannot write {}: {e}", full.display()),
    })?;
    out.push(format!("{}: {current} → {}", change.file, change.version));
    Ok(())
}

/// Stages and commits the edited file.
async fn commit(
    checkout: &Checkout,
    change: &Change<'_>,
    out: &mut Vec<String>,
) -> Result<(), PlatformError> {
    let action = change.action;
    let git = &checkout.git;
    local(
        action,
        git.run(&["add", "--", change.file], LOCAL_TIMEOUT).await,
    )?;
    out.push(format!("$ git commit -m \"{}\"", change.subject));
    let committed = git
        .run(
            &["commit", "-m", &change.subject, "-m", &change.body],
            LOCAL_TIMEOUT,
        )
        .await
        .map_err(|e| run_error(action, e))?;
    push_lines(out, &committed.stdout);
    if !committed.success {
        // No identity, a signing key that is not there, a hook that said no: the user's
        // git setup, and nothing left the machine.
        return Err(PlatformError::Config(format!(
            "git commit failed in {}: {}",
            checkout.dir().display(),
            committed.complaint()
        )));
    }
    Ok(())
}

/// Pushes, and when someone else pushed first, rebases onto theirs (unless they touched our
/// file) and tries again, a bounded number of times. The pushed commit's id.
async fn push_with_retries(
    checkout: &Checkout,
    busy: &mut Busy<'_>,
    change: &Change<'_>,
    out: &mut Vec<String>,
) -> Result<String, PlatformError> {
    let action = change.action;
    for attempt in 1..=PUSH_ATTEMPTS {
        if let Some(commit) = push(checkout, action, out).await? {
            return Ok(commit);
        }
        // Someone else pushed first. Theirs stays; ours goes on top only if they left
        // our file alone.
        out.push(format!(
            "{} moved on the remote (attempt {attempt} of {PUSH_ATTEMPTS}); fetching",
            checkout.branch
        ));
        rebase_onto_theirs(checkout, busy, change, out).await?;
    }
    Err(PlatformError::Conflict {
        action: action.into(),
        detail: format!(
            "{} kept moving: {PUSH_ATTEMPTS} pushes were overtaken; nothing was pushed",
            checkout.branch
        ),
    })
}

/// One push of HEAD to the branch, without force: the pushed commit's id, or `None` when
/// the branch moved on the remote meanwhile. Any other refusal is an error, and a push
/// that did not finish is one whose outcome is unknown.
async fn push(
    checkout: &Checkout,
    action: &str,
    out: &mut Vec<String>,
) -> Result<Option<String>, PlatformError> {
    let git = &checkout.git;
    let target = format!("HEAD:refs/heads/{}", checkout.branch);
    out.push(format!("$ git push origin {target}"));
    let ran = git
        .run(
            &["push", "--porcelain", "origin", &target],
            checkout.net_timeout,
        )
        .await;
    let ran = match ran {
        Ok(r) => r,
        Err(RunError::TimedOut(secs)) => {
            return Err(PlatformError::OutcomeUnknown {
                action: action.into(),
                detail: format!(
                    "git push did not finish within {secs}s; the commit may have reached {}: check it before trying again",
                    checkout.branch
                ),
            });
        }
        Err(e) => return Err(run_error(action, e)),
    };
    push_lines(out, &ran.stdout);
    push_lines(out, &ran.stderr);
    if ran.success {
        let head = local(action, git.run(&["rev-parse", "HEAD"], LOCAL_TIMEOUT).await)?;
        return Ok(Some(head.stdout.trim().to_string()));
    }
    match push_refusal(&ran.stdout) {
        Refusal::Moved => Ok(None),
        Refusal::Declined(why) => Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!("the remote refused the push: {why}; nothing was changed"),
        }),
        Refusal::NotReached => Err(PlatformError::Unreachable {
            action: action.into(),
            detail: ran.complaint(),
        }),
        Refusal::Unknown => Err(PlatformError::OutcomeUnknown {
            action: action.into(),
            detail: format!("git push failed: {}", ran.complaint()),
        }),
    }
}

/// After the branch moved: fetches it and rebases our commit onto theirs. Refused when
/// any of their new commits touched our file (their change stands), or the rebase fails.
async fn rebase_onto_theirs(
    checkout: &Checkout,
    busy: &mut Busy<'_>,
    change: &Change<'_>,
    out: &mut Vec<String>,
) -> Result<(), PlatformError> {
    let action = change.action;
    let git = &checkout.git;
    checkout.fetch(busy, action, true).await?;
    let range = format!("HEAD..{}", checkout.remote_ref());
    let theirs = checkout
        .commits_touching(action, &range, change.file, 5)
        .await?;
    if !theirs.is_empty() {
        let named: Vec<String> = theirs
            .iter()
            .map(super::checkout::CommitInfo::describe)
            .collect();
        return Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!(
                "{} was changed meanwhile by {}; nothing was pushed and their change stands",
                change.file,
                named.join(", ")
            ),
        });
    }
    out.push(format!("$ git rebase {}", checkout.remote_ref()));
    let rebased = git
        .run(&["rebase", &checkout.remote_ref()], LOCAL_TIMEOUT)
        .await
        .map_err(|e| run_error(action, e))?;
    push_lines(out, &rebased.stdout);
    push_lines(out, &rebased.stderr);
    if !rebased.success {
        let _ = git.run(&["rebase", "--abort"], LOCAL_TIMEOUT).await;
        return Err(PlatformError::Conflict {
            action: action.into(),
            detail: format!(
                "rebasing onto the remote's new commits failed: {}; nothing was pushed",
                rebased.complaint()
            ),
        });
    }
    Ok(())
}

/// The local branch = the remote branch, with no local changes left.
async fn reset_to_remote(checkout: &Checkout) -> Result<(), PlatformError> {
    let action = "reset the clone";
    let git = &checkout.git;
    let remote = checkout.remote_ref();
    local(
        action,
        git.run(
            &["checkout", "-q", "-f", "-B", &checkout.branch, &remote],
            LOCAL_TIMEOUT,
        )
        .await,
    )?;
    // A stopped rebase from an earlier run would keep HEAD detached.
    let _ = git.run(&["rebase", "--abort"], LOCAL_TIMEOUT).await;
    local(
        action,
        git.run(&["reset", "-q", "--hard", &remote], LOCAL_TIMEOUT)
            .await,
    )
    .map(|_| ())
}

fn local_failure(action: &str, e: PlatformError) -> PlatformError {
    match e {
        PlatformError::BadResponse { detail, .. } => PlatformError::BadResponse {
            action: action.into(),
            detail: format!("the clone could not be reset to the remote branch: {detail}"),
        },
        other => other,
    }
}

fn read_file(path: &std::path::Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|_| "no such file".to_string())?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!(
            "{} bytes; environment files are read up to {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".into())
}

fn push_lines(out: &mut Vec<String>, text: &str) {
    out.extend(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| strip_credentials(l.trim_end())),
    );
}

enum Refusal {
    /// The branch moved: fetch, and rebase if allowed.
    Moved,
    /// A hook or a protection rule said no.
    Declined(String),
    /// Git never got as far as the refs.
    NotReached,
    /// It got as far as the refs and then failed: it may have landed.
    Unknown,
}

/// Reads `git push --porcelain`: `!\t<from>:<to>\t[rejected] (fetch first)`.
fn push_refusal(porcelain: &str) -> Refusal {
    let mut saw_ref = false;
    for line in porcelain.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 3 {
            continue;
        }
        saw_ref = true;
        if fields[0] != "!" {
            continue;
        }
        let summary = fields[2];
        let moved = summary.starts_with("[rejected]")
            && (summary.contains("fetch first") || summary.contains("non-fast-forward"));
        // Two pushes in the same instant: the remote's compare-and-swap of the branch
        // failed for the later one, which is the branch moving too.
        let raced = summary.starts_with("[remote rejected]")
            && [
                "failed to update ref",
                "failed to lock",
                "cannot lock ref",
                "incorrect old value",
            ]
            .iter()
            .any(|w| summary.contains(w));
        if moved || raced {
            return Refusal::Moved;
        }
        return Refusal::Declined(crate::text::one_line(summary, 200));
    }
    if saw_ref {
        Refusal::Unknown
    } else {
        Refusal::NotReached
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_push_results_are_told_apart() {
        let moved = "To /r.git\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone\n";
        assert!(matches!(push_refusal(moved), Refusal::Moved));
        let nff = "To /r.git\n!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)\nDone\n";
        assert!(matches!(push_refusal(nff), Refusal::Moved));
        let hook = "To /r.git\n!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\nDone\n";
        assert!(matches!(push_refusal(hook), Refusal::Declined(w) if w.contains("pre-receive")));
        let raced =
            "To /r.git\n!\tHEAD:refs/heads/main\t[remote rejected] (failed to update ref)\nDone\n";
        assert!(matches!(push_refusal(raced), Refusal::Moved));
        assert!(matches!(push_refusal(""), Refusal::NotReached));
    }
}
