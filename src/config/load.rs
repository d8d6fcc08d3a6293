//! Finding and reading the config file, with errors that name the file, line and key.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Config, Problem};

/// A config problem, shown to the user as `file:line:column: key: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted path of the offending key (`stacks[2].id`), when known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A parsed, validated config and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub path: PathBuf,
}

/// Where the config is looked for, in order: `--config`, `$SLIPWAY_CONFIG`,
/// `./slipway.toml`, then `$XDG_CONFIG_HOME/slipway/config.toml`.
pub fn find_config(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let mut tried = Vec::new();
    if let Some(env) = std::env::var_os("SLIPWAY_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(env));
    }
    tried.push("$SLIPWAY_CONFIG (unset)".to_string());
    let local = PathBuf::from("slipway.toml");
    if local.is_file() {
        return Ok(local);
    }
    tried.push("./slipway.toml".to_string());
    if let Some(dir) = dirs::config_dir() {
        let xdg = dir.join("slipway").join("config.toml");
        if xdg.is_file() {
            return Ok(xdg);
        }
        tried.push(xdg.display().to_string());
    }
    Err(format!(
        "no slipway config found (looked at --config, {}).\n\
         Try `slipway demo` to see the dashboard on a simulated environment, or start from \
         one of the examples in config/ (config/four-stacks-http.toml) and pass it with --config.",
        tried.join(", ")
    ))
}

/// Everything wrong with a config, in the order of the file: one entry when it could not
/// be read at all (a syntax error, a wrong type), else every problem validation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Problems found in `text` (read from `file`), each given its line, sorted by line
    /// (problems at the same line keep the order they were found in). `None` if there
    /// are none.
    pub fn located(text: &str, file: &Path, problems: Vec<Problem>) -> Option<ConfigErrors> {
        let mut errors: Vec<ConfigError> = problems
            .into_iter()
            .map(|p| {
                let (line, column) = locate_key(text, &p.key);
                ConfigError {
                    file: file.to_path_buf(),
                    line,
                    column,
                    message: p.text(),
                    key: Some(p.key),
                }
            })
            .collect();
        errors.sort_by_key(|e| (e.line.is_none(), e.line, e.column));
        (!errors.is_empty()).then_some(ConfigErrors { errors })
    }

    /// The first in file order; there is always one.
    pub fn first(&self) -> &ConfigError {
        &self.errors[0]
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    #[allow(
        clippy::iter_without_into_iter,
        reason = "one borrowing iterator is all callers need"
    )]
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.errors.iter()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors { errors: vec![e] }
    }
}

/// One problem a line, then how many when there are several.
impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.errors.len() > 1 {
            write!(f, "\n{} problems", self.errors.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The text of a config file.
pub fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message: format!("cannot read the file: {e}"),
    })
}

/// Reads config text into its types (syntax, types, unknown keys) without judging the
/// values: `crate::validation::parse_str` does both. `file` is only used in messages.
pub fn deserialize_str(text: &str, file: &Path) -> Result<Config, ConfigError> {
    PLATFORM_KIND.with(|k| *k.borrow_mut() = probe_platform_kind(text));
    let result = deserialize_doc(text, file);
    PLATFORM_KIND.with(|k| *k.borrow_mut() = None);
    result
}

thread_local! {
    /// The platform `kind` of the document being deserialized on this thread, read by
    /// `PlatformConfig`'s Deserialize to pick its variant without buffering.
    static PLATFORM_KIND: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

pub(super) fn platform_kind() -> Option<String> {
    PLATFORM_KIND.with(|k| k.borrow().clone())
}

/// Reads just `platform.kind`, ignoring everything else.
fn probe_platform_kind(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        platform: Option<Platform>,
    }
    #[derive(serde::Deserialize)]
    struct Platform {
        kind: Option<String>,
    }
    toml::from_str::<Doc>(text).ok()?.platform?.kind
}

