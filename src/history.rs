//! The release journal read back for people: one line per entry (what `slipway history`
//! prints) and a timeline per stack (what the dashboard's History view shows). Free of any
//! front end; the CLI and the engine both read the journal through here.

use std::path::Path;

use crate::journal::{Act, Entry};

/// Entries a timeline keeps at most (the newest): the view stays small and quick.
pub const TIMELINE_LIMIT: usize = 2_000;

/// A full git id shortened as the rest of slipway shows versions; anything else as is.
pub fn short(v: &str) -> &str {
    if v.len() >= 12 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        &v[..7]
    } else {
        v
    }
}

/// `live 3f2a1c4 → 9be77d1`: old → new, with the environment's name (entries written
/// before environments were configurable were about live).
pub fn versions_words(e: &Entry) -> Option<String> {
    let (Some(f), Some(t)) = (&e.from, &e.to) else {
        return None;
    };
    let env = e.env.as_deref().unwrap_or("live");
    Some(format!("{env} {} → {}", short(f), short(t)))
}

/// What happened, after the versions: `#5639226  succeeded: …  gates: …  reason: …`.
pub fn outcome_words(e: &Entry) -> String {
    let mut out = String::new();
    if let Some(d) = &e.deployment {
        out.push_str(&format!("  #{d}"));
    }
    if let Some(s) = &e.series {
        out.push_str(&format!("  {s}"));
    }
    if let Some(o) = &e.outcome {
        out.push_str(&format!("  {o}"));
    }
    if let Some(d) = &e.detail {
        // `succeeded: Deployed …`, or the detail alone.
        let sep = if out.is_empty() { "  " } else { ": " };
        out.push_str(&format!("{sep}{d}"));
    }
    // An override says which gates it went past and why, in the words typed.
    if !e.gates.is_empty() {
        out.push_str(&format!("  gates: {}", e.gates.join(", ")));
    }
    if let Some(r) = &e.reason {
        out.push_str(&format!("  reason: {r}"));
    }
    out.trim_start().to_string()
}

/// `2026-11-22 12:04:31  alice@laptop  promote  sally  live 3f2a1c4 → 9be77d1  #5639226  succeeded: …`
pub fn line(e: &Entry) -> String {
    let mut out = format!(
        "{}  {}@{}  {:<15}",
        e.at.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S"),
        e.user,
        e.host,
        e.action
    );
    if let Some(s) = &e.stack {
        out.push_str(&format!(" {s:<8}"));
    }
    if let Some(v) = versions_words(e) {
        out.push_str(&format!(" {v}"));
    }
    let rest = outcome_words(e);
    if !rest.is_empty() {
        out.push_str(&format!("  {rest}"));
    }
    out
}

/// How an entry reads at a glance, for colouring: good news, bad news, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    /// A metric flag raised.
    Flag,
    Plain,
}

pub fn tone(e: &Entry) -> Tone {
    if e.is(Act::Flag) {
        return Tone::Flag;
    }
    if e.is(Act::Refused) || e.is(Act::Override) {
        return Tone::Bad;
    }
    match e.outcome.as_deref().map(str::to_lowercase).as_deref() {
        Some(o) if o.starts_with("succeeded") || o.starts_with("passed") || o == "live" => {
            Tone::Good
        }
        Some(o)
            if o.starts_with("fail")
                || o.starts_with("abort")
                || o.starts_with("refused")
                || o == "spike"
                || o == "drop"
                || o.contains("unknown") =>
        {
            Tone::Bad
        }
        _ => Tone::Plain,
    }
}

/// One stack's part of the journal (or the release-wide part, `stack: None`), newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct StackTimeline {
    pub stack: Option<String>,
    pub entries: Vec<Entry>,
    /// Metric flags raised on it (`flag` entries).
    pub flags: usize,
    /// Promotions and rollbacks started.
    pub moves: usize,
}

