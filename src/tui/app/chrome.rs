//! Drawing: the header, each pane in its border, the status line, the hints bar and any
//! dialog on top. Rendering reads state; it does no I/O.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::{App, Overlay};
use crate::tui::keys;
use crate::tui::layout;
use crate::tui::pane::{Hint, PaneId};
use crate::tui::status::Level;
use crate::tui::theme::Theme;

impl App {
    pub fn render(&mut self, frame: &mut Frame) {
        let area = frame.area();
        let zoom = self.zoom.then_some(self.focus);
        let envs = self
            .board
            .stacks
            .iter()
            .find_map(|s| s.versions.as_ref())
            .map_or(2, |v| v.envs.len());
        let needs = layout::Needs {
            stacks: self.board.stacks.len(),
            envs,
            metrics_rows: self.metrics_rows_wanted(),
        };
        self.layout = layout::compute_needs(area, zoom, needs);
        let buf = frame.buffer_mut();
        if self.layout.too_small {
            let msg = format!(
                "Terminal too small ({}×{}); slipway needs {}×{}.",
                area.width,
                area.height,
                layout::MIN_WIDTH,
                layout::MIN_HEIGHT
            );
            Paragraph::new(msg)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(area, buf);
            return;
        }
        self.render_header(buf);
        for (id, rect) in self.layout.panes.clone() {
            self.render_pane(id, rect, buf);
        }
        // A message too long for its row (every `:` command, a platform's error) takes
        // the hints row too until it is cleared.
        if !self.render_status(buf) {
            self.render_hints(buf);
        }
        match &mut self.overlay {
            Some(Overlay::Confirm(d)) => {
                d.render(area, buf, &self.theme, &self.dialog_keys.confirm);
            }
            Some(Overlay::Help(h)) => h.render(area, buf, &self.theme, &self.dialog_keys.help),
            Some(Overlay::Announce(d)) => {
                d.render(area, buf, &self.theme, &self.dialog_keys.announce);
            }
            Some(Overlay::Details(d)) => d.render(area, buf, &self.theme, &self.dialog_keys.page),
            Some(Overlay::Report(d)) => d.render(area, buf, &self.theme, &self.dialog_keys),
            Some(Overlay::Gates(g)) => g.render(area, buf, &self.theme, &self.dialog_keys.page),
            Some(Overlay::History(h)) => {
                h.render(area, buf, &self.theme, &self.dialog_keys.history);
            }
            Some(Overlay::Messages(m)) => {
                m.render(area, buf, &self.theme, &self.dialog_keys.messages);
            }
            None => {}
        }
    }

    /// Where a pane was drawn in the last frame (for tests and clicks).
    pub fn pane_area(&self, id: PaneId) -> Option<Rect> {
        self.layout.area_of(id)
    }

    fn metrics_rows_wanted(&self) -> usize {
        let ctx = crate::tui::pane::Ctx {
            model: &self.model,
            now: self.now(),
            requested: &self.pending,
            board: &self.board,
            selected: self.selected,
            theme: &self.theme,
            focused: false,
        };
        self.panes.metrics.rows_wanted(&ctx)
    }

    /// The selected stack's step onto live wears the theme's live badge in the header
    /// (` · live ce4e1c5 → …`): a glance tells a step to staging from one to users.
    fn mark_live_in_header(&self, text: &str, area: Rect, buf: &mut Buffer) {
        let Some(v) = self
            .board
            .stacks
            .get(self.selected)
            .and_then(|s| s.versions.as_ref())
            .filter(|v| v.targets_live())
        else {
            return;
        };
        let word = format!(" · {} ", v.target_env());
        let Some(at) = text.find(&word) else {
            return;
        };
        let x = area.x + unicode_width::UnicodeWidthStr::width(&text[..at + " · ".len()]) as u16;
        let w = v.target_env().as_str().len() as u16;
        if x + w <= area.right() {
            buf.set_style(Rect::new(x, area.y, w, 1), self.theme.live);
        }
    }

