//! User configuration: the stage's `[stages.secrets.options]` table, which
//! the host hands over as JSON. Unknown keys are rejected so that a typo
//! never silently turns a setting off.

use serde::Deserialize;

use crate::Severity;

/// Options of the `secrets` stage. All keys are kebab-case.
///
/// ```toml
/// [stages.secrets.options]
/// disabled-rules = ["secrets/jwt"]
/// allow-paths = ["tests/fixtures/**"]
/// allow-values = ["^sk_test_"]
///
/// [[stages.secrets.options.rules]]
/// id = "acme-api-key"
/// regex = 'acme_(?P<secret>[a-z0-9]{32})'
/// keywords = ["acme_"]
/// min-entropy = 3.0
/// severity = "high"
/// description = "ACME API key"
/// ```
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ScannerConfig {
    /// Extra rules, checked like the built-in ones.
    pub rules: Vec<CustomRuleConfig>,
    /// Rule ids (built-in or custom) not to run.
    pub disabled_rules: Vec<String>,
    /// Globs of paths whose findings are suppressed (listed, not reported).
    pub allow_paths: Vec<String>,
    /// Regexes; a finding whose secret matches one is suppressed.
    pub allow_values: Vec<String>,
    /// Regexes over the path; a finding in a matching file is suppressed
    /// (the form `.gitleaks.toml` allow-lists use). Deliberately not an
    /// option key: it is set through [`crate::GitleaksConfig::apply_to`],
    /// and a host must apply a repository's `.gitleaks.toml` only where
    /// suppressions the repository controls count (the runner strips the
    /// allow-list keys it knows from such pipelines, not this one).
    #[serde(skip)]
    pub allow_path_patterns: Vec<String>,
    /// Honour `cordon:allow` (and gitleaks' `gitleaks:allow`) comments on
    /// the finding's line or the line above.
    pub inline_allow: bool,
    /// How many decoders may be stacked (base64 inside percent-encoding is 2).
    /// 0 turns decoding off.
    pub max_decode_depth: u8,
    /// Minimum Shannon entropy (bits per character) of the value of a generic
    /// `password = "..."` assignment.
    pub generic_min_entropy: f64,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        ScannerConfig {
            rules: Vec::new(),
            disabled_rules: Vec::new(),
            allow_paths: Vec::new(),
            allow_values: Vec::new(),
            allow_path_patterns: Vec::new(),
            inline_allow: true,
            max_decode_depth: 2,
            generic_min_entropy: 3.0,
        }
    }
}

impl ScannerConfig {
    /// Parses the options table as the host passes it (JSON). An empty
    /// string or `null` means "all defaults".
    pub fn from_json(options: &str) -> Result<ScannerConfig, ConfigError> {
        let trimmed = options.trim();
        if trimmed.is_empty() || trimmed == "null" {
            return Ok(ScannerConfig::default());
        }
        serde_json::from_str(trimmed).map_err(|error| ConfigError::Parse(error.to_string()))
    }
}

/// A user-defined rule.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CustomRuleConfig {
    /// Rule id; `secrets/` is prepended when missing. Must not clash with a
    /// built-in rule.
    pub id: String,
    /// Regex over bytes (ASCII classes; `(?u)` opts into Unicode). A group
    /// named `secret` marks the secret; otherwise group 1, else the match.
    pub regex: String,
    /// Literal words of which at least one occurs in or near every match
    /// (case-insensitive). The regex only runs next to them.
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret, bits per character.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    #[serde(default = "default_custom_severity")]
    pub severity: Severity,
    #[serde(default)]
    pub description: Option<String>,
    /// The capture group holding the secret (1-based), when it is neither
    /// named `secret` nor group 1.
    #[serde(default)]
    pub secret_group: Option<usize>,
}

fn default_custom_severity() -> Severity {
    Severity::High
}

/// Why a configuration was rejected. Messages name the offending entry.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("invalid secrets options: {0}")]
    Parse(String),
    #[error("rule `{rule}`: invalid regex: {error}")]
    InvalidRegex { rule: String, error: String },
    #[error(
        "rule `{0}`: needs at least one keyword of 3 or more characters (regexes only run next to keywords)"
    )]
    MissingKeywords(String),
    #[error("rule `{0}`: ids may only contain a-z, 0-9, `-`, `_` and `/`")]
    InvalidRuleId(String),
    #[error("rule `{0}`: id is already used by another rule")]
    DuplicateRule(String),
    #[error("rule `{0}`: min-entropy must be between 0 and 8 bits per character")]
    InvalidEntropy(String),
    #[error("disabled-rules: no rule has the id `{0}`")]
    UnknownRule(String),
    #[error("allow-paths: invalid glob `{glob}`: {error}")]
    InvalidGlob { glob: String, error: String },
    #[error("allow-values: invalid regex `{pattern}`: {error}")]
    InvalidAllowValue { pattern: String, error: String },
    #[error("allow-path-patterns: invalid regex `{pattern}`: {error}")]
    InvalidAllowPathPattern { pattern: String, error: String },
    #[error("rule `{rule}`: secret-group {group} does not exist in its regex")]
    InvalidSecretGroup { rule: String, group: usize },
    #[error("invalid .gitleaks.toml: {0}")]
    Gitleaks(String),
    #[error("generic-min-entropy must be between 0 and 8 bits per character")]
    InvalidGenericEntropy,
    #[error("could not build the keyword prefilter: {0}")]
    Prefilter(String),
}
