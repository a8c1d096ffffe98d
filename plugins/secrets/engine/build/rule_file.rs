//! The schema of the rule files in `rules/*.toml`.
//!
//! Shared by `build.rs` (which turns the files into the static catalogue)
//! and the tests (which run every rule's examples), so both read the files
//! the same way. Unknown fields are errors: a typo must not silently drop a
//! setting.

use serde::Deserialize;

/// One `rules/*.toml` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(rename = "rule", default)]
    pub rules: Vec<RuleEntry>,
}

/// One rule, as written in a rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleEntry {
    /// Stable id, `secrets/<name>`: it appears in baselines and SARIF.
    pub id: String,
    pub title: String,
    /// Who issues the credential (the provider).
    pub issuer: String,
    /// The documented structure the rule looks for, in a sentence.
    pub structure: String,
    pub severity: SeverityName,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub keywords_ignore_case: bool,
    #[serde(default)]
    pub matcher: MatcherName,
    /// Required for `matcher = "regex"`.
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default = "default_min_entropy")]
    pub min_entropy: f64,
    #[serde(default)]
    pub check: CheckName,
    #[serde(default)]
    pub yields: bool,
    #[serde(default)]
    pub generic: bool,
    #[serde(default = "default_context_before")]
    pub context_before: usize,
    /// Ids of rules whose findings on the same bytes this rule replaces
    /// (a more specific reading of the same value).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// Replaces the issuer's default remediation text.
    #[serde(default)]
    pub remediation: Option<String>,
    /// Texts the rule must report (templates; see `rules/README.md`).
    #[serde(default)]
    pub true_positives: Vec<String>,
    /// Texts the rule must not report.
    #[serde(default)]
    pub false_positives: Vec<String>,
}

fn default_min_entropy() -> f64 {
    3.0
}

fn default_context_before() -> usize {
    8
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityName {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum MatcherName {
    #[default]
    Regex,
    PrivateKeyBlock,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    #[default]
    None,
    Base62Crc32,
    PypiMacaroon,
    Jwt,
    Bech32,
    Uuid,
    DiscordBotToken,
    CloudflareTunnelToken,
    BasicAuth,
    PackagistCrc32,
}

impl SeverityName {
    pub fn rust(self) -> &'static str {
        match self {
            SeverityName::Critical => "Critical",
            SeverityName::High => "High",
            SeverityName::Medium => "Medium",
            SeverityName::Low => "Low",
            SeverityName::Info => "Info",
        }
    }
}

impl CheckName {
    pub fn rust(self) -> &'static str {
        match self {
            CheckName::None => "None",
            CheckName::Base62Crc32 => "Base62Crc32",
            CheckName::PypiMacaroon => "PypiMacaroon",
            CheckName::Jwt => "Jwt",
            CheckName::Bech32 => "Bech32",
            CheckName::Uuid => "Uuid",
            CheckName::DiscordBotToken => "DiscordBotToken",
            CheckName::CloudflareTunnelToken => "CloudflareTunnelToken",
            CheckName::BasicAuth => "BasicAuth",
            CheckName::PackagistCrc32 => "PackagistCrc32",
        }
    }
}

/// The rule files in `dir`, sorted by name, each with its parsed content.
pub fn read_rule_files(
    dir: &std::path::Path,
) -> Result<Vec<(std::path::PathBuf, RuleFile)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let mut paths: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let file: RuleFile =
            toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        files.push((path, file));
    }
    Ok(files)
}
