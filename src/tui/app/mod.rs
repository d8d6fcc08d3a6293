//! The dashboard's top level: routes keys, clicks and engine events to the panes and
//! dialogs, turns intents into engine commands, and lays the screen out. It holds shared
//! state only (the board, the selection, focus) and the dashboard model (`tui::model`),
//! which it updates once per engine event before the panes see the event; each pane owns
//! only its cursor, scroll, hit boxes and view options.

use crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use ratatui::widgets::Block;

mod actions;
mod chrome;
mod command_line;
pub use command_line::command_names;
mod notices;

use super::input::{InputResult, LineInput};
use super::keymap::{Availability, Keymap};
use super::keys::{self, Global};
use super::layout::ScreenLayout;
use super::overlay::announce::{AnnounceDialog, AnnounceResult};
use super::overlay::confirm::{ConfirmDialog, DialogResult, OnConfirm};
use super::overlay::details::{DetailsOverlay, DetailsResult};
use super::overlay::gates::{GatesOverlay, GatesResult};
use super::overlay::help::{HelpOverlay, HelpResult};
use super::overlay::history::{HistoryOverlay, HistoryResult};
use super::overlay::keys::DialogKeys;
use super::overlay::messages::{MessagesOverlay, MessagesResult};
use super::overlay::report::{ReportOverlay, ReportResult};
use super::pane::{Ctx, Intent, Outcome, Pane, PaneId};
use super::panes::changes::ChangesPane;
use super::panes::deploy::DeployPane;
use super::panes::logs::LogsPane;
use super::panes::metrics::MetricsPane;
use super::panes::stacks::StacksPane;
use super::status::{Level, StatusLine};
use super::theme::Theme;
use crate::engine::release::Board;
use crate::engine::{Command, Event};
use crate::model::StackId;

/// Facts about the setup the dialogs show (where a promotion goes).
#[derive(Debug, Clone, Default)]
pub struct AppInfo {
    pub release: String,
    pub platform: String,
    /// How logs are kept (buffer size, line length) for the Logs and Deploy views.
    pub logs: crate::config::LogsConfig,
    /// How many metric series the config has (none: the Metrics pane says so).
    pub metrics_series: usize,
    /// Why deployments in flight stop when this process does (the embedded demo, a
    /// deploy command run as our child); `None` when they go on without us.
    pub stops_with_us: Option<String>,
}

struct Panes {
    stacks: StacksPane,
    changes: ChangesPane,
    metrics: MetricsPane,
    logs: LogsPane,
    deploy: DeployPane,
}

impl Panes {
    fn get(&mut self, id: PaneId) -> &mut dyn Pane {
        match id {
            PaneId::Stacks => &mut self.stacks,
            PaneId::Changes => &mut self.changes,
            PaneId::Metrics => &mut self.metrics,
            PaneId::Logs => &mut self.logs,
            PaneId::Deploy => &mut self.deploy,
        }
    }

    fn get_ref(&self, id: PaneId) -> &dyn Pane {
        match id {
            PaneId::Stacks => &self.stacks,
            PaneId::Changes => &self.changes,
            PaneId::Metrics => &self.metrics,
            PaneId::Logs => &self.logs,
            PaneId::Deploy => &self.deploy,
        }
    }
}

enum Overlay {
    /// Boxed: the dialog (with its reason input) is far larger than the others.
    Confirm(Box<ConfirmDialog>),
    Help(HelpOverlay),
    Announce(AnnounceDialog),
    Details(DetailsOverlay),
    Report(ReportOverlay),
    Gates(GatesOverlay),
    History(HistoryOverlay),
    Messages(MessagesOverlay),
}

