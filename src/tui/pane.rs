//! What every pane is: it owns its state, updates it from events and keys, renders it,
//! and says which keys it understands. The app only routes.

use std::borrow::Cow;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::theme::Theme;
use crate::engine::Command;
use crate::engine::Event;
use crate::engine::release::{Board, StackRelease};
use crate::model::StackId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Stacks,
    Changes,
    Metrics,
    Logs,
    Deploy,
}

impl PaneId {
    /// Focus order for Tab.
    pub const ALL: [PaneId; 5] = [
        PaneId::Stacks,
        PaneId::Changes,
        PaneId::Metrics,
        PaneId::Logs,
        PaneId::Deploy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PaneId::Stacks => "Stacks",
            PaneId::Changes => "Changes",
            PaneId::Metrics => "Metrics",
            PaneId::Logs => "Logs",
            PaneId::Deploy => "Deploy",
        }
    }
}

/// Read-only view of shared state handed to panes.
pub struct Ctx<'a> {
    pub board: &'a Board,
    /// Index into `board.stacks` of the stack every pane follows.
    pub selected: usize,
    pub theme: &'a Theme,
    pub focused: bool,
    /// Stacks with a request sent and not yet answered (shown as requested until the
    /// engine's board says where they are).
    pub requested: &'a std::collections::HashMap<crate::model::StackId, crate::engine::RequestId>,
    /// Everything derived from engine events that more than one part of the screen shows.
    pub model: &'a super::model::Model,
    /// The time ages are judged at ("last known 16:02 (2m ago)"); handed in, never read
    /// by a pane, so renderings are deterministic.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Ctx<'_> {
    pub fn selected_stack(&self) -> Option<&StackRelease> {
        self.board.stacks.get(self.selected)
    }
}

/// What a key or click amounted to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not for this pane: the app may treat it as a global key.
    Ignored,
    /// Used; redraw.
    Handled,
    Intent(Intent),
}

/// Something only the app can do: change shared state, open a dialog, reach the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    Select(usize),
    /// Open the promote confirmation for this stack.
    Promote(StackId),
    Rollback(StackId),
    Abort(StackId),
    Send(Command),
    /// A line for the status bar.
    Say(String),
    /// Put text on the clipboard: the OSC 52 sequence to write (see `logview::osc52`).
    Copy(String),
}

/// A key and what it does, for the hints bar and the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub key: Cow<'static, str>,
    pub action: Cow<'static, str>,
}

impl Hint {
    pub const fn new(key: &'static str, action: &'static str) -> Hint {
        Hint {
            key: Cow::Borrowed(key),
            action: Cow::Borrowed(action),
        }
    }

    /// A hint whose key comes from a keymap (as configured).
    pub fn owned(key: String, action: &'static str) -> Hint {
        Hint {
            key: Cow::Owned(key),
            action: Cow::Borrowed(action),
        }
    }
}

pub trait Pane {
    fn id(&self) -> PaneId;
    /// The border title (may carry live detail: instance, deployment id, filter).
    fn title(&self, ctx: &Ctx) -> Line<'static>;
    /// Update from an engine event; returns whether anything visible changed.
    fn on_event(&mut self, event: &Event, ctx: &Ctx) -> bool;
    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome;
    /// `inner` is the pane's area inside its border, as last drawn.
    fn on_mouse(&mut self, _mouse: MouseEvent, _inner: Rect, _ctx: &Ctx) -> Outcome {
        Outcome::Ignored
    }
    /// The selected stack changed.
    fn on_select(&mut self, _ctx: &Ctx) {}
    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx);
    /// Keys for the hints bar: what this pane understands now (most useful first),
    /// from its key table.
    fn hints(&self, ctx: &Ctx) -> Vec<Hint>;
    /// Every key of the pane, its sub-views included, for the help (from its tables).
    fn help(&self) -> Vec<crate::tui::keymap::HelpSection>;
    /// Puts the configured keys (`[keys.PANE]`) in place of the table's defaults.
    fn rebind(&mut self, keys: &crate::config::keys::KeysConfig);
    /// The pane is typing text (a filter): every key goes to it, globals included.
    fn captures_keys(&self) -> bool {
        false
    }
}
