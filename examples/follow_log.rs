//! Follows a file through slipway's log pipeline (file source, batching, sanitiser, filter)
//! and prints matching lines: the same path as `slipway logs STACK -f --grep PATTERN`, usable
//! by `benches/tail_compare.sh` before the CLI subcommand is wired.
//!
//! Usage: follow_log FILE [PATTERN]

use slipway::config::LogSourceConfig;
use slipway::feeds::logs::print::print_logs_to_stdout;
use slipway::feeds::logs::{PrintOptions, TemplateVars};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: follow_log FILE [PATTERN]");
        std::process::exit(2);
    };
    let source = LogSourceConfig::File { path: file };
    let opts = PrintOptions {
        follow: true,
        lines: 0,
        grep: args.next(),
        color: false,
        ..Default::default()
    };
    match print_logs_to_stdout(&source, &TemplateVars::default(), opts).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("follow_log: {e}");
            std::process::exit(2);
        }
    }
}
