//! `slipway diff`: what a promotion ships, per stack through the engine, or ad hoc
//! between two revisions of any repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{exit, session};
use crate::engine::release::Board;
use crate::engine::{Command, Event, RepoState};
use crate::model::Version;
use crate::vcs::{ChangeSet, Commit, DiffError, RiskRules};

// `slipway diff`'s arguments, as clap parses them (flattened into `Cmd::Diff`).
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Only this stack (id or name).
    #[arg(long)]
    pub stack: Option<String>,
    /// Print it as JSON: each stack's range, commits, risk flags and drift.
    #[arg(long)]
    pub json: bool,
    /// Fetch the repository first.
    #[arg(long)]
    pub fetch: bool,
    /// Count lines added and removed per file (slower on long ranges).
    #[arg(long)]
    pub stat: bool,
    /// Ad hoc, without a platform: a repository and two revisions.
    #[arg(long, value_name = "PATH", requires_all = ["live", "test"])]
    pub repo: Option<PathBuf>,
    /// With --repo: the revision live runs (the old end of the range).
    #[arg(long, value_name = "REV")]
    pub live: Option<String>,
    /// With --repo: the revision test runs (the new end of the range).
    #[arg(long, value_name = "REV")]
    pub test: Option<String>,
}

pub async fn run(config: Option<&Path>, args: DiffArgs) -> ExitCode {
    match (&args.repo, &args.live, &args.test) {
        (Some(repo), Some(live), Some(test)) => ad_hoc(repo, live, test, args.json, args.stat),
        (None, None, None) => through_engine(config, &args).await,
        _ => {
            eprintln!(
                "slipway: diff --repo needs --live and --test (or none of the three, to use the config)"
            );
            ExitCode::from(exit::REFUSED)
        }
    }
}

