//! The dashboard's words for what a user can do about a refusal or an error: its own keys
//! and `:` commands, never the command line's flags.

use crate::engine::release::Refusal;
use crate::model::Remedy;

pub fn words(remedy: &Remedy) -> String {
    match remedy {
        Remedy::NameRollbackVersion { stack } => {
            format!("name one with :rollback {stack} VERSION")
        }
        Remedy::Fetch => "press f to fetch the repository".into(),
    }
}

/// A refusal as the status line says it, with what to do about it in the dashboard's
/// gestures.
pub fn refusal(refusal: &Refusal) -> String {
    match refusal.remedy() {
        Some(r) => format!("{refusal}; {}", words(&r)),
        None => refusal.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StackId;

    #[test]
    fn the_dashboard_names_its_own_commands_not_cli_flags() {
        let r = Refusal::NothingToRollBack {
            stack: "Bruce".into(),
            id: StackId::new("bruce"),
        };
        let text = refusal(&r);
        assert_eq!(
            text,
            "Bruce: no earlier live version is known to roll back to; name one with :rollback bruce VERSION"
        );
        assert!(!text.contains("--to"), "{text}");
        assert!(!words(&Remedy::Fetch).contains("--fetch"));
    }
}
