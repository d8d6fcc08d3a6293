//! The `:` command line (k9s habits): every action by name, the same dialogs and checks as
//! its key. `:promote sally [ENV]`, `:rollback sally [VERSION]`, `:abort`, `:smoke`, `:stack bruce`,
//! `:fetch`, `:refresh`, `:announce`, `:theme light`, `:help`, `:q`.

use super::App;
use crate::engine::Command;
use crate::model::{StackId, Version};
use crate::tui::status::Level;
use crate::tui::theme::Theme;

/// The commands, for the help overlay and for "did you mean".
pub const COMMANDS: &[(&str, &str)] = &[
    (
        ":promote [STACK] [ENV]",
        "promote (the selected stack, its next step by default)",
    ),
    (
        ":rollback [STACK] [VERSION]",
        "roll back, to VERSION if given",
    ),
    (":abort [STACK]", "abort the deployment in flight"),
    (":gates", "the pre-flight gates"),
    (
        ":approve [STACK] [ENV]",
        "approve a promotion for another user",
    ),
    (":smoke [STACK]", "run the smoke checks"),
    (":stack NAME", "select a stack by id or name"),
    (
        ":fetch / :refresh",
        "fetch the repository / read versions now",
    ),
    (":announce", "draft the announcement"),
    (":theme NAME", "dark, light, high-contrast, colorblind"),
    (":messages", "every recent message in full"),
    (":help / :q", "the help / quit"),
];

/// Every command's name as typed, `:fetch / :refresh` counted as two.
pub fn command_names() -> Vec<&'static str> {
    COMMANDS
        .iter()
        .flat_map(|(c, _)| c.split(" / "))
        .filter_map(|c| c.split_whitespace().next())
        .collect()
}

impl App {
    /// Runs one typed command line (without the leading ':').
    pub(super) fn run_command_line(&mut self, line: &str) {
        let mut words = line.split_whitespace();
        let Some(verb) = words.next() else { return };
        let args: Vec<&str> = words.collect();
        let first = args.first().copied();
        let result: Result<(), String> = match verb {
            "promote" | "p" => self.typed_stack(first).map(|s| match args.get(1) {
                Some(env) => self.request_promote_to(s, Some(crate::model::Env::new(env))),
                None => self.request_promote(s),
            }),
            "rollback" | "r" => self.typed_stack(first).map(|s| match args.get(1) {
                Some(v) => self.request_rollback_to(s, Some(Version::new(*v))),
                None => self.request_rollback(s),
            }),
            "abort" | "x" => self.typed_stack(first).map(|s| self.request_abort(s)),
            "gates" | "g" => {
                self.open_gates();
                Ok(())
            }
            "approve" => self
                .typed_stack(first)
                .map(|s| self.request_approve(s, args.get(1).map(crate::model::Env::new))),
            "smoke" | "s" => self
                .typed_stack(first)
                .map(|s| self.send(Command::Smoke { stack: s })),
            "stack" | "select" => match first {
                None => Err(":stack needs a name".into()),
                Some(_) => self.typed_stack(first).map(|s| {
                    if let Some(i) = self.board.stacks.iter().position(|x| x.id == s) {
                        self.select(i);
                    }
                }),
            },
            "fetch" => {
                self.send(Command::Fetch);
                Ok(())
            }
            "refresh" => {
                self.send(Command::Refresh);
                Ok(())
            }
            "announce" => {
                self.send(Command::DraftAnnouncement {
                    kind: self.next_announcement(),
                });
                Ok(())
            }
            "theme" => self.use_theme(first),
            "help" | "h" => {
                self.open_help();
                Ok(())
            }
            "messages" | "mes" => {
                self.open_messages();
                Ok(())
            }
            "q" | "quit" | "q!" => {
                self.request_quit();
                Ok(())
            }
            other => Err(unknown_command(other)),
        };
        if let Err(e) = result {
            self.say(Level::Warn, e);
        }
    }

    /// The stack typed (its id or name, in any case), or the selected one when none was.
    fn typed_stack(&self, typed: Option<&str>) -> Result<StackId, String> {
        let Some(typed) = typed else {
            return self
                .selected_stack()
                .cloned()
                .ok_or_else(|| "no stack selected".to_string());
        };
        let t = typed.to_lowercase();
        self.board
            .stacks
            .iter()
            .find(|s| s.id.as_str() == t || s.name.to_lowercase() == t)
            .map(|s| s.id.clone())
            .ok_or_else(|| {
                let known: Vec<&str> = self.board.stacks.iter().map(|s| s.id.as_str()).collect();
                format!("no stack '{typed}' (stacks: {})", known.join(", "))
            })
    }

    /// `:theme NAME`. Built-in themes only: loading a file would be I/O in the UI.
    fn use_theme(&mut self, name: Option<&str>) -> Result<(), String> {
        match name {
            Some(name) if Theme::built_in_names().contains(&name) => Theme::load(name).map(|t| {
                self.theme = t;
                self.say(Level::Info, format!("theme: {name}"));
            }),
            Some(name) => Err(format!(
                "no theme '{name}' (themes: {})",
                Theme::built_in_names().join(", ")
            )),
            None => Err(format!(
                ":theme needs a name (themes: {})",
                Theme::built_in_names().join(", ")
            )),
        }
    }
}

/// What an unknown command gets: every command's name, to pick from.
fn unknown_command(typed: &str) -> String {
    let names: Vec<&str> = command_names()
        .into_iter()
        .map(|c| c.trim_start_matches(':'))
        .collect();
    format!("unknown command ':{typed}'; commands: {}", names.join(" "))
}
