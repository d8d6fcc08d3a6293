//! `slipway completions SHELL` and `slipway man`: generated from the same clap definitions
//! as `--help`, so they can never list a flag that does not exist.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use super::{Cli, exit};

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "slipway", &mut out);
    finish(out.flush())
}

/// Prints the man page (roff) on stdout: `slipway man | man -l -`.
pub fn man() -> ExitCode {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = std::io::stdout().lock();
    finish(page.render(&mut out).and_then(|()| out.flush()))
}

fn finish(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `| head` closed the pipe: the reader has what it wants.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slipway: cannot write: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}
