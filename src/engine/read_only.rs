//! Read-only mode (`--read-only`, or `read_only = true` in `[release]`): a watcher's
//! slipway. The engine refuses every command `Command::mutation` classifies as changing
//! the release, before anything is sent; nothing it does on its own changes the release
//! either (no automatic rollback, no chat posts, no lock taken or cleared, no journal
//! entry). It still reads everything, runs smoke checks (GETs) and saves files asked for.
//!
//! Refusals here are not journaled, unlike the others: the journal is the record of what
//! was done to the release, shared by every process, and a viewer pressing `p` did
//! nothing to it; writing would also break the promise that a read-only slipway changes
//! nothing (its user may not even be able to write the state directory). They are shown
//! to the user and written to the diagnostics log.

use super::release::Refusal;
use super::runner::Engine;
use super::{Action, Answer, Command, Event, RequestId};

impl Engine {
    pub(super) fn read_only(&self) -> bool {
        self.config.release.read_only
    }

    /// Refuses a command that would change the release: said to every front end and,
    /// for a command about a stack, answered to its sender. Nothing is sent or written.
    pub(super) async fn refuse_read_only(&mut self, id: RequestId, cmd: &Command, action: Action) {
        tracing::info!(request = %id, command = %cmd.describe(), "refused: read-only");
        self.emit(Event::Refused {
            action,
            refusal: Refusal::ReadOnly,
        })
        .await;
        if let Some(stack) = cmd.stack() {
            self.answer(id, stack, action, Answer::Refused(Refusal::ReadOnly))
                .await;
        }
    }
}
