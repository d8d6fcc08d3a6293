//! What the Logs and Deploy panes share around a [`LogViewState`]: the keys that move and
//! shape the view, the `/` filter and `Ctrl-S` save prompts, mouse scrolling and clicks,
//! and a one-line notice (a save's outcome). Each pane owns one and hands it the view it
//! currently shows, so both panes behave the same.
//!
//! No I/O here: saving becomes a `Command::WriteFile` for the engine, copying an
//! `Intent::Copy` for the event loop.

use std::path::PathBuf;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::keys::{SaveKey, ViewKey};
use crate::engine::Command;
use crate::text::one_line;
use crate::text::sanitize::group_thousands;
use crate::tui::input::{InputResult, LineInput};
use crate::tui::keymap::{HelpSection, Keymap};
use crate::tui::logview::{LogViewState, LogViewStyles, SaveScope, render};
use crate::tui::pane::{Hint, Intent, Outcome};
use crate::tui::theme::Theme;

/// Saves asked for and not answered yet; more than a handful in flight is a stuck engine.
const MAX_PENDING_SAVES: usize = 8;

/// Lines moved by one wheel notch, and columns by one sideways step.
const WHEEL_LINES: usize = 3;
const SIDEWAYS_COLUMNS: usize = 8;

/// The colours of the log view, from the theme.
pub fn styles(theme: &Theme) -> LogViewStyles {
    LogViewStyles {
        error: theme.error,
        warn: theme.warn,
        info: theme.info,
        debug: theme.debug,
        highlight: theme.highlight,
        selection: theme.selection,
        marker: theme.accent.add_modifier(Modifier::ITALIC),
        dim: theme.dim,
    }
}

#[derive(Debug)]
enum Prompt {
    /// Typing a filter: applied live; `error` is why the text typed so far is not usable.
    Filter {
        input: LineInput,
        error: Option<String>,
    },
    /// Typing where to save; `scope` toggles with Tab when a filter is active.
    Save { input: LineInput, scope: SaveScope },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    Info(String),
    Error(String),
}

#[derive(Debug, Default)]
pub struct ViewControls {
    prompt: Option<Prompt>,
    notice: Option<Notice>,
    pending_saves: Vec<PathBuf>,
    /// Where the view itself was drawn last frame, for mouse clicks.
    view_area: Rect,
    /// The pane's keys (the Logs pane's by default; the Deploy pane sets its own).
    pub keys: Keymap<ViewKey>,
    save_keys: Keymap<SaveKey>,
}

impl ViewControls {
    /// A prompt is open: every key goes to it.
    pub fn captures_keys(&self) -> bool {
        self.prompt.is_some()
    }

    /// Drops an open prompt (the view it was for is no longer shown).
    pub fn close_prompt(&mut self) {
        self.prompt = None;
    }

