//! Which paths differ between two trees. Git stores tree entries sorted, and identical
//! subtrees share an id, so a merge-walk that only descends where ids differ touches a
//! handful of objects per commit. Trees are read raw from the object database and walked
//! as bytes: libgit2's parsed trees and general diff cost several times more per commit,
//! which matters on long ranges (see `benches/vcs_diff.rs`).

use std::cmp::Ordering;
use std::rc::Rc;

use git2::{Odb, OdbObject, Oid};

use super::FileChange;
use super::oid_map::OidMap;

/// Reads trees for a walk through a range, newest commit first. Trees are kept for two
/// commits: a commit's parent tree is the next commit's tree, so each tree is read once;
/// keeping more only grows memory (page faults cost more than the rare re-read after a
/// merge). Objects are kept as libgit2 returned them, without copying their bytes.
pub struct TreeReader<'o, 'r> {
    odb: &'o Odb<'r>,
    /// Trees read for the current commit, and for the one before.
    current: OidMap<Rc<OdbObject<'o>>>,
    previous: OidMap<Rc<OdbObject<'o>>>,
}

struct Entry<'a> {
    mode: u32,
    name: &'a [u8],
    id: &'a [u8],
}

impl Entry<'_> {
    fn is_tree(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }
}

/// Reads `mode SP name NUL id` records one at a time (no allocation); stops at the
/// first malformed one.
struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let rest = self.rest;
        let nul = memchr::memchr(0, rest)?;
        let sp = memchr::memchr(b' ', &rest[..nul])?;
        let id_end = nul + 1 + 20;
        if id_end > rest.len() {
            self.rest = &[];
            return None;
        }
        let mode = rest[..sp]
            .iter()
            .fold(0u32, |m, d| m * 8 + u32::from(d.wrapping_sub(b'0') & 7));
        self.rest = &rest[id_end..];
        Some(Entry {
            mode,
            name: &rest[sp + 1..nul],
            id: &rest[nul + 1..id_end],
        })
    }
}

/// The offset where the entry containing byte `at` starts (entries are found from the
/// front: an id's 20 bytes may hold any value, so the format cannot be read backwards).
fn entry_start(data: &[u8], at: usize) -> usize {
    let mut start = 0;
    while start < data.len() {
        let Some(nul) = memchr::memchr(0, &data[start..]) else {
            break;
        };
        let end = start + nul + 1 + 20;
        if end > at {
            break;
        }
        start = end;
    }
    start.min(data.len())
}

/// Length of the common prefix of two byte strings, compared a word at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n && a[i..i + 8] == b[i..i + 8] {
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

fn entries(data: &[u8]) -> Entries<'_> {
    Entries { rest: data }
}

/// Git's tree order: a subtree sorts as if its name ended in '/'.
fn compare(a: &Entry, b: &Entry) -> Ordering {
    let n = a.name.len().min(b.name.len());
    match a.name[..n].cmp(&b.name[..n]) {
        Ordering::Equal => {}
        other => return other,
    }
    let next = |e: &Entry| match e.name.get(n) {
        Some(c) => *c,
        None if e.is_tree() => b'/',
        None => 0,
    };
    next(a).cmp(&next(b)).then(a.name.len().cmp(&b.name.len()))
}

impl<'o, 'r> TreeReader<'o, 'r> {
    pub fn new(odb: &'o Odb<'r>) -> Self {
        TreeReader {
            odb,
            current: OidMap::default(),
            previous: OidMap::default(),
        }
    }

