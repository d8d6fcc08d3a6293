//! `[gates]` and `[approval]` from config: the freeze windows parsed for the engine, and
//! the checks of both sections at load (called by `crate::validation`).

use super::{FreezeWindow, Level};
use crate::config::{ApprovalConfig, FreezeConfig, GatesConfig, Problem};

/// The windows, parsed. Validation has refused any that do not parse; one that still
/// does not is left out rather than stopping the engine.
pub fn windows(gates: &GatesConfig) -> Vec<FreezeWindow> {
    gates
        .freeze
        .iter()
        .filter_map(|f| window(gates, f).ok())
        .collect()
}

fn window(gates: &GatesConfig, f: &FreezeConfig) -> Result<FreezeWindow, (&'static str, String)> {
    let tz = f.time_zone.as_ref().or(gates.time_zone.as_ref()).ok_or((
        "time_zone",
        "name the window's time zone (time_zone = \"Europe/London\" here or in [gates])"
            .to_string(),
    ))?;
    FreezeWindow::parse(&f.name, &f.from, &f.to, tz, f.level)
}

/// Every problem in `[gates]` and `[approval]`, keys from the document's root.
pub fn validate(
    gates: &GatesConfig,
    approval: &ApprovalConfig,
    environments: &[String],
) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(tz) = &gates.time_zone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        out.push(Problem::new(
            "gates.time_zone",
            format!("'{tz}' is not an IANA time zone name (e.g. \"Europe/London\")"),
        ));
    }
    if gates.notice_mins > 24 * 60 {
        out.push(Problem::new(
            "gates.notice_mins",
            "must be at most 1440 (a day)",
        ));
    }
    for (i, f) in gates.freeze.iter().enumerate() {
        let key = |k: &str| format!("gates.freeze[{i}].{k}");
        if f.name.trim().is_empty() {
            out.push(Problem::new(key("name"), "must not be empty"));
        }
        if f.level == Level::Pass {
            out.push(Problem::new(key("level"), "must be \"block\" or \"warn\""));
        }
        if let Err((k, m)) = window(gates, f) {
            out.push(Problem::new(key(k), m));
        }
    }
    out.extend(validate_approval(approval, environments));
    out
}

fn validate_approval(approval: &ApprovalConfig, environments: &[String]) -> Vec<Problem> {
    let known: Vec<String> = environments
        .iter()
        .map(|e| crate::model::Env::new(e).to_string())
        .collect();
    let mut out = Vec::new();
    for (i, env) in approval.environments().iter().enumerate() {
        let key = format!("approval.environments[{i}]");
        if !known.contains(&env.to_string()) {
            out.push(Problem::new(
                key,
                format!(
                    "no environment named '{env}' in release.environments ({})",
                    known.join(", ")
                ),
            ));
        } else if known.first() == Some(&env.to_string()) {
            out.push(Problem::new(
                key,
                format!("{env} is the first environment: nothing is promoted onto it"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = "[release]\nname = \"belfrage\"\nenvironments = [\"dev\", \"staging\", \"live\"]\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\n[[stacks]]\nid = \"www\"\n";

    fn error(extra: &str) -> crate::config::ConfigError {
        let errors = crate::validation::parse_str(&format!("{BASE}{extra}"), Path::new("s.toml"))
            .expect_err("refused");
        assert_eq!(errors.len(), 1, "{errors}");
        errors.first().clone()
    }

    #[test]
    fn windows_and_approvals_parse_and_each_mistake_names_its_key_and_line() {
        let good = "[gates]\ntime_zone = \"Europe/London\"\n[[gates.freeze]]\nname = \"weekend\"\nfrom = \"Fri 15:00\"\nto = \"Mon 07:00\"\n[[gates.freeze]]\nname = \"friday\"\nfrom = \"Fri 12:00\"\nto = \"Fri 15:00\"\nlevel = \"warn\"\ntime_zone = \"America/New_York\"\n[approval]\nenvironments = [\"live\", \"Staging\"]\n";
        let c = crate::validation::parse_str(&format!("{BASE}{good}"), Path::new("s.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(super::windows(&c.gates).len(), 2);
        assert_eq!(c.approval.environments().len(), 2);

        let e = error(
            "[[gates.freeze]]\nname = \"weekend\"\nfrom = \"Fri 15:00\"\nto = \"Mon 07:00\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("gates.freeze[0].time_zone"));
        assert!(e.message.contains("name the window's time zone"), "{e}");
        let e = error(
            "[gates]\ntime_zone = \"UTC\"\n[[gates.freeze]]\nname = \"x\"\nfrom = \"Fri 15:00\"\nto = \"2027-01-02\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("gates.freeze[0].to"));
        assert_eq!(e.line, Some(14), "{e}");
        let e = error("[gates]\ntime_zone = \"Mars/Olympus\"\n");
        assert_eq!(e.key.as_deref(), Some("gates.time_zone"));
        let e = error("[approval]\nenvironments = [\"prod\"]\n");
        assert_eq!(e.key.as_deref(), Some("approval.environments[0]"));
        assert!(e.message.contains("dev, staging, live"), "{e}");
        let e = error("[approval]\nenvironments = [\"dev\"]\n");
        assert!(e.message.contains("first environment"), "{e}");
        let e = error(
            "[gates]\ntime_zone = \"UTC\"\n[[gates.freeze]]\nname = \"x\"\nfrom = \"17:00\"\nto = \"09:00\"\nlevel = \"pass\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("gates.freeze[0].level"));
    }
}
