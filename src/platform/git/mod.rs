//! The `git` platform, for `GitOps`: a stack's version in an environment is a value in a file
//! of an environment repository, a promotion is one commit setting it, and a controller
//! (Argo CD, Flux) rolls it out. Contract: docs/git-platform.md.

mod approvals;
mod checkout;
mod deployments;
mod lock;
mod publish;
mod rollout;
mod run;
mod status;
mod version_file;
mod yaml_path;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use self::checkout::{Checkout, LOCAL_TIMEOUT, local};
use self::deployments::{Deployment, Deployments};
use self::publish::{Change, publish};
use self::run::{GitRunner, strip_credentials};
pub use self::version_file::{Locator, Part};
use super::{Capabilities, DeployRequest, OutputChunk, Platform, PlatformError};
use crate::config::GitPlatformConfig;
use crate::model::{
    Approval, DeployState, DeployStatus, DeploymentId, DeploymentRef, Env, EnvVersion, InFlight,
    Instance, LockHolder, StackId, StackVersions, Version,
};
use crate::platform::template::CommandTemplate;

/// Keys read from one configuration file at most (a config diff, not a data dump).
const MAX_CONFIG_KEYS: usize = 2000;

pub struct GitPlatform {
    cfg: GitPlatformConfig,
    /// The rollout status command, when there is one.
    status_command: Option<CommandTemplate>,
    environments: Vec<Env>,
    checkout: Checkout,
    deployments: Deployments,
}

impl GitPlatform {
    pub fn new(cfg: GitPlatformConfig, environments: Vec<Env>) -> Result<Self, PlatformError> {
        // Checked once here so that each read can build its locator without failing.
        locator_for(&cfg, "stack", "env").map_err(PlatformError::Config)?;
        let dir = match &cfg.checkout {
            Some(dir) => dir.clone(),
            None => default_checkout(&cfg.remote),
        };
        let identity = match &cfg.identity {
            Some(text) => Some(parse_identity(text).map_err(PlatformError::Config)?),
            None => None,
        };
        let status_command = match &cfg.status {
            Some(s) => Some(
                rollout::template(s)
                    .map_err(|e| PlatformError::Config(format!("status.command: {e}")))?,
            ),
            None => None,
        };
        let checkout = Checkout::new(
            GitRunner::new(dir, identity),
            cfg.remote.clone(),
            cfg.branch.clone(),
            Duration::from_secs(cfg.timeout_secs.max(1)),
            Duration::from_secs(cfg.fetch_interval_secs),
        );
        Ok(GitPlatform {
            cfg,
            status_command,
            environments,
            checkout,
            deployments: Deployments::default(),
        })
    }

    /// The environment file of a stack: `path` with `{stack}` and `{env}` filled in. A
    /// stack id may hold dots: a path that would leave the repository is refused.
    fn file(&self, stack: &StackId, env: &Env) -> Result<String, PlatformError> {
        inside_repo(fill(
            &self.cfg.path,
            stack.as_str(),
            self.cfg.env_name(env.as_str()),
        ))
    }

    fn locator(&self, stack: &StackId, env: &Env) -> Result<Locator, PlatformError> {
        locator_for(&self.cfg, stack.as_str(), self.cfg.env_name(env.as_str()))
            .map_err(PlatformError::Config)
    }

    /// The file a deployment changes, and its commit's subject and body: one place for
    /// the commit made and the one a dry run shows.
    fn commit_text(
        &self,
        request: &DeployRequest,
    ) -> Result<(String, String, String), PlatformError> {
        let DeployRequest {
            stack,
            env,
            version,
            previous,
            rollback,
            user,
        } = request;
        let file = self.file(stack, env)?;
        let subject = if *rollback {
            format!(
                "roll back {stack} on {env}: {} → {} (by {user})",
                previous.short(),
                version.short()
            )
        } else {
            format!(
                "promote {stack} to {env}: {} → {} (by {user})",
                previous.short(),
                version.short()
            )
        };
        let why = match (rollback, self.previous_env(env)) {
            (true, _) => format!("restoring {version}"),
            (false, Some(from)) => format!("the version on {from}"),
            (false, None) => version.to_string(),
        };
        let body = format!(
            "Sets {file} to {version} ({why}).\n\n\
             Slipway-Stack: {stack}\nSlipway-Env: {env}\nSlipway-Version: {version}\n\
             Slipway-Previous: {previous}\nSlipway-User: {user}"
        );
        Ok((file, subject, body))
    }

