//! The Stacks pane: every stack in promotion order with live and test versions, its
//! phase, and a Promote button; after the phase, where the row has room, the stack's worst
//! metric flag and its last smoke test (both read from the dashboard model).

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use unicode_width::UnicodeWidthStr;

use crate::engine::Event;
use crate::engine::freshness::{Freshness, ago, at_and_ago};
use crate::engine::release::{Phase, StackRelease};
use crate::text::one_line;
use crate::tui::keymap::{Binding, DefaultScope, HelpSection, Keymap, Scope, ScopeKind};
use crate::tui::model::Smoke;
use crate::tui::model::metrics::Severity;
use crate::tui::pane::{Ctx, Hint, Intent, Outcome, Pane, PaneId};
use crate::tui::theme::Theme;

const BUTTON: &str = "[Promote]";
/// After the state of the next stack to promote in order.
const NEXT: &str = " ◀ next";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StacksKey {
    Down,
    Up,
    First,
    Last,
    Promote,
}

pub static KEYS: Scope<StacksKey> = Scope {
    name: "stacks",
    title: "Stacks pane",
    kind: ScopeKind::Pane,
    bindings: &[
        Binding {
            action: StacksKey::Promote,
            name: "promote",
            keys: &["Enter"],
            hint: "promote",
            help: "promote the selected stack (its Promote button)",
        },
        Binding {
            action: StacksKey::Down,
            name: "down",
            keys: &["j", "Down"],
            hint: "select",
            help: "select the next stack",
        },
        Binding {
            action: StacksKey::Up,
            name: "up",
            keys: &["k", "Up"],
            hint: "select",
            help: "select the previous stack",
        },
        // `g` is the gates overlay here (1 and Home select the first stack).
        Binding {
            action: StacksKey::First,
            name: "first",
            keys: &["Home"],
            hint: "first",
            help: "select the first stack",
        },
        Binding {
            action: StacksKey::Last,
            name: "last",
            keys: &["End", "G"],
            hint: "last",
            help: "select the last stack",
        },
    ],
};

impl DefaultScope for StacksKey {
    fn scope() -> &'static Scope<Self> {
        &KEYS
    }
}

#[derive(Default)]
pub struct StacksPane {
    /// Where each row and its button were drawn, for mouse clicks.
    rows: Vec<(Rect, Option<Rect>)>,
    keys: Keymap<StacksKey>,
}

/// A cell after the state: its forms from the longest to the shortest, and how much
/// attention it asks for (the worst are kept when the row is short of room).
struct Extra {
    forms: Vec<String>,
    severity: Severity,
}

fn smoke_cell(smoke: &Smoke) -> Option<Extra> {
    match smoke {
        Smoke::Running => Some(Extra {
            forms: vec!["smoke …".into()],
            severity: Severity::Note,
        }),
        Smoke::Done(r) if r.checks.is_empty() => None,
        Smoke::Done(r) => {
            let ok = r.checks.iter().filter(|c| c.passed).count();
            let n = r.checks.len();
            if r.passed() {
                return Some(Extra {
                    forms: vec![format!("smoke ✓ {ok}/{n}")],
                    severity: Severity::Good,
                });
            }
            let mut forms = Vec::new();
            if let Some(f) = r.failed().next() {
                forms.push(format!(
                    "smoke ✗ {ok}/{n} {}: {}",
                    one_line(&f.name, 20),
                    one_line(f.failure.as_deref().unwrap_or("failed"), 60)
                ));
            }
            forms.push(format!("smoke ✗ {ok}/{n}"));
            Some(Extra {
                forms,
                severity: Severity::Alert,
            })
        }
    }
}

