//! Computing `live..test` with git2.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::DateTime;
use git2::{Oid, Repository, Sort};

use super::tree_diff::TreeReader;
use super::{ChangeSet, Commit, DiffError, Drift, FileChange, RiskRules, pr};
use crate::model::Env;

/// Commits listed for drift, at most (a reset test branch can leave thousands).
const MAX_DRIFT: usize = 200;

/// The changes a promotion of `test` onto `live` ships. File names and risk flags are
/// computed for every commit; line counts are left to `fill_line_stats` (they cost a
/// content diff per file, and most views never show them).
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
    let live_id = resolve(repo, live, Env::live())?;
    let test_id = resolve(repo, test, Env::test())?;
    // Every commit in the range (newest first), and the first-parent line through it.
    let all = walk(repo, test_id, &[live_id], false)?;
    let first_parent = walk(repo, test_id, &[live_id], true)?;
    let merged_into = assign_merged(repo, &all, &first_parent)?;
    let odb = repo.odb()?;
    let mut trees = TreeReader::new(&odb);
    let mut described: HashMap<Oid, Commit> = HashMap::with_capacity(all.len());
    // Live is an ancestor of test exactly when some commit in live..test has live as a
    // parent: that answers the drift question without a second walk of the history.
    let mut live_is_ancestor = live_id == test_id;
    for id in &all {
        let commit = repo.find_commit(*id)?;
        live_is_ancestor |= commit.parent_ids().any(|p| p == live_id);
        described.insert(*id, describe(&mut trees, &commit, rules)?);
    }
    let mut commits = Vec::with_capacity(first_parent.len());
    for id in &first_parent {
        let Some(mut entry) = described.remove(id) else {
            continue;
        };
        entry.is_merge = repo.find_commit(*id)?.parent_count() > 1;
        if let Some(children) = merged_into.get(id) {
            for m in children {
                if let Some(c) = described.remove(m) {
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
    let drift = if !live_is_ancestor {
        let mut live_only = Vec::new();
        for id in walk(repo, live_id, &[test_id], false)?
            .into_iter()
            .take(MAX_DRIFT)
        {
            live_only.push(describe(&mut trees, &repo.find_commit(id)?, rules)?);
        }
        Some(Drift { live_only })
    } else {
        None
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

/// For each merge on the first-parent line, the range's commits it brought in (newest
/// first). Each commit goes to the oldest merge that reaches it, as readers of
/// `git log --first-parent` expect; one pass over the range in all.
fn assign_merged(
    repo: &Repository,
    all: &[Oid],
    first_parent: &[Oid],
) -> Result<HashMap<Oid, Vec<Oid>>, DiffError> {
    let order: HashMap<Oid, usize> = all.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut taken: HashSet<Oid> = first_parent.iter().copied().collect();
    let mut out: HashMap<Oid, Vec<Oid>> = HashMap::new();
    for merge in first_parent.iter().rev() {
        let c = repo.find_commit(*merge)?;
        if c.parent_count() < 2 {
            continue;
        }
        let mut stack: Vec<Oid> = (1..c.parent_count())
            .filter_map(|i| c.parent_id(i).ok())
            .collect();
        let mut mine = Vec::new();
        while let Some(id) = stack.pop() {
            if !order.contains_key(&id) || !taken.insert(id) {
                continue;
            }
            mine.push(id);
            let p = repo.find_commit(id)?;
            stack.extend(p.parent_ids());
        }
        mine.sort_by_key(|id| order.get(id).copied().unwrap_or(usize::MAX));
        out.insert(*merge, mine);
    }
    Ok(out)
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
fn walk(
    repo: &Repository,
    from: Oid,
    hide: &[Oid],
    first_parent: bool,
) -> Result<Vec<Oid>, DiffError> {
    let mut w = repo.revwalk()?;
    w.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    if first_parent {
        w.simplify_first_parent()?;
    }
    w.push(from)?;
    for h in hide {
        w.hide(*h)?;
    }
    w.map(|r| r.map_err(DiffError::from)).collect()
}

fn describe(
    trees: &mut TreeReader,
    c: &git2::Commit,
    rules: &RiskRules,
) -> Result<Commit, DiffError> {
    let id = c.id().to_string();
    let message = String::from_utf8_lossy(c.message_bytes()).to_string();
    let (subject, body) = match message.split_once('\n') {
        Some((s, b)) => (s.trim().to_string(), b.trim().to_string()),
        None => (message.trim().to_string(), String::new()),
    };
    let author = c.author();
    let files = changed_files(trees, c)?;
    let risks = rules.classify(files.iter().map(|f| f.path.as_str()));
    Ok(Commit {
        short: id[..7.min(id.len())].to_string(),
        id,
        author: String::from_utf8_lossy(author.name_bytes()).to_string(),
        email: String::from_utf8_lossy(author.email_bytes()).to_string(),
        time: DateTime::from_timestamp(c.time().seconds(), 0).unwrap_or_default(),
        pr: pr::parse(&subject, &body),
        subject,
        body,
        files,
        risks,
        merged: Vec::new(),
        is_merge: false,
    })
}

/// Paths changed against the first parent (or the empty tree for a root commit).
fn changed_files(trees: &mut TreeReader, c: &git2::Commit) -> Result<Vec<FileChange>, DiffError> {
    let parent = if c.parent_count() > 0 {
        Some(c.parent(0)?.tree_id())
    } else {
        None
    };
    let mut files = Vec::new();
    trees.changed_paths(parent, Some(c.tree_id()), &mut files)?;
    Ok(files)
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
