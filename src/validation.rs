//! Reading a config and checking all of it: `config` reads the file and checks its own
//! sections; each module checks the section it owns (`platform`, `feeds`, `notify`,
//! `engine::gates`, `vcs`, `configdiff`). This is the one place that calls them all, so
//! `config` depends on nothing above it and `check-config` lists every problem at once.

use std::path::Path;

use crate::config::{Config, ConfigErrors, LoadedConfig, Problem};

/// Every problem in a config that has been read, in the order they were found.
pub fn problems(config: &Config) -> Vec<Problem> {
    let mut out = crate::config::validate(config);
    let envs = &config.release.environments;
    out.extend(crate::platform::validate(&config.platform, envs));
    out.extend(crate::feeds::smoke::validate(&config.stacks));
    out.extend(crate::feeds::metrics::validate(&config.metrics));
    out.extend(crate::feeds::logs::validate(&config.logs));
    if let Some(announce) = &config.announce {
        out.extend(crate::notify::validate(announce));
    }
    out.extend(crate::vcs::risk::validate(&config.changes.risk));
    out.extend(crate::configdiff::validate(&config.changes.secret_patterns));
    out.extend(crate::engine::gates::settings::validate(
        &config.gates,
        &config.approval,
        envs,
    ));
    out.extend(
        crate::tui::keymap::validate::problems(&config.keys)
            .into_iter()
            .map(|(key, message)| Problem::new(key, message)),
    );
    out
}

/// Reads and checks config text; `file` is only used in messages. The error lists every
/// problem, in file order.
pub fn parse_str(text: &str, file: &Path) -> Result<Config, ConfigErrors> {
    let config = crate::config::deserialize_str(text, file)?;
    match ConfigErrors::located(text, file, problems(&config)) {
        Some(errors) => Err(errors),
        None => Ok(config),
    }
}

/// Reads and checks a config file.
pub fn load_file(path: &Path) -> Result<LoadedConfig, ConfigErrors> {
    let text = crate::config::read_file(path)?;
    let config = parse_str(&text, path)?;
    Ok(LoadedConfig {
        config,
        path: path.to_path_buf(),
    })
}
