//! `slipway check [STACK] [--to ENV] [--json]`: the pre-flight gates, judged by the same
//! engine as the dashboard's. Exit 0 when every gate passes, 1 when one warns, 2 when one
//! blocks, so CI can stop a pipeline on it.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::{exit, session};
use crate::engine::gates::{Item, Level, Report, Scope};
use crate::engine::{Command, Event};
use crate::model::Env;

/// Diffs and the platform's approvals are read fresh for the check; this bounds it.
const CHECK_LIMIT: Duration = Duration::from_secs(120);

pub async fn run(
    config: Option<&Path>,
    stack: Option<String>,
    to: Option<String>,
    json: bool,
) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let stack = match &stack {
        None => None,
        Some(typed) => match loaded.config.resolve_stack(typed) {
            Some(s) => Some(s.id.clone()),
            None => {
                eprintln!("slipway: no stack '{typed}' in {}", loaded.path.display());
                return ExitCode::from(exit::REFUSED);
            }
        },
    };
    let release = loaded.config.release.name.clone();
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (_, problems) = session::first_refresh(&mut s.events, &s.config).await;
    for p in problems.iter().filter(|p| !p.starts_with("instances of")) {
        eprintln!("slipway: {p}");
    }
    let cmd = Command::CheckGates {
        stack,
        to: to.as_deref().map(Env::new),
    };
    let Some(id) = s.engine.send(cmd).await else {
        eprintln!("slipway: the engine stopped before the gates could be checked");
        return ExitCode::from(exit::REFUSED);
    };
    let answer = async {
        while let Some(ev) = s.events.recv().await {
            match ev {
                Event::GateCheck { id: got, result } if got == id => return Some(result),
                _ => {}
            }
        }
        None
    };
    let report = match tokio::time::timeout(CHECK_LIMIT, answer).await {
        Ok(Some(Ok(report))) => report,
        Ok(Some(Err(refusal))) => {
            eprintln!("slipway: cannot check: {refusal}");
            return ExitCode::from(exit::REFUSED);
        }
        Ok(None) | Err(_) => {
            eprintln!("slipway: the gates were not checked in time");
            return ExitCode::from(exit::REFUSED);
        }
    };
    if json {
        let mut doc = serde_json::to_value(&report).unwrap_or_default();
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("release".into(), release.into());
            obj.insert("worst".into(), report.worst().as_str().into());
        }
        super::out::json(&doc, true);
    } else {
        print!("{}", text(&release, &report));
    }
    ExitCode::from(match report.worst() {
        Level::Pass => 0,
        Level::Warn => 1,
        Level::Block => 2,
    })
}

/// A heading, one line per gate, and the verdict.
pub fn text(release: &str, report: &Report) -> String {
    let scope = match &report.scope {
        Scope::Release => format!("{release}: every next promotion that is checked"),
        Scope::Promotion { step } => format!(
            "{release}: {} {} from {}",
            step.name,
            step.words(),
            step.source_env
        ),
    };
    let what = |i: &Item| match &i.step {
        Some(s) => format!("{} {}", s.name, i.gate.label()),
        None => i.gate.label().to_string(),
    };
    let width = report
        .items
        .iter()
        .map(|i| what(i).chars().count())
        .max()
        .unwrap_or(10);
    let mut out = format!("Pre-flight gates · {scope}\n");
    for i in &report.items {
        // `⛔` takes two columns where `✓` and `⚠` take one: pad to keep columns.
        let pad = 2usize.saturating_sub(unicode_width::UnicodeWidthStr::width(i.mark()));
        out.push_str(&format!(
            "{}{} {:<5}  {:<width$}  {}\n",
            i.mark(),
            " ".repeat(pad),
            i.level.as_str(),
            what(i),
            i.reason
        ));
    }
    let worst = report.worst();
    let mut gates: Vec<&str> = report
        .items
        .iter()
        .filter(|i| i.level == worst && worst != Level::Pass)
        .map(|i| i.gate.label())
        .collect();
    // Each gate once, in the order first met (per-stack items repeat gates apart).
    let mut seen = std::collections::HashSet::new();
    gates.retain(|g| seen.insert(*g));
    if gates.is_empty() {
        out.push_str("verdict: pass\n");
    } else {
        out.push_str(&format!(
            "verdict: {} ({})\n",
            worst.as_str(),
            gates.join(", ")
        ));
    }
    out
}
