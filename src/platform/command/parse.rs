//! Reading what the command platform's read commands print: a version, instances, a
//! deployment's state, configuration. Plain text or JSON read with pointers. Pure
//! functions: every malformed output is a sentence in an `Err`, never a panic.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use crate::config::HttpStates;
use crate::model::{DeployState, DeployStatus, Instance};
use crate::platform::http::{identifier, value_text};
use crate::text::one_line;

/// More instances than this is a mistake in the command, not a fleet.
const MAX_INSTANCES: usize = 10_000;

fn json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON ({e}): {}", one_line(text, 120)))
}

fn at<'a>(v: &'a Value, pointer: &str) -> Result<&'a Value, String> {
    v.pointer(pointer).ok_or_else(|| {
        format!(
            "no value at JSON pointer '{pointer}' in {}",
            one_line(&v.to_string(), 120)
        )
    })
}

fn text_at(v: &Value, pointer: &str) -> Result<String, String> {
    let found = at(v, pointer)?;
    value_text(found).ok_or_else(|| {
        format!(
            "the value at '{pointer}' is not a string or number: {}",
            one_line(&found.to_string(), 80)
        )
    })
}

/// The version in `text`: the value at `pointer` (JSON), else the whole trimmed output,
/// which must be one line; then cut by `regex` (its group, or the whole match).
pub(crate) fn version(
    text: &str,
    pointer: Option<&str>,
    regex: Option<&Regex>,
) -> Result<String, String> {
    let raw = match pointer {
        Some(p) => text_at(&json(text)?, p)?,
        None => {
            let trimmed = text.trim();
            let lines = trimmed.lines().filter(|l| !l.trim().is_empty()).count();
            if lines > 1 {
                return Err(format!(
                    "printed {lines} lines, expected one version: {}",
                    one_line(trimmed, 120)
                ));
            }
            trimmed.to_string()
        }
    };
    let raw = raw.trim();
    let cut = match regex {
        None => raw,
        Some(re) => {
            let caps = re.captures(raw).ok_or_else(|| {
                format!(
                    "version_regex '{}' does not match '{}'",
                    re.as_str(),
                    one_line(raw, 120)
                )
            })?;
            caps.get(1)
                .or_else(|| caps.get(0))
                .map_or("", |m| m.as_str())
        }
    };
    let version = identifier(cut);
    if version.is_empty() {
        return Err("printed no version".into());
    }
    Ok(version)
}

/// Where instances are in JSON output.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InstancePointers<'a> {
    /// The list (`""`: the whole document).
    pub list: Option<&'a str>,
    /// Set: the output is JSON.
    pub id: Option<&'a str>,
    pub host: Option<&'a str>,
}

/// Instances, one per line (`id [host]`, host defaulting to the id) or from JSON.
pub(crate) fn instances(text: &str, p: InstancePointers<'_>) -> Result<Vec<Instance>, String> {
    let found: Vec<Instance> = match p.id {
        None => text
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let id = identifier(words.next()?);
                let host = words.next().map_or_else(|| id.clone(), identifier);
                Some(Instance { id, host })
            })
            .collect(),
        Some(id_pointer) => {
            let doc = json(text)?;
            let list = at(&doc, p.list.unwrap_or(""))?
                .as_array()
                .ok_or("expected a list of instances")?;
            list.iter()
                .map(|item| {
                    let id = identifier(&text_at(item, id_pointer)?);
                    let host = p
                        .host
                        .and_then(|hp| item.pointer(hp))
                        .and_then(value_text)
                        .map_or_else(|| id.clone(), |h| identifier(&h));
                    Ok(Instance { id, host })
                })
                .collect::<Result<_, String>>()?
        }
    };
    if found.len() > MAX_INSTANCES {
        return Err(format!(
            "listed {} instances (more than {MAX_INSTANCES}): check the command",
            found.len()
        ));
    }
    if let Some(bad) = found.iter().find(|i| i.id.is_empty()) {
        return Err(format!("an instance has an empty id ({bad:?})"));
    }
    Ok(found)
}

/// Where a deployment's state is in JSON output.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StatusPointers<'a> {
    /// Set: the output is JSON.
    pub state: Option<&'a str>,
    pub progress: Option<&'a str>,
    pub message: Option<&'a str>,
}

/// A deployment's state: a word (then an optional message) on the first line, or JSON.
/// Words not in any list of `states` read as running, with the word kept to show.
pub(crate) fn status(
    text: &str,
    p: StatusPointers<'_>,
    states: &HttpStates,
) -> Result<DeployStatus, String> {
    let (raw, progress, message) = match p.state {
        None => {
            let line = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .ok_or("printed nothing: expected a state such as 'running' or 'succeeded'")?
                .trim();
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            (
                word.to_string(),
                None,
                (!rest.is_empty()).then(|| one_line(rest, 200)),
            )
        }
        Some(state) => {
            let doc = json(text)?;
            let raw = text_at(&doc, state)?;
            let progress = p
                .progress
                .and_then(|pp| doc.pointer(pp))
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
                .map(|v| v.clamp(0.0, 1.0) as f32);
            let message = p
                .message
                .and_then(|mp| doc.pointer(mp))
                .and_then(value_text)
                .map(|m| one_line(&m, 200));
            (raw, progress, message)
        }
    };
    let raw = raw.trim();
    let is = |words: &[String]| words.iter().any(|w| w.eq_ignore_ascii_case(raw));
    let state = if is(&states.succeeded) {
        DeployState::Succeeded
    } else if is(&states.failed) {
        DeployState::Failed
    } else if is(&states.aborted) {
        DeployState::Aborted
    } else {
        DeployState::Running
    };
    Ok(DeployStatus {
        state,
        raw_state: one_line(raw, 40),
        progress,
        message,
    })
}

