//! Risk flags: which commits touch paths that deserve a second look before a release
//! (schema migrations, configuration, dependency lock files), by glob.

use std::collections::{BTreeMap, HashMap};

use globset::{Glob, GlobSet, GlobSetBuilder};

pub use crate::config::default_risk_rules as default_rules;

/// `[changes] risk` at load (called by `crate::validation`): every glob compiles.
pub fn validate(rules: &BTreeMap<String, Vec<String>>) -> Option<crate::config::Problem> {
    let e = RiskRules::new(rules).err()?;
    let name = e.split(':').next().unwrap_or_default();
    Some(crate::config::Problem::new(
        format!("changes.risk.{name}"),
        e,
    ))
}

/// Compiled rules: one glob set per risk name.
#[derive(Debug, Clone)]
pub struct RiskRules {
    rules: Vec<(String, GlobSet)>,
}

impl RiskRules {
    pub fn new(rules: &BTreeMap<String, Vec<String>>) -> Result<RiskRules, String> {
        let mut compiled = Vec::new();
        for (name, globs) in rules {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g).map_err(|e| format!("{name}: bad glob '{g}': {e}"))?);
            }
            compiled.push((name.clone(), b.build().map_err(|e| format!("{name}: {e}"))?));
        }
        Ok(RiskRules { rules: compiled })
    }

    pub fn defaults() -> RiskRules {
        // The defaults are constants checked by a test; an empty set is a safe fallback.
        RiskRules::new(&default_rules()).unwrap_or(RiskRules { rules: Vec::new() })
    }

    /// The risk names a set of paths triggers, in rule order, each once.
    pub fn classify<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut hit = vec![false; self.rules.len()];
        for path in paths {
            for (i, (_, set)) in self.rules.iter().enumerate() {
                if !hit[i] && set.is_match(path) {
                    hit[i] = true;
                }
            }
        }
        self.rules
            .iter()
            .zip(hit)
            .filter(|(_, h)| *h)
            .map(|((name, _), _)| name.clone())
            .collect()
    }
}

/// Paths remembered by a [`RiskMemo`], at most: a range touching more distinct paths
/// than this matches the rest afresh.
const MEMO_PATHS: usize = 100_000;

/// [`RiskRules::classify`] for a walk through many commits: each distinct path is
/// matched against the globs once (a long history touches the same few files again and
/// again, and glob matching is most of the fixed cost per commit).
pub struct RiskMemo<'r> {
    rules: &'r RiskRules,
    /// For each path seen, the indices of the rules it triggers (mostly none).
    seen: HashMap<Box<str>, Box<[u16]>>,
    hit: Vec<bool>,
}

impl<'r> RiskMemo<'r> {
    pub fn new(rules: &'r RiskRules) -> Self {
        RiskMemo {
            rules,
            seen: HashMap::new(),
            hit: vec![false; rules.rules.len()],
        }
    }

    /// The same answer as `RiskRules::classify`.
    pub fn classify<'a>(&mut self, paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let rules = &self.rules.rules;
        self.hit.iter_mut().for_each(|h| *h = false);
        let mut any = false;
        for path in paths {
            if let Some(found) = self.seen.get(path) {
                for i in found {
                    self.hit[usize::from(*i)] = true;
                    any = true;
                }
                continue;
            }
            let found: Box<[u16]> = rules
                .iter()
                .enumerate()
                .filter(|(_, (_, set))| set.is_match(path))
                .filter_map(|(i, _)| u16::try_from(i).ok())
                .collect();
            for i in &found {
                self.hit[usize::from(*i)] = true;
                any = true;
            }
            if self.seen.len() < MEMO_PATHS {
                self.seen.insert(path.into(), found);
            }
        }
        if !any {
            return Vec::new();
        }
        rules
            .iter()
            .zip(&self.hit)
            .filter(|(_, h)| **h)
            .map(|((name, _), _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_compile_and_flag_typical_paths() {
        let r = RiskRules::new(&default_rules()).expect("defaults compile");
        assert_eq!(
            r.classify(["priv/repo/migrations/20261101_add_routes.exs"]),
            ["migration"]
        );
        assert_eq!(r.classify(["config/prod.exs", "lib/a.ex"]), ["config"]);
        assert_eq!(
            r.classify(["mix.lock", "db/structure.sql"]),
            ["dependencies", "migration"]
        );
        assert!(
            r.classify(["lib/belfrage/cache.ex", "README.md"])
                .is_empty()
        );
    }

    #[test]
    fn bad_glob_is_named() {
        let rules = BTreeMap::from([("x".to_string(), vec!["a[".to_string()])]);
        assert!(
            RiskRules::new(&rules)
                .unwrap_err()
                .contains("x: bad glob 'a['")
        );
    }

    #[test]
    fn memo_answers_as_the_rules_do_with_paths_seen_again() {
        let r = RiskRules::defaults();
        let mut memo = RiskMemo::new(&r);
        let commits: [&[&str]; 5] = [
            &["config/prod.exs", "lib/a.ex"],
            &["lib/a.ex"],
            &["mix.lock", "db/structure.sql"],
            &["config/prod.exs", "mix.lock"],
            &[],
        ];
        for _ in 0..2 {
            for paths in commits {
                assert_eq!(
                    memo.classify(paths.iter().copied()),
                    r.classify(paths.iter().copied()),
                    "{paths:?}"
                );
            }
        }
    }
}
