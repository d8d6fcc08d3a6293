//! The engine task: takes commands, asks the platform, keeps the board, emits events.
//! Deployments live in `deploys.rs`, repository work in `repo_tasks.rs`, the rounds of
//! reading versions, instances and the journal in `reads.rs`; this file holds the loop
//! and the routing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinSet};

use super::changes::{Changes, Pair, RepoState};
use super::deploy_watch::WatchReport;
use super::logs::{LogFollower, Start};
use super::release::{Board, StackRelease};
use super::{Command, Event, Request, RequestId, SmokeCause, announce};
use crate::config::Config;
use crate::feeds::smoke::SmokeReport;
use crate::model::{DeploymentRef, Env, Instance, StackId, StackVersions};
use crate::platform::{Platform, PlatformError};
use crate::vcs::{ChangeSet, DiffError};

/// Capacity of the event channel to the front end. Feeds with bulk data (logs) batch and
/// count what they drop rather than wait; state changes wait for room.
pub const EVENT_CAPACITY: usize = 1024;
const COMMAND_CAPACITY: usize = 64;

/// How a front end talks to a running engine.
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::Sender<Request>,
}

impl EngineHandle {
    /// Queues a request without waiting; `false` when the engine is gone or its queue is
    /// full (the front end tells the user rather than freezing).
    pub fn try_send(&self, req: impl Into<Request>) -> bool {
        self.commands.try_send(req.into()).is_ok()
    }

    /// Queues a request, waiting for room (for the CLI, where waiting is fine). Its id, or
    /// `None` when the engine is gone.
    pub async fn send(&self, req: impl Into<Request>) -> Option<RequestId> {
        let req = req.into();
        let id = req.id;
        self.commands.send(req).await.ok().map(|()| id)
    }
}

/// Messages from the engine's own tasks back to the engine loop.
pub(super) enum Internal {
    Versions(Vec<(StackId, Result<StackVersions, PlatformError>)>),
    Started {
        stack: StackId,
        action: super::Action,
        result: Result<DeploymentRef, PlatformError>,
    },
    Instances(StackId, Env, Result<Vec<Instance>, PlatformError>),
    AbortResult(StackId, Result<(), PlatformError>),
    RepoReady(Result<PathBuf, String>),
    Fetched(Result<(), String>),
    Diff(Pair, Result<ChangeSet, DiffError>),
    Smoke(StackId, SmokeCause, SmokeReport),
    Journal(std::io::Result<(Vec<crate::journal::Entry>, usize)>),
    FlagRaised(super::flags::Raised),
    /// The platform's approvals per stack and environment (or why not).
    Approvals(super::gate_state::ApprovalReads),
    /// The set of metric series flagged on live changed.
    FlagsChanged,
}

/// Which feeds a front end wants: the dashboard all of them, a CLI command none (it reads
/// versions and follows its own deployment), so a command does not scrape metrics or open
/// an ssh session nobody reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feeds {
    pub metrics: bool,
    pub logs: bool,
}

impl Feeds {
    pub const ALL: Feeds = Feeds {
        metrics: true,
        logs: true,
    };
    pub const NONE: Feeds = Feeds {
        metrics: false,
        logs: false,
    };
}

/// Starts the engine with every feed on the current tokio runtime. It runs until every
/// handle is dropped.
pub fn start(
    config: Arc<Config>,
    platform: Arc<dyn Platform>,
) -> (EngineHandle, mpsc::Receiver<Event>) {
    start_with(config, platform, Feeds::ALL)
}

