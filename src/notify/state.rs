//! What has been posted where: the record that keeps a message from being posted twice.
//! Plain, serializable data so the journal can persist it and a restarted slipway can
//! carry on in the same threads.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One message to one target: `("announce", "#belfrage")`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeliveryKey {
    /// `announce`, `deploy_started:<stack>:<deployment id>`, `deploy_finished:…`, `completion`.
    pub action: String,
    /// A Slack channel as configured, or `webhook`.
    pub target: String,
}

impl DeliveryKey {
    pub fn new(action: &str, target: &str) -> Self {
        DeliveryKey {
            action: action.to_string(),
            target: target.to_string(),
        }
    }
}

/// Where a channel's announcement lives; replies go into its thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// The channel id Slack answered with (`C0123`); replies use it rather than the
    /// configured name so a renamed channel keeps its thread.
    pub channel_id: String,
    /// The announcement's `ts`: the `thread_ts` of every reply.
    pub ts: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifierState {
    /// Configured channel → its announcement thread.
    #[serde(default)]
    pub threads: BTreeMap<String, Thread>,
    /// Posted for certain: never sent again.
    #[serde(default)]
    pub delivered: BTreeSet<DeliveryKey>,
    /// Sent, but no answer came back (timeout, dropped connection): it may be in the
    /// channel. Only a forced retry sends these again.
    #[serde(default)]
    pub unknown: BTreeSet<DeliveryKey>,
}

impl NotifierState {
    pub fn is_delivered(&self, action: &str, target: &str) -> bool {
        self.delivered.contains(&DeliveryKey::new(action, target))
    }

    pub fn is_unknown(&self, action: &str, target: &str) -> bool {
        self.unknown.contains(&DeliveryKey::new(action, target))
    }

    pub fn thread(&self, target: &str) -> Option<&Thread> {
        self.threads.get(target)
    }

    pub(super) fn mark_delivered(&mut self, action: &str, target: &str) {
        let key = DeliveryKey::new(action, target);
        self.unknown.remove(&key);
        self.delivered.insert(key);
    }

    pub(super) fn mark_unknown(&mut self, action: &str, target: &str) {
        self.unknown.insert(DeliveryKey::new(action, target));
    }

    pub(super) fn set_thread(&mut self, target: &str, thread: Thread) {
        self.threads.insert(target.to_string(), thread);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let mut s = NotifierState::default();
        s.mark_unknown("announce", "#a");
        s.mark_delivered("announce", "#b");
        s.set_thread(
            "#b",
            Thread {
                channel_id: "C1".into(),
                ts: "1.2".into(),
            },
        );
        let json = serde_json::to_string(&s).unwrap();
        let back: NotifierState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert!(back.is_unknown("announce", "#a"));
        assert!(back.is_delivered("announce", "#b"));
        assert_eq!(back.thread("#b").map(|t| t.ts.as_str()), Some("1.2"));
    }

    #[test]
    fn delivery_clears_an_unknown_mark() {
        let mut s = NotifierState::default();
        s.mark_unknown("announce", "#a");
        s.mark_delivered("announce", "#a");
        assert!(!s.is_unknown("announce", "#a"));
        assert!(s.is_delivered("announce", "#a"));
    }
}
