//! `[keys]` checked against the key tables: the scope and the action exist, every key
//! parses, no two actions of one scope share a key, and no pane key hides a global one.
//! Problems name the key path (`keys.global.promote`), as the rest of the config's do.
//! Here, not in `config`, so config depends on nothing it configures.

use std::collections::HashMap;

use super::{KeySpec, ScopeInfo, ScopeKind, label_of};
use crate::config::keys::KeysConfig;

/// Every problem with `[keys]`, each as (key path, message).
pub fn problems(keys: &KeysConfig) -> Vec<Problem> {
    problems_against(keys, &super::catalog::all())
}

/// Where a key of a scope came from: the action, and whether the user set it.
struct Bound {
    action: &'static str,
    configured: bool,
}

/// A problem with `[keys]`: the key path and the message.
type Problem = (String, String);

/// The keys in effect in one scope (the user's where set, else the defaults), each with
/// the actions it is bound to.
type Effective<'a> = (&'a ScopeInfo, HashMap<KeySpec, Vec<Bound>>);

pub(crate) fn problems_against(keys: &KeysConfig, scopes: &[ScopeInfo]) -> Vec<Problem> {
    let mut out = unknown_and_unparsable(keys, scopes);
    let effective = effective_keys(keys, scopes);
    out.extend(clashes_within_scopes(&effective));
    out.extend(pane_keys_hiding_global(&effective));
    out
}

/// Unknown scopes and actions, empty lists, and keys that do not parse.
fn unknown_and_unparsable(keys: &KeysConfig, scopes: &[ScopeInfo]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (scope, actions) in &keys.0 {
        let Some(info) = scopes.iter().find(|s| s.name == scope) else {
            let names: Vec<&str> = scopes.iter().map(|s| s.name).collect();
            out.push((
                format!("keys.{scope}"),
                format!("no such key scope (scopes: {})", names.join(", ")),
            ));
            continue;
        };
        for (action, list) in actions {
            let path = format!("keys.{scope}.{action}");
            if !info.actions.iter().any(|(a, _)| a == action) {
                let names: Vec<&str> = info.actions.iter().map(|(a, _)| *a).collect();
                out.push((
                    path,
                    format!("no such action in {scope} (actions: {})", names.join(", ")),
                ));
                continue;
            }
            if list.iter().next().is_none() {
                out.push((path.clone(), "give at least one key".into()));
            }
            for k in list.iter() {
                if let Err(e) = KeySpec::parse(k) {
                    out.push((path.clone(), e));
                }
            }
        }
    }
    out
}

/// The keys in effect, per scope; keys that do not parse are left out (they are
/// reported on their own).
fn effective_keys<'a>(keys: &KeysConfig, scopes: &'a [ScopeInfo]) -> Vec<Effective<'a>> {
    scopes
        .iter()
        .map(|info| {
            let mut map: HashMap<KeySpec, Vec<Bound>> = HashMap::new();
            for (action, defaults) in &info.actions {
                let (texts, configured): (Vec<&str>, bool) = match keys.get(info.name, action) {
                    Some(list) => (list.iter().map(String::as_str).collect(), true),
                    None => (defaults.to_vec(), false),
                };
                for k in texts.iter().filter_map(|t| KeySpec::parse(t).ok()) {
                    let entry = map.entry(k).or_default();
                    if !entry.iter().any(|b| b.action == *action) {
                        entry.push(Bound { action, configured });
                    }
                }
            }
            (info, map)
        })
        .collect()
}

/// `keys.changes.search`: where a binding is (or would be) configured.
fn bound_path(scope: &str, b: &Bound) -> String {
    format!("keys.{scope}.{}", b.action)
}

