//! Reading OSV records (JSON, or YAML as the PyPI advisory database keeps
//! them) into advisory records, one per affected package.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::advisory::{AdvisoryKind, AdvisoryRecord, Affected, OsvEvent, OsvRange, range_scheme};
use crate::ecosystem::{Ecosystem, from_osv_name, normalized_name};
use crate::severity::{Severity, cvss_base_score};

/// Serialization of an OSV file, judged by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OsvFormat {
    Json,
    Yaml,
}

impl OsvFormat {
    pub(crate) fn for_path(path: &str) -> Option<Self> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Self::Yaml)
        } else {
            None
        }
    }
}

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    severity: Option<Vec<SeverityEntry>>,
    #[serde(default)]
    affected: Option<Vec<AffectedEntry>>,
    #[serde(default)]
    references: Option<Vec<Reference>>,
    #[serde(default)]
    database_specific: Option<DatabaseSpecific>,
}

#[derive(Deserialize)]
struct SeverityEntry {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct AffectedEntry {
    #[serde(default)]
    package: Option<PackageEntry>,
    #[serde(default)]
    ranges: Option<Vec<RangeEntry>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    severity: Option<Vec<SeverityEntry>>,
}

#[derive(Deserialize)]
struct PackageEntry {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RangeEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

#[derive(Deserialize)]
struct DatabaseSpecific {
    #[serde(default)]
    severity: Option<String>,
}

/// What one OSV file yielded.
#[derive(Debug, Default)]
pub(crate) struct OsvFile {
    /// One per (record, supported package).
    pub records: Vec<AdvisoryRecord>,
    /// Problems inside an otherwise readable record (a range whose versions
    /// do not parse, an unknown range type...).
    pub problems: Vec<String>,
    /// `affected` entries of ecosystems Cordon does not audit.
    pub unsupported_entries: usize,
}

pub(crate) fn parse_file(format: OsvFormat, bytes: &[u8]) -> Result<OsvFile, String> {
    let record: Record = match format {
        OsvFormat::Json => serde_json::from_slice(bytes).map_err(|error| error.to_string())?,
        OsvFormat::Yaml => serde_yaml_ng::from_slice(bytes).map_err(|error| error.to_string())?,
    };
    if record.id.trim().is_empty() {
        return Err("record has an empty `id`".to_owned());
    }
    let mut file = OsvFile::default();

    let record_rating = rating_of(
        record.severity.as_deref(),
        record.database_specific.as_ref(),
    );
    let title = title_of(&record);
    let url = advisory_url(&record);

    // Several `affected` entries may name the same package (one per
    // branch); they become one advisory so it is reported once.
    // Distributions name one release per entry (`Debian:11`, `Debian:12`):
    // each (package, release) is its own advisory record.
    type Key = (Ecosystem, String, Option<String>);
    let mut by_package: BTreeMap<Key, Vec<&AffectedEntry>> = BTreeMap::new();
    for entry in record.affected.iter().flatten() {
        let Some(package) = &entry.package else {
            file.problems
                .push("an `affected` entry names no package".to_owned());
            continue;
        };
        let Some((ecosystem, release)) = from_osv_name(&package.ecosystem) else {
            file.unsupported_entries += 1;
            continue;
        };
        by_package
            .entry((
                ecosystem,
                normalized_name(ecosystem, &package.name),
                release,
            ))
            .or_default()
            .push(entry);
    }

    for ((ecosystem, package, release), entries) in by_package {
        let mut versions = Vec::new();
        let mut ranges = Vec::new();
        let mut package_rating = record_rating.clone();
        for entry in entries {
            versions.extend(entry.versions.iter().flatten().cloned());
            if package_rating.is_none() {
                package_rating = rating_of(entry.severity.as_deref(), None);
            }
            for range in entry.ranges.iter().flatten() {
                match convert_range(ecosystem, range) {
                    Ok(Some(range)) => ranges.push(range),
                    Ok(None) => {}
                    Err(problem) => file
                        .problems
                        .push(format!("{}: {package}: {problem}", record.id)),
                }
            }
        }
        let (cvss, cvss_score, rated_severity) = match package_rating {
            Some(Rating::Cvss(vector, score)) => (Some(vector), Some(score), None),
            Some(Rating::Word(severity)) => (None, None, Some(severity)),
            None => (None, None, None),
        };
        let mut advisory = AdvisoryRecord {
            id: record.id.clone(),
            ecosystem: ecosystem.into(),
            release,
            package,
            aliases: record.aliases.clone().unwrap_or_default(),
            title: title.clone(),
            description: record.details.clone().unwrap_or_default().trim().to_owned(),
            date: record.published.clone(),
            url: url.clone(),
            kind: AdvisoryKind::Vulnerability,
            cvss,
            cvss_score,
            rated_severity,
            withdrawn: record.withdrawn.is_some(),
            registry: None,
            affected: Affected::Osv { versions, ranges },
            functions: Vec::new(),
            os: Vec::new(),
            arch: Vec::new(),
        };
        advisory.drop_listed_versions_covered_by_ranges();
        file.records.push(advisory);
    }
    Ok(file)
}

#[derive(Debug, Clone)]
enum Rating {
    Cvss(String, f64),
    Word(Severity),
}

/// CVSS v3 first (the version the brief and most dashboards use), then v4,
/// then v2, then a rating word.
fn rating_of(
    entries: Option<&[SeverityEntry]>,
    database: Option<&DatabaseSpecific>,
) -> Option<Rating> {
    let entries = entries.unwrap_or_default();
    for kind in ["CVSS_V3", "CVSS_V4", "CVSS_V2"] {
        for entry in entries.iter().filter(|entry| entry.kind == kind) {
            if let Some(score) = cvss_base_score(&entry.score) {
                return Some(Rating::Cvss(entry.score.clone(), score));
            }
        }
    }
    database
        .and_then(|database| database.severity.as_deref())
        .and_then(Severity::from_word)
        .map(Rating::Word)
}

/// The advisory's title: its summary, unless that is missing or only
/// describes the package ("Requests is a HTTP library."), else the first
/// sentence of the details that is not such a description (GitHub's
/// PyPI advisories open their details with one), else the id.
fn title_of(record: &Record) -> String {
    if let Some(summary) = record
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|summary| !summary.is_empty() && !describes_package_only(summary))
    {
        return shortened(summary);
    }
    let details = record.details.as_deref().unwrap_or_default();
    sentences(details)
        .into_iter()
        .find(|sentence| !describes_package_only(sentence))
        .map(|sentence| shortened(&sentence))
        .unwrap_or_else(|| record.id.clone())
}

/// Titles longer than this are cut (a title is one line of a report).
const TITLE_LIMIT: usize = 160;

fn shortened(text: &str) -> String {
    // A sentence may run over several lines of the details.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > TITLE_LIMIT {
        let cut: String = text.chars().take(TITLE_LIMIT).collect();
        format!("{}…", cut.trim_end())
    } else {
        text
    }
}

