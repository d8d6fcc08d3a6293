//! The `command` platform: every operation is a command from config (kubectl, helm, a
//! deploy script, a cloud CLI). Reads capture a short command's output; a deployment runs
//! its command(s) in the background and serves their output as the deploy output. See
//! `docs/command-platform.md` for the contract.

mod output;
pub(crate) mod parse;
mod run;
pub(crate) mod templates;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveDateTime, Utc};

use super::exec::{Captured, capture};
use super::template::{CommandTemplate, RenderedCommand};
use super::{Capabilities, DeployRequest, OutputChunk, Platform, PlatformError};
use crate::config::CommandPlatformConfig;
use crate::model::{
    DeployState, DeployStatus, DeploymentId, DeploymentRef, Env, EnvVersion, InFlight, Instance,
    StackId, StackVersions, Version,
};
use run::{Deployment, Ran, RunSettings};
use templates::Templates;

/// The most a read command may print (versions, instances, status, config).
const READ_LIMIT: usize = 4 * 1024 * 1024;
/// Deployments remembered after they end, for late reads of their status and output.
const KEPT: usize = 64;
/// Beyond the grace period and the abort command's timeout, how long an abort may take.
const ABORT_SLACK: Duration = Duration::from_secs(5);

/// The command platform's operations, each one template in config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Versions,
    Instances,
    Promote,
    Rollback,
    Abort,
    Status,
    Config,
}

/// What a template is filled with. `env` is slipway's name for the environment; the
/// platform maps it through `env_names`. Each operation uses only its own placeholders.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateValues<'a> {
    pub stack: &'a str,
    pub env: &'a str,
    pub version: &'a str,
    pub previous: &'a str,
    pub user: &'a str,
    pub id: &'a str,
}

pub struct CommandPlatform {
    cfg: CommandPlatformConfig,
    templates: Templates,
    /// slipway's environments in promotion order.
    environments: Vec<Env>,
    deployments: Mutex<Deployments>,
}

/// This process's deployments, oldest first; bounded (running ones are never evicted).
#[derive(Default)]
struct Deployments {
    by_id: HashMap<DeploymentId, Arc<Deployment>>,
    order: VecDeque<DeploymentId>,
}

impl CommandPlatform {
    pub fn new(cfg: CommandPlatformConfig, environments: Vec<Env>) -> Result<Self, PlatformError> {
        let templates = Templates::from_config(&cfg)
            .map_err(|(key, msg)| PlatformError::Config(format!("platform.{key}: {msg}")))?;
        Ok(CommandPlatform {
            cfg,
            templates,
            environments,
            deployments: Mutex::new(Deployments::default()),
        })
    }

    /// The platform's name for one of slipway's environments: what `{env}` becomes.
    fn env_name<'a>(&'a self, env: &'a str) -> &'a str {
        self.cfg.env_names.get(env).map_or(env, String::as_str)
    }

    fn template(&self, op: Operation) -> Option<&CommandTemplate> {
        match op {
            Operation::Versions => Some(&self.templates.versions),
            Operation::Instances => self.templates.instances.as_ref(),
            Operation::Promote => Some(&self.templates.promote),
            Operation::Rollback => Some(&self.templates.rollback),
            Operation::Abort => self.templates.abort.as_ref(),
            Operation::Status => self.templates.status.as_ref(),
            Operation::Config => self.templates.config.as_ref(),
        }
    }

    /// The exact commands `op` runs for these values, in order (`None` when it is not
    /// configured): what a dry run shows, and what the platform itself runs.
    pub fn commands(&self, op: Operation, v: &TemplateValues<'_>) -> Option<Vec<RenderedCommand>> {
        let names = match op {
            Operation::Versions | Operation::Instances | Operation::Config => templates::READ,
            Operation::Promote | Operation::Rollback => templates::DEPLOY,
            Operation::Abort | Operation::Status => templates::FOLLOW,
        };
        let env = self.env_name(v.env);
        let all = [
            ("stack", v.stack),
            ("env", env),
            ("version", v.version),
            ("previous", v.previous),
            ("user", v.user),
            ("id", v.id),
        ];
        let vars: Vec<(&str, &str)> = all
            .into_iter()
            .filter(|(name, _)| names.contains(name))
            .collect();
        self.template(op).map(|t| t.render(&vars))
    }