    /// Fetches when the last fetch is older than the interval.
    async fn refresh(&self, action: &str) -> Result<(), PlatformError> {
        let mut busy = self.checkout.busy(action).await?;
        self.checkout.fetch(&mut busy, action, false).await
    }

    async fn env_version(&self, stack: &StackId, env: &Env) -> Result<Version, PlatformError> {
        let action = format!("read {stack} {env} version");
        let file = self.file(stack, env)?;
        let text = self
            .checkout
            .read_remote(&action, &file)
            .await?
            .ok_or_else(|| PlatformError::BadResponse {
                action: action.clone(),
                detail: format!(
                    "{file} is not on {} of {}",
                    self.cfg.branch,
                    strip_credentials(&self.cfg.remote)
                ),
            })?;
        let version = self
            .locator(stack, env)?
            .read(&text, &file)
            .map_err(|detail| PlatformError::BadResponse {
                action: action.clone(),
                detail,
            })?;
        Ok(Version::new(version))
    }

    /// The environment before `env` in promotion order.
    fn previous_env(&self, env: &Env) -> Option<&Env> {
        let i = self.environments.iter().position(|e| e == env)?;
        i.checked_sub(1).and_then(|p| self.environments.get(p))
    }

    /// How a deployment that has just been pushed stands.
    fn first_status(&self, commit: &str) -> DeployStatus {
        let short = commit.get(..7).unwrap_or(commit);
        match &self.cfg.status {
            None => DeployStatus {
                state: DeployState::Succeeded,
                raw_state: "pushed".into(),
                progress: Some(1.0),
                message: Some(format!(
                    "pushed {short} to {}; the controller rolls it out",
                    self.cfg.branch
                )),
            },
            Some(_) => DeployStatus {
                state: DeployState::Running,
                raw_state: "pushed".into(),
                progress: Some(0.2),
                message: Some(format!(
                    "pushed {short} to {}; waiting for the controller",
                    self.cfg.branch
                )),
            },
        }
    }

    /// A deployment this process did not start (or started before a restart): its commit
    /// carries trailers naming the stack, environment and versions.
    async fn adopt(&self, stack: &StackId, id: &DeploymentId) -> Result<Deployment, PlatformError> {
        let action = format!("read deployment {id}");
        let unknown = || PlatformError::BadResponse {
            action: action.clone(),
            detail: format!("{id} is not a slipway commit in {}", self.cfg.branch),
        };
        if !id.as_str().chars().all(|c| c.is_ascii_hexdigit()) || id.as_str().len() < 7 {
            return Err(unknown());
        }
        self.refresh(&action).await?;
        let object = format!("{}^{{commit}}", id.as_str());
        let ran = self
            .checkout
            .git
            .run(&["show", "-s", "--format=%H%n%B", &object], LOCAL_TIMEOUT)
            .await;
        let ran = local(&action, ran).map_err(|_| unknown())?;
        let mut lines = ran.stdout.lines();
        let commit = lines.next().unwrap_or_default().trim().to_string();
        let message: Vec<&str> = lines.collect();
        let trailer = |key: &str| {
            message
                .iter()
                .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
        };
        let (Some(env), Some(version)) = (trailer("Slipway-Env:"), trailer("Slipway-Version:"))
        else {
            return Err(unknown());
        };
        if trailer("Slipway-Stack:").is_some_and(|s| StackId::new(s) != *stack) {
            return Err(unknown());
        }
        let deployment = Deployment {
            stack: stack.clone(),
            env: Env::new(env),
            version: Version::new(version),
            previous: Version::new(trailer("Slipway-Previous:").unwrap_or_default()),
            user: trailer("Slipway-User:").unwrap_or_default(),
            status: self.first_status(&commit),
            commit: commit.clone(),
            pushed_at: Instant::now(),
            last_line: None,
        };
        let subject = message.first().copied().unwrap_or_default();
        self.deployments.add(
            deployment.clone(),
            vec![format!(
                "following {} again: {subject}",
                commit.get(..7).unwrap_or(&commit)
            )],
        );
        Ok(deployment)
    }
}

