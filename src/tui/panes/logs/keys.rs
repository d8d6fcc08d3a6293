//! The key tables of the two log views (the Logs and the Deploy pane share their view
//! keys, each adds its own), the instance picker, and the save prompt.

use crate::tui::keymap::bind as b;
use crate::tui::keymap::{Binding, DefaultScope, Scope, ScopeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKey {
    /// Follow the end, or pause where it is.
    Pause,
    Filter,
    ClearFilter,
    Wrap,
    Timestamps,
    Copy,
    Save,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Left,
    Right,
    /// Logs only: pick the instance.
    Instance,
    /// Deploy only: the deployments kept for the stack.
    Older,
    Newer,
}

/// Written once, for both panes (`Scope` needs one slice per pane).
macro_rules! view_bindings {
    ($($extra:expr),* $(,)?) => {
        &[
            $($extra,)*
            b(ViewKey::Pause, "pause", &["f"], "follow/pause", "follow the end, or pause (new lines are counted)"),
            b(ViewKey::Filter, "filter", &["/"], "filter", "filter lines: text, or /regex/"),
            b(ViewKey::ClearFilter, "clear_filter", &["Esc"], "clear filter", "clear the filter"),
            b(ViewKey::Wrap, "wrap", &["w"], "wrap", "wrap long lines (again: scroll sideways)"),
            b(ViewKey::Timestamps, "timestamps", &["t"], "timestamps", "show or hide timestamps"),
            b(ViewKey::Copy, "copy", &["y"], "copy line", "copy the selected line (OSC 52)"),
            b(ViewKey::Save, "save", &["Ctrl-S"], "save", "save the lines to a file"),
            b(ViewKey::Down, "down", &["j", "Down"], "scroll", "a line down"),
            b(ViewKey::Up, "up", &["k", "Up"], "scroll", "a line up"),
            b(ViewKey::PageDown, "page_down", &["PgDn"], "page", "a page down"),
            b(ViewKey::PageUp, "page_up", &["PgUp"], "page up", "a page up"),
            b(ViewKey::Top, "top", &["Home", "g"], "top", "the oldest line kept"),
            b(ViewKey::Bottom, "bottom", &["End", "G"], "end", "the newest line"),
            b(ViewKey::Left, "left", &["Left", "h"], "left", "scroll left (when not wrapping)"),
            b(ViewKey::Right, "right", &["Right", "l"], "right", "scroll right"),
        ]
    };
}

pub static LOGS: Scope<ViewKey> = Scope {
    name: "logs",
    title: "Logs pane",
    kind: ScopeKind::Pane,
    bindings: view_bindings![b(
        ViewKey::Instance,
        "instance",
        &["i"],
        "instance",
        "pick the instance to follow"
    )],
};

pub static DEPLOY: Scope<ViewKey> = Scope {
    name: "deploy",
    title: "Deploy pane",
    kind: ScopeKind::Pane,
    bindings: view_bindings![
        b(
            ViewKey::Older,
            "older",
            &["["],
            "older",
            "the deployment before"
        ),
        b(ViewKey::Newer, "newer", &["]"], "newer", "the one after"),
    ],
};

impl DefaultScope for ViewKey {
    fn scope() -> &'static Scope<Self> {
        &LOGS
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKey {
    Close,
    Down,
    Up,
    Top,
    Bottom,
    Follow,
    Number,
}

pub static PICKER: Scope<PickKey> = Scope {
    name: "instances",
    title: "Logs pane, the instance picker (i)",
    kind: ScopeKind::Dialog,
    bindings: &[
        Binding {
            action: PickKey::Follow,
            name: "follow",
            keys: &["Enter"],
            hint: "follow instance",
            help: "follow the highlighted instance",
        },
        Binding {
            action: PickKey::Number,
            name: "number",
            keys: &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
            hint: "follow instance",
            help: "follow the instance with this number",
        },
        Binding {
            action: PickKey::Down,
            name: "down",
            keys: &["j", "Down"],
            hint: "move",
            help: "the next instance",
        },
        Binding {
            action: PickKey::Up,
            name: "up",
            keys: &["k", "Up"],
            hint: "move",
            help: "the previous instance",
        },
        Binding {
            action: PickKey::Top,
            name: "top",
            keys: &["Home", "g"],
            hint: "first",
            help: "the first instance",
        },
        Binding {
            action: PickKey::Bottom,
            name: "bottom",
            keys: &["End", "G"],
            hint: "last",
            help: "the last instance",
        },
        Binding {
            action: PickKey::Close,
            name: "close",
            keys: &["Esc", "i", "q"],
            hint: "close",
            help: "close the picker",
        },
    ],
};

impl DefaultScope for PickKey {
    fn scope() -> &'static Scope<Self> {
        &PICKER
    }
}

/// The save prompt (Ctrl-S) of either view, besides typing the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKey {
    Lines,
}

pub static SAVE: Scope<SaveKey> = Scope {
    name: "save",
    title: "Logs and Deploy, saving (Ctrl-S); other keys type the file name",
    kind: ScopeKind::Dialog,
    bindings: &[Binding {
        action: SaveKey::Lines,
        name: "lines",
        keys: &["Tab"],
        hint: "all/matching",
        help: "save all lines, or only those the filter matches",
    }],
};

impl DefaultScope for SaveKey {
    fn scope() -> &'static Scope<Self> {
        &SAVE
    }
}
