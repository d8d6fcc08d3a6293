//! The life of a request that changes live: the release lock taken first, live's versions
//! read again under it, then an answer for the request's id (accepted or refused), and,
//! when the stack's phase settles, its outcome. The lock is released once nothing this
//! engine started is moving.

use std::collections::HashMap;
use std::time::Duration;

use super::lock::{Holder, LockError, Taken};
use super::release::{Phase, Refusal};
use super::runner::Engine;
use super::{Action, Answer, Event, Outcome, RequestId};
use crate::journal::Entry;
use crate::model::StackId;

/// How long a fresh read of a stack's versions may take before acting on the last one.
const REREAD_LIMIT: Duration = Duration::from_secs(30);

/// Requests accepted and not finished, by stack (one transfer per stack at a time).
#[derive(Debug, Default)]
pub struct Pending {
    pub(super) transfers: HashMap<StackId, (RequestId, Action)>,
    aborts: HashMap<StackId, RequestId>,
}

impl Engine {
    pub(super) async fn answer(
        &self,
        id: RequestId,
        stack: &StackId,
        action: Action,
        answer: Answer,
    ) {
        self.emit(Event::Answer {
            id,
            stack: stack.clone(),
            action,
            answer,
        })
        .await;
    }

    /// Refuses a request: journaled once, told to every front end, answered to its sender.
    pub(super) async fn refuse(
        &mut self,
        id: Option<RequestId>,
        stack: &StackId,
        action: Action,
        refusal: Refusal,
    ) {
        let entry = Entry::new(crate::journal::Act::Refused)
            .stack(stack)
            .detail(format!("{}: {refusal}", action.verb()));
        self.record(entry).await;
        // The lock goes before the answer: a command exits on its answer.
        self.release_lock_if_idle().await;
        self.emit(Event::Refused {
            action,
            refusal: refusal.clone(),
        })
        .await;
        if let Some(id) = id {
            self.answer(id, stack, action, Answer::Refused(refusal))
                .await;
        }
    }

    /// Takes the release lock for an action on `stack` (`promoting Sally`).
    pub(super) async fn take_lock(&mut self, stack: &StackId, doing: &str) -> Result<(), Refusal> {
        let name = self.stack_name(stack);
        let me = Holder::me(format!("{doing} {name}"));
        let lock = self.lock.clone();
        let taken = tokio::task::spawn_blocking(move || lock.take(&me))
            .await
            .unwrap_or_else(|e| Err(LockError::Io(e.to_string())));
        let result = match taken {
            Ok(Taken::Fresh) => Ok(()),
            Ok(Taken::TakenOver(dead)) => {
                let entry = Entry::new(crate::journal::Act::LockTakenOver)
                    .stack(stack)
                    .detail(format!(
                        "the release lock of {} (pid {}) was taken over: that process is gone",
                        dead.describe(),
                        dead.pid
                    ));
                self.record(entry).await;
                Ok(())
            }
            Err(LockError::Held(holder)) => Err(Refusal::Locked {
                holder: holder.describe(),
            }),
            Err(LockError::Io(reason)) => Err(Refusal::LockUnavailable { reason }),
        };
        let result = match result {
            Ok(()) => self.take_platform_lock(stack, doing).await,
            refused => refused,
        };
        self.publish_lock().await;
        result
    }

    /// Where the platform holds a lock too, it is taken after the local one (so two
    /// machines exclude each other). Refused there, the local lock is let go again.
    async fn take_platform_lock(&mut self, stack: &StackId, doing: &str) -> Result<(), Refusal> {
        if !self.platform.capabilities().lock {
            return Ok(());
        }
        let me = Holder::me(format!("{doing} {}", self.stack_name(stack)));
        let mut answer = self.platform.take_lock(&me).await;
        // A holder that died on this host cannot let go: take it over, on record.
        if let Ok(Some(dead)) = &answer
            && dead.is_dead_here()
        {
            let dead = dead.clone();
            if self.platform.release_lock(&dead, true).await.is_ok() {
                self.record(Entry::new(crate::journal::Act::LockTakenOver).stack(stack).detail(format!(
                    "the platform's release lock of {} (pid {}) was taken over: that process is gone",
                    dead.describe(),
                    dead.pid
                )))
                .await;
                answer = self.platform.take_lock(&me).await;
            }
        }
        match answer {
            Ok(None) => {
                self.platform_lock_held = true;
                Ok(())
            }
            Ok(Some(holder)) => {
                self.lock.release();
                Err(Refusal::Locked {
                    holder: format!("{} (on the platform)", holder.describe()),
                })
            }
            Err(e) => {
                self.lock.release();
                Err(Refusal::LockUnavailable {
                    reason: format!("the platform's lock: {e}"),
                })
            }
        }
    }

    /// Removes another operator's lock on purpose; the reason goes to the journal.
    pub(super) async fn steal_lock(&mut self, reason: String) {
        let lock = self.lock.clone();
        let before = tokio::task::spawn_blocking(move || lock.steal())
            .await
            .ok()
            .flatten();
        let mut before = before;
        if self.platform.capabilities().lock {
            let on_platform = self.platform.read_lock().await.ok().flatten();
            let me = Holder::me("stealing the lock");
            if let Err(e) = self.platform.release_lock(&me, true).await {
                self.problem("release lock", format!("the platform's lock: {e}"))
                    .await;
            }
            before = before.or(on_platform);
        }
        let detail = match &before {
            Some(h) => format!("took the release lock from {}: {reason}", h.describe()),
            None => format!("no one held the release lock: {reason}"),
        };
        self.record(Entry::new(crate::journal::Act::LockStolen).detail(detail.clone()))
            .await;
        self.emit(Event::Notice(detail)).await;
        self.publish_lock().await;
    }