/// Starts the engine with only the feeds asked for.
pub fn start_with(
    config: Arc<Config>,
    platform: Arc<dyn Platform>,
    feeds: Feeds,
) -> (EngineHandle, mpsc::Receiver<Event>) {
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel(EVENT_CAPACITY);
    let (internal_tx, internal_rx) = mpsc::channel(256);
    let (watch_tx, watch_rx) = mpsc::channel(256);
    let mut board = Board::new(
        config
            .stacks
            .iter()
            .map(|s| StackRelease::new(s.id.clone(), s.display_name()))
            .collect(),
    );
    board.stale_after = config.release.refresh_secs.max(1) * super::freshness::STALE_ROUNDS;
    let (instances_tx, _) = watch::channel(HashMap::new());
    // A change is watched again after a restart while its samples can still be on screen
    // (and for half an hour at least).
    let horizon = chrono::Duration::seconds(
        (config.metrics.interval_secs.max(1) * config.metrics.history as u64).max(1800) as i64,
    );
    let announcer = config.announce.as_ref().map(|cfg| {
        let saved = config
            .release
            .journal_path()
            .with_extension("announce.json");
        announce::spawn(cfg, event_tx.clone(), saved)
    });
    let mut journal = super::journal_writer::JournalWriter::new(config.release.journal_path());
    if config.release.read_only {
        journal = journal.read_only();
    }
    let lock = super::lock::ReleaseLock::beside(&config.release.journal_path());
    let live_env = config
        .release
        .environments()
        .pop()
        .unwrap_or_else(Env::live);
    let config_windows = super::gates::windows(&config.gates);
    let engine = Engine {
        journal,
        recovered: HashMap::new(),
        changes: Changes::new(&config),
        selected: None,
        logs: LogFollower::default(),
        other_instances: HashMap::new(),
        http: reqwest::Client::builder()
            .user_agent(concat!(
                "slipway/",
                env!("CARGO_PKG_VERSION"),
                " (smoke test)"
            ))
            .build()
            .ok(),
        announcer,
        config,
        platform,
        board,
        events: event_tx,
        internal: internal_tx,
        watch_reports: watch_tx,
        tasks: JoinSet::new(),
        watchers: HashMap::new(),
        refreshing: false,
        lock_check: true,
        instances: instances_tx,
        watches: super::watches::Watches::new(horizon).for_live_env(&live_env),
        lock,
        lock_seen: None,
        platform_lock_held: false,
        pending: Default::default(),
        recovery: Default::default(),
        first_round: true,
        journal_seen: None,
        ended: Default::default(),
        gates: super::gate_state::GateState {
            windows: config_windows,
            ..Default::default()
        },
        metrics_running: false,
    };
    tokio::spawn(engine.run(cmd_rx, internal_rx, watch_rx, feeds));
    (EngineHandle { commands: cmd_tx }, event_rx)
}