/// Configuration: a JSON object (values as text), or `KEY=VALUE` lines (blank lines and
/// `#` comments skipped).
pub(crate) fn config(text: &str) -> Result<BTreeMap<String, String>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let doc = json(text)?;
        let obj = doc.as_object().ok_or("expected an object of key/values")?;
        return Ok(obj
            .iter()
            .map(|(k, v)| (k.clone(), value_text(v).unwrap_or_else(|| v.to_string())))
            .collect());
    }
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {} is not KEY=VALUE: {}", n + 1, one_line(line, 80)))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("line {} has no key before '='", n + 1));
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_plain_json_and_cut() {
        assert_eq!(version("9be77d\n", None, None).unwrap(), "9be77d");
        let re = Regex::new(":([^:@/]+)$").unwrap();
        assert_eq!(
            version("registry.example:5000/www:9be77d", None, Some(&re)).unwrap(),
            "9be77d"
        );
        assert_eq!(
            version(r#"{"app":{"version":42}}"#, Some("/app/version"), None).unwrap(),
            "42"
        );
        for (text, pointer, expect) in [
            ("", None, "no version"),
            ("  \n", None, "no version"),
            ("a\nb\n", None, "2 lines"),
            ("{", Some("/v"), "not JSON"),
            ("{}", Some("/v"), "no value at JSON pointer '/v'"),
            (r#"{"v":[1]}"#, Some("/v"), "not a string or number"),
        ] {
            let e = version(text, pointer, None).unwrap_err();
            assert!(e.contains(expect), "{text:?}: {e}");
        }
        assert!(
            version("www:latest-", None, Some(&Regex::new("@(.*)").unwrap()))
                .unwrap_err()
                .contains("does not match")
        );
        // Control characters never reach the board.
        assert_eq!(version("v1\x1b[2J\n", None, None).unwrap(), "v1");
    }

    #[test]
    fn instances_plain_and_json() {
        let plain = instances("www-1 10.0.0.1\n\nwww-2\n", InstancePointers::default()).unwrap();
        assert_eq!(
            plain,
            vec![
                Instance {
                    id: "www-1".into(),
                    host: "10.0.0.1".into()
                },
                Instance {
                    id: "www-2".into(),
                    host: "www-2".into()
                }
            ]
        );
        let p = InstancePointers {
            list: Some("/items"),
            id: Some("/metadata/name"),
            host: Some("/status/podIP"),
        };
        let doc = r#"{"items":[{"metadata":{"name":"a"},"status":{"podIP":"10.1.0.1"}},{"metadata":{"name":"b"},"status":{}}]}"#;
        let got = instances(doc, p).unwrap();
        assert_eq!(got[0].host, "10.1.0.1");
        assert_eq!(got[1].host, "b");
        assert!(instances("[]x", p).unwrap_err().contains("not JSON"));
        assert!(
            instances(r#"{"items":{}}"#, p)
                .unwrap_err()
                .contains("list of instances")
        );
        assert!(
            instances("", InstancePointers::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn statuses_plain_and_json() {
        let states = HttpStates::default();
        let s = status(
            "Succeeded all 3 replicas\n",
            StatusPointers::default(),
            &states,
        )
        .unwrap();
        assert_eq!(s.state, DeployState::Succeeded);
        assert_eq!(s.message.as_deref(), Some("all 3 replicas"));
        let s = status("progressing\n", StatusPointers::default(), &states).unwrap();
        assert_eq!(
            (s.state, s.raw_state.as_str()),
            (DeployState::Running, "progressing")
        );
        assert!(status("\n", StatusPointers::default(), &states).is_err());
        let p = StatusPointers {
            state: Some("/state"),
            progress: Some("/p"),
            message: Some("/m"),
        };
        let s = status(r#"{"state":"failed","p":7,"m":"boom"}"#, p, &states).unwrap();
        assert_eq!(s.state, DeployState::Failed);
        assert_eq!(s.progress, Some(1.0));
        assert_eq!(s.message.as_deref(), Some("boom"));
        assert!(status("{}", p, &states).unwrap_err().contains("/state"));
    }

    #[test]
    fn config_lines_and_json() {
        let c = config("# comment\nA=1\nB = x=y\r\n\n").unwrap();
        assert_eq!(c.get("A").map(String::as_str), Some("1"));
        assert_eq!(c.get("B").map(String::as_str), Some(" x=y"));
        let c = config(r#"{"A":"1","N":2,"O":{"x":1}}"#).unwrap();
        assert_eq!(c.get("N").map(String::as_str), Some("2"));
        assert_eq!(c.get("O").map(String::as_str), Some(r#"{"x":1}"#));
        assert!(config("A=1\nnonsense\n").unwrap_err().contains("line 2"));
        assert!(config("=1\n").unwrap_err().contains("no key"));
        assert!(config("[1]").unwrap_err().contains("KEY=VALUE"));
    }
}