    /// Tells front ends who holds the lock now, when that changed. A lock whose holder
    /// died on this host is cleared (and journaled) rather than shown as held.
    pub(super) async fn publish_lock(&mut self) {
        let mut holder = self.lock.holder();
        if holder.is_none() && self.platform.capabilities().lock {
            holder = self.platform.read_lock().await.ok().flatten();
        }
        // A read-only engine clears nobody's lock: a dead holder shows until a slipway
        // that may act takes it over.
        if let Some(dead) = holder
            .clone()
            .filter(|h| h.is_dead_here() && !self.read_only())
        {
            self.lock.steal();
            let entry = Entry::new(crate::journal::Act::LockTakenOver).detail(format!(
                "the release lock of {} (pid {}) was cleared: that process is gone",
                dead.describe(),
                dead.pid
            ));
            self.record(entry).await;
            holder = self.lock.holder();
        }
        if holder != self.lock_seen {
            self.lock_seen = holder.clone();
            self.emit(Event::Lock(holder)).await;
            self.publish_gates().await;
        }
    }

    /// Lets the lock go once nothing this engine started is moving (the platform's too).
    /// Awaited, so a command that exits on its answer has let the platform's lock go.
    pub(super) async fn release_lock_if_idle(&mut self) {
        self.release_local_lock_if_idle();
        if self.lock.holder().is_none_or(|h| !h.is_me()) && self.platform_lock_held {
            self.platform_lock_held = false;
            let me = Holder::me("releasing");
            if let Err(e) = self.platform.release_lock(&me, false).await {
                self.problem("release lock", format!("the platform's lock: {e}"))
                    .await;
            }
        }
    }

    fn release_local_lock_if_idle(&mut self) {
        let moving = self.pending.transfers.keys().any(|s| {
            self.board
                .get(s)
                .is_some_and(|r| r.phase.in_flight().is_some())
        });
        // Nothing is dropped here: a pending request is only ever ended by its answer.
        if !moving && self.pending.aborts.is_empty() {
            self.lock.release();
        }
    }

    /// Reads the stack's versions again under the lock: the decision is made on what live
    /// runs now, not on what was read before someone else's deployment.
    pub(super) async fn reread(&mut self, stack: &StackId) {
        let read = tokio::time::timeout(REREAD_LIMIT, self.platform.versions(stack)).await;
        if let Ok(Ok(versions)) = read {
            let external = versions.promotion_in_flight().cloned();
            self.observe_live(stack, versions.live()).await;
            self.board.apply_versions(stack, versions);
            if let Some(d) = external {
                self.attach_if_unknown(stack, d);
            }
        }
    }

    pub(super) fn track(&mut self, id: RequestId, stack: &StackId, action: Action) {
        match action {
            Action::Abort => {
                self.pending.aborts.insert(stack.clone(), id);
            }
            _ => {
                self.pending.transfers.insert(stack.clone(), (id, action));
            }
        }
    }

    /// The outcome of an abort request.
    pub(super) async fn abort_answered(&mut self, stack: &StackId, outcome: Outcome) {
        let id = self.pending.aborts.remove(stack);
        self.release_lock_if_idle().await;
        if let Some(id) = id {
            self.answer(id, stack, Action::Abort, Answer::Finished(outcome))
                .await;
        }
    }

    /// When the stack's phase has settled, the request that moved it is finished.
    pub(super) async fn settle(&mut self, stack: &StackId) {
        let Some(release) = self.board.get(stack) else {
            return;
        };
        if release.phase.in_flight().is_some() {
            return;
        }
        let live = release
            .versions
            .as_ref()
            .map_or_else(|| crate::model::Version::new("?"), |v| v.target().clone());
        let outcome = match &release.phase {
            Phase::Live | Phase::Pending => Outcome::Live { version: live },
            Phase::RolledBack(t) => Outcome::RolledBack {
                version: t.to.clone(),
            },
            Phase::Aborted(_) => Outcome::Aborted { live },
            Phase::Failed { reason, .. } => Outcome::Failed {
                reason: reason.clone(),
            },
            Phase::Unknown => Outcome::Failed {
                reason: "the platform's versions are unknown".into(),
            },
            Phase::Promoting(_) | Phase::Verifying(_) | Phase::RollingBack(_) => return,
        };
        self.finish(stack, outcome).await;
    }

    /// Finishes the stack's pending request with `outcome` (a refused start, say).
    pub(super) async fn finish(&mut self, stack: &StackId, outcome: Outcome) {
        let transfer = self.pending.transfers.remove(stack);
        // An abort whose deployment ended is finished with it.
        let abort = self.pending.aborts.remove(stack);
        // The lock goes before the answers: a command exits on its answer.
        self.release_lock_if_idle().await;
        self.publish_lock().await;
        if let Some((id, action)) = transfer {
            self.answer(id, stack, action, Answer::Finished(outcome))
                .await;
        }
        if let Some(id) = abort {
            let live = self
                .board
                .get(stack)
                .and_then(|s| s.versions.as_ref())
                .map_or_else(|| crate::model::Version::new("?"), |v| v.target().clone());
            self.answer(
                id,
                stack,
                Action::Abort,
                Answer::Finished(Outcome::Aborted { live }),
            )
            .await;
        }
    }

    pub(super) fn stack_name(&self, stack: &StackId) -> String {
        self.board
            .get(stack)
            .map_or_else(|| stack.to_string(), |s| s.name.clone())
    }
}
