//! `slipway logs STACK [--instance I] [-f] [--grep PATTERN] [-n N]`: an instance's log
//! printed as the Logs pane reads it: the same source, sanitiser, `\r` handling and
//! filter. Lines go to stdout (colours only on a terminal, re-made from parsed styles,
//! never copied from the input); what the source says about itself goes to stderr.
//!
//! The engine picks the instance, as it does for the dashboard: configured instances, or
//! the platform's list for the `[logs] env`. The stream itself is read by the log source
//! directly with the CLI's options (follow or not, `-n` lines of history): the engine's
//! follower always follows with the dashboard's history size and has no "read what is
//! there and stop", which `slipway logs` without `-f` is.

use std::io::{self, IsTerminal as _, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{exit, session};
use crate::config::{Config, LogSourceConfig, PlatformConfig};
use crate::engine::{Command, Event};
use crate::feeds::logs::{
    LogFeedEvent, Printer, SourceOptions, SourceStatus, TemplateVars, spawn_source_with,
};
use crate::model::{Env, Instance, StackId};
use crate::text::{Filter, FilterMode};

// `slipway logs`'s arguments, as clap parses them (flattened into `Cmd::Logs`).
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Stack id or name (case-insensitive).
    pub stack: String,
    /// The instance to read (default: the stack's first).
    #[arg(long, short = 'i', value_name = "ID")]
    pub instance: Option<String>,
    /// Keep following the log, like `tail -F` (reconnects, survives rotation).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only lines containing PATTERN (case-insensitive), or
    /// matching a regex written /LIKE THIS/.
    #[arg(long, value_name = "PATTERN")]
    pub grep: Option<String>,
    /// Lines of history to start with.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 200)]
    pub lines: usize,
}

pub async fn run(config: Option<&Path>, args: LogsArgs) -> ExitCode {
    match run_inner(config, args).await {
        Ok(code) => code,
        Err(Failure::Said(code)) => code,
        Err(Failure::Say(code, message)) => {
            eprintln!("slipway: {message}");
            ExitCode::from(code)
        }
    }
}

/// Why the command stops early: an exit code and what to say (unless already said).
#[derive(Debug)]
enum Failure {
    Said(ExitCode),
    Say(u8, String),
}

impl From<ExitCode> for Failure {
    fn from(code: ExitCode) -> Self {
        Failure::Said(code)
    }
}

async fn run_inner(config: Option<&Path>, args: LogsArgs) -> Result<ExitCode, Failure> {
    let loaded = session::load(config)?;
    let config = loaded.config;
    let Some(stack) = config.resolve_stack(&args.stack) else {
        let known: Vec<&str> = config.stacks.iter().map(|s| s.id.as_str()).collect();
        return Err(Failure::Say(
            exit::REFUSED,
            format!(
                "no stack '{}' in {} (stacks: {})",
                args.stack,
                loaded.path.display(),
                known.join(", ")
            ),
        ));
    };
    let stack = stack.id.clone();
    let Some(source) = config.logs.source.clone() else {
        return Err(Failure::Say(
            exit::REFUSED,
            format!(
                "no log source in {}: add [logs] source = {{ kind = \"file\", path = \"…/{{instance}}.log\" }} (or ssh, command, http)",
                loaded.path.display()
            ),
        ));
    };
    // A bad pattern is the user's typo: say so before anything starts.
    let filter = match &args.grep {
        Some(p) => Filter::parse(p, FilterMode::Auto)
            .map_err(|e| Failure::Say(exit::REFUSED, format!("--grep: {e}")))?,
        None => None,
    };
    let env = config.logs.env.clone();
    let max_chars = config.logs.max_line_chars;
    let buffer_lines = config.logs.buffer_lines;
    let instances = list_instances(config, &stack, env.clone()).await?;
    let instance = choose(&stack, &env, &instances, args.instance.as_deref())?;
    let vars = TemplateVars {
        stack: stack.to_string(),
        instance: instance.id.clone(),
        host: instance.host.clone(),
        env: env.to_string(),
    };
    // With --grep, -n counts matching lines (`-n 3 --grep X`: the last three matches), so
    // the history read is the whole buffer the dashboard would keep, filtered, then cut.
    let tail = filter.is_some().then_some(args.lines);
    let initial_lines = match tail {
        Some(n) => n.max(buffer_lines),
        None => args.lines,
    };
    let printer = Printer::new(filter, io::stdout().is_terminal(), max_chars);
    let opts = SourceOptions {
        follow: args.follow,
        initial_lines,
        ..SourceOptions::default()
    };
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut diag = io::stderr();
    let code = tokio::select! {
        code = stream(&source, &vars, opts, printer, tail, &mut out, &mut diag) => code,
        // The source's child (ssh, a command) lives in its own process group: stop it
        // here rather than leave it behind when the user presses Ctrl-C or we are killed.
        signal = stop_signal() => {
            let _ = out.flush();
            return Ok(ExitCode::from(signal));
        }
    };
    code.map(|c| ExitCode::from(c.clamp(0, 255) as u8))
        .map_err(|e| Failure::Say(exit::FAILED, e))
}

