//! Never a silent clean: packages of an ecosystem no loaded database
//! covers are reported as not checked (issue 13's first observation: npm
//! and PyPI packages audited against RustSec only, or npm against an OSV
//! copy holding only PyPI, came out "clean").

use crate::common::{fixture, osv_pypi, rustsec};
use cordon_audit::{
    AuditConfig, AuditReport, Ecosystem, Index, NOT_CHECKED_RULE, Severity, audit, parse_date,
};

fn run(indexes: &[&Index], lockfiles: &[&str], config: &AuditConfig) -> AuditReport {
    let inventories: Vec<_> = lockfiles.iter().map(|path| fixture(path)).collect();
    audit(
        indexes,
        &inventories,
        config,
        parse_date("2026-09-01").unwrap(),
    )
}

/// (path, ecosystem, package count, severity) of each not-checked finding.
fn not_checked(report: &AuditReport) -> Vec<(String, Ecosystem, usize, Severity)> {
    report
        .findings
        .iter()
        .filter(|f| f.advisory_id == NOT_CHECKED_RULE)
        .map(|f| {
            (
                f.path.clone(),
                f.ecosystem,
                f.package_count.unwrap(),
                f.severity,
            )
        })
        .collect()
}

#[test]
fn npm_and_pypi_packages_with_only_rustsec_loaded_are_not_checked_and_fail_the_gate() {
    let report = run(
        &[rustsec()],
        &[
            "cargo-v1/Cargo.lock",
            "npm/package-lock.json",
            "poetry/poetry.lock",
        ],
        &AuditConfig::default(),
    );
    assert_eq!(
        not_checked(&report),
        [
            (
                "npm/package-lock.json".to_string(),
                Ecosystem::Npm,
                2,
                Severity::High
            ),
            (
                "poetry/poetry.lock".to_string(),
                Ecosystem::PyPI,
                4,
                Severity::High
            ),
        ]
    );
    // Crates were checked as before; nothing else counts as checked.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.advisory_id == "RUSTSEC-2019-0009")
    );
    assert_eq!(report.packages_not_checked, 6);
    let crates = report
        .coverage
        .iter()
        .find(|c| c.ecosystem == Ecosystem::CratesIo)
        .unwrap();
    assert_eq!(report.packages_checked, crates.packages);
    // The finding names the count, the ecosystem and what would cover it,
    // and points at the first package it is about.
    let npm = report
        .findings
        .iter()
        .find(|f| f.advisory_id == NOT_CHECKED_RULE && f.ecosystem == Ecosystem::Npm)
        .unwrap();
    assert!(
        npm.message
            .starts_with("2 npm package(s) in npm/package-lock.json were not checked"),
        "{}",
        npm.message
    );
    assert!(
        npm.message.contains("cordon db update --osv-url"),
        "{}",
        npm.message
    );
    assert_eq!(npm.line, Some(15));
    assert!(
        npm.properties()
            .contains(&("package-count".to_string(), "2".to_string()))
    );
    assert!(report.rules.iter().any(|r| r.id == NOT_CHECKED_RULE));
    // The summary names every ecosystem.
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("npm: 2 package(s) NOT checked")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("PyPI: 4 package(s) NOT checked"))
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("crates.io: ") && n.contains("checked against"))
    );
}

#[test]
fn an_osv_copy_holding_only_pypi_does_not_pass_npm_packages_as_clean() {
    let report = run(
        &[osv_pypi()],
        &["npm/package-lock.json", "poetry/poetry.lock"],
        &AuditConfig::default(),
    );
    assert_eq!(
        not_checked(&report),
        [(
            "npm/package-lock.json".to_string(),
            Ecosystem::Npm,
            2,
            Severity::High
        )]
    );
    assert_eq!(report.packages_checked, 4, "the PyPI packages");
    // lodash 4.17.15 and minimist 1.2.5 have known advisories: never "clean".
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.package == "lodash" || f.package == "minimist")
    );
}

#[test]
fn covered_ecosystems_produce_no_not_checked_finding() {
    let report = run(
        &[rustsec(), osv_pypi()],
        &["cargo-v1/Cargo.lock", "poetry/poetry.lock"],
        &AuditConfig::default(),
    );
    assert!(not_checked(&report).is_empty());
    assert_eq!(report.packages_not_checked, 0);
    assert!(report.rules.iter().all(|r| r.id != NOT_CHECKED_RULE));
    let pypi = report
        .coverage
        .iter()
        .find(|c| c.ecosystem == Ecosystem::PyPI)
        .unwrap();
    assert_eq!(pypi.advisories[0], 0, "RustSec has no PyPI advisories");
    assert!(pypi.advisories[1] > 2000);
}

#[test]
fn the_severity_is_configurable_and_the_fingerprint_stable() {
    let config = AuditConfig::from_json(r#"{"not-checked-severity": "info"}"#).unwrap();
    let report = run(&[rustsec()], &["npm/package-lock.json"], &config);
    let found = not_checked(&report);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].3, Severity::Info);
    let again = run(
        &[rustsec()],
        &["npm/package-lock.json"],
        &AuditConfig::default(),
    );
    assert_eq!(
        report.findings[0].fingerprint,
        again.findings[0].fingerprint
    );
    assert_ne!(report.findings[0].fingerprint, "");
}

#[test]
fn with_no_database_every_ecosystem_is_not_checked() {
    let report = run(
        &[],
        &["npm/package-lock.json", "cargo-v1/Cargo.lock"],
        &AuditConfig::default(),
    );
    let ecosystems: Vec<Ecosystem> = not_checked(&report).iter().map(|f| f.1).collect();
    assert_eq!(ecosystems, [Ecosystem::CratesIo, Ecosystem::Npm]);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("no advisory database was available"))
    );
}
