//! The Deploy pane: the selected stack's deployment output as the job prints it, through
//! the same log view as the Logs pane: colours kept (the sanitiser turns SGR into
//! styles), `\r` progress shown as one updating line, follow, filter, copy and save.
//! Earlier deployments of the stack this session stay selectable with `[` and `]`.

mod history;

use std::collections::HashMap;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

use crate::config::LogsConfig;
use crate::engine::release::Phase;
use crate::engine::{Action, Event};
use crate::model::{DeployState, DeploymentId, StackId};
use crate::text::one_line;
use crate::text::sanitize::group_thousands;
use crate::tui::pane::{Ctx, Hint, Outcome, Pane, PaneId};
use crate::tui::panes::logs::controls::{ViewControls, file_safe};
use crate::tui::panes::logs::keys::{self, ViewKey};

use history::{History, Job};

pub use history::MAX_JOBS;

pub struct DeployPane {
    logs: LogsConfig,
    stacks: HashMap<StackId, History>,
    controls: ViewControls,
    /// The pane's outer width as last drawn: how much title fits.
    width: u16,
    /// The Logs pane's keys: the help lists only where these differ.
    logs_keys: crate::tui::keymap::Keymap<ViewKey>,
}

impl DeployPane {
    pub fn new(info: &crate::tui::app::AppInfo) -> Self {
        DeployPane {
            logs: info.logs.clone(),
            stacks: HashMap::new(),
            controls: {
                let mut c = ViewControls::default();
                c.keys = crate::tui::keymap::Keymap::defaults(&keys::DEPLOY);
                c
            },
            width: 0,
            logs_keys: crate::tui::keymap::Keymap::default(),
        }
    }

    fn history<'a>(&'a self, ctx: &Ctx) -> Option<&'a History> {
        self.stacks.get(&ctx.selected_stack()?.id)
    }

    fn job<'a>(&'a self, ctx: &Ctx) -> Option<&'a Job> {
        self.history(ctx)?.shown()
    }

    fn job_for(&mut self, stack: &StackId, id: &DeploymentId) -> Option<&mut Job> {
        self.stacks
            .entry(stack.clone())
            .or_default()
            .get_or_insert(id, &self.logs)
    }

    /// `running 62%`, `succeeded`, `failed`… for the title.
    fn state_words(job: &Job, ctx: &Ctx) -> String {
        let phase = ctx.selected_stack().map(|s| &s.phase);
        let ours = |t: &crate::engine::release::Transfer| {
            t.deployment.as_ref().is_some_and(|d| d.id == job.id)
        };
        // One outcome per deployment: the job's, and what became of the stack after it.
        let live = ctx
            .selected_stack()
            .and_then(|s| s.versions.as_ref())
            .map(|v| v.target().short().to_string());
        let stays = |t: &crate::engine::release::Transfer| match &live {
            Some(l) if l == t.from.short() => format!(", live stays on {l}"),
            _ => String::new(),
        };
        let unknown = ctx
            .selected_stack()
            .filter(|s| s.phase.in_flight().is_some_and(ours))
            .and_then(|s| s.deploy_trouble.as_ref())
            .map(|trouble| {
                format!(
                    "⚠ job status unknown since {}",
                    crate::engine::freshness::at_and_ago(trouble.at, ctx.now)
                )
            });
        match &job.finished {
            Some((DeployState::Succeeded, _)) => match phase {
                Some(Phase::Verifying(t)) if ours(t) => "job succeeded · smoke running".into(),
                Some(Phase::Failed { transfer, .. }) if ours(transfer) => {
                    "job succeeded · smoke failed".into()
                }
                _ => "succeeded".into(),
            },
            Some((DeployState::Failed, _)) => match phase {
                Some(Phase::Failed { transfer, .. }) if ours(transfer) => {
                    format!("failed{}", stays(transfer))
                }
                _ => "failed".into(),
            },
            Some((DeployState::Aborted, _)) => match phase {
                Some(Phase::Aborted(t)) if ours(t) => format!("aborted{}", stays(t)),
                _ => "aborted".into(),
            },
            // Running, as far as anyone knows: the platform stopped answering about it.
            Some((DeployState::Running, _)) | None if unknown.is_some() => {
                unknown.unwrap_or_default()
            }
            Some((DeployState::Running, _)) | None => {
                let progress = phase
                    .and_then(|p| p.in_flight())
                    .filter(|t| ours(t))
                    .and_then(|t| t.progress);
                match progress {
                    Some(p) => format!("running {:.0}%", (p * 100.0).clamp(0.0, 100.0)),
                    None => "running".into(),
                }
            }
        }
    }

    fn empty_lines(&self, ctx: &Ctx) -> Vec<Line<'static>> {
        let theme = ctx.theme;
        let Some(stack) = ctx.selected_stack() else {
            return vec![Line::styled("No stacks in config.", theme.dim)];
        };
        let name = one_line(&stack.name, 30);
        match self.job(ctx) {
            Some(job) if job.finished.is_some() => vec![Line::styled(
                format!("Deployment #{} finished without printing anything.", job.id),
                theme.dim,
            )],
            Some(job) => vec![Line::styled(
                format!("Deployment #{} started; waiting for its output…", job.id),
                theme.dim,
            )],
            None => match stack.phase.in_flight().and_then(|t| t.deployment.as_ref()) {
                Some(d) => vec![Line::styled(
                    format!("Deployment #{} is running; waiting for its output…", d.id),
                    theme.dim,
                )],
                None => vec![
                    Line::styled(
                        format!("No deployment of {name} yet this session."),
                        theme.dim,
                    ),
                    Line::styled(
                        format!(
                            "Press p to promote {name} (or ⏎ on it in Stacks); the deploy job's output shows here as it runs."
                        ),
                        theme.dim,
                    ),
                ],
            },
        }
    }
}

