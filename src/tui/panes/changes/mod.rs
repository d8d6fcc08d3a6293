//! The Changes pane: what a promotion of the selected stack ships. Commits in
//! `live..test` (merges foldable, search, detail with files), drift, and the
//! configuration diff between test and live.

pub mod keys;
mod render;
mod rows;

use std::collections::HashSet;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::engine::{Command, DiffResult, Event};
use crate::model::{StackId, StackVersions, Version};
use crate::tui::input::{InputResult, LineInput};
use crate::tui::keymap::{HelpSection, Keymap};
use crate::tui::pane::{Ctx, Hint, Intent, Outcome, Pane, PaneId};
use crate::vcs::Commit;
use keys::{ChangesKey, CommitKey};

pub use rows::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Commits,
    Drift,
    Config,
}

/// The diffs and the repository's state are in the dashboard model (`Ctx::model`).
pub struct ChangesPane {
    /// Stacks whose configuration diff was asked for again and is not back yet (the
    /// model keeps the answers).
    awaiting_config: HashSet<StackId>,
    view: View,
    selected: usize,
    offset: usize,
    expanded: HashSet<String>,
    search: String,
    input: Option<LineInput>,
    /// The open commit (with line counts once the engine has them), and its scroll.
    detail: Option<(Commit, u16)>,
    /// The open commit shows its patch rather than its files (`d` toggles).
    show_patch: bool,
    /// The last patch asked for: the commit's id and, once the engine sent it, the patch.
    patch: Option<(String, Option<Result<crate::vcs::patch::Patch, String>>)>,
    /// Rows as last drawn: screen row → list row, for clicks.
    drawn: Vec<(u16, usize)>,
    /// The pair of environments picked with `e` (index of the later one); `None` is the
    /// selected stack's next promotion.
    stage: Option<usize>,
    keys: Keymap<ChangesKey>,
    commit_keys: Keymap<CommitKey>,
}

impl ChangesPane {
    pub fn new() -> Self {
        ChangesPane {
            awaiting_config: HashSet::new(),
            view: View::Commits,
            selected: 0,
            offset: 0,
            expanded: HashSet::new(),
            search: String::new(),
            input: None,
            detail: None,
            show_patch: false,
            patch: None,
            drawn: Vec::new(),
            stage: None,
            keys: Keymap::default(),
            commit_keys: Keymap::default(),
        }
    }

    /// The versions the pane compares for the selected stack: live..test, or, once live
    /// runs test's version after a promotion here, what that promotion shipped.
    fn pair(&self, ctx: &Ctx) -> Option<(Version, Version, bool)> {
        let stack = ctx.selected_stack()?;
        let v = self.versions(ctx)?;
        if self.stage.is_some() {
            return Some((v.target().clone(), v.source().clone(), false));
        }
        match &stack.previous_live {
            Some(prev) if v.target() == v.source() && prev != v.target() => {
                Some((prev.clone(), v.target().clone(), true))
            }
            _ => Some((v.target().clone(), v.source().clone(), false)),
        }
    }

    /// The selected stack's versions, with the pair picked with `e` if any.
    fn versions(&self, ctx: &Ctx) -> Option<StackVersions> {
        let v = ctx.selected_stack()?.versions.clone()?;
        Some(match self.stage {
            Some(stage) => v.at_stage(stage),
            None => v,
        })
    }

    /// The next pair of environments to compare (`e`), wrapping round to the stack's
    /// own next promotion.
    fn next_stage(&mut self, ctx: &Ctx) {
        let Some(v) = ctx.selected_stack().and_then(|s| s.versions.as_ref()) else {
            return;
        };
        let current = self.stage.unwrap_or(v.stage);
        let next = if current + 1 < v.envs.len() {
            current + 1
        } else {
            1
        };
        self.stage = (next != v.stage).then_some(next);
    }

