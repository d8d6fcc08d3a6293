//! The simulated world's fixed shape: the four belfrage stacks of the reference process
//! (WWW, Cedric, Sally, Bruce, least busy first) and their instances. Everything here is
//! derived from constants, so instance ids and hosts are the same on every run.

/// One of the simulated world's environments: its place in the promotion order. The
/// embedded demo has two (`test`, `live`); `demo --environments 3` has `dev`, `staging`
/// and `live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Env {
    slot: u8,
    count: u8,
}

/// The environment names of a world with two or three environments.
const TWO: [&str; 2] = ["test", "live"];
const THREE: [&str; 3] = ["dev", "staging", "live"];

impl Env {
    /// Every environment of a world with `count` (2 or 3) of them, in promotion order.
    pub fn all(count: usize) -> impl DoubleEndedIterator<Item = Env> {
        let count = count.clamp(2, 3) as u8;
        (0..count).map(move |slot| Env { slot, count })
    }
    pub fn live(count: usize) -> Env {
        let count = count.clamp(2, 3) as u8;
        Env {
            slot: count - 1,
            count,
        }
    }
    /// The first environment, where new versions arrive.
    #[cfg(test)]
    pub fn first(count: usize) -> Env {
        Env {
            slot: 0,
            count: count.clamp(2, 3) as u8,
        }
    }
    pub fn parse(name: &str, count: usize) -> Option<Env> {
        Env::all(count).find(|e| e.as_str() == name)
    }
    pub fn names(count: usize) -> &'static [&'static str] {
        if count >= 3 { &THREE } else { &TWO }
    }
    pub fn slot(self) -> usize {
        self.slot as usize
    }
    pub fn is_live(self) -> bool {
        self.slot + 1 == self.count
    }
    pub fn as_str(self) -> &'static str {
        Env::names(self.count as usize)
            .get(self.slot as usize)
            .copied()
            .unwrap_or("live")
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StackSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub live_instances: usize,
    pub test_instances: usize,
    /// Requests per second per live instance.
    pub rps: f64,
    /// The stack on which the demo's bad release misbehaves.
    pub breaks_on_bad_release: bool,
}

/// In promotion order: least busy first.
pub const STACKS: [StackSpec; 4] = [
    StackSpec {
        id: "www",
        name: "WWW",
        live_instances: 2,
        test_instances: 1,
        rps: 20.0,
        breaks_on_bad_release: false,
    },
    StackSpec {
        id: "cedric",
        name: "Cedric",
        live_instances: 3,
        test_instances: 1,
        rps: 60.0,
        breaks_on_bad_release: false,
    },
    StackSpec {
        id: "sally",
        name: "Sally",
        live_instances: 4,
        test_instances: 2,
        rps: 150.0,
        breaks_on_bad_release: true,
    },
    StackSpec {
        id: "bruce",
        name: "Bruce",
        live_instances: 6,
        test_instances: 2,
        rps: 300.0,
        breaks_on_bad_release: false,
    },
];

/// Test instances see only the testers' traffic.
pub const TEST_RPS: f64 = 2.0;

pub fn stack_index(id: &str) -> Option<usize> {
    STACKS.iter().position(|s| s.id == id)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimInstance {
    pub id: String,
    pub host: String,
    pub stack: usize,
    pub env: Env,
    /// Availability zone, shown in the instances listing like a real platform does.
    pub zone: &'static str,
}

#[derive(Debug, Clone)]
pub struct Topology {
    pub instances: Vec<SimInstance>,
    /// How many environments the world has (2 or 3).
    pub env_count: usize,
}

impl Topology {
    /// The demo's usual world: test and live.
    pub fn new() -> Topology {
        Topology::with_envs(2)
    }

    /// A world with `count` environments: live has the live instances, every earlier
    /// environment the test ones.
    pub fn with_envs(count: usize) -> Topology {
        let count = count.clamp(2, 3);
        let zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
        let mut instances = Vec::new();
        for (si, spec) in STACKS.iter().enumerate() {
            // One generator per stack, so adding instances to one stack leaves the
            // others' ids alone.
            let mut rng = fastrand::Rng::with_seed(0x00be_1f7a_6e00 + si as u64);
            let mut used = std::collections::HashSet::new();
            // Live first, then the earlier environments: with two, the ids and hosts are
            // the ones the demo has always had.
            for (second_octet, env) in Env::all(count).rev().enumerate() {
                let count = if env.is_live() {
                    spec.live_instances
                } else {
                    spec.test_instances
                };
                for n in 0..count {
                    let id = loop {
                        let candidate = format!("{}-{:04x}", spec.id, rng.u16(..));
                        if used.insert(candidate.clone()) {
                            break candidate;
                        }
                    };
                    let host = format!(
                        "10.{second_octet}.{}.{}",
                        4 + si * 4 + n % 3,
                        rng.u8(10..250)
                    );
                    instances.push(SimInstance {
                        id,
                        host,
                        stack: si,
                        env,
                        zone: zones[n % zones.len()],
                    });
                }
            }
        }
        Topology {
            instances,
            env_count: count,
        }
    }

    pub fn of(&self, stack: usize, env: Env) -> impl Iterator<Item = (usize, &SimInstance)> {
        self.instances
            .iter()
            .enumerate()
            .filter(move |(_, i)| i.stack == stack && i.env == env)
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.instances.iter().position(|i| i.id == id)
    }
}

impl Default for Topology {
    fn default() -> Self {
        Topology::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_deterministic_and_counted_per_stack() {
        let a = Topology::new();
        assert_eq!(a.instances, Topology::new().instances);
        let live: Vec<usize> = (0..4).map(|s| a.of(s, Env::live(2)).count()).collect();
        assert_eq!(live, vec![2, 3, 4, 6]);
        for s in 0..4 {
            assert!((1..=2).contains(&a.of(s, Env::first(2)).count()));
        }
        let sally = &a.instances[a.of(2, Env::live(2)).next().unwrap().0];
        assert!(sally.id.starts_with("sally-") && sally.id.len() == 10);
        assert!(sally.host.starts_with("10.0."));
        let mut ids: Vec<&str> = a.instances.iter().map(|i| i.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), a.instances.len());
    }
}
