//! Computing `live..test` with git2.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::DateTime;
use git2::{Oid, Repository, Sort};

use super::risk::RiskMemo;
use super::tree_diff::TreeReader;
use super::{ChangeSet, Commit, DiffError, Drift, RiskRules, pr};
use crate::model::Env;

/// Commits listed for drift, at most (a reset test branch can leave thousands).
const MAX_DRIFT: usize = 200;

/// The changes a promotion of `test` onto `live` ships. File names and risk flags are
/// computed for every commit; line counts are left to `fill_line_stats` (they cost a
/// content diff per file, and most views never show them).
///
/// The range is walked once: the first-parent line and what each merge brought in are
/// worked out from the parent ids kept on the way, and a parent's tree id is taken from
/// the commit already read.
pub fn diff(
    repo: &Repository,
    live: &str,
    test: &str,
    rules: &RiskRules,
) -> Result<ChangeSet, DiffError> {
    // libgit2 re-hashes every object it reads (SHA-1 with collision detection: half the
    // time of a long diff). git itself does not on reads, and objects in a local
    // repository are checked when they arrive (fetch, clone), so reading skips it.
    git2::opts::strict_hash_verification(false);
    // libgit2's object cache would keep every commit and tree of the range (trees are
    // kept by `TreeReader` as long as they are needed, commits are read here once more):
    // storing and freeing them cost a fifth of a long diff and a third of its memory.
    // Like the setting above it is process-wide; nothing else reads enough to miss it.
    git2::opts::enable_caching(false);
    let live_id = resolve(repo, live, Env::live())?;
    let test_id = resolve(repo, test, Env::test())?;
    // Every commit in the range, newest first.
    let all = walk(repo, test_id, &[live_id])?;
    let odb = repo.odb()?;
    let mut trees = TreeReader::new(&odb);
    let mut risks = RiskMemo::new(rules);
    let mut described: HashMap<Oid, (Commit, Vec<Oid>)> = HashMap::with_capacity(all.len());
    let mut tree_of: HashMap<Oid, Oid> = HashMap::with_capacity(all.len());
    // Live is an ancestor of test exactly when some commit in live..test has live as a
    // parent: that answers the drift question without a second walk of the history.
    let mut live_is_ancestor = live_id == test_id;
    for id in &all {
        let commit = repo.find_commit(*id)?;
        let parents: Vec<Oid> = commit.parent_ids().collect();
        live_is_ancestor |= parents.contains(&live_id);
        let entry = describe(&commit);
        tree_of.insert(*id, commit.tree_id());
        described.insert(*id, (entry, parents));
    }
    // Files and risks, newest first (the order `TreeReader` keeps trees for); a parent's
    // tree comes from the commit read above, so only the range's oldest commits read
    // their parent again.
    for id in &all {
        let (Some(tree), Some((entry, parents))) = (tree_of.get(id), described.get_mut(id)) else {
            continue;
        };
        let parent_tree = match parents.first() {
            Some(p) => Some(match tree_of.get(p) {
                Some(t) => *t,
                None => repo.find_commit(*p)?.tree_id(),
            }),
            None => None,
        };
        add_files(&mut trees, &mut risks, entry, parent_tree, *tree)?;
    }
    let first_parent = first_parent_line(test_id, &described);
    let merged_into = assign_merged(&all, &first_parent, &described);
    let mut commits = Vec::with_capacity(first_parent.len());
    for id in &first_parent {
        let Some((mut entry, parents)) = described.remove(id) else {
            continue;
        };
        // Only the first-parent line folds merges (a merged merge is listed flat).
        entry.is_merge = parents.len() > 1;
        if let Some(children) = merged_into.get(id) {
            for m in children {
                if let Some((c, _)) = described.remove(m) {
                    entry.merged.push(c);
                }
            }
            // A merge is as risky as anything it brings in.
            for m in &entry.merged {
                for r in &m.risks {
                    if !entry.risks.contains(r) {
                        entry.risks.push(r.clone());
                    }
                }
            }
        }
        commits.push(entry);
    }
    let count = all.len();
    let mut risk_counts = BTreeMap::new();
    for c in &commits {
        for r in &c.risks {
            *risk_counts.entry(r.clone()).or_insert(0) += 1;
        }
    }
    let drift = if live_is_ancestor {
        None
    } else {
        let mut live_only = Vec::new();
        for id in walk(repo, live_id, &[test_id])?.into_iter().take(MAX_DRIFT) {
            let c = repo.find_commit(id)?;
            let mut entry = describe(&c);
            let parent_tree = match c.parent_count() {
                0 => None,
                _ => Some(c.parent(0)?.tree_id()),
            };
            add_files(&mut trees, &mut risks, &mut entry, parent_tree, c.tree_id())?;
            live_only.push(entry);
        }
        Some(Drift { live_only })
    };
    Ok(ChangeSet {
        live: live_id.to_string(),
        test: test_id.to_string(),
        risky: commits.iter().filter(|c| !c.risks.is_empty()).count(),
        count,
        commits,
        risk_counts,
        drift,
    })
}