pub struct App {
    info: AppInfo,
    theme: Theme,
    board: Board,
    selected: usize,
    focus: PaneId,
    zoom: bool,
    panes: Panes,
    overlay: Option<Overlay>,
    status: StatusLine,
    layout: ScreenLayout,
    /// Requests for the engine, taken by the event loop after each update.
    outbox: Vec<crate::engine::Request>,
    /// Promotions, rollbacks and aborts sent and not yet finished, by stack: a second
    /// one for the same stack waits for the engine's answer rather than guess.
    pending: std::collections::HashMap<StackId, crate::engine::RequestId>,
    /// Who holds the release lock, when someone else does.
    lock: Option<crate::engine::lock::Holder>,
    /// The pre-flight gates of the release, as the engine last judged them.
    gates: Option<crate::engine::gates::Report>,
    /// Text to put on the clipboard (the event loop writes it as OSC 52).
    clipboard: Option<String>,
    /// Announcement texts the user edited and closed without sending, by kind: reopening
    /// shows them again.
    announce_edits: std::collections::HashMap<crate::engine::AnnouncementKind, String>,
    /// The release announcement reached every channel; `a` now drafts the completion.
    release_announced: bool,
    /// A fixed header clock (tests and screenshots); None shows the time.
    clock: Option<String>,
    /// A fixed "now" for the ages of data ("2m ago"; tests); None reads the clock.
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// The `:` command line while it is being typed.
    command_line: Option<LineInput>,
    /// What the screen shows derived from engine events (flags, smoke, diffs), updated
    /// once per event before the panes see it.
    model: super::model::Model,
    /// The engine said it is read-only (the header says so; the engine refuses).
    read_only: bool,
    /// The engine said it is a dry run (the header says so).
    dry_run: bool,
    /// The selected stack's promotion, requested here, went live: the selection moves on
    /// to the next stack in order once the board shows it live.
    advance_from: Option<StackId>,
    quit: bool,
    /// The keys, as configured: everywhere, and in the dialogs (panes keep their own).
    keys: Keymap<Global>,
    dialog_keys: DialogKeys,
}

impl App {
    pub fn new(info: AppInfo, theme: Theme, board: Board) -> Self {
        let panes = Panes {
            stacks: StacksPane::new(),
            changes: ChangesPane::new(),
            metrics: MetricsPane::new(&info),
            logs: LogsPane::new(&info),
            deploy: DeployPane::new(&info),
        };
        App {
            info,
            theme,
            board,
            selected: 0,
            focus: PaneId::Stacks,
            zoom: false,
            panes,
            overlay: None,
            status: StatusLine::default(),
            layout: ScreenLayout::default(),
            outbox: Vec::new(),
            pending: Default::default(),
            lock: None,
            gates: None,
            clipboard: None,
            announce_edits: Default::default(),
            release_announced: false,
            clock: None,
            model: Default::default(),
            now: None,
            command_line: None,
            read_only: false,
            dry_run: false,
            advance_from: None,
            quit: false,
            keys: Keymap::defaults(&keys::GLOBAL),
            dialog_keys: DialogKeys::default(),
        }
    }

    /// Puts the configured keys (`[keys]`) in place of the defaults, everywhere.
    pub fn set_keys(&mut self, config: &crate::config::keys::KeysConfig) {
        self.keys = Keymap::new(&keys::GLOBAL, config);
        self.dialog_keys = DialogKeys::new(config);
        for id in PaneId::ALL {
            self.panes.get(id).rebind(config);
        }
    }

    /// Shows `text` in the header instead of the time, so a rendering can be compared.
    pub fn freeze_clock(&mut self, text: &str) {
        self.clock = Some(text.to_string());
    }

    /// Judges the age of data ("last known 16:02 (2m ago)") at `at` rather than by the
    /// clock, so a rendering can be compared.
    pub fn freeze_now(&mut self, at: chrono::DateTime<chrono::Utc>) {
        self.now = Some(at);
    }

    /// The time the age of data is judged at.
    pub(super) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.now.unwrap_or_else(chrono::Utc::now)
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn take_commands(&mut self) -> Vec<crate::engine::Request> {
        std::mem::take(&mut self.outbox)
    }

    /// An OSC 52 sequence to write to the terminal, if a pane asked to copy text.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    /// Queues a command for the engine.
    fn send(&mut self, cmd: Command) {
        self.send_request(crate::engine::Request::from(cmd));
    }

    fn send_request(&mut self, req: crate::engine::Request) {
        self.outbox.push(req);
    }

    /// An answer to what the user just did: always shown, whatever the line said.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.status.resolve(level, text);
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    pub fn focus(&self) -> PaneId {
        self.focus
    }