/// The sentences of a details text. Blank lines and Markdown headings end
/// a sentence too, and headings are not sentences.
fn sentences(details: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut block = String::new();
    for line in details.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            blocks.push(std::mem::take(&mut block));
            continue;
        }
        block.push_str(line);
        block.push(' ');
    }
    blocks.push(block);
    let mut sentences = Vec::new();
    for block in &blocks {
        let mut rest = block.trim();
        while !rest.is_empty() {
            let (sentence, tail) = match rest.find(". ") {
                Some(end) => (&rest[..=end], &rest[end + 1..]),
                None => (rest, ""),
            };
            sentences.push(sentence.trim().to_owned());
            rest = tail.trim_start();
        }
    }
    sentences
}

/// Words that make a sentence about a flaw rather than about the package.
const FLAW_WORDS: [&str; 24] = [
    "vulnerab",
    "attack",
    "exploit",
    "inject",
    "overflow",
    "bypass",
    "denial",
    "redos",
    "leak",
    "disclos",
    "crash",
    "malicious",
    "unsafe",
    "unsound",
    "traversal",
    "forg",
    "xss",
    "scripting",
    "execut",
    "escalat",
    "sensitive",
    "insecure",
    "spoof",
    "improper",
];

/// Whether a sentence only says what the package is: `<Name> is a/an/the
/// ...` (or `<Name> is an open source ...`) with no word about a flaw.
/// Such one-liners are what many GitHub advisories use as their summary
/// or first sentence, and say nothing about the advisory.
fn describes_package_only(sentence: &str) -> bool {
    let lower = sentence.to_ascii_lowercase();
    if FLAW_WORDS.iter().any(|word| lower.contains(word)) || lower.contains("cve-") {
        return false;
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    // The subject is the package's name: at most a few words, then the verb.
    let Some(verb) = words
        .iter()
        .take(5)
        .position(|word| *word == "is" || *word == "are")
    else {
        return false;
    };
    verb > 0
        && words
            .get(verb + 1)
            .is_some_and(|article| ["a", "an", "the"].contains(article))
}

fn advisory_url(record: &Record) -> Option<String> {
    let references = record.references.as_deref().unwrap_or_default();
    references
        .iter()
        .find(|reference| reference.kind == "ADVISORY")
        .or_else(|| references.iter().find(|reference| reference.kind == "WEB"))
        .map(|reference| reference.url.clone())
}

/// `Ok(None)` for `GIT` ranges: they need the repository's history, and
/// OSV producers enumerate the versions they cover in `versions`.
fn convert_range(ecosystem: Ecosystem, range: &RangeEntry) -> Result<Option<OsvRange>, String> {
    let semver = match range.kind.as_str() {
        "SEMVER" => true,
        "ECOSYSTEM" => false,
        "GIT" => return Ok(None),
        other => return Err(format!("unknown range type `{other}`")),
    };
    let scheme = range_scheme(ecosystem, semver);
    let mut events = Vec::new();
    for event in &range.events {
        for (key, value) in event {
            let converted = match key.as_str() {
                "introduced" if value.trim() == "0" => OsvEvent::Introduced(None),
                "introduced" => OsvEvent::Introduced(Some(value.clone())),
                "fixed" => OsvEvent::Fixed(value.clone()),
                "last_affected" => OsvEvent::LastAffected(value.clone()),
                // Only meaningful for GIT ranges.
                "limit" => continue,
                other => return Err(format!("unknown range event `{other}`")),
            };
            events.push(converted);
        }
    }
    let mut keyed = Vec::with_capacity(events.len());
    for event in events {
        let key = match &event {
            OsvEvent::Introduced(None) => None,
            OsvEvent::Introduced(Some(version))
            | OsvEvent::Fixed(version)
            | OsvEvent::LastAffected(version) => Some(scheme.parse(version).ok_or_else(|| {
                format!(
                    "range version `{version}` is not a valid {scheme:?} version; range skipped"
                )
            })?),
        };
        keyed.push((key, event));
    }
    if !keyed
        .iter()
        .any(|(_, event)| matches!(event, OsvEvent::Introduced(_)))
    {
        return Err("range has no `introduced` event; range skipped".to_owned());
    }
    // `None` ("0") sorts first; versions of one scheme always compare.
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    Ok(Some(OsvRange {
        semver,
        events: keyed.into_iter().map(|(_, event)| event).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"id: PYSEC-2099-1
details: Demo before 1.10 lets attackers do things. More words here.
affected:
- package:
    name: Demo_Pkg
    ecosystem: PyPI
    purl: pkg:pypi/demo-pkg
  ranges:
  - type: GIT
    repo: https://example.org/demo
    events:
    - introduced: "0"
    - fixed: 2545222a3853e31ace15d87ae0e2effb7da0c96b
  - type: ECOSYSTEM
    events:
    - fixed: 1.10
    - introduced: 0
  versions:
  - "0.1"
  - 1.9
- package:
    name: other
    ecosystem: Ubuntu:22.04:LTS
aliases:
- CVE-2099-0001
references:
- type: ADVISORY
  url: https://example.org/advisory
published: "2099-01-01T00:00:00Z"
"#;

    #[test]
    fn yaml_records_keep_versions_as_written() {
        let file = parse_file(OsvFormat::Yaml, YAML.as_bytes()).unwrap();
        assert_eq!(file.unsupported_entries, 1);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        let [record] = file.records.as_slice() else {
            panic!("one record")
        };
        assert_eq!(record.package, "demo-pkg");
        assert_eq!(record.title, "Demo before 1.10 lets attackers do things.");
        assert_eq!(record.aliases, ["CVE-2099-0001"]);
        assert_eq!(record.url.as_deref(), Some("https://example.org/advisory"));
        // `1.10` stays `1.10` (not the float 1.1) and the events were sorted.
        assert_eq!(record.affected_text(), "< 1.10");
        assert!(record.affects("1.9.5").unwrap().is_some());
        assert!(record.affects("1.10").unwrap().is_none());
        assert!(record.affects("1.1").unwrap().is_some());
    }

    fn title(summary: Option<&str>, details: &str) -> String {
        let mut json = serde_json::json!({"id": "GHSA-test", "details": details});
        if let Some(summary) = summary {
            json["summary"] = summary.into();
        }
        let record: Record = serde_json::from_value(json).unwrap();
        title_of(&record)
    }

    #[test]
    fn titles_skip_sentences_that_only_describe_the_package() {
        // GitHub's shape for PyPI advisories: a package blurb, then the flaw.
        let details = "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking Proxy-Authorization headers to destination servers when redirected to an HTTPS endpoint.\n\n### Remediation\nUpgrade.";
        assert_eq!(
            title(Some("Requests is a HTTP library."), details),
            "Since Requests 2.3.0, Requests has been leaking Proxy-Authorization headers to destination servers when redirected to an HTTPS endpoint."
        );
        assert_eq!(title(None, details), title(Some(""), details));
        // A summary that names the flaw is kept even when it starts alike.
        assert_eq!(
            title(Some("Pillow is vulnerable to a buffer overflow"), details),
            "Pillow is vulnerable to a buffer overflow"
        );
        assert_eq!(
            title(
                Some("Django is an open source framework with an SQL injection"),
                ""
            ),
            "Django is an open source framework with an SQL injection"
        );
        // A real summary that is not `<name> is a ...` is kept as it is.
        assert_eq!(
            title(Some("Unintended proxy authentication leak"), details),
            "Unintended proxy authentication leak"
        );
    }

    #[test]
    fn titles_fall_back_past_headings_and_line_breaks_to_the_id() {
        let details = "## Impact\nurllib3 is a user-friendly HTTP client library for Python.\nCookie headers are not stripped\non cross-origin redirects. More.";
        assert_eq!(
            title(None, details),
            "Cookie headers are not stripped on cross-origin redirects."
        );
        // Nothing but a blurb: the id beats a title that says nothing.
        assert_eq!(title(None, "Flask is a web framework."), "GHSA-test");
        assert_eq!(title(None, ""), "GHSA-test");
        let long = "x".repeat(400);
        let cut = title(Some(&long), "");
        assert_eq!(cut.chars().count(), TITLE_LIMIT + 1, "{cut}");
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn json_records_with_cvss_and_withdrawal() {
        let json = r#"{"id":"GHSA-xxxx","summary":"Bad thing","withdrawn":"2099-02-01T00:00:00Z",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected":[{"package":{"ecosystem":"npm","name":"@scope/pkg"},
              "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"last_affected":"1.4.2"}]}]}]}"#;
        let file = parse_file(OsvFormat::Json, json.as_bytes()).unwrap();
        let [record] = file.records.as_slice() else {
            panic!("one record")
        };
        assert!(record.withdrawn);
        assert_eq!(record.package, "@scope/pkg");
        assert_eq!(record.severity(), Severity::Critical);
        assert_eq!(record.affected_text(), ">= 1.0.0, <= 1.4.2");
    }

    #[test]
    fn bad_ranges_and_bad_files_are_reported() {
        let json = r#"{"id":"X-1","affected":[{"package":{"ecosystem":"crates.io","name":"a"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.x"}]}]}]}"#;
        let file = parse_file(OsvFormat::Json, json.as_bytes()).unwrap();
        assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
        assert!(file.problems[0].contains("1.x"));
        assert!(parse_file(OsvFormat::Json, b"{\"id\": \"X-2\", \"affected\": [").is_err());
        assert!(parse_file(OsvFormat::Yaml, b"\x00\x01\x02binary").is_err());
        assert!(parse_file(OsvFormat::Json, br#"{"id": ""}"#).is_err());
    }
}
