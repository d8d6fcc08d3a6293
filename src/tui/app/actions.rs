//! Dangerous actions: each goes through a dialog that names the stack, the versions, the
//! environment and what moves, and is checked with the same pure rules the engine uses.

use ratatui::text::{Line, Span};

use super::{App, Overlay};
use crate::engine::Command;
use crate::engine::release::Refusal;
use crate::model::{Env, StackId, Version};
use crate::tui::overlay::confirm::{ConfirmDialog, OnConfirm};
use crate::tui::status::Level;

impl App {
    pub(super) fn request_promote(&mut self, stack: StackId) {
        self.request_promote_to(stack, None);
    }

    /// Promote onto `to` (the stack's next step when `None`), through the dialog.
    pub(super) fn request_promote_to(&mut self, stack: StackId, to: Option<Env>) {
        let check = |b: &crate::engine::release::Board, over: bool| {
            b.check_promote_to(&stack, None, over, to.as_ref())
        };
        let (plan, order_warning) = match check(&self.board, false) {
            Ok(plan) => (plan, None),
            Err(Refusal::OutOfOrder { waiting_on, .. }) => match check(&self.board, true) {
                Ok(plan) => {
                    let verb = if waiting_on.len() == 1 { "is" } else { "are" };
                    let where_ = if self.is_live_env(&plan.env) {
                        "live".to_string()
                    } else {
                        format!("on {}", plan.env)
                    };
                    (
                        plan,
                        Some(format!(
                            "Out of order: {} {verb} not {where_} yet.",
                            waiting_on.join(", ")
                        )),
                    )
                }
                Err(refusal) => {
                    return self.say(Level::Warn, crate::tui::remedy::refusal(&refusal));
                }
            },
            Err(refusal @ Refusal::VersionsUnknown { .. }) => {
                // Why they are unknown, when a read failed: the platform's own words.
                let why =
                    crate::engine::confirm_warnings::versions(&self.board, &stack, self.now())
                        .map(|f| format!(" {}", f.text.trim_start_matches("⚠ ")))
                        .unwrap_or_default();
                return self.say(Level::Warn, format!("{refusal}.{why}"));
            }
            Err(refusal) => return self.say(Level::Warn, crate::tui::remedy::refusal(&refusal)),
        };
        let name = self.name_of(&stack);
        let source = self.source_env_of(&stack, &plan.env);
        let env_style = self.env_style(&plan.env);
        let theme = &self.theme;
        let body = vec![
            field(
                "Stack",
                Span::styled(format!("{name} ({stack})"), theme.title),
            ),
            field(
                &format!("{} now", capitalise(plan.env.as_str())),
                Span::raw(plan.from.short().to_string()),
            ),
            field(
                "Deploy",
                Span::styled(
                    format!("{}  (the version on {source})", plan.to.short()),
                    theme.accent,
                ),
            ),
            field("Environment", Span::styled(plan.env.to_string(), env_style)),
            field("Platform", Span::raw(self.info.platform.clone())),
        ];
        let mut body = body;
        let facts = crate::engine::confirm_warnings::promote(
            &self.board,
            &stack,
            self.lock.as_ref(),
            self.now(),
        );
        body.extend(self.fact_lines(&facts));
        // Metrics watch live: a step between earlier environments has no watch.
        if self.is_live_env(&plan.env) {
            body.push(self.watch_line(&stack));
        }
        body.extend(self.changes_lines(&plan.from, &plan.to, "Ships"));
        let (gate_lines, blocking, stuck) = self.gate_lines(&stack, &plan);
        body.extend(gate_lines);
        let mut dialog = ConfirmDialog::new(
            format!("Promote {name} to {}?", plan.env),
            body,
            "Promote",
            OnConfirm::Send(Command::Promote {
                stack,
                expected: Some(plan.to.clone()),
                override_order: false,
                to: Some(plan.env.clone()),
                override_gates: None,
            }),
        );
        if let Some(w) = order_warning {
            dialog = dialog.needing_override(w);
        }
        if let Some(stuck) = stuck {
            dialog = dialog.impossible(stuck);
        } else if !blocking.is_empty() {
            dialog = dialog.needing_reason(format!("Blocked by {}.", blocking.join(", ")));
        }
        self.overlay = Some(Overlay::Confirm(Box::new(dialog)));
    }

