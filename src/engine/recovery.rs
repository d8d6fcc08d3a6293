//! After a crash (`kill -9`, a lost ssh session): what the journal says was left half
//! done, and what to do about deployments nobody is following any more. A deployment
//! whose starter is gone is adopted here and its outcome journaled; one the journal never
//! heard of is recorded as observed, so every deployment the platform ran is on record.

use std::collections::{HashMap, HashSet};

use super::release::TransferKind;
use super::runner::Engine;
use crate::journal::Entry;
use crate::model::{DeploymentId, DeploymentRef, StackId, Version};

/// What the journal read at start says about deployments.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Deployment ids the journal names.
    known: HashSet<String>,
    /// Per stack, the last deployment started and never finished (per the journal).
    unfinished: HashMap<StackId, Entry>,
}

impl Recovery {
    pub fn from_journal(entries: &[Entry]) -> Recovery {
        let mut known = HashSet::new();
        let mut unfinished: HashMap<StackId, Entry> = HashMap::new();
        for e in entries {
            let Some(id) = &e.deployment else { continue };
            known.insert(id.clone());
            let Some(stack) = e.stack.as_deref().map(StackId::new) else {
                continue;
            };
            match crate::journal::Act::parse(&e.action) {
                Some(crate::journal::Act::DeployStarted) if e.outcome.is_none() => {
                    unfinished.insert(stack, e.clone());
                }
                Some(crate::journal::Act::DeployFinished)
                    if unfinished
                        .get(&stack)
                        .is_some_and(|u| u.deployment.as_deref() == Some(id)) =>
                {
                    unfinished.remove(&stack);
                }
                _ => {}
            }
        }
        Recovery { known, unfinished }
    }

    pub fn knows(&self, id: &DeploymentId) -> bool {
        self.known.contains(id.as_str())
    }

    /// The unfinished deployment of `stack` whose starter died on this host, if any.
    pub fn orphan(&self, stack: &StackId) -> Option<&Entry> {
        self.unfinished.get(stack).filter(|e| starter_is_gone(e))
    }

    pub fn forget(&mut self, stack: &StackId) {
        self.unfinished.remove(stack);
    }
}

/// The process that wrote `e` ran on this host and is gone. An entry without a pid
/// (written by an older slipway) or from another host is never assumed dead.
fn starter_is_gone(e: &Entry) -> bool {
    let Some(pid) = e.pid else { return false };
    if e.host != crate::journal::host_name() || pid == std::process::id() {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only asks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

fn kind_of(e: &Entry) -> TransferKind {
    if e.detail.as_deref() == Some(super::Action::Rollback.verb()) {
        TransferKind::Rollback
    } else {
        TransferKind::Promotion
    }
}

impl Engine {
    /// A deployment this engine attached to because the platform reports it: adopted if
    /// its starter died, recorded as observed if the journal never heard of it.
    pub(super) async fn account_for(&mut self, stack: &StackId, id: &DeploymentId) {
        if let Some(orphan) = self.recovery.orphan(stack).cloned()
            && orphan.deployment.as_deref() == Some(id.as_str())
        {
            self.adopt(stack, &orphan).await;
            return;
        }
        if self.recovery.knows(id) {
            return;
        }
        if let Some(user) = self.journal_names(id).await {
            // Started by another slipway (a colleague's dashboard or CLI): say whose it is.
            self.board.deployer(stack, user);
            return;
        }
        let mut entry = Entry::new(crate::journal::Act::Observed)
            .stack(stack)
            .deployment(id)
            .detail(
                "a deployment slipway did not start (or whose start was never recorded) is running",
            );
        if let Some(t) = self.board.get(stack).and_then(|s| s.phase.in_flight()) {
            entry = entry.versions(&t.from, &t.to);
        }
        self.record(entry).await;
    }

    /// Stacks whose journaled deployment lost its starter and that the platform does not
    /// report in flight: followed again from the journal, with a warning.
    pub(super) async fn reattach_orphans(&mut self) {
        let stacks: Vec<StackId> = self.config.stacks.iter().map(|s| s.id.clone()).collect();
        for stack in stacks {
            let Some(orphan) = self.recovery.orphan(&stack).cloned() else {
                continue;
            };
            let in_flight = self
                .board
                .get(&stack)
                .is_some_and(|s| s.phase.in_flight().is_some());
            let Some(id) = orphan.deployment.clone().map(DeploymentId::new) else {
                continue;
            };
            if in_flight {
                continue;
            }
            // Finished meanwhile: its outcome is journaled here, nothing to follow.
            let status = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                self.platform.deployment_status(&stack, &id),
            )
            .await;
            if let Ok(Ok(status)) = status
                && status.state.is_finished()
            {
                self.recovery.forget(&stack);
                let mut entry = Entry::new(crate::journal::Act::DeployFinished)
                    .stack(&stack)
                    .deployment(&id)
                    .outcome(status.state.as_str())
                    .detail(format!(
                        "recovered from the journal: started by {} (pid {}), which is gone",
                        orphan.actor(),
                        orphan.pid.unwrap_or_default()
                    ));
                if let (Some(from), Some(to)) = (&orphan.from, &orphan.to) {
                    entry = entry.versions(from, to);
                }
                self.record(entry).await;
                continue;
            }
            self.board.attach_external(
                &stack,
                DeploymentRef {
                    id: id.clone(),
                    url: None,
                },
                orphan.at,
            );
            self.adopt(&stack, &orphan).await;
            self.problem(
                format!("deployment of {stack}"),
                format!(
                    "re-attached to deployment {id} from the journal: its starter is gone and the platform does not report it as running"
                ),
            )
            .await;
            self.emit_board().await;
            self.watch(
                stack.clone(),
                DeploymentRef {
                    id: id.clone(),
                    url: None,
                },
            );
        }
    }

    /// Takes over a deployment whose starter died: its versions and kind come from the
    /// journal, and its outcome is journaled here.
    async fn adopt(&mut self, stack: &StackId, orphan: &Entry) {
        self.recovery.forget(stack);
        let (Some(from), Some(to)) = (orphan.from.clone(), orphan.to.clone()) else {
            return;
        };
        self.board.adopt(
            stack,
            &Version::new(from),
            &Version::new(to),
            kind_of(orphan),
        );
        let mut entry = Entry::new(crate::journal::Act::Adopted)
            .stack(stack)
            .detail(format!(
                "started by {} (pid {}), which is gone; followed here",
                orphan.actor(),
                orphan.pid.unwrap_or_default()
            ));
        if let Some(id) = &orphan.deployment {
            entry = entry.deployment(id);
        }
        self.record(entry).await;
    }

    /// Who the journal on disk names as starting `id` now (entries written since start
    /// included), if it names it at all.
    async fn journal_names(&self, id: &DeploymentId) -> Option<String> {
        let path = self.config.release.journal_path();
        let id = id.as_str().to_string();
        tokio::task::spawn_blocking(move || {
            crate::journal::read(&path).ok().and_then(|(entries, _)| {
                entries
                    .iter()
                    .find(|e| e.deployment.as_deref() == Some(id.as_str()))
                    .map(|e| e.user.clone())
            })
        })
        .await
        .ok()
        .flatten()
    }
}