#[async_trait]
impl Platform for GitPlatform {
    fn describe(&self) -> String {
        format!(
            "git {} ({})",
            strip_credentials(&self.cfg.remote),
            self.cfg.branch
        )
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A pushed commit is the deployment: undoing it is a rollback, not an abort.
            abort: false,
            config: self.cfg.config_path.is_some(),
            instances: false,
            lock: self.cfg.lock,
            // Refs under refs/slipway/approvals/ when configured, else the journal only.
            approvals: self.cfg.approvals,
        }
    }

    async fn versions(&self, stack: &StackId) -> Result<StackVersions, PlatformError> {
        self.refresh(&format!("read {stack} versions")).await?;
        let mut envs = Vec::with_capacity(self.environments.len());
        for env in &self.environments {
            envs.push(EnvVersion {
                env: env.clone(),
                version: self.env_version(stack, env).await?,
            });
        }
        let in_flight = self.deployments.running(stack).map(|(env, id)| InFlight {
            env,
            id: DeploymentId::new(id),
        });
        Ok(StackVersions::new(envs, in_flight))
    }

    fn plan_deploy(&self, request: &DeployRequest) -> Vec<String> {
        match self.commit_text(request) {
            Ok((file, subject, _)) => vec![
                format!(
                    "edit {file} on {} of {}: {} → {}",
                    self.cfg.branch, self.cfg.remote, request.previous, request.version
                ),
                format!(
                    "$ git commit -m {}",
                    crate::feeds::logs::template::shell_quote(&subject)
                ),
                format!("$ git push origin HEAD:refs/heads/{}", self.cfg.branch),
            ],
            Err(e) => vec![e.to_string()],
        }
    }

    async fn deploy(&self, request: &DeployRequest) -> Result<DeploymentRef, PlatformError> {
        let action = request.describe();
        let DeployRequest {
            stack,
            env,
            version,
            previous,
            user,
            ..
        } = request;
        let locator = self.locator(stack, env)?;
        let (file, subject, body) = self.commit_text(request)?;
        let published = publish(
            &self.checkout,
            &locator,
            &Change {
                action: &action,
                file: &file,
                expected: previous.as_str(),
                version: version.as_str(),
                subject,
                body,
            },
        )
        .await?;
        let status = self.first_status(&published.commit);
        let mut lines = published.lines;
        if let Some(m) = &status.message {
            lines.push(m.clone());
        }
        self.deployments.add(
            Deployment {
                stack: stack.clone(),
                env: env.clone(),
                version: version.clone(),
                previous: previous.clone(),
                user: user.clone(),
                commit: published.commit.clone(),
                pushed_at: Instant::now(),
                status,
                last_line: None,
            },
            lines,
        );
        Ok(DeploymentRef {
            id: DeploymentId::new(published.commit),
            url: None,
        })
    }

    async fn deployment_status(
        &self,
        stack: &StackId,
        id: &DeploymentId,
    ) -> Result<DeployStatus, PlatformError> {
        let deployment = match self.deployments.get(id.as_str()) {
            Some(d) => d,
            None => self.adopt(stack, id).await?,
        };
        let (Some(status_cfg), Some(command)) = (&self.cfg.status, &self.status_command) else {
            return Ok(deployment.status);
        };
        if deployment.status.state.is_finished() {
            return Ok(deployment.status);
        }
        let env_name = self.cfg.env_name(deployment.env.as_str()).to_string();
        let stamp = chrono::Local::now().format("%H:%M:%S");
        match rollout::read(status_cfg, command, &deployment, &env_name).await {
            Ok((status, line)) => {
                self.deployments
                    .update(id.as_str(), status.clone(), Some(line));
                Ok(status)
            }
            // A controller that cannot be asked for longer than a rollout may take ends
            // the deployment as failed rather than leaving it running for ever.
            Err(e)
                if deployment.pushed_at.elapsed()
                    >= Duration::from_secs(status_cfg.rollout_timeout_secs) =>
            {
                let status = DeployStatus {
                    state: DeployState::Failed,
                    raw_state: "unknown".into(),
                    progress: None,
                    message: Some(format!("the rollout could not be read: {e}")),
                };
                let line = format!("[{stamp}] giving up: {e}");
                self.deployments
                    .update(id.as_str(), status.clone(), Some(line));
                Ok(status)
            }
            Err(e) => {
                let line = format!("[{stamp}] status: {e}");
                self.deployments
                    .update(id.as_str(), deployment.status.clone(), Some(line));
                Err(e)
            }
        }
    }

    async fn deployment_output(
        &self,
        stack: &StackId,
        id: &DeploymentId,
        offset: u64,
    ) -> Result<OutputChunk, PlatformError> {
        if self.deployments.get(id.as_str()).is_none() {
            self.adopt(stack, id).await?;
        }
        let (lines, next_offset, complete) = self
            .deployments
            .output(id.as_str(), offset)
            .ok_or_else(|| PlatformError::BadResponse {
                action: format!("read the output of deployment {id}"),
                detail: "unknown deployment".into(),
            })?;
        Ok(OutputChunk {
            lines,
            next_offset,
            complete,
        })
    }

    async fn abort(&self, _stack: &StackId, id: &DeploymentId) -> Result<(), PlatformError> {
        Err(PlatformError::Unsupported {
            action: format!("abort deployment {id} (a pushed commit is undone by a rollback)"),
        })
    }

    async fn instances(&self, stack: &StackId, env: &Env) -> Result<Vec<Instance>, PlatformError> {
        Err(PlatformError::Unsupported {
            action: format!("list {stack} {env} instances"),
        })
    }

    async fn config(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<BTreeMap<String, String>, PlatformError> {
        let action = format!("read {stack} {env} configuration");
        let Some(pattern) = &self.cfg.config_path else {
            return Err(PlatformError::Unsupported { action });
        };
        self.refresh(&action).await?;
        let file = inside_repo(fill(
            pattern,
            stack.as_str(),
            self.cfg.env_name(env.as_str()),
        ))?;
        let text = self
            .checkout
            .read_remote(&action, &file)
            .await?
            .ok_or_else(|| PlatformError::BadResponse {
                action: action.clone(),
                detail: format!("{file} is not on {}", self.cfg.branch),
            })?;
        let leaves =
            yaml_path::leaves(&text, MAX_CONFIG_KEYS).map_err(|e| PlatformError::BadResponse {
                action: action.clone(),
                detail: format!("{file}: {e}"),
            })?;
        Ok(leaves.into_iter().collect())
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.cfg.poll_ms)
    }

    async fn take_lock(&self, holder: &LockHolder) -> Result<Option<LockHolder>, PlatformError> {
        self.lock_enabled("a release lock")?;
        lock::take(&self.checkout, &self.cfg.lock_ref, holder).await
    }

    async fn release_lock(&self, holder: &LockHolder, force: bool) -> Result<(), PlatformError> {
        self.lock_enabled("a release lock")?;
        lock::release(&self.checkout, &self.cfg.lock_ref, holder, force).await
    }

    async fn read_lock(&self) -> Result<Option<LockHolder>, PlatformError> {
        self.lock_enabled("a release lock")?;
        lock::read(&self.checkout, &self.cfg.lock_ref).await
    }

    async fn record_approval(&self, approval: &Approval) -> Result<(), PlatformError> {
        self.approvals_enabled(&format!(
            "record the approval of {} to {}",
            approval.stack, approval.env
        ))?;
        let env = self.cfg.env_name(approval.env.as_str());
        approvals::record(&self.checkout, approval, env).await
    }

    async fn read_approvals(
        &self,
        stack: &StackId,
        env: &Env,
    ) -> Result<Vec<Approval>, PlatformError> {
        self.approvals_enabled(&format!("read the approvals of {stack} to {env}"))?;
        let name = self.cfg.env_name(env.as_str());
        approvals::read(&self.checkout, stack, env, name).await
    }
}

