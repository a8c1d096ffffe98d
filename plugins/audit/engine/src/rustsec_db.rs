//! Reading the RustSec advisory-db layout: `crates/<crate>/<ID>.md` (and
//! `rust/<component>/<ID>.md` for the toolchain), Markdown whose ```toml
//! fence holds the `[advisory]`, `[versions]` and `[affected]` tables.
//!
//! Parsing is delegated to the `rustsec` crate (the library cargo-audit is
//! built on) so fields, validation and version semantics are exactly its.

use std::str::FromStr;

use crate::advisory::{AdvisoryKind, AdvisoryRecord, Affected, SemverRange};
use crate::ecosystem::EcosystemTag;
use crate::severity::cvss_base_score;

/// What one file of the database turned out to be.
#[derive(Debug)]
pub(crate) enum RustSecFile {
    /// An advisory about a crate.
    Crate(Box<AdvisoryRecord>),
    /// An advisory about the Rust toolchain (`rust/`), which no lockfile
    /// pins; cargo-audit does not match these either.
    Toolchain,
    /// A draft (`RUSTSEC-0000-0000`) or a placeholder id.
    Draft,
}

/// Whether `path` (relative to the database root, `/`-separated) is where
/// the advisory-db layout keeps advisories.
pub(crate) fn is_advisory_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    matches!(parts.as_slice(), ["crates" | "rust", _, file] if !file.starts_with('.'))
}

