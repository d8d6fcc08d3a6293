//! The dialogs' key tables (the confirmation dialog's own live in `confirm.rs`): what
//! each dialog dispatches on, lists in its footer, and the help shows.

use crate::config::keys::KeysConfig;
use crate::tui::keymap::bind as s;
use crate::tui::keymap::bind as r;
use crate::tui::keymap::{Binding, Keymap, Scope, ScopeKind};

/// Moving through a page of text, and leaving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Close,
}

/// The rows every scrolling page shares, before its own close row: one list, so the
/// pages cannot come to scroll differently.
const fn scrolling(close: Binding<Scroll>) -> [Binding<Scroll>; 7] {
    [
        s(Scroll::Down, "down", &["j", "Down"], "down", "scroll down"),
        s(Scroll::Up, "up", &["k", "Up"], "up", "scroll up"),
        s(
            Scroll::PageDown,
            "page_down",
            &["PgDn", "space"],
            "page",
            "a page down",
        ),
        s(Scroll::PageUp, "page_up", &["PgUp"], "page up", "a page up"),
        s(Scroll::Top, "top", &["Home", "g"], "top", "to the top"),
        s(Scroll::Bottom, "bottom", &["End", "G"], "end", "to the end"),
        close,
    ]
}

pub static HELP: Scope<Scroll> = Scope {
    name: "help",
    title: "This help",
    kind: ScopeKind::Dialog,
    bindings: &scrolling(s(
        Scroll::Close,
        "close",
        &["Esc", "?", "q", "Enter"],
        "close",
        "close the help",
    )),
};

/// The details (`v`), the gates (`g`) and a dry run's plan; the key that opened one
/// closes it too.
pub static PAGE: Scope<Scroll> = Scope {
    name: "page",
    title: "Details, gates and plan pages",
    kind: ScopeKind::Dialog,
    bindings: &scrolling(s(
        Scroll::Close,
        "close",
        &["Esc", "q", "Enter"],
        "close",
        "close (so does the key that opened it)",
    )),
};

/// `H`: the journal's timeline per stack; `H` closes it too.
pub static HISTORY: Scope<Scroll> = Scope {
    name: "history",
    title: "History (H)",
    kind: ScopeKind::Dialog,
    bindings: &scrolling(s(
        Scroll::Close,
        "close",
        &["Esc", "q", "H", "Enter"],
        "close",
        "close the history",
    )),
};

/// `:messages`: every recent status message in full.
pub static MESSAGES: Scope<Scroll> = Scope {
    name: "messages",
    title: "Messages (:messages)",
    kind: ScopeKind::Dialog,
    bindings: &scrolling(s(
        Scroll::Close,
        "close",
        &["Esc", "q", "M", "Enter"],
        "close",
        "close the messages",
    )),
};

/// The release report's preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Scroll(Scroll),
    Save,
    Post,
}

pub static REPORT: Scope<Report> = Scope {
    name: "report",
    title: "Release report preview (R)",
    kind: ScopeKind::Dialog,
    bindings: &[
        r(
            Report::Save,
            "save",
            &["w"],
            "save",
            "save the report to a file",
        ),
        r(
            Report::Post,
            "post",
            &["p"],
            "post to thread",
            "post it to the release thread (asks first)",
        ),
        r(
            Report::Scroll(Scroll::Down),
            "down",
            &["j", "Down"],
            "down",
            "scroll down",
        ),
        r(
            Report::Scroll(Scroll::Up),
            "up",
            &["k", "Up"],
            "up",
            "scroll up",
        ),
        r(
            Report::Scroll(Scroll::PageDown),
            "page_down",
            &["PgDn", "space", "Ctrl-D"],
            "page",
            "a page down",
        ),
        r(
            Report::Scroll(Scroll::PageUp),
            "page_up",
            &["PgUp", "Ctrl-U"],
            "page up",
            "a page up",
        ),
        r(
            Report::Scroll(Scroll::Top),
            "top",
            &["Home", "g"],
            "top",
            "to the top",
        ),
        r(
            Report::Scroll(Scroll::Bottom),
            "bottom",
            &["End", "G"],
            "end",
            "to the end",
        ),
        r(
            Report::Scroll(Scroll::Close),
            "close",
            &["Esc", "q", "R"],
            "close",
            "close the preview",
        ),
    ],
};

/// After `p` in the report: one key posts, any other cancels.
pub static REPORT_POST: Scope<Report> = Scope {
    name: "report_post",
    title: "Release report, asked to post",
    kind: ScopeKind::Dialog,
    bindings: &[r(
        Report::Post,
        "post",
        &["y", "Enter"],
        "posts",
        "post it (any other key cancels)",
    )],
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    Send,
    Close,
    Redraft,
}

pub static ANNOUNCE: Scope<Announce> = Scope {
    name: "announce",
    title: "Announcement editor (a); other keys edit the text",
    kind: ScopeKind::Dialog,
    bindings: &[
        Binding {
            action: Announce::Send,
            name: "send",
            keys: &["Ctrl-S"],
            hint: "send",
            help: "send it to every channel",
        },
        Binding {
            action: Announce::Close,
            name: "close",
            keys: &["Esc", "Ctrl-C"],
            hint: "close (keeps your edit)",
            help: "close without sending (a reopens your edit)",
        },
        Binding {
            action: Announce::Redraft,
            name: "redraft",
            keys: &["Ctrl-R"],
            hint: "draft anew",
            help: "drop the edits and draft again from the diff",
        },
    ],
};

/// Every dialog's keys, as configured.
#[derive(Debug, Clone)]
pub struct DialogKeys {
    pub confirm: super::confirm::ConfirmKeys,
    pub help: Keymap<Scroll>,
    pub page: Keymap<Scroll>,
    pub history: Keymap<Scroll>,
    pub messages: Keymap<Scroll>,
    pub report: Keymap<Report>,
    pub report_post: Keymap<Report>,
    pub announce: Keymap<Announce>,
}

impl DialogKeys {
    pub fn new(config: &KeysConfig) -> Self {
        DialogKeys {
            confirm: super::confirm::ConfirmKeys::new(config),
            help: Keymap::new(&HELP, config),
            page: Keymap::new(&PAGE, config),
            history: Keymap::new(&HISTORY, config),
            messages: Keymap::new(&MESSAGES, config),
            report: Keymap::new(&REPORT, config),
            report_post: Keymap::new(&REPORT_POST, config),
            announce: Keymap::new(&ANNOUNCE, config),
        }
    }

    /// Their sections of the help, in the order a user meets them.
    pub fn help_sections(&self) -> Vec<crate::tui::keymap::HelpSection> {
        vec![
            self.confirm.main.help(),
            self.confirm.reason.help(),
            self.page.help(),
            self.history.help(),
            self.messages.help(),
            self.report.help(),
            self.report_post.help(),
            self.announce.help(),
            self.help.help(),
        ]
    }
}

impl Default for DialogKeys {
    fn default() -> Self {
        DialogKeys::new(&KeysConfig::default())
    }
}
