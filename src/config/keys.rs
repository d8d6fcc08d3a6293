//! `[keys]`: the user's keys in place of the defaults, per scope and action, as gitui's
//! key config and k9s's hotkeys do:
//!
//! ```toml
//! [keys.global]
//! promote = "P"
//! [keys.logs]
//! pause = ["space", "f"]
//! ```
//!
//! The dashboard checks the section against its key tables (`tui::keymap::validate`):
//! config knows nothing of the scopes it names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One key or several for an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

#[allow(
    clippy::iter_without_into_iter,
    reason = "one borrowing iterator is all callers need"
)]
impl KeyList {
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        match self {
            KeyList::One(k) => std::slice::from_ref(k).iter(),
            KeyList::Many(ks) => ks.iter(),
        }
    }
}

/// `[keys.SCOPE] action = KEYS`, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeysConfig(pub BTreeMap<String, BTreeMap<String, KeyList>>);

impl KeysConfig {
    /// The keys configured for `scope.action`, if any.
    pub fn get(&self, scope: &str, action: &str) -> Option<&KeyList> {
        self.0.get(scope)?.get(action)
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeMap::is_empty)
    }

    /// Parses the inside of a `[keys]` table (tests and tools).
    pub fn from_toml(text: &str) -> Result<KeysConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}
