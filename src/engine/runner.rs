//! The engine task: takes commands, asks the platform, keeps the board, emits events.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinSet};

use super::changes::{Changes, Pair, RepoState};
use super::deploy_watch::{self, WatchReport};
use super::release::{Board, StackRelease};
use super::{Action, Command, Event};
use crate::config::Config;
use crate::model::{
    DeployState, DeployStatus, DeploymentRef, Env, Instance, StackId, StackVersions,
};
use crate::platform::{Platform, PlatformError};
use crate::vcs::{ChangeSet, DiffError};

/// Capacity of the event channel to the front end. Feeds with bulk data (logs) batch and
/// count what they drop rather than wait; state changes wait for room.
pub const EVENT_CAPACITY: usize = 1024;
const COMMAND_CAPACITY: usize = 64;

/// How a front end talks to a running engine.
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::Sender<Command>,
}

impl EngineHandle {
    /// Queues a command without waiting; `false` when the engine is gone or its queue is
    /// full (the front end tells the user rather than freezing).
    pub fn try_send(&self, cmd: Command) -> bool {
        self.commands.try_send(cmd).is_ok()
    }

    /// Queues a command, waiting for room. For the CLI, where waiting is fine.
    pub async fn send(&self, cmd: Command) -> bool {
        self.commands.send(cmd).await.is_ok()
    }
}

/// Messages from the engine's own tasks back to the engine loop.
enum Internal {
    Versions(Vec<(StackId, Result<StackVersions, PlatformError>)>),
    Started {
        stack: StackId,
        action: Action,
        result: Result<DeploymentRef, PlatformError>,
    },
    Instances(StackId, Env, Result<Vec<Instance>, PlatformError>),
    AbortResult(StackId, Result<(), PlatformError>),
    RepoReady(Result<PathBuf, String>),
    Fetched(Result<(), String>),
    Diff(Pair, Result<ChangeSet, DiffError>),
}

/// Starts the engine on the current tokio runtime. It runs until every handle is dropped.
pub fn start(
    config: Arc<Config>,
    platform: Arc<dyn Platform>,
) -> (EngineHandle, mpsc::Receiver<Event>) {
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel(EVENT_CAPACITY);
    let (internal_tx, internal_rx) = mpsc::channel(256);
    let (watch_tx, watch_rx) = mpsc::channel(256);
    let board = Board::new(
        config
            .stacks
            .iter()
            .map(|s| StackRelease::new(s.id.clone(), s.display_name()))
            .collect(),
    );
    let (instances_tx, _) = watch::channel(HashMap::new());
    let (promoted_tx, _) = watch::channel(HashMap::new());
    let engine = Engine {
        changes: Changes::new(&config),
        selected: None,
        config,
        platform,
        board,
        events: event_tx,
        internal: internal_tx,
        watch_reports: watch_tx,
        tasks: JoinSet::new(),
        watchers: HashMap::new(),
        refreshing: false,
        instances: instances_tx,
        promoted_at: promoted_tx,
    };
    tokio::spawn(engine.run(cmd_rx, internal_rx, watch_rx));
    (EngineHandle { commands: cmd_tx }, event_rx)
}

