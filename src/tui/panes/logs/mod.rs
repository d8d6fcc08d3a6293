//! The Logs pane: the log of one instance of the selected stack, as the engine follows it.
//!
//! The engine follows one instance at a time (the selected stack's first, unless the user
//! picks another with `i`). Every instance followed this session keeps its lines here
//! (see [`streams`]), so going back to one shows what was read before, with a marker where
//! following started again. The title says which instance and what its source is doing.

pub mod controls;
pub mod keys;
mod picker;
pub mod streams;

use std::collections::HashMap;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

use crate::config::LogsConfig;
use crate::engine::{Command, Event};
use crate::feeds::logs::{LogFeedEvent, SourceStatus};
use crate::model::{Instance, StackId};
use crate::text::one_line;
use crate::text::sanitize::group_thousands;
use crate::tui::keymap::{HelpSection, Keymap};
use crate::tui::pane::{Ctx, Hint, Intent, Outcome, Pane, PaneId};
use keys::{PickKey, ViewKey};

use controls::{ViewControls, file_safe};
use picker::{Entry, PickResult, Picker};
use streams::{Stream, Streams};

pub struct LogsPane {
    logs: LogsConfig,
    streams: Streams,
    /// What the engine follows now, from the last `Event::LogTarget`.
    target: Option<(StackId, String)>,
    /// Why a stack has nothing to follow (no source configured, no instances).
    notes: HashMap<StackId, String>,
    /// Instances per stack in the environment logs are read from.
    instances: HashMap<StackId, Vec<Instance>>,
    picker: Option<Picker>,
    controls: ViewControls,
    /// The pane's outer width as last drawn: how much title fits.
    width: u16,
    picker_keys: Keymap<PickKey>,
}

impl LogsPane {
    pub fn new(info: &crate::tui::app::AppInfo) -> Self {
        LogsPane {
            logs: info.logs.clone(),
            streams: Streams::new(&info.logs),
            target: None,
            notes: HashMap::new(),
            instances: HashMap::new(),
            picker: None,
            controls: ViewControls::default(),
            width: 0,
            picker_keys: Keymap::default(),
        }
    }

    /// The (stack, instance) shown for the selected stack: the followed instance if it is
    /// this stack's, else the one of this stack looked at last.
    fn shown_key(&self, ctx: &Ctx) -> Option<(StackId, String)> {
        let stack = &ctx.selected_stack()?.id;
        self.shown_key_of(stack)
    }

    fn shown_key_of(&self, stack: &StackId) -> Option<(StackId, String)> {
        match &self.target {
            Some((s, i)) if s == stack => Some((s.clone(), i.clone())),
            _ => self
                .streams
                .latest_of(stack)
                .map(|s| (s.stack.clone(), s.instance.clone())),
        }
    }

