//! The stage's options (`[stages.audit.options]`), handed over as JSON.
//! Keys are kebab-case, as every Cordon stage's are:
//!
//! ```toml
//! [stages.audit.options]
//! max-database-age-days = 30
//! informational = { unmaintained = false }
//! ignore = [{ id = "RUSTSEC-2020-0071", package = "time", reason = "no local time use", expires = "2099-12-31" }]
//! not-checked-severity = "high"
//! vex-out = true          # the stage's decisions as the `openvex` artifact
//! vex-author = "security@example.com"
//! ```

use std::str::FromStr;

use serde::Deserialize;

pub use jiff::civil::Date;

use crate::severity::Severity;
use crate::vex::{VexDocument, VexStatement};

/// Options of the `audit` stage. Unknown keys are an error so typos do not
/// silently disable a setting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuditConfig {
    /// Which informational advisories to report (all by default, as
    /// cargo-audit does).
    #[serde(default)]
    pub informational: InformationalConfig,
    /// Advisories not to report.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
    /// `max-database-age-days`: a database whose last change is older than
    /// this many days earns a note asking for `cordon db update`.
    #[serde(default = "default_max_database_age_days")]
    pub max_database_age_days: u32,
    /// `not-checked-severity`: severity of the finding for an ecosystem
    /// whose packages no loaded database has advisories for. High by
    /// default, so the default gate fails rather than report them clean;
    /// `info` keeps the finding without failing a gate.
    #[serde(default = "default_not_checked_severity")]
    pub not_checked_severity: Severity,
    /// `vex-out`: the stage writes an OpenVEX document of its own
    /// decisions (ignores with their reasons and expiry, applied VEX
    /// statements) as its `vex` artifact.
    #[serde(default)]
    pub vex_out: bool,
    /// `vex-author`: the document's `author`.
    #[serde(default = "default_vex_author")]
    pub vex_author: String,
    /// `vex-timestamp`: the document's `timestamp`, in Unix seconds (the
    /// host passes `SOURCE_DATE_EPOCH` for a reproducible document); the
    /// current time when absent.
    #[serde(default)]
    pub vex_timestamp: Option<i64>,
    /// Statements of VEX documents ([`AuditConfig::add_vex`]), applied with
    /// the ignores. Not an option key: the caller reads the documents.
    #[serde(skip)]
    pub vex: Vec<VexStatement>,
    /// Statements of those documents that could not be applied; the audit
    /// repeats them in its notes.
    #[serde(skip)]
    pub vex_warnings: Vec<String>,
}

fn default_not_checked_severity() -> Severity {
    Severity::High
}

fn default_vex_author() -> String {
    "Cordon audit stage".to_owned()
}

fn default_max_database_age_days() -> u32 {
    90
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            informational: InformationalConfig::default(),
            ignore: Vec::new(),
            max_database_age_days: default_max_database_age_days(),
            not_checked_severity: default_not_checked_severity(),
            vex_out: false,
            vex_author: default_vex_author(),
            vex_timestamp: None,
            vex: Vec::new(),
            vex_warnings: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InformationalConfig {
    #[serde(default = "yes")]
    pub unmaintained: bool,
    #[serde(default = "yes")]
    pub unsound: bool,
    #[serde(default = "yes")]
    pub notice: bool,
}

fn yes() -> bool {
    true
}

impl Default for InformationalConfig {
    fn default() -> Self {
        Self {
            unmaintained: true,
            unsound: true,
            notice: true,
        }
    }
}

/// One ignored advisory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IgnoreRule {
    /// Advisory id or one of its aliases (`RUSTSEC-…`, `CVE-…`, `GHSA-…`).
    pub id: String,
    /// Only for this package (PyPI names compare normalised).
    #[serde(default)]
    pub package: Option<String>,
    /// Why it is safe to ignore; required so every exception is explained.
    pub reason: String,
    /// Last day (`YYYY-MM-DD`) the ignore applies; afterwards the advisory
    /// is reported again with a note.
    #[serde(default, deserialize_with = "deserialize_date")]
    pub expires: Option<Date>,
}

