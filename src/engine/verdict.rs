//! A stack's current verdict as the journal records it, for the version live runs now:
//! its smoke tests after the change, and the metric flags raised on it. Read by
//! `slipway status`, which starts no watch of its own: what nobody judged is said to be
//! not yet evaluated, never healthy by default.

use crate::journal::{Act, Entry};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// `passed` or `failed`, with the checks' summary (`3/3 passed`); `None`: not run on
    /// this version.
    pub smoke: Option<(String, String)>,
    /// Metric flags raised on this version: `errors spike`.
    pub flags: Vec<String>,
}

impl Verdict {
    /// What the journal says of `stack`'s version `live` on the environment `env`.
    pub fn of(entries: &[Entry], stack: &str, env: &str, live: &str) -> Verdict {
        let same = |v: Option<&str>| {
            v.is_some_and(|v| !v.is_empty() && (v.starts_with(live) || live.starts_with(v)))
        };
        let about = |e: &&Entry| e.stack.as_deref() == Some(stack) && e.is_about(env);
        // From the newest change that put this version there: older verdicts on the same
        // version (before a rollback and a new promotion) are history.
        let since = entries
            .iter()
            .rposition(|e| {
                about(&e)
                    && e.is(Act::DeployFinished)
                    && e.outcome.as_deref() == Some("succeeded")
                    && same(e.to.as_deref())
            })
            .unwrap_or(0);
        let recent = &entries[since..];
        let smoke = recent
            .iter()
            .filter(about)
            .rfind(|e| e.is(Act::Smoke) && same(e.to.as_deref()))
            .map(|e| {
                let detail = e.detail.clone().unwrap_or_default();
                // `Promotion: 3/3 passed` → `3/3 passed`.
                let detail = detail
                    .split_once(": ")
                    .map_or(detail.clone(), |(_, d)| d.to_string());
                (e.outcome.clone().unwrap_or_default(), detail)
            });
        let mut flags: Vec<String> = Vec::new();
        for e in recent
            .iter()
            .filter(about)
            .filter(|e| e.is(Act::Flag) && same(e.to.as_deref()))
        {
            let f = format!(
                "{} {}",
                e.series.as_deref().unwrap_or("metrics"),
                e.outcome.as_deref().unwrap_or("flag")
            );
            if !flags.contains(&f) {
                flags.push(f);
            }
        }
        Verdict { smoke, flags }
    }

    /// In words: `smoke failed (2/3 passed) · flagged: errors spike`, or `not yet
    /// evaluated` (no smoke tests or metric flags recorded on this version).
    pub fn words(&self) -> String {
        let mut parts = Vec::new();
        if let Some((outcome, detail)) = &self.smoke {
            parts.push(if detail.is_empty() {
                format!("smoke {outcome}")
            } else {
                format!("smoke {outcome} ({detail})")
            });
        }
        if !self.flags.is_empty() {
            parts.push(format!("flagged: {}", self.flags.join(", ")));
        }
        if parts.is_empty() {
            "not yet evaluated".into()
        } else {
            if self.flags.is_empty() {
                parts.push("no metric flags recorded".into());
            }
            parts.join(" · ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_recorded_is_not_evaluated_never_healthy() {
        let v = Verdict::of(&[], "www", "live", "c570624aa");
        assert!(v.words().starts_with("not yet evaluated"), "{}", v.words());
    }

    #[test]
    fn the_newest_change_counts_smoke_and_flags_on_this_version() {
        let (old, new) = ("ce4e1c5aa", "c570624bb");
        let entries = vec![
            Entry::new(Act::Smoke)
                .stack("sally")
                .env("live")
                .outcome("passed")
                .detail("Promotion: 3/3 passed"),
            Entry::new(Act::DeployFinished)
                .stack("sally")
                .env("live")
                .versions(old, new)
                .outcome("succeeded"),
            Entry::new(Act::Smoke)
                .stack("sally")
                .env("live")
                .versions(old, new)
                .outcome("failed")
                .detail("Promotion: 2/3 passed; article: got 500"),
            Entry::new(Act::Flag)
                .stack("sally")
                .series("errors")
                .outcome("spike")
                .versions(old, new),
            Entry::new(Act::Flag)
                .stack("www")
                .series("p99")
                .outcome("spike")
                .versions(old, new),
        ];
        let v = Verdict::of(&entries, "sally", "live", new);
        assert_eq!(
            v.words(),
            "smoke failed (2/3 passed; article: got 500) · flagged: errors spike"
        );
        // Back on the old version: what was said of the new one does not count.
        let v = Verdict::of(&entries, "sally", "live", old);
        assert!(v.words().starts_with("not yet evaluated"), "{}", v.words());
    }
}
