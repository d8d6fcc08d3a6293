//! One commit's patch (against its first parent, as its file list is), bounded in lines
//! and bytes, for the commit view. What is left out is said, never silently dropped.

use git2::{DiffFormat, Oid, Repository};

use super::DiffError;

/// Lines of a patch kept at most.
pub const MAX_LINES: usize = 5_000;
/// Bytes of a patch kept at most (its lines' text).
pub const MAX_BYTES: usize = 1024 * 1024;
/// Characters of one line kept at most (a minified file's line).
const MAX_LINE_CHARS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `diff --git a/… b/…` and the lines after it up to the first hunk.
    File,
    /// `@@ -1,4 +1,5 @@`
    Hunk,
    Added,
    Removed,
    Context,
    /// `Binary files differ`, `\ No newline at end of file`.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The commit's full id.
    pub commit: String,
    pub lines: Vec<(LineKind, String)>,
    /// Lines left out for the bounds (0: the whole patch is here).
    pub left_out: usize,
}

/// The patch of commit `id`, at most `MAX_LINES` lines and `MAX_BYTES` bytes.
pub fn patch(repo: &Repository, id: &str) -> Result<Patch, DiffError> {
    patch_bounded(repo, id, MAX_LINES, MAX_BYTES)
}

pub fn patch_bounded(
    repo: &Repository,
    id: &str,
    max_lines: usize,
    max_bytes: usize,
) -> Result<Patch, DiffError> {
    let c = repo.find_commit(Oid::from_str(id)?)?;
    let tree = c.tree()?;
    let parent = if c.parent_count() > 0 {
        Some(c.parent(0)?.tree()?)
    } else {
        None
    };
    let d = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None)?;
    let mut lines = Vec::new();
    let mut bytes = 0usize;
    let mut left_out = 0usize;
    d.print(DiffFormat::Patch, |_delta, _hunk, line| {
        let kind = match line.origin() {
            'F' => LineKind::File,
            'H' => LineKind::Hunk,
            '+' | '>' => LineKind::Added,
            '-' | '<' => LineKind::Removed,
            ' ' => LineKind::Context,
            _ => LineKind::Note,
        };
        let raw = String::from_utf8_lossy(line.content());
        // A file header comes as one piece of several lines.
        for text in raw.lines() {
            if lines.len() >= max_lines || bytes + text.len() > max_bytes {
                left_out += 1;
                continue;
            }
            bytes += text.len();
            let text: String = text.chars().take(MAX_LINE_CHARS).collect();
            lines.push((kind, text));
        }
        true
    })?;
    Ok(Patch {
        commit: c.id().to_string(),
        lines,
        left_out,
    })
}
