//! Drawing the Metrics pane: first which rows fit (the selected stack's series always; then,
//! by priority, source problems, the other stacks, control comparisons, each source), then
//! each row straight into the buffer. What does not fit is counted for the title.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::sparkline::SparkStyles;
use super::view::{SeriesView, Severity, StackView};
use super::{MetricsPane, Target, format};
use crate::config::BadDirection;
use crate::text::one_line;
use crate::tui::pane::Ctx;
use crate::tui::theme::Theme;

/// What a frame had no room for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Hidden {
    series: usize,
    stacks: usize,
    lines: usize,
}

impl Hidden {
    fn total(&self) -> usize {
        self.series + self.stacks + self.lines
    }

    /// `+2 stacks, +3 lines`, or `None` when everything was shown.
    fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.series, "series", "series"),
            (self.stacks, "stack", "stacks"),
            (self.lines, "line", "lines"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("+{n} {}", if *n == 1 { one } else { many }))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The rows of one frame.
#[derive(Debug, Default)]
struct Plan {
    /// The selected stack's series shown (scrolled to keep the highlight visible).
    series: Range<usize>,
    /// A note stands where the series would be (waiting, none configured).
    note: bool,
    controls: Vec<usize>,
    summary: bool,
    /// The first this many source lines.
    sources: usize,
    header: bool,
    /// Board indices of the other stacks shown.
    stacks: Vec<usize>,
    hidden: Hidden,
    /// The last row says what is not shown.
    more: bool,
    /// No row to spare for that: the last series row ends with a count instead.
    corner: bool,
}

impl Plan {
    /// `+3 more (z)` for the corner of the last series row, when the plan puts it there.
    fn corner_text(&self) -> Option<String> {
        self.corner
            .then(|| format!("+{} more (z)", self.hidden.total()))
    }
}

/// The rows for `height`, with what did not fit said on screen: in a row of its own when
/// anything beyond the series was shown, else in the corner of the last series row.
fn plan(height: usize, view: Option<&StackView>, others: &[usize], highlight: usize) -> Plan {
    let p = plan_rows(height, view, others, highlight);
    if p.hidden.total() == 0 {
        return p;
    }
    let shown = p.series.len().max(usize::from(p.note));
    if height > shown {
        let mut p = plan_rows(height - 1, view, others, highlight);
        p.more = true;
        p
    } else {
        Plan { corner: true, ..p }
    }
}

fn plan_rows(height: usize, view: Option<&StackView>, others: &[usize], highlight: usize) -> Plan {
    let mut p = Plan::default();
    let n = view.map_or(0, |v| v.series.len());
    if n == 0 {
        p.note = height > 0;
    } else {
        let shown = n.min(height);
        let first = if n > height {
            highlight
                .min(n - 1)
                .saturating_sub(height.saturating_sub(1))
        } else {
            0
        };
        p.series = first..first + shown;
        p.hidden.series = n - shown;
    }
    let mut room = height.saturating_sub(p.series.len().max(usize::from(p.note)));
    let mut take = || {
        let ok = room > 0;
        room = room.saturating_sub(1);
        ok
    };
    // The comparisons of the worst series first: a flagged series' control says whether
    // the release or something upstream is to blame.
    let mut controls: Vec<(Severity, usize)> = view
        .map(|v| {
            v.series
                .iter()
                .enumerate()
                .filter(|(_, s)| s.control.is_some())
                .map(|(i, s)| (s.verdict.severity, i))
                .collect()
        })
        .unwrap_or_default();
    controls.sort_by_key(|&(severity, i)| (std::cmp::Reverse(severity), i));
    let source_lines = view.map_or(0, |v| v.source_lines.len());
    let troubled = view.is_some_and(|v| v.sources_summary.severity >= Severity::Watch);
    // By priority: what is wrong with the sources, then the other stacks, then the rest.
    if view.is_some() && troubled {
        p.summary = take();
        p.hidden.lines += usize::from(!p.summary);
    }
    for &i in others {
        if take() {
            p.stacks.push(i);
        } else {
            p.hidden.stacks += 1;
        }
    }
    for (_, i) in controls {
        if take() {
            p.controls.push(i);
        } else {
            p.hidden.lines += 1;
        }
    }
    p.controls.sort_unstable();
    for _ in 0..source_lines {
        if take() {
            p.sources += 1;
        } else {
            p.hidden.lines += 1;
        }
    }
    if view.is_some() && !troubled {
        // "All 6 sources answered" is worth a row only when there is one to spare.
        p.summary = take();
    }
    p.header = !p.stacks.is_empty() && take();
    p
}

