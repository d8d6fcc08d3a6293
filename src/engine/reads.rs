//! The engine's rounds of reading: the platform's versions and instances, started here
//! and taken in when they answer, and the release journal, read again when another
//! process wrote to it.

use chrono::Utc;

use super::Event;
use super::runner::{Engine, Internal};
use crate::model::{Env, Instance, StackId, StackVersions};
use crate::platform::PlatformError;

impl Engine {
    pub(super) fn refresh(&mut self) {
        if self.refreshing {
            return;
        }
        self.lock_check = true;
        self.refreshing = true;
        self.refresh_approvals();
        let platform = self.platform.clone();
        let stacks: Vec<StackId> = self.config.stacks.iter().map(|s| s.id.clone()).collect();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let reads = stacks.into_iter().map(|s| {
                let platform = platform.clone();
                async move {
                    let r = platform.versions(&s).await;
                    (s, r)
                }
            });
            let results = futures::future::join_all(reads).await;
            let _ = tx.send(Internal::Versions(results)).await;
        });
    }

    /// A round of versions came back: the board follows it, a change of live nobody
    /// here made is watched, and front ends get the board, the gates and `Refreshed`.
    pub(super) async fn versions_read(
        &mut self,
        results: Vec<(StackId, Result<StackVersions, PlatformError>)>,
    ) {
        self.refreshing = false;
        let mut read_journal = false;
        for (stack, result) in results {
            read_journal |= self.stack_versions_read(stack, result).await;
        }
        self.apply_recovered();
        if std::mem::take(&mut self.first_round) {
            self.reattach_orphans().await;
        }
        if std::mem::take(&mut self.lock_check) {
            self.publish_lock().await;
        }
        self.emit_board().await;
        // Before `Refreshed`: a command that waits for it has the gates too.
        self.publish_gates().await;
        self.emit(Event::Refreshed).await;
        self.want_diffs();
        read_journal |= self.journal_written_since_seen();
        if read_journal {
            self.read_journal();
        }
    }

    /// One stack's versions into the board. True when the journal should be read for who
    /// changed live, or for a deployment started elsewhere that this engine now follows.
    async fn stack_versions_read(
        &mut self,
        stack: StackId,
        result: Result<StackVersions, PlatformError>,
    ) -> bool {
        match result {
            Ok(versions) => {
                self.board.read_ok(&stack, Utc::now());
                let external = versions.promotion_in_flight().cloned();
                let mut read_journal = self.observe_live(&stack, versions.live()).await;
                self.board.apply_versions(&stack, versions);
                if let Some(id) = external
                    && self.attach_if_unknown(&stack, id.clone())
                {
                    read_journal = true;
                    self.account_for(&stack, &id).await;
                }
                read_journal
            }
            Err(e) => {
                self.board.read_failed(&stack, Utc::now(), e.to_string());
                self.problem(format!("versions of {stack}"), e.to_string())
                    .await;
                false
            }
        }
    }

    /// Another process wrote to the journal since it was last read (its smoke results,
    /// say): it should be read again.
    fn journal_written_since_seen(&mut self) -> bool {
        let modified = std::fs::metadata(self.config.release.journal_path())
            .and_then(|m| m.modified())
            .ok();
        if modified == self.journal_seen {
            return false;
        }
        self.journal_seen = modified;
        true
    }

    pub(super) fn read_journal(&mut self) {
        let path = self.config.release.journal_path();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let read = tokio::task::spawn_blocking(move || crate::journal::read(&path))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            let _ = tx.send(Internal::Journal(read)).await;
        });
    }

    /// The journal was read: rollback targets, what a restart left half done, watches,
    /// gates and smoke results follow it. Lines that could not be read are said.
    pub(super) async fn journal_read(
        &mut self,
        read: std::io::Result<(Vec<crate::journal::Entry>, usize)>,
    ) {
        let (entries, bad) = match read {
            Ok(read) => read,
            Err(e) => {
                self.problem("journal", format!("cannot read it: {e}"))
                    .await;
                return;
            }
        };
        if bad > 0 {
            let path = self.config.release.journal_path();
            let msg = format!(
                "{bad} line(s) of {} could not be read and were skipped",
                path.display()
            );
            self.problem("journal", msg).await;
        }
        self.recovered = crate::journal::previous_live(&entries);
        if self.first_round {
            self.recovery = super::recovery::Recovery::from_journal(&entries);
        }
        self.watches.journal(&entries, Utc::now());
        self.gates_read_journal(&entries);
        let smoke = self.board.apply_journaled_smoke(&entries);
        if self.apply_recovered() || smoke {
            self.emit_board().await;
        }
        self.publish_gates().await;
    }

    /// Applies rollback targets from the journal to stacks whose live version matches.
    fn apply_recovered(&mut self) -> bool {
        let mut changed = false;
        for (stack, (from, to)) in &self.recovered {
            changed |= self.board.recover_previous_live(
                &StackId::new(stack),
                &crate::model::Version::new(from.clone()),
                &crate::model::Version::new(to.clone()),
            );
        }
        changed
    }

    pub(super) fn list_instances(&mut self, stack: StackId, env: Env) {
        let configured = self
            .config
            .stack(&stack)
            .map(|s| s.instances.clone())
            .unwrap_or_default();
        let platform = self.platform.clone();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let result = if configured.is_empty() {
                platform.instances(&stack, &env).await
            } else {
                Ok(configured)
            };
            let _ = tx.send(Internal::Instances(stack, env, result)).await;
        });
    }

    /// A stack's instances in one environment: live's feed the metrics and the log
    /// follower, the logs' environment's the log follower; a platform that cannot list
    /// them is not a problem worth saying, any other failure is.
    pub(super) async fn instances_listed(
        &mut self,
        stack: StackId,
        env: Env,
        result: Result<Vec<Instance>, PlatformError>,
    ) {
        match result {
            Ok(instances) => {
                if env == self.live_env() {
                    self.instances.send_modify(|m| {
                        m.insert(stack.clone(), instances.clone());
                    });
                } else {
                    self.other_instances
                        .insert((stack.clone(), env.clone()), instances.clone());
                }
                if env == self.config.logs.env {
                    self.logs.instances_changed(&stack, &instances);
                }
                self.emit(Event::Instances {
                    stack,
                    env,
                    instances,
                })
                .await;
            }
            Err(e) => {
                let unsupported = matches!(e, PlatformError::Unsupported { .. });
                if env == self.config.logs.env
                    && let Some(event) = self.logs.instances_unavailable(&stack, &e.to_string())
                {
                    self.emit(event).await;
                }
                if !unsupported {
                    self.problem(format!("instances of {stack}"), e.to_string())
                        .await;
                }
            }
        }
    }
}