/// The stack's instances through the engine, as the dashboard gets them. The engine is
/// stopped again at once: it has nothing else to do for this command.
async fn list_instances(
    config: Config,
    stack: &StackId,
    env: Env,
) -> Result<Vec<Instance>, Failure> {
    let limit = instances_timeout(&config);
    let mut session = session::open(config)?;
    if session
        .engine
        .send(Command::ListInstances {
            stack: stack.clone(),
            env: env.clone(),
        })
        .await
        .is_none()
    {
        return Err(Failure::Say(
            exit::FAILED,
            "the engine stopped before it could list instances".into(),
        ));
    }
    let context = format!("instances of {stack}");
    let wait = async {
        while let Some(event) = session.events.recv().await {
            match event {
                Event::Instances {
                    stack: s,
                    env: e,
                    instances,
                } if &s == stack && e == env => return Ok(instances),
                Event::Problem {
                    context: c,
                    message,
                } if c == context => {
                    return Err(Failure::Say(
                        exit::FAILED,
                        format!("cannot list {stack}'s {env} instances: {message}"),
                    ));
                }
                _ => {}
            }
        }
        Err(Failure::Say(
            exit::FAILED,
            "the engine stopped unexpectedly".to_string(),
        ))
    };
    match tokio::time::timeout(limit, wait).await {
        Ok(result) => result,
        // A platform that cannot list instances answers nothing at all.
        Err(_) => Err(Failure::Say(
            exit::FAILED,
            format!(
                "no {env} instances of {stack} within {}s: the platform did not list them; name them in config (instances = [{{ id = \"…\", host = \"…\" }}] under the stack)",
                limit.as_secs()
            ),
        )),
    }
}

/// How long listing instances may take: every retry of the platform with back-off, plus
/// slack (the same reckoning as the first read of versions).
fn instances_timeout(config: &Config) -> Duration {
    match &config.platform {
        PlatformConfig::Http(h) => {
            Duration::from_secs((h.timeout_secs + 1) * (u64::from(h.retries) + 1) + 5)
        }
        PlatformConfig::Command(c) => Duration::from_secs(c.timeout_secs + 5),
        PlatformConfig::Git(g) => Duration::from_secs(g.timeout_secs + 5),
    }
}

fn choose(
    stack: &StackId,
    env: &Env,
    instances: &[Instance],
    wanted: Option<&str>,
) -> Result<Instance, Failure> {
    let found = match wanted {
        Some(id) => instances.iter().find(|i| i.id == id),
        None => instances.first(),
    };
    if let Some(i) = found {
        return Ok(i.clone());
    }
    let ids: Vec<&str> = instances.iter().map(|i| i.id.as_str()).collect();
    Err(match wanted {
        Some(id) if ids.is_empty() => Failure::Say(
            exit::FAILED,
            format!("no instance '{id}': {stack} has no {env} instances"),
        ),
        Some(id) => Failure::Say(
            exit::REFUSED,
            format!(
                "no instance '{id}' in {stack} ({env} instances: {})",
                ids.join(", ")
            ),
        ),
        None => Failure::Say(exit::FAILED, format!("{stack} has no {env} instances")),
    })
}

