//! `slipway check-config [PATH]`: parse and validate, and say everything that is wrong
//! and where (one problem a line, in file order), not just the first.

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
    match crate::validation::load_file(&path) {
        Ok(loaded) => {
            let c = &loaded.config;
            let order: Vec<String> = c
                .stacks
                .iter()
                .map(super::super::config::StackConfig::display_name)
                .collect();
            println!(
                "{}: ok — release {}, {} stacks in order {}",
                path.display(),
                c.release.name,
                c.stacks.len(),
                order.join(" → ")
            );
            for line in command_preview(c) {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(exit::REFUSED)
        }
    }
}

/// For a command platform, the exact command line of every operation for the first stack
/// on live, so a template mistake shows before anything runs. Nothing is run.
fn command_preview(c: &crate::config::Config) -> Vec<String> {
    use crate::platform::Platform;
    use crate::platform::command::{CommandPlatform, Operation, TemplateValues};
    let crate::config::PlatformConfig::Command(cfg) = &c.platform else {
        return Vec::new();
    };
    let envs = c.release.environments();
    let (Some(stack), Some(live)) = (c.stacks.first(), envs.last()) else {
        return Vec::new();
    };
    let platform = match CommandPlatform::new(cfg.clone(), envs.clone()) {
        Ok(p) => p,
        Err(e) => return vec![format!("platform: {e}")],
    };
    let caps = platform.capabilities();
    let can: Vec<&str> = [
        (caps.abort, "abort"),
        (caps.instances, "list instances"),
        (caps.config, "read configuration"),
    ]
    .into_iter()
    .filter_map(|(yes, what)| yes.then_some(what))
    .collect();
    let mut out = vec![
        format!(
            "platform: {} (can {})",
            platform.describe(),
            if can.is_empty() {
                "only read versions and deploy".to_string()
            } else {
                can.join(", ")
            }
        ),
        format!(
            "commands for {} on {live} (VERSION and PREVIOUS stand for the versions of the day):",
            stack.id
        ),
    ];
    let user = crate::journal::os_user();
    let id = format!("{live}-YYYYMMDD-HHMMSS-XXXX");
    let values = TemplateValues {
        stack: stack.id.as_str(),
        env: live.as_str(),
        version: "VERSION",
        previous: "PREVIOUS",
        user: &user,
        id: &id,
    };
    let ops = [
        ("versions", Operation::Versions),
        ("promote", Operation::Promote),
        ("rollback", Operation::Rollback),
        ("abort", Operation::Abort),
        ("status", Operation::Status),
        ("instances", Operation::Instances),
        ("config", Operation::Config),
    ];
    for (name, op) in ops {
        let line = match platform.commands(op, &values) {
            None => "(not configured)".to_string(),
            Some(cmds) => cmds
                .iter()
                .map(super::super::platform::template::RenderedCommand::display)
                .collect::<Vec<_>>()
                .join(" && "),
        };
        out.push(format!("  {name:<9} {line}"));
    }
    out
}
