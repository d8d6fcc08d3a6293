//! The simulated deploy platform: versions per stack and environment, and deployments
//! that run as tasks through the steps of `assets/demo/deploy_steps.txt`, writing
//! Cosmos-like terminal output (ANSI colours, `\r` progress) that clients read by offset.
//!
//! State lives behind one mutex that is never held across an `.await`; deployment tasks
//! take it briefly to publish each line, and check on every step whether someone aborted
//! them, so an abort answered by the API is final the moment it is answered.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::assets::{DeployScript, StepKind, render};
use super::repo::RepoInfo;
use super::topology::Env;
use super::topology::{STACKS, Topology, stack_index};

/// Cosmos' deployment numbers were around here in the reference process.
pub const FIRST_DEPLOYMENT_ID: u64 = 5_639_226;
/// Output kept per deployment; older lines are dropped and the drop is reported to readers.
const MAX_OUTPUT_LINES: usize = 10_000;
/// Lines per output read, so one answer stays small however far behind a reader is.
const MAX_LINES_PER_READ: usize = 2_000;
/// Finished deployments kept for status and output reads.
const MAX_DEPLOYMENTS_KEPT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimState {
    Queued,
    Running,
    Succeeded,
    Aborted,
}

impl SimState {
    pub fn word(self) -> &'static str {
        match self {
            SimState::Queued => "queued",
            SimState::Running => "running",
            SimState::Succeeded => "succeeded",
            SimState::Aborted => "aborted",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, SimState::Succeeded | SimState::Aborted)
    }
}

