//! Application logs per instance, appended to `log_dir/{instance}.log` a few lines a
//! second: plain and JSON request lines, warnings, and errors at the instance's current
//! error ratio (so the bad release is visible in the Logs pane too). Files rotate to
//! `.1` past 5 MB like logrotate would, which exercises slipway's `tail -F` behaviour.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio_util::sync::CancellationToken;

use super::assets::{LogTemplates, pick_weighted, render};
use super::ticker::Ticker;
use super::topology::{STACKS, SimInstance};
use super::traffic::{Profile, ROUTES, normal};
use super::world::World;

pub const ROTATE_BYTES: u64 = 5 * 1024 * 1024;
/// Seconds of history written at start-up, so the Logs pane is not empty on first look.
const BACKFILL_SECS: f64 = 45.0;

pub struct LogWriter {
    templates: LogTemplates,
    rng: fastrand::Rng,
    /// Last generation seen per instance; a change means the instance restarted.
    seen: Vec<u64>,
    /// Fractions of a line owed per instance, so each file grows at a steady rate
    /// however short the tick is.
    owed: Vec<f64>,
    rotate_at: u64,
}

/// One batch of text to append to one file.
pub type Batch = Vec<(PathBuf, String)>;

pub fn log_path(dir: &Path, instance: &SimInstance) -> PathBuf {
    dir.join(format!("{}.log", instance.id))
}

impl LogWriter {
    pub fn new(templates: LogTemplates, instances: usize, seed: u64) -> LogWriter {
        LogWriter {
            templates,
            rng: fastrand::Rng::with_seed(seed),
            seen: vec![0; instances],
            owed: vec![0.0; instances],
            rotate_at: ROTATE_BYTES,
        }
    }

    /// A short history per instance, timestamped over the last few seconds.
    pub fn backfill(
        &mut self,
        dir: &Path,
        instances: &[SimInstance],
        profiles: &[Profile],
    ) -> Batch {
        let now = Utc::now();
        let mut batch = Vec::new();
        for (i, (inst, p)) in instances.iter().zip(profiles).enumerate() {
            self.seen[i] = p.generation;
            let text = self.lines(i, inst, p, BACKFILL_SECS, now);
            batch.push((log_path(dir, inst), text));
        }
        batch
    }

    /// `dt` seconds of log lines for every instance, with start-up lines first for an
    /// instance that restarted since the last tick.
    pub fn tick(
        &mut self,
        dir: &Path,
        instances: &[SimInstance],
        profiles: &[Profile],
        dt: f64,
    ) -> Batch {
        let now = Utc::now();
        let mut batch = Vec::new();
        for (i, (inst, p)) in instances.iter().zip(profiles).enumerate() {
            let mut text = String::new();
            if self.seen.get(i).is_some_and(|g| *g != p.generation) {
                self.seen[i] = p.generation;
                text.push_str(&self.startup(inst, p, now));
            }
            text.push_str(&self.lines(i, inst, p, dt, now));
            if !text.is_empty() {
                batch.push((log_path(dir, inst), text));
            }
        }
        batch
    }

    fn startup(&mut self, inst: &SimInstance, p: &Profile, at: DateTime<Utc>) -> String {
        let templates = self.templates.startup.clone();
        templates
            .iter()
            .map(|t| {
                let vars = self.vars(inst, p, at, false);
                render(t, &|k| vars.get(k).cloned()) + "\n"
            })
            .collect()
    }

    fn lines(
        &mut self,
        index: usize,
        inst: &SimInstance,
        p: &Profile,
        dt: f64,
        until: DateTime<Utc>,
    ) -> String {
        let base = if inst.env.is_live() { 3.0 } else { 1.0 };
        // Errors add lines on top of the usual ones: a failing release is noisier.
        let per_sec = base + p.error_ratio * 25.0;
        let owed = self.owed.get(index).copied().unwrap_or(0.0) + per_sec * dt;
        let n = owed.floor() as usize;
        if let Some(o) = self.owed.get_mut(index) {
            *o = owed - n as f64;
        }
        let p_error = (p.error_ratio * 3.0).min(0.5);
        let p_warn = 0.03 + p.error_ratio;
        let mut out = String::new();
        for k in 0..n {
            let back = dt * (1.0 - (k as f64 + self.rng.f64()) / n as f64);
            let at = until - chrono::Duration::milliseconds((back * 1000.0) as i64);
            let roll = self.rng.f64();
            let (section, is_error) = if roll < p_error {
                (&self.templates.error, true)
            } else if roll < p_error + p_warn {
                (&self.templates.warn, false)
            } else {
                (&self.templates.request, false)
            };
            let template = pick_weighted(&mut self.rng, section).to_string();
            let vars = self.vars(inst, p, at, is_error);
            out.push_str(&render(&template, &|k| vars.get(k).cloned()));
            out.push('\n');
        }
        out
    }

