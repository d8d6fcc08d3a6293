//! The commits of `hide..from`, in `git log --date-order`, each read once.
//!
//! This is git's own walk (revision.c's `limit_list` and `sort_in_topological_order`):
//! commits come off a queue newest first; what `hide` reaches is marked uninteresting
//! and the mark spreads to parents; the walk stops a few commits after only
//! uninteresting ones are left (the slop tolerates clocks that run backwards). The
//! commits kept are then ordered children before parents, newest first among those
//! ready. libgit2's revwalk does the same but parses each commit apart from the
//! `find_commit` that describes it; here one read of the object gives both.
//!
//! Like git's, the walk trusts commit times: where a clock ran back by days, a range
//! can list commits `hide` has, exactly as `git log hide..from` does. Drift is decided
//! by ancestry instead (`diff`), which is exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

use git2::{Odb, Oid};

use super::oid_map::{OidMap, OidSet, map_with_capacity};
use super::raw_commit::{self, describe};
use super::{Commit, DiffError};

/// Commits to go on walking once only uninteresting ones are queued (git's `SLOP`).
const SLOP: u32 = 5;

/// A commit of the range: its description and what the diff needs next.
pub struct Walked {
    pub tree: Oid,
    pub parents: Vec<Oid>,
    /// Boxed, as in `Node`: descriptions are moved between vectors several times, and a
    /// pointer moves cheaper than the struct (a long range's page faults halve).
    pub commit: Box<Commit>,
}

/// The range newest first, and where each commit stands in it.
pub struct Range {
    pub commits: Vec<Walked>,
    pub position: OidMap<usize>,
}

struct Node {
    id: Oid,
    time: i64,
    tree: Oid,
    parents: Vec<Oid>,
    /// Described when first read as interesting (the uninteresting side needs no text).
    commit: Option<Box<Commit>>,
    uninteresting: bool,
    queued: bool,
}

/// Newest first; among equal times, first queued first (as git's priority queue).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    time: i64,
    order: Reverse<usize>,
}

/// Nodes live in a vector in the order read (so a `Queued` order is also the node's
/// index) and the map only holds indices: rehashing a growing map then moves small
/// entries, not descriptions.
struct Walker<'o, 'r> {
    odb: &'o Odb<'r>,
    shallow: &'o OidSet,
    index: OidMap<usize>,
    nodes: Vec<Node>,
    queue: BinaryHeap<Queued>,
    /// Queued commits not (yet) known to be reachable from `hide`.
    interesting_queued: usize,
    /// Commits known to be reachable from `hide` before they are read.
    flagged: OidSet,
}

/// Commits reachable from `from` but not from `hide`, newest first, children before
/// their parents. `shallow` lists commits whose parents the repository does not have.
pub fn range(odb: &Odb, shallow: &OidSet, from: Oid, hide: Oid) -> Result<Range, DiffError> {
    if from == hide {
        return Ok(Range {
            commits: Vec::new(),
            position: OidMap::default(),
        });
    }
    let mut w = Walker {
        odb,
        shallow,
        index: map_with_capacity(1024),
        nodes: Vec::with_capacity(1024),
        queue: BinaryHeap::new(),
        interesting_queued: 0,
        flagged: OidSet::default(),
    };
    // In the order `git log hide..from` takes them (it matters between equal times).
    w.load(hide, true)?;
    w.load(from, false)?;
    w.mark_parents_uninteresting(hide);
    let kept = w.limit()?;
    Ok(w.date_order(&kept))
}