    pub fn selected_stack(&self) -> Option<&StackId> {
        self.board.stacks.get(self.selected).map(|s| &s.id)
    }

    /// Runs `f` with a pane and the context it needs (split borrow of self).
    fn with_pane<R>(&mut self, id: PaneId, f: impl FnOnce(&mut dyn Pane, &Ctx) -> R) -> R {
        let ctx = Ctx {
            model: &self.model,
            now: self.now(),
            requested: &self.pending,
            board: &self.board,
            selected: self.selected,
            theme: &self.theme,
            focused: self.focus == id,
        };
        f(self.panes.get(id), &ctx)
    }

    // ---- engine events ----

    /// Returns whether the screen needs redrawing.
    pub fn on_engine_event(&mut self, event: Event) -> bool {
        let applied = self.model.apply(&event);
        let mut dirty = applied.changed;
        if let (Event::Metrics(update), true) = (&event, applied.flags_moved) {
            dirty |= self.on_flags_moved(update);
        }
        dirty |= match &event {
            Event::Lock(holder) => {
                self.lock = holder.clone().filter(|h| !h.is_me());
                true
            }
            Event::Gates(report) => {
                self.gates = Some(report.clone());
                true
            }
            Event::History(result) => match &mut self.overlay {
                Some(Overlay::History(h)) => {
                    *h = HistoryOverlay::new(result, &self.board, &self.theme);
                    true
                }
                _ => false,
            },
            Event::Answer { id, stack, .. } => {
                let ours = self.pending.get(stack) == Some(id);
                if ours
                    && matches!(
                        &event,
                        Event::Answer {
                            answer: crate::engine::Answer::Refused(_)
                                | crate::engine::Answer::Finished(_),
                            ..
                        }
                    )
                {
                    self.pending.remove(stack);
                }
                if ours
                    && self.selected_stack() == Some(stack)
                    && matches!(
                        &event,
                        Event::Answer {
                            answer: crate::engine::Answer::Finished(
                                crate::engine::Outcome::Live { .. }
                            ),
                            ..
                        }
                    )
                {
                    self.advance_from = Some(stack.clone());
                }
                self.notice(&event)
            }
            Event::Board(board) => {
                let selected_id = self.selected_stack().cloned();
                self.board = board.clone();
                // Keep the same stack selected even if the board changed shape.
                self.selected = selected_id
                    .and_then(|id| self.board.stacks.iter().position(|s| s.id == id))
                    .unwrap_or(0);
                true
            }
            other => self.notice(other),
        };
        for id in PaneId::ALL {
            dirty |= self.with_pane(id, |p, ctx| p.on_event(&event, ctx));
        }
        dirty |= self.advance_to_next();
        dirty
    }

    /// What `a` drafts: the release announcement, then, once it reached every channel,
    /// the completion message.
    fn next_announcement(&self) -> crate::engine::AnnouncementKind {
        if self.release_announced {
            crate::engine::AnnouncementKind::Completion
        } else {
            crate::engine::AnnouncementKind::Release
        }
    }

    /// After a promotion of the selected stack went live, selects the next stack in
    /// order (once the board shows it live), so `Enter` promotes the next one.
    fn advance_to_next(&mut self) -> bool {
        let Some(from) = &self.advance_from else {
            return false;
        };
        if self.selected_stack() != Some(from) {
            // The user moved on already.
            self.advance_from = None;
            return false;
        }
        let Some(stack) = self.board.get(from) else {
            self.advance_from = None;
            return false;
        };
        // Live everywhere: with more environments, a step to staging leaves the stack
        // next in line for live, and the selection stays on it.
        let everywhere = stack.versions.as_ref().is_some_and(|v| {
            v.envs
                .iter()
                .all(|e| v.envs.first().is_some_and(|f| f.version == e.version))
        });
        if !(stack.is_done() && everywhere) {
            if !stack.is_done() && stack.phase.in_flight().is_none() {
                self.advance_from = None;
            }
            return false;
        }
        self.advance_from = None;
        match self.board.next_up() {
            Some(i) if i != self.selected => {
                self.select(i);
                true
            }
            _ => false,
        }
    }

