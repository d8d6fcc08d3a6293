//! `slipway smoke [STACK] [--json]`: the stacks' smoke checks, through the engine.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::{exit, session};
use crate::engine::{Command, Event};
use crate::feeds::smoke::SmokeReport;
use crate::model::StackId;

pub async fn run(config: Option<&Path>, stack: Option<String>, as_json: bool) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let stacks: Vec<(StackId, String)> = match &stack {
        Some(typed) => match loaded.config.resolve_stack(typed) {
            Some(s) => vec![(s.id.clone(), s.display_name())],
            None => {
                eprintln!("slipway: no stack '{typed}' in {}", loaded.path.display());
                return ExitCode::from(exit::REFUSED);
            }
        },
        None => loaded
            .config
            .stacks
            .iter()
            .filter(|s| !s.smoke.is_empty())
            .map(|s| (s.id.clone(), s.display_name()))
            .collect(),
    };
    if stacks.is_empty() {
        eprintln!("slipway: no stack has smoke checks; add [[stacks.smoke]] entries to the config");
        return ExitCode::from(exit::REFUSED);
    }
    // Every check has its own timeout and retries; this bounds the whole run.
    let limit = loaded
        .config
        .stacks
        .iter()
        .flat_map(|s| s.smoke.iter())
        .map(|c| (c.timeout_ms + c.retry_delay_ms) * u64::from(c.retries + 1))
        .max()
        .unwrap_or(5000)
        + 5000;
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    for (id, _) in &stacks {
        s.engine.send(Command::Smoke { stack: id.clone() }).await;
    }
    let mut reports: BTreeMap<StackId, SmokeReport> = BTreeMap::new();
    let collect = async {
        while reports.len() < stacks.len() {
            match s.events.recv().await {
                Some(Event::Smoke { stack, report, .. }) => {
                    reports.insert(stack, report);
                }
                Some(Event::Problem { context, message }) if context.starts_with("smoke") => {
                    eprintln!("slipway: {context}: {message}");
                    return false;
                }
                Some(_) => {}
                None => return false,
            }
        }
        true
    };
    if !matches!(
        tokio::time::timeout(Duration::from_millis(limit), collect).await,
        Ok(true)
    ) {
        eprintln!("slipway: the smoke checks did not all finish");
        return ExitCode::from(exit::FAILED);
    }
    let passed = reports.values().all(SmokeReport::passed);
    if as_json {
        let doc: Vec<_> = stacks
            .iter()
            .filter_map(|(id, name)| {
                reports.get(id).map(
                    |r| json!({"id": id, "name": name, "passed": r.passed(), "checks": r.checks}),
                )
            })
            .collect();
        super::out::json(&json!({ "stacks": doc }), true);
    } else {
        print!("{}", table(&stacks, &reports));
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

fn table(stacks: &[(StackId, String)], reports: &BTreeMap<StackId, SmokeReport>) -> String {
    let mut out = String::new();
    for (id, name) in stacks {
        let Some(r) = reports.get(id) else { continue };
        for c in &r.checks {
            let status = c.status.map_or("---".to_string(), |s| s.to_string());
            let verdict = if c.passed {
                "ok".to_string()
            } else {
                format!("FAILED: {}", c.failure.as_deref().unwrap_or("failed"))
            };
            let tries = if c.attempts > 1 {
                format!(" ({} tries)", c.attempts)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{name:<8} {:<14} {:<6} {status:<4} {:>6}ms  {verdict}{tries}\n",
                crate::text::one_line(&c.name, 14),
                c.method,
                c.latency_ms
            ));
        }
    }
    out
}
