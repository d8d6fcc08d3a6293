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
