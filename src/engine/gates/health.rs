//! Health before the move: the source environment's smoke checks on the version about to
//! go (failing there blocks: that environment exists to prove the version, and a failure
//! is proof), and live already flagged by the metric verdicts (warns: promoting onto a
//! sick live makes the next verdict hard to read).

use std::collections::{HashMap, HashSet};

use chrono::Local;

use super::{Gate, Item, Level, MetricsFacts, SmokeSeen, Step};
use crate::engine::release::Board;
use crate::model::{Env, StackId, Version};

/// The newest smoke run on the step's source environment for the version it ships.
pub fn source(
    smoke: &HashMap<(StackId, Env, Version), SmokeSeen>,
    configured: &HashSet<StackId>,
    step: &Step,
) -> Item {
    if !configured.contains(&step.stack) {
        return Item::not_evaluated(
            Gate::SourceHealth,
            Level::Pass,
            format!("no smoke checks configured for {}", step.name),
        );
    }
    let key = (step.stack.clone(), step.source_env.clone(), step.to.clone());
    match smoke.get(&key) {
        None => Item::not_evaluated(
            Gate::SourceHealth,
            Level::Pass,
            format!(
                "no smoke run on {} for {} yet",
                step.source_env,
                step.to.short()
            ),
        ),
        Some(s) => {
            let when = s.at.with_timezone(&Local).format("%H:%M");
            if s.passed {
                Item::new(
                    Gate::SourceHealth,
                    Level::Pass,
                    format!(
                        "smoke checks passed on {} for {} at {when}",
                        step.source_env,
                        step.to.short()
                    ),
                )
            } else {
                Item::new(
                    Gate::SourceHealth,
                    Level::Block,
                    format!(
                        "smoke checks failed on {} for {} at {when} ({}): {}",
                        step.source_env,
                        step.to.short(),
                        s.by,
                        s.summary
                    ),
                )
            }
        }
    }
}

/// Warns when a metric is flagged on live before the promotion.
pub fn live_flagged(metrics: &MetricsFacts<'_>, board: &Board) -> Item {
    let flags = match metrics {
        MetricsFacts::NotConfigured => {
            return Item::not_evaluated(Gate::LiveFlagged, Level::Pass, "no metrics configured");
        }
        MetricsFacts::NotWatched => {
            return Item::not_evaluated(
                Gate::LiveFlagged,
                Level::Pass,
                "metrics are judged by a running dashboard, not by this command",
            );
        }
        MetricsFacts::Watched(flags) => flags,
    };
    // In promotion order, so the sentence reads like the board.
    let flagged: Vec<String> = board
        .stacks
        .iter()
        .filter_map(|s| {
            let series = flags.get(&s.id).filter(|f| !f.is_empty())?;
            Some(format!("{} {}", s.name, series.join(", ")))
        })
        .collect();
    if flagged.is_empty() {
        Item::new(Gate::LiveFlagged, Level::Pass, "no metric flagged on live")
    } else {
        Item::new(
            Gate::LiveFlagged,
            Level::Warn,
            format!("flagged on live: {}", flagged.join("; ")),
        )
    }
}
