//! Drawing the Changes pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{ChangesPane, Row, View, rows};
use crate::configdiff::KeyChange;
use crate::engine::RepoState;
use crate::engine::release::StackRelease;
use crate::text::one_line;
use crate::tui::pane::Ctx;
use crate::tui::theme::Theme;
use crate::vcs::patch::{LineKind, Patch};
use crate::vcs::{ChangeSet, Commit, DiffError, Drift};

/// The drift view when live has nothing test lacks.
pub const NO_DRIFT: &str =
    "No drift: every commit on live is also on test, so promoting removes nothing. d: back";

pub fn render(pane: &mut ChangesPane, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    pane.drawn.clear();
    if area.height == 0 || area.width < 4 {
        return;
    }
    let theme = ctx.theme;
    let Some(stack) = ctx.selected_stack() else {
        return;
    };
    if pane.view == View::Config {
        return render_config(pane, &stack.id, area, buf, ctx);
    }
    if let Some((commit, scroll)) = &mut pane.detail {
        let lines = if pane.show_patch {
            patch_lines(commit, pane.patch.as_ref(), theme)
        } else {
            detail_lines(commit, theme)
        };
        return render_detail(lines, scroll, area, buf);
    }
    if let Some((msg, style)) = nothing_to_list(stack, theme) {
        return say(area, buf, msg, style);
    }
    let Some(result) = pane.current(ctx).cloned() else {
        let (msg, style) = repo_not_ready(ctx);
        return say(area, buf, &msg, style);
    };
    let cs = match result.as_ref() {
        Ok(cs) => cs,
        Err(e) => return say(area, buf, &diff_failed(e), theme.warn),
    };
    let mut y = area.y;
    if let Some(drift) = &cs.drift {
        buf.set_line(
            area.x,
            y,
            &drift_banner(drift, pane.view, theme),
            area.width,
        );
        y += 1;
    }
    if pane.view == View::Drift {
        return render_drift_list(cs, area, y, buf, theme);
    }
    render_commit_list(pane, cs, area, y, buf, ctx);
}

/// A message in place of the list, wrapped to the pane.
fn say(area: Rect, buf: &mut Buffer, text: &str, style: Style) {
    Paragraph::new(text.to_string())
        .style(style)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

/// The open commit's lines, scrolled; a scroll of `u16::MAX` (`G`) becomes the last
/// screenful as wrapped at this width, so later keys scroll from there.
fn render_detail(lines: Vec<Line<'static>>, scroll: &mut u16, area: Rect, buf: &mut Buffer) {
    if *scroll == u16::MAX {
        let w = (area.width as usize).max(1);
        let rows: usize = lines.iter().map(|l| l.width().div_ceil(w).max(1)).sum();
        *scroll = u16::try_from(rows.saturating_sub(area.height as usize)).unwrap_or(u16::MAX - 1);
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((*scroll, 0))
        .render(area, buf);
}

/// Why the stack has no commits to list before any diff is asked for: its versions are
/// not known yet, or live already runs test's version (and no promotion here shipped it).
fn nothing_to_list(stack: &StackRelease, theme: &Theme) -> Option<(&'static str, Style)> {
    let Some(versions) = &stack.versions else {
        return Some(("Waiting for the platform's versions…", theme.dim));
    };
    let nothing_to_ship = versions.target() == versions.source() && stack.previous_live.is_none();
    nothing_to_ship.then_some(("Nothing to ship: live runs test's version.", theme.dim))
}

/// What to show while the diff is not computed: the repository's state, as an error
/// when cloning or opening it failed.
fn repo_not_ready(ctx: &Ctx) -> (String, Style) {
    let msg = match &ctx.model.changes.repo {
        RepoState::Ready(_) => "Reading history…".to_string(),
        other => other.describe(),
    };
    let style = if matches!(ctx.model.changes.repo, RepoState::Failed(_)) {
        ctx.theme.error
    } else {
        ctx.theme.dim
    };
    (msg, style)
}

/// A failed diff with what to do about it, when the error knows.
fn diff_failed(e: &DiffError) -> String {
    let remedy = e
        .remedy()
        .map(|r| format!("; {}", crate::tui::remedy::words(&r)))
        .unwrap_or_default();
    format!("{e}{remedy}")
}

/// `⚠ DRIFT: live has 2 commits test lacks; …`, with the key that toggles the drift view.
fn drift_banner(drift: &Drift, view: View, theme: &Theme) -> Line<'static> {
    let n = drift.live_only.len();
    let text = format!(
        "⚠ DRIFT: live has {n} commit{} test lacks; promoting removes {}. d: {}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" },
        if view == View::Drift { "back" } else { "show" }
    );
    Line::styled(text, theme.error)
}