    fn read_timeout(&self) -> Duration {
        Duration::from_secs(self.cfg.timeout_secs)
    }

    fn deployments(&self) -> MutexGuard<'_, Deployments> {
        self.deployments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn known(&self, id: &DeploymentId) -> Option<Arc<Deployment>> {
        self.deployments().by_id.get(id).cloned()
    }

    /// Runs a read command and returns its output as text, or an error naming `action`
    /// (`Unsupported` when `op` is not configured).
    async fn read_text(
        &self,
        action: &str,
        op: Operation,
        values: &TemplateValues<'_>,
    ) -> Result<String, PlatformError> {
        let commands = self
            .commands(op, values)
            .ok_or_else(|| PlatformError::Unsupported {
                action: action.to_string(),
            })?;
        let mut out = String::new();
        // A read template may have steps: each must succeed; the last one's output counts.
        for cmd in commands {
            let captured: Captured = capture(&cmd, self.read_timeout(), READ_LIMIT)
                .await
                .and_then(Captured::require_success)
                .map_err(|e| e.within(action))?;
            out = captured
                .stdout_text()
                .map_err(|e| e.within(action))?
                .to_string();
        }
        Ok(out)
    }

    async fn env_version(&self, stack: &StackId, env: &Env) -> Result<Version, PlatformError> {
        let action = format!("read {stack} {env} version");
        let text = self
            .read_text(&action, Operation::Versions, &read(stack, env))
            .await?;
        parse::version(
            &text,
            self.cfg.version_pointer.as_deref(),
            self.templates.version_regex.as_ref(),
        )
        .map(Version::new)
        .map_err(|detail| PlatformError::BadResponse { action, detail })
    }

    /// Asks the `status` command about a deployment.
    async fn ask_status(
        &self,
        stack: &StackId,
        env: &Env,
        id: &DeploymentId,
    ) -> Result<DeployStatus, PlatformError> {
        let action = format!("read the status of deployment {id}");
        let text = self
            .read_text(&action, Operation::Status, &follow(stack, env, id))
            .await?;
        let pointers = parse::StatusPointers {
            state: self.cfg.state_pointer.as_deref(),
            progress: self.cfg.progress_pointer.as_deref(),
            message: self.cfg.message_pointer.as_deref(),
        };
        parse::status(&text, pointers, &self.cfg.states)
            .map_err(|detail| PlatformError::BadResponse { action, detail })
    }

    /// A new deployment id: the environment, the start time and a random suffix
    /// (`live-20250501-120301-3fa2`), so that after a restart the `status` and `abort`
    /// commands still know where it went and how long it has been running.
    fn new_id(env: &Env) -> DeploymentId {
        DeploymentId::new(format!(
            "{}-{}-{:04x}",
            env.as_str(),
            Utc::now().format("%Y%m%d-%H%M%S"),
            fastrand::u16(..)
        ))
    }

    /// The environment and start time named by an id from [`CommandPlatform::new_id`].
    fn parse_id(&self, id: &DeploymentId) -> Option<(Env, chrono::DateTime<Utc>)> {
        let mut envs: Vec<&Env> = self.environments.iter().collect();
        // `live-eu` before `live`, so the longest name that fits wins.
        envs.sort_by_key(|e| std::cmp::Reverse(e.as_str().len()));
        envs.into_iter().find_map(|env| {
            let rest = id.as_str().strip_prefix(env.as_str())?.strip_prefix('-')?;
            let stamp = rest.get(..15)?;
            let at = NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok()?;
            Some((env.clone(), at.and_utc()))
        })
    }

