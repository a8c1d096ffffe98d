//! The attacks that are safe to run natively, through the SDK harness (which
//! applies the runner's workspace checks). `spin`, `alloc`, `env`, `wasi-fs`
//! and the network only make sense inside the sandbox: the runner tests them.

use cordon_sdk::testing::{Harness, Outcome};
use serde_json::json;

use super::verdict::{BLOCKED, ESCAPED};
use super::*;

/// `dir/outside.txt` next to the workspace `dir/ws`.
fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("outside.txt"), "host secret\n").unwrap();
    for sub in ["ws/src", "ws/sub", "ws/secret"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    std::fs::write(dir.path().join("ws/src/a.rs"), "fn a() {}\n").unwrap();
    std::fs::write(dir.path().join("ws/secret/key.txt"), "k").unwrap();
    dir
}

/// `(rule, message)` of every finding.
fn reported(outcome: &Outcome) -> Vec<(String, String)> {
    outcome
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.message.clone()))
        .collect()
}

fn blocked_all(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|m| (BLOCKED.to_string(), m.clone()))
        .collect()
}

#[test]
fn describe_lists_the_three_rules() {
    let info = Hostile::describe();
    let ids: Vec<&str> = info.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [ESCAPED, BLOCKED, OK]);
    assert!(info.requests.workspace);
}

#[test]
fn read_parent_is_blocked() {
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws"))
        .read(&["**"])
        .run::<Hostile>(json!({"attack": "read-parent"}));
    outcome.summary();
    let mut expected = Vec::new();
    for path in ["../outside.txt", "sub/../../outside.txt"] {
        for call in ["read", "read-at", "stat"] {
            expected.push(format!(
                "workspace.{call} {path}: denied: {path} contains `..`; stages cannot leave the workspace"
            ));
        }
    }
    expected.push("workspace.list-files: 2 files listed, none outside the workspace".to_string());
    assert_eq!(reported(&outcome), blocked_all(&expected));
    let first = &outcome.findings[0];
    assert_eq!(first.severity, Severity::Info);
    assert_eq!(
        first.properties,
        [
            (
                "attempt".to_string(),
                "workspace.read ../outside.txt".to_string()
            ),
            (
                "error".to_string(),
                "denied: ../outside.txt contains `..`; stages cannot leave the workspace"
                    .to_string()
            ),
        ]
    );
    assert_eq!(outcome.denied.len(), 6);
}

#[test]
fn read_ungranted_is_blocked() {
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws"))
        .read(&["src/**"])
        .run::<Hostile>(json!({"attack": "read-ungranted", "path": "secret/key.txt"}));
    outcome.summary();
    let expected: Vec<String> = ["read", "read-at", "stat"]
        .iter()
        .map(|call| format!(r#"workspace.{call} secret/key.txt: denied: secret/key.txt is not granted (read = ["src/**"])"#))
        .collect();
    assert_eq!(reported(&outcome), blocked_all(&expected));
}

#[test]
fn read_ungranted_without_a_path_is_an_options_error() {
    let dir = layout();
    let outcome =
        Harness::new(dir.path().join("ws")).run::<Hostile>(json!({"attack": "read-ungranted"}));
    assert!(
        matches!(outcome.result, Err(StageError::InvalidOptions(m)) if m == "this attack needs the option `path`")
    );
}

#[test]
fn ungranted_artifacts_are_blocked() {
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws"))
        .artifact("other", "text/plain", "visible")
        .run::<Hostile>(json!({"attack": "artifact-ungranted"}));
    outcome.summary();
    let expected = [
        "artifacts.put not-granted: denied: artifact `not-granted` is not granted for writing to this stage".to_string(),
        "artifacts.get secret-artifact: denied: artifact `secret-artifact` is not granted for reading to this stage".to_string(),
    ];
    assert_eq!(reported(&outcome), blocked_all(&expected));
    assert!(outcome.artifacts.is_empty());
}

#[test]
fn a_granted_artifact_read_would_be_reported_as_an_escape() {
    // The same attack against a host that wrongly serves the artifact.
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws"))
        .artifact("secret-artifact", "text/plain", "s3cr3t")
        .run::<Hostile>(json!({"attack": "artifact-ungranted"}));
    assert_eq!(
        reported(&outcome)[1],
        (
            ESCAPED.to_string(),
            r#"artifacts.get secret-artifact: 6 bytes, starting "s3cr3t""#.to_string()
        )
    );
    assert_eq!(outcome.findings[1].severity, Severity::Critical);
}

#[test]
fn findings_flood_stops_at_the_cap() {
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws"))
        .max_findings(10)
        .run::<Hostile>(json!({"attack": "findings-flood"}));
    let line = "findings-flood: 10 of 1000000 accepted, then: limit reached: this stage reached its max-findings limit of 10";
    assert_eq!(outcome.summary().notes, [line]);
    assert_eq!(outcome.findings.len(), 10);
    assert_eq!(outcome.findings[9].message, "flood 9");
    assert_eq!(
        outcome.logs.last().unwrap(),
        &(cordon_sdk::Level::Info, line.to_string())
    );

    let small = Harness::new(dir.path().join("ws"))
        .run::<Hostile>(json!({"attack": "findings-flood", "count": 3}));
    assert_eq!(small.summary().notes, ["findings-flood: all 3 accepted"]);
}

#[test]
fn ok_is_harmless() {
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws"))
        .read(&["**"])
        .run::<Hostile>(json!({"attack": "ok"}));
    outcome.summary();
    assert_eq!(reported(&outcome), [(OK.to_string(), "ok".to_string())]);
    assert!(outcome.denied.is_empty());
}

#[test]
fn unknown_attack_is_an_options_error() {
    let dir = layout();
    let outcome = Harness::new(dir.path().join("ws")).run::<Hostile>(json!({"attack": "nope"}));
    assert!(
        matches!(outcome.result, Err(StageError::InvalidOptions(m)) if m.starts_with("unknown attack `nope`"))
    );
}