/// The commits a shallow clone has cut the history at (`.git/shallow`), whose parents
/// are missing: git treats them as roots, and so does the walk.
pub fn shallow_roots(git_dir: &Path) -> OidSet {
    std::fs::read_to_string(git_dir.join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

impl Walker<'_, '_> {
    /// Reads a commit once and queues it.
    fn load(&mut self, id: Oid, uninteresting: bool) -> Result<(), DiffError> {
        let uninteresting = uninteresting || self.flagged.remove(&id);
        let object = self.odb.read(id)?;
        let raw = raw_commit::parse(object.data())
            .filter(|_| object.kind() == git2::ObjectType::Commit)
            .ok_or_else(|| DiffError::Git(format!("object {id} is not a readable commit")))?;
        let parents = if self.shallow.contains(&id) {
            Vec::new()
        } else {
            raw.parents.clone()
        };
        let at = self.nodes.len();
        self.index.insert(id, at);
        self.nodes.push(Node {
            id,
            time: raw.time,
            tree: raw.tree,
            parents,
            commit: (!uninteresting).then(|| Box::new(describe(id, &raw))),
            uninteresting,
            queued: true,
        });
        self.queue.push(Queued {
            time: raw.time,
            order: Reverse(at),
        });
        if !uninteresting {
            self.interesting_queued += 1;
        }
        Ok(())
    }

    /// The walk proper: the nodes popped while interesting and still so at the end, in
    /// the order popped.
    fn limit(&mut self) -> Result<Vec<usize>, DiffError> {
        let mut popped_interesting = Vec::new();
        let mut slop = SLOP;
        // The time of the last interesting commit taken (git's `date`).
        let mut last_interesting = i64::MAX;
        while let Some(Queued {
            time,
            order: Reverse(at),
        }) = self.queue.pop()
        {
            let node = &mut self.nodes[at];
            node.queued = false;
            let parents = node.parents.clone();
            if node.uninteresting {
                // Parents are read and queued, and what is already known below them is
                // marked (git's `process_parents` and `mark_parents_uninteresting`).
                for p in parents {
                    self.mark_one(p);
                    if !self.index.contains_key(&p) {
                        self.load(p, true)?;
                    }
                    self.mark_parents_uninteresting(p);
                }
                slop = self.still_interesting(last_interesting, slop);
                if slop == 0 {
                    break;
                }
                continue;
            }
            self.interesting_queued -= 1;
            last_interesting = time;
            popped_interesting.push(at);
            for p in parents {
                if !self.index.contains_key(&p) {
                    self.load(p, false)?;
                }
            }
        }
        // A commit kept early may have been reached from `hide` later on.
        popped_interesting.retain(|&at| !self.nodes[at].uninteresting);
        Ok(popped_interesting)
    }

    /// git's `still_interesting`: full slop while an interesting commit is queued or
    /// the queue holds a commit at least as new as the last interesting one taken (a
    /// clock that ran backwards); otherwise one step closer to stopping.
    fn still_interesting(&self, last_interesting: i64, slop: u32) -> u32 {
        let Some(next) = self.queue.peek() else {
            return 0;
        };
        if last_interesting <= next.time || self.interesting_queued > 0 {
            SLOP
        } else {
            slop - 1
        }
    }

    /// Marks everything below a commit that the walk has read as reachable from `hide`
    /// (commits not read yet are only flagged, as git leaves unparsed ones).
    fn mark_parents_uninteresting(&mut self, id: Oid) {
        let mut stack: Vec<Oid> = match self.index.get(&id) {
            Some(&at) => self.nodes[at].parents.clone(),
            None => return,
        };
        while let Some(id) = stack.pop() {
            if let Some(parents) = self.mark_one(id) {
                stack.extend_from_slice(parents);
            }
        }
    }

    /// Marks one commit reachable from `hide`; its parents when it was just marked and
    /// has been read, for the caller to go on with.
    fn mark_one(&mut self, id: Oid) -> Option<&[Oid]> {
        let Some(&at) = self.index.get(&id) else {
            self.flagged.insert(id);
            return None;
        };
        let node = &mut self.nodes[at];
        if node.uninteresting {
            return None;
        }
        node.uninteresting = true;
        if node.queued {
            self.interesting_queued -= 1;
        }
        Some(&self.nodes[at].parents)
    }

    /// Children before parents; among commits whose children are all out, newest first
    /// (ties in the order they became ready), as `git log --date-order` lists them.
    fn date_order(&mut self, kept: &[usize]) -> Range {
        // Each kept node's place in `kept`, to count and release its parents.
        let mut kept_at = vec![usize::MAX; self.nodes.len()];
        for (k, &at) in kept.iter().enumerate() {
            kept_at[at] = k;
        }
        let parent_slots = |nodes: &[Node], index: &OidMap<usize>, at: usize| {
            nodes[at]
                .parents
                .iter()
                .filter_map(|p| index.get(p).map(|&pa| kept_at[pa]))
                .filter(|&k| k != usize::MAX)
                .collect::<Vec<usize>>()
        };
        let mut waiting_children = vec![0u32; kept.len()];
        for &at in kept {
            for k in parent_slots(&self.nodes, &self.index, at) {
                waiting_children[k] += 1;
            }
        }
        let times: Vec<i64> = kept.iter().map(|&at| self.nodes[at].time).collect();
        let mut ready = BinaryHeap::new();
        let mut order = 0usize;
        let mut make_ready = |ready: &mut BinaryHeap<(i64, Reverse<usize>, usize)>, k: usize| {
            ready.push((times[k], Reverse(order), k));
            order += 1;
        };
        for (k, waiting) in waiting_children.iter().enumerate() {
            if *waiting == 0 {
                make_ready(&mut ready, k);
            }
        }
        let mut commits = Vec::with_capacity(kept.len());
        let mut position = map_with_capacity(kept.len());
        while let Some((_, _, k)) = ready.pop() {
            // Parents become ready in parent order, as git queues them.
            for pk in parent_slots(&self.nodes, &self.index, kept[k]) {
                waiting_children[pk] -= 1;
                if waiting_children[pk] == 0 {
                    make_ready(&mut ready, pk);
                }
            }
            let node = &mut self.nodes[kept[k]];
            if let Some(commit) = node.commit.take() {
                position.insert(node.id, commits.len());
                commits.push(Walked {
                    tree: node.tree,
                    parents: std::mem::take(&mut node.parents),
                    commit,
                });
            }
        }
        Range { commits, position }
    }
}