impl Pane for DeployPane {
    fn id(&self) -> PaneId {
        PaneId::Deploy
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let Some(stack) = ctx.selected_stack() else {
            return Line::from(" Deploy ");
        };
        let name = one_line(&stack.name, 30);
        let (Some(history), Some(job)) = (self.history(ctx), self.job(ctx)) else {
            return Line::from(format!(" Deploy · {name} "));
        };
        let mut title = format!(
            " Deploy · {name} #{} · {}",
            one_line(job.id.as_str(), 30),
            Self::state_words(job, ctx)
        );
        // Extras in order of use, each only if it fits whole (narrow panes at 80 columns).
        let mut extras = Vec::new();
        if !job.view.is_following() {
            extras.push(match job.view.unseen() {
                0 => "paused".to_string(),
                n => format!("paused ({} new)", group_thousands(n)),
            });
        }
        let (at, of) = history.position();
        if of > 1 {
            extras.push(format!("{at}/{of}"));
        }
        if job.action == Some(Action::Rollback) {
            extras.push("rollback".into());
        }
        // Inside the corners, with a space after the title.
        let room = (self.width as usize).saturating_sub(3);
        for extra in extras {
            if title.width() + 3 + extra.width() <= room {
                title.push_str(" · ");
                title.push_str(&extra);
            }
        }
        title.push(' ');
        Line::from(title)
    }

    fn on_event(&mut self, event: &Event, ctx: &Ctx) -> bool {
        let selected = ctx.selected_stack().map(|s| &s.id);
        match event {
            Event::DeployStarted {
                stack,
                deployment,
                action,
            } => {
                if let Some(job) = self.job_for(stack, &deployment.id) {
                    job.url = deployment.url.clone();
                    job.action = Some(*action);
                }
                if selected == Some(stack) {
                    self.controls.close_prompt();
                }
                selected == Some(stack)
            }
            Event::DeployOutput {
                stack,
                deployment,
                lines,
            } => {
                if let Some(job) = self.job_for(stack, deployment) {
                    // Each line is sanitised on the way in; `\r` rewrites collapse there.
                    job.view
                        .push_lines(lines.iter().map(std::string::String::as_bytes));
                }
                selected == Some(stack)
            }
            Event::DeployFinished {
                stack,
                deployment,
                state,
                message,
            } => {
                if let Some(job) = self.job_for(stack, deployment) {
                    if job.finished.is_none() {
                        let word = state.as_str();
                        let detail = message
                            .as_deref()
                            .map(|m| format!(": {}", one_line(m, 200)))
                            .unwrap_or_default();
                        let at = chrono::Local::now().format("%H:%M:%S");
                        job.view
                            .push_marker(&format!("— deployment {word} at {at}{detail} —"));
                    }
                    job.finished = Some((state.clone(), message.clone()));
                }
                selected == Some(stack)
            }
            Event::FileWritten { path, result } => self.controls.on_file_written(path, result),
            // Progress lives on the board (the title's percentage).
            Event::Board(_) => self.job(ctx).is_some_and(|j| j.finished.is_none()),
            _ => false,
        }
    }