    fn read(&mut self, id: Oid) -> Result<Rc<OdbObject<'o>>, git2::Error> {
        if let Some(t) = self.current.get(&id) {
            return Ok(t.clone());
        }
        let data = match self.previous.get(&id) {
            Some(t) => t.clone(),
            None => Rc::new(self.odb.read(id)?),
        };
        self.current.insert(id, data.clone());
        Ok(data)
    }

    /// Appends the paths that differ between two trees (either may be absent). Call once
    /// per commit, newest first: the trees read for the commit before are kept for this one.
    pub fn changed_paths(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        out: &mut Vec<FileChange>,
    ) -> Result<(), git2::Error> {
        self.previous = std::mem::take(&mut self.current);
        self.walk(old, new, "", out)
    }

    fn walk(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &str,
        out: &mut Vec<FileChange>,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let a_data = old.map(|id| self.read(id)).transpose()?;
        let b_data = new.map(|id| self.read(id)).transpose()?;
        let empty: &[u8] = &[];
        let a_all = a_data.as_deref().map_or(empty, |d| d.data());
        let b_all = b_data.as_deref().map_or(empty, |d| d.data());
        // Most commits change one entry per tree: skip the identical prefix without
        // decoding it, and stop once the remaining tails are identical.
        let start = entry_start(a_all, common_prefix(a_all, b_all));
        let mut a = entries(&a_all[start..]);
        let mut b = entries(&b_all[start..]);
        let (mut x, mut y) = (a.next(), b.next());
        loop {
            let order = match (&x, &y) {
                (Some(p), Some(q)) => compare(p, q),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => break,
            };
            match order {
                Ordering::Less => {
                    if let Some(e) = x.take() {
                        self.one_side(&e, prefix, 'D', out)?;
                    }
                    x = a.next();
                }
                Ordering::Greater => {
                    if let Some(e) = y.take() {
                        self.one_side(&e, prefix, 'A', out)?;
                    }
                    y = b.next();
                }
                Ordering::Equal => {
                    if let (Some(p), Some(q)) = (x.take(), y.take())
                        && (p.id != q.id || p.mode != q.mode)
                    {
                        let path = join(prefix, p.name);
                        if p.is_tree() {
                            self.walk(Some(oid(p.id)?), Some(oid(q.id)?), &path, out)?;
                        } else {
                            let status = if p.id == q.id { 'T' } else { 'M' };
                            out.push(change(path, status));
                        }
                        // Past the difference, identical tails need no decoding.
                        if a.rest == b.rest {
                            break;
                        }
                    }
                    x = a.next();
                    y = b.next();
                }
            }
        }
        Ok(())
    }

    /// An entry only one side has: a file, or every file under a directory.
    fn one_side(
        &mut self,
        e: &Entry,
        prefix: &str,
        status: char,
        out: &mut Vec<FileChange>,
    ) -> Result<(), git2::Error> {
        let path = join(prefix, e.name);
        if e.is_tree() {
            let id = Some(oid(e.id)?);
            let (old, new) = if status == 'A' {
                (None, id)
            } else {
                (id, None)
            };
            self.walk(old, new, &path, out)
        } else {
            out.push(change(path, status));
            Ok(())
        }
    }
}

fn oid(bytes: &[u8]) -> Result<Oid, git2::Error> {
    Oid::from_bytes(bytes)
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

fn change(path: String, status: char) -> FileChange {
    FileChange {
        path,
        status,
        added: None,
        removed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mode: u32, name: &'static str) -> Entry<'static> {
        Entry {
            mode,
            name: name.as_bytes(),
            id: &[0; 20],
        }
    }

    #[test]
    fn orders_like_git() {
        // "foo" the directory sorts after "foo.c"; "foo" the file sorts before it.
        assert_eq!(
            compare(&entry(0o040000, "foo"), &entry(0o100644, "foo.c")),
            Ordering::Greater
        );
        assert_eq!(
            compare(&entry(0o100644, "foo"), &entry(0o100644, "foo.c")),
            Ordering::Less
        );
        assert_eq!(
            compare(&entry(0o100644, "a"), &entry(0o100644, "a")),
            Ordering::Equal
        );
    }

    #[test]
    fn malformed_tree_bytes_stop_cleanly() {
        assert_eq!(entries(b"100644 name-without-nul").count(), 0);
        assert_eq!(entries(b"100644 x\0short").count(), 0);
    }
}