    fn name_of(&self, id: &StackId) -> String {
        self.board
            .get(id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    }

    // ---- terminal events ----

    pub fn on_terminal_event(&mut self, event: TermEvent) -> bool {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
                self.on_key(key);
                true
            }
            TermEvent::Mouse(mouse) => self.on_mouse(mouse),
            TermEvent::Paste(text) => match &mut self.overlay {
                Some(Overlay::Announce(d)) => {
                    d.paste(&text);
                    true
                }
                _ => false,
            },
            TermEvent::Resize(..) => true,
            _ => false,
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        if self.overlay.is_none() && self.command_line.is_some() {
            self.on_command_line_key(key);
            return;
        }
        let interrupt = self.keys.action(&key) == Some(Global::Interrupt);
        if interrupt && self.overlay.is_none() {
            self.request_quit();
            return;
        }
        if self.overlay.is_some() {
            self.on_overlay_key(key, interrupt);
            return;
        }
        let focus = self.focus;
        let outcome = self.with_pane(focus, |p, ctx| p.on_key(key, ctx));
        let captured = self.panes.get_ref(focus).captures_keys();
        match outcome {
            Outcome::Ignored if !captured => self.global_key(key),
            other => self.apply(other),
        }
    }

    /// A key while the `:` command line is open: Enter runs the line, Esc closes it.
    fn on_command_line_key(&mut self, key: KeyEvent) {
        let Some(input) = &mut self.command_line else {
            return;
        };
        match input.on_key(key) {
            InputResult::Accepted => {
                let line = input.text().trim().to_string();
                self.command_line = None;
                self.run_command_line(&line);
            }
            InputResult::Cancelled => self.command_line = None,
            InputResult::Changed | InputResult::Unchanged => {}
        }
    }

    /// A key while an overlay is open goes to it alone; the key that opened a page
    /// closes it again, and an interrupt cancels a confirmation.
    fn on_overlay_key(&mut self, key: KeyEvent, interrupt: bool) {
        let Some(overlay) = &mut self.overlay else {
            return;
        };
        match overlay {
            Overlay::Confirm(d) => {
                let result = if interrupt {
                    DialogResult::Cancelled
                } else {
                    d.on_key(key, &self.dialog_keys.confirm)
                };
                self.dialog_result(result);
            }
            Overlay::Help(h) => {
                if let HelpResult::Closed = h.on_key(key, &self.dialog_keys.help) {
                    self.overlay = None;
                }
            }
            Overlay::Details(d) => {
                let opened_it = self.keys.action(&key) == Some(Global::Details);
                if let DetailsResult::Closed = d.on_key(key, &self.dialog_keys.page, opened_it) {
                    self.overlay = None;
                }
            }
            Overlay::Report(d) => {
                let result = d.on_key(key, &self.dialog_keys);
                self.report_result(result);
            }
            Overlay::Gates(g) => {
                let opened_it = self.keys.action(&key) == Some(Global::Gates);
                if let GatesResult::Closed = g.on_key(key, &self.dialog_keys.page, opened_it) {
                    self.overlay = None;
                }
            }
            Overlay::History(h) => {
                let opened_it = self.keys.action(&key) == Some(Global::History);
                if let HistoryResult::Closed = h.on_key(key, &self.dialog_keys.history, opened_it) {
                    self.overlay = None;
                }
            }
            Overlay::Messages(m) => {
                if let MessagesResult::Closed = m.on_key(key, &self.dialog_keys.messages, false) {
                    self.overlay = None;
                }
            }
            Overlay::Announce(d) => {
                let kind = d.kind;
                let result = d.on_key(key, &self.dialog_keys.announce);
                self.announce_result(kind, result);
            }
        }
    }

    /// What the report page asked for: saving it to a file, posting it, or a word.
    fn report_result(&mut self, result: ReportResult) {
        match result {
            ReportResult::Open => {}
            ReportResult::Closed => self.overlay = None,
            ReportResult::Save(path, contents) => {
                self.say(
                    Level::Info,
                    format!("Saving the report to {}…", path.display()),
                );
                self.send(Command::WriteFile { path, contents });
            }
            ReportResult::Post(text) => {
                self.send(Command::PostReport { text });
                self.say(Level::Info, "Posting the report to the release thread…");
            }
            ReportResult::Say(text) => self.say(Level::Warn, text),
        }
    }