    fn render_header(&self, buf: &mut Buffer) {
        let area = self.layout.header;
        buf.set_style(area, self.theme.header);
        // The selected stack's part, from the fullest to nothing: its step loses ` from
        // test`, then its old version, then goes; then the stack's name goes.
        let mut rests: Vec<String> = Vec::new();
        let lock = self
            .lock
            .as_ref()
            .map(|holder| format!(" · 🔒 locked by {}", holder.describe()))
            .unwrap_or_default();
        if let Some(s) = self.board.stacks.get(self.selected) {
            let name = format!(" · {}", s.name);
            if let Some(v) = &s.versions {
                rests.push(format!("{name} · {}{lock}", v.step_words()));
                if v.source() != v.target() {
                    rests.push(format!(
                        "{name} · {} {} → {}{lock}",
                        v.target_env(),
                        v.target().short(),
                        v.source().short()
                    ));
                    rests.push(format!("{name} · → {}{lock}", v.source().short()));
                }
            }
            rests.push(format!("{name}{lock}"));
        }
        rests.push(lock.clone());
        let rest = rests.first().cloned().unwrap_or_default();
        let clock = match &self.clock {
            Some(fixed) => format!("{fixed} "),
            None => chrono::Local::now().format("%H:%M ").to_string(),
        };
        // The gates' worst state comes early, where a narrow terminal still shows it;
        // to make room the `slipway` prefix goes first, then the gate's name.
        let room = (area.width as usize).saturating_sub(clock.len() + 1);
        let gates = self
            .gates
            .as_ref()
            .and_then(crate::engine::gates::Report::headline_forms);
        let mut forms: Vec<String> = Vec::new();
        // Read-only comes early too: what this window cannot do matters before the rest.
        let ro = match (self.read_only, self.dry_run) {
            (true, _) => " · read-only",
            (false, true) => " · dry run",
            (false, false) => "",
        };
        // Flagged stacks come early too: the model's one count, as the Stacks pane marks them.
        let (flags, flags_short) = match self.model.flagged_stacks() {
            0 => (String::new(), String::new()),
            1 => (" · ▲ 1 stack flagged".to_string(), " · ▲1".to_string()),
            n => (format!(" · ▲ {n} stacks flagged"), format!(" · ▲{n}")),
        };
        for prefix in [
            format!(" slipway · {}{ro}{flags}", self.info.release),
            format!(" {}{ro}{flags}", self.info.release),
            format!(" {}{ro}{flags_short}", self.info.release),
        ] {
            match &gates {
                Some((full, short)) => {
                    forms.push(format!("{prefix} · {full}{rest}"));
                    forms.push(format!("{prefix} · {short}{rest}"));
                }
                None => forms.push(format!("{prefix}{rest}")),
            }
        }
        // Then, with the shortest prefix and gate, the stack's part shrinks.
        let short_prefix = format!(" {}{ro}", self.info.release);
        let short_gate = gates
            .as_ref()
            .map(|(_, short)| format!(" · {short}"))
            .unwrap_or_default();
        for r in rests.iter().skip(1) {
            forms.push(format!("{short_prefix}{short_gate}{r}"));
        }
        let fits = |t: &String| unicode_width::UnicodeWidthStr::width(t.as_str()) <= room;
        // Never into the clock: the last resort is cut with `…`.
        let text = forms
            .iter()
            .find(|t| fits(t))
            .cloned()
            .unwrap_or_else(|| cut(forms.last().map_or("", String::as_str), room));
        buf.set_string(area.x, area.y, &text, self.theme.header);
        self.mark_live_in_header(&text, area, buf);
        let x = area.right().saturating_sub(clock.len() as u16);
        buf.set_string(x, area.y, clock, self.theme.header);
    }