/// A request the platform refuses, phrased for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    NotFound(String),
    BadRequest(String),
    Conflict(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct ActiveView {
    pub id: String,
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvView {
    pub stack: String,
    pub environment: &'static str,
    pub version: String,
    pub deployed_at: String,
    pub deployment: Option<ActiveView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentView {
    pub id: String,
    pub url: String,
    pub stack: String,
    pub environment: &'static str,
    pub state: &'static str,
    pub progress: f64,
    pub message: String,
    pub version: String,
    pub from_version: String,
    pub rollback: bool,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputView {
    pub lines: Vec<String>,
    pub next_offset: u64,
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceView {
    pub id: String,
    pub host: String,
    pub state: &'static str,
    pub zone: &'static str,
    pub version: String,
    pub launched_at: String,
}

/// What traffic and logs need to know about an environment, read once per tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSnapshot {
    pub version: String,
    /// Bumped by every successful deployment: the instances restarted.
    pub generation: u64,
}

struct EnvState {
    version: String,
    deployed_at: DateTime<Utc>,
    active: Option<u64>,
    generation: u64,
}

struct Deployment {
    stack: usize,
    env: Env,
    version: String,
    from_version: String,
    rollback: bool,
    state: SimState,
    progress: f64,
    message: String,
    output: VecDeque<String>,
    /// Offset of `output[0]`: lines before it were dropped.
    first_offset: u64,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    /// Values for the templates written after the run (success, aborted).
    vars: BTreeMap<&'static str, String>,
    stop: CancellationToken,
}

impl Deployment {
    fn end_offset(&self) -> u64 {
        self.first_offset + self.output.len() as u64
    }

    fn push(&mut self, line: &str) {
        let stamp = chrono::Local::now().format("[%H:%M:%S]").to_string();
        // Every `\r` rewrite carries the stamp, as a real job's progress line would:
        // a shorter rewrite must cover the whole of the one before it.
        let stamped: Vec<String> = line
            .split('\r')
            .map(|seg| format!("{stamp} {seg}"))
            .collect();
        self.output.push_back(stamped.join("\r"));
        while self.output.len() > MAX_OUTPUT_LINES {
            self.output.pop_front();
            self.first_offset += 1;
        }
    }
}

struct State {
    /// `[stack][environment slot]`, in promotion order (the last is live).
    envs: Vec<Vec<EnvState>>,
    deployments: BTreeMap<u64, Deployment>,
    next_id: u64,
}

struct PlannedStep {
    queued: bool,
    message: String,
    lines: Vec<String>,
}

pub struct PlatformSim {
    topo: Arc<Topology>,
    repo: Arc<RepoInfo>,
    script: DeployScript,
    step: Duration,
    base_url: String,
    state: Mutex<State>,
    cancel: CancellationToken,
    runners: Mutex<Vec<JoinHandle<()>>>,
}

fn env_slot(env: Env) -> usize {
    env.slot()
}

fn find_stack(id: &str) -> Result<usize, SimError> {
    stack_index(id).ok_or_else(|| {
        let known: Vec<&str> = STACKS.iter().map(|s| s.id).collect();
        SimError::NotFound(format!(
            "unknown stack '{id}' (known: {})",
            known.join(", ")
        ))
    })
}

fn parse_id(text: &str) -> Result<u64, SimError> {
    text.parse()
        .map_err(|_| SimError::NotFound(format!("no deployment '{text}'")))
}

fn short(version: &str) -> String {
    version.chars().take(7).collect()
}

/// A poisoned lock only means a task panicked mid-update; the data is still usable and
/// the demo should keep serving rather than cascade the panic into every handler.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PlatformSim {
    pub fn new(
        topo: Arc<Topology>,
        repo: Arc<RepoInfo>,
        script: DeployScript,
        step: Duration,
        base_url: String,
        cancel: CancellationToken,
    ) -> Arc<PlatformSim> {
        let now = Utc::now();
        let envs = STACKS
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let live = match spec.id {
                    "www" => repo.live_recent.clone(),
                    // Live holds a hotfix test lacks: the demo's drift. (Not on sally's
                    // old version: bruce there is her control when she is watched.)
                    "cedric" => repo.live_hotfix.clone(),
                    _ => repo.live_older.clone(),
                };
                // New versions arrive on the first environment; any between it and live
                // still run live's version, so each stack's next step is the first one.
                Env::all(topo.env_count)
                    .map(|env| {
                        let (version, deployed_at) = if env.slot() == 0 {
                            (
                                repo.head.clone(),
                                now - chrono::Duration::minutes(50 + 7 * i as i64),
                            )
                        } else {
                            (
                                live.clone(),
                                now - chrono::Duration::hours(if i < 2 { 26 } else { 74 }),
                            )
                        };
                        EnvState {
                            version,
                            deployed_at,
                            active: None,
                            generation: 0,
                        }
                    })
                    .collect()
            })
            .collect();
        Arc::new(PlatformSim {
            topo,
            repo,
            script,
            step,
            base_url,
            state: Mutex::new(State {
                envs,
                deployments: BTreeMap::new(),
                next_id: FIRST_DEPLOYMENT_ID,
            }),
            cancel,
            runners: Mutex::new(Vec::new()),
        })
    }

    pub fn repo(&self) -> Arc<RepoInfo> {
        Arc::clone(&self.repo)
    }

    pub fn snapshot(&self) -> Vec<Vec<EnvSnapshot>> {
        let st = lock(&self.state);
        st.envs
            .iter()
            .map(|envs| {
                envs.iter()
                    .map(|e| EnvSnapshot {
                        version: e.version.clone(),
                        generation: e.generation,
                    })
                    .collect()
            })
            .collect()
    }

    /// The environment called `name` in this world.
    fn parse_env(&self, name: &str) -> Result<Env, SimError> {
        Env::parse(name, self.topo.env_count).ok_or_else(|| {
            SimError::NotFound(format!(
                "unknown environment '{}' (known: {})",
                crate::text::one_line(name, 40),
                Env::names(self.topo.env_count).join(", ")
            ))
        })
    }

    /// Live in this world.
    pub fn live_env(&self) -> Env {
        Env::live(self.topo.env_count)
    }

    pub fn version_of(&self, stack: usize, env: Env) -> Option<String> {
        let st = lock(&self.state);
        st.envs.get(stack).map(|e| e[env_slot(env)].version.clone())
    }

    pub fn env_view(&self, stack_id: &str, env_name: &str) -> Result<EnvView, SimError> {
        let stack = find_stack(stack_id)?;
        let env = self.parse_env(env_name)?;
        let st = lock(&self.state);
        let e = &st.envs[stack][env_slot(env)];
        let deployment = e.active.and_then(|id| {
            st.deployments.get(&id).map(|d| ActiveView {
                id: id.to_string(),
                state: d.state.word(),
            })
        });
        Ok(EnvView {
            stack: STACKS[stack].id.to_string(),
            environment: env.as_str(),
            version: e.version.clone(),
            deployed_at: e
                .deployed_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            deployment,
        })
    }

    pub fn instances(&self, stack_id: &str, env_name: &str) -> Result<Vec<InstanceView>, SimError> {
        let stack = find_stack(stack_id)?;
        let env = self.parse_env(env_name)?;
        let st = lock(&self.state);
        let e = &st.envs[stack][env_slot(env)];
        Ok(self
            .topo
            .of(stack, env)
            .map(|(_, i)| InstanceView {
                id: i.id.clone(),
                host: i.host.clone(),
                state: "running",
                zone: i.zone,
                version: e.version.clone(),
                launched_at: e
                    .deployed_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
            .collect())
    }

    pub fn env_config(
        &self,
        stack_id: &str,
        env_name: &str,
    ) -> Result<BTreeMap<String, String>, SimError> {
        let stack = find_stack(stack_id)?;
        let env = self.parse_env(env_name)?;
        Ok(super::env_config::for_env(STACKS[stack].id, env))
    }

    /// Starts deploying `version` (a full commit id or a tag) to a stack's environment.
    pub fn start(
        self: &Arc<Self>,
        stack_id: &str,
        env_name: &str,
        version: &str,
        rollback: bool,
    ) -> Result<DeploymentView, SimError> {
        let stack = find_stack(stack_id)?;
        let env = self.parse_env(env_name)?;
        let version = self.repo.resolve(version).ok_or_else(|| {
            SimError::BadRequest(format!(
                "unknown version '{}': not a commit or tag of belfrage",
                crate::text::one_line(version, 80)
            ))
        })?;
        let mut st = lock(&self.state);
        let slot = &st.envs[stack][env_slot(env)];
        if let Some(active) = slot.active {
            return Err(SimError::Conflict(format!(
                "deployment {active} is already in flight for {} {}",
                STACKS[stack].name,
                env.as_str()
            )));
        }
        let from_version = slot.version.clone();
        let id = st.next_id;
        st.next_id += 1;
        let vars = self.vars(id, stack, env, &version, &from_version, rollback);
        let plan = self.plan(stack, env, &vars);
        let stop = self.cancel.child_token();
        st.deployments.insert(
            id,
            Deployment {
                stack,
                env,
                version: version.clone(),
                from_version,
                rollback,
                state: SimState::Queued,
                progress: 0.0,
                message: "Queued".into(),
                output: VecDeque::new(),
                first_offset: 0,
                created_at: Utc::now(),
                finished_at: None,
                vars,
                stop: stop.clone(),
            },
        );
        st.envs[stack][env_slot(env)].active = Some(id);
        prune(&mut st);
        let view = self.view(id, &st);
        drop(st);

        let sim = Arc::clone(self);
        let handle = tokio::spawn(async move { sim.run(id, plan, stop).await });
        let mut runners = lock(&self.runners);
        runners.retain(|h| !h.is_finished());
        runners.push(handle);
        view.ok_or_else(|| SimError::NotFound(format!("no deployment {id}")))
    }

    pub fn status(&self, stack_id: &str, id_text: &str) -> Result<DeploymentView, SimError> {
        let stack = find_stack(stack_id)?;
        let id = parse_id(id_text)?;
        let st = lock(&self.state);
        match st.deployments.get(&id) {
            Some(d) if d.stack == stack => self
                .view(id, &st)
                .ok_or_else(|| SimError::NotFound(format!("no deployment {id}"))),
            _ => Err(SimError::NotFound(format!(
                "no deployment {id} for stack {}",
                STACKS[stack].id
            ))),
        }
    }

    /// The deployment's stack id, for the plain-text terminal page that has no stack in its path.
    pub fn stack_of(&self, id_text: &str) -> Result<&'static str, SimError> {
        let id = parse_id(id_text)?;
        let st = lock(&self.state);
        st.deployments
            .get(&id)
            .map(|d| STACKS[d.stack].id)
            .ok_or_else(|| SimError::NotFound(format!("no deployment {id}")))
    }

    pub fn output(
        &self,
        stack_id: &str,
        id_text: &str,
        offset: u64,
    ) -> Result<OutputView, SimError> {
        let stack = find_stack(stack_id)?;
        let id = parse_id(id_text)?;
        let st = lock(&self.state);
        let d = st
            .deployments
            .get(&id)
            .filter(|d| d.stack == stack)
            .ok_or_else(|| {
                SimError::NotFound(format!("no deployment {id} for stack {stack_id}"))
            })?;
        let mut lines = Vec::new();
        let start = offset.max(d.first_offset);
        if offset < d.first_offset {
            // Say what the reader missed instead of silently skipping it.
            lines.push(format!(
                "… {} earlier lines dropped (only the last {MAX_OUTPUT_LINES} are kept)",
                d.first_offset - offset
            ));
        }
        let skip = usize::try_from(start - d.first_offset).unwrap_or(usize::MAX);
        lines.extend(d.output.iter().skip(skip).take(MAX_LINES_PER_READ).cloned());
        let read = lines.len() as u64 - u64::from(offset < d.first_offset);
        let next_offset = if skip >= d.output.len() {
            d.end_offset()
        } else {
            start + read
        };
        Ok(OutputView {
            lines,
            next_offset,
            complete: d.state.is_finished() && next_offset >= d.end_offset(),
        })
    }

    /// Stops a deployment that is still in flight; the environment keeps its version.
    pub fn abort(
        &self,
        stack_id: &str,
        id_text: &str,
        who: &str,
    ) -> Result<DeploymentView, SimError> {
        let stack = find_stack(stack_id)?;
        let id = parse_id(id_text)?;
        let mut st = lock(&self.state);
        let Some(d) = st.deployments.get_mut(&id).filter(|d| d.stack == stack) else {
            return Err(SimError::NotFound(format!(
                "no deployment {id} for stack {stack_id}"
            )));
        };
        if d.state.is_finished() {
            return Err(SimError::Conflict(format!(
                "deployment {id} has already {}",
                d.state.word()
            )));
        }
        let step = d.message.clone();
        d.vars.insert("who", crate::text::one_line(who, 80));
        d.vars.insert("step", step);
        let lines: Vec<String> = self
            .script
            .aborted
            .iter()
            .map(|t| render(t, &|k| d.vars.get(k).cloned()))
            .collect();
        for line in &lines {
            d.push(line);
        }
        d.state = SimState::Aborted;
        d.message = format!("Aborted by {}", crate::text::one_line(who, 80));
        d.finished_at = Some(Utc::now());
        d.stop.cancel();
        let (env, stack) = (d.env, d.stack);
        let slot = &mut st.envs[stack][env_slot(env)];
        if slot.active == Some(id) {
            slot.active = None;
        }
        self.view(id, &st)
            .ok_or_else(|| SimError::NotFound(format!("no deployment {id}")))
    }

    /// Waits for (or, past the grace period, aborts) every deployment task.
    pub async fn stop_runners(&self, grace: Duration) {
        let handles: Vec<JoinHandle<()>> = lock(&self.runners).drain(..).collect();
        for h in handles {
            let abort = h.abort_handle();
            if tokio::time::timeout(grace, h).await.is_err() {
                abort.abort();
            }
        }
    }

    pub fn abort_runners(&self) {
        for h in lock(&self.runners).drain(..) {
            h.abort();
        }
    }

    fn view(&self, id: u64, st: &State) -> Option<DeploymentView> {
        let d = st.deployments.get(&id)?;
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Some(DeploymentView {
            id: id.to_string(),
            url: format!("{}/deployments/{id}", self.base_url),
            stack: STACKS[d.stack].id.to_string(),
            environment: d.env.as_str(),
            state: d.state.word(),
            progress: (d.progress * 1000.0).round() / 1000.0,
            message: d.message.clone(),
            version: d.version.clone(),
            from_version: d.from_version.clone(),
            rollback: d.rollback,
            created_at: stamp(d.created_at),
            finished_at: d.finished_at.map(stamp),
        })
    }

    fn vars(
        &self,
        id: u64,
        stack: usize,
        env: Env,
        version: &str,
        from: &str,
        rollback: bool,
    ) -> BTreeMap<&'static str, String> {
        let mut rng = fastrand::Rng::with_seed(id);
        let mut v = BTreeMap::new();
        v.insert("id", id.to_string());
        v.insert("stack", STACKS[stack].id.to_string());
        v.insert("stack_name", STACKS[stack].name.to_string());
        v.insert("env", env.as_str().to_string());
        v.insert("version", version.to_string());
        v.insert("short", short(version));
        v.insert("from_short", short(from));
        let kind = match (rollback, env.is_live()) {
            (true, _) => "rollback of",
            (false, true) => "promotion of",
            (false, false) => "deployment of",
        };
        v.insert("kind", kind.to_string());
        v.insert("sha", (0..64).map(|_| rng.digit(16)).collect());
        v.insert(
            "lt",
            format!("lt-0{}", (0..16).map(|_| rng.digit(16)).collect::<String>()),
        );
        v.insert("total", self.topo.of(stack, env).count().to_string());
        // The deploy job's smoke check sees what users will: the bad release fails it.
        let smoke = if super::world::release_is_bad(&self.repo, stack, version) {
            "\u{1b}[33m500 upstream timeout\u{1b}[0m (smoke failures do not stop the deployment)"
        } else {
            "\u{1b}[32m200\u{1b}[0m"
        };
        v.insert("smoke_article", smoke.to_string());
        v
    }

    fn plan(
        &self,
        stack: usize,
        env: Env,
        vars: &BTreeMap<&'static str, String>,
    ) -> Vec<PlannedStep> {
        let instances: Vec<(String, String)> = self
            .topo
            .of(stack, env)
            .map(|(_, i)| (i.id.clone(), i.host.clone()))
            .collect();
        // Seeded by the deployment id: the same deployment always reads the same.
        let seed = vars.get("id").and_then(|id| id.parse().ok()).unwrap_or(0);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut steps = Vec::new();
        for t in &self.script.steps {
            let rounds: Vec<Option<(usize, &(String, String))>> = match t.kind {
                StepKind::EachInstance => instances.iter().enumerate().map(Some).collect(),
                _ => vec![None],
            };
            for round in rounds {
                let mut local = vars.clone();
                if let Some((n, (id, host))) = round {
                    local.insert("n", (n + 1).to_string());
                    local.insert("instance", id.clone());
                    local.insert("host", host.clone());
                    local.insert("secs", format!("{}.{}", rng.u8(3..9), rng.u8(0..10)));
                }
                let get = |k: &str| local.get(k).cloned();
                steps.push(PlannedStep {
                    queued: t.kind == StepKind::Queued,
                    message: render(&t.message, &get),
                    lines: t.lines.iter().map(|l| render(l, &get)).collect(),
                });
            }
        }
        steps
    }

    /// Applies `f` to a deployment that is still in flight; false once it is finished
    /// (aborted) or gone, which tells the task to stop.
    fn update(&self, id: u64, f: impl FnOnce(&mut Deployment)) -> bool {
        let mut st = lock(&self.state);
        match st.deployments.get_mut(&id) {
            Some(d) if !d.state.is_finished() => {
                f(d);
                true
            }
            _ => false,
        }
    }

    async fn run(self: Arc<Self>, id: u64, plan: Vec<PlannedStep>, stop: CancellationToken) {
        let total = plan.len().max(1) as f64;
        for (i, step) in plan.iter().enumerate() {
            let started = self.update(id, |d| {
                d.state = if step.queued {
                    SimState::Queued
                } else {
                    SimState::Running
                };
                d.message = step.message.clone();
                d.progress = i as f64 / total;
            });
            if !started {
                return;
            }
            // The step's lines appear spread over its duration, like a real terminal.
            let pause = self.step / step.lines.len().max(1) as u32;
            if step.lines.is_empty() && !sleep_unless(self.step, &stop).await {
                return;
            }
            for line in &step.lines {
                if !self.update(id, |d| d.push(line)) || !sleep_unless(pause, &stop).await {
                    return;
                }
            }
        }
        self.succeed(id);
    }

    fn succeed(&self, id: u64) {
        let mut st = lock(&self.state);
        let Some(d) = st.deployments.get_mut(&id) else {
            return;
        };
        if d.state.is_finished() {
            return;
        }
        let lines: Vec<String> = self
            .script
            .success
            .iter()
            .map(|t| render(t, &|k| d.vars.get(k).cloned()))
            .collect();
        for line in &lines {
            d.push(line);
        }
        d.state = SimState::Succeeded;
        d.progress = 1.0;
        d.message = format!("Deployed {} to {}", short(&d.version), d.env.as_str());
        let now = Utc::now();
        d.finished_at = Some(now);
        let (stack, env, version) = (d.stack, d.env, d.version.clone());
        let slot = &mut st.envs[stack][env_slot(env)];
        slot.version = version;
        slot.deployed_at = now;
        slot.generation += 1;
        if slot.active == Some(id) {
            slot.active = None;
        }
    }
}

/// False when the deployment (or the whole demo) was stopped during the pause.
async fn sleep_unless(pause: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(pause) => true,
        () = stop.cancelled() => false,
    }
}

