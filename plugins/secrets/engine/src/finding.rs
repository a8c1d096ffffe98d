//! What a scan reports: findings, suppressed findings and per-file results.
//!
//! Nothing in this module ever holds a raw secret. A [`Finding`] carries a
//! redacted form and a fingerprint derived from a hash of the secret, so the
//! types can be logged, serialised and handed to the host freely.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Severity of a finding, ordered from least to most severe. Mirrors the WIT
/// `severity` enum one to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// A rule as the stage lists it (SARIF `tool.driver.rules`, WIT `rule`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDescriptor {
    pub id: String,
    pub short_description: String,
    pub full_description: String,
    pub help: String,
    pub default_severity: Severity,
}

/// 1-based position of a finding. Columns count Unicode scalar values;
/// `end_column` is exclusive (the column just past the last character), as
/// in SARIF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// One detected secret, already redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id such as `secrets/github-pat`.
    pub rule_id: String,
    pub severity: Severity,
    /// Human message; names the rule and the redacted value, never the value.
    pub message: String,
    /// Path as given by the caller (workspace-relative, `/`-separated).
    pub path: String,
    /// Where the secret is; for a secret found inside encoded text, the
    /// region of the whole encoded run.
    pub region: Region,
    /// Byte offset of the region's start in the scanned file; `None` for
    /// added-lines scans, where the caller's line numbers are the location.
    pub byte_offset: Option<u64>,
    /// Redacted form, e.g. `ghp_…(40 chars)`.
    pub redacted: String,
    /// The finding's first line with every secret on it redacted, and
    /// every other credential-shaped value too (values of credential-named
    /// assignments however weak, long random token runs), cut to 160
    /// characters around the finding (cuts marked `…`); for the WIT
    /// `snippet`.
    pub snippet: Option<String>,
    /// Hex SHA-256 over rule id, path and a hash of the secret. Line moves do
    /// not change it; used by baselines and SARIF `partialFingerprints`.
    pub fingerprint: String,
    /// Chain of decoders the secret was found through, outermost first, e.g.
    /// `base64` or `percent>base64`; `None` when found as plain text.
    pub decoded_via: Option<String>,
    /// Extra facts for the WIT `properties` list (`checksum`, `paired-with`,
    /// `entropy`, ...).
    pub properties: Vec<(String, String)>,
}

/// Why a finding was not reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SuppressionReason {
    /// A `cordon:allow` (or `gitleaks:allow`) comment on the finding's line
    /// or the line above; `marker` says which.
    InlineAllow { line: u32, marker: String },
    /// The path matched an `allow-paths` glob.
    PathAllowlist { glob: String },
    /// The secret matched an `allow-values` regex.
    ValueAllowlist { pattern: String },
    /// The fingerprint is in the baseline.
    Baseline,
    /// The path matched an `allow-path-patterns` regex.
    PathPattern { pattern: String },
    /// A `.gitleaksignore` fingerprint covers the finding.
    GitleaksIgnore { entry: String },
}

impl fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuppressionReason::InlineAllow { line, marker } => {
                write!(f, "inline `{marker}` on line {line}")
            }
            SuppressionReason::PathAllowlist { glob } => {
                write!(f, "path matches allow-paths glob `{glob}`")
            }
            SuppressionReason::ValueAllowlist { pattern } => {
                write!(f, "value matches allow-values pattern `{pattern}`")
            }
            SuppressionReason::Baseline => f.write_str("fingerprint is in the baseline"),
            SuppressionReason::PathPattern { pattern } => {
                write!(f, "path matches allow-path-patterns regex `{pattern}`")
            }
            SuppressionReason::GitleaksIgnore { entry } => {
                write!(f, "`.gitleaksignore` lists `{entry}`")
            }
        }
    }
}

/// A finding that was found but not reported, with the reason, so that a
/// suppression can always be listed and never hides silently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    pub finding: Finding,
    pub reason: SuppressionReason,
}

/// Result of scanning one file (or one set of added lines).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileScan {
    pub path: String,
    /// Reported findings, ordered by position.
    pub findings: Vec<Finding>,
    /// Findings that an allowlist, inline comment or baseline suppressed.
    pub suppressed: Vec<Suppressed>,
    /// Set when the content was not scanned (e.g. binary); such a file is
    /// never clean, it is unscanned.
    pub skipped: Option<String>,
    /// Bytes examined (0 when skipped).
    pub bytes_scanned: u64,
}

impl FileScan {
    /// Moves every finding whose fingerprint is in `baseline` to
    /// `suppressed` with [`SuppressionReason::Baseline`].
    pub fn apply_baseline(&mut self, baseline: &crate::Baseline) {
        let (accepted, fresh): (Vec<_>, Vec<_>) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| baseline.contains(&f.fingerprint));
        self.findings = fresh;
        self.suppressed
            .extend(accepted.into_iter().map(|finding| Suppressed {
                finding,
                reason: SuppressionReason::Baseline,
            }));
    }
}