    fn render_pane(&mut self, id: PaneId, rect: Rect, buf: &mut Buffer) {
        let focused = self.focus == id;
        let title = self.with_pane(id, |p, ctx| p.title(ctx));
        let border = if focused {
            self.theme.border_focused
        } else {
            self.theme.border
        };
        let title_style = if focused {
            self.theme.title
        } else {
            self.theme.dim
        };
        let mut block = Block::bordered()
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Rounded
            })
            .border_style(border)
            .title(title.style(title_style));
        if self.zoom {
            block =
                block.title_bottom(Line::styled(" z to restore ", self.theme.dim).right_aligned());
        }
        let inner = block.inner(rect);
        block.render(rect, buf);
        self.with_pane(id, |p, ctx| p.render(inner, buf, ctx));
    }

    /// Returns whether the message also took the hints row below.
    fn render_status(&self, buf: &mut Buffer) -> bool {
        let area = self.layout.status;
        if let Some(input) = &self.command_line {
            input.render(":", area, buf, self.theme.accent);
            return false;
        }
        let Some(m) = self.status.current() else {
            return false;
        };
        let (style, mark) = match m.level {
            Level::Info => (self.theme.info, "›"),
            Level::Warn => (self.theme.warn, "!"),
            Level::Error => (self.theme.error, "✗"),
        };
        let prefix = format!(" {} {mark} ", m.at.format("%H:%M:%S"));
        let room = (area.width as usize).saturating_sub(prefix.width());
        let hints = self.layout.hints;
        let below = hints.y == area.bottom() && hints.height > 0;
        let (first, rest) = split_at_width(&m.text, room);
        // What still does not fit (no hints row below, or too long for both rows) ends
        // saying where the whole of it is.
        let (first, rest) = if rest.is_empty() {
            (first, rest)
        } else if !below {
            (cut_to_more(&m.text, room), String::new())
        } else {
            let room_below = (hints.width as usize).saturating_sub(prefix.width());
            if rest.width() > room_below {
                (first, cut_to_more(&rest, room_below))
            } else {
                (first, rest)
            }
        };
        let line = Line::from(vec![
            Span::styled(prefix.clone(), self.theme.dim),
            Span::styled(first, style),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
        if rest.is_empty() {
            return false;
        }
        let pad = " ".repeat(prefix.width());
        buf.set_line(
            hints.x,
            hints.y,
            &Line::from(vec![Span::raw(pad), Span::styled(rest, style)]),
            hints.width,
        );
        true
    }

    fn render_hints(&mut self, buf: &mut Buffer) {
        let area = self.layout.hints;
        let focus = self.focus;
        let spans_of = |hints: &[Hint], theme: &Theme| -> Vec<Span<'static>> {
            hints
                .iter()
                .flat_map(|h| {
                    [
                        Span::styled(h.key.to_string(), theme.accent),
                        Span::styled(format!(" {}  ", h.action), theme.dim),
                    ]
                })
                .collect()
        };
        let width = |hints: &[Hint]| -> usize {
            hints
                .iter()
                .map(|h| h.key.chars().count() + h.action.chars().count() + 3)
                .sum()
        };
        // Help and quit always show, at the right; the rest fill from the left.
        let always = &self.keys.hints(keys::ALWAYS);
        let room = (area.width as usize).saturating_sub(width(always) + 1);
        let mut hints = self.with_pane(focus, |p, ctx| p.hints(ctx));
        if self.command_line.is_some() {
            use crate::tui::input::{Edit, keymap};
            hints = keymap().hints(&[Edit::Accept, Edit::Cancel]);
            if let Some(run) = hints.first_mut() {
                run.action = "run".into();
            }
            hints.push(Hint::new(":help", "lists commands"));
        }
        if self.command_line.is_some() || self.panes.get_ref(focus).captures_keys() {
            // Typing into a pane: only its keys apply, globals do not.
            let mut left = vec![Span::raw(" ")];
            left.extend(spans_of(&hints, &self.theme));
            buf.set_line(area.x, area.y, &Line::from(left), area.width);
            return;
        }
        if focus == PaneId::Stacks {
            hints.extend(self.keys.hint(keys::Global::SelectStack));
        }
        hints.extend(self.keys.hints(keys::BAR));
        let mut shown = Vec::new();
        let mut used = 1;
        for h in hints {
            let w = width(std::slice::from_ref(&h));
            if used + w > room {
                break;
            }
            used += w;
            shown.push(h);
        }
        let mut left = vec![Span::raw(" ")];
        left.extend(spans_of(&shown, &self.theme));
        buf.set_line(area.x, area.y, &Line::from(left), area.width);
        let right_w = width(always) as u16;
        let x = area.right().saturating_sub(right_w);
        buf.set_line(
            x,
            area.y,
            &Line::from(spans_of(always, &self.theme)),
            right_w,
        );
    }
}

/// `text` cut to `room` columns, ending in `…` when it was longer.
fn cut(text: &str, room: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if text.width() <= room {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0) + 1 > room {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
}

/// `text` cut to `room` columns, ending `… (:messages)` (where the whole of it is).
fn cut_to_more(text: &str, room: usize) -> String {
    const MORE: &str = "… (:messages)";
    let mut cut = String::new();
    for ch in text.chars() {
        if cut.width() + ch.to_string().width() + MORE.width() > room {
            break;
        }
        cut.push(ch);
    }
    format!("{cut}{MORE}")
}

/// `text` cut where it reaches `width` columns (at a space when there is one): the part
/// that fits, and the rest.
fn split_at_width(text: &str, width: usize) -> (String, String) {
    use unicode_width::UnicodeWidthChar;
    let mut used = 0;
    let mut cut = text.len();
    for (i, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > width {
            cut = i;
            break;
        }
    }
    if cut == text.len() {
        return (text.to_string(), String::new());
    }
    let at = text[..cut].rfind(' ').filter(|&i| i > 0).unwrap_or(cut);
    (text[..at].to_string(), text[at..].trim_start().to_string())
}
