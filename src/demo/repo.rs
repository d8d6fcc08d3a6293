//! Generates the demo's git repository: a few hundred commits of plausible history for
//! belfrage, an Elixir edge router, with GitHub-style merge and squash commits, release
//! tags, and between each stack's live version and test (HEAD of main) a window of
//! commits holding exactly one migration, one production config change and one
//! dependency bump, so the Changes pane has something worth flagging.
//!
//! Everything is derived from a fixed seed, a fixed start date and the bundled
//! `assets/demo/commits.txt`, so every commit hash is the same on every run.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use git2::{IndexEntry, IndexTime, Oid, Repository, RepositoryInitOptions, Signature};

use super::assets::{Author, ChangeKind, CommitMaterial, Subject};
use super::repo_content::{
    LIB_MODULES, bump_target, initial_files, insert_after, insert_before_end, lock_line, migration,
    minor, module_for, set_line, slug, test_path, test_snippet,
};

const SEED: u64 = 0x5119_3a72_2026;
/// The first commit's date as written; the history then runs over working days from
/// here (about 40 days), and is moved on by whole weeks so that it ends before today.
const START: (i32, u32, u32) = (2026, 11, 1);
/// Days from the first commit to today at least: the history (about 40 days) ends a few
/// days ago, never in the future.
const HISTORY_DAYS: i64 = 45;
/// Plain pull requests between sally/bruce's live version and www/cedric's.
const WINDOW_OLDER: usize = 8;
/// Plain pull requests between www/cedric's live version and HEAD, besides the three risky ones.
const WINDOW_RECENT_PLAIN: usize = 9;
const RELEASES: [&str; 5] = ["v1.38.0", "v1.39.0", "v1.39.1", "v1.40.0", "v1.40.1"];
/// The release sally and bruce still run.
const LIVE_RELEASE: &str = "v1.41.0";

/// What the rest of the demo needs to know about the generated history.
#[derive(Debug, Clone)]
pub struct RepoInfo {
    /// HEAD of main: the version on test for every stack.
    pub head: String,
    /// Live on www (and under cedric's hotfix).
    pub live_recent: String,
    /// Live on sally and bruce (tagged `v1.41.0`).
    pub live_older: String,
    /// Live on cedric: www's live version and a hotfix made on live only, never merged
    /// to main, so the demo has one stack with drift (promoting there takes it away).
    pub live_hotfix: String,
    /// Every commit id, so the platform can refuse versions it never built.
    pub commits: HashSet<String>,
    /// Tag name → commit id.
    pub tags: BTreeMap<String, String>,
}

impl RepoInfo {
    /// A full commit id, or a tag name, as a full commit id.
    pub fn resolve(&self, version: &str) -> Option<String> {
        let v = version.trim();
        if self.commits.contains(v) {
            return Some(v.to_string());
        }
        self.tags.get(v).cloned()
    }
}

/// One change to the file tree, re-applicable on top of a different base (which is how
/// a merge commit combines a branch with what landed on main meanwhile).
#[derive(Debug, Clone)]
pub(super) enum Op {
    /// Insert before a module's final `end`, or append when the file has none.
    Insert {
        path: String,
        text: String,
    },
    /// Insert right after the first line equal to `marker` (a changelog heading).
    InsertAfter {
        path: String,
        marker: String,
        text: String,
    },
    Create {
        path: String,
        content: String,
    },
    /// Replace the line starting with `prefix`, or append the line.
    SetLine {
        path: String,
        prefix: String,
        line: String,
    },
}

#[derive(Clone, Default)]
struct FileTree {
    files: BTreeMap<String, (String, Oid)>,
}

struct Generator<'a> {
    repo: &'a Repository,
    rng: fastrand::Rng,
    clock: DateTime<Utc>,
    material: &'a CommitMaterial,
    pr_number: u32,
    main: FileTree,
    main_tip: Option<Oid>,
    /// The last few main states, so a pull request can branch off a slightly older main.
    recent: VecDeque<(Oid, FileTree)>,
    commits: HashSet<String>,
    tags: BTreeMap<String, String>,
    /// Annotated tags to create once the pack is on disk: the in-memory pack writes
    /// commits with their trees but not tag objects, which would leave the tag refs
    /// pointing at nothing (and `git clone` refusing the repository).
    pending_tags: Vec<(String, Oid, Signature<'static>)>,
    /// The last author used, to avoid one person merging their own PR.
    author_turn: usize,
}

