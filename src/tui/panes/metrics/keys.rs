//! The Metrics pane's key table (the series list and the detail of one series).

use crate::tui::keymap::bind as b;
use crate::tui::keymap::{DefaultScope, Scope, ScopeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsKey {
    Down,
    Up,
    Top,
    Bottom,
    Detail,
    Back,
    PageDown,
    PageUp,
}

pub static KEYS: Scope<MetricsKey> = Scope {
    name: "metrics",
    title: "Metrics pane",
    kind: ScopeKind::Pane,
    bindings: &[
        b(
            MetricsKey::Down,
            "down",
            &["j", "Down"],
            "series",
            "the next series",
        ),
        b(
            MetricsKey::Up,
            "up",
            &["k", "Up"],
            "series",
            "the previous series",
        ),
        b(
            MetricsKey::Top,
            "top",
            &["Home", "g"],
            "first",
            "the first series",
        ),
        b(
            MetricsKey::Bottom,
            "bottom",
            &["End", "G"],
            "last",
            "the last series",
        ),
        b(
            MetricsKey::Detail,
            "detail",
            &["Enter", "d"],
            "detail",
            "the numbers behind the verdict (again: close)",
        ),
        b(
            MetricsKey::Back,
            "back",
            &["Esc"],
            "back",
            "close the detail",
        ),
        b(
            MetricsKey::PageDown,
            "page_down",
            &["PgDn"],
            "scroll",
            "scroll the detail down",
        ),
        b(
            MetricsKey::PageUp,
            "page_up",
            &["PgUp"],
            "scroll",
            "scroll the detail up",
        ),
    ],
};

impl DefaultScope for MetricsKey {
    fn scope() -> &'static Scope<Self> {
        &KEYS
    }
}