/// The commits on live that test lacks, from row `y` down.
fn render_drift_list(cs: &ChangeSet, area: Rect, y: u16, buf: &mut Buffer, theme: &Theme) {
    let list: Vec<&Commit> = cs.drift.iter().flat_map(|d| d.live_only.iter()).collect();
    if list.is_empty() {
        // An empty view would read as "not loaded": say there is nothing to lose.
        Paragraph::new(NO_DRIFT)
            .style(theme.dim)
            .wrap(Wrap { trim: true })
            .render(Rect::new(area.x, y, area.width, area.bottom() - y), buf);
        return;
    }
    for (i, c) in list.iter().enumerate() {
        let row_y = y + i as u16;
        if row_y >= area.bottom() {
            break;
        }
        let (line, _) = commit_line(c, 0, area.width as usize, false, "", theme);
        buf.set_line(area.x, row_y, &line, area.width);
    }
}

/// The commits `live..test` from row `y` down: the search line at the bottom while it is
/// typed, a count of hits above the list, and a legend below it when risks are symbols.
fn render_commit_list(
    pane: &mut ChangesPane,
    cs: &ChangeSet,
    area: Rect,
    mut y: u16,
    buf: &mut Buffer,
    ctx: &Ctx,
) {
    let theme = ctx.theme;
    if let Some(input) = &pane.input {
        input.render(
            "/",
            Rect::new(area.x, area.bottom() - 1, area.width, 1),
            buf,
            theme.accent,
        );
    }
    let list_bottom = if pane.input.is_some() {
        area.bottom() - 1
    } else {
        area.bottom()
    };
    let rows = rows::rows(cs, &pane.expanded, &pane.search);
    if !pane.search.is_empty() && !rows.is_empty() && y < list_bottom {
        let text = format!(
            "{} · n/N next/previous",
            rows::hit_summary(cs, &rows, &pane.search)
        );
        buf.set_line(area.x, y, &Line::styled(text, theme.info), area.width);
        y += 1;
    }
    let height = list_bottom.saturating_sub(y) as usize;
    if rows.is_empty() {
        let msg = if cs.count == 0 {
            "Nothing to ship: live runs test's version."
        } else {
            "No commit matches the search (Esc clears it)."
        };
        buf.set_line(area.x, y, &Line::styled(msg, theme.dim), area.width);
        return;
    }
    scroll_to_selection(pane, rows.len(), height);
    let mut any_symbols = false;
    for (i, row) in rows.iter().enumerate().skip(pane.offset).take(height) {
        let Some(c) = row.commit(cs) else { continue };
        let row_y = y + (i - pane.offset) as u16;
        let row_area = Rect::new(area.x, row_y, area.width, 1);
        any_symbols |= render_commit_row(pane, c, row, i == pane.selected, row_area, buf, ctx);
        pane.drawn.push((row_y, i));
    }
    // Narrow, risk flags are symbols: a spare row below the list says what they mean.
    let used = rows.len().saturating_sub(pane.offset).min(height);
    if any_symbols && used < height {
        buf.set_line(area.x, list_bottom - 1, &legend(cs, theme), area.width);
    }
}

/// Keeps the selection on a list of `len` rows and within the `height` rows shown.
fn scroll_to_selection(pane: &mut ChangesPane, len: usize, height: usize) {
    pane.selected = pane.selected.min(len - 1);
    if pane.selected < pane.offset {
        pane.offset = pane.selected;
    } else if height > 0 && pane.selected >= pane.offset + height {
        pane.offset = pane.selected + 1 - height;
    }
}

/// One commit of the list in its one-row `area`, highlighted when selected. True when its
/// risk flags were drawn as symbols (the legend then explains them).
fn render_commit_row(
    pane: &ChangesPane,
    c: &Commit,
    row: &Row,
    selected: bool,
    area: Rect,
    buf: &mut Buffer,
    ctx: &Ctx,
) -> bool {
    let theme = ctx.theme;
    let folded = c.is_merge && !pane.expanded.contains(&c.id) && pane.search.is_empty();
    let depth = usize::from(row.merged.is_some());
    let (mut line, symbols) =
        commit_line(c, depth, area.width as usize, folded, &pane.search, theme);
    if selected {
        let style = if ctx.focused {
            theme.selection
        } else {
            Style::new()
        };
        buf.set_style(area, style);
        line = line.patch_style(style);
    }
    buf.set_line(area.x, area.y, &line, area.width);
    symbols
}