#[derive(Debug, Clone, Copy)]
enum Style {
    Squash,
    Merge { branch_commits: usize, delay: usize },
}

/// The first commit's time for a demo started at `now`: [`START`] moved by whole weeks
/// (weekdays stay weekdays, so the history has the same shape and the same length)
/// to the latest start that ends the history before `now`.
fn start_for(now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let written = Utc
        .with_ymd_and_hms(START.0, START.1, START.2, 9, 0, 0)
        .single()?;
    let latest = now - Duration::days(HISTORY_DAYS);
    let weeks = (latest - written).num_days().div_euclid(7);
    Some(written + Duration::weeks(weeks))
}

pub fn generate(path: &Path, material: &CommitMaterial) -> anyhow::Result<RepoInfo> {
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(path, &opts)
        .with_context(|| format!("cannot create the demo repository in {}", path.display()))?;
    // Objects are collected in memory and written as one pack at the end: a thousand
    // loose object files take seconds to create (and to delete) on a busy disk.
    let odb = repo.odb()?;
    let mempack = odb.add_new_mempack_backend(1000)?;
    let start = start_for(Utc::now()).context("bad demo start date")?;
    let mut g = Generator {
        repo: &repo,
        rng: fastrand::Rng::with_seed(SEED),
        clock: start,
        material,
        pr_number: 1041,
        main: FileTree::default(),
        main_tip: None,
        recent: VecDeque::new(),
        commits: HashSet::new(),
        tags: BTreeMap::new(),
        pending_tags: Vec::new(),
        author_turn: 0,
    };
    g.initial_commit()?;
    let subjects = Subjects::share(material);
    g.old_history(&subjects.old)?;
    let live_older = g.release(LIVE_RELEASE)?;
    for subject in &subjects.older_window {
        let style = g.pick_style(2, 1);
        g.pull_request(subject, style)?;
    }
    let live_recent = g.tip()?;
    let live_recent_tree = g.main.clone();
    g.recent_window(&subjects.recent_window, &subjects.risky)?;
    let head = g.tip()?;
    // Made last, so the history on main is the same with or without it.
    let live_hotfix = g.hotfix(live_recent, &live_recent_tree)?;

    write_pack(&repo, &odb, &mempack)?;
    write_tags(path, &g.pending_tags)?;

    // A normal-looking clone: HEAD on main with the files checked out.
    repo.set_head("refs/heads/main")?;
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .context("cannot check out the demo repository")?;

    Ok(RepoInfo {
        head: head.to_string(),
        live_recent: live_recent.to_string(),
        live_older: live_older.to_string(),
        live_hotfix: live_hotfix.to_string(),
        commits: g.commits,
        tags: g.tags,
    })
}

/// The material's subjects shared out over the history.
struct Subjects<'a> {
    /// Before sally and bruce's live release, oldest first, risky ones among them.
    old: Vec<&'a Subject>,
    /// Plain pull requests between sally/bruce's live version and www/cedric's.
    older_window: Vec<&'a Subject>,
    /// Plain pull requests between www/cedric's live version and HEAD.
    recent_window: Vec<&'a Subject>,
    /// One migration, one dependency bump and one config change, kept for the recent
    /// window.
    risky: Vec<&'a Subject>,
}