    fn vars(
        &mut self,
        inst: &SimInstance,
        p: &Profile,
        at: DateTime<Utc>,
        error: bool,
    ) -> BTreeMap<&'static str, String> {
        let rng = &mut self.rng;
        let total: u32 = ROUTES.iter().map(|r| r.weight).sum();
        let mut roll = rng.u32(0..total.max(1));
        let route = ROUTES
            .iter()
            .find(|r| {
                if roll < r.weight {
                    true
                } else {
                    roll -= r.weight;
                    false
                }
            })
            .unwrap_or(&ROUTES[0]);
        let path = route.paths[rng.usize(..route.paths.len())];
        let status = match rng.u8(0..100) {
            0..83 => 200,
            83..95 => 304,
            _ => 404,
        };
        let ms = (route.median_ms * p.latency_factor * (0.6 * normal(rng)).exp()).round();
        let slow_ms = if error {
            3000 + rng.u32(0..400)
        } else {
            800 + rng.u32(0..2100)
        };
        let rid: String = (0..20)
            .map(|_| {
                let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
                chars[rng.usize(..chars.len())] as char
            })
            .collect();
        let origins = ["simorgh", "fabl", "mozart", "ares", "webcore"];
        let caches = ["HIT", "HIT", "HIT", "MISS", "STALE"];
        let mut v = BTreeMap::new();
        v.insert("ts", at.to_rfc3339_opts(SecondsFormat::Millis, true));
        v.insert("rid", rid);
        v.insert("method", route.method.to_string());
        v.insert("path", path.to_string());
        v.insert("route", route.spec.to_string());
        v.insert("status", status.to_string());
        v.insert("ms", format!("{ms}"));
        v.insert("slow_ms", slow_ms.to_string());
        v.insert("cache", caches[rng.usize(..caches.len())].to_string());
        v.insert("cache_key", (0..32).map(|_| rng.digit(16)).collect());
        v.insert("ttl", ["10", "30", "60"][rng.usize(..3)].to_string());
        v.insert("origin", origins[rng.usize(..origins.len())].to_string());
        v.insert("version", p.version.clone());
        v.insert("short", p.version.chars().take(7).collect());
        v.insert("instance", inst.id.clone());
        v.insert("host", inst.host.clone());
        v.insert(
            "stack",
            STACKS.get(inst.stack).map_or("", |s| s.id).to_string(),
        );
        v.insert("env", inst.env.as_str().to_string());
        v.insert("pid", format!("<0.{}.0>", rng.u32(200..9000)));
        v
    }
}

/// Appends each batch entry to its file, rotating files that grew past `rotate_at`.
pub fn append_batch(batch: &Batch, rotate_at: u64) -> std::io::Result<()> {
    for (path, text) in batch {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(text.as_bytes())?;
        let len = f.metadata()?.len();
        drop(f);
        if len > rotate_at {
            let mut rotated = path.clone().into_os_string();
            rotated.push(".1");
            std::fs::rename(path, &rotated)?;
            // Create the new file at once so a follower sees the rotation straight away.
            std::fs::File::create(path)?;
        }
    }
    Ok(())
}

/// File I/O off the async workers: a slow disk must not stall the API.
async fn write(batch: Batch, rotate_at: u64) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || append_batch(&batch, rotate_at))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

/// Writes a short history, then appends every `world.tick` until the demo stops.
pub async fn run(world: Arc<World>, mut writer: LogWriter, cancel: CancellationToken) {
    let instances = world.topo.instances.clone();
    let dir = world.log_dir.clone();
    let rotate_at = writer.rotate_at;
    let mut warned = false;
    let first = writer.backfill(&dir, &instances, &world.profiles());
    if let Err(e) = write(first, rotate_at).await {
        tracing::warn!(error = %e, dir = %dir.display(), "demo: cannot write instance logs");
        warned = true;
    }
    let mut ticker = Ticker::new(world.tick);
    while let Some(dt) = ticker.next(&cancel).await {
        let batch = writer.tick(&dir, &instances, &world.profiles(), dt);
        match write(batch, rotate_at).await {
            Ok(()) => warned = false,
            // Said once per run of failures, not every tick: a full disk should not
            // flood the diagnostics log.
            Err(e) if !warned => {
                tracing::warn!(error = %e, dir = %dir.display(), "demo: cannot write instance logs");
                warned = true;
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::topology::Topology;

    fn profile(error_ratio: f64, generation: u64) -> Profile {
        Profile {
            rps: 150.0,
            error_ratio,
            latency_factor: 1.0,
            generation,
            version: "9be77d1c0000000000000000000000000000beef".into(),
        }
    }

    #[test]
    fn lines_look_like_an_application_log_and_errors_follow_the_profile() {
        let topo = Topology::new();
        let inst = vec![topo.instances[0].clone()];
        let dir = tempfile::tempdir().unwrap();
        let templates = crate::demo::assets::log_templates().unwrap();
        let mut w = LogWriter::new(templates.clone(), 1, 3);
        let good = w.tick(dir.path(), &inst, &[profile(0.003, 0)], 60.0);
        let text = &good[0].1;
        assert!(text.lines().count() > 100);
        assert!(text.contains(" INFO  [") && text.contains("\"level\":\"info\""));
        assert!(
            text.lines()
                .all(|l| l.contains("2026") || l.contains(&Utc::now().format("%Y").to_string()))
        );
        let errors = |t: &str| {
            t.lines()
                .filter(|l| l.contains("ERROR") || l.contains("\"error\""))
                .count()
        };
        let bad = w.tick(dir.path(), &inst, &[profile(0.08, 0)], 60.0);
        assert!(
            errors(&bad[0].1) > 5 * errors(text).max(1),
            "bad release logs more errors"
        );
        assert!(bad[0].1.contains("upstream timeout") || bad[0].1.contains("upstream_timeout"));

        // A new generation means a restart: start-up lines come first, naming the version.
        let restarted = w.tick(dir.path(), &inst, &[profile(0.003, 1)], 0.1);
        assert!(restarted[0].1.lines().next().unwrap().contains("exited"));
        assert!(restarted[0].1.contains("Starting belfrage 9be77d1"));
    }

    #[test]
    fn files_rotate_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sally-0a1b.log");
        let line = "x".repeat(100) + "\n";
        for _ in 0..15 {
            append_batch(&vec![(path.clone(), line.clone())], 1000).unwrap();
        }
        let rotated = dir.path().join("sally-0a1b.log.1");
        assert!(rotated.is_file());
        assert!(std::fs::metadata(&rotated).unwrap().len() > 1000);
        assert!(std::fs::metadata(&path).unwrap().len() < 1000);
    }
}