/// How many rows the pane has content for, for sharing the screen's height by need.
pub(super) fn rows_wanted(pane: &MetricsPane, ctx: &Ctx) -> usize {
    let view = ctx
        .selected_stack()
        .and_then(|s| ctx.model.metrics_of(&s.id));
    let others: Vec<usize> = (0..ctx.board.stacks.len())
        .filter(|&i| i != ctx.selected)
        .collect();
    let p = plan_rows(usize::from(u16::MAX), view, &others, pane.highlight);
    p.series.len().max(usize::from(p.note))
        + p.controls.len()
        + usize::from(p.summary)
        + p.sources
        + usize::from(p.header)
        + p.stacks.len()
}

pub fn render(pane: &mut MetricsPane, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let stacks = ctx.model.metrics();
    let MetricsPane {
        highlight,
        detail,
        drawn,
        ..
    } = pane;
    drawn.clear();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = ctx.theme;
    let Some(stack) = ctx.selected_stack() else {
        put(
            buf,
            area.x,
            area.y,
            "No stacks configured.",
            area.width,
            theme.dim,
        );
        return;
    };
    let view = stacks.get(&stack.id);
    if let Some(v) = view
        && !v.series.is_empty()
    {
        *highlight = (*highlight).min(v.series.len() - 1);
    }
    if let (Some(scroll), Some(v)) = (*detail, view)
        && let Some(s) = v.series.get(*highlight)
    {
        render_detail(s, v, scroll, area, buf, theme);
        return;
    }
    let others: Vec<usize> = (0..ctx.board.stacks.len())
        .filter(|&i| i != ctx.selected)
        .collect();
    let p = plan(area.height as usize, view, &others, *highlight);
    let mut rows = Rows { y: area.y, drawn };
    if p.note {
        note_row(view, &mut rows, area, buf, theme);
    }
    if let Some(v) = view {
        let lit = ctx.focused.then_some(*highlight);
        series_rows(v, &p, lit, &mut rows, area, buf, theme);
        control_rows(v, &p.controls, &mut rows, area, buf, theme);
        source_rows(v, &p, &mut rows, area, buf, theme);
    }
    other_stack_rows(&p, view, &mut rows, area, buf, ctx);
    say_what_is_hidden(&p, &mut rows, area, buf, theme);
}

/// The row that stands for the series when there are none to draw: none scraped yet, or
/// none configured.
fn note_row(
    view: Option<&StackView>,
    rows: &mut Rows,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let text = match view {
        None => "waiting for the first scrape…",
        Some(_) => "no metrics configured ([[metrics.series]] in the config)",
    };
    let row = rows.next(None);
    put(buf, area.x, row, text, area.width, theme.dim);
}

