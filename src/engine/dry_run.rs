//! `--dry-run`: each action is checked by the same rules as a real one, then answered with
//! exactly what would be sent (the HTTP request, the command lines, or the commit and
//! push, from the platform's `plan_*`), and nothing is sent, locked or journaled.

use super::runner::Engine;
use super::{Action, Answer, Command, Event, Outcome, RequestId};
use crate::platform::DeployRequest;

impl Engine {
    pub(super) async fn dry_run(&mut self, id: RequestId, cmd: Command, action: Action) {
        tracing::info!(request = %id, command = %cmd.describe(), "dry run");
        let planned = match &cmd {
            Command::Promote {
                stack,
                expected,
                override_order,
                to,
                override_gates,
            } => {
                let checked = self.board.check_promote_to(
                    stack,
                    expected.as_ref(),
                    *override_order,
                    to.as_ref(),
                );
                match checked {
                    Err(refusal) => Err(refusal),
                    Ok(plan) => {
                        let gates = self.dry_run_gates(&plan, override_gates.as_deref()).await;
                        gates.map(|gates| {
                            let mut lines = self.platform.plan_deploy(&DeployRequest {
                                stack: stack.clone(),
                                env: plan.env,
                                version: plan.to,
                                previous: plan.from,
                                rollback: false,
                                user: crate::journal::os_user(),
                            });
                            lines.extend(gates);
                            lines
                        })
                    }
                }
            }
            Command::Rollback { stack, to } => {
                let known = match to {
                    Some(version) => self.check_in_repo(stack, version).await,
                    None => Ok(()),
                };
                known
                    .and_then(|()| self.board.check_rollback(stack, to.as_ref()))
                    .map(|plan| {
                        self.platform.plan_deploy(&DeployRequest {
                            stack: stack.clone(),
                            env: plan.env,
                            version: plan.to,
                            previous: plan.from,
                            rollback: true,
                            user: crate::journal::os_user(),
                        })
                    })
            }
            Command::Abort { stack } => self
                .board
                .check_abort(stack)
                .map(|d| self.platform.plan_abort(stack, &d.id)),
            // Posting to chat and taking the lock have no platform request to show.
            _ => Ok(vec![format!(
                "{}: nothing is sent in a dry run",
                cmd.describe()
            )]),
        };
        let Some(stack) = cmd.stack().cloned() else {
            let text = planned.map_or_else(|r| r.to_string(), |p| p.join("\n"));
            return self
                .emit(Event::Problem {
                    context: "dry run".into(),
                    message: text,
                })
                .await;
        };
        let answer = match planned {
            Ok(plan) => Answer::Finished(Outcome::DryRun { plan }),
            Err(refusal) => Answer::Refused(refusal),
        };
        if let Answer::Refused(refusal) = &answer {
            self.emit(Event::Refused {
                action,
                refusal: refusal.clone(),
            })
            .await;
        }
        self.answer(id, &stack, action, answer).await;
    }
}
