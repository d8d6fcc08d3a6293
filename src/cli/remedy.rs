//! The command line's words for what a user can do about a refusal or an error: its own
//! flags and subcommands, never the dashboard's keys.

use crate::model::Remedy;

pub(super) fn words(remedy: &Remedy) -> String {
    match remedy {
        Remedy::NameRollbackVersion { stack } => format!(
            "name the version with `slipway rollback {stack} --to VERSION` (`slipway history --stack {stack}` shows what ran)"
        ),
        Remedy::Fetch => "fetch the repository with `slipway diff --fetch`".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StackId;

    #[test]
    fn the_cli_names_its_own_flags_not_dashboard_keys() {
        let w = words(&Remedy::NameRollbackVersion {
            stack: StackId::new("bruce"),
        });
        assert!(w.contains("slipway rollback bruce --to VERSION"), "{w}");
        assert!(!w.contains(":rollback"), "{w}");
        let w = words(&Remedy::Fetch);
        assert!(w.contains("slipway diff --fetch"), "{w}");
        assert!(!w.contains(" f,") && !w.contains("with f"), "{w}");
    }
}