/// The selected stack's series in the plan, one row each (`lit` is the highlighted one,
/// when the pane has the focus), each over a tall chart when zoomed with rows to spare.
fn series_rows(
    v: &StackView,
    p: &Plan,
    lit: Option<usize>,
    rows: &mut Rows,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let reserve = p.corner_text().map_or(0, |c| c.width() as u16 + 1);
    let mut layout = SeriesLayout::new(&v.series, area.width.saturating_sub(reserve));
    // With rows to spare (zoomed), each series gets a tall chart under its line.
    let chart = tall_rows(p, area.height);
    if chart > 0 {
        layout.spark = 0;
    }
    for i in p.series.clone() {
        let row = rows.next(Some(Target::Series(i)));
        series_row(&v.series[i], &layout, area, row, lit == Some(i), buf, theme);
        if chart > 0 {
            let top = rows.y;
            for _ in 0..chart {
                rows.next(Some(Target::Series(i)));
            }
            tall_chart(
                &v.series[i],
                Rect::new(area.x, top, area.width, chart),
                buf,
                theme,
            );
        }
    }
}

/// Each series of `controls` against the stacks still on the old version, its name
/// aligned with the longest series name.
fn control_rows(
    v: &StackView,
    controls: &[usize],
    rows: &mut Rows,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let name_w = v.series.iter().map(|s| s.name.width()).max().unwrap_or(0);
    for &i in controls {
        let row = rows.next(Some(Target::Series(i)));
        let s = &v.series[i];
        if let Some(c) = &s.control {
            let x = put(buf, area.x, row, &s.name, area.width, theme.text);
            let x = x.max(area.x.saturating_add(name_w as u16 + 1));
            put(
                buf,
                x,
                row,
                &c.full,
                area.right().saturating_sub(x),
                c.severity.style(theme),
            );
        }
    }
}

/// `sources: …` when the plan has room for it, then the planned source lines, indented.
fn source_rows(
    v: &StackView,
    p: &Plan,
    rows: &mut Rows,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    if p.summary {
        let row = rows.next(None);
        let x = put(buf, area.x, row, "sources: ", area.width, theme.dim);
        let w = &v.sources_summary;
        put(
            buf,
            x,
            row,
            &w.full,
            area.right().saturating_sub(x),
            w.severity.style(theme),
        );
    }
    for line in v.source_lines.iter().take(p.sources) {
        let row = rows.next(None);
        put(
            buf,
            area.x + 2.min(area.width),
            row,
            &line.text,
            area.width.saturating_sub(2),
            line.severity.style(theme),
        );
    }
}

/// The `other stacks` header and a compact row for each other stack in the plan.
fn other_stack_rows(
    p: &Plan,
    view: Option<&StackView>,
    rows: &mut Rows,
    area: Rect,
    buf: &mut Buffer,
    ctx: &Ctx,
) {
    if p.header {
        let row = rows.next(None);
        put(buf, area.x, row, "other stacks", area.width, ctx.theme.dim);
    }
    if !p.stacks.is_empty() {
        let stacks = ctx.model.metrics();
        let layout = CompactLayout::new(ctx, stacks, &p.stacks, view, area.width);
        for &i in &p.stacks {
            let row = rows.next(Some(Target::Stack(i)));
            compact_row(ctx, stacks, i, &layout, area, row, buf);
        }
    }
}

/// What did not fit: counted in the corner of the last row drawn, or named in a row of
/// its own, as the plan decided.
fn say_what_is_hidden(p: &Plan, rows: &mut Rows, area: Rect, buf: &mut Buffer, theme: &Theme) {
    if let Some(c) = &p.corner_text()
        && rows.y > area.y
    {
        let x = area.right().saturating_sub(c.width() as u16).max(area.x);
        put(buf, x, rows.y - 1, c, area.width, theme.dim);
    }
    if p.more
        && let Some(h) = p.hidden.describe()
    {
        let row = rows.next(None);
        put(
            buf,
            area.x,
            row,
            &format!("… {h} not shown · z zooms"),
            area.width,
            theme.dim,
        );
    }
}

/// Rows of tall chart per series when everything fits with room to spare (at least
/// three rows a series), else 0.
fn tall_rows(p: &Plan, height: u16) -> u16 {
    let n = p.series.len();
    if n == 0 || p.note || p.hidden.total() > 0 || p.more || p.corner {
        return 0;
    }
    let used = n
        + p.controls.len()
        + usize::from(p.summary)
        + p.sources
        + usize::from(p.header)
        + p.stacks.len();
    let spare = usize::from(height).saturating_sub(used) / n;
    if spare < 3 {
        return 0;
    }
    spare.min(16) as u16
}