    fn shown<'a>(&'a self, ctx: &Ctx) -> Option<&'a Stream> {
        let (s, i) = self.shown_key(ctx)?;
        self.streams.get(&s, &i)
    }

    /// Lines read by this pane for (stack, instance) (tests and the picker).
    pub fn lines_held(&self, stack: &StackId, instance: &str) -> Option<usize> {
        self.streams.kept_lines(stack, instance)
    }

    /// Lines held by every stream kept (tests: the memory bound).
    pub fn total_lines(&self) -> usize {
        self.streams.total_lines()
    }

    fn on_target(&mut self, stack: &StackId, instance: &str, description: &str) {
        let like = self.target.clone().or_else(|| self.shown_key_of(stack));
        let like = like.as_ref().map(|(s, i)| (s, i.as_str()));
        let sanitize = self.streams.sanitize_options();
        let stream = self.streams.get_or_insert(stack, instance, like);
        if stream.followed > 0 && !stream.live && !stream.view.is_empty() {
            stream.resume(sanitize);
        }
        stream.followed += 1;
        stream.description = one_line(description, 300);
        stream.status = SourceStatus::Connecting;
        stream.failure = None;
        stream.failing_since = None;
        self.streams.set_live(Some((stack, instance)));
        self.target = Some((stack.clone(), instance.to_string()));
        self.notes.remove(stack);
        self.streams.evict();
    }

    fn on_log(
        &mut self,
        stack: &StackId,
        instance: &str,
        event: &LogFeedEvent,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        // Lines can arrive just before the target is announced: keep them.
        let stream = self.streams.get_or_insert(stack, instance, None);
        stream.apply(event, now);
        // Cheap (a handful of streams), and a late event of a stream evicted earlier may
        // have just made it again.
        self.streams.evict();
    }

    /// The lines shown when there is nothing (or nothing yet) to show.
    fn empty_lines(&self, ctx: &Ctx) -> Vec<Line<'static>> {
        let theme = ctx.theme;
        let Some(stack) = ctx.selected_stack() else {
            return vec![Line::styled("No stacks in config.", theme.dim)];
        };
        let Some(stream) = self.shown(ctx) else {
            return match self.notes.get(&stack.id) {
                Some(note) => vec![
                    Line::styled(one_line(note, 300), theme.warn),
                    Line::styled("i: pick an instance", theme.dim),
                ],
                None => vec![Line::styled(
                    format!("Waiting for {}'s log…", one_line(&stack.name, 40)),
                    theme.dim,
                )],
            };
        };
        let what = if stream.description.is_empty() {
            stream.instance.clone()
        } else {
            stream.description.clone()
        };
        let mut lines = Vec::new();
        if let Some(f) = &stream.failure {
            lines.push(Line::styled(one_line(f, 300), theme.error));
        }
        lines.push(match &stream.status {
            SourceStatus::Connecting => Line::styled(format!("Connecting: {what}…"), theme.dim),
            SourceStatus::Following => {
                Line::styled(format!("Following {what}; no lines yet."), theme.dim)
            }
            SourceStatus::Reconnecting { in_secs } => {
                Line::styled(format!("Reconnecting in {in_secs}s: {what}"), theme.dim)
            }
            SourceStatus::Ended { code } => Line::styled(
                format!(
                    "{what} ended{} without a line.",
                    code.map(|c| format!(" with code {c}")).unwrap_or_default()
                ),
                theme.warn,
            ),
            SourceStatus::Failed(_) => Line::styled(what, theme.dim),
        });
        lines
    }

    fn default_save_name(stack: &StackId, instance: &str) -> String {
        format!(
            "./slipway-{}-{}-{}.log",
            file_safe(stack.as_str()),
            file_safe(instance),
            chrono::Local::now().format("%H%M%S")
        )
    }

    fn picker_key(&mut self, key: KeyEvent) -> Outcome {
        let Some(picker) = &mut self.picker else {
            return Outcome::Ignored;
        };
        let instances = self
            .instances
            .get(&picker.stack)
            .map_or(&[][..], Vec::as_slice);
        let result = picker.on_key(key, instances, &self.picker_keys);
        self.picked(result)
    }

    fn picked(&mut self, result: PickResult) -> Outcome {
        match result {
            PickResult::Open => Outcome::Handled,
            PickResult::Closed => {
                self.picker = None;
                Outcome::Handled
            }
            PickResult::Chosen(instance) => {
                let Some(picker) = self.picker.take() else {
                    return Outcome::Handled;
                };
                Outcome::Intent(Intent::Send(Command::FollowLogs {
                    stack: picker.stack,
                    instance: Some(instance),
                }))
            }
        }
    }

    fn open_picker(&mut self, ctx: &Ctx) -> Outcome {
        let Some(stack) = ctx.selected_stack().map(|s| s.id.clone()) else {
            return Outcome::Ignored;
        };
        let current = match &self.target {
            Some((s, i)) if *s == stack => Some(i.as_str()),
            _ => None,
        };
        let known = self.instances.get(&stack).map_or(&[][..], Vec::as_slice);
        self.picker = Some(Picker::new(stack.clone(), known, current));
        // Instances come and go with deployments: ask again each time.
        Outcome::Intent(Intent::Send(Command::ListInstances {
            stack,
            env: self.logs.env.clone(),
        }))
    }
}

