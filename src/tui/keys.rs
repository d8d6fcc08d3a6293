//! Keys that work everywhere (unless a dialog is open or a pane is typing text).

use crate::tui::pane::Hint;

pub const GLOBAL: &[Hint] = &[
    Hint::new("Tab/S-Tab", "focus next / previous pane"),
    Hint::new("z", "zoom the focused pane (again to restore)"),
    Hint::new("1-9", "select a stack"),
    Hint::new("p", "promote the selected stack to live"),
    Hint::new("r", "roll the selected stack back"),
    Hint::new("x", "abort the selected stack's deployment"),
    Hint::new("s", "run the selected stack's smoke checks"),
    Hint::new(
        "v",
        "details of the selected stack (smoke checks, versions)",
    ),
    Hint::new("a", "announce the release (then: the completion)"),
    Hint::new(
        "R",
        "release report: preview, w saves it, p posts it to the thread",
    ),
    Hint::new(
        "g",
        "the pre-flight gates: freeze, risk, drift, health, lock, approval",
    ),
    Hint::new(
        "H",
        "history: the journal per stack (who, when, versions, outcome, flags)",
    ),
    Hint::new(
        "A",
        "approve the selected stack's next promotion (for another user)",
    ),
    Hint::new("Ctrl-R", "read versions from the platform now"),
    Hint::new(
        ":",
        "command line (:promote sally, :stack bruce, :theme light…)",
    ),
    Hint::new("?", "this help"),
    Hint::new("Esc", "close a dialog, clear the message"),
    Hint::new("q/Ctrl-C", "quit (asks while a deployment runs)"),
];

/// Keys shown in the bottom bar after the focused pane's own, while there is room.
pub const BAR: &[Hint] = &[
    Hint::new("r", "rollback"),
    Hint::new("s", "smoke"),
    Hint::new("a", "announce"),
    Hint::new("x", "abort"),
    Hint::new("Tab", "focus"),
    Hint::new("z", "zoom"),
];

/// Always shown, at the right end of the bar: how to find everything else, and out.
pub const ALWAYS: &[Hint] = &[Hint::new("?", "help"), Hint::new("q", "quit")];