/// A series' history as a chart `area.height` rows tall: its scale's top and bottom on a
/// y axis at the left, the level before the promotion drawn across as a dotted line.
fn tall_chart(s: &SeriesView, area: Rect, buf: &mut Buffer, theme: &Theme) {
    if area.height < 2 || area.width < 12 {
        return;
    }
    let (lo, hi) = s.spark.range();
    let baseline = s.stats.in_view.as_ref().map(|sh| sh.baseline_median);
    // The baseline's row, when it falls between the top and the bottom.
    let base_y = baseline
        .filter(|b| b.is_finite() && hi > lo)
        .map(|b| {
            let from_bottom = ((b - lo) / (hi - lo)).clamp(0.0, 1.0) * f64::from(area.height - 1);
            area.bottom() - 1 - from_bottom.round() as u16
        })
        .filter(|&y| y != area.y && y != area.bottom() - 1);
    let mut labels = vec![
        (area.y, s.fmt(Some(hi))),
        (area.bottom() - 1, s.fmt(Some(lo))),
    ];
    if let (Some(y), Some(b)) = (base_y, baseline) {
        labels.push((y, s.fmt(Some(b))));
    }
    let label_w = labels.iter().map(|(_, l)| l.width()).max().unwrap_or(0) as u16;
    let axis_x = area.x + label_w + 1;
    for (y, label) in &labels {
        let pad = label_w - label.width() as u16;
        put(buf, area.x + pad, *y, label, label_w, theme.dim);
    }
    for y in area.top()..area.bottom() {
        let tick = if labels.iter().any(|(ly, _)| *ly == y) {
            "┤"
        } else {
            "│"
        };
        put(buf, axis_x, y, tick, 1, theme.dim);
    }
    let x = axis_x + 1;
    s.spark.draw_tall(
        buf,
        x,
        area.y,
        area.right().saturating_sub(x),
        area.height,
        verdict_spark_styles(s, theme),
        baseline,
    );
}

/// Hands out screen rows top down and remembers which are clickable.
struct Rows<'a> {
    y: u16,
    drawn: &'a mut Vec<(u16, Target)>,
}

impl Rows<'_> {
    fn next(&mut self, target: Option<Target>) -> u16 {
        let row = self.y;
        self.y = self.y.saturating_add(1);
        if let Some(t) = target {
            self.drawn.push((row, t));
        }
        row
    }
}

/// Writes `text` from (`x`, `y`), at most `width` columns, with `…` where it is cut.
/// Returns the column after the text.
fn put(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16, style: Style) -> u16 {
    if width == 0 || !buf.area.contains(ratatui::layout::Position { x, y }) {
        return x;
    }
    if text.width() <= width as usize {
        return buf.set_stringn(x, y, text, width as usize, style).0;
    }
    let (end, _) = buf.set_stringn(x, y, text, width as usize - 1, style);
    buf.set_stringn(end, y, "…", 1, style).0
}

fn verdict_spark_styles(s: &SeriesView, theme: &Theme) -> SparkStyles {
    let after = match s.verdict.severity {
        Severity::Alert => theme.error,
        Severity::Watch => theme.warn,
        _ => theme.accent,
    };
    SparkStyles {
        before: theme.accent,
        after,
        marker: theme.title,
    }
}

/// Column widths of the selected stack's series rows: the sparkline takes what is left.
struct SeriesLayout {
    name: u16,
    spark: u16,
    value: u16,
    short_verdicts: bool,
}