    /// Keys for the view. `save_name` is the default file name offered by `Ctrl-S`.
    pub fn on_key(
        &mut self,
        key: KeyEvent,
        view: Option<&mut LogViewState>,
        save_name: impl FnOnce() -> String,
    ) -> Outcome {
        // A notice is read by the time the next key comes (which still does its job).
        self.notice = None;
        if self.prompt.is_some() {
            return self.prompt_key(key, view);
        }
        let Some(view) = view else {
            return Outcome::Ignored;
        };
        let Some(action) = self.keys.action(&key) else {
            return Outcome::Ignored;
        };
        let wrap = self.keys.first_key(ViewKey::Wrap);
        match action {
            ViewKey::Save => return self.open_save(view, save_name()),
            ViewKey::Pause => view.toggle_follow(),
            ViewKey::Filter => {
                let current = view.filter().map(|f| f.pattern().to_string());
                self.prompt = Some(Prompt::Filter {
                    input: LineInput::start(current.as_deref().unwrap_or("")),
                    error: None,
                });
            }
            ViewKey::ClearFilter if view.filter().is_some() => view.clear_filter(),
            // No filter to clear: the global Esc (restore the zoom, clear the message).
            ViewKey::ClearFilter => return Outcome::Ignored,
            ViewKey::Wrap => view.toggle_wrap(),
            ViewKey::Timestamps => view.toggle_timestamps(),
            ViewKey::Down => view.scroll_down(1),
            ViewKey::Up => view.scroll_up(1),
            ViewKey::PageDown => view.page_down(),
            ViewKey::PageUp => view.page_up(),
            ViewKey::Top => view.top(),
            ViewKey::Bottom => view.bottom(),
            ViewKey::Left | ViewKey::Right if view.wrap() => {
                return Outcome::Intent(Intent::Say(format!(
                    "Lines are wrapped: nothing to scroll sideways ({wrap} stops wrapping)."
                )));
            }
            ViewKey::Left => view.scroll_left(SIDEWAYS_COLUMNS),
            ViewKey::Right => view.scroll_right(SIDEWAYS_COLUMNS),
            ViewKey::Copy => {
                return Outcome::Intent(match view.copy_selected_osc52() {
                    Some(osc52) => Intent::Copy(osc52),
                    None => Intent::Say("No line to copy yet".into()),
                });
            }
            // The pane's own (instance picker, older/newer deployments).
            ViewKey::Instance | ViewKey::Older | ViewKey::Newer => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn prompt_key(&mut self, key: KeyEvent, view: Option<&mut LogViewState>) -> Outcome {
        let Some(view) = view else {
            // The view went away under the prompt (history evicted): nothing to act on.
            self.prompt = None;
            return Outcome::Handled;
        };
        match &mut self.prompt {
            Some(Prompt::Filter { input, error }) => match input.on_key(key) {
                InputResult::Changed => {
                    // Live: every keystroke refilters. A regex typed halfway is often
                    // invalid; the last good filter stays until it parses again.
                    *error = view.set_filter(input.text()).err();
                }
                InputResult::Accepted => {
                    if let Some(e) = error.take() {
                        self.notice = Some(Notice::Error(format!("Filter not changed: {e}")));
                    }
                    self.prompt = None;
                }
                InputResult::Cancelled => {
                    // The original was a working filter (or none), so this cannot fail.
                    let _ = view.set_filter(input.original());
                    self.prompt = None;
                }
                InputResult::Unchanged => {}
            },
            Some(Prompt::Save { input, scope }) => {
                if self.save_keys.action(&key) == Some(SaveKey::Lines) && view.filter().is_some() {
                    *scope = match scope {
                        SaveScope::All => SaveScope::Shown,
                        SaveScope::Shown => SaveScope::All,
                    };
                    return Outcome::Handled;
                }
                match input.on_key(key) {
                    InputResult::Accepted => {
                        let (path, scope) = (input.text().trim().to_string(), *scope);
                        self.prompt = None;
                        if path.is_empty() {
                            return Outcome::Handled;
                        }
                        return self.save(view, &path, scope);
                    }
                    InputResult::Cancelled => self.prompt = None,
                    _ => {}
                }
            }
            None => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn open_save(&mut self, view: &LogViewState, default_name: String) -> Outcome {
        if view.is_empty() {
            return Outcome::Intent(Intent::Say("Nothing to save yet".into()));
        }
        self.prompt = Some(Prompt::Save {
            input: LineInput::start(&default_name),
            scope: SaveScope::All,
        });
        Outcome::Handled
    }

    fn save(&mut self, view: &LogViewState, typed: &str, scope: SaveScope) -> Outcome {
        let path = expand_home(typed);
        let contents = view.save_text(scope);
        let lines = contents.lines().count() as u64;
        if self.pending_saves.len() == MAX_PENDING_SAVES {
            self.pending_saves.remove(0);
        }
        self.pending_saves.push(path.clone());
        self.notice = Some(Notice::Info(format!(
            "Saving {} lines to {}…",
            group_thousands(lines),
            path.display()
        )));
        Outcome::Intent(Intent::Send(Command::WriteFile { path, contents }))
    }

    /// The engine's answer to a save; `true` if it was this pane's.
    pub fn on_file_written(
        &mut self,
        path: &std::path::Path,
        result: &Result<usize, crate::engine::WriteError>,
    ) -> bool {
        let Some(i) = self.pending_saves.iter().position(|p| p == path) else {
            return false;
        };
        self.pending_saves.remove(i);
        self.notice = Some(match result {
            Ok(bytes) => Notice::Info(format!(
                "Saved {} to {}",
                human_bytes(*bytes),
                path.display()
            )),
            Err(e) => Notice::Error(format!(
                "Could not save {}: {}",
                path.display(),
                one_line(&e.to_string(), 200)
            )),
        });
        true
    }

    /// Mouse wheel scrolls, a click selects the line under it.
    pub fn on_mouse(&mut self, mouse: MouseEvent, view: Option<&mut LogViewState>) -> Outcome {
        let Some(view) = view else {
            return Outcome::Ignored;
        };
        match mouse.kind {
            MouseEventKind::ScrollUp => view.scroll_up(WHEEL_LINES),
            MouseEventKind::ScrollDown => view.scroll_down(WHEEL_LINES),
            MouseEventKind::Down(MouseButton::Left) => {
                let at = Position::new(mouse.column, mouse.row);
                if !self.view_area.contains(at) {
                    return Outcome::Ignored;
                }
                view.click_row(mouse.row - self.view_area.y);
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    /// Draws the view (or `empty` when it has no lines) with the prompt or notice on the
    /// last row.
    pub fn render(
        &mut self,
        area: Rect,
        buf: &mut Buffer,
        mut view: Option<&mut LogViewState>,
        theme: &Theme,
        empty: &[Line<'_>],
    ) {
        let filtered = view.as_deref().is_some_and(|v| v.filter().is_some());
        let footer =
            (self.prompt.is_some() || self.notice.is_some() || filtered) && area.height > 1;
        let view_area = if footer {
            Rect {
                height: area.height - 1,
                ..area
            }
        } else {
            area
        };
        self.view_area = view_area;
        match view.as_deref_mut() {
            Some(v) if !v.is_empty() => render(v, view_area, buf, &styles(theme)),
            _ => Paragraph::new(empty.to_vec())
                .wrap(Wrap { trim: false })
                .render(view_area, buf),
        }
        if footer {
            let row = Rect {
                y: area.bottom() - 1,
                height: 1,
                ..area
            };
            buf.set_style(row, Style::reset());
            self.render_footer(row, buf, view.as_deref(), theme);
        }
    }

    fn render_footer(
        &self,
        row: Rect,
        buf: &mut Buffer,
        view: Option<&LogViewState>,
        theme: &Theme,
    ) {
        let (label, input, note) = match &self.prompt {
            Some(Prompt::Filter { input, error }) => {
                // Not "/": a regex is typed as /re/, and "//re/" reads badly.
                (
                    "filter: ",
                    input,
                    error.as_ref().map(|e| (e.clone(), theme.error)),
                )
            }
            Some(Prompt::Save { input, scope }) => {
                let filtered = view.is_some_and(|v| v.filter().is_some());
                let count = |n: usize| group_thousands(n as u64);
                let what = match (scope, view) {
                    (SaveScope::Shown, Some(v)) if filtered => {
                        format!("{} matching lines", count(v.shown_len()))
                    }
                    (_, Some(v)) => format!("all {} lines", count(v.len())),
                    (_, None) => String::new(),
                };
                let hint = if filtered { "; Tab: all/matching" } else { "" };
                (
                    "Save to: ",
                    input,
                    Some((format!("({what}{hint})"), theme.dim)),
                )
            }
            None => {
                let line = match (&self.notice, view.and_then(|v| Some((v, v.filter()?)))) {
                    (Some(Notice::Info(t)), _) => Line::styled(t.as_str(), theme.info),
                    (Some(Notice::Error(t)), _) => Line::styled(t.as_str(), theme.error),
                    // The filter in force, as less shows its search: easy to forget.
                    (None, Some((v, f))) => Line::from(vec![
                        Span::styled(
                            format!("filter: {}", one_line(f.pattern(), 60)),
                            theme.accent,
                        ),
                        Span::styled(
                            format!(
                                "  {} of {} lines  Esc: clear",
                                group_thousands(v.shown_len() as u64),
                                group_thousands(v.len() as u64)
                            ),
                            theme.dim,
                        ),
                    ]),
                    (None, None) => return,
                };
                buf.set_line(row.x, row.y, &line, row.width);
                return;
            }
        };
        // The note goes right of what is typed, cut if it must be; the text comes first.
        let note_w = note.as_ref().map_or(0, |(n, _)| n.width() as u16 + 1);
        let text_w = (label.width() + input.text().width() + 1) as u16;
        let input_w = row.width.saturating_sub(note_w).max(text_w).min(row.width);
        input.render(
            label,
            Rect {
                width: input_w,
                ..row
            },
            buf,
            theme.text,
        );
        if let Some((text, style)) = note {
            let room = row.width.saturating_sub(input_w + 1);
            if room >= 8 {
                buf.set_stringn(row.x + input_w + 1, row.y, text, room as usize, style);
            }
        }
    }

    /// The keys that work now, for the hints bar (the pane adds its own).
    pub fn hints(&self) -> Option<Vec<Hint>> {
        use crate::tui::input::{Edit, keymap};
        let typing = |accept: &'static str, cancel: &'static str| {
            let mut hints = keymap().hints(&[Edit::Accept, Edit::Cancel]);
            if let [a, c] = &mut hints[..] {
                a.action = accept.into();
                c.action = cancel.into();
            }
            hints
        };
        match &self.prompt {
            Some(Prompt::Filter { .. }) => {
                let mut hints = typing("keep filter", "restore");
                hints.push(Hint::new("/re/", "regex"));
                Some(hints)
            }
            Some(Prompt::Save { .. }) => {
                let mut hints = typing("save", "cancel");
                hints.extend(self.save_keys.hint(SaveKey::Lines));
                Some(hints)
            }
            None => None,
        }
    }

    /// The view keys for the hints bar, as configured.
    pub fn view_hints(&self) -> Vec<Hint> {
        let k = &self.keys;
        let mut hints = k.hints(&[
            ViewKey::Pause,
            ViewKey::Filter,
            ViewKey::Wrap,
            ViewKey::Timestamps,
            ViewKey::Copy,
            ViewKey::Save,
        ]);
        let scroll = [
            k.first_key(ViewKey::Down),
            k.first_key(ViewKey::Up),
            k.label(ViewKey::Top)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
            k.label(ViewKey::Bottom)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        ];
        if scroll.iter().all(|s| !s.is_empty()) {
            hints.push(Hint::owned(
                format!("{}/{} {}/{}", scroll[0], scroll[1], scroll[2], scroll[3]),
                "scroll",
            ));
        }
        hints
    }

    /// The view's keys and the save prompt's, for the help.
    pub fn help(&self) -> Vec<HelpSection> {
        vec![self.keys.help(), self.save_keys.help()]
    }

    /// The configured keys in place of the defaults; `scope` is the pane's table.
    pub fn rebind(
        &mut self,
        scope: &'static crate::tui::keymap::Scope<ViewKey>,
        config: &crate::config::keys::KeysConfig,
    ) {
        self.keys = Keymap::new(scope, config);
        self.save_keys = Keymap::new(&super::keys::SAVE, config);
    }
}

/// `~/x` means the home directory, as in a shell (the engine writes the path as given).
fn expand_home(typed: &str) -> PathBuf {
    match typed.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => PathBuf::from(typed),
        },
        None => PathBuf::from(typed),
    }
}

fn human_bytes(n: usize) -> String {
    match n {
        0..1024 => format!("{n} bytes"),
        1024..1_048_576 => format!("{:.1} KB", n as f64 / 1024.0),
        _ => format!("{:.1} MB", n as f64 / 1_048_576.0),
    }
}

/// A file-name-safe form of an id (stack, instance, deployment) for default save names.
pub fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn view_with(lines: &[&str]) -> LogViewState {
        let mut v = LogViewState::new(100);
        v.push_lines(lines.iter().map(|l| l.as_bytes()));
        v
    }

    #[test]
    fn filter_is_live_and_esc_restores_the_one_before() {
        let mut c = ViewControls::default();
        let mut v = view_with(&["GET / 200", "ERROR boom", "WARN slow"]);
        v.set_filter("warn").unwrap();
        c.on_key(key(KeyCode::Char('/')), Some(&mut v), String::new);
        assert!(c.captures_keys());
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        c.on_key(ctrl_u, Some(&mut v), String::new);
        for ch in "err".chars() {
            c.on_key(key(KeyCode::Char(ch)), Some(&mut v), String::new);
        }
        assert_eq!(
            v.filter().map(crate::text::filter::Filter::pattern),
            Some("err")
        );
        assert_eq!(v.shown_len(), 1);
        c.on_key(key(KeyCode::Esc), Some(&mut v), String::new);
        assert!(!c.captures_keys());
        assert_eq!(
            v.filter().map(crate::text::filter::Filter::pattern),
            Some("warn")
        );
    }

    #[test]
    fn a_half_typed_regex_keeps_the_last_good_filter() {
        let mut c = ViewControls::default();
        let mut v = view_with(&["a(b", "ab"]);
        c.on_key(key(KeyCode::Char('/')), Some(&mut v), String::new);
        for ch in "/a(".chars() {
            c.on_key(key(KeyCode::Char(ch)), Some(&mut v), String::new);
        }
        // "/a" worked; "/a(" does not parse, so "/a" stays.
        assert_eq!(
            v.filter().map(crate::text::filter::Filter::pattern),
            Some("/a")
        );
        c.on_key(key(KeyCode::Enter), Some(&mut v), String::new);
        assert!(matches!(c.notice, Some(Notice::Error(_))));
    }

    #[test]
    fn save_asks_for_a_path_then_sends_the_text_to_the_engine() {
        let mut c = ViewControls::default();
        let mut v = view_with(&["one", "two"]);
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        let out = c.on_key(ctrl_s, Some(&mut v), || "x.log".into());
        assert_eq!(out, Outcome::Handled);
        let out = c.on_key(key(KeyCode::Enter), Some(&mut v), String::new);
        let Outcome::Intent(Intent::Send(Command::WriteFile { path, contents })) = out else {
            panic!("{out:?}");
        };
        assert_eq!(path, PathBuf::from("x.log"));
        assert_eq!(contents, "one\ntwo\n");
        assert!(c.on_file_written(&path, &Ok(8)));
        assert_eq!(
            c.notice,
            Some(Notice::Info("Saved 8 bytes to x.log".into()))
        );
        // Someone else's file is not ours to report.
        assert!(!c.on_file_written(&PathBuf::from("other"), &Ok(1)));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(file_safe("sally/0a 1b"), "sally_0a_1b");
    }
}
