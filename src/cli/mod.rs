//! The command line. Every subcommand that acts drives the same engine as the dashboard.

// First: its `println!`/`eprintln!` (sanitising, redacting, quiet on a closed pipe)
// replace std's in every module below.
#[macro_use]
pub(crate) mod out;

mod act;
mod announce;
mod approve;
mod check;
mod check_config;
mod diff;
mod docs;
mod history;
mod logs;
mod prompt;
mod remedy;
mod report;
mod session;
mod smoke;
mod status;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes: 0 done, 1 the action failed, 2 refused or bad input, 3 flagged while
/// watching (`promote --watch`), 130 interrupted.
pub mod exit {
    pub const FAILED: u8 = 1;
    pub const REFUSED: u8 = 2;
    /// `promote --watch`: a metric was flagged while watching.
    pub const FLAGGED: u8 = 3;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, Parser)]
#[command(
    name = "slipway",
    version,
    about = "Drive a release from test to live: versions, changes, promotions, metrics, logs.",
    after_help = "With no subcommand, opens the dashboard. Try `slipway demo` for a simulated environment."
)]
pub struct Cli {
    /// Config file (default: $`SLIPWAY_CONFIG`, ./slipway.toml, then ~/.config/slipway/config.toml).
    #[arg(long, short = 'c', global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Write diagnostics here instead of the daily file in ~/.local/state/slipway/ (level: $`SLIPWAY_LOG`).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Watch only: refuse promote, rollback, abort, announce and lock steals, and write
    /// nothing to the journal (as `read_only = true` in [release]).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Check each action and show exactly what it would send (the HTTP request, the
    /// command lines, or the commit and push), and send nothing: no deployment, no lock,
    /// no journal entry, no chat post.
    #[arg(long, global = true)]
    pub dry_run: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Taking the release lock from another operator, on purpose.
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// Take the release lock even though another operator holds it (journaled).
    #[arg(long, requires = "reason")]
    pub steal_lock: bool,
    /// Why: journaled with whom the lock was taken from (--steal-lock), and with the
    /// gates gone past (promote --override-gates).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

impl LockArgs {
    /// The reason, when the lock is to be stolen.
    pub fn steal(&self) -> Option<String> {
        self.steal_lock
            .then(|| self.reason.clone().unwrap_or_default())
    }