/// Prints the source until it ends (never, with `follow`, unless it gives up). Returns
/// the exit code: a command source's own, 1 when the source failed, 0 otherwise. With
/// `tail`, the history is held back and only its last `tail` printed lines are written:
/// at the end, or (following) once the source has been quiet for a moment.
async fn stream(
    source: &LogSourceConfig,
    vars: &TemplateVars,
    opts: SourceOptions,
    mut printer: Printer,
    tail: Option<usize>,
    out: &mut (dyn Write + Send),
    diag: &mut (dyn Write + Send),
) -> Result<i32, String> {
    let follow = opts.follow;
    let (tx, mut rx) = mpsc::channel(64);
    // Dropped on return, which stops the source and kills its process group.
    let _handle = spawn_source_with(source, vars, opts, tx);
    let mut held = tail.map(Tail::new);
    let mut code = 0;
    let mut failed = false;
    let mut last_said: Option<String> = None;
    loop {
        let event = match &mut held {
            Some(h) if follow => match tokio::time::timeout(HISTORY_QUIET, rx.recv()).await {
                Ok(event) => event,
                Err(_) => {
                    // The history is read: what is held goes out, the rest as it comes.
                    let written = h.release(out).and_then(|()| out.flush());
                    held = None;
                    match written {
                        Ok(()) => continue,
                        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
                        Err(e) => return Err(format!("cannot write the log: {e}")),
                    }
                }
            },
            _ => rx.recv().await,
        };
        let Some(event) = event else { break };
        let w: &mut (dyn Write + Send) = match &mut held {
            Some(h) => h,
            None => &mut *out,
        };
        let written = match event {
            LogFeedEvent::Lines { lines, dropped } => {
                if dropped > 0 {
                    let _ = writeln!(
                        diag,
                        "slipway: {dropped} lines dropped (the output was too slow)"
                    );
                }
                lines.iter().try_for_each(|raw| printer.line(raw, w))
            }
            LogFeedEvent::Gap { reason } => printer.gap(&reason.to_string(), w),
            LogFeedEvent::Status(SourceStatus::Ended { code: c }) => {
                code = c.unwrap_or(0);
                Ok(())
            }
            LogFeedEvent::Status(SourceStatus::Failed(message)) => {
                failed = true;
                let message = crate::text::one_line(&message, 500);
                if !follow {
                    // Without -f there is nothing to wait for (a file that is not there yet).
                    let message = message.strip_suffix("; waiting for it").unwrap_or(&message);
                    let _ = writeln!(diag, "slipway: {}: {message}", vars.instance);
                    break;
                }
                // A source that keeps failing the same way says so once.
                if last_said.as_deref() != Some(message.as_str()) {
                    let _ = writeln!(diag, "slipway: {}: {message}", vars.instance);
                    last_said = Some(message);
                }
                Ok(())
            }
            LogFeedEvent::Status(SourceStatus::Following) => {
                failed = false;
                last_said = None;
                Ok(())
            }
            LogFeedEvent::Status(_) => Ok(()),
        };
        match written.and_then(|()| w.flush()) {
            Ok(()) => {}
            // `| head` closed the pipe: that is how a reader says it has enough.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
            Err(e) => return Err(format!("cannot write the log: {e}")),
        }
    }
    let written = match &mut held {
        Some(h) => printer.flush(h).and_then(|()| h.release(out)),
        None => printer.flush(out),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => return Err(format!("cannot write the log: {e}")),
    }
    if failed && code == 0 {
        code = 1;
    }
    Ok(code)
}

/// How long a followed source stays quiet before its history counts as read.
const HISTORY_QUIET: Duration = Duration::from_millis(300);

/// The last `keep` lines written to it (whole lines; a line still open is kept whole).
struct Tail {
    keep: usize,
    lines: std::collections::VecDeque<Vec<u8>>,
    open: Vec<u8>,
}

impl Tail {
    fn new(keep: usize) -> Self {
        Tail {
            keep,
            lines: std::collections::VecDeque::with_capacity(keep.min(1024)),
            open: Vec::new(),
        }
    }

    /// Writes what is held to `out` and empties it.
    fn release(&mut self, out: &mut (dyn Write + Send)) -> io::Result<()> {
        for line in self.lines.drain(..) {
            out.write_all(&line)?;
        }
        out.write_all(&std::mem::take(&mut self.open))
    }
}

impl Write for Tail {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            self.open.push(b);
            if b == b'\n' {
                let line = std::mem::take(&mut self.open);
                if self.keep > 0 {
                    if self.lines.len() == self.keep {
                        self.lines.pop_front();
                    }
                    self.lines.push_back(line);
                }
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Resolves with the exit code for Ctrl-C (130) or SIGTERM (143).
async fn stop_signal() -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => exit::INTERRUPTED,
            _ = term.recv() => 143,
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            exit::INTERRUPTED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(id: &str) -> Instance {
        Instance {
            id: id.into(),
            host: format!("{id}.internal"),
        }
    }

    #[test]
    fn picks_the_named_or_the_first_instance_and_names_the_others() {
        let stack = StackId::new("sally");
        let list = [inst("a"), inst("b")];
        assert_eq!(choose(&stack, &Env::live(), &list, None).unwrap().id, "a");
        assert_eq!(
            choose(&stack, &Env::live(), &list, Some("b")).unwrap().id,
            "b"
        );
        let Err(Failure::Say(code, msg)) = choose(&stack, &Env::live(), &list, Some("zz")) else {
            panic!("an unknown instance is refused");
        };
        assert_eq!(code, exit::REFUSED);
        assert_eq!(msg, "no instance 'zz' in sally (live instances: a, b)");
        let Err(Failure::Say(code, msg)) = choose(&stack, &Env::live(), &[], None) else {
            panic!("no instances is a failure");
        };
        assert_eq!(
            (code, msg.as_str()),
            (exit::FAILED, "sally has no live instances")
        );
    }
}
