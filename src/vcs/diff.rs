//! Computing `live..test` with git2.

use std::collections::BTreeMap;

use git2::{Odb, Oid, Repository};

use super::commit_walk::{Range, Walked};
use super::oid_map::OidMap;
use super::risk::RiskMemo;
use super::tree_diff::TreeReader;
use super::{ChangeSet, Commit, DiffError, Drift, RiskRules, commit_walk, raw_commit};
use crate::model::Env;

/// Commits listed for drift, at most (a reset test branch can leave thousands).
const MAX_DRIFT: usize = 200;

/// The changes a promotion of `test` onto `live` ships. File names and risk flags are
/// computed for every commit; line counts are left to `fill_line_stats` (they cost a
/// content diff per file, and most views never show them).
///
/// The range is walked once, each commit read once (`commit_walk`): the first-parent
/// line and what each merge brought in are worked out from the parent ids kept on the
/// way, and a parent's tree id is taken from the commit already read.
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
    // libgit2's object cache would keep every commit and tree of the range, though each
    // is read once (trees are kept by `TreeReader` as long as they are needed): storing
    // and freeing them cost a fifth of a long diff and a third of its memory.
    // Like the setting above it is process-wide; nothing else reads enough to miss it.
    git2::opts::enable_caching(false);
    let live_id = resolve(repo, live, Env::live())?;
    let test_id = resolve(repo, test, Env::test())?;
    let odb = repo.odb()?;
    let shallow = commit_walk::shallow_roots(repo.path());
    let mut trees = TreeReader::new(&odb);
    let mut risks = RiskMemo::new(rules);
    // Every commit in the range, newest first, each read once.
    let Range {
        commits: mut walked,
        position,
    } = commit_walk::range(&odb, &shallow, test_id, live_id)?;
    // Live is an ancestor of test exactly when some commit in live..test has live as a
    // parent: that answers the drift question without a second walk of the history.
    let live_is_ancestor =
        live_id == test_id || walked.iter().any(|w| w.parents.contains(&live_id));
    add_files_newest_first(&odb, &mut trees, &mut risks, &mut walked, &position)?;
    let count = walked.len();
    let line = first_parent_line(&walked, &position, test_id);
    let merged_into = assign_merged(&walked, &position, &line);
    let commits = fold_merges(walked, &line, &merged_into);
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
        let live_side = commit_walk::range(&odb, &shallow, live_id, test_id)?;
        for w in live_side.commits.into_iter().take(MAX_DRIFT) {
            let mut entry = *w.commit;
            let parent_tree = match w.parents.first() {
                Some(p) => Some(tree_of_commit(&odb, *p)?),
                None => None,
            };
            add_files(&mut trees, &mut risks, &mut entry, parent_tree, w.tree)?;
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

/// Files and risks of every commit, newest first (the order `TreeReader` keeps trees
/// for); a parent's tree comes from the walk, so only the range's oldest commits read
/// their parent again.
fn add_files_newest_first(
    odb: &Odb,
    trees: &mut TreeReader,
    risks: &mut RiskMemo,
    walked: &mut [Walked],
    position: &OidMap<usize>,
) -> Result<(), DiffError> {
    for at in 0..walked.len() {
        let parent_tree = match walked[at].parents.first() {
            Some(p) => Some(match position.get(p) {
                Some(&parent_at) => walked[parent_at].tree,
                None => tree_of_commit(odb, *p)?,
            }),
            None => None,
        };
        let tree = walked[at].tree;
        add_files(trees, risks, &mut walked[at].commit, parent_tree, tree)?;
    }
    Ok(())
}

/// Test and its first parents while they are in the range: what `git log
/// --first-parent live..test` lists (a first parent outside the range is reachable
/// from live, and so is everything before it). Positions in `walked`.
fn first_parent_line(walked: &[Walked], position: &OidMap<usize>, test: Oid) -> Vec<usize> {
    let mut line = Vec::new();
    let mut at = position.get(&test).copied();
    while let Some(i) = at {
        line.push(i);
        at = walked[i]
            .parents
            .first()
            .and_then(|p| position.get(p).copied());
    }
    line
}

/// For each merge on the first-parent line, the range's commits it brought in (newest
/// first), indexed by the merge's position. Each commit goes to the oldest merge that
/// reaches it, as readers of `git log --first-parent` expect; one pass over the range.
fn assign_merged(walked: &[Walked], position: &OidMap<usize>, line: &[usize]) -> Vec<Vec<usize>> {
    let mut taken = vec![false; walked.len()];
    for &i in line {
        taken[i] = true;
    }
    let in_range = |ids: &[Oid]| -> Vec<usize> {
        ids.iter()
            .filter_map(|p| position.get(p).copied())
            .collect()
    };
    let mut out = vec![Vec::new(); walked.len()];
    for &merge in line.iter().rev() {
        let parents = &walked[merge].parents;
        if parents.len() < 2 {
            continue;
        }
        let mut stack = in_range(&parents[1..]);
        let mut mine = Vec::new();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut taken[i], true) {
                continue;
            }
            mine.push(i);
            stack.extend(in_range(&walked[i].parents));
        }
        // Positions are the walk's order: newest first.
        mine.sort_unstable();
        out[merge] = mine;
    }
    out
}

/// The first-parent line as listed: each merge carries what it brought in, and is as
/// risky as any of it.
fn fold_merges(walked: Vec<Walked>, line: &[usize], merged_into: &[Vec<usize>]) -> Vec<Commit> {
    let mut slots: Vec<Option<(Box<Commit>, usize)>> = walked
        .into_iter()
        .map(|w| Some((w.commit, w.parents.len())))
        .collect();
    let mut commits = Vec::with_capacity(line.len());
    for &at in line {
        let Some((mut entry, parent_count)) = slots[at].take() else {
            continue;
        };
        // Only the first-parent line folds merges (a merged merge is listed flat).
        entry.is_merge = parent_count > 1;
        for &m in &merged_into[at] {
            if let Some((c, _)) = slots[m].take() {
                for r in &c.risks {
                    if !entry.risks.contains(r) {
                        entry.risks.push(r.clone());
                    }
                }
                entry.merged.push(*c);
            }
        }
        commits.push(*entry);
    }
    commits
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

/// The tree a commit records (read once, for a range's oldest parent).
fn tree_of_commit(odb: &Odb, id: Oid) -> Result<Oid, DiffError> {
    let object = odb.read(id)?;
    raw_commit::parse(object.data())
        .map(|c| c.tree)
        .ok_or_else(|| DiffError::Git(format!("object {id} is not a readable commit")))
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
