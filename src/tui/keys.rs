//! Keys that work everywhere (unless a dialog is open or a pane is typing text): the
//! global table. `App::global_key` dispatches on it; the hints bar and the help read it.

use crate::tui::keymap::bind as b;
use crate::tui::keymap::{Scope, ScopeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    FocusNext,
    FocusPrev,
    Zoom,
    SelectStack,
    Promote,
    Rollback,
    Abort,
    Smoke,
    Details,
    Announce,
    Report,
    Gates,
    History,
    Approve,
    Refresh,
    CommandLine,
    Help,
    Back,
    Quit,
    Interrupt,
}

pub static GLOBAL: Scope<Global> = Scope {
    name: "global",
    title: "Everywhere",
    kind: ScopeKind::Global,
    bindings: &[
        b(
            Global::FocusNext,
            "focus_next",
            &["Tab"],
            "focus",
            "focus the next pane",
        ),
        b(
            Global::FocusPrev,
            "focus_prev",
            &["S-Tab"],
            "focus back",
            "focus the previous pane",
        ),
        b(
            Global::Zoom,
            "zoom",
            &["z"],
            "zoom",
            "zoom the focused pane (again to restore)",
        ),
        b(
            Global::SelectStack,
            "select_stack",
            &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
            "jump to stack",
            "select a stack by its number",
        ),
        b(
            Global::Promote,
            "promote",
            &["p"],
            "promote",
            "promote the selected stack to live",
        ),
        b(
            Global::Rollback,
            "rollback",
            &["r"],
            "rollback",
            "roll the selected stack back",
        ),
        b(
            Global::Abort,
            "abort",
            &["x"],
            "abort",
            "abort the selected stack's deployment",
        ),
        b(
            Global::Smoke,
            "smoke",
            &["s"],
            "smoke",
            "run the selected stack's smoke checks",
        ),
        b(
            Global::Details,
            "details",
            &["v"],
            "details",
            "the selected stack's details (smoke, versions)",
        ),
        b(
            Global::Announce,
            "announce",
            &["a"],
            "announce",
            "announce the release (then: the completion)",
        ),
        b(
            Global::Report,
            "report",
            &["R"],
            "report",
            "release report: preview, then save or post it",
        ),
        b(
            Global::Gates,
            "gates",
            &["g"],
            "gates",
            "the pre-flight gates: freeze, risk, drift, health, lock, approval",
        ),
        b(
            Global::History,
            "history",
            &["H"],
            "history",
            "the history: each stack's journal",
        ),
        b(
            Global::Approve,
            "approve",
            &["A"],
            "approve",
            "approve the next promotion, for another user to do",
        ),
        b(
            Global::Refresh,
            "refresh",
            &["Ctrl-R"],
            "refresh",
            "read versions from the platform now",
        ),
        b(
            Global::CommandLine,
            "command_line",
            &[":"],
            "command",
            "command line (:promote sally, :stack bruce…)",
        ),
        b(Global::Help, "help", &["?"], "help", "this help"),
        b(
            Global::Back,
            "back",
            &["Esc"],
            "back",
            "restore a zoomed pane, clear the message",
        ),
        b(
            Global::Quit,
            "quit",
            &["q"],
            "quit",
            "quit (asks while a deployment runs)",
        ),
        b(
            Global::Interrupt,
            "interrupt",
            &["Ctrl-C"],
            "quit",
            "quit, even while typing (asks if a deployment runs)",
        ),
    ],
};

/// Shown in the bottom bar after the focused pane's own keys, while there is room.
pub const BAR: &[Global] = &[
    Global::Rollback,
    Global::Smoke,
    Global::Announce,
    Global::Abort,
    Global::FocusNext,
    Global::Zoom,
];

/// Always shown, at the right end of the bar: how to find everything else, and out.
pub const ALWAYS: &[Global] = &[Global::Help, Global::Quit];
