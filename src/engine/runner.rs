//! The engine task: takes commands, asks the platform, keeps the board, emits events.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinSet};

use super::deploy_watch::{self, WatchReport};
use super::release::{Board, StackRelease};
use super::{Action, Command, Event};
use crate::config::Config;
use crate::model::{
    DeployState, DeployStatus, DeploymentRef, Env, Instance, StackId, StackVersions,
};
use crate::platform::{Platform, PlatformError};

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
        }
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
