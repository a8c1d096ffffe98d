//! Native tests: `cordon_sdk::testing::Harness` serves the host calls with the
//! runner's grant checks, so no WebAssembly build is needed.

use cordon_sdk::testing::Harness;
use serde_json::json;

use super::*;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() {\n    let é = 1; // TODO: rename\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "// FIXME later\n").unwrap();
    std::fs::write(
        dir.path().join("src/logo.png"),
        b"\x89PNG\r\n\x1a\n\0\0TODO",
    )
    .unwrap();
    std::fs::write(dir.path().join("NOTES.md"), "TODO outside the grant\n").unwrap();
    dir
}

fn region(finding: &Finding) -> (String, u32, u32, u32, u32) {
    let location = finding.location.as_ref().unwrap();
    let r = location.region.unwrap();
    (
        location.path.clone(),
        r.start_line,
        r.start_column,
        r.end_line,
        r.end_column,
    )
}

#[test]
fn finds_todo_with_exact_position() {
    let dir = workspace();
    let outcome = Harness::new(dir.path())
        .read(&["src/**"])
        .writes(REPORT)
        .run::<Hello>(json!({}));
    let summary = outcome.summary();
    assert_eq!(outcome.findings.len(), 1);
    let finding = &outcome.findings[0];
    assert_eq!(finding.rule_id, "hello/todo");
    assert_eq!(finding.severity, Severity::Low);
    // `é` is one column although it is two bytes.
    assert_eq!(region(finding), ("src/main.rs".to_string(), 2, 19, 2, 23));
    assert_eq!(
        finding.fingerprint,
        fingerprint(&[RULE, "src/main.rs", "let é = 1; // TODO: rename"])
    );
    assert_eq!(summary.files_scanned, 2);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(
        (
            summary.skipped[0].path.as_str(),
            summary.skipped[0].reason.as_str()
        ),
        ("src/logo.png", "binary file")
    );
}

#[test]
fn marker_option_changes_what_is_found() {
    let dir = workspace();
    let outcome = Harness::new(dir.path())
        .read(&["src/**"])
        .writes(REPORT)
        .run::<Hello>(json!({ "marker": "FIXME" }));
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(
        region(&outcome.findings[0]),
        ("src/lib.rs".to_string(), 1, 4, 1, 9)
    );
    assert_eq!(outcome.findings[0].message, "FIXME comment left in code");
}

#[test]
fn unknown_option_is_rejected() {
    let dir = workspace();
    let outcome = Harness::new(dir.path())
        .read(&["src/**"])
        .run::<Hello>(json!({ "markr": "TODO" }));
    match outcome.result {
        Err(StageError::InvalidOptions(message)) => {
            assert!(
                message.starts_with("unknown field `markr`, expected `marker`"),
                "{message}"
            )
        }
        other => panic!("expected invalid options, got {other:?}"),
    }
    assert!(outcome.findings.is_empty());
}

#[test]
fn counts_sbom_components_into_the_report() {
    let dir = workspace();
    let sbom = json!({ "bomFormat": "CycloneDX", "components": [{ "name": "a" }, { "name": "b" }, { "name": "c" }] });
    let outcome = Harness::new(dir.path())
        .read(&["src/**"])
        .artifact("sbom", "application/vnd.cyclonedx+json", sbom.to_string())
        .writes(REPORT)
        .run::<Hello>(json!({}));
    outcome.summary();
    let report = &outcome.artifacts[REPORT];
    assert_eq!(report.media_type, "application/json");
    assert_eq!(
        std::str::from_utf8(&report.bytes).unwrap(),
        r#"{"todos":1,"sbom_components":3}"#
    );
}

#[test]
fn missing_sbom_is_not_an_error() {
    let dir = workspace();
    let outcome = Harness::new(dir.path())
        .read(&["src/**"])
        .writes(REPORT)
        .run::<Hello>(json!(null));
    outcome.summary();
    assert_eq!(
        outcome.artifacts[REPORT].bytes,
        br#"{"todos":1,"sbom_components":null}"#
    );
    assert_eq!(
        outcome.denied,
        ["artifacts.get sbom: artifact `sbom` is not granted for reading to this stage"]
    );
}

#[test]
fn files_outside_the_grant_are_invisible() {
    let dir = workspace();
    let outcome = Harness::new(dir.path())
        .read(&["src/**"])
        .writes(REPORT)
        .run::<Hello>(json!({}));
    outcome.summary();
    assert!(outcome.findings.iter().all(|f| region(f).0 != "NOTES.md"));

    // Granting everything makes the same file visible.
    let all = Harness::new(dir.path())
        .read(&["**"])
        .writes(REPORT)
        .run::<Hello>(json!({}));
    assert_eq!(all.findings.len(), 2);
    assert_eq!(
        region(&all.findings[0]),
        ("NOTES.md".to_string(), 1, 1, 1, 5)
    );
}
