//! What ships: risky commits (migrations, configuration, dependencies, by the risk rules
//! of `[changes]`), and drift (the target holds commits the source lacks, which the
//! promotion would take away).

use super::{Gate, Item, Level, RepoFacts, Step};
use crate::vcs::ChangeSet;

/// The step's diff, or the item saying why there is none.
/// (The item is boxed: it is far larger than a reference.)
fn diff<'a>(repo: &'a RepoFacts<'_>, gate: Gate, step: &Step) -> Result<&'a ChangeSet, Box<Item>> {
    match repo {
        RepoFacts::NotConfigured => Err(Box::new(Item::not_evaluated(
            gate,
            Level::Pass,
            "no repository configured ([repo])",
        ))),
        RepoFacts::NotReady(why) => Err(Box::new(Item::not_evaluated(gate, Level::Pass, why))),
        // Set up and failing: worth a look before promoting blind.
        RepoFacts::Failed(why) => Err(Box::new(Item::not_evaluated(gate, Level::Warn, why))),
        RepoFacts::Ready(diffs) => match diffs.get(&(step.from.clone(), step.to.clone())) {
            None => Err(Box::new(Item::not_evaluated(
                gate,
                Level::Pass,
                "the diff is not computed yet",
            ))),
            Some(result) => match result.as_ref() {
                Ok(cs) => Ok(cs),
                Err(e) => Err(Box::new(Item::not_evaluated(
                    gate,
                    Level::Warn,
                    e.to_string(),
                ))),
            },
        },
    }
}

/// Warns when commits that ship touch risky paths, with the count per risk.
pub fn risky(repo: &RepoFacts<'_>, step: &Step) -> Item {
    let cs = match diff(repo, Gate::RiskyChanges, step) {
        Ok(cs) => cs,
        Err(item) => return *item,
    };
    let commits = plural(cs.count, "commit");
    if cs.risk_counts.is_empty() {
        return Item::new(
            Gate::RiskyChanges,
            Level::Pass,
            format!("{commits}, none risky"),
        );
    }
    let counts: Vec<String> = cs
        .risk_counts
        .iter()
        .map(|(risk, n)| format!("{n} {risk}"))
        .collect();
    Item::new(
        Gate::RiskyChanges,
        Level::Warn,
        format!("{} in {commits}", counts.join(", ")),
    )
}

/// Warns when the target environment holds commits the source lacks.
pub fn drift(repo: &RepoFacts<'_>, step: &Step) -> Item {
    let cs = match diff(repo, Gate::Drift, step) {
        Ok(cs) => cs,
        Err(item) => return *item,
    };
    match &cs.drift {
        Some(d) if !d.live_only.is_empty() => {
            let first = d
                .live_only
                .first()
                .map(|c| format!(" ({} {})", c.short, crate::text::one_line(&c.subject, 40)))
                .unwrap_or_default();
            Item::new(
                Gate::Drift,
                Level::Warn,
                format!(
                    "{} holds {} {} lacks{first}; promoting takes them away",
                    step.env,
                    plural(d.live_only.len(), "commit"),
                    step.source_env
                ),
            )
        }
        Some(_) => Item::new(
            Gate::Drift,
            Level::Warn,
            format!("{} is not an ancestor of {}", step.env, step.source_env),
        ),
        None => Item::new(
            Gate::Drift,
            Level::Pass,
            format!("{} holds nothing {} lacks", step.env, step.source_env),
        ),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