/// Two actions on one key in one scope: one of them could never be reached. Blamed on
/// the binding the user set; defaults that clash among themselves are not the user's.
fn clashes_within_scopes(effective: &[Effective]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (info, map) in effective {
        let mut clashes: Vec<Problem> = map
            .iter()
            .filter(|(_, bound)| bound.len() > 1 && bound.iter().any(|b| b.configured))
            .map(|(k, bound)| {
                let blame = bound.iter().find(|b| b.configured).unwrap_or(&bound[0]);
                let others: Vec<&str> = bound
                    .iter()
                    .filter(|b| b.action != blame.action)
                    .map(|b| b.action)
                    .collect();
                (
                    bound_path(info.name, blame),
                    format!(
                        "key {} is also {} in {}: one key, one action per scope",
                        label_of(&[*k]),
                        others.join(", "),
                        info.name
                    ),
                )
            })
            .collect();
        clashes.sort();
        out.extend(clashes);
    }
    out
}

/// A pane key hides a global one while that pane is focused. Blamed on the binding the
/// user set (the pane's when both were).
fn pane_keys_hiding_global(effective: &[Effective]) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some((global, global_map)) = effective.iter().find(|(i, _)| i.kind == ScopeKind::Global)
    else {
        return out;
    };
    for (info, map) in effective.iter().filter(|(i, _)| i.kind == ScopeKind::Pane) {
        let mut hidden: Vec<Problem> = Vec::new();
        for (k, bound) in map {
            let Some(g) = global_map.get(k) else { continue };
            for p in bound {
                for gb in g {
                    if !(p.configured || gb.configured) {
                        continue;
                    }
                    let at = if gb.configured && !p.configured {
                        bound_path(global.name, gb)
                    } else {
                        bound_path(info.name, p)
                    };
                    hidden.push((
                        at,
                        format!(
                            "key {} is {} in {} and {} everywhere: in the {} pane the global one could not be used",
                            label_of(&[*k]),
                            p.action,
                            info.name,
                            gb.action,
                            info.title.trim_end_matches(" pane"),
                        ),
                    ));
                }
            }
        }
        hidden.sort();
        out.extend(hidden);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(text: &str) -> Vec<(String, String)> {
        problems(&KeysConfig::from_toml(text).expect("toml"))
    }

    #[test]
    fn the_defaults_have_no_problems() {
        assert_eq!(problems(&KeysConfig::default()), vec![]);
    }

    #[test]
    fn a_plain_override_is_fine() {
        assert_eq!(
            problems_of("[global]\npromote = \"P\"\n[logs]\npause = \"space\""),
            vec![]
        );
    }

    #[test]
    fn unknown_scopes_actions_and_keys_are_named_by_path() {
        let p = problems_of(
            "[nosuch]\nx = \"a\"\n[global]\npromot = \"P\"\nquit = \"Ctrl-\"\nzoom = []",
        );
        let paths: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert!(paths.contains(&"keys.nosuch"), "{p:?}");
        assert!(paths.contains(&"keys.global.promot"), "{p:?}");
        assert!(paths.contains(&"keys.global.quit"), "{p:?}");
        assert!(paths.contains(&"keys.global.zoom"), "{p:?}");
        let promot = p.iter().find(|(k, _)| k == "keys.global.promot");
        assert!(
            promot.is_some_and(|(_, m)| m.contains("promote")),
            "the actions are listed: {p:?}"
        );
    }

    #[test]
    fn two_actions_on_one_key_in_a_scope_is_a_conflict() {
        let p = problems_of("[global]\npromote = \"r\"");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "keys.global.promote");
        assert!(p[0].1.contains("rollback"), "{p:?}");
    }

    #[test]
    fn a_pane_key_on_a_global_key_is_a_conflict() {
        let p = problems_of("[logs]\npause = \"p\"");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "keys.logs.pause");
        assert!(p[0].1.contains("promote"), "{p:?}");
        // And the other way round: the global key moved onto a pane's.
        let p = problems_of("[global]\npromote = \"w\"");
        assert!(
            p.iter()
                .any(|(k, m)| k == "keys.global.promote" && m.contains("wrap")),
            "{p:?}"
        );
    }

    #[test]
    fn dialogs_do_not_clash_with_global_keys() {
        assert_eq!(problems_of("[confirm]\nconfirm = [\"y\", \"p\"]"), vec![]);
    }
}