/// The subject keeps at least this many columns before other fields are given up.
const MIN_SUBJECT: usize = 12;

/// What a commit row shows besides its id and subject, from the widest to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fields {
    author: bool,
    pr: bool,
    /// Risk flags as words (`MIGRATION`) or, narrow, as one letter each after `⚠`.
    risk_words: bool,
}

const FORMS: [Fields; 4] = [
    Fields {
        author: true,
        pr: true,
        risk_words: true,
    },
    Fields {
        author: true,
        pr: true,
        risk_words: false,
    },
    Fields {
        author: false,
        pr: true,
        risk_words: false,
    },
    Fields {
        author: false,
        pr: false,
        risk_words: false,
    },
];

/// A risk flag's one-letter symbol (`M` for migration), as the legend and detail explain.
pub(super) fn risk_symbol(risk: &str) -> String {
    risk.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

/// `9be77d1 Fix cache key for… alice #1234 MIGRATION`, fitted to `width`: narrow, risk
/// flags become symbols (`⚠M`), then the author goes, then the PR number — a field is
/// dropped whole, a number is never cut.
fn commit_line(
    c: &Commit,
    depth: usize,
    width: usize,
    folded: bool,
    search: &str,
    theme: &Theme,
) -> (Line<'static>, bool) {
    let marker = match (c.is_merge, folded, depth) {
        (_, _, 1) => "  └ ",
        (true, true, _) => "▸ ",
        (true, false, _) => "▾ ",
        _ => "  ",
    };
    let merged = if c.is_merge && folded {
        format!(" (+{})", c.merged.len())
    } else {
        String::new()
    };
    // A search that matched a path (not the subject) shows the path first.
    let hit = rows::hit(c, search);
    let subject =
        match hit.and_then(|h| (h == rows::Hit::Path).then(|| rows::first_path(c, search))) {
            Some(Some(path)) => format!(
                "path {} · {}",
                one_line(path, 200),
                one_line(&c.subject, 300)
            ),
            _ => one_line(&c.subject, 300),
        };
    let full_author = one_line(&c.author, 40);
    let parts = |f: Fields| {
        let pr = match c.pr {
            Some(p) if f.pr => format!(" {p}"),
            _ => String::new(),
        };
        let risks: String = if c.risks.is_empty() {
            String::new()
        } else if f.risk_words {
            c.risks
                .iter()
                .map(|r| format!(" {}", r.to_uppercase()))
                .collect()
        } else {
            let symbols: String = c.risks.iter().map(|r| risk_symbol(r)).collect();
            format!(" ⚠{symbols}")
        };
        // The author is counted at 12 columns here: when there is more room it is shown
        // whole (below), never cut below 12.
        let author_min = if f.author {
            1 + full_author.width().min(12)
        } else {
            0
        };
        let fixed =
            marker.width() + 8 + author_min + pr.width() + risks.width() + merged.width() + 1;
        (pr, risks, fixed, author_min)
    };
    let form = FORMS
        .iter()
        .copied()
        .find(|f| width.saturating_sub(parts(*f).2) >= MIN_SUBJECT)
        .unwrap_or(FORMS[FORMS.len() - 1]);
    let (pr, risks, fixed, author_min) = parts(form);
    let symbols = !form.risk_words && !c.risks.is_empty();
    let pr_shown = (form.pr && c.pr.is_some()).then(|| pr.trim_start());
    let subject = without_pr(&subject, pr_shown);
    // The author in full where the subject keeps its room (up to 48 columns of it).
    let author = if form.author {
        let subject_wants = subject.width().min(48);
        let spare = width.saturating_sub(fixed + subject_wants);
        let room = (author_min - 1 + spare).min(full_author.width());
        format!(" {}", fit(&full_author, room.max(1)))
    } else {
        String::new()
    };
    let room = width
        .saturating_sub(fixed - author_min + author.width())
        .max(4);
    let subject = fit(&subject, room);
    let pad = room.saturating_sub(subject.width());
    let mut spans = vec![
        Span::styled(marker, theme.dim),
        Span::styled(format!("{} ", c.short), theme.accent),
    ];
    match hit {
        Some(rows::Hit::Subject | rows::Hit::Path) => spans.extend(highlighted(
            &subject,
            search,
            theme.text,
            theme.warn.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )),
        _ => spans.push(Span::styled(subject, theme.text)),
    }
    spans.extend([
        Span::styled(merged, theme.dim),
        Span::raw(" ".repeat(pad)),
        Span::styled(author, theme.dim),
        Span::styled(pr, theme.info),
        Span::styled(risks, theme.warn),
    ]);
    (Line::from(spans), symbols)
}

/// `text` with each case-insensitive occurrence of `needle` in `hit` style.
fn highlighted(text: &str, needle: &str, base: Style, hit: Style) -> Vec<Span<'static>> {
    let lower = text.to_lowercase();
    let n = needle.to_lowercase();
    // Lower-casing changed the byte lengths (rare scripts): no highlight beats a wrong one.
    if n.is_empty() || lower.len() != text.len() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(&n) {
        let start = at + i;
        let end = start + n.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            break;
        }
        if start > at {
            spans.push(Span::styled(text[at..start].to_string(), base));
        }
        spans.push(Span::styled(text[start..end].to_string(), hit));
        at = end;
    }
    if at < text.len() {
        spans.push(Span::styled(text[at..].to_string(), base));
    }
    spans
}

