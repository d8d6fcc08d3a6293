//! Which change of live each stack's metrics are judged against, kept from what this
//! engine did, what the platform reports and what the journal records. Live's observed
//! version is the truth: a change made by the CLI, a colleague or CI is watched like one
//! made here. Plain data and functions of the time given; the engine publishes the result
//! to the metrics feed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

use crate::feeds::metrics::{LiveView, Rollout, Watch, WatchCause};
use crate::journal::Entry;
use crate::model::{StackId, Version};

/// What a read of live's version showed, for the engine to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The first read of this stack (at start).
    First,
    Same,
    /// The change this engine (or a followed deployment) was making landed.
    Expected,
    /// Live changed and nothing here made it: worth a notice and a look at the journal.
    Outside {
        from: Version,
        to: Version,
    },
}

pub struct Watches {
    view: LiveView,
    tx: watch::Sender<LiveView>,
    /// Per stack: the live version last read, and when.
    seen: HashMap<StackId, (Version, DateTime<Utc>)>,
    /// The watch a running rollback replaced, back in force if the rollback fails.
    prior: HashMap<StackId, Watch>,
    /// Stacks whose watch was looked for in the journal after a restart.
    restored: HashMap<StackId, bool>,
    /// How far back a journal entry may start a watch after a restart.
    horizon: Duration,
    /// The last environment's name: journal entries about other environments start no watch.
    live_env: String,
}

impl Watches {
    pub fn new(horizon: Duration) -> Watches {
        let (tx, _) = watch::channel(LiveView::default());
        Watches {
            view: LiveView::default(),
            tx,
            seen: HashMap::new(),
            prior: HashMap::new(),
            restored: HashMap::new(),
            horizon,
            live_env: crate::model::Env::live().to_string(),
        }
    }

    /// Watches for a release whose last environment is called `env`.
    pub fn for_live_env(mut self, env: &crate::model::Env) -> Watches {
        self.live_env = env.to_string();
        self
    }

    pub fn subscribe(&self) -> watch::Receiver<LiveView> {
        self.tx.subscribe()
    }

    #[cfg(test)]
    pub fn view(&self) -> &LiveView {
        &self.view
    }

    #[cfg(test)]
    pub fn get(&self, stack: &StackId) -> Option<&Watch> {
        self.view.watches.get(stack)
    }

    fn publish(&self) {
        self.tx.send_replace(self.view.clone());
    }

    /// This engine starts promoting `stack` from `from` to `to`: the healthy period ends now.
    pub fn promotion_started(
        &mut self,
        stack: &StackId,
        from: &Version,
        to: &Version,
        by: String,
        now: DateTime<Utc>,
    ) {
        self.prior.remove(stack);
        self.view.watches.insert(
            stack.clone(),
            Watch {
                before: from.clone(),
                now: to.clone(),
                cause: WatchCause::Promotion,
                by: Some(by),
                baseline_until: now,
                traffic_since: None,
                rollout: Some(Rollout {
                    progress: None,
                    rolling_back: false,
                }),
            },
        );
        self.publish();
    }

    /// A rollback starts. Back to the healthy period's version, the same baseline judges
    /// it; a flag of the release it undoes stays up meanwhile (the feed keeps it).
    pub fn rollback_started(
        &mut self,
        stack: &StackId,
        from: &Version,
        to: &Version,
        by: String,
        now: DateTime<Utc>,
    ) {
        let prior = self.view.watches.get(stack).cloned();
        let (before, baseline_until) = match &prior {
            Some(w) => (w.before.clone(), w.baseline_until),
            None => (from.clone(), now),
        };
        if let Some(p) = prior {
            self.prior.insert(stack.clone(), p);
        }
        self.view.watches.insert(
            stack.clone(),
            Watch {
                before,
                now: to.clone(),
                cause: WatchCause::Rollback,
                by: Some(by),
                baseline_until,
                traffic_since: None,
                rollout: Some(Rollout {
                    progress: None,
                    rolling_back: true,
                }),
            },
        );
        self.publish();
    }

