//! `slipway history [--stack S] [--json] [-n N]`: the release journal, newest last.

use std::path::Path;
use std::process::ExitCode;

use super::{exit, session};
use crate::history::line;
use crate::journal::Entry;

pub fn run(config: Option<&Path>, stack: Option<String>, json: bool, last: usize) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let wanted = match &stack {
        Some(typed) => match loaded.config.resolve_stack(typed) {
            Some(s) => Some(s.id.to_string()),
            None => {
                eprintln!("slipway: no stack '{typed}' in {}", loaded.path.display());
                return ExitCode::from(exit::REFUSED);
            }
        },
        None => None,
    };
    // What the journal holds came from outside: a secret it echoes shows `[redacted]`.
    crate::secrets::register_configured(&loaded.config);
    let path = loaded.config.release.journal_path();
    let (entries, bad) = match crate::journal::read(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("slipway: cannot read the journal {}: {e}", path.display());
            return ExitCode::from(exit::FAILED);
        }
    };
    if bad > 0 {
        eprintln!(
            "slipway: {bad} line(s) of {} could not be read and were skipped",
            path.display()
        );
    }
    let chosen: Vec<&Entry> = entries
        .iter()
        .filter(|e| wanted.is_none() || e.stack == wanted)
        .collect();
    let chosen = &chosen[chosen.len().saturating_sub(last)..];
    if json {
        for e in chosen {
            println!(
                "{}",
                super::out::json_safe(&serde_json::to_string(e).unwrap_or_default())
            );
            if super::out::stdout_closed() {
                break;
            }
        }
    } else if chosen.is_empty() {
        eprintln!("slipway: nothing recorded yet in {}", path.display());
    } else {
        for e in chosen {
            println!("{}", line(e));
            // `| head` had enough.
            if super::out::stdout_closed() {
                break;
            }
        }
    }
    ExitCode::SUCCESS
}
