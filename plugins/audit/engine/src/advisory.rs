//! The advisory record kept in the index, whichever database it came from,
//! and the rules deciding whether it affects one package version.

use serde::{Deserialize, Serialize};

use crate::ecosystem::{Ecosystem, EcosystemTag};
use crate::severity::{
    DEFAULT_VULNERABILITY_SEVERITY, NOTICE_SEVERITY, Severity, UNMAINTAINED_SEVERITY,
    UNSOUND_SEVERITY,
};
use crate::version::{ComparableVersion, Scheme};

/// One advisory about one package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AdvisoryRecord {
    pub id: String,
    pub ecosystem: EcosystemTag,
    /// The distribution release the advisory is about (`12` of OSV's
    /// `Debian:12`, `v3.20` of `Alpine:v3.20`); `None` for every other
    /// ecosystem, and for a distribution record that names no release.
    pub release: Option<String>,
    /// Compared against [`crate::ecosystem::normalized_name`] of packages
    /// (for a distribution, of the source package).
    pub package: String,
    pub aliases: Vec<String>,
    pub title: String,
    pub description: String,
    /// `YYYY-MM-DD` (RustSec) or RFC 3339 (OSV `published`).
    pub date: Option<String>,
    pub url: Option<String>,
    pub kind: AdvisoryKind,
    pub cvss: Option<String>,
    pub cvss_score: Option<f64>,
    /// A rating given as a word where there is no CVSS vector.
    pub rated_severity: Option<Severity>,
    pub withdrawn: bool,
    /// RustSec advisories about crates of another registry name its index;
    /// `None` is crates.io.
    pub registry: Option<String>,
    pub affected: Affected,
    /// RustSec `[affected]`: vulnerable functions, operating systems and
    /// architectures (reported, never used to filter, as cargo-audit does
    /// when no target is given).
    pub functions: Vec<String>,
    pub os: Vec<String>,
    pub arch: Vec<String>,
}

/// What an advisory reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum AdvisoryKind {
    Vulnerability,
    Unmaintained,
    Unsound,
    Notice,
    /// An informational kind RustSec does not define; cargo-audit never
    /// reports these and neither do we.
    OtherInformational(String),
}

impl AdvisoryKind {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Vulnerability => "vulnerability",
            Self::Unmaintained => "unmaintained",
            Self::Unsound => "unsound",
            Self::Notice => "notice",
            Self::OtherInformational(other) => other,
        }
    }
}

/// The affected versions, in the form the source database gave them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Affected {
    /// RustSec `[versions]`, kept as written, plus the half-open ranges the
    /// `rustsec` crate derives from them (its own matching uses exactly
    /// these, which get pre-releases right where `VersionReq` does not).
    RustSec {
        patched: Vec<String>,
        unaffected: Vec<String>,
        ranges: Vec<SemverRange>,
    },
    /// OSV `versions` and `SEMVER`/`ECOSYSTEM` ranges.
    Osv {
        versions: Vec<String>,
        ranges: Vec<OsvRange>,
    },
}

/// `introduced <= v < fixed`; a missing bound is open.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SemverRange {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OsvRange {
    /// `SEMVER` ranges order by SemVer 2.0 whatever the ecosystem;
    /// `ECOSYSTEM` ranges by the ecosystem's own rules.
    pub semver: bool,
    /// Sorted by version at build time (`introduced: "0"` first).
    pub events: Vec<OsvEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OsvEvent {
    /// `None` is OSV's `"0"`: before every version.
    Introduced(Option<String>),
    Fixed(String),
    LastAffected(String),
}

impl OsvEvent {
    fn version(&self) -> Option<&str> {
        match self {
            Self::Introduced(version) => version.as_deref(),
            Self::Fixed(version) | Self::LastAffected(version) => Some(version),
        }
    }
}

/// Why an advisory applies to a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    /// The affected range, e.g. `>= 1.0.0, < 1.2.3`.
    pub range: String,
    /// The first version past the affected range that is not affected.
    pub fixed: Option<String>,
}

