//! The diffs between versions the engine sent (bounded), where the repository stands, and
//! each stack's configuration diff.

use std::collections::HashMap;

use crate::configdiff::ConfigDiff;
use crate::engine::{ConfigDiffError, DiffResult, Event, RepoState};
use crate::model::{StackId, Version};
use crate::vcs::ChangeSet;

/// Diffs kept for display; stacks share pairs so a handful covers a release.
const MAX_DIFFS: usize = 32;

#[allow(
    clippy::struct_field_names,
    reason = "the diffs themselves, beside their arrival order"
)]
pub struct Diffs {
    pub repo: RepoState,
    /// Each stack's last configuration diff between two environments, or why none.
    config: HashMap<StackId, Result<ConfigDiff, ConfigDiffError>>,
    diffs: HashMap<(Version, Version), DiffResult>,
    /// Arrival order, for evicting the oldest.
    order: Vec<(Version, Version)>,
}

impl Default for Diffs {
    fn default() -> Self {
        Diffs {
            repo: RepoState::NotConfigured,
            config: HashMap::new(),
            diffs: HashMap::new(),
            order: Vec::new(),
        }
    }
}

impl Diffs {
    /// The stack's last configuration diff, or why there is none.
    pub fn config_diff(&self, stack: &StackId) -> Option<&Result<ConfigDiff, ConfigDiffError>> {
        self.config.get(stack)
    }

    /// Takes a `Repo`, `Changes` or `ConfigDiff` event in; returns whether anything changed.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::Repo(state) => {
                self.repo = state.clone();
                true
            }
            Event::Changes {
                live,
                test,
                changes,
            } => {
                let key = (live.clone(), test.clone());
                if !self.diffs.contains_key(&key) {
                    self.order.push(key.clone());
                    if self.order.len() > MAX_DIFFS {
                        let old = self.order.remove(0);
                        self.diffs.remove(&old);
                    }
                }
                self.diffs.insert(key, changes.clone());
                true
            }
            Event::ConfigDiff { stack, result } => {
                self.config.insert(stack.clone(), result.clone());
                true
            }
            _ => false,
        }
    }

    /// The diff between two versions, if computed (or why it could not be).
    pub fn get(&self, from: &Version, to: &Version) -> Option<&DiffResult> {
        self.diffs.get(&(from.clone(), to.clone()))
    }

    /// The change set between two versions (for announcements and rollback dialogs).
    pub fn change_set(&self, from: &Version, to: &Version) -> Option<&ChangeSet> {
        self.get(from, to).and_then(|r| r.as_ref().as_ref().ok())
    }
}
