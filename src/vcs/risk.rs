//! Risk flags: which commits touch paths that deserve a second look before a release
//! (schema migrations, configuration, dependency lock files), by glob.

use std::collections::BTreeMap;

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
}