/// The cells that fit in `room` columns (one space before each), in their fixed order:
/// as many as fit in their shortest forms, the worst first; then each, worst first, in
/// its longest form that still fits.
fn fit_extras(extras: &[Extra], room: usize) -> Vec<(usize, &str)> {
    let cost = |form: &String| form.width() + 1;
    let mut order: Vec<usize> = (0..extras.len()).collect();
    // Stable: equally severe cells keep their fixed order (flag before smoke).
    order.sort_by_key(|&i| std::cmp::Reverse(extras[i].severity));
    let mut left = room;
    // (cell, index of its form)
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    for &i in &order {
        let Some(last) = extras[i].forms.len().checked_sub(1) else {
            continue;
        };
        if cost(&extras[i].forms[last]) <= left {
            left -= cost(&extras[i].forms[last]);
            chosen.push((i, last));
        }
    }
    for (i, form) in &mut chosen {
        let forms = &extras[*i].forms;
        let now = cost(&forms[*form]);
        if let Some(longer) = (0..*form).find(|&f| cost(&forms[f]) <= left + now) {
            left = left + now - cost(&forms[longer]);
            *form = longer;
        }
    }
    chosen.sort_by_key(|(i, _)| *i);
    chosen
        .into_iter()
        .map(|(i, f)| (i, extras[i].forms[f].as_str()))
        .collect()
}

impl StacksPane {
    pub fn new() -> Self {
        StacksPane::default()
    }
}

/// The state cell, with a request of this dashboard's still unanswered shown as such,
/// and versions the platform no longer confirms shown as last known, never as current.
fn state_cell(stack: &StackRelease, ctx: &Ctx) -> Span<'static> {
    if ctx.requested.contains_key(&stack.id) && stack.phase.in_flight().is_none() {
        return Span::styled("⟳ requested", ctx.theme.accent);
    }
    match ctx.board.freshness(&stack.id, ctx.now) {
        Some(Freshness::Stale { known_at, .. }) => Span::styled(
            format!("⚠ last known {}", at_and_ago(known_at, ctx.now)),
            ctx.theme.warn,
        ),
        Some(Freshness::Unknown { error }) => Span::styled(
            format!("⚠ unknown (read failed {})", ago(error.at, ctx.now)),
            ctx.theme.error,
        ),
        _ => phase_cell(stack, ctx.theme),
    }
}

/// How many stacks' versions are not current (stale or unknown), for the title.
fn not_current(ctx: &Ctx) -> usize {
    ctx.board
        .stacks
        .iter()
        .filter(|s| {
            ctx.board
                .freshness(&s.id, ctx.now)
                .is_some_and(|f| matches!(f, Freshness::Stale { .. } | Freshness::Unknown { .. }))
        })
        .count()
}

/// The state cell: a word and a symbol, never colour alone.
pub fn phase_cell(stack: &StackRelease, theme: &Theme) -> Span<'static> {
    let pct = |p: Option<f32>| {
        p.map(|p| format!(" {:>3.0}%", p * 100.0))
            .unwrap_or_default()
    };
    match &stack.phase {
        Phase::Unknown => Span::styled("… reading", theme.dim),
        Phase::Pending => Span::styled(BUTTON, theme.button),
        Phase::Promoting(t) if t.deployment.is_none() => Span::styled("⟳ starting", theme.accent),
        Phase::Promoting(t) => {
            Span::styled(format!("⟳{}", pct(t.progress).trim_end()), theme.accent)
        }
        Phase::Verifying(_) => Span::styled("⟳ verifying", theme.accent),
        Phase::Live => Span::styled("✓ live", theme.ok),
        Phase::Failed { .. } => Span::styled("✗ failed", theme.error),
        Phase::Aborted(_) => Span::styled("■ aborted", theme.warn),
        Phase::RollingBack(t) => Span::styled(format!("↶{}", pct(t.progress)), theme.warn),
        Phase::RolledBack(_) => Span::styled("↶ rolled back", theme.warn),
    }
}