impl<'a> Subjects<'a> {
    fn share(material: &'a CommitMaterial) -> Subjects<'a> {
        // The newest pull requests are the first subjects of the file; the rest is older history.
        let mut plain: VecDeque<&Subject> = material
            .subjects
            .iter()
            .filter(|s| !s.kind.is_risky())
            .collect();
        let mut risky: Vec<&Subject> = Vec::new();
        for kind in [ChangeKind::Migration, ChangeKind::Deps, ChangeKind::Config] {
            if let Some(s) = material.subjects.iter().find(|s| s.kind == kind) {
                risky.push(s);
            }
        }
        let recent_window: Vec<&Subject> = (0..WINDOW_RECENT_PLAIN)
            .filter_map(|_| plain.pop_front())
            .collect();
        let older_window: Vec<&Subject> = (0..WINDOW_OLDER)
            .filter_map(|_| plain.pop_front())
            .collect();
        let reserved: HashSet<&str> = risky.iter().map(|s| s.text.as_str()).collect();
        let mut old: Vec<&Subject> = material
            .subjects
            .iter()
            .filter(|s| !reserved.contains(s.text.as_str()))
            .filter(|s| plain.iter().any(|p| p.text == s.text) || s.kind.is_risky())
            .collect();
        // Oldest first: the file lists the newest near the top.
        old.reverse();
        Subjects {
            old,
            older_window,
            recent_window,
            risky,
        }
    }
}

/// Writes the objects collected in memory to disk as one pack.
fn write_pack(repo: &Repository, odb: &git2::Odb, mempack: &git2::Mempack) -> anyhow::Result<()> {
    let mut pack = git2::Buf::new();
    mempack.dump(repo, &mut pack)?;
    let mut writer = odb.packwriter()?;
    std::io::Write::write_all(&mut writer, &pack)?;
    writer.commit()?;
    mempack.reset()?;
    Ok(())
}

/// Tags through a handle without the in-memory backend, so their objects are written
/// to disk beside the pack.
fn write_tags(path: &Path, tags: &[(String, Oid, Signature<'static>)]) -> anyhow::Result<()> {
    let on_disk = Repository::open(path)?;
    for (tag, oid, tagger) in tags {
        let object = on_disk.find_object(*oid, None)?;
        on_disk.tag(tag, &object, tagger, &format!("belfrage {tag}\n"), false)?;
    }
    Ok(())
}

impl Generator<'_> {
    /// The history before the live releases: pull requests with the older releases
    /// tagged at even intervals among them (any left over at the end).
    fn old_history(&mut self, old: &[&Subject]) -> anyhow::Result<()> {
        let release_every = (old.len() / (RELEASES.len() + 1)).max(1);
        let mut releases = RELEASES.iter();
        for (n, subject) in old.iter().enumerate() {
            let style = self.pick_style(3, 2);
            self.pull_request(subject, style)?;
            if (n + 1) % release_every == 0
                && let Some(tag) = releases.next()
            {
                self.release(tag)?;
            }
        }
        for tag in releases {
            self.release(tag)?;
        }
        Ok(())
    }

    /// The window between www/cedric's live version and HEAD: the three risky changes
    /// land among the plain ones, each as a squash merge so that exactly one commit in
    /// the window carries each of them.
    fn recent_window(&mut self, plain: &[&Subject], risky: &[&Subject]) -> anyhow::Result<()> {
        let mut plain = plain.iter();
        let mut risky = risky.iter();
        for slot in 0..WINDOW_RECENT_PLAIN + 3 {
            if matches!(slot, 2 | 5 | 8)
                && let Some(subject) = risky.next()
            {
                self.pull_request(subject, Style::Squash)?;
            } else if let Some(subject) = plain.next() {
                let style = self.pick_style(2, 1);
                self.pull_request(subject, style)?;
            }
        }
        Ok(())
    }

    fn tip(&self) -> anyhow::Result<Oid> {
        self.main_tip.context("the demo history is empty")
    }

    fn pick_style(&mut self, max_commits: usize, max_delay: usize) -> Style {
        if self.rng.u8(0..100) < 55 {
            Style::Squash
        } else {
            Style::Merge {
                branch_commits: self.rng.usize(1..=max_commits),
                delay: self.rng.usize(0..=max_delay),
            }
        }
    }

    /// Moves the clock on by a working-hours gap between commits.
    fn tick(&mut self, min_minutes: i64, max_minutes: i64) -> DateTime<Utc> {
        self.clock += Duration::minutes(self.rng.i64(min_minutes..=max_minutes));
        if self.clock.hour() >= 18 {
            let next = self.clock + Duration::days(1);
            self.clock = next
                .with_hour(9)
                .and_then(|t| t.with_minute(self.rng.u32(0..45)))
                .unwrap_or(next);
        }
        while matches!(self.clock.weekday(), Weekday::Sat | Weekday::Sun) {
            self.clock += Duration::days(1);
        }
        self.clock
    }

    fn next_author(&mut self) -> Author {
        self.author_turn =
            (self.author_turn + 1 + self.rng.usize(0..3)) % self.material.authors.len();
        self.material.authors[self.author_turn].clone()
    }

    #[allow(
        clippy::unused_self,
        reason = "a method like its siblings, so callers need not know it reads no state"
    )]
    fn signature(
        &self,
        name: &str,
        email: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Signature<'static>> {
        Ok(Signature::new(
            name,
            email,
            &git2::Time::new(at.timestamp(), 0),
        )?)
    }