/// The journal as the History view shows it: per stack, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// Stacks in the order of `order` first, then any other stack the journal names, then
    /// the release-wide entries (announcements, lock changes).
    pub stacks: Vec<StackTimeline>,
    /// Entries in the journal that were left out (older than the newest
    /// `TIMELINE_LIMIT`).
    pub left_out: usize,
    /// Lines of the journal that could not be read.
    pub bad: usize,
}

impl Timeline {
    /// Groups `entries` (oldest first, as `journal::read` gives them) per stack, stacks
    /// in `order` (their ids) first.
    pub fn build(entries: &[Entry], bad: usize, order: &[String]) -> Timeline {
        let skip = entries.len().saturating_sub(TIMELINE_LIMIT);
        let kept = &entries[skip..];
        let mut keys: Vec<Option<String>> = order.iter().cloned().map(Some).collect();
        for e in kept {
            if e.stack.is_some() && !keys.contains(&e.stack) {
                keys.push(e.stack.clone());
            }
        }
        keys.push(None);
        let stacks = keys
            .into_iter()
            .filter_map(|key| {
                let mine: Vec<Entry> = kept
                    .iter()
                    .rev()
                    .filter(|e| e.stack == key)
                    .cloned()
                    .collect();
                if mine.is_empty() {
                    return None;
                }
                Some(StackTimeline {
                    flags: mine.iter().filter(|e| e.is(Act::Flag)).count(),
                    moves: mine
                        .iter()
                        .filter(|e| e.is(Act::Promote) || e.is(Act::Rollback))
                        .count(),
                    stack: key,
                    entries: mine,
                })
            })
            .collect();
        Timeline {
            stacks,
            left_out: skip,
            bad,
        }
    }

    /// Reads the journal at `path` and groups it.
    pub fn read(path: &Path, order: &[String]) -> std::io::Result<Timeline> {
        let (entries, bad) = crate::journal::read(path)?;
        Ok(Timeline::build(&entries, bad, order))
    }

    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_per_stack_in_order_newest_first_and_counts_flags() {
        let entries = vec![
            Entry::new(Act::Promote)
                .stack("sally")
                .versions("3f2a1c4aaaaaaaaaaaaa", "9be77d1bbbbbbbbbbbbb"),
            Entry::new(Act::Announce).detail("release message sent to chat"),
            Entry::new(Act::Promote).stack("www").versions("a1", "b2"),
            Entry::new(Act::Flag)
                .stack("sally")
                .series("errors")
                .outcome("spike"),
        ];
        let t = Timeline::build(&entries, 1, &["www".into(), "sally".into()]);
        let names: Vec<Option<&str>> = t.stacks.iter().map(|s| s.stack.as_deref()).collect();
        assert_eq!(names, [Some("www"), Some("sally"), None]);
        assert_eq!(t.stacks[1].entries[0].action, "flag", "newest first");
        assert_eq!((t.stacks[1].flags, t.stacks[1].moves), (1, 1));
        assert_eq!(t.bad, 1);
        assert_eq!(
            versions_words(&t.stacks[1].entries[1]).as_deref(),
            Some("live 3f2a1c4 → 9be77d1")
        );
        assert_eq!(tone(&t.stacks[1].entries[0]), Tone::Flag);
    }

    #[test]
    fn keeps_only_the_newest_entries() {
        let entries: Vec<Entry> = (0..TIMELINE_LIMIT + 5)
            .map(|i| Entry::new(Act::Smoke).stack("www").detail(i.to_string()))
            .collect();
        let t = Timeline::build(&entries, 0, &[]);
        assert_eq!(t.left_out, 5);
        assert_eq!(t.stacks[0].entries.len(), TIMELINE_LIMIT);
        assert_eq!(
            t.stacks[0].entries[0].detail.as_deref(),
            Some(&*(TIMELINE_LIMIT + 4).to_string())
        );
    }
}
