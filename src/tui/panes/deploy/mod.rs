//! The Deploy pane: the output of the selected stack's deployment, as the job prints it.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::engine::Event;
use crate::model::{DeployState, DeploymentId, StackId};
use crate::text::one_line;
use crate::tui::pane::{Ctx, Hint, Outcome, Pane, PaneId};

/// Lines kept per deployment.
const MAX_LINES: usize = 10_000;

struct Job {
    id: DeploymentId,
    lines: std::collections::VecDeque<String>,
    dropped: u64,
    finished: Option<DeployState>,
}

#[derive(Default)]
pub struct DeployPane {
    jobs: HashMap<StackId, Job>,
    scroll_back: usize,
}

impl DeployPane {
    pub fn new(_info: &crate::tui::app::AppInfo) -> Self {
        DeployPane::default()
    }

    fn job<'a>(&'a self, ctx: &Ctx) -> Option<&'a Job> {
        ctx.selected_stack().and_then(|s| self.jobs.get(&s.id))
    }
}

impl Pane for DeployPane {
    fn id(&self) -> PaneId {
        PaneId::Deploy
    }

    fn title(&self, ctx: &Ctx) -> Line<'static> {
        let name = ctx
            .selected_stack()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        match self.job(ctx) {
            Some(job) => {
                let state = match &job.finished {
                    None => "running".to_string(),
                    Some(s) => format!("{s:?}").to_lowercase(),
                };
                Line::from(format!(" Deploy · {name} #{} · {state} ", job.id))
            }
            None => Line::from(format!(" Deploy · {name} ")),
        }
    }

    fn on_event(&mut self, event: &Event, ctx: &Ctx) -> bool {
        let selected = ctx.selected_stack().map(|s| s.id.clone());
        match event {
            Event::DeployStarted {
                stack, deployment, ..
            } => {
                self.jobs.insert(
                    stack.clone(),
                    Job {
                        id: deployment.id.clone(),
                        lines: Default::default(),
                        dropped: 0,
                        finished: None,
                    },
                );
                selected.as_ref() == Some(stack)
            }
            Event::DeployOutput {
                stack,
                deployment,
                lines,
            } => {
                let job = self.jobs.entry(stack.clone()).or_insert_with(|| Job {
                    id: deployment.clone(),
                    lines: Default::default(),
                    dropped: 0,
                    finished: None,
                });
                if &job.id != deployment {
                    return false;
                }
                for l in lines {
                    if job.lines.len() == MAX_LINES {
                        job.lines.pop_front();
                        job.dropped += 1;
                    }
                    // A `\r` rewrite shows as what the terminal would finally show.
                    let last = l.rsplit('\r').find(|p| !p.is_empty()).unwrap_or("");
                    job.lines.push_back(one_line(last, 1000));
                }
                selected.as_ref() == Some(stack)
            }
            Event::DeployFinished {
                stack,
                deployment,
                state,
                ..
            } => {
                if let Some(job) = self.jobs.get_mut(stack)
                    && &job.id == deployment
                {
                    job.finished = Some(state.clone());
                }
                selected.as_ref() == Some(stack)
            }
            _ => false,
        }
    }

    fn on_key(&mut self, key: KeyEvent, _ctx: &Ctx) -> Outcome {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.scroll_back += 1,
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll_back = self.scroll_back.saturating_sub(1)
            }
            KeyCode::End | KeyCode::Char('G') => self.scroll_back = 0,
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &Ctx) {
        let Some(job) = self.job(ctx) else {
            let msg = "No deployment of this stack yet. Press ⏎ on the Stacks pane to promote.";
            buf.set_line(
                area.x,
                area.y,
                &Line::styled(msg, ctx.theme.dim),
                area.width,
            );
            return;
        };
        let h = area.height as usize;
        let end = job
            .lines
            .len()
            .saturating_sub(self.scroll_back.min(job.lines.len()));
        let start = end.saturating_sub(h);
        for (row, line) in job.lines.range(start..end).enumerate() {
            buf.set_line(
                area.x,
                area.y + row as u16,
                &Line::raw(line.as_str()),
                area.width,
            );
        }
    }

    fn hints(&self, _ctx: &Ctx) -> Vec<Hint> {
        vec![Hint::new("j/k", "scroll"), Hint::new("G", "follow")]
    }
}
