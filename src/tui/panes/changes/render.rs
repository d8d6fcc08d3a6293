//! Drawing the Changes pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{ChangesPane, View, rows};
use crate::configdiff::KeyChange;
use crate::engine::RepoState;
use crate::text::one_line;
use crate::tui::pane::Ctx;
use crate::tui::theme::Theme;
use crate::vcs::Commit;
use crate::vcs::patch::{LineKind, Patch};

pub fn render(pane: &mut ChangesPane, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    pane.drawn.clear();
    if area.height == 0 || area.width < 4 {
        return;
    }
    let theme = ctx.theme;
    let say = |buf: &mut Buffer, text: &str, style: Style| {
        Paragraph::new(text.to_string())
            .style(style)
            .wrap(Wrap { trim: true })
            .render(area, buf);
    };
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
        // `G` asks for the end: the last screenful (as wrapped at this width).
        if *scroll == u16::MAX {
            let w = (area.width as usize).max(1);
            let rows: usize = lines.iter().map(|l| l.width().div_ceil(w).max(1)).sum();
            *scroll =
                u16::try_from(rows.saturating_sub(area.height as usize)).unwrap_or(u16::MAX - 1);
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((*scroll, 0))
            .render(area, buf);
        return;
    }
    if stack.versions.is_none() {
        return say(buf, "Waiting for the platform's versions…", theme.dim);
    }
    let nothing_to_ship = stack
        .versions
        .as_ref()
        .is_some_and(|v| v.target() == v.source())
        && stack.previous_live.is_none();
    if nothing_to_ship {
        return say(buf, "Nothing to ship: live runs test's version.", theme.dim);
    }
    let Some(result) = pane.current(ctx).cloned() else {
        let msg = match &ctx.model.changes.repo {
            RepoState::Ready(_) => "Reading history…".to_string(),
            other => other.describe(),
        };
        let style = if matches!(ctx.model.changes.repo, RepoState::Failed(_)) {
            theme.error
        } else {
            theme.dim
        };
        return say(buf, &msg, style);
    };
    let cs = match result.as_ref() {
        Ok(cs) => cs,
        Err(e) => {
            let remedy = e
                .remedy()
                .map(|r| format!("; {}", crate::tui::remedy::words(&r)))
                .unwrap_or_default();
            return say(buf, &format!("{e}{remedy}"), theme.warn);
        }
    };
    let mut y = area.y;
    if let Some(drift) = &cs.drift {
        let n = drift.live_only.len();
        let text = format!(
            "⚠ DRIFT: live has {n} commit{} test lacks; promoting removes {}. d: show",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        );
        buf.set_line(area.x, y, &Line::styled(text, theme.error), area.width);
        y += 1;
    }
    if pane.view == View::Drift {
        let list: Vec<&Commit> = cs.drift.iter().flat_map(|d| d.live_only.iter()).collect();
        for (i, c) in list.iter().enumerate() {
            let row_y = y + i as u16;
            if row_y >= area.bottom() {
                break;
            }
            let line = commit_line(c, 0, area.width as usize, false, "", theme);
            buf.set_line(area.x, row_y, &line, area.width);
        }
        return;
    }
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
    pane.selected = pane.selected.min(rows.len() - 1);
    if pane.selected < pane.offset {
        pane.offset = pane.selected;
    } else if height > 0 && pane.selected >= pane.offset + height {
        pane.offset = pane.selected + 1 - height;
    }
    for (i, row) in rows.iter().enumerate().skip(pane.offset).take(height) {
        let Some(c) = row.commit(cs) else { continue };
        let folded = c.is_merge && !pane.expanded.contains(&c.id) && pane.search.is_empty();
        let depth = usize::from(row.merged.is_some());
        let mut line = commit_line(c, depth, area.width as usize, folded, &pane.search, theme);
        let row_y = y + (i - pane.offset) as u16;
        if i == pane.selected {
            let style = if ctx.focused {
                theme.selection
            } else {
                Style::new()
            };
            buf.set_style(Rect::new(area.x, row_y, area.width, 1), style);
            line = line.patch_style(style);
        }
        buf.set_line(area.x, row_y, &line, area.width);
        pane.drawn.push((row_y, i));
    }
}

/// `9be77d1 Fix cache key for… alice #1234 MIGRATION`, fitted to `width`.
fn commit_line(
    c: &Commit,
    depth: usize,
    width: usize,
    folded: bool,
    search: &str,
    theme: &Theme,
) -> Line<'static> {
    let marker = match (c.is_merge, folded, depth) {
        (_, _, 1) => "  └ ",
        (true, true, _) => "▸ ",
        (true, false, _) => "▾ ",
        _ => "  ",
    };
    let pr = c.pr.map(|p| format!(" {p}")).unwrap_or_default();
    let risks: String = c
        .risks
        .iter()
        .map(|r| format!(" {}", r.to_uppercase()))
        .collect();
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
    let fixed = marker.width() + 8 + 1 + pr.width() + risks.width() + merged.width() + 1;
    // The author in full where the subject keeps its room (up to 48 columns of it); cut
    // to no less than 12 columns when the pane is narrow.
    let full = one_line(&c.author, 40);
    let subject_wants = subject.width().min(48);
    let author_room = width
        .saturating_sub(fixed + subject_wants)
        .clamp(12.min(full.width()), full.width().max(1));
    let author = fit(&full, author_room);
    let room = width.saturating_sub(fixed + author.width()).max(8);
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
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(author, theme.dim),
        Span::styled(pr, theme.info),
        Span::styled(risks, theme.warn),
    ]);
    Line::from(spans)
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

fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for ch in s.chars() {
        if out.width() + 2 > width {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
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
        let flags: Vec<String> = c.risks.iter().map(|r| r.to_uppercase()).collect();
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