/// `⚠ M migration · C config`: what the symbols of a narrow list stand for.
fn legend(cs: &ChangeSet, theme: &Theme) -> Line<'static> {
    let mut names: Vec<&str> = Vec::new();
    for c in &cs.commits {
        for r in &c.risks {
            if !names.contains(&r.as_str()) {
                names.push(r);
            }
        }
    }
    let items: Vec<String> = names
        .iter()
        .map(|r| format!("{} {}", risk_symbol(r), r.to_lowercase()))
        .collect();
    Line::styled(format!("⚠ {}", items.join(" · ")), theme.dim)
}

/// `s` cut to `width` with `…`; a cut never falls inside a number (`#1341` is never shown
/// as `#134`): the whole number, with any `#` or `(` before it, goes instead.
fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        if out.width() + 2 > width {
            // Cutting here: back off if this would split a number.
            if ch.is_ascii_digit() {
                while out.ends_with(|c: char| c.is_ascii_digit()) {
                    out.pop();
                }
                while out.ends_with(['#', '(', '-', '.', ',']) {
                    out.pop();
                }
            }
            break;
        }
        out.push(ch);
        if chars.peek().is_none() {
            return out;
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

/// The subject without a trailing ` (#1234)` that the PR column shows anyway.
fn without_pr(subject: &str, pr: Option<&str>) -> String {
    let Some(pr) = pr else {
        return subject.to_string();
    };
    subject
        .trim_end()
        .strip_suffix(&format!("({pr})"))
        .map_or(subject, str::trim_end)
        .to_string()
}

fn detail_lines(c: &Commit, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", c.short), theme.accent),
            Span::styled(one_line(&c.subject, 500), theme.title),
            Span::styled(
                c.pr.map(|p| format!("  {p}")).unwrap_or_default(),
                theme.info,
            ),
        ]),
        Line::styled(
            format!(
                "{} <{}> · {}",
                one_line(&c.author, 80),
                one_line(&c.email, 80),
                c.time.format("%Y-%m-%d %H:%M UTC")
            ),
            theme.dim,
        ),
    ];
    if !c.risks.is_empty() {
        // Each flag with the symbol a narrow list shows for it: `⚠ M MIGRATION · C CONFIG`.
        let flags: Vec<String> = c
            .risks
            .iter()
            .map(|r| format!("{} {}", risk_symbol(r), r.to_uppercase()))
            .collect();
        lines.push(Line::styled(format!("⚠ {}", flags.join(" · ")), theme.warn));
    }
    if !c.body.is_empty() {
        lines.push(Line::raw(""));
        for l in c.body.lines() {
            lines.push(Line::raw(one_line(l, 500)));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Files ({}):", c.files.len()),
        theme.title,
    ));
    for f in &c.files {
        let stats = match (f.added, f.removed) {
            (Some(a), Some(r)) => vec![
                Span::styled(format!("  +{a}"), theme.ok),
                Span::styled(format!(" -{r}"), theme.error),
            ],
            _ => vec![Span::styled("  …", theme.dim)],
        };
        let mut spans = vec![
            Span::styled(format!("  {} ", f.status), theme.dim),
            Span::raw(one_line(&f.path, 300)),
        ];
        spans.extend(stats);
        lines.push(Line::from(spans));
    }
    if !c.merged.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Merged commits ({}):", c.merged.len()),
            theme.title,
        ));
        for m in &c.merged {
            lines.push(Line::from(vec![
                Span::styled(format!("  {} ", m.short), theme.accent),
                Span::raw(one_line(&m.subject, 200)),
                Span::styled(format!("  {}", one_line(&m.author, 40)), theme.dim),
            ]));
        }
    }
    lines
}

