//! Who may act: the release lock held by another operator blocks, and a promotion onto an
//! environment that needs approval is blocked until another user has approved exactly
//! that step (what the environment runs now → the version going there).

use chrono::Local;

use super::{ApprovalFacts, Gate, Item, Level, Step};
use crate::engine::lock::Holder;

pub fn lock(other: Option<&Holder>) -> Item {
    match other {
        Some(h) => Item::new(
            Gate::Lock,
            Level::Block,
            format!("held by {}", h.describe()),
        ),
        None => Item::new(
            Gate::Lock,
            Level::Pass,
            "nobody else holds the release lock",
        ),
    }
}

pub fn approval(a: &ApprovalFacts<'_>, step: &Step) -> Item {
    if !a.required.contains(&step.env) {
        return Item::not_evaluated(
            Gate::Approval,
            Level::Pass,
            format!("not required for {} ([approval] environments)", step.env),
        );
    }
    let of_step: Vec<_> = a
        .seen
        .iter()
        .filter(|x| {
            x.stack == step.stack && x.env == step.env && x.from == step.from && x.to == step.to
        })
        .collect();
    if let Some(x) = of_step.iter().rev().find(|x| x.user != a.user) {
        let at = x.at.with_timezone(&Local).format("%H:%M");
        let host = if x.host.is_empty() {
            String::new()
        } else {
            format!("@{}", x.host)
        };
        return Item::new(
            Gate::Approval,
            Level::Pass,
            format!("{} approved by {}{host} at {at}", step.words(), x.user),
        );
    }
    let problem = a
        .problem
        .map(|p| format!(" (the platform's approvals could not be read: {p})"))
        .unwrap_or_default();
    let mut missing = if of_step.is_empty() {
        Item::new(
            Gate::Approval,
            Level::Block,
            format!(
                "{} not approved: another user runs `slipway approve {} --to {}`{problem}",
                step.words(),
                step.stack,
                step.env
            ),
        )
    } else {
        Item::new(
            Gate::Approval,
            Level::Block,
            format!(
                "{} approved only by {}, who promotes: another user must approve{problem}",
                step.words(),
                a.user
            ),
        )
    };
    missing.overridable = a.overridable;
    missing
}
