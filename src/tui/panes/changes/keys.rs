//! The Changes pane's key tables: the commit list, and the open commit.

use crate::tui::keymap::bind as b;
use crate::tui::keymap::{Binding, DefaultScope, Scope, ScopeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesKey {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Fold,
    Search,
    NextMatch,
    PrevMatch,
    Back,
    ConfigDiff,
    Drift,
    Stage,
    Fetch,
}

pub static KEYS: Scope<ChangesKey> = Scope {
    name: "changes",
    title: "Changes pane",
    kind: ScopeKind::Pane,
    bindings: &[
        b(
            ChangesKey::Open,
            "open",
            &["Enter", "Right", "l"],
            "open/unfold",
            "open the commit, or unfold a merge",
        ),
        b(
            ChangesKey::Fold,
            "fold",
            &["Left", "h"],
            "fold",
            "fold the merge back",
        ),
        b(
            ChangesKey::Search,
            "search",
            &["/"],
            "search",
            "search subjects, authors, PRs and files",
        ),
        b(
            ChangesKey::NextMatch,
            "next_match",
            &["n"],
            "next match",
            "next search match",
        ),
        b(
            ChangesKey::PrevMatch,
            "prev_match",
            &["N"],
            "previous match",
            "previous search match",
        ),
        b(
            ChangesKey::ConfigDiff,
            "config_diff",
            &["c"],
            "config diff",
            "the config diff of the pair (again: commits)",
        ),
        b(
            ChangesKey::Drift,
            "drift",
            &["d"],
            "drift",
            "what live has that test lacks (again: commits)",
        ),
        b(
            ChangesKey::Stage,
            "environments",
            &["e"],
            "other environments",
            "the next pair of environments (three or more)",
        ),
        b(
            ChangesKey::Fetch,
            "fetch",
            &["f"],
            "fetch",
            "fetch the repository now",
        ),
        b(
            ChangesKey::Back,
            "back",
            &["Esc"],
            "back",
            "clear the search, or back to the commits",
        ),
        b(
            ChangesKey::Down,
            "down",
            &["j", "Down"],
            "down",
            "next commit",
        ),
        b(ChangesKey::Up, "up", &["k", "Up"], "up", "previous commit"),
        b(
            ChangesKey::PageDown,
            "page_down",
            &["PgDn"],
            "page",
            "a page down",
        ),
        b(
            ChangesKey::PageUp,
            "page_up",
            &["PgUp"],
            "page up",
            "a page up",
        ),
        b(
            ChangesKey::Top,
            "top",
            &["Home", "g"],
            "top",
            "the first commit",
        ),
        b(
            ChangesKey::Bottom,
            "bottom",
            &["End", "G"],
            "end",
            "the last commit",
        ),
    ],
};

impl DefaultScope for ChangesKey {
    fn scope() -> &'static Scope<Self> {
        &KEYS
    }
}

/// In an open commit (its files and line counts, or its patch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitKey {
    Back,
    Patch,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
}

pub static COMMIT_KEYS: Scope<CommitKey> = Scope {
    name: "changes_commit",
    title: "Changes pane, an open commit",
    kind: ScopeKind::Pane,
    bindings: &[
        Binding {
            action: CommitKey::Back,
            name: "back",
            keys: &["Esc", "h", "Left", "Backspace"],
            hint: "back",
            help: "back to the commit list",
        },
        Binding {
            action: CommitKey::Patch,
            name: "patch",
            keys: &["d"],
            hint: "patch",
            help: "the commit's patch (again: its files)",
        },
        Binding {
            action: CommitKey::Down,
            name: "down",
            keys: &["j", "Down"],
            hint: "down",
            help: "scroll down",
        },
        Binding {
            action: CommitKey::Up,
            name: "up",
            keys: &["k", "Up"],
            hint: "up",
            help: "scroll up",
        },
        Binding {
            action: CommitKey::PageDown,
            name: "page_down",
            keys: &["PgDn"],
            hint: "page",
            help: "a page down",
        },
        Binding {
            action: CommitKey::PageUp,
            name: "page_up",
            keys: &["PgUp"],
            hint: "page up",
            help: "a page up",
        },
        Binding {
            action: CommitKey::Top,
            name: "top",
            keys: &["g", "Home"],
            hint: "top",
            help: "to the top",
        },
        Binding {
            action: CommitKey::Bottom,
            name: "bottom",
            keys: &["G", "End"],
            hint: "end",
            help: "to the end",
        },
    ],
};

impl DefaultScope for CommitKey {
    fn scope() -> &'static Scope<Self> {
        &COMMIT_KEYS
    }
}
