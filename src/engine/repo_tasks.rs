//! The engine's repository work: cloning, fetching, diffs between versions, line counts
//! of one commit, and the configuration diff between test and live.

use std::path::PathBuf;
use std::time::Duration;

use super::Event;
use super::changes::{Pair, RepoState};
use super::event::{ConfigDiffError, FetchError};
use super::release::StackRelease;
use super::runner::{Engine, Internal};
use crate::model::{Env, StackId};
use crate::vcs::{ChangeSet, Commit, DiffError};

impl Engine {
    /// Queues the diffs the board needs (selected stack first) and starts the next one.
    pub(super) fn want_diffs(&mut self) {
        let pair_of = |s: &StackRelease| -> Option<Pair> {
            s.versions
                .as_ref()
                .map(|v| (v.target().clone(), v.source().clone()))
        };
        let first = self
            .selected
            .as_ref()
            .and_then(|id| self.board.get(id))
            .and_then(pair_of);
        let mut pairs: Vec<Pair> = self.board.stacks.iter().filter_map(pair_of).collect();
        // Every other step between environments too, for the Changes pane's `e`.
        pairs.extend(
            self.board
                .stacks
                .iter()
                .filter_map(|s| s.versions.as_ref())
                .flat_map(|v| {
                    v.envs
                        .windows(2)
                        .filter(|w| w[0].version != w[1].version)
                        .map(|w| (w[1].version.clone(), w[0].version.clone()))
                        .collect::<Vec<_>>()
                }),
        );
        // What the last promotion shipped (previous live..live): the commits a rollback
        // would revert, and what "just went out" on a stack that is live.
        pairs.extend(self.board.stacks.iter().filter_map(|s| {
            let prev = s.previous_live.clone()?;
            let live = s.versions.as_ref()?.target().clone();
            (prev != live).then_some((prev, live))
        }));
        self.changes.want(pairs, first);
        self.pump_diffs();
    }

