//! `H`: the release journal as a timeline per stack, newest first: who did what, when,
//! with which versions (old → new, with the environment) and how it ended, and the metric
//! flags raised. The engine reads the journal (`Command::LoadHistory`); this only draws
//! what it sent.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::page::{Page, PageResult};
use crate::engine::release::Board;
use crate::history::{Timeline, Tone, outcome_words, tone, versions_words};
use crate::journal::Entry;
use crate::text::one_line;
use crate::tui::theme::Theme;

const TITLE: &str = "History · newest first";

/// The journal's timeline (`H`).
pub enum History {}
pub type HistoryOverlay = Page<History>;
/// Every page's answer; the name the app matches on.
pub type HistoryResult = PageResult;

impl Page<History> {
    /// Shown while the engine reads the journal.
    pub fn loading(theme: &Theme) -> Self {
        Page::of(
            TITLE,
            vec![Line::styled("  Reading the journal…", theme.dim)],
        )
    }

    pub fn new(result: &Result<Timeline, String>, board: &Board, theme: &Theme) -> Self {
        let lines = match result {
            Err(e) => vec![Line::styled(format!("  {}", one_line(e, 500)), theme.error)],
            Ok(t) if t.is_empty() => vec![Line::styled(
                "  Nothing recorded yet: promotions, rollbacks, smoke checks and flags appear here.",
                theme.dim,
            )],
            Ok(t) => timeline_lines(t, board, theme),
        };
        Page::of(TITLE, lines)
    }
}

fn timeline_lines(t: &Timeline, board: &Board, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if t.left_out > 0 || t.bad > 0 {
        let mut said = Vec::new();
        if t.left_out > 0 {
            said.push(format!("{} older entries not shown", t.left_out));
        }
        if t.bad > 0 {
            said.push(format!("{} unreadable line(s) skipped", t.bad));
        }
        lines.push(Line::styled(format!("  {}", said.join(" · ")), theme.dim));
    }
    for s in &t.stacks {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        let name = match &s.stack {
            None => "The release".to_string(),
            Some(id) => board
                .stacks
                .iter()
                .find(|b| b.id.as_str() == id)
                .map_or_else(|| one_line(id, 40), |b| b.name.clone()),
        };
        let mut heading = vec![Span::styled(name, theme.title)];
        if s.moves > 0 {
            heading.push(Span::styled(
                format!(
                    " · {} promotion{}/rollback{}",
                    s.moves,
                    if s.moves == 1 { "" } else { "s" },
                    if s.moves == 1 { "" } else { "s" }
                ),
                theme.dim,
            ));
        }
        if s.flags > 0 {
            heading.push(Span::styled(
                format!(
                    " · ⚑ {} flag{}",
                    s.flags,
                    if s.flags == 1 { "" } else { "s" }
                ),
                theme.error,
            ));
        }
        lines.push(Line::from(heading));
        for e in &s.entries {
            lines.push(entry_line(e, theme));
        }
    }
    lines
}

/// `  12-01 15:04:31 alice@laptop promote live 3f2a1c4 → 9be77d1  #5639226  succeeded`
fn entry_line(e: &Entry, theme: &Theme) -> Line<'static> {
    let style: Style = match tone(e) {
        Tone::Good => theme.ok,
        Tone::Bad => theme.error,
        Tone::Flag => theme.warn,
        Tone::Plain => theme.text,
    };
    let when = e.at.with_timezone(&chrono::Local).format("%m-%d %H:%M:%S");
    let action = if e.is(crate::journal::Act::Flag) {
        "⚑ flag".to_string()
    } else {
        one_line(&e.action, 20)
    };
    let mut spans = vec![
        Span::styled(format!("  {when} "), theme.dim),
        Span::styled(format!("{} ", one_line(&e.actor(), 40)), theme.info),
        Span::styled(action, style),
    ];
    if let Some(v) = versions_words(e) {
        spans.push(Span::styled(format!(" {}", one_line(&v, 80)), theme.accent));
    }
    let rest = outcome_words(e);
    if !rest.is_empty() {
        spans.push(Span::styled(format!("  {}", one_line(&rest, 600)), style));
    }
    Line::from(spans)
}