impl GitPlatform {
    fn approvals_enabled(&self, action: &str) -> Result<(), PlatformError> {
        if self.cfg.approvals {
            Ok(())
        } else {
            Err(PlatformError::Unsupported {
                action: action.into(),
            })
        }
    }

    fn lock_enabled(&self, action: &str) -> Result<(), PlatformError> {
        if self.cfg.lock {
            Ok(())
        } else {
            Err(PlatformError::Unsupported {
                action: action.into(),
            })
        }
    }
}

/// A repository-relative path that stays inside the repository.
fn inside_repo(path: String) -> Result<String, PlatformError> {
    if path.starts_with('/') || path.split('/').any(|part| part == ".." || part.is_empty()) {
        return Err(PlatformError::Config(format!(
            "'{path}' is not a file inside the repository"
        )));
    }
    Ok(path)
}

/// `{stack}` and `{env}` filled into a path or pointer.
fn fill(pattern: &str, stack: &str, env: &str) -> String {
    pattern.replace("{stack}", stack).replace("{env}", env)
}

/// The locator for one stack and environment (pointers, regexes and prefixes may name
/// them; in a regex they are matched literally).
pub fn locator_for(cfg: &GitPlatformConfig, stack: &str, env: &str) -> Result<Locator, String> {
    match (&cfg.pointer, &cfg.regex) {
        (Some(pointer), None) => {
            let part = match (&cfg.image_tag, &cfg.image_prefix) {
                (true, Some(_)) => {
                    return Err("give image_tag or image_prefix, not both".into());
                }
                (true, None) => Part::ImageTag,
                (false, Some(prefix)) => Part::Prefix(fill(prefix, stack, env)),
                (false, None) => Part::Whole,
            };
            Locator::pointer(&fill(pointer, stack, env), part)
        }
        (None, Some(regex)) => {
            if cfg.image_tag || cfg.image_prefix.is_some() {
                return Err(
                    "image_tag and image_prefix go with pointer; a regex's capture group is the version itself"
                        .into(),
                );
            }
            let pattern = regex
                .replace("{stack}", &regex::escape(stack))
                .replace("{env}", &regex::escape(env));
            Locator::regex(&pattern)
        }
        (Some(_), Some(_)) => Err("give pointer or regex, not both".into()),
        (None, None) => Err(
            "say where the version is: pointer = \"/image/tag\" or regex = 'tag: (\\S+)'".into(),
        ),
    }
}

