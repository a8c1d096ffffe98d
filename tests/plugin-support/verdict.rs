//! How the hostile test plugins report each attempt, shared by path
//! (`#[path]`) so both speak the same rules the sandbox tests look for.

use cordon_sdk::prelude::*;

pub const ESCAPED: &str = "hostile/escaped";
pub const BLOCKED: &str = "hostile/blocked";
pub const OK: &str = "hostile/ok";

/// The three rules every hostile plugin reports with.
pub fn with_rules(info: StageInfo) -> StageInfo {
    info.rule(Rule::new(
        ESCAPED,
        "A forbidden act succeeded",
        Severity::Critical,
    ))
    .rule(Rule::new(
        BLOCKED,
        "A forbidden act was blocked",
        Severity::Info,
    ))
    .rule(Rule::new(OK, "Harmless control finding", Severity::Info))
}

/// Emits a finding; if even that is refused, says so in the log.
pub fn emit(finding: Finding) {
    if let Err(error) = findings::emit(&finding) {
        log::warn(&format!(
            "could not report `{}`: {}",
            finding.message,
            error.describe()
        ));
    }
}

/// A forbidden act succeeded: `leaked` is what it got.
pub fn escaped(attempt: &str, leaked: &str) {
    emit(
        Finding::new(ESCAPED, Severity::Critical, format!("{attempt}: {leaked}"))
            .property("attempt", attempt)
            .property("leaked", leaked),
    );
}

/// A forbidden act failed with `error`.
pub fn blocked(attempt: &str, error: &str) {
    emit(
        Finding::new(BLOCKED, Severity::Info, format!("{attempt}: {error}"))
            .property("attempt", attempt)
            .property("error", error),
    );
}