struct Engine {
    changes: Changes,
    /// The stack the user looks at (its diff is computed first).
    selected: Option<StackId>,
    config: Arc<Config>,
    platform: Arc<dyn Platform>,
    board: Board,
    events: mpsc::Sender<Event>,
    internal: mpsc::Sender<Internal>,
    watch_reports: mpsc::Sender<(StackId, WatchReport)>,
    /// Every task the engine started; dropped (and so aborted) when the engine stops.
    tasks: JoinSet<()>,
    watchers: HashMap<StackId, AbortHandle>,
    refreshing: bool,
    /// Instances per stack, for the metric and log feeds.
    instances: watch::Sender<HashMap<StackId, Vec<Instance>>>,
    /// When each stack's last promotion started: the metric baseline ends there.
    promoted_at: watch::Sender<HashMap<StackId, DateTime<Utc>>>,
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut internal: mpsc::Receiver<Internal>,
        mut watch_reports: mpsc::Receiver<(StackId, WatchReport)>,
    ) {
        self.emit(Event::Board(self.board.clone())).await;
        self.emit(Event::Repo(self.changes.state.clone())).await;
        if self.changes.state == RepoState::Cloning {
            self.clone_repo();
        }
        self.refresh();
        for stack in self
            .config
            .stacks
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>()
        {
            self.list_instances(stack, Env::Live);
        }
        let mut refresh =
            tokio::time::interval(Duration::from_secs(self.config.release.refresh_secs));
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        refresh.tick().await;
        loop {
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd).await,
                    None => break,
                },
                Some(msg) = internal.recv() => self.internal(msg).await,
                Some((stack, report)) = watch_reports.recv() => self.watch_report(stack, report).await,
                _ = refresh.tick() => self.refresh(),
                // Reap finished tasks so the set does not grow.
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
            }
        }
        tracing::debug!("engine stopping: every front end has gone");
    }

    async fn emit(&self, event: Event) {
        // A closed channel means the front end is gone; the engine winds down with it.
        let _ = self.events.send(event).await;
    }

    async fn emit_board(&self) {
        self.emit(Event::Board(self.board.clone())).await;
    }

    async fn command(&mut self, cmd: Command) {
        tracing::info!(?cmd, "command");
        match cmd {
            Command::Refresh => self.refresh(),
            Command::Promote {
                stack,
                expected,
                override_order,
            } => match self
                .board
                .check_promote(&stack, expected.as_ref(), override_order)
            {
                Err(refusal) => {
                    self.emit(Event::Refused {
                        action: Action::Promote,
                        refusal,
                    })
                    .await
                }
                Ok(plan) => {
                    if !plan.skipped.is_empty() {
                        tracing::warn!(stack = %stack, skipped = ?plan.skipped, "promotion out of order by override");
                    }
                    self.board.begin_promotion(&plan, Utc::now());
                    self.promoted_at.send_modify(|m| {
                        m.insert(stack.clone(), Utc::now());
                    });
                    self.emit_board().await;
                    self.start_deploy(stack, plan.to, Action::Promote);
                }
            },
            Command::Rollback { stack, to } => match self.board.check_rollback(&stack, to.as_ref())
            {
                Err(refusal) => {
                    self.emit(Event::Refused {
                        action: Action::Rollback,
                        refusal,
                    })
                    .await
                }
                Ok(plan) => {
                    // A rollback started during verification replaces the verifying phase.
                    if let Some(w) = self.watchers.remove(&stack) {
                        w.abort();
                    }
                    self.board.begin_rollback(&plan, Utc::now());
                    self.emit_board().await;
                    self.start_deploy(stack, plan.to, Action::Rollback);
                }
            },
            Command::Abort { stack } => match self.board.check_abort(&stack) {
                Err(refusal) => {
                    self.emit(Event::Refused {
                        action: Action::Abort,
                        refusal,
                    })
                    .await
                }
                Ok(deployment) => {
                    if !self.platform.capabilities().abort {
                        self.emit(Event::Problem {
                            context: format!("abort {stack}"),
                            message: format!(
                                "{} cannot abort deployments",
                                self.platform.describe()
                            ),
                        })
                        .await;
                        return;
                    }
                    let platform = self.platform.clone();
                    let tx = self.internal.clone();
                    self.tasks.spawn(async move {
                        let result = platform.abort(&stack, &deployment.id).await;
                        let _ = tx.send(Internal::AbortResult(stack, result)).await;
                    });
                }
            },
            Command::FollowLogs { .. } => {
                // Wired to the log feeds in their own module.
            }
            Command::ListInstances { stack, env } => self.list_instances(stack, env),
            Command::Select { stack } => {
                self.selected = Some(stack);
                self.want_diffs();
            }
            Command::Fetch => self.fetch().await,
            Command::LineStats { mut commit } => {
                let Some(repo) = self.changes.repo_path() else {
                    return;
                };
                let events = self.events.clone();
                self.tasks.spawn(async move {
                    let filled = tokio::task::spawn_blocking(move || {
                        let r = git2::Repository::open(&repo).map_err(DiffError::from)?;
                        crate::vcs::fill_line_stats(&r, &mut commit).map(|()| commit)
                    })
                    .await;
                    let event = match filled {
                        Ok(Ok(commit)) => Event::LineStats(commit),
                        Ok(Err(e)) => Event::Problem {
                            context: "line counts".into(),
                            message: e.to_string(),
                        },
                        Err(e) => Event::Problem {
                            context: "line counts".into(),
                            message: e.to_string(),
                        },
                    };
                    let _ = events.send(event).await;
                });
            }
            Command::ConfigDiff { stack } => self.config_diff(stack),
        }
    }

    /// Queues the diffs the board needs and starts the next one.
    fn want_diffs(&mut self) {
        let pair_of = |s: &super::release::StackRelease| -> Option<Pair> {
            s.versions
                .as_ref()
                .map(|v| (v.live.clone(), v.test.clone()))
        };
        let first = self
            .selected
            .as_ref()
            .and_then(|id| self.board.get(id))
            .and_then(pair_of);
        let mut pairs: Vec<Pair> = self.board.stacks.iter().filter_map(pair_of).collect();
        // What the last promotion shipped (previous live..live): the commits a rollback
        // would revert, and what "just went out" on a stack that is live.
        pairs.extend(self.board.stacks.iter().filter_map(|s| {
            let prev = s.previous_live.clone()?;
            let live = s.versions.as_ref()?.live.clone();
            (prev != live).then_some((prev, live))
        }));
        self.changes.want(pairs, first);
        self.pump_diffs();
    }

    fn pump_diffs(&mut self) {
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

    fn clone_repo(&mut self) {
        let Some(repo) = &self.config.repo else {
            return;
        };
        let Some(url) = repo.url.clone() else { return };
        let timeout = Duration::from_secs(repo.fetch_timeout_secs);
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let dest = crate::vcs::fetch::cache_path(&url);
            let result = crate::vcs::fetch::ensure_clone(&url, &dest, timeout)
                .await
                .map(|()| dest);
            let _ = tx.send(Internal::RepoReady(result)).await;
        });
    }

    async fn fetch(&mut self) {
        let timeout = Duration::from_secs(
            self.config
                .repo
                .as_ref()
                .map_or(120, |r| r.fetch_timeout_secs),
        );
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
                self.emit(Event::Repo(RepoState::Cloning)).await;
                self.clone_repo();
            }
            RepoState::Cloning => {
                self.emit(Event::Notice("Still cloning the repository…".into()))
                    .await
            }
            RepoState::NotConfigured => {
                self.emit(Event::Problem {
                    context: "fetch".into(),
                    message: RepoState::NotConfigured.describe(),
                })
                .await
            }
        }
    }

    fn config_diff(&mut self, stack: StackId) {
        let platform = self.platform.clone();
        let events = self.events.clone();
        let patterns = self.config.changes.secret_patterns.clone();
        self.tasks.spawn(async move {
            let result = if !platform.capabilities().config {
                Err(format!(
                    "not available: {} has no configuration per environment",
                    platform.describe()
                ))
            } else {
                let (live, test) = tokio::join!(
                    platform.config(&stack, Env::Live),
                    platform.config(&stack, Env::Test)
                );
                match (live, test, crate::configdiff::SecretMatcher::new(&patterns)) {
                    (Ok(l), Ok(t), Ok(secrets)) => Ok(crate::configdiff::diff(&l, &t, &secrets)),
                    (Err(e), _, _) | (_, Err(e), _) => Err(e.to_string()),
                    (_, _, Err(e)) => Err(e),
                }
            };
            let _ = events.send(Event::ConfigDiff { stack, result }).await;
        });
    }

    fn start_deploy(&mut self, stack: StackId, version: crate::model::Version, action: Action) {
        let platform = self.platform.clone();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let result = platform
                .deploy(&stack, Env::Live, &version, action == Action::Rollback)
                .await;
            let _ = tx
                .send(Internal::Started {
                    stack,
                    action,
                    result,
                })
                .await;
        });
    }

    fn watch(&mut self, stack: StackId, deployment: DeploymentRef) {
        if let Some(old) = self.watchers.remove(&stack) {
            old.abort();
        }
        let handle = self.tasks.spawn(deploy_watch::watch(
            self.platform.clone(),
            stack.clone(),
            deployment.id,
            self.events.clone(),
            self.watch_reports.clone(),
        ));
        self.watchers.insert(stack, handle);
    }

    fn refresh(&mut self) {
        if self.refreshing {
            return;
        }
        self.refreshing = true;
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

    fn list_instances(&mut self, stack: StackId, env: Env) {
        let configured = self
            .config
            .stack(&stack)
            .map(|s| s.instances.clone())
            .unwrap_or_default();
        let platform = self.platform.clone();
        let tx = self.internal.clone();
        self.tasks.spawn(async move {
            let result = if !configured.is_empty() {
                Ok(configured)
            } else {
                platform.instances(&stack, env).await
            };
            let _ = tx.send(Internal::Instances(stack, env, result)).await;
        });
    }

    async fn internal(&mut self, msg: Internal) {
        match msg {
            Internal::Versions(results) => {
                self.refreshing = false;
                for (stack, result) in results {
                    match result {
                        Ok(versions) => {
                            let external = versions.live_deployment.clone();
                            self.board.apply_versions(&stack, versions);
                            if let Some(id) = external {
                                self.attach_if_unknown(&stack, id);
                            }
                        }
                        Err(e) => {
                            self.emit(Event::Problem {
                                context: format!("versions of {stack}"),
                                message: e.to_string(),
                            })
                            .await
                        }
                    }
                }
                self.emit_board().await;
                self.emit(Event::Refreshed).await;
                self.want_diffs();
            }
            Internal::RepoReady(result) => {
                self.changes.state = match result {
                    Ok(path) => RepoState::Ready(path),
                    Err(e) => RepoState::Failed(format!("cannot clone the repository: {e}")),
                };
                self.emit(Event::Repo(self.changes.state.clone())).await;
                self.want_diffs();
            }
            Internal::Fetched(result) => match result {
                Ok(()) => {
                    self.emit(Event::Notice("Fetched the repository".into()))
                        .await;
                    self.changes.forget_failures();
                    self.want_diffs();
                }
                Err(e) => {
                    self.emit(Event::Problem {
                        context: "fetch".into(),
                        message: e,
                    })
                    .await
                }
            },
            Internal::Diff(pair, result) => {
                let changes = self.changes.finished(pair.clone(), result);
                self.emit(Event::Changes {
                    live: pair.0,
                    test: pair.1,
                    changes,
                })
                .await;
                self.pump_diffs();
            }
            Internal::Started {
                stack,
                action,
                result,
            } => match result {
                Ok(deployment) => {
                    self.board.deployment_started(&stack, deployment.clone());
                    self.emit_board().await;
                    self.emit(Event::DeployStarted {
                        stack: stack.clone(),
                        deployment: deployment.clone(),
                        action,
                    })
                    .await;
                    self.watch(stack, deployment);
                }
                Err(e) => {
                    self.board.start_failed(&stack, e.to_string());
                    self.emit_board().await;
                    self.emit(Event::Problem {
                        context: format!("{} {stack}", action.verb()),
                        message: e.to_string(),
                    })
                    .await;
                }
            },
            Internal::Instances(stack, env, result) => match result {
                Ok(instances) => {
                    if env == Env::Live {
                        self.instances.send_modify(|m| {
                            m.insert(stack.clone(), instances.clone());
                        });
                    }
                    self.emit(Event::Instances {
                        stack,
                        env,
                        instances,
                    })
                    .await;
                }
                Err(PlatformError::Unsupported { .. }) => {}
                Err(e) => {
                    self.emit(Event::Problem {
                        context: format!("instances of {stack}"),
                        message: e.to_string(),
                    })
                    .await
                }
            },
            Internal::AbortResult(stack, result) => match result {
                Ok(()) => {
                    self.emit(Event::Notice(format!("{stack}: abort requested")))
                        .await
                }
                Err(e) => {
                    self.emit(Event::Problem {
                        context: format!("abort {stack}"),
                        message: e.to_string(),
                    })
                    .await
                }
            },
        }
    }

    /// A deployment on live that this engine did not start (another terminal, the CLI,
    /// the platform's own UI): follow it so nobody starts a second one on top.
    fn attach_if_unknown(&mut self, stack: &StackId, id: crate::model::DeploymentId) {
        let known = self
            .board
            .get(stack)
            .and_then(|s| s.phase.in_flight())
            .is_some();
        if known {
            return;
        }
        let deployment = DeploymentRef { id, url: None };
        self.board
            .attach_external(stack, deployment.clone(), Utc::now());
        self.watch(stack.clone(), deployment);
    }

    async fn watch_report(&mut self, stack: StackId, report: WatchReport) {
        match report {
            WatchReport::Status(DeployStatus {
                progress, message, ..
            }) => {
                self.board.progress(&stack, progress, message);
                self.emit_board().await;
            }
            WatchReport::Trouble(message) => {
                self.emit(Event::Problem {
                    context: format!("deployment of {stack}"),
                    message,
                })
                .await
            }
            WatchReport::Finished { deployment, status } => {
                self.watchers.remove(&stack);
                let verify = false;
                self.board.deployment_finished(
                    &stack,
                    status.state.clone(),
                    status.message.clone(),
                    verify,
                );
                self.emit_board().await;
                self.emit(Event::DeployFinished {
                    stack: stack.clone(),
                    deployment,
                    state: status.state.clone(),
                    message: status.message,
                })
                .await;
                if status.state == DeployState::Succeeded {
                    // Instances are usually replaced by a deployment.
                    self.list_instances(stack, Env::Live);
                }
                self.refresh();
            }
        }
    }
}
