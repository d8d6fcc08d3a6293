//! `[gates]` (freeze windows) and `[approval]` (who must look before a promotion): the
//! pre-flight checks' settings. Windows stay text here so an error keeps its line; the
//! engine parses them (`engine::gates::FreezeWindow`), and `validate` parses them once
//! at load so a bad window is refused with its key.

use serde::{Deserialize, Serialize};

use crate::engine::gates::{FreezeWindow, Level};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesConfig {
    /// The time zone of windows that name none (an IANA name, `Europe/London`). There is
    /// no default: a freeze read in the wrong zone is an hour off half the year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A freeze starting within this many minutes warns ("time enough to finish?").
    #[serde(default = "notice_mins")]
    pub notice_mins: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<FreezeConfig>,
}

impl Default for GatesConfig {
    fn default() -> Self {
        GatesConfig {
            time_zone: None,
            notice_mins: notice_mins(),
            freeze: Vec::new(),
        }
    }
}

/// `[[gates.freeze]]`: one window. `from` and `to` are both dates (`2026-12-24`, whole
/// days, or `2026-12-24 15:00`), both a weekday and time (`Fri 15:00`, weekly) or both a
/// time (`17:00`, daily).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeConfig {
    pub name: String,
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `block` (the default: promoting needs an override with a reason) or `warn`.
    #[serde(default = "block")]
    pub level: Level,
}

/// `[approval]`: environments whose promotions need another user's approval of the exact
/// step (`slipway approve`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// May `--override-gates` go past a missing approval? Off by default: the promoter
    /// overriding their own four-eyes check would make it a formality.
    #[serde(default)]
    pub overridable: bool,
}

impl ApprovalConfig {
    pub fn environments(&self) -> Vec<crate::model::Env> {
        self.environments
            .iter()
            .map(crate::model::Env::new)
            .collect()
    }
}

impl GatesConfig {
    /// The windows, parsed. Validation has refused any that do not parse; one that still
    /// does not is left out rather than stopping the engine.
    pub fn windows(&self) -> Vec<FreezeWindow> {
        self.freeze
            .iter()
            .filter_map(|f| self.window(f).ok())
            .collect()
    }

    fn window(&self, f: &FreezeConfig) -> Result<FreezeWindow, (&'static str, String)> {
        let tz = f.time_zone.as_ref().or(self.time_zone.as_ref()).ok_or((
            "time_zone",
            "name the window's time zone (time_zone = \"Europe/London\" here or in [gates])"
                .to_string(),
        ))?;
        FreezeWindow::parse(&f.name, &f.from, &f.to, tz, f.level)
    }
}

fn notice_mins() -> u64 {
    60
}

fn block() -> Level {
    Level::Block
}

/// Errors as `(key, message)`, like the rest of validation.
pub(super) fn validate(
    gates: &GatesConfig,
    approval: &ApprovalConfig,
    environments: &[String],
) -> Result<(), (String, String)> {
    if let Some(tz) = &gates.time_zone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        return Err((
            "gates.time_zone".into(),
            format!("'{tz}' is not an IANA time zone name (e.g. \"Europe/London\")"),
        ));
    }
    if gates.notice_mins > 24 * 60 {
        return Err((
            "gates.notice_mins".into(),
            "must be at most 1440 (a day)".into(),
        ));
    }
    for (i, f) in gates.freeze.iter().enumerate() {
        let key = |k: &str| format!("gates.freeze[{i}].{k}");
        if f.name.trim().is_empty() {
            return Err((key("name"), "must not be empty".into()));
        }
        if f.level == Level::Pass {
            return Err((key("level"), "must be \"block\" or \"warn\"".into()));
        }
        gates.window(f).map_err(|(k, m)| (key(k), m))?;
    }
    let known: Vec<String> = environments
        .iter()
        .map(|e| crate::model::Env::new(e).to_string())
        .collect();
    for (i, env) in approval.environments().iter().enumerate() {
        if !known.contains(&env.to_string()) {
            return Err((
                format!("approval.environments[{i}]"),
                format!(
                    "no environment named '{env}' in release.environments ({})",
                    known.join(", ")
                ),
            ));
        }
        if known.first() == Some(&env.to_string()) {
            return Err((
                format!("approval.environments[{i}]"),
                format!("{env} is the first environment: nothing is promoted onto it"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = "[release]\nname = \"belfrage\"\nenvironments = [\"dev\", \"staging\", \"live\"]\n[platform]\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\n[[stacks]]\nid = \"www\"\n";

    fn error(extra: &str) -> crate::config::ConfigError {
        crate::config::parse_str(&format!("{BASE}{extra}"), Path::new("s.toml"))
            .expect_err("refused")
    }

    #[test]
    fn windows_and_approvals_parse_and_each_mistake_names_its_key_and_line() {
        let good = "[gates]\ntime_zone = \"Europe/London\"\n[[gates.freeze]]\nname = \"weekend\"\nfrom = \"Fri 15:00\"\nto = \"Mon 07:00\"\n[[gates.freeze]]\nname = \"friday\"\nfrom = \"Fri 12:00\"\nto = \"Fri 15:00\"\nlevel = \"warn\"\ntime_zone = \"America/New_York\"\n[approval]\nenvironments = [\"live\", \"Staging\"]\n";
        let c = crate::config::parse_str(&format!("{BASE}{good}"), Path::new("s.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.gates.windows().len(), 2);
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