    fn remember(&self, deployment: Arc<Deployment>) {
        let mut all = self.deployments();
        all.order.push_back(deployment.id.clone());
        all.by_id.insert(deployment.id.clone(), deployment);
        while all.order.len() > KEPT {
            // The oldest that has ended goes; running ones stay whatever the count.
            let ended = all.order.iter().position(|id| {
                all.by_id
                    .get(id)
                    .is_none_or(|d| matches!(d.ran(), Ran::Ended(_)))
            });
            let Some(at) = ended else { break };
            if let Some(id) = all.order.remove(at) {
                all.by_id.remove(&id);
            }
        }
    }

    fn timed_out(&self) -> DeployStatus {
        let secs = self.cfg.deploy_timeout_secs;
        DeployStatus {
            state: DeployState::Failed,
            raw_state: "failed".into(),
            progress: None,
            message: Some(format!("timed out after {secs}s")),
        }
    }

    /// A deployment this process did not start (it was started before a restart): only
    /// the `status` command can say how it is.
    async fn unknown_status(
        &self,
        stack: &StackId,
        id: &DeploymentId,
    ) -> Result<DeployStatus, PlatformError> {
        if self.templates.status.is_none() {
            return Ok(DeployStatus {
                state: DeployState::Failed,
                raw_state: "unknown".into(),
                progress: None,
                message: Some(
                    "its command ran in a slipway process that has ended (and stopped it); no status command is configured to ask the platform how it ended".into(),
                ),
            });
        }
        let (env, started) = self
            .parse_id(id)
            .ok_or_else(|| PlatformError::BadResponse {
                action: format!("read the status of deployment {id}"),
                detail: "not an id this platform gives (ENV-YYYYMMDD-HHMMSS-XXXX)".into(),
            })?;
        let elapsed = (Utc::now() - started).to_std().unwrap_or_default();
        let past_deadline = elapsed.as_secs() >= self.cfg.deploy_timeout_secs;
        match self.ask_status(stack, &env, id).await {
            Ok(status) if !status.state.is_finished() && past_deadline => Ok(self.timed_out()),
            Ok(status) => Ok(status),
            Err(_) if past_deadline => Ok(self.timed_out()),
            Err(e) => Err(e),
        }
    }

    /// The abort command (its first step: an abort template is one command).
    fn abort_command(
        &self,
        stack: &StackId,
        env: &Env,
        id: &DeploymentId,
    ) -> Option<RenderedCommand> {
        self.commands(Operation::Abort, &follow(stack, env, id))
            .and_then(|c| c.into_iter().next())
    }

    /// Runs the abort command on its own (the deploy command is no longer running).
    async fn run_abort_command(
        &self,
        action: &str,
        stack: &StackId,
        env: &Env,
        id: &DeploymentId,
    ) -> Result<(), PlatformError> {
        if self.templates.abort.is_none() {
            return Err(PlatformError::Unsupported {
                action: format!(
                    "{action} (its command has finished and no abort command is configured)"
                ),
            });
        }
        self.read_text(action, Operation::Abort, &follow(stack, env, id))
            .await
            .map(|_| ())
    }
}

fn read<'a>(stack: &'a StackId, env: &'a Env) -> TemplateValues<'a> {
    TemplateValues {
        stack: stack.as_str(),
        env: env.as_str(),
        ..TemplateValues::default()
    }
}

fn follow<'a>(stack: &'a StackId, env: &'a Env, id: &'a DeploymentId) -> TemplateValues<'a> {
    TemplateValues {
        stack: stack.as_str(),
        env: env.as_str(),
        id: id.as_str(),
        ..TemplateValues::default()
    }
}

impl Drop for CommandPlatform {
    fn drop(&mut self) {
        for d in self.deployments().by_id.values() {
            d.kill();
        }
    }
}

#[async_trait]
impl Platform for CommandPlatform {
    fn stops_with_us(&self) -> Option<String> {
        Some("the deploy command runs as a child of this slipway".into())
    }