/// `Name <email>`.
fn parse_identity(text: &str) -> Result<(String, String), String> {
    let bad = || format!("identity '{text}' should read \"Name <email@example.com>\"");
    let (name, rest) = text.split_once('<').ok_or_else(bad)?;
    let email = rest.strip_suffix('>').ok_or_else(bad)?.trim();
    let name = name.trim();
    if name.is_empty() || email.is_empty() || email.contains(['<', '>']) {
        return Err(bad());
    }
    Ok((name.to_string(), email.to_string()))
}

/// `$XDG_CACHE_HOME/slipway/gitops/<remote made safe>`.
fn default_checkout(remote: &str) -> PathBuf {
    let safe: String = strip_credentials(remote)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("slipway")
        .join("gitops")
        .join(safe.trim_start_matches('.'))
}

/// Checks a git platform's config beyond what serde can: placeholders, pointer and regex
/// syntax. Every problem, as `(key under platform, message)`.
pub fn validate(cfg: &GitPlatformConfig) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    if cfg.remote.trim().is_empty() {
        out.push(("remote", "must name the environment repository".into()));
    }
    if cfg.branch.trim().is_empty() || cfg.branch.starts_with('-') || cfg.branch.contains(' ') {
        out.push(("branch", "must be a branch name such as main".into()));
    }
    out.extend(validate_locator(cfg));
    if let Some(identity) = &cfg.identity
        && let Err(m) = parse_identity(identity)
    {
        out.push(("identity", m));
    }
    if let Some(p) = &cfg.config_path
        && let Err(m) = check_placeholders(p)
    {
        out.push(("config_path", m));
    }
    if cfg.timeout_secs == 0 {
        out.push(("timeout_secs", "must be at least 1".into()));
    }
    if cfg.poll_ms < 200 {
        out.push(("poll_ms", "must be at least 200".into()));
    }
    if !cfg.lock_ref.starts_with("refs/") || cfg.lock_ref.starts_with("refs/heads/") {
        out.push((
            "lock_ref",
            "must be a ref outside the branches, such as refs/slipway/lock".into(),
        ));
    }
    if let Some(s) = &cfg.status {
        out.extend(rollout::validate(s).err());
    }
    out
}