/// The package version could not be read under the ecosystem's rules, so
/// ranges could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnreadableVersion;

impl AdvisoryRecord {
    pub fn severity(&self) -> Severity {
        match &self.kind {
            AdvisoryKind::Vulnerability => self
                .cvss_score
                .map(Severity::from_cvss_score)
                .or(self.rated_severity)
                .unwrap_or(DEFAULT_VULNERABILITY_SEVERITY),
            AdvisoryKind::Unsound => UNSOUND_SEVERITY,
            AdvisoryKind::Unmaintained => UNMAINTAINED_SEVERITY,
            AdvisoryKind::Notice | AdvisoryKind::OtherInformational(_) => NOTICE_SEVERITY,
        }
    }

    /// Whether `version` of this advisory's package is affected.
    pub fn affects(&self, version: &str) -> Result<Option<Match>, UnreadableVersion> {
        match &self.affected {
            Affected::RustSec {
                patched, ranges, ..
            } => rustsec_affects(patched, ranges, version),
            Affected::Osv { versions, ranges } => {
                osv_affects(self.ecosystem.into(), versions, ranges, version)
            }
        }
    }

    /// Drops OSV `versions` entries that a range already covers: OSV
    /// producers enumerate every affected release next to the ranges, and
    /// those lists are most of the index's size and load time.
    pub fn drop_listed_versions_covered_by_ranges(&mut self) {
        let ecosystem = Ecosystem::from(self.ecosystem);
        let Affected::Osv { versions, ranges } = &mut self.affected else {
            return;
        };
        versions.retain(|listed| {
            !ranges.iter().any(|range| {
                let scheme = range_scheme(ecosystem, range.semver);
                scheme
                    .parse(listed)
                    .is_some_and(|version| osv_range_affects(scheme, range, &version).is_some())
            })
        });
    }

    /// The affected versions as one line of text, for messages and SARIF.
    pub fn affected_text(&self) -> String {
        match &self.affected {
            Affected::RustSec { ranges, .. } => join_ranges(ranges.iter().map(semver_range_text)),
            Affected::Osv { versions, ranges } => {
                let mut parts: Vec<String> = ranges.iter().map(osv_range_text).collect();
                if !versions.is_empty() && ranges.is_empty() {
                    parts.push(format!("= {}", versions.join(", = ")));
                }
                join_ranges(parts.into_iter())
            }
        }
    }
}

fn join_ranges(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.collect();
    if parts.is_empty() {
        "no versions".to_owned()
    } else {
        parts.join(" | ")
    }
}

/// cargo-audit's rule: vulnerable when inside any derived range, compared
/// with the `semver` crate's ordering (build metadata included), exactly as
/// `rustsec::advisory::Versions::is_vulnerable` does.
fn rustsec_affects(
    patched: &[String],
    ranges: &[SemverRange],
    version: &str,
) -> Result<Option<Match>, UnreadableVersion> {
    let version = semver::Version::parse(version).map_err(|_| UnreadableVersion)?;
    let matched = ranges.iter().find(|range| {
        rustsec::osv::OsvRange {
            introduced: parse_stored_semver(range.introduced.as_deref()),
            fixed: parse_stored_semver(range.fixed.as_deref()),
        }
        .affects(&version)
    });
    Ok(matched.map(|range| Match {
        range: semver_range_text(range),
        fixed: first_patched_above(patched, ranges, &version).or_else(|| range.fixed.clone()),
    }))
}

/// The lowest range end above `version` that a `patched` requirement
/// accepts. The end of the matching range alone can be an `unaffected`
/// island (`time` 0.2.0 is unaffected, 0.2.7 again vulnerable), which is no
/// upgrade advice.
fn first_patched_above(
    patched: &[String],
    ranges: &[SemverRange],
    version: &semver::Version,
) -> Option<String> {
    let patched: Vec<semver::VersionReq> = patched
        .iter()
        .filter_map(|req| semver::VersionReq::parse(req).ok())
        .collect();
    ranges
        .iter()
        .filter_map(|range| parse_stored_semver(range.fixed.as_deref()))
        .filter(|end| end > version && patched.iter().any(|req| req.matches(end)))
        .min()
        .map(|end| end.to_string())
}

