//! The command platform's templates, parsed once from config: which placeholders each may
//! use, and the pointers and patterns that read their output. Config validation calls
//! [`problems`] (through `platform::validate`), so every mistake is reported at load with
//! its key.

use regex::Regex;

use crate::config::CommandPlatformConfig;
use crate::platform::template::{CommandTemplate, TemplateSpec};

/// Reads of one environment.
pub(crate) const READ: &[&str] = &["stack", "env"];
/// Starting a deployment: `{id}` is the deployment id slipway gives it.
pub(crate) const DEPLOY: &[&str] = &["stack", "env", "version", "previous", "user", "id"];
/// A deployment already started: known by its stack and id (the id names its environment).
pub(crate) const FOLLOW: &[&str] = &["stack", "env", "id"];

#[derive(Debug, Clone)]
pub(crate) struct Templates {
    pub versions: CommandTemplate,
    pub version_regex: Option<Regex>,
    pub instances: Option<CommandTemplate>,
    pub promote: CommandTemplate,
    pub rollback: CommandTemplate,
    pub abort: Option<CommandTemplate>,
    pub status: Option<CommandTemplate>,
    pub config: Option<CommandTemplate>,
}

/// `(key under [platform], message)`.
type KeyError = (String, String);

impl Templates {
    pub(crate) fn from_config(c: &CommandPlatformConfig) -> Result<Templates, KeyError> {
        if let Some(e) = check_pointers(c).into_iter().next() {
            return Err(e);
        }
        let one = |key: &str, spec: &TemplateSpec, allowed: &[&str]| {
            CommandTemplate::parse(spec, c.shell, allowed).map_err(|m| (key.to_string(), m))
        };
        let maybe = |key: &str, spec: &Option<TemplateSpec>, allowed: &[&str]| {
            spec.as_ref().map(|s| one(key, s, allowed)).transpose()
        };
        Ok(Templates {
            versions: one("versions", &c.versions, READ)?,
            version_regex: version_regex(c)?,
            instances: maybe("instances", &c.instances, READ)?,
            promote: one("promote", &c.promote, DEPLOY)?,
            rollback: one("rollback", &c.rollback, DEPLOY)?,
            abort: maybe("abort", &c.abort, FOLLOW)?,
            status: maybe("status", &c.status, FOLLOW)?,
            config: maybe("config", &c.config, READ)?,
        })
    }
}

/// Every template, pattern and pointer problem, by key under `[platform]` (what
/// [`Templates::from_config`] would stop at first).
pub(crate) fn problems(c: &CommandPlatformConfig) -> Vec<KeyError> {
    let templates: [(&str, Option<&TemplateSpec>, &[&str]); 7] = [
        ("versions", Some(&c.versions), READ),
        ("instances", c.instances.as_ref(), READ),
        ("promote", Some(&c.promote), DEPLOY),
        ("rollback", Some(&c.rollback), DEPLOY),
        ("abort", c.abort.as_ref(), FOLLOW),
        ("status", c.status.as_ref(), FOLLOW),
        ("config", c.config.as_ref(), READ),
    ];
    let mut out: Vec<KeyError> = templates
        .into_iter()
        .filter_map(|(key, spec, allowed)| {
            let e = CommandTemplate::parse(spec?, c.shell, allowed).err()?;
            Some((key.to_string(), e))
        })
        .collect();
    out.extend(version_regex(c).err());
    out.extend(check_pointers(c));
    out
}

fn version_regex(c: &CommandPlatformConfig) -> Result<Option<Regex>, KeyError> {
    c.version_regex
        .as_deref()
        .map(|re| {
            let compiled = Regex::new(re)
                .map_err(|e| ("version_regex".to_string(), format!("bad regex: {e}")))?;
            if compiled.captures_len() > 2 {
                return Err((
                    "version_regex".to_string(),
                    "use at most one capture group (the version); write others as (?:…)"
                        .to_string(),
                ));
            }
            Ok(compiled)
        })
        .transpose()
}

/// JSON pointers: their syntax, and that what they read is configured.
fn check_pointers(c: &CommandPlatformConfig) -> Vec<KeyError> {
    let mut out = Vec::new();
    let pointers = [
        ("version_pointer", &c.version_pointer),
        ("instances_pointer", &c.instances_pointer),
        ("instance_id_pointer", &c.instance_id_pointer),
        ("instance_host_pointer", &c.instance_host_pointer),
        ("state_pointer", &c.state_pointer),
        ("progress_pointer", &c.progress_pointer),
        ("message_pointer", &c.message_pointer),
    ];
    for (key, pointer) in pointers {
        if let Some(p) = pointer
            && !p.is_empty()
            && !p.starts_with('/')
        {
            out.push((
                key.to_string(),
                format!(
                    "'{p}' is not a JSON pointer: it starts with '/' (\"/items/0/name\"), or is \"\" for the whole document"
                ),
            ));
        }
    }
    let not_configured = |key: &str| {
        (
            key.to_string(),
            "reads the output of a command that is not configured".to_string(),
        )
    };
    if c.instances.is_none()
        && (c.instance_id_pointer.is_some()
            || c.instances_pointer.is_some()
            || c.instance_host_pointer.is_some())
    {
        out.push(not_configured("instance_id_pointer"));
    }
    if c.status.is_none()
        && (c.state_pointer.is_some()
            || c.progress_pointer.is_some()
            || c.message_pointer.is_some())
    {
        out.push(not_configured("state_pointer"));
    }
    if c.state_pointer.is_none() && (c.progress_pointer.is_some() || c.message_pointer.is_some()) {
        out.push((
            "state_pointer".to_string(),
            "progress_pointer and message_pointer read JSON: name the state too".to_string(),
        ));
    }
    if c.instance_id_pointer.is_none()
        && (c.instances_pointer.is_some() || c.instance_host_pointer.is_some())
    {
        out.push((
            "instance_id_pointer".to_string(),
            "instances_pointer and instance_host_pointer read JSON: name the id too (\"/metadata/name\")".to_string(),
        ));
    }
    out
}

/// Numbers that must be sensible, by key: every one that is not.
pub(crate) fn check_numbers(c: &CommandPlatformConfig) -> Vec<KeyError> {
    let mut out = Vec::new();
    let mut err = |key: &str, msg: &str| out.push((key.to_string(), msg.to_string()));
    if c.timeout_secs == 0 || c.timeout_secs > 3600 {
        err("timeout_secs", "must be between 1 and 3600");
    }
    if c.deploy_timeout_secs == 0 || c.deploy_timeout_secs > 7 * 24 * 3600 {
        err(
            "deploy_timeout_secs",
            "must be between 1 and 604800 (a week)",
        );
    }
    if c.abort_grace_secs > 600 {
        err("abort_grace_secs", "must be at most 600");
    }
    if c.poll_ms < 50 {
        err("poll_ms", "must be at least 50");
    }
    if c.output_lines < 100 || c.output_lines > 1_000_000 {
        err("output_lines", "must be between 100 and 1000000");
    }
    for (env, name) in &c.env_names {
        if name.trim().is_empty() {
            err(&format!("env_names.{env}"), "must not be empty");
        }
    }
    out
}