impl StacksPane {
    /// Stack `i`'s row in its one-row `area`: marker, number and name, a version per
    /// environment, the state (then `◀ next` on the next stack), then its flag and smoke
    /// cells. Returns where its Promote button is, when the row shows it whole.
    fn render_row(
        &self,
        i: usize,
        stack: &StackRelease,
        layout: &RowLayout,
        area: Rect,
        buf: &mut Buffer,
        ctx: &Ctx,
    ) -> Option<Rect> {
        let theme = ctx.theme;
        let selected = i == ctx.selected;
        let marker = if selected { "▶" } else { " " };
        let name_w = layout.name_w;
        let prefix = format!(
            "{marker}{:>1} {:<name_w$}  ",
            (i + 1) % 10,
            truncate(&stack.name, name_w)
        );
        let cell = state_cell(stack, ctx);
        let mut spans = vec![Span::styled(prefix.clone(), theme.text)];
        spans.extend(version_spans(stack, &layout.envs, ctx));
        spans.push(cell.clone());
        let cell_x = area.x + (prefix.chars().count() + 8 * layout.envs.len()) as u16;
        let mut mark_w = 0;
        if layout.next == Some(i) {
            let room = (area.right() as usize).saturating_sub(cell_x as usize + cell.width());
            if let Some(mark) = next_mark(stack, room, ctx) {
                mark_w = mark.width();
                spans.push(Span::styled(mark, theme.accent));
            }
        }
        let mut line = Line::from(spans);
        if selected {
            let sel = if ctx.focused {
                theme.selection
            } else {
                theme.selection.remove_modifier(Modifier::all())
            };
            line = line.patch_style(Style::new().add_modifier(Modifier::BOLD));
            buf.set_style(area, sel);
        }
        buf.set_line(area.x, area.y, &line, area.width);
        let tight = cell_x as usize + cell.width() + mark_w;
        let aligned = (cell_x as usize + layout.state_w).max(tight);
        self.draw_extras(stack, aligned, tight, area.y, area, buf, ctx);
        (cell.content == BUTTON && cell_x + BUTTON.len() as u16 <= area.right())
            .then(|| Rect::new(cell_x, area.y, BUTTON.len() as u16, 1))
    }

    /// The flag and smoke cells of one row, as many as fit: the flag column is the first
    /// thing a narrow pane gives up. They start at `aligned` (after the widest state) unless
    /// starting right after this row's own state (`tight`) keeps more of them.
    #[allow(
        clippy::too_many_arguments,
        clippy::unused_self,
        reason = "a row is drawn from all of these; a method like the pane's others"
    )]
    fn draw_extras(
        &self,
        stack: &StackRelease,
        aligned: usize,
        tight: usize,
        y: u16,
        area: Rect,
        buf: &mut Buffer,
        ctx: &Ctx,
    ) {
        let theme = ctx.theme;
        let extras = extras_of(stack, ctx);
        if extras.is_empty() {
            return;
        }
        let right = area.right() as usize;
        let mut x = aligned;
        // Lined up with the other rows, or tight against the state if that shows more:
        // more cells first, then more of their words.
        let mut cells = fit_extras(&extras, right.saturating_sub(aligned));
        let more = fit_extras(&extras, right.saturating_sub(tight));
        let shown =
            |c: &[(usize, &str)]| (c.len(), c.iter().map(|(_, t)| t.width()).sum::<usize>());
        if shown(&more) > shown(&cells) {
            (x, cells) = (tight, more);
        }
        let mut cx = x;
        for (i, form) in cells {
            let Ok(col) = u16::try_from(cx + 1) else {
                return;
            };
            let style = extras[i].severity.style(theme);
            buf.set_stringn(
                col,
                y,
                form,
                area.right().saturating_sub(col) as usize,
                style,
            );
            cx += 1 + form.width();
        }
    }
}

/// The cells after a row's state, most important first: the metric flag, then the smoke
/// verdict, each with its forms from widest to narrowest.
fn extras_of(stack: &StackRelease, ctx: &Ctx) -> Vec<Extra> {
    let mut extras = Vec::new();
    if let Some(flag) = ctx.model.attention_of(&stack.id) {
        // Narrowest: just the symbol (▲ / ▼), so a flag never vanishes for want of
        // a few columns next to a long state word.
        let mut forms = vec![flag.full.clone(), flag.short.clone()];
        if let Some(symbol) = flag.short.split_whitespace().next()
            && symbol != flag.short
        {
            forms.push(symbol.to_string());
        }
        extras.push(Extra {
            forms,
            severity: flag.severity,
        });
    }
    if let Some(cell) = ctx.model.smoke(&stack.id).and_then(smoke_cell) {
        extras.push(cell);
    }
    extras
}