fn deserialize_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Date>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_date(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Parses a strict `YYYY-MM-DD` calendar date.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let well_formed = text.len() == 10
        && text.char_indices().all(|(at, ch)| {
            if at == 4 || at == 7 {
                ch == '-'
            } else {
                ch.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(format!("`{text}` is not a date of the form YYYY-MM-DD"));
    }
    Date::from_str(text).map_err(|error| format!("`{text}` is not a valid date: {error}"))
}

/// The options were not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid audit options: {0}")]
pub struct ConfigError(pub String);

/// The top-level option keys, as written in `cordon.toml`.
pub const OPTION_KEYS: [&str; 7] = [
    "informational",
    "ignore",
    "max-database-age-days",
    "not-checked-severity",
    "vex-out",
    "vex-author",
    "vex-timestamp",
];

impl AuditConfig {
    /// Adds a VEX document's statements ([`crate::parse_vex`]) to those
    /// the audit applies, and its warnings to the audit's notes.
    pub fn add_vex(&mut self, document: VexDocument) {
        self.vex.extend(document.statements);
        self.vex_warnings.extend(document.warnings);
    }

    /// Reads the stage's options table as the host hands it over (JSON).
    pub fn from_json(options: &str) -> Result<Self, ConfigError> {
        let options = if options.trim().is_empty() {
            "{}"
        } else {
            options
        };
        let value: serde_json::Value =
            serde_json::from_str(options).map_err(|error| ConfigError(error.to_string()))?;
        if let Some(table) = value.as_object() {
            // The snake_case spelling of a real key (the form of early
            // versions) gets a pointer to the right one, not just a list.
            for key in table.keys() {
                let kebab = key.replace('_', "-");
                if kebab != *key && OPTION_KEYS.contains(&kebab.as_str()) {
                    return Err(ConfigError(format!(
                        "unknown option `{key}`: options are kebab-case, write `{kebab}`"
                    )));
                }
            }
        }
        let config: Self =
            serde_json::from_value(value).map_err(|error| ConfigError(error.to_string()))?;
        for (position, rule) in config.ignore.iter().enumerate() {
            if rule.id.trim().is_empty() {
                return Err(ConfigError(format!("ignore[{position}]: `id` is empty")));
            }
            if rule.reason.trim().is_empty() {
                return Err(ConfigError(format!(
                    "ignore[{position}] ({}): `reason` must say why the advisory is ignored",
                    rule.id
                )));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_options_mean_defaults() {
        assert_eq!(AuditConfig::from_json("").unwrap(), AuditConfig::default());
        assert_eq!(
            AuditConfig::from_json("{}").unwrap(),
            AuditConfig::default()
        );
    }

    #[test]
    fn reads_a_full_table() {
        let config = AuditConfig::from_json(
            r#"{"informational": {"unmaintained": false},
                "max-database-age-days": 30,
                "ignore": [{"id": "RUSTSEC-2020-0071", "package": "time",
                            "reason": "no local time use", "expires": "2099-12-31"}]}"#,
        )
        .unwrap();
        assert!(!config.informational.unmaintained);
        assert!(config.informational.unsound && config.informational.notice);
        assert_eq!(config.max_database_age_days, 30);
        assert_eq!(config.not_checked_severity, Severity::High);
        let lowered = AuditConfig::from_json(r#"{"not-checked-severity": "info"}"#).unwrap();
        assert_eq!(lowered.not_checked_severity, Severity::Info);
        assert!(AuditConfig::from_json(r#"{"not-checked-severity": "loud"}"#).is_err());
        assert_eq!(
            config.ignore[0].expires,
            Some(jiff::civil::date(2099, 12, 31))
        );
        assert_eq!(config.ignore[0].package.as_deref(), Some("time"));
    }

    #[test]
    fn rejects_unknown_keys_missing_reasons_and_bad_dates() {
        let unknown = AuditConfig::from_json(r#"{"informationl": {}}"#).unwrap_err();
        assert_eq!(
            unknown.0,
            "unknown field `informationl`, expected one of `informational`, `ignore`, `max-database-age-days`, `not-checked-severity`, `vex-out`, `vex-author`, `vex-timestamp`"
        );
        let snake = AuditConfig::from_json(r#"{"max_database_age_days": 30}"#).unwrap_err();
        assert_eq!(
            snake.0,
            "unknown option `max_database_age_days`: options are kebab-case, write `max-database-age-days`"
        );
        assert!(AuditConfig::from_json(r#"{"informational": {"yanked": true}}"#).is_err());
        assert!(AuditConfig::from_json(r#"{"ignore": [{"id": "X"}]}"#).is_err());
        let blank =
            AuditConfig::from_json(r#"{"ignore": [{"id": "X", "reason": " "}]}"#).unwrap_err();
        assert!(blank.0.contains("reason"));
        for date in ["2024-02-30", "2024-2-01", "tomorrow", "2024-02-01T00:00"] {
            let options =
                format!(r#"{{"ignore": [{{"id": "X", "reason": "r", "expires": "{date}"}}]}}"#);
            assert!(AuditConfig::from_json(&options).is_err(), "{date}");
        }
    }
}