    /// A `--reason` that nothing uses is refused rather than ignored: whoever typed it
    /// believed it went somewhere.
    fn check_reason(&self, overriding_gates: bool) -> Result<(), ExitCode> {
        if self.reason.is_some() && !self.steal_lock && !overriding_gates {
            eprintln!(
                "slipway: --reason goes with --steal-lock (or, for promote, --override-gates)"
            );
            return Err(ExitCode::from(exit::REFUSED));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open the dashboard (the default).
    Tui,
    /// Run everything against an embedded simulated environment; no config needed.
    Demo {
        /// Only run the simulated environment, in the foreground, until Ctrl-C.
        #[arg(long)]
        serve: bool,
        /// With --serve: write a config pointing at the environment to PATH.
        #[arg(long, value_name = "PATH", requires = "serve")]
        write_config: Option<PathBuf>,
        /// Milliseconds per deployment step (default 900: a deployment takes ~15 s).
        #[arg(long, value_name = "MS")]
        step_ms: Option<u64>,
        /// How many environments the simulated world has: 2 (test, live) or 3 (dev,
        /// staging, live).
        #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=3))]
        environments: u8,
    },
    /// Print each stack's live and test versions and where it is in the release.
    Status {
        /// Print it as JSON: every environment's version, phase, deployment and verdict.
        #[arg(long)]
        json: bool,
    },
    /// Promote a stack one environment on (test → live by default), streaming the
    /// deployment's output.
    #[command(
        after_help = "Exit status: 0 promoted (and, with --watch, no metric flag while watched), 1 the deployment or its smoke tests failed, 2 refused or not confirmed, 3 a metric was flagged during --watch, 130 interrupted."
    )]
    Promote {
        /// Stack id or name (case-insensitive).
        stack: String,
        /// The environment to promote onto (default: the stack's next step); it gets what
        /// the environment before it runs.
        #[arg(long, value_name = "ENV")]
        to: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Promote even though stacks earlier in the order are not live yet.
        #[arg(long)]
        override_order: bool,
        /// Promote even though pre-flight gates block (a freeze, a deployment in flight…);
        /// needs --reason, journaled with the gates and your name.
        #[arg(long, requires = "reason")]
        override_gates: bool,
        /// After the deployment and its smoke tests, watch the stack's metrics for this
        /// long (90s, 5m, 1h) with the dashboard's verdicts, printing each change; exit 3
        /// on a flag, 0 if the watch ends clean.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        watch: Option<std::time::Duration>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Check the pre-flight gates: freeze windows, risky changes, drift, deployments in
    /// flight, health, metric flags, the lock, approvals.
    #[command(
        after_help = "Exit status: 0 every gate passes, 1 a gate warns, 2 a gate blocks (or the check could not run: bad config, unknown stack)."
    )]
    Check {
        /// Only this stack's next promotion (default: every stack's that is checked).
        stack: Option<String>,
        /// With STACK: its promotion onto ENV.
        #[arg(long, value_name = "ENV", requires = "stack")]
        to: Option<String>,
        /// Every item as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a stack's promotion (its next, or onto --to) as it stands now, for another
    /// user to carry out: environments in [approval] need one.
    Approve {
        /// Stack id or name (case-insensitive).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        stack: Option<String>,
        /// Every stack with a promotion onto --to (or its next) waiting.
        #[arg(long)]
        all: bool,
        /// The environment the approved promotion goes to.
        #[arg(long, value_name = "ENV")]
        to: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Deploy the version live ran before the last promotion (or --to) back onto live.
    Rollback {
        /// Stack id or name (case-insensitive).
        stack: String,
        /// The version to roll back to (default: live before the last promotion).
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Abort a stack's deployment in flight (where the platform supports it).
    Abort {
        /// Stack id or name (case-insensitive).
        stack: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Show what a promotion ships: the commits in live..test, risk flags and drift.
    Diff {
        #[command(flatten)]
        args: diff::DiffArgs,
    },
    /// Run smoke checks (all stacks that have them, or one).
    Smoke {
        /// Only this stack (id or name; default: every stack with smoke checks).
        stack: Option<String>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draft the release announcement from the diff, show it and post it to chat.
    /// With --dry-run: print what would be posted, post nothing (needs no token).
    Announce {
        /// The completion message instead of the release announcement.
        #[arg(long)]
        complete: bool,
        /// Post without asking for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Send again where an earlier post's outcome was unknown (check the channel first).
        #[arg(long)]
        force: bool,
        /// Post although this release's message was already sent (the journal says so).
        #[arg(long)]
        again: bool,
    },
    /// Print an instance's log: the same source, sanitising and filter as the Logs pane.
    #[command(
        after_help = "Exit status: the source's (a command's exit code), 1 when it failed (a missing file without -f, ssh refused), 2 for bad input (unknown stack or instance, bad pattern)."
    )]
    Logs {
        #[command(flatten)]
        args: logs::LogsArgs,
    },
    /// The release journal: who did what, when, with which versions.
    History {
        /// Only this stack.
        #[arg(long)]
        stack: Option<String>,
        /// One JSON object per line, as recorded.
        #[arg(long)]
        json: bool,
        /// The newest N entries.
        #[arg(short = 'n', long = "last", default_value_t = 50)]
        last: usize,
    },
    /// The release report: what shipped, each stack's steps, smoke results and metric
    /// flags, overrides, approvals and announcements, and who did what — from the journal.
    #[command(
        after_help = "A release is the entries from the first promotion of its version (with the announcement, approvals and overrides just before it) up to the next release's first promotion. Without --release, the newest release. --since alone takes everything recorded since then."
    )]
    Report {
        /// markdown (to paste into a ticket or chat) or json.
        #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
        format: ReportFormat,
        /// The release of this version (a commit id, or a prefix of one).
        #[arg(long, value_name = "VERSION")]
        release: Option<String>,
        /// Only what was recorded since: 2026-11-22 12:00, 2026-11-22, RFC 3339, or an age (90m, 6h, 2d).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
    },
    /// Check a config file and report every problem with its file, line and key.
    CheckConfig {
        /// The file to check (default: the config slipway would use).
        path: Option<PathBuf>,
    },
    /// Print a shell completion script: `slipway completions bash > /etc/bash_completion.d/slipway`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `slipway man | man -l -`.
    Man,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    session::set_read_only(cli.read_only);
    session::set_dry_run(cli.dry_run);
    // Commands that only read local files talk to nothing that could need diagnosing, and
    // need no async runtime: starting either would cost them more than their work on a
    // short range (see benches/diff_compare.sh).
    match &cli.command {
        Some(Cmd::CheckConfig { path }) => {
            return check_config::run(path.as_deref().or(cli.config.as_deref()));
        }
        Some(Cmd::Completions { shell }) => return docs::completions(*shell),
        Some(Cmd::Man) => return docs::man(),
        Some(Cmd::Diff {
            args:
                diff::DiffArgs {
                    repo: Some(repo),
                    live: Some(live),
                    test: Some(test),
                    json,
                    stat,
                    ..
                },
        }) => return diff::ad_hoc(repo, live, test, *json, *stat),
        Some(Cmd::History { stack, json, last }) => {
            return history::run(cli.config.as_deref(), stack.clone(), *json, *last);
        }
        // The journal and the repository are local files: no runtime, no log file.
        Some(Cmd::Report {
            format,
            release,
            since,
        }) => {
            return report::run(
                cli.config.as_deref(),
                *format,
                release.clone(),
                since.as_deref(),
            );
        }
        _ => {}
    }
    let _log_guard = match crate::telemetry::init(cli.log_file.as_deref()) {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("slipway: warning: {e}; continuing without a log file");
            None
        }
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), command = ?cli.command, "start");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("slipway: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let code = runtime.block_on(dispatch(cli));
    // Blocking tasks (terminal reads, child processes) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

/// `90s`, `5m`, `1h`, or plain seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}': a number with s, m or h (90s, 5m, 1h)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("'{text}': a number with s, m or h (90s, 5m, 1h)")),
    };
    if secs == 0 {
        return Err("the watch needs at least a second".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// Subcommands that change something: never offered as a guess for a mistyped word
/// (`slipway report` must not be answered "did you mean abort").
const MUTATING: &[&str] = &["promote", "rollback", "abort", "announce", "approve"];

/// clap's message, except that a "did you mean" naming a mutating subcommand is replaced
/// by the list of subcommands.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let suggests_mutating = e.kind() == ErrorKind::InvalidSubcommand
        && match e.get(ContextKind::SuggestedSubcommand) {
            Some(ContextValue::String(s)) => MUTATING.contains(&s.as_str()),
            Some(ContextValue::Strings(v)) => v.iter().any(|s| MUTATING.contains(&s.as_str())),
            _ => false,
        };
    if !suggests_mutating {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    let typed = match e.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    let names: Vec<String> = <Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    eprintln!(
        "error: unrecognized subcommand '{typed}'\n\nslipway's subcommands: {}\n\nFor more information, try '--help'.",
        names.join(", ")
    );
    ExitCode::from(exit::REFUSED)
}

async fn dispatch(cli: Cli) -> ExitCode {
    let config = cli.config.as_deref();
    let command = cli.command.unwrap_or(Cmd::Tui);
    if let Err(code) = refused_before_starting(&command, config) {
        return code;
    }
    match command {
        Cmd::Tui => session::dashboard(config).await,
        Cmd::Demo {
            serve,
            write_config,
            step_ms,
            environments,
        } => session::demo(serve, write_config, step_ms, environments.into()).await,
        Cmd::Status { json } => status::run(config, json).await,
        Cmd::Promote {
            stack,
            to,
            yes,
            override_order,
            override_gates,
            watch,
            lock,
        } => {
            let to = to.as_deref().map(crate::model::Env::new);
            let opts = act::PromoteOptions {
                yes,
                override_order,
                override_gates: override_gates.then(|| lock.reason.clone().unwrap_or_default()),
                watch,
            };
            act::promote(config, &stack, to, opts, lock.steal()).await
        }
        Cmd::Rollback {
            stack,
            to,
            yes,
            lock,
        } => act::rollback(config, &stack, to, yes, lock.steal()).await,
        Cmd::Abort { stack, yes, lock } => act::abort(config, &stack, yes, lock.steal()).await,
        Cmd::Check { stack, to, json } => check::run(config, stack, to, json).await,
        Cmd::Approve {
            stack,
            all,
            to,
            yes,
        } => approve::run(config, stack.filter(|_| !all), to, yes).await,
        Cmd::Diff { args } => diff::run(config, args).await,
        Cmd::Smoke { stack, json } => smoke::run(config, stack, json).await,
        Cmd::Announce {
            complete,
            yes,
            force,
            again,
        } => {
            let args = announce::AnnounceArgs {
                dry_run: cli.dry_run,
                complete,
                yes,
                force,
                again,
            };
            announce::run(config, args).await
        }
        Cmd::Logs { args } => logs::run(config, args).await,
        // Handled before the runtime starts (see main).
        Cmd::CheckConfig { path } => check_config::run(path.as_deref().or(config)),
        Cmd::Completions { shell } => docs::completions(shell),
        Cmd::Man => docs::man(),
        Cmd::History { stack, json, last } => history::run(config, stack, json, last),
        Cmd::Report {
            format,
            release,
            since,
        } => report::run(config, format, release, since.as_deref()),
    }
}

/// What is refused before anything starts: `demo` with a config it would not use, and a
/// `--reason` that nothing would journal.
fn refused_before_starting(
    command: &Cmd,
    config: Option<&std::path::Path>,
) -> Result<(), ExitCode> {
    match command {
        Cmd::Demo { .. } => match config {
            // Ignoring it would leave the user believing their config is in use.
            Some(path) => {
                eprintln!(
                    "slipway: demo runs on its own embedded environment and takes no --config ({}); \
                     to use that config run `slipway --config {}`",
                    path.display(),
                    path.display()
                );
                Err(ExitCode::from(exit::REFUSED))
            }
            None => Ok(()),
        },
        Cmd::Promote {
            override_gates,
            lock,
            ..
        } => lock.check_reason(*override_gates),
        Cmd::Rollback { lock, .. } | Cmd::Abort { lock, .. } => lock.check_reason(false),
        _ => Ok(()),
    }
}