    fn on_select(&mut self, _ctx: &Ctx) {
        self.controls.close_prompt();
    }

    fn captures_keys(&self) -> bool {
        self.controls.captures_keys()
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Outcome {
        let stack = ctx.selected_stack().map(|s| s.id.clone());
        if !self.controls.captures_keys() {
            let step = match self.controls.keys.action(&key) {
                Some(ViewKey::Older) => Some(true),
                Some(ViewKey::Newer) => Some(false),
                _ => None,
            };
            if let Some(older) = step {
                let Some(h) = stack.as_ref().and_then(|s| self.stacks.get_mut(s)) else {
                    return Outcome::Intent(crate::tui::pane::Intent::Say(
                        "No deployment of this stack yet".into(),
                    ));
                };
                let moved = if older { h.older() } else { h.newer() };
                if !moved {
                    let edge = if older { "oldest" } else { "newest" };
                    return Outcome::Intent(crate::tui::pane::Intent::Say(format!(
                        "This is the {edge} deployment kept for this stack"
                    )));
                }
                return Outcome::Handled;
            }
        }
        let Some(stack) = stack else {
            return Outcome::Ignored;
        };
        let job = self.stacks.get_mut(&stack).and_then(|h| h.shown_mut());
        let save_name = match &job {
            Some(j) => format!(
                "./slipway-{}-deploy-{}-{}.log",
                file_safe(stack.as_str()),
                file_safe(j.id.as_str()),
                chrono::Local::now().format("%H%M%S")
            ),
            None => String::new(),
        };
        self.controls
            .on_key(key, job.map(|j| &mut j.view), || save_name)
    }

    fn on_mouse(&mut self, mouse: MouseEvent, _inner: Rect, ctx: &Ctx) -> Outcome {
        let stack = ctx.selected_stack().map(|s| s.id.clone());
        let view = stack
            .and_then(|s| self.stacks.get_mut(&s))
            .and_then(|h| h.shown_mut())
            .map(|j| &mut j.view);
        self.controls.on_mouse(mouse, view)
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        self.width = area.width.saturating_add(2);
        let empty = self.empty_lines(ctx);
        let view = ctx
            .selected_stack()
            .and_then(|s| self.stacks.get_mut(&s.id))
            .and_then(|h| h.shown_mut())
            .map(|j| &mut j.view);
        self.controls.render(area, buf, view, ctx.theme, &empty);
    }

    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        if let Some(h) = self.controls.hints() {
            return h;
        }
        let k = &self.controls.keys;
        let mut hints: Vec<Hint> = match (k.hint(ViewKey::Older), k.hint(ViewKey::Newer)) {
            (Some(o), Some(n)) => vec![Hint::owned(format!("{} {}", o.key, n.key), "older/newer")],
            (o, n) => o.into_iter().chain(n).collect(),
        };
        hints.extend(self.controls.view_hints());
        hints
    }

    fn help(&self) -> Vec<crate::tui::keymap::HelpSection> {
        // The view keys the Logs pane shares are listed once, with it.
        let logs = self.logs_keys.help();
        let mut own = self.controls.keys.help();
        own.rows.retain(|r| !logs.rows.contains(r));
        own.rows
            .push(Hint::new("…", "the other view keys, as in the Logs pane"));
        vec![own]
    }

    fn rebind(&mut self, config: &crate::config::keys::KeysConfig) {
        self.controls.rebind(&keys::DEPLOY, config);
        self.logs_keys = crate::tui::keymap::Keymap::new(&keys::LOGS, config);
    }
}
