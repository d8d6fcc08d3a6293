//! `slipway report [--format markdown|json] [--release V] [--since T]`: the release
//! report from the journal and the repository, printed to stdout.

use std::path::Path;
use std::process::ExitCode;

use super::{ReportFormat, exit, session};
use crate::report::{self, Scope};

pub fn run(
    config: Option<&Path>,
    format: ReportFormat,
    release: Option<String>,
    since: Option<&str>,
) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let since = match since.map(|s| report::parse_since(s, chrono::Utc::now())) {
        Some(Err(e)) => {
            eprintln!("slipway: {e}");
            return ExitCode::from(exit::REFUSED);
        }
        Some(Ok(t)) => Some(t),
        None => None,
    };
    // The journal's details came from outside: a configured secret shows `[redacted]`.
    crate::secrets::register_configured(&loaded.config);
    let scope = Scope { release, since };
    let repo = report::repo_access(&loaded.config);
    let built = match report::gather(&loaded.config, &scope, &repo) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("slipway: {e}");
            return ExitCode::from(exit::REFUSED);
        }
    };
    match format {
        ReportFormat::Markdown => print!("{}", report::markdown(&built)),
        ReportFormat::Json => super::out::json(&built, true),
    }
    ExitCode::SUCCESS
}
