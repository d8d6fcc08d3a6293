//! Request traffic per instance: counters and latency histograms that grow every tick,
//! rendered as Prometheus text exposition. Rates follow each stack's busyness (WWW is
//! quiet, Bruce is busy) with noise; a bad release raises the error ratio and latency,
//! which is what slipway's anomaly detection must notice.

use std::fmt::Write as _;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::ticker::Ticker;
use super::topology::SimInstance;
use super::world::World;

/// A route as Prometheus labels it, with what a request to it costs.
pub struct Route {
    pub label: &'static str,
    pub method: &'static str,
    pub weight: u32,
    pub median_ms: f64,
    /// The route spec name belfrage logs.
    pub spec: &'static str,
    pub paths: &'static [&'static str],
}

pub const ROUTES: [Route; 6] = [
    Route {
        label: "/",
        method: "GET",
        weight: 15,
        median_ms: 18.0,
        spec: "HomePage",
        paths: &["/"],
    },
    Route {
        label: "/news/articles/:id",
        method: "GET",
        weight: 35,
        median_ms: 32.0,
        spec: "NewsArticlePage",
        paths: &[
            "/news/articles/c4n1x7zq9dpo",
            "/news/articles/cx2l0vn4e3ko",
            "/news/articles/c0kdq7v1r8go",
        ],
    },
    Route {
        label: "/news/live/:id",
        method: "GET",
        weight: 10,
        median_ms: 45.0,
        spec: "NewsLivePage",
        paths: &[
            "/news/live/uk-politics-67341022",
            "/news/live/world-67298811",
        ],
    },
    Route {
        label: "/sport/:discipline/:id",
        method: "GET",
        weight: 20,
        median_ms: 38.0,
        spec: "SportStoryPage",
        paths: &["/sport/football/67890123", "/sport/cricket/67712345"],
    },
    Route {
        label: "/weather/:location",
        method: "GET",
        weight: 12,
        median_ms: 55.0,
        spec: "WeatherLocation",
        paths: &["/weather/2643743", "/weather/2653822"],
    },
    Route {
        label: "/fd/:name",
        method: "POST",
        weight: 8,
        median_ms: 25.0,
        spec: "FablData",
        paths: &["/fd/abl", "/fd/preview-abl"],
    },
];

pub const STATUSES: [u16; 5] = [200, 304, 404, 500, 503];
/// Histogram bucket bounds in seconds (`+Inf` is implied by `_count`).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Spread of the log-normal latency: p99 ≈ median × e^(2.33·σ) ≈ 4×.
const SIGMA: f64 = 0.6;

/// How an instance behaves right now, derived from what it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub rps: f64,
    pub error_ratio: f64,
    pub latency_factor: f64,
    pub generation: u64,
    pub version: String,
}

#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Clone)]
struct InstanceTraffic {
    /// `[route][status]` request counts.
    requests: [[u64; STATUSES.len()]; ROUTES.len()],
    latency: [Histogram; ROUTES.len()],
    generation: u64,
    started: f64,
    memory: f64,
}

impl InstanceTraffic {
    fn new(started: f64) -> InstanceTraffic {
        InstanceTraffic {
            requests: [[0; STATUSES.len()]; ROUTES.len()],
            latency: Default::default(),
            generation: 0,
            started,
            memory: 160e6,
        }
    }
}

pub struct Traffic {
    instances: Vec<InstanceTraffic>,
    rng: fastrand::Rng,
    /// Seconds of simulated time, for the slow daily-ish wave in traffic.
    clock: f64,
}

fn now_secs() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// Standard normal sample (Box–Muller).
pub(super) fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = 1.0 - rng.f64();
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Standard normal CDF via the Abramowitz–Stegun erf approximation (error < 1.5e-7).
fn phi(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    0.5 * (1.0 + if z >= 0.0 { erf } else { -erf })
}

/// Share of successful requests per status (200, 304, 404); errors are split 3:1 500/503.
const OK_SPLIT: [f64; 3] = [0.83, 0.12, 0.05];

impl Traffic {
    pub fn new(count: usize, seed: u64) -> Traffic {
        let started = now_secs();
        Traffic {
            instances: (0..count).map(|_| InstanceTraffic::new(started)).collect(),
            rng: fastrand::Rng::with_seed(seed),
            clock: 0.0,
        }
    }

