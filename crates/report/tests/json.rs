mod common;

use common::*;
use cordon_report::{RunReport, json};
use serde_json::{Value, json};

#[test]
fn json_report_is_the_model_and_round_trips() {
    let report = sample_report();
    let text = json::render(&report);
    let back: RunReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
    assert!(text.contains('\n'), "pretty-printed");
    // Fields appear in model order.
    let order = [
        "\"schema_version\"",
        "\"tool_version\"",
        "\"started_at\"",
        "\"fail_on\"",
        "\"stages\"",
        "\"artifacts\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

/// List properties are JSON arrays in the report, and read back as the
/// stage's encoding.
#[test]
fn list_properties_are_arrays() {
    let value: Value = serde_json::from_str(&json::render(&sample_report())).unwrap();
    let audit = value["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|stage| stage["name"] == "audit")
        .unwrap();
    let properties = audit["findings"][0]["properties"].as_array().unwrap();
    let aliases = properties.iter().find(|pair| pair[0] == "aliases").unwrap();
    assert_eq!(aliases[1], json!(["CVE-2021-25900", "GHSA-43w2-9j62-hq99"]));
    let package = properties.iter().find(|pair| pair[0] == "package").unwrap();
    assert_eq!(package[1], "smallvec");
}

/// The documented field names (docs/report-json.md).
#[test]
fn json_report_field_names() {
    let value: Value = serde_json::from_str(&json::render(&sample_report())).unwrap();
    // Sorted: `Value` does not keep the order (the text does, see above).
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let sorted = |names: &[&str]| {
        let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(
        keys(&value),
        sorted(&[
            "schema_version",
            "tool_version",
            "started_at",
            "duration_ms",
            "fail_on",
            "version_control",
            "stages",
            "artifacts",
        ])
    );
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["fail_on"], "high");
    let secrets = &value["stages"][0];
    assert_eq!(
        keys(secrets),
        sorted(&[
            "name",
            "plugin",
            "status",
            "rules",
            "findings",
            "findings_truncated",
            "files_scanned",
            "bytes_scanned",
            "skipped",
            "notes",
            "denied",
            "duration_ms",
        ])
    );
    assert_eq!(secrets["status"], json!({ "state": "completed" }));
    assert_eq!(
        value["stages"][2]["status"],
        json!({ "state": "errored", "kind": "timeout", "message": "the stage ran longer than 30s" })
    );
    assert_eq!(
        value["stages"][3]["status"],
        json!({ "state": "skipped", "reason": "stage `audit` it depends on did not complete" })
    );
    assert_eq!(value["stages"][4]["status"]["kind"], "plugin");
    let pat = &secrets["findings"][1];
    assert_eq!(
        keys(pat),
        sorted(&[
            "rule_id",
            "severity",
            "message",
            "location",
            "fingerprint",
            "snippet",
            "properties"
        ])
    );
    assert_eq!(pat["message"], TRICKY_MESSAGE);
    assert_eq!(pat["properties"], json!([["entropy", "4.8"]]));
    assert_eq!(
        pat["location"],
        json!({
            "path": "config/prod env/.env",
            "region": { "start_line": 3, "start_column": 5, "end_line": 3, "end_column": 45 },
            "byte_offset": null, "member": null, "commit": COMMIT,
        })
    );
    assert_eq!(
        keys(&secrets["plugin"]),
        sorted(&["name", "version", "description", "source", "sha256"])
    );
    assert_eq!(
        keys(&secrets["rules"][0]),
        sorted(&[
            "id",
            "short_description",
            "full_description",
            "help",
            "default_severity"
        ])
    );
    assert_eq!(
        keys(&secrets["denied"][0]),
        sorted(&["call", "target", "reason"])
    );
    assert_eq!(keys(&secrets["skipped"][0]), sorted(&["path", "reason"]));
    assert_eq!(
        keys(&value["version_control"]),
        sorted(&["repository_uri", "revision", "branch"])
    );
    assert_eq!(
        keys(&value["artifacts"][0]),
        sorted(&["name", "media_type", "producer", "bytes"])
    );
}

#[test]
fn hostile_report_serialises() {
    let report = hostile_report();
    let back: RunReport = serde_json::from_str(&json::render(&report)).unwrap();
    assert_eq!(back, report);
}
