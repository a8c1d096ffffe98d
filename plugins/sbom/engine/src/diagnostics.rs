//! The stage's rule catalogue and the findings it reports about lockfiles
//! it could not read completely. Their packages are missing from (or
//! incomplete in) the SBOM, so each one is named with its file and line.

use cordon_lockfiles::{Lockfile, ParseError};
use sha2::{Digest, Sha256};

/// Severity, as the stage contract orders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// One entry of the rule catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub short_description: &'static str,
    pub full_description: &'static str,
    pub help: &'static str,
    pub default_severity: Severity,
}

pub const UNPARSABLE_LOCKFILE: &str = "sbom/unparsable-lockfile";
pub const INCOMPLETE_LOCKFILE: &str = "sbom/incomplete-lockfile";

pub const RULES: &[Rule] = &[
    Rule {
        id: UNPARSABLE_LOCKFILE,
        short_description: "Lockfile could not be parsed",
        full_description: "A lockfile in the workspace is malformed, truncated or not text, so none of its packages are in the SBOM.",
        help: "Fix or regenerate the lockfile (e.g. `cargo generate-lockfile`, `npm install --package-lock-only`, `yarn install`, `pnpm install --lockfile-only`, `poetry lock`, `uv lock`, `pdm lock`, `go mod tidy`, `bundle lock`, `composer update --lock`, `dotnet restore --use-lock-file`, `gradle dependencies --write-locks`, `dart pub get`, `mix deps.get`) and run the stage again.",
        default_severity: Severity::Medium,
    },
    Rule {
        id: INCOMPLETE_LOCKFILE,
        short_description: "Lockfile entry not fully understood",
        full_description: "Part of a lockfile could not be turned into a pinned package or dependency edge: an unpinned or URL requirement, an include the stage does not follow, a dependency the lockfile does not list, or a malformed hash. The rest of the lockfile is in the SBOM.",
        help: "Pin the requirement to one version (with hashes), scan included files on their own, or regenerate the lockfile so every dependency is listed.",
        default_severity: Severity::Low,
    },
];

/// A finding, shaped like the stage contract's `finding` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Workspace-relative path of the lockfile.
    pub path: String,
    /// 1-based, when known.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// Stable across runs and line moves: rule, path and message.
    pub fingerprint: String,
    pub properties: Vec<(String, String)>,
}

/// Findings for lockfiles that failed to parse and for every warning of
/// those that parsed.
pub fn lockfile_diagnostics(parsed: &[Lockfile], failed: &[ParseError]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for error in failed {
        diagnostics.push(diagnostic(
            UNPARSABLE_LOCKFILE,
            Severity::Medium,
            &error.path,
            error.line,
            error.column,
            format!("{} could not be parsed: {}", error.path, error.message),
        ));
    }
    for lockfile in parsed {
        for warning in &lockfile.warnings {
            diagnostics.push(diagnostic(
                INCOMPLETE_LOCKFILE,
                Severity::Low,
                &lockfile.path,
                warning.line,
                None,
                format!("{}: {}", lockfile.path, warning.message),
            ));
        }
    }
    diagnostics
}

fn diagnostic(
    rule_id: &'static str,
    severity: Severity,
    path: &str,
    line: Option<u32>,
    column: Option<u32>,
    message: String,
) -> Diagnostic {
    let mut hasher = Sha256::new();
    for part in [rule_id, path, message.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let fingerprint = hex::encode(&hasher.finalize()[..16]);
    Diagnostic {
        rule_id,
        severity,
        message,
        path: path.to_string(),
        line,
        column,
        fingerprint,
        properties: vec![("lockfile".to_string(), path.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_and_partial_lockfiles_become_findings() {
        let failed = cordon_lockfiles::parse("Cargo.lock", b"[[package]\n").unwrap_err();
        let partial =
            cordon_lockfiles::parse("requirements.txt", b"flask>=2\nidna==3.7\n").unwrap();
        let diagnostics = lockfile_diagnostics(&[partial], &[failed]);
        assert_eq!(diagnostics.len(), 2);
        assert_eq!(diagnostics[0].rule_id, UNPARSABLE_LOCKFILE);
        assert_eq!(diagnostics[0].line, Some(1));
        assert_eq!(diagnostics[1].rule_id, INCOMPLETE_LOCKFILE);
        assert_eq!(diagnostics[1].line, Some(1));
        assert!(diagnostics[1].message.contains("flask"));
        assert_ne!(diagnostics[0].fingerprint, diagnostics[1].fingerprint);
        assert!(RULES.iter().any(|r| r.id == diagnostics[1].rule_id));
    }
}