/// What every row of one frame shares.
struct RowLayout {
    /// Columns for the stack names (longer ones are cut).
    name_w: usize,
    /// The environments, one column each, live first.
    envs: Vec<String>,
    /// The widest state cell shown: flags and smoke results line up after it.
    state_w: usize,
    /// The stack next in promotion order, if any.
    next: Option<usize>,
}

/// The environments shown, one column each, live first (then the one before it, and so
/// on); `live` and `test` before any versions are read.
fn env_columns(ctx: &Ctx) -> Vec<String> {
    ctx.board
        .stacks
        .iter()
        .find_map(|s| s.versions.as_ref())
        .map_or_else(
            || vec!["live".into(), "test".into()],
            |v| v.envs.iter().rev().map(|e| e.env.to_string()).collect(),
        )
}

/// `   stack  live    test    state`, in the rows' columns.
fn header_line(name_w: usize, envs: &[String], theme: &Theme) -> Line<'static> {
    let mut header = format!("   {:<name_w$}  ", "stack");
    for e in envs {
        header.push_str(&format!("{:<7} ", truncate(e, 7)));
    }
    header.push_str("state");
    Line::styled(header, theme.dim)
}

/// ` +2 more ↓ · +1 ↑`: how many stacks are scrolled out of view, and which way.
fn hidden_rows_line(first: usize, visible: usize, ctx: &Ctx) -> Line<'static> {
    let below = ctx.board.stacks.len().saturating_sub(first + visible);
    let text = match (first, below) {
        (0, b) => format!(" +{b} more ↓"),
        (a, 0) => format!(" +{a} more ↑"),
        (a, b) => format!(" +{b} more ↓ · +{a} ↑"),
    };
    Line::styled(text, ctx.theme.dim)
}

/// The widest state cell among the `visible` rows from `first`.
fn widest_state(ctx: &Ctx, first: usize, visible: usize) -> usize {
    ctx.board
        .stacks
        .iter()
        .skip(first)
        .take(visible)
        .map(|s| state_cell(s, ctx).content.width())
        .max()
        .unwrap_or(0)
}

/// A stack's version in each environment column. The next promotion's target stands
/// out while it differs from its source; environments outside the pair are quieter, and
/// versions the platform no longer confirms are all quiet.
fn version_spans(stack: &StackRelease, envs: &[String], ctx: &Ctx) -> Vec<Span<'static>> {
    let theme = ctx.theme;
    let versions = stack.versions.as_ref();
    let drift = versions.is_some_and(|v| v.target() != v.source());
    let current = ctx
        .board
        .freshness(&stack.id, ctx.now)
        .is_none_or(|f| !matches!(f, Freshness::Stale { .. } | Freshness::Unknown { .. }));
    envs.iter()
        .map(|e| {
            let env = crate::model::Env::new(e);
            let version = short(versions.and_then(|v| v.version(&env)));
            let style = match versions {
                // Last known, not current: quiet, so no one reads them as live.
                Some(_) if !current => theme.dim,
                Some(v) if v.target_env() == &env && drift => theme.warn,
                Some(v) if v.target_env() == &env || v.source_env() == &env => theme.text,
                Some(_) => theme.dim,
                None => theme.text,
            };
            Span::styled(format!("{version:<7} "), style)
        })
        .collect()
}

/// The mark after the next stack's state, in `room` columns. A verdict beside it matters
/// more than the mark (the title names the next stack too): the mark takes only the room
/// the verdict's narrowest form leaves, and gives up the word "next" first.
fn next_mark(stack: &StackRelease, room: usize, ctx: &Ctx) -> Option<&'static str> {
    let verdict = extras_of(stack, ctx)
        .first()
        .and_then(|e| e.forms.iter().map(|f| 1 + f.width()).min())
        .unwrap_or(0);
    let room = room.saturating_sub(verdict);
    let forms: &[&'static str] = if verdict > 0 {
        &[" ◀"]
    } else {
        &[NEXT, " ◀"]
    };
    forms.iter().copied().find(|m| m.width() <= room)
}