    fn describe(&self) -> String {
        format!("command {}", self.templates.promote.program())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // Interrupting the command is an abort only when the deployment lives no
            // longer than its command; otherwise the platform must be told.
            abort: self.templates.abort.is_some() || self.templates.status.is_none(),
            config: self.templates.config.is_some(),
            instances: self.templates.instances.is_some(),
            lock: false,
            // Approvals stay in the journal.
            approvals: false,
        }
    }

    async fn versions(&self, stack: &StackId) -> Result<StackVersions, PlatformError> {
        let answers = futures::future::join_all(
            self.environments
                .iter()
                .map(|env| self.env_version(stack, env)),
        )
        .await;
        let mut envs = Vec::with_capacity(answers.len());
        for (env, answer) in self.environments.iter().zip(answers) {
            envs.push(EnvVersion {
                env: env.clone(),
                version: answer?,
            });
        }
        let with_status = self.templates.status.is_some();
        let in_flight = self
            .deployments()
            .by_id
            .values()
            .find(|d| {
                &d.stack == stack
                    && match d.ran() {
                        Ran::Running { .. } => true,
                        Ran::CommandsSucceeded => with_status,
                        Ran::Ended(_) => false,
                    }
            })
            .map(|d| InFlight {
                env: d.env.clone(),
                id: d.id.clone(),
            });
        Ok(StackVersions::new(envs, in_flight))
    }

    fn plan_deploy(&self, request: &DeployRequest) -> Vec<String> {
        let op = if request.rollback {
            Operation::Rollback
        } else {
            Operation::Promote
        };
        let values = TemplateValues {
            stack: request.stack.as_str(),
            env: request.env.as_str(),
            version: request.version.as_str(),
            previous: request.previous.as_str(),
            user: request.user.as_str(),
            id: "(new)",
        };
        self.commands(op, &values)
            .unwrap_or_default()
            .iter()
            .map(|c| format!("$ {}", c.display()))
            .collect()
    }

    async fn deploy(&self, request: &DeployRequest) -> Result<DeploymentRef, PlatformError> {
        let action = request.describe();
        let busy = self
            .deployments()
            .by_id
            .values()
            .any(|d| d.stack == request.stack && matches!(d.ran(), Ran::Running { .. }));
        if busy {
            return Err(PlatformError::Conflict {
                action,
                detail: "its deploy command is still running".into(),
            });
        }
        let op = if request.rollback {
            Operation::Rollback
        } else {
            Operation::Promote
        };
        let id = Self::new_id(&request.env);
        let values = TemplateValues {
            stack: request.stack.as_str(),
            env: request.env.as_str(),
            version: request.version.as_str(),
            previous: request.previous.as_str(),
            user: request.user.as_str(),
            id: id.as_str(),
        };
        let steps = self.commands(op, &values).unwrap_or_default();
        let settings = RunSettings {
            deploy_timeout: Duration::from_secs(self.cfg.deploy_timeout_secs),
            grace: Duration::from_secs(self.cfg.abort_grace_secs),
            read_timeout: self.read_timeout(),
            output_lines: self.cfg.output_lines,
        };
        tracing::info!(stack = %request.stack, env = %request.env, id = %id, "starting deploy command");
        let deployment = run::start(
            id.clone(),
            request.stack.clone(),
            request.env.clone(),
            steps,
            settings,
        )
        .map_err(|e| e.within(&action))?;
        self.remember(deployment);
        Ok(DeploymentRef { id, url: None })
    }

    async fn deployment_status(
        &self,
        stack: &StackId,
        id: &DeploymentId,
    ) -> Result<DeployStatus, PlatformError> {
        let Some(d) = self.known(id) else {
            return self.unknown_status(stack, id).await;
        };
        match d.ran() {
            Ran::Running { step, of, command } => Ok(DeployStatus {
                state: DeployState::Running,
                raw_state: "running".into(),
                progress: None,
                message: Some(if of > 1 {
                    format!("step {step}/{of}: {command}")
                } else {
                    command
                }),
            }),
            Ran::CommandsSucceeded if self.templates.status.is_none() => Ok(DeployStatus {
                state: DeployState::Succeeded,
                raw_state: "succeeded".into(),
                progress: None,
                message: None,
            }),
            Ran::CommandsSucceeded => {
                let past_deadline = tokio::time::Instant::now() >= d.deadline;
                let status = match self.ask_status(stack, &d.env, id).await {
                    Ok(s) => s,
                    // A status command that keeps failing does not keep the deployment
                    // open past its deadline.
                    Err(_) if past_deadline => {
                        let failed = self.timed_out();
                        d.set_ended(failed.clone());
                        return Ok(failed);
                    }
                    Err(e) => return Err(e),
                };
                if status.state.is_finished() {
                    d.set_ended(status.clone());
                } else if past_deadline {
                    let failed = self.timed_out();
                    d.set_ended(failed.clone());
                    return Ok(failed);
                }
                Ok(status)
            }
            Ran::Ended(status) => Ok(status),
        }
    }

    async fn deployment_output(
        &self,
        _stack: &StackId,
        id: &DeploymentId,
        offset: u64,
    ) -> Result<OutputChunk, PlatformError> {
        if let Some(d) = self.known(id) {
            return Ok(d.output(offset));
        }
        // Started before a restart: its output went to the process that ran it.
        let lines = if offset == 0 {
            vec!["slipway: this deployment's command ran in another slipway process; its output is not available here".to_string()]
        } else {
            Vec::new()
        };
        Ok(OutputChunk {
            next_offset: offset + lines.len() as u64,
            lines,
            complete: true,
        })
    }

    async fn abort(&self, stack: &StackId, id: &DeploymentId) -> Result<(), PlatformError> {
        let action = format!("abort deployment {id}");
        let Some(d) = self.known(id) else {
            let env = self.parse_id(id).map(|(env, _)| env).ok_or_else(|| {
                PlatformError::BadResponse {
                    action: action.clone(),
                    detail: "not an id this platform gives (ENV-YYYYMMDD-HHMMSS-XXXX)".into(),
                }
            })?;
            return self.run_abort_command(&action, stack, &env, id).await;
        };
        match d.ran() {
            Ran::Running { .. } => {
                let then = self.abort_command(stack, &d.env, id);
                let limit = Duration::from_secs(self.cfg.abort_grace_secs)
                    + self.read_timeout()
                    + ABORT_SLACK;
                d.abort(then, limit)
                    .await
                    .map_err(|detail| PlatformError::BadResponse { action, detail })
            }
            // The command is done but the rollout goes on: only the platform can stop it.
            Ran::CommandsSucceeded if self.templates.status.is_some() => {
                self.run_abort_command(&action, stack, &d.env, id).await?;
                let by = self
                    .abort_command(stack, &d.env, id)
                    .map(|c| c.short())
                    .unwrap_or_default();
                d.set_ended(DeployStatus {
                    state: DeployState::Aborted,
                    raw_state: "aborted".into(),
                    progress: None,
                    message: Some(format!("aborted by `{by}`")),
                });
                Ok(())
            }
            Ran::CommandsSucceeded | Ran::Ended(_) => Err(PlatformError::BadResponse {
                action,
                detail: "it has already finished".into(),
            }),
        }
    }

    async fn instances(&self, stack: &StackId, env: &Env) -> Result<Vec<Instance>, PlatformError> {
        let action = format!("list {stack} {env} instances");
        let text = self
            .read_text(&action, Operation::Instances, &read(stack, env))
            .await?;
        let pointers = parse::InstancePointers {
            list: self.cfg.instances_pointer.as_deref(),
            id: self.cfg.instance_id_pointer.as_deref(),
            host: self.cfg.instance_host_pointer.as_deref(),
        };
        parse::instances(&text, pointers)
            .map_err(|detail| PlatformError::BadResponse { action, detail })
    }

    async fn config(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<BTreeMap<String, String>, PlatformError> {
        let action = format!("read {stack} {env} configuration");
        let text = self
            .read_text(&action, Operation::Config, &read(stack, env))
            .await?;
        parse::config(&text).map_err(|detail| PlatformError::BadResponse { action, detail })
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.cfg.poll_ms)
    }
}
