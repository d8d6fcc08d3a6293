//! `slipway status [--json]`: versions and phases of every stack, read through the engine.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::{exit, session};
use crate::engine::release::{Board, Phase};

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
    if json {
        println!("{}", super::out::json_safe(&to_json(&release, &board)));
    } else {
        print!("{}", table(&board));
    }
    let all_known = board.stacks.iter().all(|s| s.versions.is_some());
    if all_known {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

pub fn to_json(release: &str, board: &Board) -> String {
    let stacks: Vec<_> = board
        .stacks
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = s.versions.as_ref();
            let t = s.phase.in_flight();
            json!({
                "order": i + 1,
                "id": s.id,
                "name": s.name,
                "live": v.map(|v| v.target().as_str()),
                "test": v.map(|v| v.source().as_str()),
                "phase": s.phase.label(),
                "deployment": t.and_then(|t| t.deployment.as_ref()).map(|d| d.id.as_str()),
                "progress": t.and_then(|t| t.progress),
                "reason": match &s.phase { Phase::Failed { reason, .. } => Some(reason.as_str()), _ => None },
            })
        })
        .collect();
    let doc = json!({ "release": release, "stacks": stacks });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

pub fn table(board: &Board) -> String {
    let name_w = board
        .stacks
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "{:<3}{:<name_w$}  {:<8} {:<8} STATE\n",
        "#", "STACK", "LIVE", "TEST"
    );
    for (i, s) in board.stacks.iter().enumerate() {
        let v = s.versions.as_ref();
        let live = v.map(|v| v.target().short()).unwrap_or("?");
        let test = v.map(|v| v.source().short()).unwrap_or("?");
        let mut state = s.phase.label().to_string();
        if let Some(t) = s.phase.in_flight() {
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
        out.push_str(&format!(
            "{:<3}{:<name_w$}  {:<8} {:<8} {state}\n",
            i + 1,
            s.name,
            live,
            test
        ));
    }
    out
}