/// Forgets the oldest finished deployments beyond the bound.
fn prune(st: &mut State) {
    while st.deployments.len() > MAX_DEPLOYMENTS_KEPT {
        let oldest_finished = st
            .deployments
            .iter()
            .find(|(_, d)| d.state.is_finished())
            .map(|(id, _)| *id);
        match oldest_finished {
            Some(id) => {
                st.deployments.remove(&id);
            }
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(step_ms: u64) -> (Arc<PlatformSim>, Arc<RepoInfo>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let material = super::super::assets::commit_material().unwrap();
        let repo = Arc::new(super::super::repo::generate(dir.path(), &material).unwrap());
        let script = super::super::assets::deploy_script().unwrap();
        let sim = PlatformSim::new(
            Arc::new(Topology::new()),
            repo.clone(),
            script,
            Duration::from_millis(step_ms),
            "http://127.0.0.1:1".into(),
            CancellationToken::new(),
        );
        (sim, repo, dir)
    }

    #[tokio::test]
    async fn refuses_bad_requests_with_reasons() {
        let (sim, repo, _dir) = sim(5);
        assert!(matches!(
            sim.env_view("nope", "live"),
            Err(SimError::NotFound(_))
        ));
        assert!(matches!(
            sim.env_view("www", "prod"),
            Err(SimError::NotFound(_))
        ));
        assert!(matches!(
            sim.start("www", "live", "deadbeef", false),
            Err(SimError::BadRequest(_))
        ));
        let d = sim.start("www", "live", &repo.head, false).unwrap();
        assert_eq!(d.id, FIRST_DEPLOYMENT_ID.to_string());
        assert!(matches!(
            sim.start("www", "live", &repo.head, false),
            Err(SimError::Conflict(_))
        ));
        // Another environment of the same stack is independent.
        let t = sim.start("www", "test", "v1.41.0", false).unwrap();
        assert_eq!(t.id, (FIRST_DEPLOYMENT_ID + 1).to_string());
        assert!(matches!(
            sim.status("cedric", &d.id),
            Err(SimError::NotFound(_))
        ));
        assert!(matches!(
            sim.status("www", "x1"),
            Err(SimError::NotFound(_))
        ));
        sim.abort("www", &d.id, "test").unwrap();
        assert!(matches!(
            sim.abort("www", &d.id, "test"),
            Err(SimError::Conflict(_))
        ));
    }

    #[tokio::test]
    async fn output_offsets_resume_where_they_left_off() {
        let (sim, repo, _dir) = sim(2);
        let d = sim.start("cedric", "test", &repo.live_older, true).unwrap();
        let mut offset = 0;
        let mut lines = Vec::new();
        loop {
            let out = sim.output("cedric", &d.id, offset).unwrap();
            assert!(out.next_offset >= offset);
            offset = out.next_offset;
            lines.extend(out.lines);
            if out.complete {
                break;
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        let again = sim.output("cedric", &d.id, 0).unwrap();
        assert_eq!(again.lines, lines, "a full re-read gives the same lines");
        assert!(lines[0].contains("rollback of"));
        let past = sim.output("cedric", &d.id, offset + 50).unwrap();
        assert!(past.lines.is_empty() && past.complete);
        assert_eq!(
            sim.version_of(1, Env::first(2)),
            Some(repo.live_older.clone())
        );
    }
}
