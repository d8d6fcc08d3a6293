//! The deployments of one stack seen this session, newest last, each with its output in a
//! log view. Bounded: the oldest goes when there are too many, and its id is remembered
//! for a while so that late output for it does not bring it back.

use std::collections::VecDeque;

use crate::config::LogsConfig;
use crate::engine::Action;
use crate::model::{DeployState, DeploymentId};
use crate::tui::logview::LogViewState;

/// Deployments kept per stack.
pub const MAX_JOBS: usize = 5;
/// Output kept per deployment: the newest 16 MiB (text and styles); older lines are
/// dropped and the view counts them. Five jobs per stack stay under 100 MB per stack
/// whatever a job prints.
pub const OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// Forgotten ids remembered, so stray late output is not mistaken for a new deployment.
const FORGOTTEN: usize = 16;

#[derive(Debug)]
pub struct Job {
    pub id: DeploymentId,
    pub url: Option<String>,
    /// None for a deployment this session did not start (found running on the platform).
    pub action: Option<Action>,
    pub finished: Option<(DeployState, Option<String>)>,
    pub view: LogViewState,
}

#[derive(Debug, Default)]
pub struct History {
    jobs: VecDeque<Job>,
    /// Index of the deployment shown; None: the newest.
    shown: Option<usize>,
    forgotten: VecDeque<DeploymentId>,
}

impl History {
    fn index(&self) -> Option<usize> {
        let last = self.jobs.len().checked_sub(1)?;
        Some(self.shown.map_or(last, |i| i.min(last)))
    }

    pub fn shown(&self) -> Option<&Job> {
        self.jobs.get(self.index()?)
    }

    pub fn shown_mut(&mut self) -> Option<&mut Job> {
        let i = self.index()?;
        self.jobs.get_mut(i)
    }

    /// (1-based position of the shown deployment, how many there are).
    pub fn position(&self) -> (usize, usize) {
        (self.index().map_or(0, |i| i + 1), self.jobs.len())
    }

    /// `[`: the deployment before the shown one. False when there is none.
    pub fn older(&mut self) -> bool {
        match self.index() {
            Some(i) if i > 0 => {
                self.shown = Some(i - 1);
                true
            }
            _ => false,
        }
    }

    /// `]`: the deployment after the shown one (the newest keeps following new ones).
    pub fn newer(&mut self) -> bool {
        match self.index() {
            Some(i) if i + 1 < self.jobs.len() => {
                self.shown = if i + 2 == self.jobs.len() {
                    None
                } else {
                    Some(i + 1)
                };
                true
            }
            _ => false,
        }
    }

    /// The job for `id`, added as the newest (and shown) if it is new. None for a
    /// deployment already forgotten.
    pub fn get_or_insert(&mut self, id: &DeploymentId, logs: &LogsConfig) -> Option<&mut Job> {
        if let Some(i) = self.jobs.iter().position(|j| &j.id == id) {
            return self.jobs.get_mut(i);
        }
        if self.forgotten.contains(id) {
            return None;
        }
        if self.jobs.len() == MAX_JOBS
            && let Some(old) = self.jobs.pop_front()
        {
            if self.forgotten.len() == FORGOTTEN {
                self.forgotten.pop_front();
            }
            self.forgotten.push_back(old.id);
        }
        // A new deployment is what the user wants to watch, whatever they were reading.
        self.shown = None;
        self.jobs.push_back(Job {
            id: id.clone(),
            url: None,
            action: None,
            finished: None,
            view: LogViewState::for_config(logs).with_byte_budget(OUTPUT_BYTES),
        });
        self.jobs.back_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> DeploymentId {
        DeploymentId::new(n.to_string())
    }

    #[test]
    fn fifty_megabytes_of_output_keep_the_newest_within_the_budget_and_count_the_rest() {
        let logs = LogsConfig::default();
        let mut h = History::default();
        let job = h.get_or_insert(&id(1), &logs).unwrap();
        // 50 MB of deploy output: 50,000 lines of 1,000 bytes, some coloured (far fewer
        // lines than the line bound, so only the byte budget can hold it).
        let plain = format!("{:<999}", "[12:00:00] Updating instances");
        let coloured = format!("\x1b[32m{:<990}\x1b[0m", "[12:00:00] OK instance");
        for i in 0..50_000u32 {
            let raw = if i % 10 == 0 { &coloured } else { &plain };
            job.view.push_raw(raw.as_bytes());
        }
        let held = job.view.bytes_held();
        assert!(held <= OUTPUT_BYTES, "{held} bytes held");
        assert!(
            held > OUTPUT_BYTES / 2,
            "the budget is used, not wasted: {held}"
        );
        let dropped = job.view.dropped();
        assert_eq!(dropped as usize + job.view.len(), 50_000);
        assert!(dropped > 30_000, "{dropped}");
        // The newest line is the last one pushed.
        assert!(
            job.view
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("[12:00:00] Updating"))
        );
    }

    #[test]
    fn keeps_the_newest_and_moves_through_them() {
        let logs = LogsConfig::default();
        let mut h = History::default();
        for n in 1..=7 {
            h.get_or_insert(&id(n), &logs);
        }
        assert_eq!(h.position(), (5, 5));
        assert_eq!(h.shown().map(|j| j.id.clone()), Some(id(7)));
        assert!(h.older() && h.older());
        assert_eq!(h.position(), (3, 5));
        assert_eq!(h.shown().map(|j| j.id.clone()), Some(id(5)));
        assert!(h.newer() && h.newer());
        assert!(!h.newer());
        assert_eq!(h.position(), (5, 5));
        // Output for a forgotten deployment does not bring it back.
        assert!(h.get_or_insert(&id(1), &logs).is_none());
        // A new deployment is shown even while reading an older one.
        h.older();
        h.get_or_insert(&id(8), &logs);
        assert_eq!(h.shown().map(|j| j.id.clone()), Some(id(8)));
    }
}