/// `diff --repo PATH --live REV --test REV`: no platform, no engine, no runtime.
pub fn ad_hoc(repo: &Path, live: &str, test: &str, json: bool, stat: bool) -> ExitCode {
    let r = match git2::Repository::open(repo) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "slipway: cannot open the repository {}: {}",
                repo.display(),
                e.message()
            );
            return ExitCode::from(exit::REFUSED);
        }
    };
    let result = crate::vcs::diff(&r, live, test, &RiskRules::defaults()).and_then(|mut cs| {
        if stat {
            for c in &mut cs.commits {
                crate::vcs::fill_line_stats(&r, c)?;
            }
        }
        Ok(cs)
    });
    // The process ends after this answer: libgit2 freeing its pack caches object by
    // object cost 3% of a long range, for memory the exit hands back anyway.
    std::mem::forget(r);
    match result {
        Ok(cs) => {
            if json {
                print_changes_json(cs);
            } else {
                print!("{}", text(&format!("{live}..{test}"), &cs, stat));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("slipway: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// The engine's diff for each pair of versions (live, test) a wanted stack ships, once
/// it has arrived.
type Diffs = BTreeMap<(Version, Version), Option<crate::engine::DiffResult>>;

async fn through_engine(config: Option<&Path>, args: &DiffArgs) -> ExitCode {
    let loaded = match session::load(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let wanted = match stacks_to_diff(&loaded, args.stack.as_deref()) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let release = loaded.config.release.name.clone();
    // Where the engine reads the repository (a cloned one is announced when ready):
    // `--stat` counts lines there once the diffs are in.
    let mut repo_path = loaded.config.repo.as_ref().and_then(|r| r.path.clone());
    let fetch_timeout = loaded
        .config
        .repo
        .as_ref()
        .map_or(120, |r| r.fetch_timeout_secs);
    let mut s = match session::open(loaded.config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.fetch {
        s.engine.send(Command::Fetch).await;
    }
    let (board, problems) = session::first_refresh(&mut s.events, &s.config).await;
    for p in &problems {
        eprintln!("slipway: {p}");
    }
    // The engine computes every stack's diff after the first refresh (and again after a
    // fetch); collect until each wanted stack's pair has arrived.
    let mut diffs = Diffs::new();
    for st in &wanted {
        if let Some(v) = board.get(&st.id).and_then(|b| b.versions.as_ref()) {
            diffs.insert((v.target().clone(), v.source().clone()), None);
        }
    }
    let deadline = Duration::from_secs(fetch_timeout + 60);
    let collect = collect_diffs(&mut s.events, &mut diffs, args.fetch, &mut repo_path);
    match tokio::time::timeout(deadline, collect).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            eprintln!("slipway: {e}");
            return ExitCode::from(exit::FAILED);
        }
        Err(_) => {
            eprintln!(
                "slipway: the diff did not finish within {}s",
                deadline.as_secs()
            );
            return ExitCode::from(exit::FAILED);
        }
    }
    let failed = print_diffs(&wanted, &board, &diffs, repo_path.as_deref(), args, release).await;
    if failed {
        ExitCode::from(exit::FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// The stack typed, or every stack; refused when the stack is unknown or the config
/// names no repository (said now, not after waiting for the platform).
fn stacks_to_diff(
    loaded: &crate::config::LoadedConfig,
    typed: Option<&str>,
) -> Result<Vec<crate::config::StackConfig>, ExitCode> {
    let wanted = match typed {
        Some(typed) => match loaded.config.resolve_stack(typed) {
            Some(s) => vec![s.clone()],
            None => {
                eprintln!("slipway: no stack '{typed}' in {}", loaded.path.display());
                return Err(ExitCode::from(exit::REFUSED));
            }
        },
        None => loaded.config.stacks.clone(),
    };
    // Without a repository there is nothing to compute: say so now, not after the wait.
    if loaded.config.repo.is_none() {
        eprintln!(
            "slipway: no [repo] section in {}: diff needs the repository (add [repo] path = \"…\" or url = \"…\"), or use diff --repo PATH --live REV --test REV",
            loaded.path.display()
        );
        return Err(ExitCode::from(exit::REFUSED));
    }
    Ok(wanted)
}

/// Reads the engine's events until every pair in `diffs` has its result (and, with
/// `--fetch`, the fetch is done), noting where a cloned repository is ready. Problems
/// are printed as they come; a repository that cannot be read ends the wait.
async fn collect_diffs(
    events: &mut mpsc::Receiver<Event>,
    diffs: &mut Diffs,
    fetching: bool,
    repo_path: &mut Option<PathBuf>,
) -> Result<(), String> {
    let mut fetched = !fetching;
    while diffs.values().any(Option::is_none) || !fetched {
        match events.recv().await {
            Some(Event::Changes {
                live,
                test,
                changes,
            }) => {
                // Results from before a fetch may be replaced by ones after it.
                if let Some(slot) = diffs.get_mut(&(live, test)) {
                    *slot = Some(changes);
                }
            }
            Some(Event::Fetched(result)) => {
                fetched = true;
                match result {
                    // Diffs that failed before (an unknown version) are computed
                    // again: wait for those rather than report the old failure.
                    Ok(()) => diffs.values_mut().for_each(|slot| {
                        if slot.as_ref().is_some_and(|r| r.is_err()) {
                            *slot = None;
                        }
                    }),
                    Err(e) => eprintln!("slipway: fetch: {e}"),
                }
            }
            Some(Event::Problem { context, message }) => {
                eprintln!("slipway: {context}: {message}");
            }
            Some(Event::Repo(RepoState::Ready(path))) => *repo_path = Some(path),
            Some(Event::Repo(RepoState::Failed(e))) => return Err(e),
            Some(Event::Repo(RepoState::NotConfigured)) => {
                return Err(RepoState::NotConfigured.describe());
            }
            Some(_) => {}
            None => return Err("the engine stopped".to_string()),
        }
    }
    Ok(())
}

/// Prints each wanted stack's changes as text, or all of them as one JSON document with
/// `--json`. True when any stack's diff failed.
async fn print_diffs(
    wanted: &[crate::config::StackConfig],
    board: &Board,
    diffs: &Diffs,
    repo_path: Option<&Path>,
    args: &DiffArgs,
    release: String,
) -> bool {
    let mut failed = false;
    let mut out_json = Vec::new();
    for st in wanted {
        let name = st.display_name();
        let Some(v) = board.get(&st.id).and_then(|b| b.versions.as_ref()) else {
            eprintln!("slipway: {name}: versions unknown");
            failed = true;
            continue;
        };
        let result = diffs
            .get(&(v.target().clone(), v.source().clone()))
            .cloned()
            .flatten();
        let mut result: Result<ChangeSet, DiffError> = match result {
            Some(r) => (*r).clone(),
            None => Err(DiffError::Git("no result".into())),
        };
        if args.stat
            && let Ok(cs) = result
        {
            result = with_line_stats(repo_path.map(Path::to_path_buf), cs).await;
        }
        failed |= result.is_err();
        if args.json {
            out_json.push(StackJson {
                error: result.as_ref().err().map(ToString::to_string),
                changes: result.ok(),
                id: st.id.to_string(),
                name,
            });
            continue;
        }
        match &result {
            Ok(cs) => print!(
                "{}",
                text(&format!("{name}: {}", v.step_words()), cs, args.stat)
            ),
            Err(e) => match e.remedy() {
                Some(r) => println!("{name}: {e}; {}\n", super::remedy::words(&r)),
                None => println!("{name}: {e}\n"),
            },
        }
    }
    if args.json {
        print_json(&ReleaseJson {
            release,
            stacks: out_json,
        });
    }
    failed
}

/// Line counts for every commit of a change set, read from the repository the engine
/// uses, off the async threads.
async fn with_line_stats(repo: Option<PathBuf>, mut cs: ChangeSet) -> Result<ChangeSet, DiffError> {
    let Some(repo) = repo else {
        return Err(DiffError::Git(
            "the repository is not ready (still cloning?): no line counts".into(),
        ));
    };
    let count = tokio::task::spawn_blocking(move || {
        let r = git2::Repository::open(&repo).map_err(|e| DiffError::Open {
            path: repo.display().to_string(),
            message: e.message().to_string(),
        })?;
        for c in &mut cs.commits {
            crate::vcs::fill_line_stats(&r, c)?;
        }
        Ok(cs)
    });
    match tokio::time::timeout(STAT_TIMEOUT, count).await {
        Ok(done) => done.unwrap_or_else(|e| Err(DiffError::Git(e.to_string()))),
        Err(_) => Err(DiffError::Git(format!(
            "counting lines took longer than {}s",
            STAT_TIMEOUT.as_secs()
        ))),
    }
}

/// Longest `--stat` may spend counting one stack's lines.
const STAT_TIMEOUT: Duration = Duration::from_secs(300);

/// `diff --json` in config mode: the release and each stack's changes, or why not.
/// Keys in alphabetical order, as the document has always had them.
#[derive(serde::Serialize)]
struct ReleaseJson {
    release: String,
    stacks: Vec<StackJson>,
}

#[derive(serde::Serialize)]
struct StackJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<ChangeSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    id: String,
    name: String,
}

/// JSON for scripts: compact into a pipe (large ranges serialise fast), indented for a
/// person at a terminal.
fn print_json<T: serde::Serialize>(value: &T) {
    use std::io::IsTerminal;
    super::out::json(value, std::io::stdout().is_terminal());
}

/// Bytes of JSON gathered before a write.
const JSON_BATCH: usize = 64 * 1024;

/// One change set as JSON, the same document as [`print_json`]; into a pipe it is
/// written a commit at a time, so a long range never holds its whole text in memory.
fn print_changes_json(mut cs: ChangeSet) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        super::out::json(&cs, true);
        return;
    }
    // The document around the commits, with an empty list where they go.
    let commits = std::mem::take(&mut cs.commits);
    const SLOT: &str = "\"commits\":[]";
    let frame = serde_json::to_string(&cs).map(|f| super::out::json_safe(&f));
    let Some((frame, at)) = frame
        .ok()
        .and_then(|f| f.find(SLOT).map(|at| (f, at + SLOT.len() - 1)))
    else {
        cs.commits = commits;
        super::out::json(&cs, false);
        return;
    };
    let mut batch = String::with_capacity(JSON_BATCH + 4096);
    batch.push_str(&frame[..at]);
    for (i, c) in commits.iter().enumerate() {
        if i > 0 {
            batch.push(',');
        }
        match serde_json::to_string(c) {
            Ok(one) => batch.push_str(&super::out::json_safe(&one)),
            Err(e) => {
                eprintln!("slipway: writing the JSON failed: {e}");
                return;
            }
        }
        if batch.len() >= JSON_BATCH {
            super::out::write_raw(super::out::Stream::Out, batch.as_bytes());
            batch.clear();
            if super::out::stdout_closed() {
                return;
            }
        }
    }
    batch.push_str(&frame[at..]);
    batch.push('\n');
    super::out::write_raw(super::out::Stream::Out, batch.as_bytes());
}

/// A readable listing: a summary line, then one line per commit (merged commits
/// indented). With `stat`, each commit line ends with its lines added and removed, and
/// a total follows the summary.
pub fn text(title: &str, cs: &ChangeSet, stat: bool) -> String {
    let mut out = format!("{title} · {}", cs.summary());
    if !cs.risk_counts.is_empty() {
        let parts: Vec<String> = cs
            .risk_counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push_str(&format!(" ({})", parts.join(", ")));
    }
    out.push('\n');
    if stat {
        let (files, added, removed) = cs.commits.iter().fold((0, 0u64, 0u64), |t, c| {
            let (a, r) = lines_of(c);
            (t.0 + c.files.len(), t.1 + a, t.2 + r)
        });
        out.push_str(&format!(
            "total: +{added} -{removed} lines in {files} file change{}\n",
            if files == 1 { "" } else { "s" }
        ));
    }
    if let Some(d) = &cs.drift {
        out.push_str(&format!(
            "DRIFT: live has {} commit(s) test lacks:\n",
            d.live_only.len()
        ));
        for c in &d.live_only {
            out.push_str(&line(c, "  ! ", false));
        }
    }
    for c in &cs.commits {
        out.push_str(&line(c, "", stat));
        for m in &c.merged {
            out.push_str(&line(m, "    └ ", stat));
        }
    }
    out.push('\n');
    out
}

/// Lines added and removed by a commit (files without counts, binary ones, add none).
fn lines_of(c: &Commit) -> (u64, u64) {
    c.files.iter().fold((0, 0), |(a, r), f| {
        (
            a + u64::from(f.added.unwrap_or(0)),
            r + u64::from(f.removed.unwrap_or(0)),
        )
    })
}

fn line(c: &Commit, indent: &str, stat: bool) -> String {
    let pr = c.pr.map(|p| format!(" {p}")).unwrap_or_default();
    let risks: String = c.risks.iter().map(|r| format!(" [{r}]")).collect();
    let lines = if stat {
        let (a, r) = lines_of(c);
        format!(" +{a} -{r}")
    } else {
        String::new()
    };
    format!(
        "{indent}{} {} {:<14}{pr} {}{risks}{lines}\n",
        c.short,
        c.time.format("%Y-%m-%d"),
        crate::text::one_line(&c.author, 13),
        crate::text::one_line(&c.subject, 200)
    )
}