/// Range bounds were produced by `semver::Version`'s `Display` at build
/// time, so they always parse again.
fn parse_stored_semver(bound: Option<&str>) -> Option<semver::Version> {
    bound.and_then(|text| semver::Version::parse(text).ok())
}

fn semver_range_text(range: &SemverRange) -> String {
    match (&range.introduced, &range.fixed) {
        (None, None) => "all versions".to_owned(),
        (Some(introduced), None) => format!(">= {introduced}"),
        (None, Some(fixed)) => format!("< {fixed}"),
        (Some(introduced), Some(fixed)) => format!(">= {introduced}, < {fixed}"),
    }
}

/// The scheme a range's versions are compared under.
pub(crate) fn range_scheme(ecosystem: Ecosystem, semver_range: bool) -> Scheme {
    match (semver_range, ecosystem) {
        // Go's SEMVER ranges omit the `v` the packages carry; the Go scheme
        // accepts both.
        (true, Ecosystem::Go) => Scheme::Go,
        (true, _) => Scheme::SemVer,
        (false, ecosystem) => Scheme::for_ecosystem(ecosystem),
    }
}

/// OSV's evaluation: affected when listed in `versions` or inside any range,
/// where walking a range's sorted events `introduced` opens it at
/// `v >= introduced`, `fixed` closes it at `v >= fixed` and
/// `last_affected` closes it at `v > last_affected`.
fn osv_affects(
    ecosystem: Ecosystem,
    versions: &[String],
    ranges: &[OsvRange],
    version: &str,
) -> Result<Option<Match>, UnreadableVersion> {
    let ecosystem_scheme = Scheme::for_ecosystem(ecosystem);
    let parsed = ecosystem_scheme.parse(version);
    let listed = versions
        .iter()
        .any(|listed| match (&parsed, ecosystem_scheme.parse(listed)) {
            (Some(parsed), Some(listed)) => *parsed == listed,
            _ => listed.trim() == version.trim(),
        });

    let mut unreadable = false;
    for range in ranges {
        let scheme = range_scheme(ecosystem, range.semver);
        let Some(version) = scheme.parse(version) else {
            unreadable = true;
            continue;
        };
        if let Some(fixed) = osv_range_affects(scheme, range, &version) {
            return Ok(Some(Match {
                range: osv_range_text(range),
                fixed,
            }));
        }
    }
    if listed {
        return Ok(Some(Match {
            range: format!("= {version} (listed as affected)"),
            fixed: None,
        }));
    }
    if unreadable {
        return Err(UnreadableVersion);
    }
    Ok(None)
}

/// `Some(first fixed version above it)` when `version` is inside `range`.
fn osv_range_affects(
    scheme: Scheme,
    range: &OsvRange,
    version: &ComparableVersion,
) -> Option<Option<String>> {
    let mut affected = false;
    for event in &range.events {
        let bound = event.version().and_then(|text| scheme.parse(text));
        match event {
            OsvEvent::Introduced(_) => {
                if bound.is_none_or(|bound| *version >= bound) {
                    affected = true;
                }
            }
            OsvEvent::Fixed(_) => {
                if bound.is_some_and(|bound| *version >= bound) {
                    affected = false;
                }
            }
            OsvEvent::LastAffected(_) => {
                if bound.is_some_and(|bound| *version > bound) {
                    affected = false;
                }
            }
        }
    }
    if !affected {
        return None;
    }
    let fixed = range.events.iter().find_map(|event| match event {
        OsvEvent::Fixed(fixed) if scheme.parse(fixed).is_some_and(|bound| bound > *version) => {
            Some(fixed.clone())
        }
        _ => None,
    });
    Some(fixed)
}

