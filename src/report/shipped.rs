//! What a release ships: the commits of the ranges its promotions moved, read from the
//! repository with the same diff as the Changes pane and `slipway diff`.

use std::path::PathBuf;

use super::{Changes, MAX_COMMITS, Range, Shipped, ShippedCommit};
use crate::journal::{Act, Entry};
use crate::text::one_line;
use crate::vcs::{ChangeSet, RiskRules};

/// Ranges diffed at most (stacks usually start from one or two live versions).
const MAX_RANGES: usize = 8;

/// Where the repository is, as far as the report is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoAccess {
    NotConfigured,
    /// Configured, not readable now (still cloning, clone failed), and why.
    Unavailable(String),
    Path(PathBuf),
}

/// The distinct `from → to` of the promotions onto live, first promoted first; when
/// nothing reached live yet, those onto any environment.
pub fn ranges(entries: &[Entry], live_env: &str) -> Vec<(String, String)> {
    let pick = |live_only: bool| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in entries.iter().filter(|e| e.is(Act::Promote)) {
            if live_only && !e.is_about(live_env) {
                continue;
            }
            if let (Some(f), Some(t)) = (&e.from, &e.to) {
                let pair = (f.clone(), t.clone());
                if f != t && !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
        out
    };
    let live = pick(true);
    let mut out = if live.is_empty() { pick(false) } else { live };
    out.truncate(MAX_RANGES);
    out
}

/// The commits of the widest range, and how many each other range has.
pub fn shipped(repo: &RepoAccess, ranges: &[(String, String)], rules: &RiskRules) -> Shipped {
    if ranges.is_empty() {
        return Shipped::NothingPromoted;
    }
    let path = match repo {
        RepoAccess::NotConfigured => return Shipped::NotConfigured,
        RepoAccess::Unavailable(reason) => {
            return Shipped::Unavailable {
                reason: reason.clone(),
            };
        }
        RepoAccess::Path(p) => p,
    };
    let git = match git2::Repository::open(path) {
        Ok(r) => r,
        Err(e) => {
            return Shipped::Unavailable {
                reason: format!(
                    "cannot open the repository {}: {}",
                    path.display(),
                    e.message()
                ),
            };
        }
    };
    let diffs: Vec<Result<ChangeSet, String>> = ranges
        .iter()
        .map(|(from, to)| crate::vcs::diff(&git, from, to, rules).map_err(|e| e.to_string()))
        .collect();
    let widest = diffs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.as_ref().ok().map(|cs| (i, cs)))
        .max_by_key(|(i, cs)| (cs.count, std::cmp::Reverse(*i)));
    let Some((chosen, cs)) = widest else {
        let reason = diffs
            .iter()
            .find_map(|d| d.as_ref().err().cloned())
            .unwrap_or_default();
        return Shipped::Unavailable { reason };
    };
    let other_ranges = ranges
        .iter()
        .zip(&diffs)
        .enumerate()
        .filter(|(i, _)| *i != chosen)
        .map(|(_, ((from, to), d))| Range {
            from: from.clone(),
            to: to.clone(),
            count: d.as_ref().ok().map(|cs| cs.count),
        })
        .collect();
    let (from, to) = ranges[chosen].clone();
    Shipped::Listed(changes(from, to, cs, other_ranges))
}

fn changes(from: String, to: String, cs: &ChangeSet, other_ranges: Vec<Range>) -> Changes {
    let mut prs: Vec<String> = Vec::new();
    for c in &cs.commits {
        for pr in std::iter::once(c).chain(&c.merged).filter_map(|c| c.pr) {
            let pr = pr.to_string();
            if !prs.contains(&pr) {
                prs.push(pr);
            }
        }
    }
    let commits = cs
        .commits
        .iter()
        .take(MAX_COMMITS)
        .map(|c| ShippedCommit {
            id: c.id.clone(),
            short: c.short.clone(),
            subject: one_line(&c.subject, 200),
            author: one_line(&c.author, 80),
            pr: c.pr.map(|p| p.to_string()),
            risks: c.risks.clone(),
        })
        .collect();
    Changes {
        from,
        to,
        count: cs.count,
        risky: cs.risky,
        risk_counts: cs.risk_counts.clone(),
        prs,
        commits,
        more: cs.commits.len().saturating_sub(MAX_COMMITS),
        drift: cs.drift.is_some(),
        other_ranges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_prefer_live_and_are_distinct() {
        let promote = |env: &str, f: &str, t: &str| {
            Entry::new(crate::journal::Act::Promote)
                .env(env)
                .versions(f, t)
        };
        let entries = vec![
            promote("staging", "a", "c"),
            promote("live", "a", "c"),
            promote("live", "b", "c"),
            promote("live", "a", "c"),
        ];
        assert_eq!(
            ranges(&entries, "live"),
            [("a".into(), "c".into()), ("b".into(), "c".into())]
        );
        assert_eq!(ranges(&entries[..1], "live"), [("a".into(), "c".into())]);
    }

    #[test]
    fn without_a_repository_or_a_promotion_it_says_so() {
        let rules = RiskRules::defaults();
        let one = [("a".to_string(), "b".to_string())];
        assert_eq!(
            shipped(&RepoAccess::NotConfigured, &one, &rules),
            Shipped::NotConfigured
        );
        assert_eq!(
            shipped(&RepoAccess::NotConfigured, &[], &rules),
            Shipped::NothingPromoted
        );
        let missing = RepoAccess::Path("/nonexistent/slipway-report-repo".into());
        assert!(matches!(
            shipped(&missing, &one, &rules),
            Shipped::Unavailable { reason } if reason.contains("cannot open")
        ));
    }
}
