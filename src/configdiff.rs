//! The difference between a stack's configuration on test and on live, with the values
//! of secret-looking keys masked before anything can show them.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

const MASK: &str = "••••••";

/// `[changes] secret_patterns` at load (called by `crate::validation`): every glob compiles.
pub fn validate(patterns: &[String]) -> Option<crate::config::Problem> {
    let e = SecretMatcher::new(patterns).err()?;
    Some(crate::config::Problem::new("changes.secret_patterns", e))
}

/// Keys whose values must never be shown.
#[derive(Debug, Clone)]
pub struct SecretMatcher {
    set: GlobSet,
}

impl SecretMatcher {
    pub fn new(patterns: &[String]) -> Result<SecretMatcher, String> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let glob = GlobBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| format!("bad pattern '{p}': {e}"))?;
            b.add(glob);
        }
        Ok(SecretMatcher {
            set: b.build().map_err(|e| e.to_string())?,
        })
    }

    pub fn is_secret(&self, key: &str) -> bool {
        self.set.is_match(key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyChange {
    /// On test only: promoting adds it to live.
    Added {
        value: String,
    },
    /// On live only: promoting removes it.
    Removed {
        value: String,
    },
    Changed {
        live: String,
        test: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigDiff {
    /// Key → change, sorted by key; unchanged keys are left out.
    pub changes: BTreeMap<String, KeyChange>,
    pub unchanged: usize,
    /// Keys whose values were masked.
    pub masked: usize,
}

/// Compares live and test; secret values are replaced before the diff leaves here.
/// A secret that changed still shows as changed (the fact matters), never its value.
pub fn diff(
    live: &BTreeMap<String, String>,
    test: &BTreeMap<String, String>,
    secrets: &SecretMatcher,
) -> ConfigDiff {
    let mut out = ConfigDiff::default();
    let shown = |key: &str, v: &str, out: &mut ConfigDiff| -> String {
        if secrets.is_secret(key) {
            out.masked += 1;
            MASK.to_string()
        } else {
            crate::text::one_line(v, 300)
        }
    };
    for (key, test_value) in test {
        match live.get(key) {
            None => {
                let value = shown(key, test_value, &mut out);
                out.changes.insert(key.clone(), KeyChange::Added { value });
            }
            Some(live_value) if live_value != test_value => {
                let masked = secrets.is_secret(key);
                let (l, t) = if masked {
                    out.masked += 1;
                    (format!("{MASK} (was)"), format!("{MASK} (new)"))
                } else {
                    (
                        crate::text::one_line(live_value, 300),
                        crate::text::one_line(test_value, 300),
                    )
                };
                out.changes
                    .insert(key.clone(), KeyChange::Changed { live: l, test: t });
            }
            Some(_) => out.unchanged += 1,
        }
    }
    for (key, live_value) in live {
        if !test.contains_key(key) {
            let value = shown(key, live_value, &mut out);
            out.changes
                .insert(key.clone(), KeyChange::Removed { value });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn added_removed_changed_and_masked() {
        let secrets =
            SecretMatcher::new(&crate::config::ChangesConfig::default().secret_patterns).unwrap();
        let live = map(&[
            ("CACHE_TTL", "30"),
            ("OLD_FLAG", "1"),
            ("DB_PASSWORD", "hunter2"),
            ("SAME", "x"),
        ]);
        let test = map(&[
            ("CACHE_TTL", "60"),
            ("NEW_ROUTES", "true"),
            ("DB_PASSWORD", "hunter3"),
            ("SAME", "x"),
            ("api_token", "abc"),
        ]);
        let d = diff(&live, &test, &secrets);
        assert_eq!(
            d.changes["CACHE_TTL"],
            KeyChange::Changed {
                live: "30".into(),
                test: "60".into()
            }
        );
        assert_eq!(
            d.changes["NEW_ROUTES"],
            KeyChange::Added {
                value: "true".into()
            }
        );
        assert_eq!(
            d.changes["OLD_FLAG"],
            KeyChange::Removed { value: "1".into() }
        );
        assert_eq!(d.unchanged, 1);
        let text = format!("{d:?}");
        assert!(
            !text.contains("hunter") && !text.contains("abc"),
            "secret leaked: {text}"
        );
        assert!(matches!(
            &d.changes["DB_PASSWORD"],
            KeyChange::Changed { .. }
        ));
        assert_eq!(d.masked, 2);
    }
}