    /// A deployment nobody here started is running on live (the platform reports it).
    pub fn outside_rollout(
        &mut self,
        stack: &StackId,
        from: &Version,
        to: &Version,
        now: DateTime<Utc>,
    ) {
        let rolling_back = self
            .view
            .watches
            .get(stack)
            .is_some_and(|w| &w.before == to && w.now != w.before);
        let baseline_until = match self.view.watches.get(stack) {
            Some(w) if rolling_back => w.baseline_until,
            _ => now,
        };
        if let Some(p) = self.view.watches.get(stack).cloned() {
            self.prior.insert(stack.clone(), p);
        }
        self.view.watches.insert(
            stack.clone(),
            Watch {
                before: if rolling_back {
                    to.clone()
                } else {
                    from.clone()
                },
                now: to.clone(),
                cause: if rolling_back {
                    WatchCause::Rollback
                } else {
                    WatchCause::Outside
                },
                by: None,
                baseline_until,
                traffic_since: None,
                rollout: Some(Rollout {
                    progress: None,
                    rolling_back,
                }),
            },
        );
        self.publish();
    }

    pub fn progress(&mut self, stack: &StackId, progress: Option<f32>) {
        if let Some(r) = self
            .view
            .watches
            .get_mut(stack)
            .and_then(|w| w.rollout.as_mut())
            && progress.is_some()
            && r.progress != progress
        {
            r.progress = progress;
            self.publish();
        }
    }

    /// The stack's deployment ended. Succeeded: the new version takes traffic now (unless
    /// live was already seen running it). Otherwise live stays where it was: a promotion
    /// that never took traffic leaves nothing to watch, a failed rollback leaves the
    /// release it meant to undo.
    pub fn deploy_finished(&mut self, stack: &StackId, succeeded: bool, now: DateTime<Utc>) {
        let prior = self.prior.remove(stack);
        let Some(w) = self.view.watches.get_mut(stack) else {
            return;
        };
        if succeeded {
            if w.rollout.is_some() || w.traffic_since.is_none() {
                w.traffic_since = Some(w.traffic_since.unwrap_or(now).min(now));
            }
            w.rollout = None;
        } else if let Some(p) = prior {
            *w = p;
        } else if w.traffic_since.is_none() {
            self.view.watches.remove(stack);
        } else {
            w.rollout = None;
        }
        self.publish();
    }

    /// Live's version as just read from the platform.
    pub fn observed(&mut self, stack: &StackId, live: &Version, now: DateTime<Utc>) -> Seen {
        let previous = self.seen.insert(stack.clone(), (live.clone(), now));
        let changed_view =
            self.view.live.insert(stack.clone(), live.clone()).as_ref() != Some(live);
        let seen = match previous {
            None => Seen::First,
            Some((old, _)) if &old == live => Seen::Same,
            Some((old, last_seen_old)) => self.changed(stack, old, live, last_seen_old, now),
        };
        if changed_view || !matches!(seen, Seen::Same | Seen::First) {
            self.publish();
        }
        seen
    }