/// The open commit's patch: `+` lines green, `-` lines red, file and hunk headers
/// marked, and what the bounds left out said at the end.
fn patch_lines(
    c: &Commit,
    patch: Option<&(String, Option<Result<Patch, String>>)>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", c.short), theme.accent),
        Span::styled(one_line(&c.subject, 500), theme.title),
        Span::styled("  · patch (d: files)", theme.dim),
    ])];
    let got = patch
        .filter(|(id, _)| *id == c.id)
        .and_then(|(_, p)| p.as_ref());
    let p = match got {
        None => {
            lines.push(Line::styled("Reading the patch…", theme.dim));
            return lines;
        }
        Some(Err(e)) => {
            lines.push(Line::styled(one_line(e, 500), theme.warn));
            return lines;
        }
        Some(Ok(p)) => p,
    };
    if p.lines.is_empty() {
        lines.push(Line::styled(
            "No changes in this commit's files.",
            theme.dim,
        ));
    }
    for (kind, text) in &p.lines {
        let text = one_line(text, 1000);
        lines.push(match kind {
            LineKind::File => Line::styled(text, theme.title),
            LineKind::Hunk => Line::styled(text, theme.info),
            LineKind::Added => Line::styled(format!("+{text}"), theme.ok),
            LineKind::Removed => Line::styled(format!("-{text}"), theme.error),
            LineKind::Context => Line::styled(format!(" {text}"), theme.text),
            LineKind::Note => Line::styled(text, theme.dim),
        });
    }
    if p.left_out > 0 {
        lines.push(Line::styled(
            format!(
                "… truncated: {} more line(s) not shown (at most {} lines or {} KB)",
                p.left_out,
                crate::vcs::patch::MAX_LINES,
                crate::vcs::patch::MAX_BYTES / 1024
            ),
            theme.warn,
        ));
    }
    lines
}

fn render_config(
    pane: &ChangesPane,
    stack: &crate::model::StackId,
    area: Rect,
    buf: &mut Buffer,
    ctx: &Ctx,
) {
    let theme = ctx.theme;
    let answer = if pane.awaiting_config.contains(stack) {
        None
    } else {
        ctx.model.changes.config_diff(stack)
    };
    let lines: Vec<Line> = match answer {
        None => vec![Line::styled(
            "Reading configuration of test and live…",
            theme.dim,
        )],
        Some(Err(e)) => vec![Line::styled(e.to_string(), theme.warn)],
        Some(Ok(d)) => {
            let mut lines = vec![Line::styled(
                format!(
                    "test vs live: {} change{} · {} unchanged{}",
                    d.changes.len(),
                    if d.changes.len() == 1 { "" } else { "s" },
                    d.unchanged,
                    if d.masked > 0 {
                        format!(" · {} secret value(s) masked", d.masked)
                    } else {
                        String::new()
                    }
                ),
                theme.dim,
            )];
            if d.changes.is_empty() {
                lines.push(Line::styled(
                    "Test and live have the same configuration.",
                    theme.ok,
                ));
            }
            for (key, change) in &d.changes {
                lines.push(match change {
                    KeyChange::Added { value } => Line::from(vec![
                        Span::styled("+ ", theme.ok),
                        Span::styled(key.clone(), theme.text),
                        Span::styled(format!(" = {value}"), theme.ok),
                    ]),
                    KeyChange::Removed { value } => Line::from(vec![
                        Span::styled("- ", theme.error),
                        Span::styled(key.clone(), theme.text),
                        Span::styled(format!(" = {value}"), theme.error),
                    ]),
                    KeyChange::Changed { live, test } => Line::from(vec![
                        Span::styled("~ ", theme.warn),
                        Span::styled(key.clone(), theme.text),
                        Span::styled(format!(" {live} → {test}"), theme.warn),
                    ]),
                });
            }
            lines
        }
    };
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
