//! Finding severities and how advisories map onto them.

use serde::{Deserialize, Serialize};

/// Severity of a finding, ordered from least to most severe; mirrors the
/// `severity` enum of the stage contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The qualitative rating CVSS v3.x and v4.0 give a base score:
    /// 0.0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical.
    pub fn from_cvss_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::Info
        }
    }

    /// Ratings written as words by some OSV sources (GitHub's
    /// `database_specific.severity`: LOW, MODERATE, HIGH, CRITICAL).
    pub(crate) fn from_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "low" => Some(Self::Low),
            "moderate" | "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

/// Severity of a vulnerability whose advisory carries no CVSS vector or
/// rating (most of the PyPI database). Medium: a known vulnerability should
/// fail a default `fail_on = "medium"` gate, while advisories that scored
/// themselves low stay below it.
pub const DEFAULT_VULNERABILITY_SEVERITY: Severity = Severity::Medium;

/// Severity of informational advisories. Unsound code can corrupt memory
/// through safe APIs, so it rates above the rest.
pub const UNSOUND_SEVERITY: Severity = Severity::Low;
pub const UNMAINTAINED_SEVERITY: Severity = Severity::Low;
pub const NOTICE_SEVERITY: Severity = Severity::Info;

/// Parses a CVSS vector (v2, v3.0, v3.1 or v4.0) and returns its base score.
pub(crate) fn cvss_base_score(vector: &str) -> Option<f64> {
    vector.parse::<cvss::Cvss>().ok().map(|cvss| cvss.score())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bands_follow_the_cvss_rating_scale() {
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Info);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(3.9), Severity::Low);
        assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(8.9), Severity::High);
        assert_eq!(Severity::from_cvss_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(10.0), Severity::Critical);
    }

    #[test]
    fn cvss_v3_base_scores_match_the_specification_examples() {
        // Network, low complexity, no privileges, no interaction, high impact.
        let critical = cvss_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert!((critical - 9.8).abs() < 1e-9, "{critical}");
        let medium = cvss_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N").unwrap();
        assert!((medium - 4.2).abs() < 1e-9, "{medium}");
        assert!(cvss_base_score("CVSS:3.1/AV:X").is_none());
    }

    #[test]
    fn words_map_to_severities() {
        assert_eq!(Severity::from_word("MODERATE"), Some(Severity::Medium));
        assert_eq!(Severity::from_word("Critical"), Some(Severity::Critical));
        assert_eq!(Severity::from_word("unknown"), None);
    }
}
