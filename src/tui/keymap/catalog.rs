//! Every configurable table, for `[keys]` checks (`config::keys`) and the help test.

use super::ScopeInfo;

/// The scopes `[keys.SCOPE]` may name, with their actions and default keys.
pub fn all() -> Vec<ScopeInfo> {
    use crate::tui::overlay::{confirm, keys as dialog};
    use crate::tui::panes::{changes, logs, metrics, stacks};
    vec![
        crate::tui::keys::GLOBAL.info(),
        stacks::KEYS.info(),
        changes::keys::KEYS.info(),
        changes::keys::COMMIT_KEYS.info(),
        metrics::keys::KEYS.info(),
        logs::keys::LOGS.info(),
        logs::keys::PICKER.info(),
        logs::keys::SAVE.info(),
        logs::keys::DEPLOY.info(),
        confirm::KEYS.info(),
        confirm::REASON_KEYS.info(),
        dialog::PAGE.info(),
        dialog::HISTORY.info(),
        dialog::MESSAGES.info(),
        dialog::REPORT.info(),
        dialog::REPORT_POST.info(),
        dialog::ANNOUNCE.info(),
        dialog::HELP.info(),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::KeySpec;
    use super::all;

    #[test]
    fn every_default_key_parses_and_no_scope_has_one_key_twice() {
        let scopes = all();
        let mut names = std::collections::HashSet::new();
        for scope in &scopes {
            assert!(names.insert(scope.name), "scope {} twice", scope.name);
            let mut seen: HashMap<KeySpec, &str> = HashMap::new();
            let mut actions = std::collections::HashSet::new();
            for (action, keys) in &scope.actions {
                assert!(actions.insert(*action), "{}.{action} twice", scope.name);
                assert!(!keys.is_empty(), "{}.{action} has no key", scope.name);
                for k in *keys {
                    let spec = KeySpec::parse(k)
                        .unwrap_or_else(|e| panic!("{}.{action}: {k}: {e}", scope.name));
                    if let Some(other) = seen.insert(spec, action) {
                        panic!("{}: {k} is both {other} and {action}", scope.name);
                    }
                }
            }
        }
    }
}