fn deserialize_doc(text: &str, file: &Path) -> Result<Config, ConfigError> {
    let error_at = |span: Option<std::ops::Range<usize>>, key: Option<String>, message: String| {
        let (line, column) = span
            .map(|s| line_col(text, s.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    };
    let de = toml::Deserializer::parse(text)
        .map_err(|e| error_at(e.span(), None, e.message().trim().to_string()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let key = (path != "." && !path.is_empty()).then_some(path);
        let inner = e.into_inner();
        let span = inner.span();
        let mut message = inner.message().trim().to_string();
        // Serde's internally tagged enums lose spans; fall back to finding the key.
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = line_col(text, s.start);
                (Some(l), Some(c))
            }
            None => key.as_deref().map_or((None, None), |k| locate_key(text, k)),
        };
        if message.is_empty() {
            message = "invalid value".into();
        }
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    })
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

/// Best-effort line of a dotted key path such as `stacks[2].smoke[0].url`: walks the
/// table headers and array-of-tables occurrences in order, then finds the leaf key.
pub(super) fn locate_key(text: &str, path: &str) -> (Option<usize>, Option<usize>) {
    let segments: Vec<(String, Option<usize>)> = path
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|seg| match seg.split_once('[') {
            Some((name, idx)) => (name.to_string(), idx.trim_end_matches(']').parse().ok()),
            None => (seg.to_string(), None),
        })
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0usize;
    let mut table = String::new();
    let mut found_line = None;
    for (depth, (name, index)) in segments.iter().enumerate() {
        let header_path = if table.is_empty() {
            name.clone()
        } else {
            format!("{table}.{name}")
        };
        let is_last = depth + 1 == segments.len();
        if let Some(i) = index {
            let header = format!("[[{header_path}]]");
            let hits: Vec<usize> = (start..lines.len())
                .filter(|&n| lines[n].trim() == header)
                .collect();
            if let Some(&n) = hits.get(*i) {
                start = n + 1;
                table = header_path;
                found_line = Some(n);
                continue;
            }
            break;
        }
        let header = format!("[{header_path}]");
        if let Some(n) = (start..lines.len()).find(|&n| lines[n].trim() == header) {
            start = n + 1;
            table = header_path;
            found_line = Some(n);
            continue;
        }
        // A plain key in the current table.
        let key_here = (start..lines.len())
            .take_while(|&n| !lines[n].trim_start().starts_with('[') || n == start)
            .find(|&n| {
                let l = lines[n].trim_start();
                l.starts_with(name.as_str()) && l[name.len()..].trim_start().starts_with('=')
            });
        if let Some(n) = key_here {
            found_line = Some(n);
            if is_last {
                let col = lines[n].len() - lines[n].trim_start().len() + 1;
                return (Some(n + 1), Some(col));
            }
        }
        // A table only named in its sub-tables' headers (`[keys.global]` without
        // `[keys]`): look for the next segment under the longer name.
        if !is_last && key_here.is_none() {
            let prefix = format!("[{header_path}.");
            if (start..lines.len()).any(|n| lines[n].trim().starts_with(&prefix)) {
                table = header_path;
                continue;
            }
        }
        break;
    }
    (found_line.map(|n| n + 1), found_line.map(|_| 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("a\nbc\n", 3), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
    }

    #[test]
    fn locate_key_walks_arrays_of_tables() {
        let text = "[release]\nname = \"x\"\n\n[[stacks]]\nid = \"a\"\n\n[[stacks]]\nid = \"b\"\nname = \"B\"\n";
        assert_eq!(locate_key(text, "stacks[1].name"), (Some(9), Some(1)));
        assert_eq!(locate_key(text, "release.name"), (Some(2), Some(1)));
        assert_eq!(locate_key(text, "stacks[1]"), (Some(7), Some(1)));
    }

    #[test]
    fn locate_key_finds_keys_under_a_table_named_only_by_its_sub_tables() {
        let text = "[release]\nname = \"x\"\n\n[keys.global]\npromote = \"r\"\n[keys.logs]\npause = \"p\"\n";
        assert_eq!(locate_key(text, "keys.global.promote"), (Some(5), Some(1)));
        assert_eq!(locate_key(text, "keys.logs.pause"), (Some(7), Some(1)));
    }
}
