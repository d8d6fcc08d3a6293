//! `slipway check-config [PATH]`: parse and validate, say what is wrong and where.

use std::path::Path;
use std::process::ExitCode;

use super::exit;

pub fn run(path: Option<&Path>) -> ExitCode {
    let path = match crate::config::find_config(path) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("slipway: {msg}");
            return ExitCode::from(exit::REFUSED);
        }
    };
    match crate::config::load_file(&path) {
        Ok(loaded) => {
            let c = &loaded.config;
            let order: Vec<String> = c.stacks.iter().map(|s| s.display_name()).collect();
            println!(
                "{}: ok — release {}, {} stacks in order {}",
                path.display(),
                c.release.name,
                c.stacks.len(),
                order.join(" → ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(exit::REFUSED)
        }
    }
}