pub(super) struct Engine {
    /// The release journal: each entry on disk before the engine goes on.
    pub(super) journal: super::journal_writer::JournalWriter,
    /// Rollback targets read from the journal: stack → (live before, live after).
    pub(super) recovered: HashMap<String, (String, String)>,
    pub(super) changes: Changes,
    /// The stack the user looks at (its diff is computed first, its log followed).
    pub(super) selected: Option<StackId>,
    pub(super) logs: LogFollower,
    /// Instances outside live (for the Logs pane), by stack and environment.
    pub(super) other_instances: HashMap<(StackId, Env), Vec<Instance>>,
    /// For smoke checks (each request sets its own timeout); None if it cannot be built.
    pub(super) http: Option<reqwest::Client>,
    /// The announcement task, or why it could not start.
    pub(super) announcer: Option<Result<mpsc::Sender<announce::Job>, String>>,
    pub(super) config: Arc<Config>,
    pub(super) platform: Arc<dyn Platform>,
    pub(super) board: Board,
    pub(super) events: mpsc::Sender<Event>,
    pub(super) internal: mpsc::Sender<Internal>,
    pub(super) watch_reports: mpsc::Sender<(StackId, WatchReport)>,
    /// Every task the engine started; dropped (and so aborted) when the engine stops.
    pub(super) tasks: JoinSet<()>,
    pub(super) watchers: HashMap<StackId, AbortHandle>,
    pub(super) refreshing: bool,
    /// The lock file is looked at again with the next round of versions.
    pub(super) lock_check: bool,
    /// Live instances per stack, for the metric feed and the log follower.
    pub(super) instances: watch::Sender<HashMap<StackId, Vec<Instance>>>,
    /// Which change of live each stack's metrics are judged against.
    pub(super) watches: super::watches::Watches,
    /// The release lock, and its holder as last told to front ends.
    pub(super) lock: super::lock::ReleaseLock,
    pub(super) lock_seen: Option<super::lock::Holder>,
    /// This engine holds the platform's lock too (where the platform has one).
    pub(super) platform_lock_held: bool,
    /// Requests accepted and not yet finished.
    pub(super) pending: super::requests::Pending,
    /// What the journal read at start says was left half done.
    pub(super) recovery: super::recovery::Recovery,
    /// The first round of versions has not been read yet.
    pub(super) first_round: bool,
    /// When the journal file was last seen modified.
    pub(super) journal_seen: Option<std::time::SystemTime>,
    /// Deployments that ended here, never followed again.
    pub(super) ended: std::collections::HashSet<crate::model::DeploymentId>,
    /// What the pre-flight gates judge by, and the report last sent.
    pub(super) gates: super::gate_state::GateState,
    /// This engine runs the metrics feed (so it knows which series are flagged).
    pub(super) metrics_running: bool,
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Request>,
        mut internal: mpsc::Receiver<Internal>,
        mut watch_reports: mpsc::Receiver<(StackId, WatchReport)>,
        feeds: Feeds,
    ) {
        if self.read_only() {
            self.emit(Event::ReadOnly).await;
        }
        if self.config.release.dry_run {
            self.emit(Event::DryRun).await;
        }
        self.emit(Event::Board(self.board.clone())).await;
        self.emit(Event::Repo(self.changes.state.clone())).await;
        if self.changes.state == RepoState::Cloning {
            self.clone_repo();
        }
        if feeds.metrics {
            self.start_metrics();
        }
        // Read before the first versions, so a command deciding on them (a rollback's
        // target) already knows what the journal recorded.
        let path = self.config.release.journal_path();
        let read = tokio::task::spawn_blocking(move || crate::journal::read(&path))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        self.internal(Internal::Journal(read)).await;
        self.refresh();
        let stacks: Vec<StackId> = self.config.stacks.iter().map(|s| s.id.clone()).collect();
        if feeds.metrics || feeds.logs {
            for stack in &stacks {
                self.list_instances(stack.clone(), self.live_env());
            }
        }
        if feeds.logs
            && let Some(first) = stacks.first()
        {
            self.logs.want(first.clone(), None);
        }
        let mut refresh =
            tokio::time::interval(Duration::from_secs(self.config.release.refresh_secs));
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        refresh.tick().await;
        loop {
            let log_due = self.logs.due();
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd).await,
                    None => break,
                },
                Some(msg) = internal.recv() => self.internal(msg).await,
                Some((stack, report)) = watch_reports.recv() => self.watch_report(stack, report).await,
                _ = refresh.tick() => self.refresh(),
                () = sleep_until(log_due), if log_due.is_some() => self.start_logs().await,
                // Reap finished tasks so the set does not grow.
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
            }
        }
        tracing::debug!("engine stopping: every front end has gone");
    }

    pub(super) async fn emit(&self, event: Event) {
        // A closed channel means the front end is gone; the engine winds down with it.
        let _ = self.events.send(event).await;
    }

    pub(super) async fn emit_board(&self) {
        self.emit(Event::Board(self.board.clone())).await;
    }

    /// Records an action or outcome in the release journal, synced before returning.
    pub(super) async fn record(&mut self, entry: crate::journal::Entry) {
        // The gates know at once what this engine did (a smoke run, an approval).
        let live = self.live_env();
        self.gates.journal.apply(&entry, &live);
        if let Some(message) = self.journal.write(entry).await {
            self.problem("journal", message).await;
        }
    }

    pub(super) async fn problem(&self, context: impl Into<String>, message: impl Into<String>) {
        self.emit(Event::Problem {
            context: context.into(),
            message: message.into(),
        })
        .await;
    }

    async fn command(&mut self, req: Request) {
        let Request { id, command: cmd } = req;
        if self.read_only()
            && let Some(action) = cmd.mutation()
        {
            return self.refuse_read_only(id, &cmd, action).await;
        }
        if self.config.release.dry_run
            && let Some(action) = cmd.mutation()
        {
            return self.dry_run(id, cmd, action).await;
        }
        tracing::info!(request = %id, command = %cmd.describe(), "command");
        match cmd {
            Command::Refresh => self.refresh(),
            Command::Promote {
                stack,
                expected,
                override_order,
                to,
                override_gates,
            } => {
                self.promote(id, stack, expected, override_order, to, override_gates)
                    .await;
            }
            Command::CheckGates { stack, to } => self.check_gates(id, stack, to).await,
            Command::Approve { stack, to } => self.approve(id, stack, to).await,
            Command::Rollback { stack, to } => self.rollback(Some(id), stack, to).await,
            Command::Abort { stack } => self.abort(id, stack).await,
            Command::StealLock { reason } => self.steal_lock(reason).await,
            Command::Smoke { stack } => self.run_smoke(stack, SmokeCause::Request).await,
            Command::Select { stack } => {
                self.selected = Some(stack.clone());
                self.logs.want(stack, None);
                self.want_diffs();
            }
            Command::FollowLogs { stack, instance } => self.logs.want(stack, instance),
            Command::ListInstances { stack, env } => self.list_instances(stack, env),
            Command::Fetch => self.fetch().await,
            Command::LineStats { commit } => self.line_stats(commit),
            Command::Patch { commit } => self.patch(commit),
            Command::ConfigDiff { stack, between } => self.config_diff(stack, between),
            Command::WriteFile { path, contents } => self.write_file(path, contents),
            Command::DraftReport { scope } => self.draft_report(scope),
            Command::LoadHistory => self.load_history(),
            Command::PostReport { text } => self.post_report(text).await,
            Command::DraftAnnouncement { kind } => {
                // What shipped and what was held is read from the journal, not memory:
                // another terminal (or an earlier run) may have promoted.
                let path = self.config.release.journal_path();
                let journal = tokio::task::spawn_blocking(move || crate::journal::read(&path))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|(entries, _)| entries)
                    .unwrap_or_default();
                let release = &self.config.release.name;
                let summary =
                    announce::summary(release, &self.board, self.changes.diffs(), &journal);
                let done = announce::completion(release, &self.board, &journal);
                self.to_announcer(announce::Job::Draft {
                    kind,
                    summary,
                    done,
                })
                .await;
            }
            Command::Announce {
                text,
                kind,
                force,
                again,
            } => {
                let mut entry = crate::journal::Entry::new(crate::journal::Act::Announce)
                    .detail(format!("{} message sent to chat", kind.as_str()));
                // Which release it announced: `slipway announce` posts it once.
                if let Some((live, test)) = announce::release_key(&self.board) {
                    entry = entry.versions(live, test);
                }
                self.record(entry).await;
                self.to_announcer(announce::Job::Announce {
                    text,
                    kind,
                    force,
                    again,
                })
                .await;
            }
        }
    }

    pub(super) async fn to_announcer(&self, job: announce::Job) {
        // Commands that post were refused already; the deployment updates of a followed
        // deployment are not posted from a read-only engine either.
        if self.read_only() && !matches!(job, announce::Job::Draft { .. }) {
            tracing::debug!("read-only: nothing posted to chat");
            return;
        }
        let asked = matches!(
            job,
            announce::Job::Draft { .. }
                | announce::Job::Announce { .. }
                | announce::Job::Report { .. }
        );
        let trouble = match &self.announcer {
            Some(Ok(tx)) => tx
                .send(job)
                .await
                .err()
                .map(|_| "the announcement task stopped".to_string()),
            Some(Err(e)) => Some(e.clone()),
            // Without announcements configured, deploy updates are simply not sent.
            None => asked.then(|| {
                "no [announce] section in config: add one (Slack or a webhook) to post releases"
                    .to_string()
            }),
        };
        if let Some(message) = trouble {
            self.problem("announcement", message).await;
        }
    }

    /// Saving a view to a file is I/O, so the front end asks the engine.
    fn write_file(&mut self, path: PathBuf, contents: String) {
        let events = self.events.clone();
        self.tasks.spawn(async move {
            let len = contents.len();
            let result = tokio::fs::write(&path, contents)
                .await
                .map(|()| len)
                .map_err(crate::engine::event::WriteError::from);
            let _ = events.send(Event::FileWritten { path, result }).await;
        });
    }

    fn start_metrics(&mut self) {
        if self.config.metrics.series.is_empty() {
            return;
        }
        self.metrics_running = true;
        // What is flagged on live now, shared with the gates.
        let flagged = self.gates.flags.clone();
        let internal = self.internal.clone();
        let (tx, mut rx) = mpsc::channel(16);
        let feed = crate::feeds::metrics::spawn(
            self.config.metrics.clone(),
            self.config.stacks.iter().map(|s| s.id.clone()).collect(),
            self.instances.subscribe(),
            self.watches.subscribe(),
            Some(self.config.release.metrics_history_path()),
            tx,
        );
        let events = self.events.clone();
        self.tasks.spawn(async move {
            // Flags raised go to the engine loop for the journal; every update goes on
            // to the front ends as it came.
            let mut flags = super::flags::FlagTracker::default();
            while let Some(update) = rx.recv().await {
                for raised in flags.update(&update) {
                    let _ = internal.send(Internal::FlagRaised(raised)).await;
                }
                // What is flagged on live, for the gates; the engine hears of a change
                // without the metrics ever waiting for it.
                let names: Vec<String> = update.flagged().map(|s| s.name.clone()).collect();
                let changed = flagged.lock().is_ok_and(|mut f| {
                    let was = f.insert(update.stack.clone(), names.clone());
                    was.unwrap_or_default() != names
                });
                if changed {
                    let _ = internal.try_send(Internal::FlagsChanged);
                }
                if events.send(Event::Metrics(Box::new(update))).await.is_err() {
                    break;
                }
            }
            feed.abort();
        });
    }

    async fn start_logs(&mut self) {
        let Some(stack) = self.logs.wanted_stack() else {
            return;
        };
        let instances = self.instances_of(&stack, &self.config.logs.env);
        match self
            .logs
            .start_due(&self.config, instances.as_ref(), &self.events)
        {
            Start::Idle => {}
            Start::NeedInstances(s) => self.list_instances(s, self.config.logs.env.clone()),
            Start::Announce(event) => self.emit(event).await,
        }
    }

    fn instances_of(&self, stack: &StackId, env: &Env) -> Option<Vec<Instance>> {
        if env == &self.live_env() {
            self.instances.borrow().get(stack).cloned()
        } else {
            self.other_instances
                .get(&(stack.clone(), env.clone()))
                .cloned()
        }
    }

    /// The last configured environment, where users are.
    pub(super) fn live_env(&self) -> Env {
        self.config
            .release
            .environments()
            .pop()
            .unwrap_or_else(Env::live)
    }

    /// Routes what the engine's own tasks sent back to the method that takes it in.
    async fn internal(&mut self, msg: Internal) {
        match msg {
            Internal::Versions(results) => self.versions_read(results).await,
            Internal::Journal(read) => self.journal_read(read).await,
            Internal::RepoReady(result) => self.repo_ready(result).await,
            Internal::Fetched(result) => self.fetched(result).await,
            Internal::Diff(pair, result) => self.diff_done(pair, result).await,
            Internal::Started {
                stack,
                action,
                result,
            } => self.started(stack, action, result).await,
            Internal::Instances(stack, env, result) => {
                self.instances_listed(stack, env, result).await;
            }
            Internal::AbortResult(stack, result) => self.abort_sent(stack, result).await,
            Internal::Smoke(stack, cause, report) => self.smoke_done(stack, cause, report).await,
            Internal::FlagRaised(raised) => self.flag_raised(raised).await,
            Internal::Approvals(results) => self.approvals_read(results).await,
            Internal::FlagsChanged => self.publish_gates().await,
        }
    }
}

impl Engine {
    /// Live's version as read: a change nobody here made starts a watch and is said;
    /// `true` when the journal should be read for who made it (or, at start, for the
    /// change a restart interrupted).
    pub(super) async fn observe_live(
        &mut self,
        stack: &StackId,
        live: &crate::model::Version,
    ) -> bool {
        match self.watches.observed(stack, live, Utc::now()) {
            super::watches::Seen::First => true,
            super::watches::Seen::Same | super::watches::Seen::Expected => false,
            super::watches::Seen::Outside { from, to } => {
                let name = self
                    .board
                    .get(stack)
                    .map_or_else(|| stack.to_string(), |s| s.name.clone());
                self.emit(Event::Notice(format!(
                    "{name}: live changed outside this dashboard, {} → {}; watching it",
                    from.short(),
                    to.short()
                )))
                .await;
                true
            }
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
