//! A commit object's fields, read straight from its bytes.
//!
//! `git log` inflates each commit once and reads the few fields it needs from the
//! bytes. Going through libgit2's revwalk and then `find_commit` inflated and parsed
//! every commit twice, a third of a long diff's time; reading the object database
//! directly and parsing here does it once.

use chrono::DateTime;
use git2::Oid;

use super::{Commit, pr};

/// The fields of a commit object (`tree`, `parent`…, `author`, `committer`, other
/// headers, a blank line, the message), borrowed from its bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct RawCommit<'a> {
    pub tree: Oid,
    pub parents: Vec<Oid>,
    /// Committer time, seconds since the epoch: what `git log` orders by.
    pub time: i64,
    pub author_name: &'a [u8],
    pub author_email: &'a [u8],
    pub message: &'a [u8],
}

/// Parses a commit object's bytes; `None` when there is no tree line (not a commit).
/// Other headers (`gpgsig`, `encoding`, `mergetag`, continuation lines) are skipped.
pub fn parse(data: &[u8]) -> Option<RawCommit<'_>> {
    let mut tree = None;
    let mut parents = Vec::new();
    let mut author: (&[u8], &[u8], Option<i64>) = (&[], &[], None);
    let mut committer_time = None;
    let mut message: &[u8] = &[];
    let mut rest = data;
    while !rest.is_empty() {
        let (line, after) = match memchr::memchr(b'\n', rest) {
            Some(nl) => (&rest[..nl], &rest[nl + 1..]),
            None => (rest, &[][..]),
        };
        rest = after;
        if line.is_empty() {
            message = rest;
            break;
        }
        let Some(space) = memchr::memchr(b' ', line) else {
            continue;
        };
        let (key, value) = (&line[..space], &line[space + 1..]);
        match key {
            b"tree" if tree.is_none() => tree = Some(hex_oid(value)?),
            b"parent" => parents.push(hex_oid(value)?),
            b"author" => author = signature(value),
            b"committer" => committer_time = signature(value).2,
            _ => {}
        }
    }
    // libgit2 and git show the message without the blank lines that may lead it.
    while let [b'\n', tail @ ..] = message {
        message = tail;
    }
    Some(RawCommit {
        tree: tree?,
        parents,
        time: committer_time.or(author.2).unwrap_or(0),
        author_name: author.0,
        author_email: author.1,
        message,
    })
}

/// `Name <email> seconds zone`: name, email and seconds. The last `<` and `>` delimit
/// the email, as git reads it (names may hold either).
fn signature(value: &[u8]) -> (&[u8], &[u8], Option<i64>) {
    let (Some(lt), Some(gt)) = (memchr::memrchr(b'<', value), memchr::memrchr(b'>', value)) else {
        return (value.trim_ascii(), &[], None);
    };
    if gt < lt {
        return (value.trim_ascii(), &[], None);
    }
    let seconds = value[gt + 1..]
        .trim_ascii()
        .split(|b| *b == b' ')
        .next()
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok());
    (value[..lt].trim_ascii(), &value[lt + 1..gt], seconds)
}

/// The 40 hex digits that start `value` as an id.
fn hex_oid(value: &[u8]) -> Option<Oid> {
    let hex = value.get(..40)?;
    let mut bytes = [0u8; 20];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Oid::from_bytes(&bytes).ok()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A commit's author, time, message and PR number; files and risks come later.
pub fn describe(id: Oid, raw: &RawCommit) -> Commit {
    let id = id.to_string();
    let message = String::from_utf8_lossy(raw.message);
    let (subject, body) = match message.split_once('\n') {
        Some((s, b)) => (s.trim().to_string(), b.trim().to_string()),
        None => (message.trim().to_string(), String::new()),
    };
    Commit {
        short: id[..7.min(id.len())].to_string(),
        id,
        author: String::from_utf8_lossy(raw.author_name).into_owned(),
        email: String::from_utf8_lossy(raw.author_email).into_owned(),
        time: DateTime::from_timestamp(raw.time, 0).unwrap_or_default(),
        pr: pr::parse(&subject, &body),
        subject,
        body,
        files: Vec::new(),
        risks: Vec::new(),
        merged: Vec::new(),
        is_merge: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const P1: &str = "0123456789abcdef0123456789abcdef01234567";
    const P2: &str = "89abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn reads_the_fields_git_log_shows() {
        let text = format!(
            "tree {TREE}\nparent {P1}\nparent {P2}\n\
             author Ada <Lovelace> <ada@example.com> 1700000000 +0100\n\
             committer CI <ci@example.com> 1700000600 +0000\n\
             gpgsig -----BEGIN PGP SIGNATURE-----\n \n tree {P2}\n -----END PGP SIGNATURE-----\n\
             \n\nFix the thing (#12)\n\nBecause.\n"
        );
        let raw = parse(text.as_bytes()).unwrap();
        assert_eq!(raw.tree.to_string(), TREE);
        let parents: Vec<String> = raw.parents.iter().map(Oid::to_string).collect();
        assert_eq!(parents, [P1, P2]);
        assert_eq!(raw.time, 1_700_000_600, "committer time orders the log");
        assert_eq!(raw.author_name, b"Ada <Lovelace>");
        assert_eq!(raw.author_email, b"ada@example.com");
        assert_eq!(raw.message, b"Fix the thing (#12)\n\nBecause.\n");
        let c = describe(Oid::from_str(P1).unwrap(), &raw);
        assert_eq!(c.subject, "Fix the thing (#12)");
        assert_eq!(c.body, "Because.");
        assert_eq!(c.short, "0123456");
        assert_eq!(c.pr.map(|p| p.to_string()), Some("#12".to_string()));
    }

    #[test]
    fn damaged_objects_give_no_commit_or_empty_fields() {
        assert_eq!(parse(b"blob"), None, "no tree line");
        assert_eq!(
            parse(b"tree nothex\n\nmsg"),
            None,
            "a tree id that is not hex"
        );
        let text = format!("tree {TREE}\nauthor no email\n");
        let raw = parse(text.as_bytes()).unwrap();
        assert_eq!(raw.author_name, b"no email");
        assert_eq!(raw.author_email, b"");
        assert_eq!(raw.time, 0);
        assert_eq!(raw.message, b"");
    }
}