/// Parses one advisory file. Errors say what is wrong; the caller knows where.
pub(crate) fn parse_file(path: &str, bytes: &[u8]) -> Result<RustSecFile, String> {
    let parts: Vec<&str> = path.split('/').collect();
    let [collection, package_dir, file_name] = parts.as_slice() else {
        return Err("not at <collection>/<package>/<ID>.md".to_owned());
    };
    let Some(file_stem) = file_name.strip_suffix(".md") else {
        return Err("advisory files must end in .md".to_owned());
    };
    let text = std::str::from_utf8(bytes).map_err(|error| format!("not UTF-8: {error}"))?;
    let advisory = rustsec::Advisory::from_str(text).map_err(|error| error.to_string())?;
    let metadata = &advisory.metadata;

    let is_draft = file_stem == "RUSTSEC-0000-0000";
    if !is_draft && file_stem != metadata.id.as_str() {
        return Err(format!(
            "file is named {file_name} but holds advisory {}",
            metadata.id
        ));
    }
    if *package_dir != metadata.package.as_str() {
        return Err(format!(
            "advisory about `{}` is filed under `{package_dir}`",
            metadata.package
        ));
    }
    if is_draft || metadata.id.is_placeholder() {
        return Ok(RustSecFile::Draft);
    }
    match *collection {
        "crates" => {}
        "rust" => return Ok(RustSecFile::Toolchain),
        other => return Err(format!("unknown collection `{other}`")),
    }

    let kind = match &metadata.informational {
        None => AdvisoryKind::Vulnerability,
        Some(rustsec::advisory::Informational::Unmaintained) => AdvisoryKind::Unmaintained,
        Some(rustsec::advisory::Informational::Unsound) => AdvisoryKind::Unsound,
        Some(rustsec::advisory::Informational::Notice) => AdvisoryKind::Notice,
        Some(other) => AdvisoryKind::OtherInformational(other.as_str().to_owned()),
    };
    let cvss = metadata.cvss.as_ref().map(ToString::to_string);
    let registry = metadata
        .source
        .as_ref()
        .filter(|source| !source.is_default_registry())
        .map(|source| source.url().to_string());
    let ranges = rustsec::osv::ranges_for_advisory(&advisory.versions)
        .into_iter()
        .map(|range| SemverRange {
            introduced: range.introduced.map(|version| version.to_string()),
            fixed: range.fixed.map(|version| version.to_string()),
        })
        .collect();
    let affected = advisory.affected.clone().unwrap_or_default();

    Ok(RustSecFile::Crate(Box::new(AdvisoryRecord {
        id: metadata.id.to_string(),
        ecosystem: EcosystemTag::CratesIo,
        release: None,
        package: metadata.package.to_string(),
        aliases: metadata.aliases.iter().map(ToString::to_string).collect(),
        title: metadata.title.trim().to_owned(),
        description: metadata.description.trim().to_owned(),
        date: Some(metadata.date.as_str().to_owned()),
        url: Some(
            metadata
                .url
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| format!("https://rustsec.org/advisories/{}.html", metadata.id)),
        ),
        kind,
        cvss_score: cvss.as_deref().and_then(cvss_base_score),
        cvss,
        rated_severity: None,
        withdrawn: metadata.withdrawn.is_some(),
        registry,
        affected: Affected::RustSec {
            patched: advisory
                .versions
                .patched()
                .iter()
                .map(ToString::to_string)
                .collect(),
            unaffected: advisory
                .versions
                .unaffected()
                .iter()
                .map(ToString::to_string)
                .collect(),
            ranges,
        },
        functions: affected.functions.keys().map(ToString::to_string).collect(),
        os: affected.os.iter().map(ToString::to_string).collect(),
        arch: affected.arch.iter().map(ToString::to_string).collect(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "demo"
date = "2099-01-02"
url = "https://example.org/demo"
aliases = ["CVE-2099-1234", "GHSA-aaaa-bbbb-cccc"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

[affected]
os = ["windows"]
functions = { "demo::parse" = ["< 1.2.3"] }

[versions]
patched = [">= 1.2.3"]
unaffected = ["< 0.5.0"]
```

# Demo parses input badly

Longer description.
"#;

    fn crate_record(path: &str, text: &str) -> AdvisoryRecord {
        match parse_file(path, text.as_bytes()).unwrap() {
            RustSecFile::Crate(record) => *record,
            other => panic!("expected a crate advisory, got {other:?}"),
        }
    }

    #[test]
    fn reads_every_field_cargo_audit_reports() {
        let record = crate_record("crates/demo/RUSTSEC-2099-0001.md", SAMPLE);
        assert_eq!(record.id, "RUSTSEC-2099-0001");
        assert_eq!(record.package, "demo");
        assert_eq!(record.aliases, ["CVE-2099-1234", "GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(record.title, "Demo parses input badly");
        assert_eq!(record.description, "Longer description.");
        assert_eq!(record.date.as_deref(), Some("2099-01-02"));
        assert_eq!(record.url.as_deref(), Some("https://example.org/demo"));
        assert_eq!(record.kind, AdvisoryKind::Vulnerability);
        assert!((record.cvss_score.unwrap() - 9.8).abs() < 1e-9);
        assert_eq!(record.functions, ["demo::parse"]);
        assert_eq!(record.os, ["windows"]);
        assert!(!record.withdrawn);
        assert_eq!(record.affected_text(), ">= 0.5.0, < 1.2.3");
        assert!(record.affects("0.4.9").unwrap().is_none());
        assert!(record.affects("0.5.0").unwrap().is_some());
        assert!(record.affects("1.2.3").unwrap().is_none());
    }

    #[test]
    fn checks_file_layout_like_the_rustsec_loader() {
        let misnamed = parse_file("crates/demo/RUSTSEC-2099-0002.md", SAMPLE.as_bytes());
        assert!(
            misnamed
                .unwrap_err()
                .contains("holds advisory RUSTSEC-2099-0001")
        );
        let misfiled = parse_file("crates/other/RUSTSEC-2099-0001.md", SAMPLE.as_bytes());
        assert!(misfiled.unwrap_err().contains("filed under `other`"));
        assert!(matches!(
            parse_file("rust/demo/RUSTSEC-2099-0001.md", SAMPLE.as_bytes()),
            Ok(RustSecFile::Toolchain)
        ));
        assert!(is_advisory_path("crates/demo/RUSTSEC-2099-0001.md"));
        assert!(!is_advisory_path("README.md"));
        assert!(!is_advisory_path("crates/demo/.DS_Store"));
    }

    #[test]
    fn malformed_advisories_are_errors() {
        let truncated = &SAMPLE[..120];
        assert!(parse_file("crates/demo/RUSTSEC-2099-0001.md", truncated.as_bytes()).is_err());
        assert!(parse_file("crates/demo/RUSTSEC-2099-0001.md", &[0xff, 0xfe, 0x00]).is_err());
        let no_fence = "# just a title\n";
        assert!(parse_file("crates/demo/RUSTSEC-2099-0001.md", no_fence.as_bytes()).is_err());
    }

    #[test]
    fn informational_kinds_and_withdrawal_are_kept() {
        let unsound = SAMPLE.replace(
            "date = \"2099-01-02\"",
            "date = \"2099-01-02\"\ninformational = \"unsound\"\nwithdrawn = \"2099-02-01\"",
        );
        let record = crate_record("crates/demo/RUSTSEC-2099-0001.md", &unsound);
        assert_eq!(record.kind, AdvisoryKind::Unsound);
        assert!(record.withdrawn);
    }
}
