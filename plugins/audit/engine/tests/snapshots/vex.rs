//! VEX in and out: OpenVEX and CycloneDX VEX statements applied to a real
//! audit next to the configured ignores, and the OpenVEX document of the
//! audit's decisions read back.

use crate::common::{fixture, rustsec};
use cordon_audit::{
    AuditConfig, AuditReport, DecisionOrigin, OPENVEX_CONTEXT, OpenVexOptions, audit,
    openvex_from_decisions, parse_date, parse_vex,
};
use serde_json::Value;

const LOCKFILE: &str = "cargo-v1/Cargo.lock";

fn run(config: &AuditConfig, today: &str) -> AuditReport {
    audit(
        &[rustsec()],
        &[fixture(LOCKFILE)],
        config,
        parse_date(today).unwrap(),
    )
}

/// (package, advisory id), sorted.
fn hits(report: &AuditReport) -> Vec<(String, String)> {
    let mut hits: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.package.clone(), f.advisory_id.clone()))
        .collect();
    hits.sort();
    hits
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, id)| (p.to_string(), id.to_string()))
        .collect()
}

const OPENVEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/app-1",
  "author": "Security team", "version": 1,
  "timestamp": "2024-01-01T00:00:00Z",
  "statements": [
    {"vulnerability": {"name": "CVE-2020-26235"},
     "products": [{"@id": "pkg:cargo/app@1.0.0", "subcomponents": [{"@id": "pkg:cargo/time@0.1.40"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
    {"vulnerability": {"name": "RUSTSEC-2019-0012"},
     "products": [{"@id": "pkg:cargo/smallvec@0.6.8"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {"vulnerability": {"name": "RUSTSEC-2018-0018"}, "timestamp": "2024-01-01T00:00:00Z",
     "products": [{"@id": "pkg:cargo/smallvec"}],
     "status": "not_affected", "impact_statement": "no untrusted input"},
    {"vulnerability": {"name": "RUSTSEC-2018-0018"}, "timestamp": "2025-01-01T00:00:00Z",
     "products": [{"@id": "pkg:cargo/smallvec"}],
     "status": "affected", "action_statement": "upgrade smallvec"},
    {"vulnerability": {"name": "RUSTSEC-2021-0139"},
     "status": "not_affected", "impact_statement": "colours only",
     "status_notes": "reviewed; expires 2026-08-01"},
    {"vulnerability": {"name": "RUSTSEC-2019-0009"}, "status": "not_affected"}
  ]
}"#;

const CYCLONEDX_VEX: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.6",
  "vulnerabilities": [
    {"id": "RUSTSEC-2021-0003",
     "analysis": {"state": "resolved", "detail": "patched in our vendored copy"},
     "affects": [{"ref": "Cargo.lock#pkg:cargo/smallvec@0.6.9"}]}
  ]
}"#;

fn vex_config() -> AuditConfig {
    let mut config = AuditConfig::default();
    config.add_vex(parse_vex("security/app.openvex.json", OPENVEX.as_bytes()).unwrap());
    config.add_vex(parse_vex("security/bom.cdx.json", CYCLONEDX_VEX.as_bytes()).unwrap());
    config
}

#[test]
fn vex_statements_suppress_by_alias_and_purl_latest_wins_and_expire() {
    let baseline = run(&AuditConfig::default(), "2026-09-01");
    assert_eq!(
        hits(&baseline),
        pairs(&[
            ("ansi_term", "RUSTSEC-2021-0139"),
            ("smallvec", "RUSTSEC-2018-0018"),
            ("smallvec", "RUSTSEC-2019-0009"),
            ("smallvec", "RUSTSEC-2019-0012"),
            ("smallvec", "RUSTSEC-2021-0003"),
            ("time", "RUSTSEC-2020-0071"),
        ])
    );

    let report = run(&vex_config(), "2026-09-01");
    // time: not_affected via the CVE alias and a subcomponent purl;
    // smallvec RUSTSEC-2021-0003: CycloneDX `resolved`. Kept: a statement
    // for another version, one overruled by a later `affected`, an expired
    // one, and an invalid one.
    assert_eq!(
        hits(&report),
        pairs(&[
            ("ansi_term", "RUSTSEC-2021-0139"),
            ("smallvec", "RUSTSEC-2018-0018"),
            ("smallvec", "RUSTSEC-2019-0009"),
            ("smallvec", "RUSTSEC-2019-0012"),
        ])
    );
    assert_eq!(report.suppressed, 2);

    let decided: Vec<(&str, &str, bool)> = report
        .decisions
        .iter()
        .map(|d| (d.package.as_str(), d.advisory_id.as_str(), d.suppressed))
        .collect();
    assert_eq!(decided.len(), 3, "{decided:?}");
    for expected in [
        ("time", "RUSTSEC-2020-0071", true),
        ("smallvec", "RUSTSEC-2021-0003", true),
        ("ansi_term", "RUSTSEC-2021-0139", false),
    ] {
        assert!(decided.contains(&expected), "{expected:?} in {decided:?}");
    }
    let time = report
        .decisions
        .iter()
        .find(|d| d.package == "time")
        .unwrap();
    assert_eq!(
        time.reason,
        "VEX not_affected (vulnerable_code_not_in_execute_path) [security/app.openvex.json#statements[0]]"
    );
    assert!(matches!(time.origin, DecisionOrigin::Vex(_)));
    assert_eq!(time.purl, "pkg:cargo/time@0.1.40");

    for expected in [
        "VEX security/app.openvex.json#statements[5] skipped: `not_affected` needs a `justification` or an `impact_statement`",
        "VEX statement security/app.openvex.json#statements[4] (RUSTSEC-2021-0139 not_affected) expired on 2026-08-01; it is reported again",
        "1 not_affected/fixed VEX statement(s) matched no finding",
    ] {
        assert!(
            report.notes.iter().any(|note| note == expected),
            "missing note {expected:?} in {:#?}",
            report.notes
        );
    }

    // The statement is still in force the day before it expires.
    let earlier = run(&vex_config(), "2026-07-31");
    assert!(
        !hits(&earlier)
            .iter()
            .any(|(_, id)| id == "RUSTSEC-2021-0139")
    );
}

/// Every statement satisfies what the OpenVEX 0.2.0 schema requires.
fn assert_openvex_shape(document: &Value) {
    assert_eq!(document["@context"], OPENVEX_CONTEXT);
    assert!(document["@id"].as_str().unwrap().starts_with("urn:uuid:"));
    assert!(!document["author"].as_str().unwrap().is_empty());
    assert_eq!(document["version"], 1);
    let statements = document["statements"].as_array().unwrap();
    assert!(!statements.is_empty());
    for statement in statements {
        assert!(
            !statement["vulnerability"]["name"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        let status = statement["status"].as_str().unwrap();
        assert!(["not_affected", "affected", "fixed", "under_investigation"].contains(&status));
        if status == "not_affected" {
            let has_justification = statement.get("justification").is_some();
            let has_impact = statement.get("impact_statement").is_some();
            assert!(has_justification != has_impact, "exactly one: {statement}");
        }
        for product in statement["products"].as_array().unwrap() {
            assert!(product["@id"].as_str().unwrap().starts_with("pkg:"));
        }
    }
}

#[test]
fn openvex_out_records_ignores_and_vex_decisions_and_reads_back() {
    let mut config = AuditConfig::from_json(
        r#"{"ignore": [
            {"id": "RUSTSEC-2019-0012", "package": "smallvec", "reason": "no insert_many on untrusted input", "expires": "2027-01-01"},
            {"id": "RUSTSEC-2019-0009", "reason": "was fine", "expires": "2026-08-31"}
        ]}"#,
    )
    .unwrap();
    config.add_vex(parse_vex("security/app.openvex.json", OPENVEX.as_bytes()).unwrap());
    let report = run(&config, "2026-09-01");
    let options = OpenVexOptions {
        author: "Security team <security@example.com>".into(),
        timestamp: 1_788_000_000,
    };
    let text = openvex_from_decisions(&report, &options).unwrap().unwrap();
    assert_eq!(
        openvex_from_decisions(&report, &options).unwrap().unwrap(),
        text,
        "deterministic"
    );
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_openvex_shape(&document);
    assert_eq!(document["timestamp"], "2026-08-29T10:40:00Z");
    let statement = |id: &str| -> &Value {
        document["statements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["vulnerability"]["name"] == id)
            .unwrap_or_else(|| panic!("no statement for {id}: {text}"))
    };
    let ignored = statement("RUSTSEC-2019-0012");
    assert_eq!(ignored["status"], "not_affected");
    assert_eq!(
        ignored["impact_statement"],
        "no insert_many on untrusted input"
    );
    assert_eq!(ignored["products"][0]["@id"], "pkg:cargo/smallvec@0.6.9");
    assert!(
        ignored["status_notes"]
            .as_str()
            .unwrap()
            .ends_with("expires 2027-01-01")
    );
    let expired = statement("RUSTSEC-2019-0009");
    assert_eq!(expired["status"], "under_investigation");
    let from_vex = statement("RUSTSEC-2020-0071");
    assert_eq!(from_vex["status"], "not_affected");
    assert_eq!(
        from_vex["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(from_vex["vulnerability"]["aliases"][0], "CVE-2020-26235");
    assert_eq!(
        statement("RUSTSEC-2021-0139")["status"],
        "under_investigation"
    );

    // Read back alone, the document suppresses what the audit suppressed,
    // and the ignore's expiry travels with it.
    let mut reread = AuditConfig::default();
    let parsed = parse_vex("cordon.openvex.json", text.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    reread.add_vex(parsed);
    let again = run(&reread, "2026-09-01");
    assert_eq!(hits(&again), hits(&report));
    let after_expiry = run(&reread, "2027-02-01");
    assert!(
        hits(&after_expiry)
            .iter()
            .any(|(_, id)| id == "RUSTSEC-2019-0012")
    );
}

#[test]
fn no_decisions_means_no_document() {
    let report = run(&AuditConfig::default(), "2026-09-01");
    assert!(report.decisions.is_empty());
    let options = OpenVexOptions {
        author: "x".into(),
        timestamp: 0,
    };
    assert_eq!(openvex_from_decisions(&report, &options), Ok(None));
}