impl SeriesLayout {
    fn new(series: &[SeriesView], width: u16) -> SeriesLayout {
        let max = |f: &dyn Fn(&SeriesView) -> usize| {
            series.iter().map(f).max().unwrap_or(0).min(60) as u16
        };
        let name = max(&|s| s.name.width()).min(16);
        let value = max(&|s| s.value.width()).min(10);
        let full = max(&|s| s.verdict.full.width());
        let short = max(&|s| s.verdict.short.width());
        let fixed = name + 1 + 1 + value + 2;
        let spark_for = |verdict: u16| width.saturating_sub(fixed + verdict);
        // A long verdict may cost the sparkline its width, not its existence.
        let short_verdicts = spark_for(full) < 16 && short < full;
        let spark = spark_for(if short_verdicts { short } else { full });
        SeriesLayout {
            name,
            spark: if spark < 4 { 0 } else { spark },
            value,
            short_verdicts,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn series_row(
    s: &SeriesView,
    l: &SeriesLayout,
    area: Rect,
    y: u16,
    lit: bool,
    buf: &mut Buffer,
    theme: &Theme,
) {
    if lit {
        buf.set_style(Rect::new(area.x, y, area.width, 1), theme.selection);
    }
    let right = area.right();
    let mut x = area.x;
    put(buf, x, y, &s.name, l.name.min(area.width), theme.text);
    x = x.saturating_add(l.name + 1);
    if l.spark > 0 && x < right {
        s.spark.draw(
            buf,
            x,
            y,
            l.spark.min(right - x),
            verdict_spark_styles(s, theme),
        );
        x = x.saturating_add(l.spark + 1);
    }
    if x < right {
        let pad = l.value.saturating_sub(s.value.width() as u16);
        let value_style = if s.value == format::NO_VALUE {
            theme.dim
        } else {
            theme.text
        };
        put(
            buf,
            x + pad.min(right - x),
            y,
            &s.value,
            right.saturating_sub(x + pad),
            value_style,
        );
        x = x.saturating_add(l.value + 2);
    }
    if x < right {
        let text = if l.short_verdicts {
            &s.verdict.short
        } else {
            &s.verdict.full
        };
        put(buf, x, y, text, right - x, s.verdict.severity.style(theme));
    }
}

/// Column widths of the other stacks' rows: name, then per series its name, a small
/// sparkline and its value, then the stack's worst verdict.
struct CompactLayout<'a> {
    name: u16,
    series_names: Vec<&'a str>,
    values: Vec<u16>,
    spark: u16,
    flag: u16,
    short_flags: bool,
}

impl<'a> CompactLayout<'a> {
    fn new(
        ctx: &Ctx,
        stacks: &'a std::collections::HashMap<crate::model::StackId, StackView>,
        shown: &[usize],
        selected: Option<&'a StackView>,
        width: u16,
    ) -> CompactLayout<'a> {
        let views: Vec<&'a StackView> = shown
            .iter()
            .filter_map(|&i| stacks.get(&ctx.board.stacks.get(i)?.id))
            .collect();
        // Series names from any stack that has them: every stack shares the config.
        let names: Vec<&'a str> = selected
            .filter(|v| !v.series.is_empty())
            .or_else(|| views.iter().copied().find(|v| !v.series.is_empty()))
            .map(|v| v.series.iter().map(|s| s.name.as_str()).collect())
            .unwrap_or_default();
        let values: Vec<u16> = (0..names.len())
            .map(|i| {
                views
                    .iter()
                    .filter_map(|v| v.series.get(i))
                    .map(|s| s.value.width() as u16)
                    .max()
                    .unwrap_or(1)
                    .min(10)
            })
            .collect();
        let name = shown
            .iter()
            .filter_map(|&i| ctx.board.stacks.get(i))
            .map(|s| s.name.width())
            .max()
            .unwrap_or(4)
            .min(12) as u16;
        let flag_w = |short: bool| {
            views
                .iter()
                .filter_map(|v| v.worst.as_ref())
                .map(|w| {
                    if short {
                        w.short.width()
                    } else {
                        w.full.width()
                    }
                })
                .max()
                .unwrap_or(0)
                .min(30) as u16
        };
        let fixed_series: u16 = names
            .iter()
            .zip(&values)
            .map(|(n, v)| n.width() as u16 + 1 + v + 2)
            .sum();
        let fixed = name + 2 + fixed_series;
        let n = names.len().max(1) as u16;
        let spark_for = |flag: u16| width.saturating_sub(fixed + flag) / n;
        let short_flags = spark_for(flag_w(false)) < 6;
        let flag = flag_w(short_flags);
        // Small sparklines: a glance at the shape, not a second large view.
        let spark = spark_for(flag).saturating_sub(1).min(30);
        CompactLayout {
            name,
            series_names: names,
            values,
            spark: if spark < 3 { 0 } else { spark },
            flag,
            short_flags,
        }
    }
}

fn compact_row(
    ctx: &Ctx,
    stacks: &std::collections::HashMap<crate::model::StackId, StackView>,
    i: usize,
    l: &CompactLayout,
    area: Rect,
    y: u16,
    buf: &mut Buffer,
) {
    let theme = ctx.theme;
    let Some(stack) = ctx.board.stacks.get(i) else {
        return;
    };
    let right = area.right();
    let name = one_line(&stack.name, 24);
    put(buf, area.x, y, &name, l.name.min(area.width), theme.text);
    let mut x = area.x.saturating_add(l.name + 2);
    let Some(v) = stacks.get(&stack.id) else {
        put(
            buf,
            x.min(right),
            y,
            "waiting for the first scrape…",
            right.saturating_sub(x),
            theme.dim,
        );
        return;
    };
    if v.series.is_empty() {
        put(
            buf,
            x.min(right),
            y,
            "no metrics",
            right.saturating_sub(x),
            theme.dim,
        );
        return;
    }
    for (j, sname) in l.series_names.iter().enumerate() {
        if x >= right {
            return;
        }
        let Some(s) = v.series.get(j) else { break };
        x = put(buf, x, y, sname, right - x, theme.dim) + 1;
        if l.spark > 0 && x < right {
            s.spark.draw(
                buf,
                x,
                y,
                l.spark.min(right - x),
                verdict_spark_styles(s, theme),
            );
            x = x.saturating_add(l.spark + 1);
        }
        if x >= right {
            return;
        }
        let vw = l.values.get(j).copied().unwrap_or(1);
        let pad = vw.saturating_sub(s.value.width() as u16);
        put(
            buf,
            (x + pad).min(right),
            y,
            &s.value,
            right.saturating_sub(x + pad),
            theme.text,
        );
        x = x.saturating_add(vw + 2);
    }
    if let Some(w) = &v.worst
        && x < right
    {
        let text = if l.short_flags { &w.short } else { &w.full };
        put(
            buf,
            x,
            y,
            text,
            l.flag.min(right - x),
            w.severity.style(theme),
        );
    }
}

/// One series in full: what it is, its sparkline across the pane, and the numbers behind
/// the verdict, then its stack's sources.
fn render_detail(
    s: &SeriesView,
    v: &StackView,
    scroll: u16,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let bad = match s.bad {
        BadDirection::Up => "bad when it rises",
        BadDirection::Down => "bad when it falls",
    };
    let unit = if s.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.unit)
    };
    let head = Line::from(vec![
        ratatui::text::Span::styled(format!("{}{unit}", s.name), theme.title),
        ratatui::text::Span::styled(format!(" · {bad} · "), theme.dim),
        ratatui::text::Span::styled(s.verdict.full.clone(), s.verdict.severity.style(theme)),
    ]);
    buf.set_line(area.x, area.y, &head, area.width);
    if area.height < 2 {
        return;
    }
    s.spark.draw(
        buf,
        area.x,
        area.y + 1,
        area.width,
        verdict_spark_styles(s, theme),
    );
    let body = Rect::new(
        area.x,
        area.y + 2,
        area.width,
        area.height.saturating_sub(2),
    );
    if body.height == 0 {
        return;
    }
    Paragraph::new(detail_lines(s, v, theme))
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .render(body, buf);
}