    fn apply(&self, tree: &mut FileTree, ops: &[Op]) -> anyhow::Result<()> {
        for op in ops {
            let (path, content) = match op {
                Op::Create { path, content } => (path, content.clone()),
                Op::Insert { path, text } => {
                    let old = tree.files.get(path).map_or("", |f| f.0.as_str());
                    (path, insert_before_end(old, text))
                }
                Op::InsertAfter { path, marker, text } => {
                    let old = tree.files.get(path).map_or("", |f| f.0.as_str());
                    (path, insert_after(old, marker, text))
                }
                Op::SetLine { path, prefix, line } => {
                    let old = tree.files.get(path).map_or("", |f| f.0.as_str());
                    (path, set_line(old, prefix, line))
                }
            };
            let oid = self.repo.blob(content.as_bytes())?;
            tree.files.insert(path.clone(), (content, oid));
        }
        Ok(())
    }

    fn write_tree(&self, tree: &FileTree) -> anyhow::Result<Oid> {
        let mut index = git2::Index::new()?;
        for (path, (content, oid)) in &tree.files {
            index.add(&IndexEntry {
                ctime: IndexTime::new(0, 0),
                mtime: IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: u32::try_from(content.len()).unwrap_or(u32::MAX),
                id: *oid,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            })?;
        }
        Ok(index.write_tree_to(self.repo)?)
    }

    fn commit(
        &mut self,
        on_main: bool,
        author: &Signature<'_>,
        committer: &Signature<'_>,
        message: &str,
        tree: &FileTree,
        parents: &[Oid],
    ) -> anyhow::Result<Oid> {
        let tree_id = self.write_tree(tree)?;
        let tree_obj = self.repo.find_tree(tree_id)?;
        let parent_commits = parents
            .iter()
            .map(|p| self.repo.find_commit(*p))
            .collect::<Result<Vec<_>, _>>()?;
        let parent_refs: Vec<&git2::Commit<'_>> = parent_commits.iter().collect();
        let update = on_main.then_some("refs/heads/main");
        let oid = self
            .repo
            .commit(update, author, committer, message, &tree_obj, &parent_refs)?;
        self.commits.insert(oid.to_string());
        if on_main {
            self.main_tip = Some(oid);
            self.main = tree.clone();
            self.recent.push_back((oid, tree.clone()));
            if self.recent.len() > 3 {
                self.recent.pop_front();
            }
        }
        Ok(oid)
    }

    fn initial_commit(&mut self) -> anyhow::Result<()> {
        let ops = initial_files(self.material);
        let mut tree = FileTree::default();
        self.apply(&mut tree, &ops)?;
        let author = self.material.authors[0].clone();
        let at = self.clock;
        let sig = self.signature(&author.name, &author.email, at)?;
        self.commit(true, &sig, &sig, "Initial import of belfrage\n", &tree, &[])?;
        Ok(())
    }

    /// A direct commit on main bumping the version, tagged like the release job does.
    fn release(&mut self, tag: &str) -> anyhow::Result<Oid> {
        let version = tag.trim_start_matches('v');
        let at = self.tick(20, 60);
        let ops = vec![
            Op::SetLine {
                path: "mix.exs".into(),
                prefix: "      version: ".into(),
                line: format!("      version: \"{version}\","),
            },
            Op::InsertAfter {
                path: "CHANGELOG.md".into(),
                marker: "# Changelog".into(),
                text: format!(
                    "\n## {tag} ({})\n\nSee the merged pull requests since the previous release.\n",
                    at.format("%Y-%m-%d")
                ),
            },
        ];
        let mut tree = self.main.clone();
        self.apply(&mut tree, &ops)?;
        let author = self.next_author();
        let sig = self.signature(&author.name, &author.email, at)?;
        let parent = self.tip()?;
        let oid = self.commit(
            true,
            &sig,
            &sig,
            &format!("Release {tag}\n"),
            &tree,
            &[parent],
        )?;
        let tagger = self.signature("Belfrage Release Bot", "releases@example.org", at)?;
        self.pending_tags.push((tag.to_string(), oid, tagger));
        self.tags.insert(tag.to_string(), oid.to_string());
        Ok(oid)
    }