    /// What the announcement dialog asked for. An edit cancelled or sent is kept, so
    /// reopening (or retrying) starts from it; a redraft forgets it.
    fn announce_result(&mut self, kind: crate::engine::AnnouncementKind, result: AnnounceResult) {
        match result {
            AnnounceResult::Open => {}
            AnnounceResult::Refused(why) => self.say(Level::Warn, why),
            AnnounceResult::Cancelled(text) => {
                self.announce_edits.insert(kind, text);
                self.overlay = None;
                self.say(Level::Info, "Announcement not sent; a reopens your edit.");
            }
            AnnounceResult::Redraft => {
                self.announce_edits.remove(&kind);
                self.overlay = None;
                self.send(Command::DraftAnnouncement { kind });
            }
            AnnounceResult::Send(text) => {
                // Kept until delivered everywhere, so a retry starts from it.
                self.announce_edits.insert(kind, text.clone());
                self.overlay = None;
                self.send(Command::Announce {
                    text,
                    kind,
                    force: false,
                    again: false,
                });
                self.say(Level::Info, "Posting the announcement…");
            }
        }
    }

    /// Whether a global action can be done now, and why not (said in the status line).
    fn global_availability(&self, action: Global, index: usize) -> Availability {
        let needs_stack = matches!(
            action,
            Global::Promote
                | Global::Rollback
                | Global::Abort
                | Global::Smoke
                | Global::Details
                | Global::Approve
        );
        if needs_stack && self.selected_stack().is_none() {
            return Availability::why_not("No stack is selected (the stacks are not known yet).");
        }
        if action == Global::SelectStack && index >= self.board.stacks.len() {
            return Availability::why_not(format!(
                "There is no stack {} ({} stacks).",
                index + 1,
                self.board.stacks.len()
            ));
        }
        Availability::Ready
    }