    fn changed(
        &mut self,
        stack: &StackId,
        old: Version,
        live: &Version,
        last_seen_old: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Seen {
        match self.view.watches.get_mut(stack) {
            // The change in flight landed before its deployment was reported finished:
            // the platform says the new version serves, so it is judged from now.
            Some(w) if &w.now == live => {
                if w.traffic_since.is_none() {
                    w.traffic_since = Some(now);
                }
                w.rollout = None;
                Seen::Expected
            }
            // Back to the healthy period's version by someone else: judged as a rollback.
            Some(w) if &w.before == live => {
                w.now = live.clone();
                w.cause = WatchCause::Rollback;
                w.by = None;
                w.traffic_since = Some(now);
                w.rollout = None;
                Seen::Outside {
                    from: old,
                    to: live.clone(),
                }
            }
            _ => {
                self.prior.remove(stack);
                self.view.watches.insert(
                    stack.clone(),
                    Watch {
                        before: old.clone(),
                        now: live.clone(),
                        cause: WatchCause::Outside,
                        by: None,
                        // The old version was last seen then: the healthy period ends there.
                        baseline_until: last_seen_old,
                        traffic_since: Some(now),
                        rollout: None,
                    },
                );
                Seen::Outside {
                    from: old,
                    to: live.clone(),
                }
            }
        }
    }

    /// The journal as read now: names who made changes seen from outside, and after a
    /// restart picks up the watch of a change that finished before it.
    pub fn journal(&mut self, entries: &[Entry], now: DateTime<Utc>) {
        let mut changed = false;
        let stacks: Vec<StackId> = self.seen.keys().cloned().collect();
        for stack in stacks {
            changed |= self.attribute(&stack, entries);
            if !self.restored.contains_key(&stack) {
                self.restored.insert(stack.clone(), true);
                changed |= self.restore(&stack, entries, now);
            }
        }
        if changed {
            self.publish();
        }
    }

    /// An outside change the journal explains: who, and when it really started and ended.
    fn attribute(&mut self, stack: &StackId, entries: &[Entry]) -> bool {
        let Some(w) = self.view.watches.get_mut(stack) else {
            return false;
        };
        if w.by.is_some() {
            return false;
        }
        let earliest = w.baseline_until - Duration::hours(1);
        let live_env = self.live_env.clone();
        let Some(start) = entries.iter().rev().find(|e| {
            is_start(e)
                && e.is_about(&live_env)
                && e.stack.as_deref() == Some(stack.as_str())
                && e.to.as_deref() == Some(w.now.as_str())
                && e.at >= earliest
        }) else {
            return false;
        };
        w.by = Some(start.actor());
        if w.cause == WatchCause::Outside {
            w.cause = if start.is(crate::journal::Act::Rollback) {
                WatchCause::Rollback
            } else {
                WatchCause::Promotion
            };
            if start.from.as_deref() == Some(w.before.as_str()) {
                w.baseline_until = w.baseline_until.min(start.at);
            }
            if let Some(done) = finished_after(entries, stack, start)
                && let Some(t) = w.traffic_since
            {
                w.traffic_since = Some(t.min(done.at).max(w.baseline_until));
            }
        }
        true
    }

    /// After a restart: live runs what a recent journaled deployment put there, so that
    /// change is watched again (a rollback against the baseline of the release it undid).
    fn restore(&mut self, stack: &StackId, entries: &[Entry], now: DateTime<Utc>) -> bool {
        if self.view.watches.contains_key(stack) {
            return false;
        }
        let Some(live) = self.view.live.get(stack).cloned() else {
            return false;
        };
        let for_stack = |e: &&Entry| e.stack.as_deref() == Some(stack.as_str());
        let Some(start) = entries.iter().rev().filter(for_stack).find(|e| {
            is_start(e) && e.is_about(&self.live_env) && e.to.as_deref() == Some(live.as_str())
        }) else {
            return false;
        };
        let Some(from) = start.from.clone().map(Version::new) else {
            return false;
        };
        let done = finished_after(entries, stack, start);
        let traffic_since = done.map_or(now, |d| d.at);
        if traffic_since < now - self.horizon {
            return false;
        }
        let (before, baseline_until, cause) = if start.is(crate::journal::Act::Rollback) {
            // The release it undid: its promotion from this version.
            let undone = entries.iter().rev().filter(for_stack).find(|e| {
                e.is(crate::journal::Act::Promote)
                    && e.at < start.at
                    && e.from.as_deref() == Some(live.as_str())
                    && e.to.as_deref() == Some(from.as_str())
            });
            match undone {
                Some(p) => (live.clone(), p.at, WatchCause::Rollback),
                None => (from, start.at, WatchCause::Rollback),
            }
        } else {
            (from, start.at, WatchCause::Promotion)
        };
        tracing::info!(stack = %stack, %before, now = %live, "watch restored from the journal");
        self.view.watches.insert(
            stack.clone(),
            Watch {
                before,
                now: live,
                cause,
                by: Some(start.actor()),
                baseline_until,
                traffic_since: Some(traffic_since.max(baseline_until)),
                rollout: None,
            },
        );
        true
    }
}

fn is_start(e: &Entry) -> bool {
    e.is(crate::journal::Act::Promote) || e.is(crate::journal::Act::Rollback)
}

/// The successful end of the deployment `start` began, if journaled.
fn finished_after<'a>(entries: &'a [Entry], stack: &StackId, start: &Entry) -> Option<&'a Entry> {
    entries.iter().find(|e| {
        e.is(crate::journal::Act::DeployFinished)
            && e.stack.as_deref() == Some(stack.as_str())
            && e.to == start.to
            && e.at >= start.at
            && e.outcome.as_deref() == Some(crate::model::DeployState::Succeeded.as_str())
    })
}

#[cfg(test)]
#[path = "watches_tests.rs"]
mod tests;