    /// Fills counters with the expected totals of `uptime` seconds of traffic, so that a
    /// fresh demo looks like a service that has been up for a while (big counters).
    pub fn prefill(&mut self, profiles: &[Profile], uptime: &[f64]) {
        let total_weight: u32 = ROUTES.iter().map(|r| r.weight).sum();
        let now = now_secs();
        for (i, (inst, p)) in self.instances.iter_mut().zip(profiles).enumerate() {
            let secs = uptime.get(i).copied().unwrap_or(0.0).max(0.0);
            inst.started = now - secs;
            inst.generation = p.generation;
            for (r, route) in ROUTES.iter().enumerate() {
                let n = p.rps * secs * f64::from(route.weight) / f64::from(total_weight);
                let ok = n * (1.0 - p.error_ratio);
                let shares = [
                    ok * OK_SPLIT[0],
                    ok * OK_SPLIT[1],
                    ok * OK_SPLIT[2],
                    n * p.error_ratio * 0.75,
                    n * p.error_ratio * 0.25,
                ];
                for (s, share) in shares.iter().enumerate() {
                    inst.requests[r][s] = share.round() as u64;
                }
                let median = route.median_ms / 1000.0 * p.latency_factor;
                let h = &mut inst.latency[r];
                h.count = n.round() as u64;
                h.sum = n * median * (SIGMA * SIGMA / 2.0).exp();
                for (b, le) in BUCKETS.iter().enumerate() {
                    h.buckets[b] = (n * phi((le / median).ln() / SIGMA)).round() as u64;
                }
            }
        }
    }

    /// Advances every instance by `dt` seconds of traffic.
    pub fn tick(&mut self, dt: f64, profiles: &[Profile]) {
        self.clock += dt;
        let wave = 1.0 + 0.08 * (std::f64::consts::TAU * self.clock / 600.0).sin();
        let total_weight: u32 = ROUTES.iter().map(|r| r.weight).sum();
        let now = now_secs();
        for (inst, p) in self.instances.iter_mut().zip(profiles) {
            if inst.generation != p.generation {
                // The instance restarted with a new release: counters start again at zero,
                // a real counter reset that rate() must handle.
                *inst = InstanceTraffic::new(now);
                inst.generation = p.generation;
            }
            let rng = &mut self.rng;
            let expected = p.rps * dt * wave * (1.0 + 0.06 * normal(rng)).max(0.2);
            let n = expected.floor() as u64 + u64::from(rng.f64() < expected.fract());
            for _ in 0..n {
                let mut roll = rng.u32(0..total_weight);
                let r = ROUTES
                    .iter()
                    .position(|route| {
                        if roll < route.weight {
                            true
                        } else {
                            roll -= route.weight;
                            false
                        }
                    })
                    .unwrap_or(0);
                let s = if rng.f64() < p.error_ratio {
                    if rng.u8(0..4) == 0 { 4 } else { 3 }
                } else {
                    let x = rng.f64();
                    if x < OK_SPLIT[0] {
                        0
                    } else if x < OK_SPLIT[0] + OK_SPLIT[1] {
                        1
                    } else {
                        2
                    }
                };
                inst.requests[r][s] += 1;
                let mut secs = ROUTES[r].median_ms / 1000.0 * (SIGMA * normal(rng)).exp();
                secs *= p.latency_factor;
                if STATUSES[s] == 304 {
                    secs *= 0.5;
                }
                let h = &mut inst.latency[r];
                h.count += 1;
                h.sum += secs;
                for (b, le) in BUCKETS.iter().enumerate() {
                    if secs <= *le {
                        h.buckets[b] += 1;
                    }
                }
            }
            // Memory creeps up after a restart and wobbles around a plateau.
            let target = 180e6 + p.rps * 0.4e6;
            inst.memory += (target - inst.memory) * 0.02 * dt + 1.5e6 * normal(rng) * dt.sqrt();
            inst.memory = inst.memory.max(80e6);
        }
    }