    /// A hotfix committed on top of a release and deployed straight to live, on a
    /// branch of its own: never on main. Dated after the rest of the history.
    fn hotfix(&mut self, release: Oid, release_tree: &FileTree) -> anyhow::Result<Oid> {
        let path = "lib/belfrage.ex";
        let mut tree = release_tree.clone();
        self.apply(
            &mut tree,
            &[Op::Insert {
                path: path.into(),
                text: "  # Hotfix: origins slower than 6 s answered 504 during the outage.\n  def origin_timeout, do: 9_000\n".into(),
            }],
        )?;
        let at = self.clock + Duration::hours(3);
        let author = self.next_author();
        let sig = self.signature(&author.name, &author.email, at)?;
        let oid = self.commit(
            false,
            &sig,
            &sig,
            "Hotfix: raise the origin timeout to 9 s on live\n\nApplied to live during the outage; still to be merged to main.\n",
            &tree,
            &[release],
        )?;
        self.repo
            .reference("refs/heads/hotfix/origin-timeout", oid, true, "demo hotfix")?;
        Ok(oid)
    }

    fn pull_request(&mut self, subject: &Subject, style: Style) -> anyhow::Result<Oid> {
        self.pr_number += 1 + self.rng.u32(0..3);
        let number = self.pr_number;
        let author = self.next_author();
        let ops = self.ops_for(subject);
        let github_at = |g: &Self, at| g.signature("GitHub", "noreply@github.com", at);
        match style {
            Style::Squash => {
                let at = self.tick(15, 150);
                let mut message = format!("{} (#{number})\n", subject.text);
                if self.rng.u8(0..100) < 35 {
                    let extra = self.material.followups
                        [self.rng.usize(..self.material.followups.len())]
                    .clone();
                    message.push_str(&format!("\n* {}\n\n* {extra}\n", subject.text));
                }
                let mut tree = self.main.clone();
                self.apply(&mut tree, &ops)?;
                let a = self.signature(&author.name, &author.email, at)?;
                let c = github_at(self, at)?;
                let parent = self.tip()?;
                self.commit(true, &a, &c, &message, &tree, &[parent])
            }
            Style::Merge {
                branch_commits,
                delay,
            } => {
                let (base, base_tree) = self
                    .recent
                    .iter()
                    .rev()
                    .nth(delay)
                    .or_else(|| self.recent.back())
                    .cloned()
                    .context("no main commit to branch from")?;
                // The first branch commit carries the change; follow-ups touch it up.
                let mut branch_tree = base_tree;
                let mut tip = base;
                let mut all_ops = ops.clone();
                for n in 0..branch_commits {
                    let at = self.tick(10, 90);
                    let (message, step_ops) = if n == 0 {
                        (format!("{}\n", subject.text), ops.clone())
                    } else {
                        let f = self.material.followups
                            [self.rng.usize(..self.material.followups.len())]
                        .clone();
                        let touch = self.followup_ops(&ops, &f);
                        all_ops.extend(touch.iter().cloned());
                        (format!("{f}\n"), touch)
                    };
                    self.apply(&mut branch_tree, &step_ops)?;
                    let sig = self.signature(&author.name, &author.email, at)?;
                    tip = self.commit(false, &sig, &sig, &message, &branch_tree, &[tip])?;
                }
                let at = self.tick(5, 60);
                let merger = self.next_author();
                let mut tree = self.main.clone();
                self.apply(&mut tree, &all_ops)?;
                let message = format!(
                    "Merge pull request #{number} from {}/{}\n\n{}\n",
                    author.login,
                    slug(&subject.text, 4, '-'),
                    subject.text
                );
                let a = self.signature(&merger.name, &merger.email, at)?;
                let c = github_at(self, at)?;
                let parent = self.tip()?;
                self.commit(true, &a, &c, &message, &tree, &[parent, tip])
            }
        }
    }

