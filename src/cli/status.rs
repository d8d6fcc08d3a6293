//! `slipway status [--json]`: versions and phases of every stack, read through the engine.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::{exit, session};
use crate::engine::release::{Board, Phase};
use crate::engine::verdict::Verdict;

pub async fn run(config: Option<&Path>, json: bool) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let release = loaded.config.release.name.clone();
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (board, problems) = session::first_refresh(&mut s.events, &s.config).await;
    // Instance lists (for metrics and logs) are not what status reports on.
    for p in problems.iter().filter(|p| !p.starts_with("instances of")) {
        eprintln!("slipway: {p}");
    }
    // Each stack's verdict as the journal records it (status watches nothing itself).
    let journal = match crate::journal::read(&s.config.release.journal_path()) {
        Ok((entries, _)) => entries,
        Err(e) => {
            eprintln!("slipway: the journal could not be read, so no verdict is known: {e}");
            Vec::new()
        }
    };
    let verdicts = verdicts(&board, &journal);
    if json {
        println!(
            "{}",
            super::out::json_safe(&to_json(&release, &board, &verdicts))
        );
    } else {
        print!("{}", table(&board, &verdicts));
    }
    let all_known = board.stacks.iter().all(|s| s.versions.is_some());
    if all_known {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

/// Per stack (in board order), what the journal says of the version live runs now.
pub fn verdicts(board: &Board, journal: &[crate::journal::Entry]) -> Vec<Option<Verdict>> {
    board
        .stacks
        .iter()
        .map(|s| {
            let v = s.versions.as_ref()?;
            Some(Verdict::of(
                journal,
                s.id.as_str(),
                v.live_env().as_str(),
                v.live().as_str(),
            ))
        })
        .collect()
}

pub fn to_json(release: &str, board: &Board, verdicts: &[Option<Verdict>]) -> String {
    let stacks: Vec<_> = board
        .stacks
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = s.versions.as_ref();
            let t = s.phase.in_flight();
            let by_env: serde_json::Map<String, serde_json::Value> = v
                .map(|v| {
                    v.envs
                        .iter()
                        .map(|e| (e.env.to_string(), json!(e.version.as_str())))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "order": i + 1,
                "id": s.id,
                "name": s.name,
                // Every environment's version, in promotion order.
                "versions": by_env,
                // The stack's next promotion.
                "next": v.map(|v| json!({ "from": v.source_env(), "to": v.target_env() })),
                "live": v.map(|v| v.live().as_str()),
                // What the next promotion takes forward (test's version with two environments).
                "test": v.map(|v| v.source().as_str()),
                "phase": s.phase.label(),
                "deployment": t.and_then(|t| t.deployment.as_ref()).map(|d| d.id.as_str()),
                "progress": t.and_then(|t| t.progress),
                "reason": match &s.phase { Phase::Failed { reason, .. } => Some(reason.as_str()), _ => None },
                // Smoke tests and metric flags recorded on live's version, in words; null
                // when versions are unknown.
                "verdict": verdicts.get(i).cloned().flatten().map(|v| v.words()),
            })
        })
        .collect();
    let doc = json!({ "release": release, "stacks": stacks });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// One row per stack: its version in each environment (in promotion order), and state.
pub fn table(board: &Board, verdicts: &[Option<Verdict>]) -> String {
    let name_w = board
        .stacks
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let envs: Vec<String> = board
        .stacks
        .iter()
        .find_map(|s| s.versions.as_ref())
        .map_or_else(
            || vec!["test".into(), "live".into()],
            |v| v.envs.iter().map(|e| e.env.to_string()).collect(),
        );
    let col_w = envs.iter().map(String::len).max().unwrap_or(4).max(8);
    let mut out = format!("{:<3}{:<name_w$}  ", "#", "STACK");
    for e in &envs {
        out.push_str(&format!("{:<col_w$} ", e.to_uppercase()));
    }
    out.push_str("STATE\n");
    for (i, s) in board.stacks.iter().enumerate() {
        let v = s.versions.as_ref();
        let mut state = s.phase.label().to_string();
        if let Some(v) = v
            && matches!(s.phase, Phase::Pending)
        {
            // Old → new with the environment names, as everywhere.
            state.push_str(&format!(": {}", v.step_words()));
        }
        if let Some(t) = s.phase.in_flight() {
            if envs.len() > 2 {
                state.push_str(&format!(" to {}", t.env));
            }
            if let Some(d) = &t.deployment {
                state.push_str(&format!(" #{}", d.id));
            }
            if let Some(p) = t.progress {
                state.push_str(&format!(" {:.0}%", p * 100.0));
            }
        }
        if let Phase::Failed { reason, .. } = &s.phase {
            state.push_str(&format!(": {reason}"));
        }
        if let Some(Some(verdict)) = verdicts.get(i) {
            state.push_str(&format!(" · {}", verdict.words()));
        }
        out.push_str(&format!("{:<3}{:<name_w$}  ", i + 1, s.name));
        for e in &envs {
            let version = v
                .and_then(|v| v.version(&crate::model::Env::new(e)))
                .map_or("?", |x| x.short());
            out.push_str(&format!("{version:<col_w$} "));
        }
        out.push_str(&state);
        out.push('\n');
    }
    out
}
