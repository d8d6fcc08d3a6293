//! Everything the simulated environment's tasks and handlers share: the fixed topology,
//! the generated repository, the platform and the traffic model, plus the one rule that
//! ties them together: which release is bad on which stack.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::platform_sim::PlatformSim;
use super::repo::RepoInfo;
use super::topology::{STACKS, TEST_RPS, Topology};
use super::traffic::{Profile, Traffic};

/// Error ratio of a healthy release.
pub const GOOD_ERROR_RATIO: f64 = 0.003;
/// Error ratio of the bad release on the stack it breaks.
pub const BAD_ERROR_RATIO: f64 = 0.08;
/// How much slower the bad release answers (its p99 roughly triples).
pub const BAD_LATENCY_FACTOR: f64 = 3.0;

/// See [`World::is_bad`]; free so the platform can tell before a deployment finishes.
pub fn release_is_bad(repo: &RepoInfo, stack: usize, version: &str) -> bool {
    STACKS.get(stack).is_some_and(|s| s.breaks_on_bad_release) && version == repo.head
}

pub struct World {
    pub topo: Arc<Topology>,
    pub repo: Arc<RepoInfo>,
    pub platform: Arc<PlatformSim>,
    pub traffic: Mutex<Traffic>,
    pub log_dir: PathBuf,
    pub tick: Duration,
    /// What announcements posted to the simulated chat.
    pub chat: super::chat::Chat,
    /// The platform's release lock.
    pub lock: super::lock::Lock,
    /// Approvals of promotions, for slipways on any machine.
    pub approvals: super::approvals::Approvals,
}

impl World {
    /// The demo's deliberate mistake: HEAD of main (what test runs) breaks Sally, so
    /// promoting it shows a spike and rolling back shows recovery.
    pub fn is_bad(&self, stack: usize, version: &str) -> bool {
        release_is_bad(&self.repo, stack, version)
    }

    /// Each instance's current behaviour, in topology order.
    pub fn profiles(&self) -> Vec<Profile> {
        let snapshot = self.platform.snapshot();
        self.topo
            .instances
            .iter()
            .map(|i| {
                let slot = i.env.slot();
                let (version, generation) = snapshot
                    .get(i.stack)
                    .and_then(|envs| envs.get(slot))
                    .map(|e| (e.version.clone(), e.generation))
                    .unwrap_or_default();
                let bad = self.is_bad(i.stack, &version);
                Profile {
                    rps: if i.env.is_live() {
                        STACKS[i.stack].rps
                    } else {
                        TEST_RPS
                    },
                    error_ratio: if bad {
                        BAD_ERROR_RATIO
                    } else {
                        GOOD_ERROR_RATIO
                    },
                    latency_factor: if bad { BAD_LATENCY_FACTOR } else { 1.0 },
                    generation,
                    version,
                }
            })
            .collect()
    }

    pub fn traffic(&self) -> MutexGuard<'_, Traffic> {
        self.traffic
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
