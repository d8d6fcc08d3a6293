//! The `[logs]` section's checks at load (called by `crate::validation`): sizes, required
//! strings, known placeholders, and nothing that ssh could read as one of its own options.

use super::template::NAMES;
use crate::config::{LogSourceConfig, LogsConfig, Problem, check_placeholders, check_url};

/// Every problem in `[logs]`, keys from the root.
pub fn validate(logs: &LogsConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    if logs.buffer_lines == 0 {
        out.push(Problem::new("logs.buffer_lines", "must be at least 1"));
    }
    if logs.max_line_chars < 80 {
        out.push(Problem::new("logs.max_line_chars", "must be at least 80"));
    }
    if let Some(source) = &logs.source {
        out.extend(
            validate_source(source)
                .into_iter()
                .map(|p| p.under("logs.source")),
        );
    }
    out
}

/// A required template: not empty, and only the known placeholders.
fn template(key: &str, value: &str) -> Option<Problem> {
    if value.trim().is_empty() {
        return Some(Problem::new(key, "must not be empty"));
    }
    check_placeholders(key, value, &NAMES)
}

fn validate_source(source: &LogSourceConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    match source {
        LogSourceConfig::File { path } => out.extend(template("path", path)),
        LogSourceConfig::Ssh {
            host,
            path,
            connect_timeout_secs,
            ..
        } => {
            match template("host", host) {
                Some(p) => out.push(p),
                None if host.starts_with('-')
                    || host.chars().any(|c| c.is_whitespace() || c.is_control()) =>
                {
                    out.push(Problem::new(
                        "host",
                        "must be a host name, alias or user@host",
                    ));
                }
                None => {}
            }
            out.extend(template("path", path));
            if *connect_timeout_secs == 0 {
                out.push(Problem::new("connect_timeout_secs", "must be at least 1"));
            }
        }
        LogSourceConfig::Command { command, .. } => out.extend(template("command", command)),
        LogSourceConfig::Http {
            url,
            auth,
            timeout_secs,
            idle_timeout_secs,
        } => {
            match template("url", url) {
                Some(p) => out.push(p),
                None => out.extend(check_url("url", url, &NAMES)),
            }
            if *timeout_secs == 0 {
                out.push(Problem::new("timeout_secs", "must be at least 1"));
            }
            if *idle_timeout_secs == 0 {
                out.push(Problem::new("idle_timeout_secs", "must be at least 1"));
            }
            if let Some(auth) = auth
                && auth.token_env.is_none()
                && auth.token_file.is_none()
            {
                out.push(Problem::new(
                    "auth",
                    "name where the token is: token_env = \"VAR\" or token_file = \"PATH\"",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::LogSourceConfig;
    use crate::validation::parse_str;

    const BASE: &str = "[release]\nname = \"x\"\n\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:1\"\n\n[[stacks]]\nid = \"a\"\n\n";

    fn parse(logs: &str) -> Result<crate::config::Config, String> {
        parse_str(&format!("{BASE}{logs}"), Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn each_source_kind_parses_with_defaults() {
        let c = parse("[logs.source]\nkind = \"ssh\"\npath = \"/var/log/{stack}.log\"\noptions = [\"-p\", \"2222\"]\n")
            .unwrap();
        match c.logs.source {
            Some(LogSourceConfig::Ssh {
                host,
                connect_timeout_secs,
                ..
            }) => {
                assert_eq!(host, "{host}");
                assert_eq!(connect_timeout_secs, 10);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.logs.initial_lines, 200);
        assert_eq!(c.logs.max_line_chars, 4000);
        let c =
            parse("[logs.source]\nkind = \"command\"\ncommand = \"kubectl logs -f {instance}\"\n")
                .unwrap();
        assert!(matches!(
            c.logs.source,
            Some(LogSourceConfig::Command { restart: false, .. })
        ));
        let c =
            parse("[logs.source]\nkind = \"http\"\nurl = \"http://{host}:9000/logs\"\n").unwrap();
        assert!(matches!(
            c.logs.source,
            Some(LogSourceConfig::Http {
                idle_timeout_secs: 300,
                ..
            })
        ));
        let c = parse("[logs.source]\nkind = \"file\"\npath = \"/tmp/{instance}.log\"\n").unwrap();
        assert!(matches!(c.logs.source, Some(LogSourceConfig::File { .. })));
    }

    #[test]
    fn mistakes_are_reported_with_their_key() {
        let e = parse("[logs.source]\nkind = \"file\"\npath = \"/x\"\ntypo = 1\n").unwrap_err();
        assert!(e.contains("typo"), "{e}");
        let e = parse("[logs.source]\nkind = \"file\"\npath = \"/x/{stak}\"\n").unwrap_err();
        assert!(
            e.contains("logs.source.path") && e.contains("{stak}"),
            "{e}"
        );
        let e =
            parse("[logs.source]\nkind = \"ssh\"\nhost = \"-oProxyCommand=x\"\npath = \"/x\"\n")
                .unwrap_err();
        assert!(e.contains("logs.source.host"), "{e}");
        let e = parse("[logs.source]\nkind = \"http\"\nurl = \"ftp://x\"\n").unwrap_err();
        assert!(e.contains("http://"), "{e}");
        let e = parse("[logs.source]\nkind = \"command\"\ncommand = \" \"\n").unwrap_err();
        assert!(e.contains("must not be empty"), "{e}");
    }
}
