//! The deployments this process started: a commit each, its output (the git commands'
//! and then the rollout's status lines, bounded) and where its rollout stands.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use crate::model::{DeployState, DeployStatus, Env, StackId, Version};
use crate::text::LineRing;

/// Output lines kept per deployment (git prints a few dozen; status lines one per change).
const MAX_LINES: usize = 2000;
/// Deployments remembered (the engine stops asking about one when it ends).
const MAX_KEPT: usize = 64;

#[derive(Debug, Clone)]
pub struct Deployment {
    pub stack: StackId,
    pub env: Env,
    pub version: Version,
    pub previous: Version,
    pub user: String,
    pub commit: String,
    pub pushed_at: Instant,
    pub status: DeployStatus,
    /// The last status line written to the output, so only changes are written.
    pub last_line: Option<String>,
}

struct Entry {
    deployment: Deployment,
    output: LineRing<String>,
}

#[derive(Default)]
pub struct Deployments {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Entry>,
    order: VecDeque<String>,
}

impl Deployments {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding it leaves plain data behind: keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add(&self, deployment: Deployment, lines: Vec<String>) {
        let mut output = LineRing::new(MAX_LINES);
        for line in lines {
            output.push(line);
        }
        let mut inner = self.inner();
        let id = deployment.commit.clone();
        if inner.order.len() >= MAX_KEPT
            && let Some(old) = inner.order.pop_front()
        {
            inner.by_id.remove(&old);
        }
        inner.order.push_back(id.clone());
        inner.by_id.insert(id, Entry { deployment, output });
    }

    pub fn get(&self, id: &str) -> Option<Deployment> {
        self.inner().by_id.get(id).map(|e| e.deployment.clone())
    }

    /// Records a status read; a line is added to the output when `line` differs from
    /// the last one written.
    pub fn update(&self, id: &str, status: DeployStatus, line: Option<String>) {
        let mut inner = self.inner();
        let Some(entry) = inner.by_id.get_mut(id) else {
            return;
        };
        entry.deployment.status = status;
        if let Some(line) = line
            && entry.deployment.last_line.as_ref() != Some(&line)
        {
            entry.deployment.last_line = Some(line.clone());
            entry.output.push(line);
        }
    }

    /// Lines from `offset` on, and where to continue; `None` for an unknown deployment.
    pub fn output(&self, id: &str, offset: u64) -> Option<(Vec<String>, u64, bool)> {
        let inner = self.inner();
        let entry = inner.by_id.get(id)?;
        let mut lines = Vec::new();
        let first = entry.output.first_seq();
        if offset < first && entry.output.evicted() > 0 {
            lines.push(format!(
                "… {} earlier lines dropped",
                first.saturating_sub(offset)
            ));
        }
        lines.extend(
            entry
                .output
                .iter_from(offset.max(first))
                .map(|(_, l)| l.clone()),
        );
        let next = entry.output.next_seq();
        let complete = entry.deployment.status.state.is_finished();
        Some((lines, next, complete))
    }

    /// A rollout of `stack` this process is still following, if any.
    pub fn running(&self, stack: &StackId) -> Option<(Env, String)> {
        let inner = self.inner();
        inner
            .order
            .iter()
            .rev()
            .filter_map(|id| inner.by_id.get(id))
            .find(|e| {
                &e.deployment.stack == stack && e.deployment.status.state == DeployState::Running
            })
            .map(|e| (e.deployment.env.clone(), e.deployment.commit.clone()))
    }
}
