//! The watch measured on a simulated clock: the demo's own traffic model and config, its
//! exposition parsed and judged by the real feed, rounds every 2 s without waiting for
//! them. How long from the traffic swap to the flag for the demo's bad release, and how
//! many false flags good releases raise. The README records what this prints.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::config_gen::{self, Endpoints};
use super::topology::{STACKS, Topology};
use super::traffic::{Profile, Traffic};
use super::world::{BAD_ERROR_RATIO, BAD_LATENCY_FACTOR, GOOD_ERROR_RATIO};
use crate::feeds::metrics::{Feed, LiveView, MetricsUpdate, Watch};
use crate::model::{Instance, StackId, Version};

const INTERVAL: i64 = 2;

struct Sim {
    topo: Topology,
    traffic: Traffic,
    profiles: Vec<Profile>,
    feed: Feed,
    live: LiveView,
    now: DateTime<Utc>,
    stacks: Vec<StackId>,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let dir = std::path::Path::new("/nonexistent");
        let config = config_gen::build(&Endpoints {
            api_url: "http://127.0.0.1:9/api",
            base_url: "http://127.0.0.1:9",
            log_dir: dir,
            repo: dir,
            chat_token: dir,
            environments: &["test", "live"],
        })
        .unwrap_or_else(|e| panic!("the demo config parses: {e}"));
        let topo = Topology::new();
        let stacks: Vec<StackId> = STACKS.iter().map(|s| StackId::new(s.id)).collect();
        let profiles: Vec<Profile> = topo
            .instances
            .iter()
            .map(|i| Profile {
                rps: STACKS[i.stack].rps,
                error_ratio: GOOD_ERROR_RATIO,
                latency_factor: 1.0,
                generation: 0,
                version: "old".into(),
            })
            .collect();
        let mut traffic = Traffic::new(topo.instances.len(), seed);
        traffic.prefill(&profiles, &vec![3600.0; topo.instances.len()]);
        let live = LiveView {
            watches: HashMap::new(),
            live: stacks
                .iter()
                .map(|s| (s.clone(), Version::new("old")))
                .collect(),
        };
        Sim {
            feed: Feed::new(config.metrics.clone(), stacks.clone()),
            topo,
            traffic,
            profiles,
            live,
            now: Utc
                .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
                .single()
                .unwrap_or_default(),
            stacks,
        }
    }

    /// One round: 2 s of traffic, every live instance scraped, every stack judged.
    fn round(&mut self) -> Vec<MetricsUpdate> {
        self.now += Duration::seconds(INTERVAL);
        self.traffic.tick(INTERVAL as f64, &self.profiles);
        let bodies = self
            .topo
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.env.is_live())
            .filter_map(|(n, i)| {
                let text = self.traffic.exposition(n, i, &self.profiles[n])?;
                let instance = Instance {
                    id: i.id.clone(),
                    host: i.host.clone(),
                };
                Some((self.stacks[i.stack].clone(), instance, Ok(text)))
            })
            .collect();
        self.feed.round_from_bodies(bodies, &self.live, self.now)
    }

    /// A release of `stack` takes traffic now: its instances restart on it.
    fn release(&mut self, stack: usize, bad: bool, name: &str) {
        for (n, i) in self.topo.instances.iter().enumerate() {
            if i.stack == stack && i.env.is_live() {
                let p = &mut self.profiles[n];
                p.generation += 1;
                p.version = name.into();
                p.error_ratio = if bad {
                    BAD_ERROR_RATIO
                } else {
                    GOOD_ERROR_RATIO
                };
                p.latency_factor = if bad { BAD_LATENCY_FACTOR } else { 1.0 };
            }
        }
        let id = self.stacks[stack].clone();
        let before = self
            .live
            .live
            .get(&id)
            .cloned()
            .unwrap_or_else(|| Version::new("old"));
        self.live.watches.insert(
            id.clone(),
            Watch::took_traffic(before, Version::new(name), self.now),
        );
        self.live.live.insert(id, Version::new(name));
    }
}

fn flagged(updates: &[MetricsUpdate], stack: &str) -> bool {
    updates
        .iter()
        .filter(|u| u.stack.as_str() == stack)
        .any(|u| u.flagged().next().is_some())
}

/// Seconds from the bad release's swap to the flag, on Sally after WWW and Cedric went
/// live with a good one (Bruce, still on the old version, is the control).
fn time_to_flag(seed: u64) -> Option<i64> {
    let mut sim = Sim::new(seed);
    for _ in 0..60 {
        sim.round();
    }
    sim.release(0, false, "new");
    for _ in 0..10 {
        sim.round();
    }
    sim.release(1, false, "new");
    for _ in 0..10 {
        sim.round();
    }
    sim.release(2, true, "new");
    let swap = sim.now;
    for _ in 0..60 {
        let updates = sim.round();
        if flagged(&updates, "sally") {
            return Some((sim.now - swap).num_seconds());
        }
    }
    None
}

/// Rounds with a flag on any stack within 5 minutes after a good release of one of them.
fn false_flags(seed: u64) -> usize {
    let mut sim = Sim::new(seed);
    for _ in 0..60 {
        sim.round();
    }
    sim.release((seed % 4) as usize, false, "good");
    let stacks = sim.stacks.clone();
    (0..150)
        .map(|_| sim.round())
        .filter(|u| stacks.iter().any(|s| flagged(u, s.as_str())))
        .count()
}

#[test]
fn the_bad_release_is_flagged_soon_after_the_swap_and_good_ones_never() {
    let delays: Vec<Option<i64>> = (1..=5).map(time_to_flag).collect();
    eprintln!("demo bad release, swap → flag at a 2 s interval: {delays:?} s");
    for d in &delays {
        let d = d.unwrap_or_else(|| panic!("never flagged: {delays:?}"));
        assert!(d <= 15, "flagged {d} s after the swap: {delays:?}");
    }
    let false_rounds: Vec<usize> = (100..120).map(false_flags).collect();
    eprintln!("20 good releases, 5 simulated minutes each: rounds with a flag {false_rounds:?}");
    assert_eq!(false_rounds.iter().sum::<usize>(), 0, "{false_rounds:?}");
}