/// Test and its first parents while they are in the range: what `git log
/// --first-parent live..test` lists (a first parent outside the range is reachable
/// from live, and so is everything before it).
fn first_parent_line(test: Oid, range: &HashMap<Oid, (Commit, Vec<Oid>)>) -> Vec<Oid> {
    let mut line = Vec::new();
    let mut at = Some(test);
    while let Some(id) = at {
        let Some((_, parents)) = range.get(&id) else {
            break;
        };
        line.push(id);
        at = parents.first().copied();
    }
    line
}

/// For each merge on the first-parent line, the range's commits it brought in (newest
/// first). Each commit goes to the oldest merge that reaches it, as readers of
/// `git log --first-parent` expect; one pass over the range in all.
fn assign_merged(
    all: &[Oid],
    first_parent: &[Oid],
    range: &HashMap<Oid, (Commit, Vec<Oid>)>,
) -> HashMap<Oid, Vec<Oid>> {
    let order: HashMap<Oid, usize> = all.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut taken: HashSet<Oid> = first_parent.iter().copied().collect();
    let mut out: HashMap<Oid, Vec<Oid>> = HashMap::new();
    let parents_of = |id: &Oid| range.get(id).map_or(&[][..], |(_, p)| p.as_slice());
    for merge in first_parent.iter().rev() {
        let parents = parents_of(merge);
        if parents.len() < 2 {
            continue;
        }
        let mut stack: Vec<Oid> = parents[1..].to_vec();
        let mut mine = Vec::new();
        while let Some(id) = stack.pop() {
            if !order.contains_key(&id) || !taken.insert(id) {
                continue;
            }
            mine.push(id);
            stack.extend_from_slice(parents_of(&id));
        }
        mine.sort_by_key(|id| order.get(id).copied().unwrap_or(usize::MAX));
        out.insert(*merge, mine);
    }
    out
}

fn resolve(repo: &Repository, rev: &str, env: Env) -> Result<Oid, DiffError> {
    let unknown = || DiffError::UnknownVersion {
        env: env.clone(),
        version: rev.to_string(),
    };
    let obj = repo.revparse_single(rev).map_err(|_| unknown())?;
    let commit = obj.peel_to_commit().map_err(|_| unknown())?;
    Ok(commit.id())
}

/// Commits reachable from `from` but not from any of `hide`, newest first.
fn walk(repo: &Repository, from: Oid, hide: &[Oid]) -> Result<Vec<Oid>, DiffError> {
    let mut w = repo.revwalk()?;
    w.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    w.push(from)?;
    for h in hide {
        w.hide(*h)?;
    }
    w.map(|r| r.map_err(DiffError::from)).collect()
}

/// A commit's author, time, message and PR number; files and risks come later
/// (`add_files`).
fn describe(c: &git2::Commit) -> Commit {
    let id = c.id().to_string();
    let message = String::from_utf8_lossy(c.message_bytes());
    let (subject, body) = match message.split_once('\n') {
        Some((s, b)) => (s.trim().to_string(), b.trim().to_string()),
        None => (message.trim().to_string(), String::new()),
    };
    let author = c.author();
    Commit {
        short: id[..7.min(id.len())].to_string(),
        id,
        author: String::from_utf8_lossy(author.name_bytes()).to_string(),
        email: String::from_utf8_lossy(author.email_bytes()).to_string(),
        time: DateTime::from_timestamp(c.time().seconds(), 0).unwrap_or_default(),
        pr: pr::parse(&subject, &body),
        subject,
        body,
        files: Vec::new(),
        risks: Vec::new(),
        merged: Vec::new(),
        is_merge: false,
    }
}

/// Paths changed against the first parent's tree (or the empty tree for a root
/// commit), and the risk flags they raise.
fn add_files(
    trees: &mut TreeReader,
    risks: &mut RiskMemo,
    entry: &mut Commit,
    parent_tree: Option<Oid>,
    tree: Oid,
) -> Result<(), DiffError> {
    trees.changed_paths(parent_tree, Some(tree), &mut entry.files)?;
    entry.risks = risks.classify(entry.files.iter().map(|f| f.path.as_str()));
    Ok(())
}

/// Adds line counts to a commit's files (a content diff against its first parent).
pub fn fill_line_stats(repo: &Repository, commit: &mut Commit) -> Result<(), DiffError> {
    let c = repo.find_commit(Oid::from_str(&commit.id)?)?;
    let tree = c.tree()?;
    let parent = if c.parent_count() > 0 {
        Some(c.parent(0)?.tree()?)
    } else {
        None
    };
    let d = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None)?;
    let mut counts: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for i in 0..d.deltas().len() {
        let Some(patch) = git2::Patch::from_diff(&d, i)? else {
            continue;
        };
        let delta = patch.delta();
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        let (_, added, removed) = patch.line_stats()?;
        counts.insert(path, (added as u32, removed as u32));
    }
    for f in &mut commit.files {
        if let Some((a, r)) = counts.get(&f.path) {
            f.added = Some(*a);
            f.removed = Some(*r);
        }
    }
    for m in &mut commit.merged {
        fill_line_stats(repo, m)?;
    }
    Ok(())
}
