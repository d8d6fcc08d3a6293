//! The simulated world's fixed shape: the four belfrage stacks of the reference process
//! (WWW, Cedric, Sally, Bruce, least busy first) and their instances. Everything here is
//! derived from constants, so instance ids and hosts are the same on every run.

/// The simulator's environments. The embedded demo keeps the default two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Env {
    Test,
    Live,
}

impl Env {
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Test => "test",
            Env::Live => "live",
        }
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
}

impl Topology {
    pub fn new() -> Topology {
        let zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
        let mut instances = Vec::new();
        for (si, spec) in STACKS.iter().enumerate() {
            // One generator per stack, so adding instances to one stack leaves the
            // others' ids alone.
            let mut rng = fastrand::Rng::with_seed(0x00be_1f7a_6e00 + si as u64);
            let mut used = std::collections::HashSet::new();
            for (env, count, second_octet) in [
                (Env::Live, spec.live_instances, 0),
                (Env::Test, spec.test_instances, 1),
            ] {
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
        Topology { instances }
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
        let live: Vec<usize> = (0..4).map(|s| a.of(s, Env::Live).count()).collect();
        assert_eq!(live, vec![2, 3, 4, 6]);
        for s in 0..4 {
            assert!((1..=2).contains(&a.of(s, Env::Test).count()));
        }
        let sally = &a.instances[a.of(2, Env::Live).next().unwrap().0];
        assert!(sally.id.starts_with("sally-") && sally.id.len() == 10);
        assert!(sally.host.starts_with("10.0."));
        let mut ids: Vec<&str> = a.instances.iter().map(|i| i.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.instances.len());
    }
}