/// `text` cut to `cols` columns, with an ellipsis when cut.
fn fit(text: &str, cols: usize) -> String {
    if text.width() <= cols {
        return text.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > cols {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// The state after the instance in the title: the source's, and the view's when paused.
fn state_words(s: &Stream, now: chrono::DateTime<chrono::Utc>) -> String {
    // How long it has been failing: what the pane shows is that old.
    let since = s
        .failing_since
        .map(|t| format!(" {}", crate::engine::freshness::ago(t, now)))
        .unwrap_or_default();
    let source = match &s.status {
        SourceStatus::Connecting | SourceStatus::Following | SourceStatus::Reconnecting { .. }
            if !s.live =>
        {
            "not followed".to_string()
        }
        SourceStatus::Connecting => "connecting".to_string(),
        SourceStatus::Following => "following".to_string(),
        SourceStatus::Reconnecting { in_secs } => format!("reconnecting in {in_secs}s"),
        SourceStatus::Ended { code: Some(c) } => format!("ended (code {c})"),
        SourceStatus::Ended { code: None } => "ended".to_string(),
        SourceStatus::Failed(m) => format!("failed{since}: {}", one_line(m, 80)),
    };
    if s.view.is_following() {
        return source;
    }
    let paused = match s.view.unseen() {
        0 => "paused".to_string(),
        n => format!("paused ({} new)", group_thousands(n)),
    };
    if s.live && s.status == SourceStatus::Following {
        paused
    } else {
        format!("{source} · {paused}")
    }
}

impl Pane for LogsPane {
    fn id(&self) -> PaneId {
        PaneId::Logs
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let Some(stack) = ctx.selected_stack() else {
            return Line::from(" Logs ");
        };
        let Some(s) = self.shown(ctx) else {
            let state = if self.notes.contains_key(&stack.id) {
                "nothing to follow"
            } else {
                "waiting"
            };
            return Line::from(format!(" Logs · {} · {state} ", one_line(&stack.name, 30)));
        };
        let mut title = format!(
            " Logs · {} · {}",
            one_line(&s.instance, 40),
            state_words(s, ctx.now)
        );
        // Then, inside the corners and before a closing space, why it is reconnecting or
        // what is read: cut to fit, if enough of it fits to be worth reading.
        let room = (self.width as usize).saturating_sub(3);
        let detail = match (&s.failure, &s.status) {
            // Why, and since when (the age last: the words matter first).
            (Some(f), SourceStatus::Reconnecting { .. }) => match s.failing_since {
                Some(t) => format!(
                    "{} · first failed {}",
                    one_line(f, 200),
                    crate::engine::freshness::ago(t, ctx.now)
                ),
                None => one_line(f, 200),
            },
            _ => s.description.clone(),
        };
        let left = room.saturating_sub(title.width() + 3);
        if !detail.is_empty() && left >= 16.min(detail.width()) {
            title.push_str(" · ");
            title.push_str(&fit(&detail, left));
        }
        title.push(' ');
        Line::from(title)
    }

    fn on_event(&mut self, event: &Event, ctx: &Ctx) -> bool {
        let selected = ctx.selected_stack().map(|s| &s.id);
        match event {
            Event::LogTarget {
                stack,
                instance: Some(instance),
                description,
            } => {
                self.on_target(stack, instance, description);
                selected == Some(stack)
            }
            Event::LogTarget {
                stack,
                instance: None,
                description,
            } => {
                self.target = None;
                self.streams.set_live(None);
                self.notes.insert(stack.clone(), one_line(description, 300));
                selected == Some(stack)
            }
            Event::Log {
                stack,
                instance,
                event,
            } => {
                self.on_log(stack, instance, event, ctx.now);
                self.shown_key(ctx)
                    .is_some_and(|(s, i)| &s == stack && &i == instance)
            }
            Event::Instances {
                stack,
                env,
                instances,
            } if *env == self.logs.env => {
                self.instances.insert(stack.clone(), instances.clone());
                self.picker.as_ref().is_some_and(|p| &p.stack == stack)
            }
            Event::FileWritten { path, result } => self.controls.on_file_written(path, result),
            _ => false,
        }
    }

    fn on_select(&mut self, _ctx: &Ctx) {
        self.picker = None;
        self.controls.close_prompt();
    }

    fn captures_keys(&self) -> bool {
        self.picker.is_some() || self.controls.captures_keys()
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome {
        if self.picker.is_some() {
            return self.picker_key(key);
        }
        if !self.controls.captures_keys()
            && self.controls.keys.action(&key) == Some(ViewKey::Instance)
        {
            return self.open_picker(ctx);
        }
        let shown = self.shown_key(ctx);
        let save_name = || match &shown {
            Some((s, i)) => Self::default_save_name(s, i),
            None => String::new(),
        };
        let view = shown
            .as_ref()
            .and_then(|(s, i)| self.streams.get_mut(s, i))
            .map(|s| &mut s.view);
        self.controls.on_key(key, view, save_name)
    }

    fn on_mouse(&mut self, mouse: MouseEvent, _inner: Rect, ctx: &Ctx) -> Outcome {
        if let Some(picker) = &mut self.picker {
            let instances = self
                .instances
                .get(&picker.stack)
                .map_or(&[][..], Vec::as_slice);
            let result = picker.on_mouse(mouse, instances);
            return self.picked(result);
        }
        let shown = self.shown_key(ctx);
        let view = shown
            .as_ref()
            .and_then(|(s, i)| self.streams.get_mut(s, i))
            .map(|s| &mut s.view);
        self.controls.on_mouse(mouse, view)
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        self.width = area.width.saturating_add(2);
        let shown = self.shown_key(ctx);
        if let Some((s, i)) = &shown {
            self.streams.touch(s, i);
        }
        let empty = self.empty_lines(ctx);
        let view = shown
            .as_ref()
            .and_then(|(s, i)| self.streams.get_mut(s, i))
            .map(|s| &mut s.view);
        self.controls.render(area, buf, view, ctx.theme, &empty);
        if let Some(picker) = &mut self.picker {
            let current = self
                .target
                .as_ref()
                .filter(|(s, _)| *s == picker.stack)
                .map(|(_, i)| i.as_str());
            let entries: Option<Vec<Entry<'_>>> = self.instances.get(&picker.stack).map(|list| {
                list.iter()
                    .map(|inst| Entry {
                        instance: inst,
                        current: current == Some(inst.id.as_str()),
                        kept: self.streams.kept_lines(&picker.stack, &inst.id),
                    })
                    .collect()
            });
            picker.render(area, buf, entries.as_deref(), ctx.theme);
        }
    }

    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        if self.picker.is_some() {
            let k = &self.picker_keys;
            let mut hints: Vec<Hint> = match (k.hint(PickKey::Follow), k.hint(PickKey::Number)) {
                (Some(f), Some(n)) => vec![Hint::owned(
                    format!("{}/{}", f.key, n.key),
                    "follow instance",
                )],
                (f, n) => f.into_iter().chain(n).collect(),
            };
            hints.extend(k.pair(PickKey::Down, PickKey::Up, "move"));
            hints.extend(k.hint(PickKey::Close));
            return hints;
        }
        if let Some(h) = self.controls.hints() {
            return h;
        }
        let mut hints = self.controls.keys.hints(&[ViewKey::Instance]);
        hints.extend(self.controls.view_hints());
        hints
    }

    fn help(&self) -> Vec<HelpSection> {
        let mut help = self.controls.help();
        help.insert(1, self.picker_keys.help());
        help
    }

    fn rebind(&mut self, config: &crate::config::keys::KeysConfig) {
        self.controls.rebind(&keys::LOGS, config);
        self.picker_keys = Keymap::new(&keys::PICKER, config);
    }
}