fn short(v: Option<&crate::model::Version>) -> String {
    v.map_or_else(|| "…".into(), |v| v.short().to_string())
}

impl Pane for StacksPane {
    fn id(&self) -> PaneId {
        PaneId::Stacks
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let done = ctx.board.stacks.iter().filter(|s| s.is_done()).count();
        let n = ctx.board.stacks.len();
        let next = ctx
            .board
            .next_up()
            .and_then(|i| ctx.board.stacks.get(i))
            .map(|s| format!("· next: {} ", s.name))
            .unwrap_or_default();
        match not_current(ctx) {
            0 => Line::from(format!(" Stacks · {done}/{n} live {next}")),
            // Unconfirmed versions matter more than which stack is next (its row still
            // carries the mark), and the title has room for one of them.
            stale => Line::from(vec![
                Span::raw(format!(" Stacks · {done}/{n} live · ")),
                Span::styled(
                    format!("⚠ {stale} not confirmed by the platform "),
                    ctx.theme.warn,
                ),
            ]),
        }
    }

    /// Flags and smoke results are in the model (`Ctx::model`); the rows follow the board.
    fn on_event(&mut self, event: &Event, _ctx: &Ctx) -> bool {
        matches!(event, Event::Board(_))
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome {
        let n = ctx.board.stacks.len();
        let Some(action) = self.keys.action(&key) else {
            return Outcome::Ignored;
        };
        if n == 0 {
            return Outcome::Intent(Intent::Say(
                "No stacks yet: reading them from the platform…".into(),
            ));
        }
        let sel = ctx.selected.min(n - 1);
        let select = |i: usize| Outcome::Intent(Intent::Select(i));
        match action {
            StacksKey::Down => select((sel + 1).min(n - 1)),
            StacksKey::Up => select(sel.saturating_sub(1)),
            StacksKey::First => select(0),
            StacksKey::Last => select(n - 1),
            StacksKey::Promote => {
                Outcome::Intent(Intent::Promote(ctx.board.stacks[sel].id.clone()))
            }
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent, _inner: Rect, ctx: &Ctx) -> Outcome {
        let pos = Position {
            x: mouse.column,
            y: mouse.row,
        };
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                for (i, (row, button)) in self.rows.iter().enumerate() {
                    if button.is_some_and(|b| b.contains(pos)) {
                        return Outcome::Intent(Intent::Promote(ctx.board.stacks[i].id.clone()));
                    }
                    if row.contains(pos) {
                        return Outcome::Intent(Intent::Select(i));
                    }
                }
                Outcome::Ignored
            }
            MouseEventKind::ScrollDown => Outcome::Intent(Intent::Select(
                (ctx.selected + 1).min(ctx.board.stacks.len().saturating_sub(1)),
            )),
            MouseEventKind::ScrollUp => {
                Outcome::Intent(Intent::Select(ctx.selected.saturating_sub(1)))
            }
            _ => Outcome::Ignored,
        }
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        self.rows.clear();
        if area.height == 0 {
            return;
        }
        let name_w = ctx
            .board
            .stacks
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(5)
            .clamp(5, 12);
        let envs = env_columns(ctx);
        let header = header_line(name_w, &envs, ctx.theme);
        buf.set_line(area.x, area.y, &header, area.width);
        // Scroll so the selected row stays visible when the pane is short.
        // When not every stack fits, the last row says how many are hidden and where.
        let rows_room = (area.height - 1) as usize;
        let overflow = ctx.board.stacks.len() > rows_room && rows_room >= 2;
        let visible = if overflow { rows_room - 1 } else { rows_room };
        let first = ctx.selected.saturating_sub(visible.saturating_sub(1));
        if overflow {
            let line = hidden_rows_line(first, visible, ctx);
            buf.set_line(area.x, area.bottom() - 1, &line, area.width);
        }
        let layout = RowLayout {
            name_w,
            envs,
            state_w: widest_state(ctx, first, visible),
            // The next stack in order wears `◀ next` after its state, where it fits.
            next: ctx.board.next_up(),
        };
        for (i, stack) in ctx.board.stacks.iter().enumerate() {
            if i < first || i - first >= visible {
                self.rows.push((Rect::default(), None));
                continue;
            }
            let y = area.y + 1 + (i - first) as u16;
            let row_area = Rect::new(area.x, y, area.width, 1);
            let button = self.render_row(i, stack, &layout, row_area, buf, ctx);
            self.rows.push((row_area, button));
        }
    }

    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        let mut hints = self.keys.hints(&[StacksKey::Promote]);
        hints.extend(self.keys.pair(StacksKey::Down, StacksKey::Up, "select"));
        hints
    }

    fn help(&self) -> Vec<HelpSection> {
        vec![self.keys.help()]
    }

    fn rebind(&mut self, keys: &crate::config::keys::KeysConfig) {
        self.keys = Keymap::new(&KEYS, keys);
    }
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::config::BadDirection;
    use crate::engine::SmokeCause;
    use crate::engine::release::Board;
    use crate::feeds::metrics::{MetricsUpdate, SeriesUpdate, Shift, Verdict};
    use crate::feeds::smoke::{CheckResult, SmokeReport};
    use crate::model::{StackId, StackVersions, Version};

    fn board() -> Board {
        let stack = |id: &str, name: &str, phase: Phase| {
            let mut s = StackRelease::new(StackId::new(id), name);
            s.versions = Some(StackVersions::pair(
                Version::new("c570624"),
                Version::new("c570624"),
                None,
            ));
            s.phase = phase;
            s
        };
        Board::new(vec![
            stack("www", "WWW", Phase::Live),
            stack("sally", "Sally", Phase::Live),
        ])
    }

    fn spike(stack: &str) -> Event {
        let since = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
            .single()
            .unwrap_or_default();
        let series = |name: &str, verdict| SeriesUpdate {
            name: name.into(),
            unit: "%".into(),
            bad: BadDirection::Up,
            value: Some(4.1),
            verdict,
            control: None,
            history: Vec::new(),
        };
        Event::Metrics(Box::new(MetricsUpdate {
            baseline: Default::default(),
            stack: StackId::new(stack),
            at: since,
            watch: Some(crate::feeds::metrics::Watch::took_traffic(
                crate::model::Version::new("old"),
                crate::model::Version::new("new"),
                since,
            )),
            series: vec![
                series("req/s", Verdict::Ok),
                series(
                    "errors",
                    Verdict::Spike(crate::feeds::metrics::Flag::fresh(
                        since,
                        Shift {
                            baseline_median: 1.0,
                            recent_median: 4.1,
                            relative: 3.1,
                            p_value: 0.0001,
                        },
                    )),
                ),
            ],
            sources: Vec::new(),
        }))
    }

    fn smoke(stack: &str, passed: &[bool]) -> Event {
        let checks = passed
            .iter()
            .enumerate()
            .map(|(i, &ok)| CheckResult {
                name: format!("check{i}"),
                method: "GET".into(),
                url: "http://x/".into(),
                passed: ok,
                status: Some(if ok { 200 } else { 500 }),
                latency_ms: 5,
                attempts: 1,
                failure: (!ok).then(|| "expected 200, got 500".into()),
            })
            .collect();
        Event::Smoke {
            stack: StackId::new(stack),
            cause: SmokeCause::Promotion,
            report: SmokeReport {
                checks,
                at: Utc::now(),
            },
        }
    }

    /// The pane and the dashboard model it reads.
    #[derive(Default)]
    struct Shown {
        pane: StacksPane,
        model: crate::tui::model::Model,
    }

    fn rows(shown: &mut Shown, board: &Board, width: u16) -> Vec<String> {
        let theme = Theme::default();
        let Shown { pane, model } = shown;
        let ctx = Ctx {
            model,
            now: Default::default(),
            requested: &Default::default(),
            board,
            selected: 0,
            theme: &theme,
            focused: true,
        };
        let area = Rect::new(0, 0, width, 3);
        let mut buf = Buffer::empty(area);
        pane.render(area, &mut buf, &ctx);
        (0..area.height)
            .map(|y| {
                let s: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
                s.trim_end().to_string()
            })
            .collect()
    }

    /// The event through the model, then the pane, as the app does it.
    fn feed(shown: &mut Shown, board: &Board, event: &Event) -> crate::tui::model::Applied {
        let theme = Theme::default();
        let mut applied = shown.model.apply(event);
        let ctx = Ctx {
            model: &shown.model,
            now: Default::default(),
            requested: &Default::default(),
            board,
            selected: 0,
            theme: &theme,
            focused: true,
        };
        applied.changed |= shown.pane.on_event(event, &ctx);
        applied
    }

    #[test]
    fn a_flag_and_smoke_results_follow_the_state_when_there_is_room() {
        let board = board();
        let mut pane = Shown::default();
        assert!(feed(&mut pane, &board, &spike("sally")).flags_moved);
        // The same flag again is no new flag.
        assert!(!feed(&mut pane, &board, &spike("sally")).flags_moved);
        feed(&mut pane, &board, &smoke("sally", &[true, false, true]));
        feed(&mut pane, &board, &smoke("www", &[true, true, true]));
        let wide = rows(&mut pane, &board, 100);
        assert_eq!(
            wide[2],
            " 2 Sally  c570624 c570624 ✓ live ▲ errors +310% smoke ✗ 2/3 check1: expected 200, got 500"
        );
        assert_eq!(wide[1], "▶1 WWW    c570624 c570624 ✓ live smoke ✓ 3/3");
        // The Stacks pane at 160 columns: both cells, in their short forms.
        let medium = rows(&mut pane, &board, 58);
        assert_eq!(
            medium[2],
            " 2 Sally  c570624 c570624 ✓ live ▲ SPIKE smoke ✗ 2/3"
        );
        // Narrower: both cells while the flag fits as its symbol; then the flag alone, as
        // long as it fits; its symbol when only that does; then nothing.
        let narrow = rows(&mut pane, &board, 50);
        assert_eq!(narrow[2], " 2 Sally  c570624 c570624 ✓ live ▲ smoke ✗ 2/3");
        let at_80 = rows(&mut pane, &board, 42);
        assert_eq!(at_80[2], " 2 Sally  c570624 c570624 ✓ live ▲ SPIKE");
        let symbol = rows(&mut pane, &board, 35);
        assert_eq!(symbol[2], " 2 Sally  c570624 c570624 ✓ live ▲");
        let tiny = rows(&mut pane, &board, 33);
        assert_eq!(tiny[2], " 2 Sally  c570624 c570624 ✓ live");
    }

    #[test]
    fn smoke_shows_while_running_and_is_forgotten_by_the_next_deployment() {
        let board = board();
        let mut pane = Shown::default();
        let started = Event::SmokeStarted {
            stack: StackId::new("www"),
            cause: SmokeCause::Request,
        };
        assert!(feed(&mut pane, &board, &started).changed);
        assert!(rows(&mut pane, &board, 60)[1].ends_with("✓ live smoke …"));
        feed(&mut pane, &board, &smoke("www", &[true, true]));
        assert!(rows(&mut pane, &board, 60)[1].ends_with("✓ live smoke ✓ 2/2"));
        let deploy = Event::DeployStarted {
            stack: StackId::new("www"),
            deployment: crate::model::DeploymentRef {
                id: crate::model::DeploymentId::new("9"),
                url: None,
            },
            action: crate::engine::Action::Promote,
        };
        assert!(feed(&mut pane, &board, &deploy).changed);
        assert!(rows(&mut pane, &board, 60)[1].ends_with("✓ live"));
    }

    fn rows_at(
        pane: &mut StacksPane,
        board: &Board,
        now: chrono::DateTime<Utc>,
    ) -> (String, Vec<String>) {
        let theme = Theme::default();
        let model = crate::tui::model::Model::default();
        let ctx = Ctx {
            now,
            model: &model,
            requested: &Default::default(),
            board,
            selected: 0,
            theme: &theme,
            focused: true,
        };
        let area = Rect::new(0, 0, 80, 3);
        let mut buf = Buffer::empty(area);
        pane.render(area, &mut buf, &ctx);
        let title: String = pane
            .title(&ctx)
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        let rows = (0..area.height)
            .map(|y| {
                let s: String = (0..80).map(|x| buf[(x, y)].symbol()).collect();
                s.trim_end().to_string()
            })
            .collect();
        (title, rows)
    }

    #[test]
    fn versions_the_platform_stopped_confirming_read_as_last_known_with_their_age() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 12, 1, 16, 0, 0)
            .single()
            .unwrap_or_default();
        let mut board = board();
        board.stale_after = 45;
        board.stacks[1].phase = Phase::Pending;
        for s in &mut board.stacks {
            s.read_at = Some(t0);
        }
        let mut pane = StacksPane::new();
        let (title, fresh) = rows_at(&mut pane, &board, t0 + chrono::Duration::seconds(10));
        assert_eq!(title, " Stacks · 1/2 live ");
        assert!(fresh[1].ends_with("✓ live"), "{fresh:?}");
        assert!(fresh[2].ends_with("[Promote]"), "{fresh:?}");
        // WWW's read fails: its ✓ is no longer claimed, at once.
        board.read_failed(
            &StackId::new("www"),
            t0 + chrono::Duration::seconds(15),
            "connection refused",
        );
        let hhmm = t0.with_timezone(&chrono::Local).format("%H:%M").to_string();
        let now = t0 + chrono::Duration::seconds(30);
        let (title, rows) = rows_at(&mut pane, &board, now);
        assert_eq!(
            rows[1],
            format!("▶1 WWW    c570624 c570624 ⚠ last known {hhmm} (30s ago)")
        );
        assert!(rows[2].ends_with("[Promote]"), "{rows:?}");
        assert_eq!(
            title,
            " Stacks · 1/2 live · ⚠ 1 not confirmed by the platform "
        );
        // No answer for longer than the limit: Sally's button goes too, and the age grows.
        let later = t0 + chrono::Duration::seconds(150);
        let (title, rows) = rows_at(&mut pane, &board, later);
        assert!(
            rows[1].ends_with(&format!("⚠ last known {hhmm} (2m ago)")),
            "{rows:?}"
        );
        assert!(
            rows[2].ends_with(&format!("⚠ last known {hhmm} (2m ago)")),
            "{rows:?}"
        );
        assert!(
            !rows
                .iter()
                .any(|r| r.contains("✓ live") || r.contains(BUTTON))
        );
        assert!(title.contains("⚠ 2 not confirmed"), "{title}");
        // Never read, and the read failed: unknown, with the failure's age.
        let mut never = StackRelease::new(StackId::new("bruce"), "Bruce");
        never.read_error = Some(crate::engine::freshness::ReadError {
            at: t0,
            message: "connection refused".into(),
        });
        board.stacks.push(never);
        let area = Rect::new(0, 0, 80, 4);
        let theme = Theme::default();
        let model = crate::tui::model::Model::default();
        let ctx = Ctx {
            now: t0 + chrono::Duration::seconds(65),
            model: &model,
            requested: &Default::default(),
            board: &board,
            selected: 0,
            theme: &theme,
            focused: true,
        };
        let mut buf = Buffer::empty(area);
        pane.render(area, &mut buf, &ctx);
        let row: String = (0..80).map(|x| buf[(x, 3)].symbol()).collect();
        assert!(
            row.trim_end().ends_with("⚠ unknown (read failed 1m ago)"),
            "{row}"
        );
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let board = board();
        let mut pane = Shown::default();
        feed(&mut pane, &board, &spike("www"));
        let theme = Theme::default();
        let ctx = Ctx {
            model: &pane.model,
            now: Default::default(),
            requested: &Default::default(),
            board: &board,
            selected: 1,
            theme: &theme,
            focused: false,
        };
        for (w, h) in [(0, 0), (1, 1), (10, 3), (3, 10)] {
            let area = Rect::new(0, 0, w, h);
            let mut buf = Buffer::empty(area);
            pane.pane.render(area, &mut buf, &ctx);
        }
    }
}