fn detail_lines(s: &SeriesView, v: &StackView, theme: &Theme) -> Vec<Line<'static>> {
    let st = &s.stats;
    let gaps = match st.gaps {
        0 => String::new(),
        1 => ", 1 gap".to_string(),
        n => format!(", {n} gaps"),
    };
    let mut lines = vec![Line::styled(
        format!(
            "now {} · min {} · max {} · {} samples{gaps}",
            s.value,
            s.fmt(st.min),
            s.fmt(st.max),
            st.samples
        ),
        theme.text,
    )];
    match v.marker {
        Some(at) => lines.push(Line::styled(
            format!(
                "{}: new version took traffic {} ({} marks it) · {} samples before it, {} since",
                v.change.as_deref().unwrap_or("changed"),
                format::clock_secs(at),
                super::sparkline::MARKER,
                st.before,
                st.since
            ),
            theme.text,
        )),
        None => lines.push(Line::styled(
            format!(
                "live has not changed in this release: all {} samples are baseline",
                st.samples
            ),
            theme.dim,
        )),
    }
    lines.push(Line::styled(
        format!("verdict: {}", s.verdict.full),
        s.verdict.severity.style(theme),
    ));
    let shift_line = |label: &str, sh: &crate::feeds::metrics::Shift| {
        format!(
            "{label}: baseline median {} → recent median {} · effect {} · p {}",
            s.fmt(Some(sh.baseline_median)),
            s.fmt(Some(sh.recent_median)),
            format::relative(sh.relative),
            format::p_value(sh.p_value)
        )
    };
    match s.raw.flag() {
        Some(flag) => {
            let label = match flag.basis {
                crate::feeds::metrics::Basis::Baseline => "detector",
                crate::feeds::metrics::Basis::OtherStacks => "detector, vs other stacks",
            };
            lines.push(Line::styled(
                shift_line(label, &flag.magnitude),
                theme.error,
            ));
        }
        None => {
            if let Some(sh) = &st.in_view {
                lines.push(Line::styled(shift_line("samples in view", sh), theme.text));
            }
        }
    }
    if let Some(c) = &s.control {
        lines.push(Line::styled(
            format!("{} {}", s.name, c.full),
            c.severity.style(theme),
        ));
        if let Some(d) = &s.control_detail {
            lines.push(Line::styled(d.clone(), theme.text));
        }
    } else if v.marker.is_some() {
        lines.push(Line::styled(
            "vs other stacks: no comparison (needs stacks still on the old version, with data since the change)",
            theme.dim,
        ));
    }
    lines.push(Line::from(vec![
        ratatui::text::Span::styled("sources: ", theme.dim),
        ratatui::text::Span::styled(
            v.sources_summary.full.clone(),
            v.sources_summary.severity.style(theme),
        ),
    ]));
    for l in &v.source_lines {
        lines.push(Line::styled(
            format!("  {}", l.text),
            l.severity.style(theme),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_rows_are_named() {
        let h = Hidden {
            series: 0,
            stacks: 1,
            lines: 3,
        };
        assert_eq!(h.describe().as_deref(), Some("+1 stack, +3 lines"));
        assert_eq!(Hidden::default().describe(), None);
    }

    fn view(series: usize, troubled: bool) -> StackView {
        use crate::feeds::metrics::{
            MetricsUpdate, SeriesUpdate, Source, SourceProblem, SourceReport, Verdict,
        };
        let problems = if troubled {
            vec![SourceProblem::Setup {
                message: "no token".into(),
            }]
        } else {
            Vec::new()
        };
        StackView::new(&MetricsUpdate {
            baseline: Default::default(),
            stack: crate::model::StackId::new("s"),
            at: chrono::Utc::now(),
            watch: None,
            series: (0..series)
                .map(|i| SeriesUpdate {
                    name: format!("s{i}"),
                    unit: String::new(),
                    bad: BadDirection::Up,
                    value: None,
                    verdict: Verdict::Unchanged,
                    control: None,
                    history: Vec::new(),
                })
                .collect(),
            sources: vec![SourceReport {
                source: Source::Instance {
                    id: "i".into(),
                    url: "u".into(),
                },
                problems,
                totals: Default::default(),
            }],
        })
    }

    #[test]
    fn a_short_pane_keeps_the_highlighted_series_and_counts_the_rest() {
        let v = view(5, false);
        let p = plan(3, Some(&v), &[1, 2], 4);
        assert_eq!(p.series, 2..5);
        assert!(p.corner && !p.more);
        assert_eq!(p.hidden.series, 2);
        assert_eq!(p.hidden.stacks, 2);
        assert_eq!(plan(3, Some(&v), &[1, 2], 0).series, 0..3);
    }

    #[test]
    fn source_problems_come_before_other_stacks_and_a_row_says_what_is_left_out() {
        let v = view(2, true);
        let p = plan(5, Some(&v), &[1, 2, 3], 0);
        assert_eq!(p.series, 0..2);
        assert!(p.summary);
        // Two rows left: one stack and the row that counts the rest.
        assert_eq!(p.stacks, vec![1]);
        assert!(p.more);
        assert_eq!(p.hidden.describe().as_deref(), Some("+2 stacks, +1 line"));
        // Plenty of room: everything, with a header over the stacks, nothing left out.
        let p = plan(20, Some(&v), &[1, 2, 3], 0);
        assert_eq!(
            (p.stacks.len(), p.sources, p.header, p.more),
            (3, 1, true, false)
        );
        // Waiting for data: a note, then the other stacks.
        let p = plan(3, None, &[1, 2, 3], 0);
        assert!(p.note && p.more);
        assert_eq!(p.stacks, vec![1]);
    }

    #[test]
    fn the_flagged_series_comparison_with_the_control_comes_first() {
        use crate::feeds::metrics::{
            ControlComparison, MetricsUpdate, SeriesUpdate, Shift, Verdict,
        };
        let shift = Shift {
            baseline_median: 1.0,
            recent_median: 4.0,
            relative: 3.0,
            p_value: 0.0001,
        };
        let series = |name: &str, verdict: Verdict| SeriesUpdate {
            name: name.into(),
            unit: "%".into(),
            bad: BadDirection::Up,
            value: Some(4.0),
            verdict,
            control: Some(ControlComparison {
                control_stacks: 1,
                normalised: false,
                shift,
                worse: true,
            }),
            history: Vec::new(),
        };
        let v = StackView::new(&MetricsUpdate {
            baseline: Default::default(),
            stack: crate::model::StackId::new("s"),
            at: chrono::Utc::now(),
            watch: Some(crate::feeds::metrics::Watch::took_traffic(
                crate::model::Version::new("old"),
                crate::model::Version::new("new"),
                chrono::Utc::now(),
            )),
            series: vec![
                series("req/s", Verdict::Ok),
                series(
                    "errors",
                    Verdict::Spike(crate::feeds::metrics::Flag::fresh(
                        chrono::Utc::now(),
                        shift,
                    )),
                ),
                series("p99", Verdict::Ok),
            ],
            sources: vec![crate::feeds::metrics::SourceReport {
                source: crate::feeds::metrics::Source::Instance {
                    id: "i".into(),
                    url: "u".into(),
                },
                problems: Vec::new(),
                totals: Default::default(),
            }],
        });
        // Three series, then one row for a comparison and one saying what is left out.
        let p = plan(5, Some(&v), &[], 0);
        assert_eq!(p.controls, vec![1]);
        assert!(p.more);
        let p = plan(6, Some(&v), &[], 0);
        assert_eq!((p.controls, p.more), (vec![0, 1, 2], false));
    }
}