    fn global_key(&mut self, key: KeyEvent) {
        let Some((action, index)) = self.keys.lookup(&key) else {
            return;
        };
        if let Availability::Unavailable(why) = self.global_availability(action, index) {
            return self.say(Level::Warn, why);
        }
        let selected = self.selected_stack().cloned();
        match action {
            Global::Quit | Global::Interrupt => self.request_quit(),
            Global::Help => self.open_help(),
            Global::CommandLine => self.command_line = Some(LineInput::start("")),
            Global::FocusNext => self.cycle_focus(1),
            Global::FocusPrev => self.cycle_focus(-1),
            Global::Zoom => self.zoom = !self.zoom,
            Global::Back => {
                if self.zoom {
                    self.zoom = false;
                } else {
                    self.status.clear();
                }
            }
            Global::Refresh => {
                self.send(Command::Refresh);
                self.say(Level::Info, "Reading versions from the platform…");
            }
            Global::SelectStack => self.select(index),
            Global::Promote => {
                if let Some(s) = selected {
                    self.request_promote(s);
                }
            }
            Global::Rollback => {
                if let Some(s) = selected {
                    self.request_rollback(s);
                }
            }
            Global::Abort => {
                if let Some(s) = selected {
                    self.request_abort(s);
                }
            }
            Global::Smoke => {
                if let Some(stack) = selected {
                    let name = self.name_of(&stack);
                    self.send(Command::Smoke { stack });
                    self.say(Level::Info, format!("Running {name}'s smoke checks…"));
                }
            }
            Global::Details => {
                if let Some(stack) = self.board.stacks.get(self.selected) {
                    let smoke = self.model.smoke_of(&stack.id);
                    let flag = self.model.attention_of(&stack.id).map(|w| w.full.clone());
                    self.overlay = Some(Overlay::Details(DetailsOverlay::new(
                        stack,
                        smoke,
                        flag,
                        &self.theme,
                    )));
                }
            }
            Global::Report => {
                self.send(Command::DraftReport {
                    scope: Default::default(),
                });
                self.say(Level::Info, "Building the release report from the journal…");
            }
            Global::Gates => self.open_gates(),
            Global::History => {
                self.overlay = Some(Overlay::History(HistoryOverlay::loading(&self.theme)));
                self.send(Command::LoadHistory);
            }
            Global::Approve => {
                if let Some(s) = selected {
                    self.request_approve(s, None);
                }
            }
            Global::Announce => {
                let kind = self.next_announcement();
                self.send(Command::DraftAnnouncement { kind });
                self.say(Level::Info, format!("Drafting the {}…", kind.words()));
            }
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> bool {
        if let Some(Overlay::Confirm(d)) = &mut self.overlay {
            let result = d.on_mouse(mouse);
            self.dialog_result(result);
            return true;
        }
        if self.overlay.is_some() {
            return false;
        }
        let Some((id, area)) = self.layout.pane_at(mouse.column, mouse.row) else {
            return false;
        };
        if let MouseEventKind::Down(_) = mouse.kind {
            self.focus = id;
        }
        let inner = Block::bordered().inner(area);
        let outcome = self.with_pane(id, |p, ctx| p.on_mouse(mouse, inner, ctx));
        self.apply(outcome);
        true
    }

    fn apply(&mut self, outcome: Outcome) {
        let Outcome::Intent(intent) = outcome else {
            return;
        };
        match intent {
            Intent::Select(i) => self.select(i),
            Intent::Promote(s) => self.request_promote(s),
            Intent::Rollback(s) => self.request_rollback(s),
            Intent::Abort(s) => self.request_abort(s),
            Intent::Send(cmd) => self.send(cmd),
            Intent::Say(text) => self.say(Level::Info, text),
            Intent::Copy(osc52) => {
                self.clipboard = Some(osc52);
                self.say(
                    Level::Info,
                    "Copied the line (your terminal must allow OSC 52)",
                );
            }
        }
    }

    fn select(&mut self, i: usize) {
        if i == self.selected || i >= self.board.stacks.len() {
            return;
        }
        self.selected = i;
        for id in PaneId::ALL {
            self.with_pane(id, |p, ctx| p.on_select(ctx));
        }
        let stack = self.board.stacks[i].id.clone();
        self.send(Command::Select { stack });
    }

    fn cycle_focus(&mut self, step: isize) {
        let all = PaneId::ALL;
        let i = all.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        self.focus = all[(i + step).rem_euclid(all.len() as isize) as usize];
    }

    fn open_messages(&mut self) {
        self.overlay = Some(Overlay::Messages(MessagesOverlay::new(
            self.status.history(),
            &self.theme,
        )));
    }

    fn open_gates(&mut self) {
        self.overlay = Some(Overlay::Gates(GatesOverlay::new(
            self.gates.as_ref(),
            &self.theme,
        )));
    }

    /// Every key of every scope, from the tables dispatch uses, as configured.
    pub fn help_sections(&self) -> Vec<crate::tui::keymap::HelpSection> {
        let mut sections = vec![self.keys.help()];
        for id in PaneId::ALL {
            sections.extend(self.panes.get_ref(id).help());
        }
        sections.push(crate::tui::keymap::HelpSection {
            title: "Command line (:)".to_string(),
            rows: command_line::COMMANDS
                .iter()
                .map(|(c, what)| crate::tui::pane::Hint::new(c, what))
                .collect(),
        });
        sections.push(crate::tui::input::keymap().help());
        sections.extend(self.dialog_keys.help_sections());
        sections
    }

    fn open_help(&mut self) {
        self.overlay = Some(Overlay::Help(HelpOverlay::new(self.help_sections())));
    }

    // ---- dangerous actions: always through a dialog ----

    fn dialog_result(&mut self, result: DialogResult) {
        match result {
            DialogResult::Open => {}
            DialogResult::Refused(why) => self.say(Level::Warn, why),
            DialogResult::Cancelled => self.overlay = None,
            DialogResult::Confirmed(action) => {
                self.overlay = None;
                match action {
                    OnConfirm::Quit => self.quit = true,
                    OnConfirm::Send(cmd) => self.send_confirmed(cmd),
                }
            }
        }
    }

    // ---- drawing ----
}