    /// The gates of this promotion that do not pass, as the engine last judged them, the
    /// labels of those that block, and why no override can help (a missing approval).
    /// The engine judges again when it is confirmed.
    fn gate_lines(
        &self,
        stack: &StackId,
        plan: &crate::engine::release::PromotePlan,
    ) -> (Vec<Line<'static>>, Vec<String>, Option<String>) {
        let theme = &self.theme;
        let items = self
            .gates
            .as_ref()
            .map(|g| g.for_step(stack, &plan.env, &plan.from, &plan.to))
            .unwrap_or_default();
        let facts = crate::engine::confirm_facts::GateFacts::of(&items, self.gates.is_some());
        let style = if !facts.judged {
            theme.dim
        } else if facts.failing.is_empty() {
            theme.ok
        } else {
            theme.warn
        };
        let mut lines = vec![field("Gates", Span::styled(facts.headline(), style))];
        for (blocks, text) in &facts.failing {
            let style = if *blocks { theme.error } else { theme.warn };
            lines.push(Line::styled(format!("  {text}"), style));
        }
        let stuck = facts.stuck.then(|| {
            "Not approved by another user: they approve it first (A, or slipway approve)."
                .to_string()
        });
        (lines, facts.blocking, stuck)
    }

    /// Approving a stack's promotion (its next, or onto `to`) as it stands, for another
    /// user to carry out.
    pub(super) fn request_approve(&mut self, stack: StackId, to: Option<Env>) {
        let Some(v) = self.board.get(&stack).and_then(|s| s.versions.clone()) else {
            return self.say(Level::Warn, "versions are not known yet");
        };
        let v = match to.as_ref() {
            None => v,
            Some(env) => match v.index_of(env) {
                Some(stage) if stage > 0 => v.at_stage(stage),
                _ => return self.say(Level::Warn, format!("no later environment named '{env}'")),
            },
        };
        let name = self.name_of(&stack);
        if v.source() == v.target() {
            return self.say(
                Level::Warn,
                format!("{name}: nothing to approve ({})", v.step_words()),
            );
        }
        let env = v.target_env().clone();
        let theme = &self.theme;
        let body = vec![
            field(
                "Stack",
                Span::styled(format!("{name} ({stack})"), theme.title),
            ),
            field(
                &format!("{} now", capitalise(env.as_str())),
                Span::raw(v.target().short().to_string()),
            ),
            field(
                "Goes",
                Span::styled(
                    format!(
                        "{}  (the version on {})",
                        v.source().short(),
                        v.source_env()
                    ),
                    theme.accent,
                ),
            ),
            field(
                "You",
                Span::raw(format!(
                    "{}: another user promotes it",
                    crate::journal::os_user()
                )),
            ),
        ];
        let mut body = body;
        body.extend(self.changes_lines(v.target(), v.source(), "Ships"));
        self.overlay = Some(Overlay::Confirm(Box::new(ConfirmDialog::new(
            format!("Approve {name}'s promotion to {env}?"),
            body,
            "Approve",
            OnConfirm::Send(Command::Approve {
                stack,
                to: Some(env),
            }),
        ))));
    }