    /// The diff for the selected stack, if computed.
    pub fn current<'a>(&self, ctx: &Ctx<'a>) -> Option<&'a DiffResult> {
        let (from, to, _) = self.pair(ctx)?;
        ctx.model.changes.get(&from, &to)
    }

    /// `N commits · K risky` for the header and dialogs, when known.
    pub fn summary(&self, ctx: &Ctx) -> Option<String> {
        match self.current(ctx)?.as_ref() {
            Ok(cs) => Some(cs.summary()),
            Err(_) => None,
        }
    }

    fn visible_rows(&self, ctx: &Ctx) -> Vec<Row> {
        match self.current(ctx).map(std::convert::AsRef::as_ref) {
            Some(Ok(cs)) => rows::rows(cs, &self.expanded, &self.search),
            _ => Vec::new(),
        }
    }

    fn selected_commit(&self, ctx: &Ctx) -> Option<Commit> {
        let rows = self.visible_rows(ctx);
        let cs = self.current(ctx)?.as_ref().as_ref().ok()?;
        rows.get(self.selected)?.commit(cs).cloned()
    }

    fn move_by(&mut self, delta: isize, len: usize) {
        if len == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, len as isize - 1) as usize;
    }

    fn open_selected(&mut self, ctx: &Ctx) -> Outcome {
        let rows = self.visible_rows(ctx);
        let Some(row) = rows.get(self.selected).copied() else {
            return Outcome::Handled;
        };
        let Some(commit) = self.selected_commit(ctx) else {
            return Outcome::Handled;
        };
        // While searching, merges show their matching commits already: Enter opens.
        if commit.is_merge
            && row.merged.is_none()
            && !self.expanded.contains(&commit.id)
            && self.search.is_empty()
        {
            self.expanded.insert(commit.id);
            return Outcome::Handled;
        }
        let wants_stats = commit.files.iter().any(|f| f.added.is_none());
        self.detail = Some((commit.clone(), 0));
        self.show_patch = false;
        if wants_stats {
            return Outcome::Intent(Intent::Send(Command::LineStats {
                commit: Box::new(commit),
            }));
        }
        Outcome::Handled
    }

    /// Moves to the next (`step` 1) or previous (-1) row that matches the search,
    /// wrapping round; an unfolded merge's own row may not match.
    fn next_match(&mut self, ctx: &Ctx, step: isize) {
        let rows = self.visible_rows(ctx);
        let Some(Ok(cs)) = self.current(ctx).map(std::convert::AsRef::as_ref) else {
            return;
        };
        let n = rows.len() as isize;
        let found = (1..=n)
            .map(|k| (self.selected as isize + step * k).rem_euclid(n) as usize)
            .find(|&i| {
                rows[i]
                    .commit(cs)
                    .is_some_and(|c| rows::hit(c, &self.search).is_some())
            });
        if let Some(i) = found {
            self.selected = i;
        }
    }

    fn on_key_detail(&mut self, key: KeyEvent) -> Outcome {
        let Some((commit, scroll)) = &mut self.detail else {
            return Outcome::Ignored;
        };
        match self.commit_keys.action(&key) {
            Some(CommitKey::Patch) => {
                self.show_patch = !self.show_patch;
                *scroll = 0;
                let have = self.patch.as_ref().is_some_and(|(id, _)| *id == commit.id);
                if self.show_patch && !have {
                    self.patch = Some((commit.id.clone(), None));
                    return Outcome::Intent(Intent::Send(Command::Patch {
                        commit: commit.id.clone(),
                    }));
                }
            }
            Some(CommitKey::Back) => self.detail = None,
            Some(CommitKey::Down) => *scroll = scroll.saturating_add(1),
            Some(CommitKey::Up) => *scroll = scroll.saturating_sub(1),
            Some(CommitKey::PageDown) => *scroll = scroll.saturating_add(10),
            Some(CommitKey::PageUp) => *scroll = scroll.saturating_sub(10),
            Some(CommitKey::Top) => *scroll = 0,
            Some(CommitKey::Bottom) => *scroll = u16::MAX,
            None => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    /// Whether a key's action means something now, and why not.
    fn availability(&self, action: ChangesKey, ctx: &Ctx) -> crate::tui::keymap::Availability {
        use crate::tui::keymap::Availability;
        let back = self.keys.first_key(ChangesKey::Back);
        match action {
            ChangesKey::Open | ChangesKey::Fold if self.view != View::Commits => {
                Availability::why_not(format!(
                    "Commits fold and open in the commit list ({back} returns to it)."
                ))
            }
            ChangesKey::NextMatch | ChangesKey::PrevMatch if self.search.is_empty() => {
                let search = self.keys.first_key(ChangesKey::Search);
                Availability::why_not(format!(
                    "No search to step through: {search} searches first."
                ))
            }
            ChangesKey::Stage if self.versions(ctx).is_none_or(|v| v.envs.len() <= 2) => {
                Availability::why_not("Only two environments: there is no other pair to compare.")
            }
            _ => Availability::Ready,
        }
    }
}

impl ChangesPane {
    /// Asks the engine for the configuration diff of the pair on screen.
    fn ask_config_diff(&mut self, ctx: &Ctx) -> Outcome {
        let (Some(stack), Some(v)) = (ctx.selected_stack(), self.versions(ctx)) else {
            return Outcome::Handled;
        };
        self.awaiting_config.insert(stack.id.clone());
        Outcome::Intent(Intent::Send(Command::ConfigDiff {
            stack: stack.id.clone(),
            between: self
                .stage
                .map(|_| (v.target_env().clone(), v.source_env().clone())),
        }))
    }
}

impl Default for ChangesPane {
    fn default() -> Self {
        Self::new()
    }
}

impl Pane for ChangesPane {
    fn id(&self) -> PaneId {
        PaneId::Changes
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let Some((from, to, shipped)) = self.pair(ctx) else {
            return Line::from(" Changes ");
        };
        let view = match self.view {
            View::Commits => "",
            View::Drift => " · drift",
            View::Config => " · config",
        };
        let (target, source) = self.versions(ctx).map_or_else(
            || ("live".to_string(), "test".to_string()),
            |v| (v.target_env().to_string(), v.source_env().to_string()),
        );
        let mut t = if shipped {
            format!(
                " Changes{view}: shipped to {target} {} → {}",
                from.short(),
                to.short()
            )
        } else {
            format!(
                " Changes{view}: {target} {} → {} from {source}",
                from.short(),
                to.short()
            )
        };
        if let Some(s) = self.summary(ctx) {
            t.push_str(&format!(" · {s}"));
        }
        if !self.search.is_empty() {
            t.push_str(&format!(" · /{}", self.search));
        }
        t.push(' ');
        Line::from(t)
    }

    fn on_event(&mut self, event: &Event, ctx: &Ctx) -> bool {
        match event {
            // The model keeps both; the pane redraws for the repository's state and for
            // the pair on screen.
            Event::Repo(_) => true,
            Event::Changes { live, test, .. } => self
                .pair(ctx)
                .is_some_and(|(from, to, _)| &from == live && &to == test),
            Event::LineStats(commit) => match &mut self.detail {
                Some((open, _)) if open.id == commit.id => {
                    *open = (**commit).clone();
                    true
                }
                _ => false,
            },
            Event::Patch { commit, result } => match &mut self.patch {
                Some((id, slot)) if id == commit => {
                    *slot = Some(result.clone());
                    self.show_patch && self.detail.is_some()
                }
                _ => false,
            },
            Event::ConfigDiff { stack, .. } => {
                self.awaiting_config.remove(stack);
                ctx.selected_stack().is_some_and(|s| &s.id == stack)
            }
            Event::Board(_) => true,
            _ => false,
        }
    }

    fn on_select(&mut self, _ctx: &Ctx) {
        self.stage = None;
        self.selected = 0;
        self.offset = 0;
        self.detail = None;
        if self.view == View::Drift {
            self.view = View::Commits;
        }
    }

    fn captures_keys(&self) -> bool {
        self.input.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome {
        if let Some(input) = &mut self.input {
            match input.on_key(key) {
                InputResult::Changed => {
                    self.search = input.text().to_string();
                    self.selected = 0;
                    self.offset = 0;
                }
                InputResult::Accepted => self.input = None,
                InputResult::Cancelled => {
                    self.search = input.original().to_string();
                    self.input = None;
                }
                InputResult::Unchanged => {}
            }
            return Outcome::Handled;
        }
        if self.detail.is_some() {
            return self.on_key_detail(key);
        }
        let len = self.visible_rows(ctx).len();
        let Some(action) = self.keys.action(&key) else {
            return Outcome::Ignored;
        };
        if let crate::tui::keymap::Availability::Unavailable(why) = self.availability(action, ctx) {
            return Outcome::Intent(Intent::Say(why));
        }
        match action {
            ChangesKey::Down => self.move_by(1, len),
            ChangesKey::Up => self.move_by(-1, len),
            ChangesKey::PageDown => self.move_by(10, len),
            ChangesKey::PageUp => self.move_by(-10, len),
            ChangesKey::Top => self.selected = 0,
            ChangesKey::Bottom => self.selected = len.saturating_sub(1),
            ChangesKey::Open => return self.open_selected(ctx),
            ChangesKey::Fold => {
                let rows = self.visible_rows(ctx);
                let top = match (
                    rows.get(self.selected),
                    self.current(ctx).map(std::convert::AsRef::as_ref),
                ) {
                    (Some(row), Some(Ok(cs))) => {
                        cs.commits.get(row.top).map(|c| (row.top, c.id.clone()))
                    }
                    _ => None,
                };
                if let Some((index, id)) = top {
                    self.expanded.remove(&id);
                    self.selected = rows
                        .iter()
                        .position(|r| r.top == index && r.merged.is_none())
                        .unwrap_or(0);
                }
            }
            ChangesKey::Search => self.input = Some(LineInput::start(&self.search)),
            ChangesKey::NextMatch => self.next_match(ctx, 1),
            ChangesKey::PrevMatch => self.next_match(ctx, -1),
            ChangesKey::Back if !self.search.is_empty() => self.search.clear(),
            ChangesKey::Back if self.view != View::Commits => self.view = View::Commits,
            // Nothing to clear here: the global Esc (restore the zoom, clear the message).
            ChangesKey::Back => return Outcome::Ignored,
            ChangesKey::ConfigDiff => {
                self.view = if self.view == View::Config {
                    View::Commits
                } else {
                    View::Config
                };
                if self.view == View::Config {
                    return self.ask_config_diff(ctx);
                }
            }
            ChangesKey::Stage => {
                self.next_stage(ctx);
                self.selected = 0;
                self.offset = 0;
                if self.view == View::Config {
                    return self.ask_config_diff(ctx);
                }
            }
            ChangesKey::Drift => {
                self.view = if self.view == View::Drift {
                    View::Commits
                } else {
                    View::Drift
                };
            }
            ChangesKey::Fetch => return Outcome::Intent(Intent::Send(Command::Fetch)),
        }
        Outcome::Handled
    }

    fn on_mouse(&mut self, mouse: MouseEvent, _inner: Rect, ctx: &Ctx) -> Outcome {
        let len = self.visible_rows(ctx).len();
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_by(3, len),
            MouseEventKind::ScrollUp => self.move_by(-3, len),
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some((_, row)) = self.drawn.iter().find(|(y, _)| *y == mouse.row) {
                    if self.selected == *row {
                        return self.open_selected(ctx);
                    }
                    self.selected = *row;
                }
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        render::render(self, area, buf, ctx);
    }

    fn hints(&self, ctx: &Ctx) -> Vec<Hint> {
        if self.input.is_some() {
            use crate::tui::input::{Edit, keymap};
            let mut hints = keymap().hints(&[Edit::Accept, Edit::Cancel]);
            if let Some(keep) = hints.first_mut() {
                keep.action = "keep search".into();
            }
            return hints;
        }
        if !self.search.is_empty() && self.detail.is_none() {
            let mut hints: Vec<Hint> = self
                .keys
                .pair(
                    ChangesKey::NextMatch,
                    ChangesKey::PrevMatch,
                    "next/previous match",
                )
                .into_iter()
                .collect();
            hints.extend(self.keys.hint(ChangesKey::Search));
            hints.extend(self.keys.hint(ChangesKey::Back).map(|mut h| {
                h.action = "clear search".into();
                h
            }));
            hints.extend(self.keys.hint(ChangesKey::Open).map(|mut h| {
                h.action = "open".into();
                h
            }));
            return hints;
        }
        if self.detail.is_some() {
            let toggle = if self.show_patch { "files" } else { "patch" };
            let mut hints = self.commit_keys.hints(&[CommitKey::Back]);
            hints.extend(
                self.commit_keys
                    .pair(CommitKey::Down, CommitKey::Up, "scroll"),
            );
            hints.extend(self.commit_keys.hint(CommitKey::Patch).map(|mut h| {
                h.action = toggle.into();
                h
            }));
            return hints;
        }
        let mut shown = vec![
            ChangesKey::Open,
            ChangesKey::Search,
            ChangesKey::ConfigDiff,
            ChangesKey::Drift,
        ];
        if self.availability(ChangesKey::Stage, ctx).is_ready() {
            shown.push(ChangesKey::Stage);
        }
        shown.push(ChangesKey::Fetch);
        self.keys.hints(&shown)
    }

    fn help(&self) -> Vec<HelpSection> {
        vec![self.keys.help(), self.commit_keys.help()]
    }

    fn rebind(&mut self, keys: &crate::config::keys::KeysConfig) {
        self.keys = Keymap::new(&keys::KEYS, keys);
        self.commit_keys = Keymap::new(&keys::COMMIT_KEYS, keys);
    }
}
