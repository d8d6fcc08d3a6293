//! Which instance's log the dashboard follows. Moving the selection through stacks
//! quickly would otherwise start and kill an ssh session per keypress, so a selection
//! waits a moment before its source starts; an explicit instance choice starts at once.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Event;
use crate::config::Config;
use crate::feeds::logs::{SourceHandle, SourceOptions, TemplateVars, spawn_source_with};
use crate::model::{Instance, StackId};

/// How long a selection must stay before its log source starts.
const SETTLE: Duration = Duration::from_millis(250);
/// Feed events buffered between a source and the engine's event channel.
const SOURCE_CHANNEL: usize = 64;

struct Following {
    stack: StackId,
    instance: String,
    /// Dropping it stops the source (and kills its child process).
    _source: SourceHandle,
    forwarder: tokio::task::JoinHandle<()>,
}

impl Drop for Following {
    fn drop(&mut self) {
        self.forwarder.abort();
    }
}

#[derive(Default)]
pub struct LogFollower {
    current: Option<Following>,
    /// What to follow next, and from when.
    wanted: Option<(StackId, Option<String>, Instant)>,
}

pub enum Start {
    /// Nothing to do yet (no request, or its moment has not come).
    Idle,
    /// The stack's instances are not known yet: list them, then try again.
    NeedInstances(StackId),
    /// A target or a reason there is none, for the front end.
    Announce(Event),
}

impl LogFollower {
    /// Follow `stack` (its first instance unless one is named). A named instance starts
    /// at once; a bare selection after it has settled.
    pub fn want(&mut self, stack: StackId, instance: Option<String>) {
        let at = if instance.is_some() {
            Instant::now()
        } else {
            Instant::now() + SETTLE
        };
        self.wanted = Some((stack, instance, at));
    }

    pub fn wanted_stack(&self) -> Option<StackId> {
        self.wanted.as_ref().map(|(s, _, _)| s.clone())
    }

    /// When the engine loop should call `start_due`.
    pub fn due(&self) -> Option<Instant> {
        self.wanted.as_ref().map(|(_, _, at)| *at)
    }

    /// Starts the wanted source if its time has come and its instances are known.
    pub fn start_due(
        &mut self,
        config: &Config,
        instances: Option<&Vec<Instance>>,
        events: &mpsc::Sender<Event>,
    ) -> Start {
        let Some((stack, instance, at)) = self.wanted.clone() else {
            return Start::Idle;
        };
        if at > Instant::now() {
            return Start::Idle;
        }
        let Some(source) = &config.logs.source else {
            self.wanted = None;
            return Start::Announce(Event::LogTarget {
                stack,
                instance: None,
                description: "no log source in config: add [logs] source = { kind = \"ssh\", … } (see the README)"
                    .into(),
            });
        };
        let Some(instances) = instances else {
            // Wait (without a deadline) until the instances arrive.
            self.wanted = Some((
                stack.clone(),
                instance,
                Instant::now() + Duration::from_secs(3600),
            ));
            return Start::NeedInstances(stack);
        };
        self.wanted = None;
        let chosen = match &instance {
            Some(id) => instances.iter().find(|i| &i.id == id),
            None => instances.first(),
        };
        let Some(chosen) = chosen.cloned() else {
            self.current = None;
            let description = match instance {
                Some(id) => format!("no instance {id} in {stack}"),
                None => format!("{stack} has no {} instances", config.logs.env),
            };
            return Start::Announce(Event::LogTarget {
                stack,
                instance: None,
                description,
            });
        };
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.stack == stack && c.instance == chosen.id)
        {
            return Start::Idle;
        }
        // Stop the old source before starting the new one (one ssh session at a time).
        self.current = None;
        let vars = TemplateVars {
            stack: stack.to_string(),
            instance: chosen.id.clone(),
            host: chosen.host.clone(),
            env: config.logs.env.to_string(),
        };
        let (tx, mut rx) = mpsc::channel(SOURCE_CHANNEL);
        let handle = spawn_source_with(source, &vars, SourceOptions::from_config(&config.logs), tx);
        let description = handle.description().to_string();
        let out = events.clone();
        let (fstack, finstance) = (stack.clone(), chosen.id.clone());
        let forwarder = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let ev = Event::Log {
                    stack: fstack.clone(),
                    instance: finstance.clone(),
                    event,
                };
                if out.send(ev).await.is_err() {
                    break;
                }
            }
        });
        self.current = Some(Following {
            stack: stack.clone(),
            instance: chosen.id.clone(),
            _source: handle,
            forwarder,
        });
        Start::Announce(Event::LogTarget {
            stack,
            instance: Some(chosen.id),
            description,
        })
    }

    /// The instances of `stack` cannot be listed: stop waiting for them, and return what
    /// to tell the front end (if the follower was waiting for that stack).
    pub fn instances_unavailable(&mut self, stack: &StackId, why: &str) -> Option<Event> {
        if self.wanted.as_ref().is_none_or(|(s, _, _)| s != stack) {
            return None;
        }
        self.wanted = None;
        Some(Event::LogTarget {
            stack: stack.clone(),
            instance: None,
            description: format!(
                "cannot list {stack}'s instances ({why}); list them under [[stacks]] instances = [...] in the config"
            ),
        })
    }

    /// Instances of `stack` changed (after a deployment): follow again if it is the one
    /// being followed and its instance is gone.
    pub fn instances_changed(&mut self, stack: &StackId, instances: &[Instance]) {
        let gone = self
            .current
            .as_ref()
            .is_some_and(|c| &c.stack == stack && !instances.iter().any(|i| i.id == c.instance));
        let waiting = self.wanted.as_ref().is_some_and(|(s, _, _)| s == stack);
        if gone && !waiting {
            self.wanted = Some((stack.clone(), None, Instant::now()));
        } else if waiting && let Some((_, _, at)) = &mut self.wanted {
            *at = (*at).min(Instant::now() + SETTLE);
        }
    }
}