    /// Prometheus text exposition (format 0.0.4) for one instance.
    pub fn exposition(&self, index: usize, instance: &SimInstance, p: &Profile) -> Option<String> {
        let inst = self.instances.get(index)?;
        let mut out = String::with_capacity(8 * 1024);
        let _ = writeln!(
            out,
            "# HELP http_requests_total Requests answered, by method, route and status.\n# TYPE http_requests_total counter"
        );
        for (r, route) in ROUTES.iter().enumerate() {
            for (s, status) in STATUSES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {}",
                    route.method, route.label, inst.requests[r][s]
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP http_request_duration_seconds Time to answer a request, by route.\n# TYPE http_request_duration_seconds histogram"
        );
        for (r, route) in ROUTES.iter().enumerate() {
            let h = &inst.latency[r];
            for (b, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{route=\"{}\",le=\"{le}\"}} {}",
                    route.label, h.buckets[b]
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\nhttp_request_duration_seconds_sum{{route=\"{}\"}} {:.6}\nhttp_request_duration_seconds_count{{route=\"{}\"}} {}",
                route.label, h.count, route.label, h.sum, route.label, h.count
            );
        }
        // Busy, slow instances hold more request processes in flight.
        let processes = 1400.0 + p.rps * 2.0 * p.latency_factor;
        let _ = writeln!(
            out,
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {:.0}\n# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {:.0}\n# HELP beam_process_count Erlang processes alive in the VM.\n# TYPE beam_process_count gauge\nbeam_process_count {:.0}\n# HELP belfrage_build_info The release this instance runs.\n# TYPE belfrage_build_info gauge\nbelfrage_build_info{{version=\"{}\",instance=\"{}\",env=\"{}\"}} 1",
            inst.memory,
            inst.started,
            processes,
            p.version,
            instance.id,
            instance.env.as_str()
        );
        Some(out)
    }

    #[cfg(test)]
    fn total_requests(&self, index: usize) -> u64 {
        self.instances[index].requests.iter().flatten().sum()
    }

    #[cfg(test)]
    fn error_ratio(&self, index: usize) -> f64 {
        let req = &self.instances[index].requests;
        let errors: u64 = req.iter().map(|r| r[3] + r[4]).sum();
        errors as f64 / self.total_requests(index).max(1) as f64
    }
}

/// Ticks the traffic model every `world.tick` until the demo stops.
pub async fn run(world: Arc<World>, cancel: CancellationToken) {
    let mut ticker = Ticker::new(world.tick);
    while let Some(dt) = ticker.next(&cancel).await {
        let profiles = world.profiles();
        world.traffic().tick(dt, &profiles);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::topology::Env;

    fn profile(error_ratio: f64, generation: u64) -> Profile {
        Profile {
            rps: 150.0,
            error_ratio,
            latency_factor: 1.0,
            generation,
            version: "abc".into(),
        }
    }

    fn instance() -> SimInstance {
        SimInstance {
            id: "sally-0a1b".into(),
            host: "10.0.4.17".into(),
            stack: 2,
            env: Env::live(2),
            zone: "eu-west-1a",
        }
    }

    #[test]
    fn exposition_parses_and_counters_only_grow_until_a_restart() {
        let mut t = Traffic::new(1, 7);
        let p = profile(0.003, 0);
        t.prefill(std::slice::from_ref(&p), &[3600.0]);
        let before = t.total_requests(0);
        assert!(before > 400_000, "an hour of traffic: {before}");
        t.tick(1.0, std::slice::from_ref(&p));
        assert!(t.total_requests(0) > before);

        let text = t.exposition(0, &instance(), &p).unwrap();
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        let names: Vec<&str> = scrape.samples.iter().map(|s| s.metric.as_str()).collect();
        for n in [
            "http_requests_total",
            "http_request_duration_seconds",
            "process_resident_memory_bytes",
            "beam_process_count",
        ] {
            assert!(names.contains(&n), "{n} in {names:?}");
        }
        assert_eq!(
            scrape.docs.get("http_requests_total").map(String::as_str),
            Some("Requests answered, by method, route and status.")
        );

        // A new generation is a restarted process: counters begin again.
        t.tick(0.25, &[profile(0.003, 1)]);
        assert!(t.total_requests(0) < 1_000);
    }

    #[test]
    fn error_ratio_follows_the_profile() {
        let mut good = Traffic::new(1, 1);
        let mut bad = Traffic::new(1, 1);
        for _ in 0..40 {
            good.tick(0.25, &[profile(0.003, 0)]);
            bad.tick(0.25, &[profile(0.08, 0)]);
        }
        assert!(good.error_ratio(0) < 0.02, "{}", good.error_ratio(0));
        assert!(
            (0.05..0.12).contains(&bad.error_ratio(0)),
            "{}",
            bad.error_ratio(0)
        );
    }

    #[test]
    fn prefilled_histogram_is_cumulative() {
        let mut t = Traffic::new(1, 1);
        t.prefill(&[profile(0.003, 0)], &[100.0]);
        let h = &t.instances[0].latency[1];
        assert!(h.buckets.windows(2).all(|w| w[0] <= w[1]));
        assert!(*h.buckets.last().unwrap() <= h.count);
        assert!((phi(0.0) - 0.5).abs() < 1e-6 && phi(3.0) > 0.998);
    }
}