fn osv_range_text(range: &OsvRange) -> String {
    let mut intervals = Vec::new();
    let mut open: Option<Option<&str>> = None;
    for event in &range.events {
        match event {
            OsvEvent::Introduced(introduced) => {
                if open.is_none() {
                    open = Some(introduced.as_deref());
                }
            }
            OsvEvent::Fixed(end) | OsvEvent::LastAffected(end) => {
                let operator = if matches!(event, OsvEvent::Fixed(_)) {
                    "<"
                } else {
                    "<="
                };
                match open.take() {
                    Some(Some(start)) => intervals.push(format!(">= {start}, {operator} {end}")),
                    Some(None) => intervals.push(format!("{operator} {end}")),
                    None => {}
                }
            }
        }
    }
    match open {
        Some(Some(start)) => intervals.push(format!(">= {start}")),
        Some(None) => intervals.push("all versions".to_owned()),
        None => {}
    }
    if intervals.is_empty() {
        "no versions".to_owned()
    } else {
        intervals.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osv_record(
        ecosystem: EcosystemTag,
        versions: &[&str],
        ranges: Vec<OsvRange>,
    ) -> AdvisoryRecord {
        AdvisoryRecord {
            id: "TEST-1".into(),
            ecosystem,
            release: None,
            package: "pkg".into(),
            aliases: vec![],
            title: String::new(),
            description: String::new(),
            date: None,
            url: None,
            kind: AdvisoryKind::Vulnerability,
            cvss: None,
            cvss_score: None,
            rated_severity: None,
            withdrawn: false,
            registry: None,
            affected: Affected::Osv {
                versions: versions.iter().map(|v| v.to_string()).collect(),
                ranges,
            },
            functions: vec![],
            os: vec![],
            arch: vec![],
        }
    }

    fn range(semver: bool, events: &[(&str, &str)]) -> OsvRange {
        OsvRange {
            semver,
            events: events
                .iter()
                .map(|(kind, version)| match *kind {
                    "introduced" if *version == "0" => OsvEvent::Introduced(None),
                    "introduced" => OsvEvent::Introduced(Some(version.to_string())),
                    "fixed" => OsvEvent::Fixed(version.to_string()),
                    _ => OsvEvent::LastAffected(version.to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn introduced_zero_and_fixed_bound_a_pep440_range() {
        let record = osv_record(
            EcosystemTag::PyPI,
            &[],
            vec![range(false, &[("introduced", "0"), ("fixed", "3.7.4")])],
        );
        let hit = record.affects("3.7.3").unwrap().unwrap();
        assert_eq!(hit.fixed.as_deref(), Some("3.7.4"));
        assert_eq!(hit.range, "< 3.7.4");
        assert!(
            record.affects("3.7.4rc1").unwrap().is_some(),
            "pre-release of the fix"
        );
        assert!(record.affects("3.7.4").unwrap().is_none());
        assert!(record.affects("3.7.4.post1").unwrap().is_none());
        assert!(record.affects("0.0.1.dev0").unwrap().is_some());
    }

    #[test]
    fn last_affected_includes_its_version_only() {
        let record = osv_record(
            EcosystemTag::PyPI,
            &[],
            vec![range(
                false,
                &[("introduced", "1.2"), ("last_affected", "1.4.0")],
            )],
        );
        assert!(record.affects("1.1.9").unwrap().is_none());
        assert!(record.affects("1.2").unwrap().is_some());
        let hit = record.affects("1.4").unwrap().unwrap();
        assert_eq!(hit.fixed, None);
        assert_eq!(hit.range, ">= 1.2, <= 1.4.0");
        assert!(record.affects("1.4.0.post1").unwrap().is_none());
    }

    #[test]
    fn several_intervals_in_one_range_reopen_and_close() {
        let record = osv_record(
            EcosystemTag::Npm,
            &[],
            vec![range(
                true,
                &[
                    ("introduced", "1.0.0"),
                    ("fixed", "1.2.0"),
                    ("introduced", "2.0.0"),
                    ("fixed", "2.0.5"),
                ],
            )],
        );
        assert!(record.affects("0.9.0").unwrap().is_none());
        assert_eq!(
            record.affects("1.1.0").unwrap().unwrap().fixed.as_deref(),
            Some("1.2.0")
        );
        assert!(record.affects("1.5.0").unwrap().is_none());
        assert_eq!(
            record.affects("2.0.4").unwrap().unwrap().fixed.as_deref(),
            Some("2.0.5")
        );
        assert!(record.affects("2.0.5").unwrap().is_none());
        assert!(record.affects("2.0.5-beta.1").unwrap().is_some());
    }

    #[test]
    fn versions_list_matches_by_pep440_equality() {
        let record = osv_record(EcosystemTag::PyPI, &["0.1", "1.0.0"], vec![]);
        assert!(record.affects("0.1.0").unwrap().is_some());
        assert!(record.affects("1.0").unwrap().is_some());
        assert!(record.affects("1.0.1").unwrap().is_none());
    }

    #[test]
    fn listed_versions_inside_ranges_are_dropped_and_the_rest_kept() {
        let mut record = osv_record(
            EcosystemTag::PyPI,
            &["0.9", "1.0", "1.5", "2.0.0-n653"],
            vec![range(false, &[("introduced", "1.0"), ("fixed", "1.2")])],
        );
        record.drop_listed_versions_covered_by_ranges();
        let Affected::Osv { versions, .. } = &record.affected else {
            unreachable!()
        };
        assert_eq!(versions, &["0.9", "1.5", "2.0.0-n653"]);
        assert!(record.affects("1.0.0").unwrap().is_some());
        assert!(record.affects("1.5").unwrap().is_some());
        assert!(record.affects("1.2").unwrap().is_none());
    }

    #[test]
    fn unreadable_versions_are_reported_not_treated_as_clean() {
        let record = osv_record(
            EcosystemTag::CratesIo,
            &[],
            vec![range(false, &[("introduced", "0"), ("fixed", "1.0.0")])],
        );
        assert_eq!(record.affects("not-a-version"), Err(UnreadableVersion));
    }

    #[test]
    fn rustsec_ranges_use_semver_ordering_with_prereleases() {
        let mut record = osv_record(EcosystemTag::CratesIo, &[], vec![]);
        record.affected = Affected::RustSec {
            patched: vec![">=1.2.3".into()],
            unaffected: vec![],
            ranges: vec![SemverRange {
                introduced: None,
                fixed: Some("1.2.3".into()),
            }],
        };
        assert_eq!(
            record
                .affects("1.2.3-alpha.1")
                .unwrap()
                .unwrap()
                .fixed
                .as_deref(),
            Some("1.2.3")
        );
        assert!(record.affects("1.2.3").unwrap().is_none());
        assert_eq!(record.affected_text(), "< 1.2.3");
        assert_eq!(record.affects("1.2"), Err(UnreadableVersion));
    }

    #[test]
    fn rustsec_fix_hint_skips_unaffected_islands() {
        let mut record = osv_record(EcosystemTag::CratesIo, &[], vec![]);
        // `time`'s shape: 0.2.0 is unaffected, 0.2.1..0.2.23 vulnerable again.
        record.affected = Affected::RustSec {
            patched: vec![">= 0.2.23".into()],
            unaffected: vec!["= 0.2.0".into()],
            ranges: vec![
                SemverRange {
                    introduced: None,
                    fixed: Some("0.2.0".into()),
                },
                SemverRange {
                    introduced: Some("0.2.1".into()),
                    fixed: Some("0.2.23".into()),
                },
            ],
        };
        let hit = record.affects("0.1.40").unwrap().unwrap();
        assert_eq!(hit.range, "< 0.2.0");
        assert_eq!(hit.fixed.as_deref(), Some("0.2.23"));
        assert!(record.affects("0.2.0").unwrap().is_none());
    }
}
