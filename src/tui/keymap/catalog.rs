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
        dialog::REPORT.info(),
        dialog::REPORT_POST.info(),
        dialog::ANNOUNCE.info(),
        dialog::HELP.info(),
    ]
}