/// Where a stack's version is: `path`, `pointer`/`regex`, `image_prefix`. The first
/// problem only: each later check reads what the earlier ones accepted.
fn validate_locator(cfg: &GitPlatformConfig) -> Option<(&'static str, String)> {
    if let Err(m) = check_placeholders(&cfg.path) {
        return Some(("path", m));
    }
    if cfg.path.starts_with('/') || cfg.path.split('/').any(|s| s == "..") {
        return Some((
            "path",
            "must be relative to the repository root, without '..'".into(),
        ));
    }
    if let Some(p) = &cfg.pointer
        && let Err(m) = check_placeholders(p)
    {
        return Some(("pointer", m));
    }
    if let Some(p) = &cfg.image_prefix
        && let Err(m) = check_placeholders(p)
    {
        return Some(("image_prefix", m));
    }
    let names_both = |s: &str| s.contains("{stack}") && s.contains("{env}");
    let mentioned = format!(
        "{}{}",
        cfg.path,
        cfg.pointer
            .as_deref()
            .or(cfg.regex.as_deref())
            .unwrap_or("")
    );
    if !names_both(&mentioned) {
        return Some((
            "path",
            "each stack and environment needs its own version: use {stack} and {env} in path (or in pointer)".into(),
        ));
    }
    let key = if cfg.regex.is_some() {
        "regex"
    } else {
        "pointer"
    };
    locator_for(cfg, "stack", "env").err().map(|m| (key, m))
}

/// Only `{stack}` and `{env}`.
fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in '{text}'"))?;
        let name = &rest[open..=(open + close)];
        if name != "{stack}" && name != "{env}" {
            return Err(format!(
                "unknown placeholder {name}; known: {{stack}} {{env}}"
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_and_placeholders() {
        assert_eq!(
            parse_identity("Release Bot <rb@example.com>").unwrap(),
            ("Release Bot".to_string(), "rb@example.com".to_string())
        );
        assert!(parse_identity("rb@example.com").is_err());
        assert!(check_placeholders("envs/{env}/{stack}.yaml").is_ok());
        assert!(
            check_placeholders("envs/{envs}/x")
                .unwrap_err()
                .contains("{envs}")
        );
        assert_eq!(fill("/{stack}/{env}/tag", "www", "live"), "/www/live/tag");
        assert!(inside_repo(fill("{stack}/v.yaml", "..", "live")).is_err());
        assert!(inside_repo(fill("envs/{env}/{stack}.yaml", "a.b", "live")).is_ok());
    }
}