    /// A review follow-up touches the first file the pull request changed.
    #[allow(
        clippy::unused_self,
        clippy::case_sensitive_file_extension_comparisons,
        reason = "a method like its siblings; the demo writes its own lower-case file names"
    )]
    fn followup_ops(&mut self, ops: &[Op], what: &str) -> Vec<Op> {
        let path = ops.iter().find_map(|op| match op {
            Op::Insert { path, .. } => Some(path.clone()),
            _ => None,
        });
        match path {
            Some(path) if path.ends_with(".ex") || path.ends_with(".exs") => vec![Op::Insert {
                path,
                text: format!("  # {what}\n"),
            }],
            Some(path) => vec![Op::Insert {
                path,
                text: format!("\n<!-- {what} -->\n"),
            }],
            None => vec![Op::Insert {
                path: "test/test_helper.exs".into(),
                text: format!("# {what}\n"),
            }],
        }
    }

    fn ops_for(&mut self, subject: &Subject) -> Vec<Op> {
        let text = subject.text.as_str();
        let fname = slug(text, 4, '_');
        match subject.kind {
            ChangeKind::Code => {
                let mut ops = Vec::new();
                let first = module_for(text).unwrap_or_else(|| self.rng.usize(..LIB_MODULES.len()));
                let mut picks = vec![first];
                if self.rng.bool() {
                    picks.push(self.rng.usize(..LIB_MODULES.len()));
                }
                picks.dedup();
                for m in picks {
                    ops.push(Op::Insert {
                        path: LIB_MODULES[m].0.into(),
                        text: self.function_snippet(text, &fname),
                    });
                }
                if self.rng.u8(0..100) < 60 {
                    ops.push(Op::Insert {
                        path: test_path(LIB_MODULES[first].0),
                        text: test_snippet(text, LIB_MODULES[first].1, &fname),
                    });
                }
                ops
            }
            ChangeKind::Test => {
                let m = module_for(text).unwrap_or_else(|| self.rng.usize(..LIB_MODULES.len()));
                vec![Op::Insert {
                    path: test_path(LIB_MODULES[m].0),
                    text: test_snippet(text, LIB_MODULES[m].1, &fname),
                }]
            }
            ChangeKind::Docs => {
                let docs = [
                    "README.md",
                    "docs/routing.md",
                    "docs/caching.md",
                    "docs/runbook.md",
                ];
                vec![Op::Insert {
                    path: docs[self.rng.usize(..docs.len())].into(),
                    text: format!(
                        "\n## {text}\n\nThis section was added in #{}. Ask in #belfrage if anything is unclear.\n",
                        self.pr_number
                    ),
                }]
            }
            ChangeKind::Ci => vec![Op::Insert {
                path: ".github/workflows/ci.yml".into(),
                text: format!("      # {text}\n      - run: mix {}\n", slug(text, 2, '.')),
            }],
            ChangeKind::Config => vec![Op::Insert {
                path: "config/prod.exs".into(),
                text: format!(
                    "\n# {text}\nconfig :belfrage, :{}, {}\n",
                    slug(text, 3, '_'),
                    self.rng.u32(2..64) * 16
                ),
            }],
            ChangeKind::Deps => {
                let (dep, version) = bump_target(text).unwrap_or_else(|| {
                    (
                        "logger_json".to_string(),
                        format!("6.{}.{}", self.rng.u8(0..4), self.rng.u8(0..9)),
                    )
                });
                vec![
                    Op::SetLine {
                        path: "mix.lock".into(),
                        prefix: format!("  \"{dep}\": "),
                        line: lock_line(&dep, &version),
                    },
                    Op::SetLine {
                        path: "mix.exs".into(),
                        prefix: format!("      {{:{dep}, "),
                        line: format!("      {{:{dep}, \"~> {}\"}},", minor(&version)),
                    },
                ]
            }
            ChangeKind::Migration => {
                let stamp = self.clock.format("%Y%m%d%H%M%S");
                let name = slug(text, 6, '_');
                vec![Op::Create {
                    path: format!("priv/repo/migrations/{stamp}_{name}.exs"),
                    content: migration(text, &name),
                }]
            }
        }
    }

    fn function_snippet(&mut self, subject: &str, fname: &str) -> String {
        match self.rng.u8(0..3) {
            0 => format!(
                "\n  # {subject}\n  defp {fname}(%Belfrage.Struct{{}} = struct), do: struct\n"
            ),
            1 => format!(
                "\n  @doc \"{subject}.\"\n  def {fname}(conn, opts \\\\ []) do\n    conn\n    |> Map.put(:{fname}, Keyword.get(opts, :enabled, true))\n  end\n"
            ),
            _ => format!(
                "\n  # {subject}\n  def {fname}(value) when is_binary(value), do: String.trim(value)\n  def {fname}(value), do: value\n"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_between(repo: &Repository, from: &str, to: &str) -> (usize, Vec<git2::Oid>) {
        let mut walk = repo.revwalk().unwrap();
        walk.push(Oid::from_str(to).unwrap()).unwrap();
        walk.hide(Oid::from_str(from).unwrap()).unwrap();
        let ids: Vec<Oid> = walk.map(|r| r.unwrap()).collect();
        (ids.len(), ids)
    }

    /// Paths a commit changes compared with its first parent (what a diff view shows).
    fn changed_paths(repo: &Repository, id: Oid) -> Vec<String> {
        let c = repo.find_commit(id).unwrap();
        let tree = c.tree().unwrap();
        let parent = c.parent(0).ok().map(|p| p.tree().unwrap());
        let diff = repo
            .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
            .unwrap();
        diff.deltas()
            .filter_map(|d| d.new_file().path().map(|p| p.display().to_string()))
            .collect()
    }

    #[test]
    fn cedrics_live_hotfix_is_drift_against_test() {
        let material = crate::demo::assets::commit_material().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let info = generate(dir.path(), &material).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let rules = crate::vcs::RiskRules::defaults();
        // Live on cedric holds one commit test lacks: the hotfix, on top of www's live.
        let cs = crate::vcs::diff(&repo, &info.live_hotfix, &info.head, &rules).unwrap();
        let drift = cs.drift.expect("drift on cedric");
        assert_eq!(drift.live_only.len(), 1);
        assert!(drift.live_only[0].subject.starts_with("Hotfix:"));
        assert_eq!(drift.live_only[0].files.len(), 1);
        let hotfix = repo
            .find_commit(Oid::from_str(&info.live_hotfix).unwrap())
            .unwrap();
        assert_eq!(hotfix.parent_id(0).unwrap().to_string(), info.live_recent);
        assert!(info.commits.contains(&info.live_hotfix), "a known version");
        // The other live versions have none.
        for live in [&info.live_recent, &info.live_older] {
            let cs = crate::vcs::diff(&repo, live, &info.head, &rules).unwrap();
            assert!(cs.drift.is_none(), "{live}");
        }
    }

    #[test]
    fn the_history_ends_before_today_whatever_the_date() {
        for now in [
            "2026-12-01T08:00:00Z",
            "2027-03-29T23:59:00Z",
            "2025-06-15T12:00:00Z",
        ] {
            let now: DateTime<Utc> = now.parse().unwrap();
            let start = start_for(now).unwrap();
            assert_eq!(
                start.weekday(),
                Weekday::Sun,
                "the shape of the week is kept"
            );
            assert!(start + Duration::days(40) < now, "{start} for {now}");
            assert!(
                start + Duration::days(HISTORY_DAYS + 7) > now,
                "recent: {start}"
            );
        }
    }

    #[test]
    fn history_is_deterministic_and_windows_hold_the_risky_changes() {
        let material = crate::demo::assets::commit_material().unwrap();
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let info = generate(a.path(), &material).unwrap();
        let again = generate(b.path(), &material).unwrap();
        assert_eq!(info.head, again.head, "same hashes on every run");
        assert_eq!(info.live_older, again.live_older);

        let repo = Repository::open(a.path()).unwrap();
        let total = {
            let mut w = repo.revwalk().unwrap();
            w.push_head().unwrap();
            w.count()
        };
        assert!((200..=600).contains(&total), "{total} commits");
        // The newest commit is in the past, days before today (a newcomer trusts dates).
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let age = Utc::now().timestamp() - head.time().seconds();
        assert!((86_400..20 * 86_400).contains(&age), "HEAD is {age}s old");
        assert_eq!(info.tags.get("v1.41.0"), Some(&info.live_older));
        assert!(info.tags.len() >= 4);
        // Every tag is a real annotated tag object on disk pointing at its release.
        for (tag, commit) in &info.tags {
            let r = repo.find_reference(&format!("refs/tags/{tag}")).unwrap();
            assert!(r.peel_to_tag().is_ok(), "{tag} is an annotated tag");
            assert_eq!(
                &r.peel_to_commit().unwrap().id().to_string(),
                commit,
                "{tag}"
            );
        }
        // And git itself accepts the repository: a clone fetches every ref.
        let clone = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("git")
            .args(["clone", "--quiet", "--bare"])
            .arg(format!("file://{}", a.path().display()))
            .arg(clone.path().join("c.git"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git clone: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        for live in [&info.live_recent, &info.live_older] {
            let (n, ids) = count_between(&repo, live, &info.head);
            assert!(
                (14..=40).contains(&n),
                "{n} commits between {live} and HEAD"
            );
            let mut migrations = 0;
            let mut prod_config = 0;
            let mut lock = 0;
            let mut merges = 0;
            for id in ids {
                let c = repo.find_commit(id).unwrap();
                if c.parent_count() > 1 {
                    merges += 1;
                    assert!(
                        c.summary()
                            .unwrap()
                            .unwrap()
                            .starts_with("Merge pull request #")
                    );
                    continue;
                }
                let paths = changed_paths(&repo, id);
                migrations +=
                    usize::from(paths.iter().any(|p| p.starts_with("priv/repo/migrations/")));
                prod_config += usize::from(paths.iter().any(|p| p == "config/prod.exs"));
                lock += usize::from(paths.iter().any(|p| p == "mix.lock"));
            }
            assert_eq!((migrations, prod_config, lock), (1, 1, 1));
            assert!(merges >= 1, "the window shows GitHub merge commits");
        }
        // The working tree is checked out and looks like an Elixir project.
        for f in ["mix.exs", "mix.lock", "config/prod.exs", "lib/belfrage.ex"] {
            assert!(a.path().join(f).is_file(), "{f}");
        }
        let head = repo.head().unwrap();
        assert_eq!(head.shorthand().unwrap(), "main");
        let subjects: Vec<String> = {
            let mut w = repo.revwalk().unwrap();
            w.push_head().unwrap();
            w.map(|id| {
                repo.find_commit(id.unwrap())
                    .unwrap()
                    .summary()
                    .unwrap()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
        };
        assert!(
            subjects
                .iter()
                .any(|s| s.ends_with(')') && s.contains("(#"))
        );
        assert_eq!(info.resolve("v1.41.0"), Some(info.live_older.clone()));
        assert_eq!(info.resolve("nope"), None);
    }

    #[test]
    fn text_edits_keep_module_shape() {
        let m = "defmodule A do\n  def x, do: 1\nend\n";
        assert_eq!(
            insert_before_end(m, "  def y, do: 2\n"),
            "defmodule A do\n  def x, do: 1\n  def y, do: 2\nend\n"
        );
        assert_eq!(set_line("a\nb: 1\n", "b: ", "b: 2"), "a\nb: 2\n");
        assert_eq!(set_line("a\n", "b: ", "b: 2"), "a\nb: 2\n");
        assert_eq!(
            insert_after("# Changelog\n\n## v1\n", "# Changelog", "\n## v2\n"),
            "# Changelog\n## v2\n\n## v1\n"
        );
        assert_eq!(
            slug("Fix cache key for personalised pages", 4, '-'),
            "fix-cache-key-for"
        );
        assert_eq!(
            bump_target("Bump plug from 1.15.3 to 1.16.1"),
            Some(("plug".into(), "1.16.1".into()))
        );
    }
}
