//! One thing at a time: no promotion starts while a deployment runs anywhere in the
//! release (ours, a colleague's, the platform's own).

use super::{Gate, Item, Level};
use crate::engine::release::Board;

/// Blocks while any stack has a deployment in flight, naming them.
pub fn gate(board: &Board) -> Item {
    let moving: Vec<String> = board
        .stacks
        .iter()
        .filter_map(|s| {
            if let Some(t) = s.phase.in_flight() {
                let id = t
                    .deployment
                    .as_ref()
                    .map(|d| format!(" #{}", d.id))
                    .unwrap_or_default();
                return Some(format!("{}{id} to {}", s.name, t.env));
            }
            let f = s.versions.as_ref()?.in_flight.as_ref()?;
            Some(format!("{} #{} to {}", s.name, f.id, f.env))
        })
        .collect();
    if !moving.is_empty() {
        return Item::new(
            Gate::InFlight,
            Level::Block,
            format!("deployment in flight: {}", moving.join(", ")),
        );
    }
    let unknown: Vec<&str> = board
        .stacks
        .iter()
        .filter(|s| s.versions.is_none())
        .map(|s| s.name.as_str())
        .collect();
    if !unknown.is_empty() {
        return Item::not_evaluated(
            Gate::InFlight,
            Level::Warn,
            format!("the platform has not answered for {}", unknown.join(", ")),
        );
    }
    Item::new(Gate::InFlight, Level::Pass, "no deployment in flight")
}
