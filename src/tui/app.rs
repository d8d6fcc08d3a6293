//! The dashboard's top level: routes keys, clicks and engine events to the panes and
//! dialogs, turns intents into engine commands, and lays the screen out. It holds shared
//! state only (the board, the selection, focus); each pane owns its own.

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};

use super::keys;
use super::layout::{self, ScreenLayout};
use super::overlay::announce::{AnnounceDialog, AnnounceResult};
use super::overlay::confirm::{ConfirmDialog, DialogResult, OnConfirm};
use super::overlay::details::{DetailsOverlay, DetailsResult};
use super::overlay::help::{HelpOverlay, HelpResult};
use super::pane::{Ctx, Hint, Intent, Outcome, Pane, PaneId};
use super::panes::changes::ChangesPane;
use super::panes::deploy::DeployPane;
use super::panes::logs::LogsPane;
use super::panes::metrics::MetricsPane;
use super::panes::stacks::StacksPane;
use super::status::{Level, StatusLine};
use super::theme::Theme;
use crate::engine::release::{Board, Refusal};
use crate::engine::{Command, Event};
use crate::model::{StackId, Version};

/// Facts about the setup the dialogs show (where a promotion goes).
#[derive(Debug, Clone, Default)]
pub struct AppInfo {
    pub release: String,
    pub platform: String,
    /// How logs are kept (buffer size, line length) for the Logs and Deploy views.
    pub logs: crate::config::LogsConfig,
    /// How many metric series the config has (none: the Metrics pane says so).
    pub metrics_series: usize,
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
    Confirm(ConfirmDialog),
    Help(HelpOverlay),
    Announce(AnnounceDialog),
    Details(DetailsOverlay),
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
    /// Commands for the engine, taken by the event loop after each update.
    outbox: Vec<Command>,
    /// Text to put on the clipboard (the event loop writes it as OSC 52).
    clipboard: Option<String>,
    /// Announcement texts the user edited and closed without sending, by kind
    /// (completion or not): reopening shows them again.
    announce_edits: std::collections::HashMap<bool, String>,
    /// The release announcement reached every channel; `a` now drafts the completion.
    release_announced: bool,
    /// A fixed header clock (tests and screenshots); None shows the time.
    clock: Option<String>,
    /// Stacks whose metrics are flagged now, so a new flag is announced once.
    flagged: std::collections::HashSet<StackId>,
    quit: bool,
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
            clipboard: None,
            announce_edits: Default::default(),
            release_announced: false,
            clock: None,
            flagged: Default::default(),
            quit: false,
        }
    }

    /// Shows `text` in the header instead of the time, so a rendering can be compared.
    pub fn freeze_clock(&mut self, text: &str) {
        self.clock = Some(text.to_string());
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.outbox)
    }

    /// An OSC 52 sequence to write to the terminal, if a pane asked to copy text.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.status.say(level, text);
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
        let mut dirty = match &event {
            Event::Board(board) => {
                let selected_id = self.selected_stack().cloned();
                self.board = board.clone();
                // Keep the same stack selected even if the board changed shape.
                self.selected = selected_id
                    .and_then(|id| self.board.stacks.iter().position(|s| s.id == id))
                    .unwrap_or(0);
                true
            }
            Event::Problem { context, message } => {
                self.status
                    .say(Level::Error, format!("{context}: {message}"));
                true
            }
            Event::Refused { action, refusal } => {
                self.status.say(
                    Level::Warn,
                    format!("Not {}: {refusal}", ing(action.verb())),
                );
                true
            }
            Event::Notice(text) => {
                self.status.say(Level::Info, text.clone());
                true
            }
            Event::AnnouncementDraft {
                completion,
                text,
                targets,
            } => {
                let (text, edited) = match self.announce_edits.get(completion) {
                    Some(edit) => (edit.clone(), true),
                    None => (text.clone(), false),
                };
                self.overlay = Some(Overlay::Announce(AnnounceDialog::new(
                    *completion,
                    targets.clone(),
                    &text,
                    edited,
                )));
                true
            }
            Event::Announced { what, delivery } => {
                let outcome: Vec<String> = delivery
                    .targets
                    .iter()
                    .map(|t| format!("{} {}", t.target, t.status))
                    .collect();
                let level = if delivery.is_complete() {
                    Level::Info
                } else {
                    Level::Error
                };
                let mut text = format!("{what}: {}", outcome.join(", "));
                if delivery.has_failures() {
                    text.push_str(" (a to retry the failed ones)");
                }
                if what == "release announcement" && delivery.is_complete() {
                    self.release_announced = true;
                    self.announce_edits.remove(&false);
                }
                if what == "completion message" && delivery.is_complete() {
                    self.announce_edits.remove(&true);
                }
                self.status.say(level, text);
                true
            }
            Event::Metrics(update) => {
                let flagged: Vec<String> = update
                    .flagged()
                    .map(|s| {
                        let word =
                            if matches!(s.verdict, crate::feeds::metrics::Verdict::Drop { .. }) {
                                "DROP"
                            } else {
                                "SPIKE"
                            };
                        format!("{} {word}", s.name)
                    })
                    .collect();
                let name = self.name_of(&update.stack);
                let was = self.flagged.contains(&update.stack);
                if !flagged.is_empty() && !was {
                    self.flagged.insert(update.stack.clone());
                    let can_roll_back = self.board.check_rollback(&update.stack, None).is_ok();
                    let offer = if can_roll_back {
                        " — r rolls it back, v shows details"
                    } else {
                        " — v shows details"
                    };
                    self.status.say(
                        Level::Error,
                        format!("{name}: {}{offer}", flagged.join(", ")),
                    );
                    true
                } else if flagged.is_empty() && was {
                    self.flagged.remove(&update.stack);
                    self.status
                        .say(Level::Info, format!("{name}: metrics no longer flagged"));
                    true
                } else {
                    false
                }
            }
            Event::Smoke { stack, report, .. } => {
                let name = self.name_of(stack);
                let level = if report.passed() {
                    Level::Info
                } else {
                    Level::Error
                };
                self.status
                    .say(level, format!("{name}: smoke tests {}", report.summary()));
                true
            }
            Event::FileWritten { path, result } => {
                match result {
                    Ok(n) => self.status.say(
                        Level::Info,
                        format!("Saved {n} bytes to {}", path.display()),
                    ),
                    Err(e) => self.status.say(
                        Level::Error,
                        format!("Could not save {}: {e}", path.display()),
                    ),
                }
                true
            }
            Event::DeployFinished {
                stack,
                state,
                message,
                ..
            } => {
                let name = self.name_of(stack);
                let detail = message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                let level = match state {
                    crate::model::DeployState::Succeeded => Level::Info,
                    _ => Level::Error,
                };
                self.status.say(
                    level,
                    format!(
                        "{name}: deployment {}{detail}",
                        format!("{state:?}").to_lowercase()
                    ),
                );
                true
            }
            _ => false,
        };
        for id in PaneId::ALL {
            dirty |= self.with_pane(id, |p, ctx| p.on_event(&event, ctx));
        }
        dirty
    }

    fn name_of(&self, id: &StackId) -> String {
        self.board
            .get(id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
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
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') && self.overlay.is_none() {
            self.request_quit();
            return;
        }
        if let Some(overlay) = &mut self.overlay {
            match overlay {
                Overlay::Confirm(d) => {
                    let result = if ctrl && key.code == KeyCode::Char('c') {
                        DialogResult::Cancelled
                    } else {
                        d.on_key(key)
                    };
                    self.dialog_result(result);
                }
                Overlay::Help(h) => {
                    if let HelpResult::Closed = h.on_key(key) {
                        self.overlay = None;
                    }
                }
                Overlay::Details(d) => {
                    if let DetailsResult::Closed = d.on_key(key) {
                        self.overlay = None;
                    }
                }
                Overlay::Announce(d) => {
                    let completion = d.completion;
                    match d.on_key(key) {
                        AnnounceResult::Open => {}
                        AnnounceResult::Cancelled(text) => {
                            self.announce_edits.insert(completion, text);
                            self.overlay = None;
                            self.say(Level::Info, "Announcement not sent; a reopens your edit.");
                        }
                        AnnounceResult::Redraft => {
                            self.announce_edits.remove(&completion);
                            self.overlay = None;
                            self.outbox.push(Command::DraftAnnouncement { completion });
                        }
                        AnnounceResult::Send(text) => {
                            // Kept until delivered everywhere, so a retry starts from it.
                            self.announce_edits.insert(completion, text.clone());
                            self.overlay = None;
                            self.outbox.push(Command::Announce {
                                text,
                                completion,
                                force: false,
                            });
                            self.say(Level::Info, "Posting the announcement…");
                        }
                    }
                }
            }
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

    fn global_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let selected = self.selected_stack().cloned();
        match key.code {
            KeyCode::Char('q') => self.request_quit(),
            KeyCode::Char('?') => self.open_help(),
            KeyCode::Tab => self.cycle_focus(1),
            KeyCode::BackTab => self.cycle_focus(-1),
            KeyCode::Char('z') => self.zoom = !self.zoom,
            KeyCode::Esc => {
                if self.zoom {
                    self.zoom = false;
                } else {
                    self.status.clear();
                }
            }
            KeyCode::Char('r') if ctrl => {
                self.outbox.push(Command::Refresh);
                self.say(Level::Info, "Reading versions from the platform…");
            }
            KeyCode::Char(c @ '1'..='9') if !ctrl => {
                let i = c as usize - '1' as usize;
                if i < self.board.stacks.len() {
                    self.select(i);
                }
            }
            KeyCode::Char('p') => {
                if let Some(s) = selected {
                    self.request_promote(s);
                }
            }
            KeyCode::Char('r') => {
                if let Some(s) = selected {
                    self.request_rollback(s);
                }
            }
            KeyCode::Char('x') => {
                if let Some(s) = selected {
                    self.request_abort(s);
                }
            }
            KeyCode::Char('s') => {
                if let Some(stack) = selected {
                    let name = self.name_of(&stack);
                    self.outbox.push(Command::Smoke { stack });
                    self.say(Level::Info, format!("Running {name}'s smoke checks…"));
                }
            }
            KeyCode::Char('v') => {
                if let Some(stack) = self.board.stacks.get(self.selected) {
                    let smoke = self.panes.stacks.smoke_of(&stack.id);
                    let flag = self.panes.stacks.flag_of(&stack.id);
                    self.overlay = Some(Overlay::Details(DetailsOverlay::new(
                        stack,
                        smoke,
                        flag,
                        &self.theme,
                    )));
                }
            }
            KeyCode::Char('a') => {
                let completion = self.release_announced;
                self.outbox.push(Command::DraftAnnouncement { completion });
                let what = if completion {
                    "the completion message"
                } else {
                    "the release announcement"
                };
                self.say(Level::Info, format!("Drafting {what}…"));
            }
            _ => {}
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
            Intent::Send(cmd) => self.outbox.push(cmd),
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
        self.outbox.push(Command::Select { stack });
    }

    fn cycle_focus(&mut self, step: isize) {
        let all = PaneId::ALL;
        let i = all.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        self.focus = all[(i + step).rem_euclid(all.len() as isize) as usize];
    }

    fn open_help(&mut self) {
        let mut sections = vec![("Everywhere".to_string(), keys::GLOBAL.to_vec())];
        for id in PaneId::ALL {
            let hints = self.with_pane(id, |p, ctx| p.hints(ctx));
            sections.push((format!("{} pane", id.name()), hints));
        }
        sections.push((
            "Dialogs".to_string(),
            vec![
                Hint::new("⏎/y", "confirm"),
                Hint::new("Esc/n", "cancel"),
                Hint::new("o", "override the promotion order"),
                Hint::new("Tab", "switch button"),
            ],
        ));
        self.overlay = Some(Overlay::Help(HelpOverlay::new(sections)));
    }

    // ---- dangerous actions: always through a dialog ----

    fn request_promote(&mut self, stack: StackId) {
        let (plan, order_warning) = match self.board.check_promote(&stack, None, false) {
            Ok(plan) => (plan, None),
            Err(Refusal::OutOfOrder { waiting_on, .. }) => {
                match self.board.check_promote(&stack, None, true) {
                    Ok(plan) => {
                        let verb = if waiting_on.len() == 1 { "is" } else { "are" };
                        (
                            plan,
                            Some(format!(
                                "Out of order: {} {verb} not live yet.",
                                waiting_on.join(", ")
                            )),
                        )
                    }
                    Err(refusal) => return self.say(Level::Warn, refusal.to_string()),
                }
            }
            Err(refusal) => return self.say(Level::Warn, refusal.to_string()),
        };
        let name = self.name_of(&stack);
        let theme = &self.theme;
        let body = vec![
            field(
                "Stack",
                Span::styled(format!("{name} ({stack})"), theme.title),
            ),
            field("Live now", Span::raw(plan.from.short().to_string())),
            field(
                "Deploy",
                Span::styled(
                    format!("{}  (the version on test)", plan.to.short()),
                    theme.accent,
                ),
            ),
            field("Environment", Span::styled("live", theme.warn)),
            field("Platform", Span::raw(self.info.platform.clone())),
        ];
        let mut body = body;
        body.extend(self.changes_lines(&plan.from, &plan.to, "Ships"));
        let mut dialog = ConfirmDialog::new(
            format!("Promote {name} to live?"),
            body,
            "Promote",
            OnConfirm::Send(Command::Promote {
                stack,
                expected: Some(plan.to.clone()),
                override_order: false,
            }),
        );
        if let Some(w) = order_warning {
            dialog = dialog.needing_override(w);
        }
        self.overlay = Some(Overlay::Confirm(dialog));
    }

    /// What moving live from `from` to `to` brings (or, for a rollback, takes away): the
    /// summary, the first subjects, and drift, when the diff is known.
    fn changes_lines(&self, from: &Version, to: &Version, label: &str) -> Vec<Line<'static>> {
        const SHOWN: usize = 6;
        let theme = &self.theme;
        let Some(cs) = self.panes.changes.change_set(from, to) else {
            return vec![field(
                label,
                Span::styled("(history not read yet)", theme.dim),
            )];
        };
        let mut summary = cs.summary();
        if !cs.risk_counts.is_empty() {
            let risks: Vec<String> = cs.risk_counts.keys().map(|r| r.to_uppercase()).collect();
            summary.push_str(&format!(" ({})", risks.join(", ")));
        }
        let style = if cs.risky > 0 { theme.warn } else { theme.text };
        let mut lines = vec![field(label, Span::styled(summary, style))];
        for c in cs.commits.iter().take(SHOWN) {
            let mut text = format!("{} {}", c.short, crate::text::one_line(&c.subject, 48));
            if let Some(pr) = c.pr.map(|p| p.to_string())
                && !c.subject.contains(&pr)
            {
                text.push_str(&format!(" {pr}"));
            }
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(15)),
                Span::styled(text, theme.dim),
            ]));
        }
        if cs.commits.len() > SHOWN {
            let more = format!("…and {} more", cs.commits.len() - SHOWN);
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(15)),
                Span::styled(more, theme.dim),
            ]));
        }
        if let Some(d) = &cs.drift {
            lines.push(Line::styled(
                format!(
                    "⚠ Live has {} commit(s) test lacks; this removes them from live.",
                    d.live_only.len()
                ),
                theme.error,
            ));
        }
        lines
    }

    fn request_rollback(&mut self, stack: StackId) {
        let plan = match self.board.check_rollback(&stack, None) {
            Ok(plan) => plan,
            Err(refusal) => return self.say(Level::Warn, refusal.to_string()),
        };
        let name = self.name_of(&stack);
        let body = vec![
            field(
                "Stack",
                Span::styled(format!("{name} ({stack})"), self.theme.title),
            ),
            field("Live now", Span::raw(plan.from.short().to_string())),
            field(
                "Roll back to",
                Span::styled(
                    format!("{}  (live before the promotion)", plan.to.short()),
                    self.theme.accent,
                ),
            ),
            field("Environment", Span::styled("live", self.theme.warn)),
        ];
        let mut body = body;
        body.extend(self.changes_lines(&plan.to, &plan.from, "Reverts"));
        self.overlay = Some(Overlay::Confirm(ConfirmDialog::new(
            format!("Roll {name} back on live?"),
            body,
            "Roll back",
            OnConfirm::Send(Command::Rollback {
                stack,
                to: Some(plan.to),
            }),
        )));
    }

    fn request_abort(&mut self, stack: StackId) {
        let deployment = match self.board.check_abort(&stack) {
            Ok(d) => d,
            Err(refusal) => return self.say(Level::Warn, refusal.to_string()),
        };
        let name = self.name_of(&stack);
        let body = vec![
            field(
                "Stack",
                Span::styled(format!("{name} ({stack})"), self.theme.title),
            ),
            field("Deployment", Span::raw(format!("#{}", deployment.id))),
            field("Environment", Span::styled("live", self.theme.warn)),
            Line::raw(""),
            Line::styled(
                "Some instances may already run the new version.",
                self.theme.warn,
            ),
        ];
        self.overlay = Some(Overlay::Confirm(ConfirmDialog::new(
            format!("Abort {name}'s deployment?"),
            body,
            "Abort",
            OnConfirm::Send(Command::Abort { stack }),
        )));
    }

    fn request_quit(&mut self) {
        let moving: Vec<String> = self
            .board
            .stacks
            .iter()
            .filter_map(|s| {
                s.phase.in_flight().map(|t| match &t.deployment {
                    Some(d) => format!("{} (#{})", s.name, d.id),
                    None => s.name.clone(),
                })
            })
            .collect();
        if moving.is_empty() {
            self.quit = true;
            return;
        }
        let body = vec![
            Line::raw(format!("A deployment is in flight: {}.", moving.join(", "))),
            Line::raw("It goes on without the dashboard; slipway only stops watching."),
            Line::raw("Run slipway again to follow it."),
        ];
        self.overlay = Some(Overlay::Confirm(ConfirmDialog::new(
            "Quit slipway?",
            body,
            "Quit",
            OnConfirm::Quit,
        )));
    }

    fn dialog_result(&mut self, result: DialogResult) {
        match result {
            DialogResult::Open => {}
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

    /// Sends a confirmed command and shows its effect at once: the board is updated with
    /// the same pure transition the engine will make, so a second request made before
    /// the engine answers is refused here too. The engine's next board replaces this.
    fn send_confirmed(&mut self, cmd: Command) {
        let now = chrono::Utc::now();
        match &cmd {
            Command::Promote {
                stack,
                expected,
                override_order,
            } => {
                match self
                    .board
                    .check_promote(stack, expected.as_ref(), *override_order)
                {
                    Ok(plan) => self.board.begin_promotion(&plan, now),
                    Err(refusal) => return self.say(Level::Warn, refusal.to_string()),
                }
            }
            Command::Rollback { stack, to } => {
                match self.board.check_rollback(stack, to.as_ref()) {
                    Ok(plan) => self.board.begin_rollback(&plan, now),
                    Err(refusal) => return self.say(Level::Warn, refusal.to_string()),
                }
            }
            _ => {}
        }
        self.outbox.push(cmd);
    }

    // ---- drawing ----

    pub fn render(&mut self, frame: &mut Frame) {
        let area = frame.area();
        let zoom = self.zoom.then_some(self.focus);
        self.layout = layout::compute(area, zoom, self.board.stacks.len());
        let buf = frame.buffer_mut();
        if self.layout.too_small {
            let msg = format!(
                "Terminal too small ({}×{}); slipway needs {}×{}.",
                area.width,
                area.height,
                layout::MIN_WIDTH,
                layout::MIN_HEIGHT
            );
            Paragraph::new(msg)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(area, buf);
            return;
        }
        self.render_header(buf);
        for (id, rect) in self.layout.panes.clone() {
            self.render_pane(id, rect, buf);
        }
        self.render_status(buf);
        self.render_hints(buf);
        match &mut self.overlay {
            Some(Overlay::Confirm(d)) => d.render(area, buf, &self.theme),
            Some(Overlay::Help(h)) => h.render(area, buf, &self.theme),
            Some(Overlay::Announce(d)) => d.render(area, buf, &self.theme),
            Some(Overlay::Details(d)) => d.render(area, buf, &self.theme),
            None => {}
        }
    }

    fn render_header(&self, buf: &mut Buffer) {
        let area = self.layout.header;
        buf.set_style(area, self.theme.header);
        let mut text = format!(" slipway · {}", self.info.release);
        if let Some(s) = self.board.stacks.get(self.selected) {
            text.push_str(&format!(" · {}", s.name));
            if let Some(v) = &s.versions {
                text.push_str(&format!(
                    " · test {} ⇢ live {}",
                    v.test.short(),
                    v.live.short()
                ));
            }
        }
        let clock = match &self.clock {
            Some(fixed) => format!("{fixed} "),
            None => chrono::Local::now().format("%H:%M ").to_string(),
        };
        buf.set_string(area.x, area.y, text, self.theme.header);
        let x = area.right().saturating_sub(clock.len() as u16);
        buf.set_string(x, area.y, clock, self.theme.header);
    }

    fn render_pane(&mut self, id: PaneId, rect: Rect, buf: &mut Buffer) {
        let focused = self.focus == id;
        let title = self.with_pane(id, |p, ctx| p.title(ctx));
        let border = if focused {
            self.theme.border_focused
        } else {
            self.theme.border
        };
        let title_style = if focused {
            self.theme.title
        } else {
            self.theme.dim
        };
        let mut block = Block::bordered()
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Rounded
            })
            .border_style(border)
            .title(title.style(title_style));
        if self.zoom {
            block =
                block.title_bottom(Line::styled(" z to restore ", self.theme.dim).right_aligned());
        }
        let inner = block.inner(rect);
        block.render(rect, buf);
        self.with_pane(id, |p, ctx| p.render(inner, buf, ctx));
    }

    fn render_status(&self, buf: &mut Buffer) {
        let area = self.layout.status;
        let Some(m) = self.status.current() else {
            return;
        };
        let (style, mark) = match m.level {
            Level::Info => (self.theme.info, "›"),
            Level::Warn => (self.theme.warn, "!"),
            Level::Error => (self.theme.error, "✗"),
        };
        let line = Line::from(vec![
            Span::styled(
                format!(" {} {mark} ", m.at.format("%H:%M:%S")),
                self.theme.dim,
            ),
            Span::styled(m.text.clone(), style),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
    }

    fn render_hints(&mut self, buf: &mut Buffer) {
        let area = self.layout.hints;
        let focus = self.focus;
        let spans_of = |hints: &[Hint], theme: &Theme| -> Vec<Span<'static>> {
            hints
                .iter()
                .flat_map(|h| {
                    [
                        Span::styled(h.key, theme.accent),
                        Span::styled(format!(" {}  ", h.action), theme.dim),
                    ]
                })
                .collect()
        };
        let width = |hints: &[Hint]| -> usize {
            hints
                .iter()
                .map(|h| h.key.chars().count() + h.action.chars().count() + 3)
                .sum()
        };
        // Help and quit always show, at the right; the rest fill from the left.
        let always = keys::ALWAYS;
        let room = (area.width as usize).saturating_sub(width(always) + 1);
        let mut hints = self.with_pane(focus, |p, ctx| p.hints(ctx));
        if self.panes.get_ref(focus).captures_keys() {
            // Typing into a pane: only its keys apply, globals do not.
            let mut left = vec![Span::raw(" ")];
            left.extend(spans_of(&hints, &self.theme));
            buf.set_line(area.x, area.y, &Line::from(left), area.width);
            return;
        }
        hints.extend_from_slice(keys::BAR);
        let mut shown = Vec::new();
        let mut used = 1;
        for h in hints {
            let w = width(std::slice::from_ref(&h));
            if used + w > room {
                break;
            }
            used += w;
            shown.push(h);
        }
        let mut left = vec![Span::raw(" ")];
        left.extend(spans_of(&shown, &self.theme));
        buf.set_line(area.x, area.y, &Line::from(left), area.width);
        let right_w = width(always) as u16;
        let x = area.right().saturating_sub(right_w);
        buf.set_line(
            x,
            area.y,
            &Line::from(spans_of(always, &self.theme)),
            right_w,
        );
    }
}

fn field(label: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![Span::raw(format!("  {label:<13}")), value])
}

fn ing(verb: &str) -> String {
    match verb {
        "promote" => "promoting".into(),
        "roll back" => "rolling back".into(),
        "abort" => "aborting".into(),
        v => v.to_string(),
    }
}
