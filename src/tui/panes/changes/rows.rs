//! Flattening a change set into the rows the list shows: merges folded or unfolded, and
//! a search over subject, author, hash, PR number and paths.

use std::collections::HashSet;

use crate::vcs::{ChangeSet, Commit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Index into `ChangeSet::commits`.
    pub top: usize,
    /// Index into that commit's `merged`, for rows under an unfolded merge.
    pub merged: Option<usize>,
}

impl Row {
    pub fn commit<'a>(&self, cs: &'a ChangeSet) -> Option<&'a Commit> {
        let top = cs.commits.get(self.top)?;
        match self.merged {
            None => Some(top),
            Some(i) => top.merged.get(i),
        }
    }
}

pub fn matches(c: &Commit, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let n = needle.to_lowercase();
    c.subject.to_lowercase().contains(&n)
        || c.author.to_lowercase().contains(&n)
        || c.id.starts_with(&n)
        || c.pr.is_some_and(|p| p.to_string().contains(&n))
        || c.risks.iter().any(|r| r.contains(&n))
        || c.files.iter().any(|f| f.path.to_lowercase().contains(&n))
}

/// What a search matched in a commit: its subject first, then a file path, then the
/// rest (author, hash, PR number, risk flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Subject,
    Path,
    Other,
}

/// Why `c` matches `needle`, or `None` (an empty search matches nothing here).
pub fn hit(c: &Commit, needle: &str) -> Option<Hit> {
    if needle.is_empty() || !matches(c, needle) {
        return None;
    }
    let n = needle.to_lowercase();
    if c.subject.to_lowercase().contains(&n) {
        Some(Hit::Subject)
    } else if first_path(c, needle).is_some() {
        Some(Hit::Path)
    } else {
        Some(Hit::Other)
    }
}

/// The first of `c`'s paths that contains `needle`.
pub fn first_path<'a>(c: &'a Commit, needle: &str) -> Option<&'a str> {
    let n = needle.to_lowercase();
    c.files
        .iter()
        .find(|f| f.path.to_lowercase().contains(&n))
        .map(|f| f.path.as_str())
}

/// `3 matches: 2 in subjects, 1 in paths`, over the commits a search shows.
pub fn hit_summary(cs: &ChangeSet, rows: &[Row], needle: &str) -> String {
    let (mut subjects, mut paths, mut other) = (0, 0, 0);
    for r in rows {
        match r.commit(cs).and_then(|c| hit(c, needle)) {
            Some(Hit::Subject) => subjects += 1,
            Some(Hit::Path) => paths += 1,
            Some(Hit::Other) => other += 1,
            None => {}
        }
    }
    let total = subjects + paths + other;
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut parts = Vec::new();
    if subjects > 0 {
        parts.push(format!("{subjects} in subjects"));
    }
    if paths > 0 {
        parts.push(format!("{paths} in paths"));
    }
    if other > 0 {
        parts.push(format!("{other} by author, hash, PR or flag"));
    }
    let head = plural(total, "match", "matches");
    if parts.is_empty() {
        head
    } else {
        format!("{head}: {}", parts.join(", "))
    }
}

/// The visible rows. While searching, a merge whose merged commits match is shown
/// unfolded so the matches are visible.
pub fn rows(cs: &ChangeSet, expanded: &HashSet<String>, search: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, c) in cs.commits.iter().enumerate() {
        let inner: Vec<usize> = c
            .merged
            .iter()
            .enumerate()
            .filter(|(_, m)| matches(m, search))
            .map(|(j, _)| j)
            .collect();
        let self_match = matches(c, search);
        if !self_match && inner.is_empty() {
            continue;
        }
        out.push(Row {
            top: i,
            merged: None,
        });
        let unfolded = expanded.contains(&c.id) || (!search.is_empty() && !inner.is_empty());
        if unfolded {
            let show: Vec<usize> = if search.is_empty() || (self_match && inner.is_empty()) {
                (0..c.merged.len()).collect()
            } else {
                inner
            };
            out.extend(show.into_iter().map(|j| Row {
                top: i,
                merged: Some(j),
            }));
        }
    }
    out
}