    pub(super) fn pump_diffs(&mut self) {
        let Some(job) = self.changes.next_job() else {
            return;
        };
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let pair = job.pair.clone();
            let result = tokio::task::spawn_blocking(move || job.run())
                .await
                .unwrap_or_else(|e| Err(DiffError::Git(format!("the diff stopped: {e}"))));
            let _ = tx.send(Internal::Diff(pair, result)).await;
        });
    }

    /// A diff is done: front ends get it, the next queued one starts, and the gates that
    /// judge by it are told again.
    pub(super) async fn diff_done(&mut self, pair: Pair, result: Result<ChangeSet, DiffError>) {
        let changes = self.changes.finished(pair.clone(), result);
        self.emit(Event::Changes {
            live: pair.0,
            test: pair.1,
            changes,
        })
        .await;
        self.pump_diffs();
        self.publish_gates().await;
    }

    fn fetch_timeout(&self) -> Duration {
        Duration::from_secs(
            self.config
                .repo
                .as_ref()
                .map_or(120, |r| r.fetch_timeout_secs),
        )
    }

    pub(super) fn clone_repo(&mut self) {
        let Some(url) = self.config.repo.as_ref().and_then(|r| r.url.clone()) else {
            return;
        };
        let timeout = self.fetch_timeout();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let dest = crate::vcs::fetch::cache_path(&url);
            let result = crate::vcs::fetch::ensure_clone(&url, &dest, timeout)
                .await
                .map(|()| dest);
            let _ = tx.send(Internal::RepoReady(result)).await;
        });
    }

    pub(super) async fn repo_ready(&mut self, result: Result<PathBuf, String>) {
        let answer = result
            .as_ref()
            .map(|_| ())
            .map_err(|e| FetchError::Clone(e.clone()));
        self.changes.state = match result {
            Ok(path) => RepoState::Ready(path),
            Err(e) => RepoState::Failed(format!("cannot clone the repository: {e} (f retries)")),
        };
        self.emit(Event::Repo(self.changes.state.clone())).await;
        // A fetch asked for while the clone ran is answered by the clone.
        if std::mem::take(&mut self.changes.fetch_pending) {
            self.emit(Event::Fetched(answer)).await;
        }
        self.want_diffs();
    }

    pub(super) async fn fetch(&mut self) {
        let timeout = self.fetch_timeout();
        match self.changes.state.clone() {
            RepoState::Ready(path) => {
                self.emit(Event::Notice("Fetching the repository…".into()))
                    .await;
                let tx = self.internal.clone();
                self.tasks.spawn(async move {
                    let result = crate::vcs::fetch::fetch(&path, timeout).await;
                    let _ = tx.send(Internal::Fetched(result)).await;
                });
            }
            RepoState::Failed(_) => {
                self.changes.state = RepoState::Cloning;
                self.changes.fetch_pending = true;
                self.emit(Event::Repo(RepoState::Cloning)).await;
                self.clone_repo();
            }
            RepoState::Cloning => {
                self.changes.fetch_pending = true;
                self.emit(Event::Notice("Still cloning the repository…".into()))
                    .await;
            }
            RepoState::NotConfigured => {
                self.emit(Event::Fetched(Err(FetchError::NotConfigured)))
                    .await;
            }
        }
    }

    pub(super) async fn fetched(&mut self, result: Result<(), String>) {
        if result.is_ok() {
            self.changes.forget_failures();
            self.want_diffs();
        }
        self.emit(Event::Fetched(result.map_err(FetchError::Fetch)))
            .await;
    }

    pub(super) fn line_stats(&mut self, mut commit: Box<Commit>) {
        let Some(repo) = self.changes.repo_path() else {
            return;
        };
        let events = self.events.clone();
        self.tasks.spawn(async move {
            let filled = tokio::task::spawn_blocking(move || {
                let r = git2::Repository::open(&repo).map_err(DiffError::from)?;
                crate::vcs::fill_line_stats(&r, &mut commit).map(|()| commit)
            })
            .await
            .unwrap_or_else(|e| Err(DiffError::Git(e.to_string())));
            let event = match filled {
                Ok(commit) => Event::LineStats(commit),
                Err(e) => Event::Problem {
                    context: "line counts".into(),
                    message: e.to_string(),
                },
            };
            let _ = events.send(event).await;
        });
    }

    /// A commit's patch for the commit view, read on a blocking thread with a time limit.
    pub(super) fn patch(&mut self, commit: String) {
        const PATCH_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);
        let events = self.events.clone();
        let Some(repo) = self.changes.repo_path() else {
            let result = Err(self.changes.state.describe());
            self.tasks.spawn(async move {
                let _ = events.send(Event::Patch { commit, result }).await;
            });
            return;
        };
        self.tasks.spawn(async move {
            let id = commit.clone();
            let read = tokio::task::spawn_blocking(move || {
                let r = git2::Repository::open(&repo).map_err(DiffError::from)?;
                crate::vcs::patch::patch(&r, &id)
            });
            let result = match tokio::time::timeout(PATCH_LIMIT, read).await {
                Ok(Ok(r)) => r.map_err(|e| e.to_string()),
                Ok(Err(e)) => Err(format!("reading the patch stopped: {e}")),
                Err(_) => Err(format!(
                    "the patch was not read within {}s",
                    PATCH_LIMIT.as_secs()
                )),
            };
            let _ = events.send(Event::Patch { commit, result }).await;
        });
    }

    pub(super) fn config_diff(&mut self, stack: StackId, between: Option<(Env, Env)>) {
        // Between the two environments asked for, or of the stack's next promotion.
        let (target, source) = between.unwrap_or_else(|| {
            self.board
                .get(&stack)
                .and_then(|s| s.versions.as_ref())
                .map_or_else(
                    || {
                        let mut envs = self.config.release.environments().into_iter().rev();
                        let target = envs.next().unwrap_or_else(Env::live);
                        (target, envs.next().unwrap_or_else(Env::test))
                    },
                    |v| (v.target_env().clone(), v.source_env().clone()),
                )
        });
        let platform = self.platform.clone();
        let events = self.events.clone();
        let patterns = self.config.changes.secret_patterns.clone();
        self.tasks.spawn(async move {
            let result = if platform.capabilities().config {
                let (live, test) = tokio::join!(
                    platform.config(&stack, &target),
                    platform.config(&stack, &source)
                );
                match (live, test, crate::configdiff::SecretMatcher::new(&patterns)) {
                    (Ok(l), Ok(t), Ok(secrets)) => Ok(crate::configdiff::diff(&l, &t, &secrets)),
                    (Err(e), _, _) | (_, Err(e), _) => {
                        Err(ConfigDiffError::Platform(e.to_string()))
                    }
                    (_, _, Err(e)) => Err(ConfigDiffError::SecretPatterns(e)),
                }
            } else {
                Err(ConfigDiffError::Unsupported(platform.describe()))
            };
            let _ = events.send(Event::ConfigDiff { stack, result }).await;
        });
    }
}