    /// How the metrics will judge the change: a short baseline is said before, not found
    /// out after.
    fn watch_line(&self, stack: &StackId) -> Line<'static> {
        let theme = &self.theme;
        if self.info.metrics_series == 0 {
            return field("Watch", Span::styled("no metrics configured", theme.dim));
        }
        match self.model.baseline_of(stack) {
            None => field(
                "Watch",
                Span::styled("no metrics read yet: not judged until they are", theme.warn),
            ),
            Some(b) if b.ready() => field(
                "Watch",
                Span::raw(format!(
                    "baseline {} samples: judged once it takes traffic",
                    b.have
                )),
            ),
            Some(b) => field(
                "Watch",
                Span::styled(
                    format!(
                        "⚠ baseline {}/{}, ready in ~{} s; until then vs other stacks",
                        b.have,
                        b.need,
                        b.ready_in_secs()
                    ),
                    theme.warn,
                ),
            ),
        }
    }

    /// What moving live from `from` to `to` brings (or, for a rollback, takes away): the
    /// summary, the first subjects, and drift, when the diff is known.
    fn changes_lines(&self, from: &Version, to: &Version, label: &str) -> Vec<Line<'static>> {
        let theme = &self.theme;
        let Some(cs) = self.model.changes.change_set(from, to) else {
            return vec![field(
                label,
                Span::styled("(history not read yet)", theme.dim),
            )];
        };
        let facts = crate::engine::confirm_facts::ChangeFacts::of(cs, 48);
        let style = if facts.risky > 0 {
            theme.warn
        } else {
            theme.text
        };
        let mut lines = vec![field(label, Span::styled(facts.headline(), style))];
        for text in facts.shown.iter().cloned().chain(facts.more_line()) {
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(15)),
                Span::styled(text, theme.dim),
            ]));
        }
        if let Some(d) = facts.drift_line() {
            lines.push(Line::styled(d, theme.error));
        }
        lines
    }

    pub(super) fn request_rollback(&mut self, stack: StackId) {
        self.request_rollback_to(stack, None);
    }

    /// A rollback to `to`, or to what live ran before the last promotion.
    pub(super) fn request_rollback_to(&mut self, stack: StackId, to: Option<Version>) {
        let explicit = to.is_some();
        let plan = match self.board.check_rollback(&stack, to.as_ref()) {
            Ok(plan) => plan,
            Err(refusal) => return self.say(Level::Warn, crate::tui::remedy::refusal(&refusal)),
        };
        let name = self.name_of(&stack);
        let body = vec![
            field(
                "Stack",
                Span::styled(format!("{name} ({stack})"), self.theme.title),
            ),
            field(
                &format!("{} now", capitalise(plan.env.as_str())),
                Span::raw(plan.from.short().to_string()),
            ),
            field(
                "Roll back to",
                Span::styled(
                    if explicit {
                        format!("{}  (as you asked)", plan.to.short())
                    } else {
                        format!("{}  ({} before the promotion)", plan.to.short(), plan.env)
                    },
                    self.theme.accent,
                ),
            ),
            field(
                "Environment",
                Span::styled(plan.env.to_string(), self.env_style(&plan.env)),
            ),
        ];
        let mut body = body;
        let reverted = self.model.changes.change_set(&plan.to, &plan.from);
        let facts = crate::engine::confirm_warnings::rollback(
            &self.board,
            &stack,
            reverted,
            self.lock.as_ref(),
            self.now(),
        );
        body.extend(self.fact_lines(&facts));
        body.extend(self.changes_lines(&plan.to, &plan.from, "Reverts"));
        self.overlay = Some(Overlay::Confirm(Box::new(ConfirmDialog::new(
            format!("Roll {name} back on {}?", plan.env),
            body,
            "Roll back",
            OnConfirm::Send(Command::Rollback {
                stack,
                to: Some(plan.to),
            }),
        ))));
    }

    /// The confirmation's facts (stale versions, the schema staying, others deploying),
    /// wrapped to the dialog's width: a warning is read whole or not at all.
    fn fact_lines(&self, facts: &[crate::engine::confirm_warnings::Fact]) -> Vec<Line<'static>> {
        use crate::engine::confirm_warnings::Weight;
        const WIDTH: usize = 70;
        let mut lines = Vec::new();
        for fact in facts {
            let style = match fact.weight {
                Weight::Warn => self.theme.warn,
                Weight::Note => self.theme.text,
            };
            for (i, text) in wrap_words(&fact.text, WIDTH).into_iter().enumerate() {
                let indent = if i == 0 { "  " } else { "    " };
                lines.push(Line::styled(format!("{indent}{text}"), style));
            }
        }
        lines
    }

    /// The environment a promotion onto `env` takes its version from.
    fn source_env_of(&self, stack: &StackId, env: &Env) -> String {
        self.board
            .get(stack)
            .and_then(|s| s.versions.as_ref())
            .and_then(|v| {
                let i = v.index_of(env)?.checked_sub(1)?;
                v.envs.get(i).map(|e| e.env.to_string())
            })
            .unwrap_or_else(|| "test".into())
    }

    /// `env` is live (the last environment), where users are.
    pub(super) fn is_live_env(&self, env: &Env) -> bool {
        self.board
            .stacks
            .iter()
            .find_map(|s| s.versions.as_ref())
            .map_or(env.as_str() == "live", |v| v.live_env() == env)
    }

    /// Live stands out in dialogs with the theme's live badge.
    fn env_style(&self, env: &Env) -> ratatui::style::Style {
        if self.is_live_env(env) {
            self.theme.live
        } else {
            self.theme.accent
        }
    }

    pub(super) fn request_abort(&mut self, stack: StackId) {
        let deployment = match self.board.check_abort(&stack) {
            Ok(d) => d,
            Err(refusal) => return self.say(Level::Warn, crate::tui::remedy::refusal(&refusal)),
        };
        let name = self.name_of(&stack);
        let moving = self.board.get(&stack).and_then(|s| s.phase.in_flight());
        let env = moving.map_or_else(Env::live, |t| t.env.clone());
        let mut body = vec![field(
            "Stack",
            Span::styled(format!("{name} ({stack})"), self.theme.title),
        )];
        // Which versions, as the promote dialog names them: what an abort leaves running
        // and what it stops.
        if let Some(t) = moving {
            body.push(field(
                &format!("{} now", capitalise(env.as_str())),
                Span::raw(t.from.short().to_string()),
            ));
            body.push(field(
                "Deploying",
                Span::styled(t.to.short().to_string(), self.theme.accent),
            ));
        }
        body.extend([
            field("Deployment", Span::raw(format!("#{}", deployment.id))),
            field(
                "Environment",
                Span::styled(env.to_string(), self.env_style(&env)),
            ),
            Line::raw(""),
            Line::styled(
                "Some instances may already run the new version.",
                self.theme.warn,
            ),
        ]);
        self.overlay = Some(Overlay::Confirm(Box::new(ConfirmDialog::new(
            format!("Abort {name}'s deployment?"),
            body,
            "Abort",
            OnConfirm::Send(Command::Abort { stack }),
        ))));
    }

    pub(super) fn request_quit(&mut self) {
        let moving: Vec<String> = self
            .board
            .stacks
            .iter()
            .filter_map(|s| {
                s.phase.in_flight().map(|t| match &t.deployment {
                    Some(d) => format!("{} (#{})", s.name, d.id),
                    None => s.name.clone(),
                })
            })
            .collect();
        if moving.is_empty() {
            self.quit = true;
            return;
        }
        let body = match &self.info.stops_with_us {
            None => vec![
                Line::raw(format!("A deployment is in flight: {}.", moving.join(", "))),
                Line::raw("It goes on without the dashboard; slipway only stops watching."),
                Line::raw("Run slipway again to follow it."),
            ],
            Some(why) => vec![
                Line::raw(format!("A deployment is in flight: {}.", moving.join(", "))),
                Line::styled(format!("Quitting stops it: {why}."), self.theme.warn),
            ],
        };
        self.overlay = Some(Overlay::Confirm(Box::new(ConfirmDialog::new(
            "Quit slipway?",
            body,
            "Quit",
            OnConfirm::Quit,
        ))));
    }

    /// Sends a confirmed command. A promotion or rollback is held back here while an
    /// earlier one for the same stack is sent but not yet shown moving on the engine's
    /// board (the moment a second Enter would slip through); once it shows, the engine's
    /// own rules decide (a rollback during verification is allowed, an abort always
    /// goes). The board is never edited by the dashboard, only replaced by the engine's.
    pub(super) fn send_confirmed(&mut self, cmd: Command) {
        let transfer = match &cmd {
            Command::Promote { stack, .. } | Command::Rollback { stack, .. } => Some(stack.clone()),
            _ => None,
        };
        if let Some(stack) = &transfer
            && let Some(id) = self.pending.get(stack)
            && self
                .board
                .get(stack)
                .is_none_or(|s| s.phase.in_flight().is_none())
        {
            let name = self.name_of(stack);
            return self.say(
                Level::Warn,
                format!("{name}: request {id} is still waiting for the engine's answer"),
            );
        }
        let req = crate::engine::Request::from(cmd);
        if let Some(stack) = transfer {
            self.pending.insert(stack, req.id);
        }
        self.send_request(req);
    }
}

fn field(label: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![Span::raw(format!("  {label:<13}")), value])
}

/// `text` in lines of at most `width` columns, broken between words (a word longer than
/// a line stands alone).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `live` → `Live`, for field labels.
fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
