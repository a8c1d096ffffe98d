//! Native runs of the stage through the SDK's test harness, against temp
//! directories holding crafted model files.

use cordon_models::inventory::{INVENTORY_ARTIFACT, INVENTORY_MEDIA_TYPE, ModelInventory};
use cordon_sdk::testing::Harness;
use cordon_sdk::{Severity, Stage, StageError};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Models;

// The engine's builders for hostile and benign model files.
#[allow(unused_imports)]
#[path = "../../engine/tests/common/mod.rs"]
mod common;

use common::{Member, malicious_pickle, safetensors, torch_state_dict_pickle, zip};

fn write(dir: &std::path::Path, path: &str, content: impl AsRef<[u8]>) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(full, content).unwrap();
}

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "# weights\n");
    write(
        dir.path(),
        "models/evil.pkl",
        malicious_pickle("os", "system"),
    );
    let torch = zip(
        &[Member::stored(
            "archive/data.pkl",
            &malicious_pickle("subprocess", "Popen"),
        )],
        true,
    );
    write(dir.path(), "models/model.pt", torch);
    let header = r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#;
    write(
        dir.path(),
        ".cache/clean.safetensors",
        safetensors(header, 16),
    );
    dir
}

#[test]
fn describe_lists_every_engine_rule() {
    let info = Models::describe();
    assert_eq!(info.name, "models");
    assert_eq!(info.rules.len(), cordon_models::RULES.len());
    assert!(info.requests.workspace);
    assert_eq!(
        info.requests.artifacts_write,
        vec![INVENTORY_ARTIFACT.to_string()]
    );
    let rce = info
        .rules
        .iter()
        .find(|r| r.id == "models/pickle-code-execution")
        .unwrap();
    assert_eq!(rce.default_severity, Severity::Critical);
}

#[test]
fn reports_malicious_pickles_and_writes_the_inventory() {
    let dir = sample();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .writes(INVENTORY_ARTIFACT)
        .run::<Models>(json!({}));
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 4);
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert!(summary.notes.iter().any(|n| n == "3 model file(s) found"));

    let bare = outcome
        .findings
        .iter()
        .find(|f| f.location.as_ref().unwrap().path == "models/evil.pkl")
        .expect("finding for evil.pkl");
    assert_eq!(bare.rule_id, "models/pickle-code-execution");
    assert_eq!(bare.severity, Severity::Critical);
    assert!(
        bare.message.contains("os.system") || bare.message.contains("system"),
        "{}",
        bare.message
    );
    let location = bare.location.as_ref().unwrap();
    assert_eq!(location.member, None);
    assert!(location.byte_offset.is_some());
    assert_eq!(bare.fingerprint.len(), 64);
    assert!(
        bare.properties
            .contains(&("format".to_string(), "pickle".to_string()))
    );

    let member = outcome
        .findings
        .iter()
        .find(|f| f.location.as_ref().unwrap().path == "models/model.pt")
        .expect("finding for model.pt");
    assert_eq!(member.rule_id, "models/pickle-code-execution");
    assert_eq!(
        member.location.as_ref().unwrap().member.as_deref(),
        Some("archive/data.pkl")
    );
    assert!(
        outcome
            .findings
            .iter()
            .all(|f| f.location.as_ref().unwrap().path != ".cache/clean.safetensors")
    );

    let artifact = &outcome.artifacts[INVENTORY_ARTIFACT];
    assert_eq!(artifact.media_type, INVENTORY_MEDIA_TYPE);
    let inventory: ModelInventory = serde_json::from_slice(&artifact.bytes).unwrap();
    let paths: Vec<_> = inventory.models.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".cache/clean.safetensors",
            "models/evil.pkl",
            "models/model.pt"
        ]
    );
    let clean = &inventory.models[0];
    assert_eq!(clean.format.as_str(), "safetensors");
    assert_eq!(clean.metadata.parameter_count, Some(4));
    let bytes = std::fs::read(dir.path().join(".cache/clean.safetensors")).unwrap();
    assert_eq!(
        clean.sha256.as_deref(),
        Some(hex::encode(Sha256::digest(&bytes)).as_str())
    );
    assert_eq!(clean.size, bytes.len() as u64);
}

#[test]
fn inventory_write_denied_is_not_an_error() {
    let dir = sample();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({}));
    let summary = outcome.summary();
    assert!(outcome.artifacts.is_empty());
    assert_eq!(outcome.denied.len(), 1);
    assert!(summary.notes.iter().any(|n| n.contains("not written")));
    assert!(outcome.logs.iter().any(|(_, m)| m.contains("not granted")));
    assert!(outcome.findings.len() >= 2);
}

#[test]
fn large_models_are_read_in_ranges_not_whole() {
    let dir = tempfile::tempdir().unwrap();
    let header = r#"{"w":{"dtype":"F32","shape":[4194304],"data_offsets":[0,16777216]}}"#;
    write(dir.path(), "big.safetensors", safetensors(header, 16 << 20));
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .writes(INVENTORY_ARTIFACT)
        .run::<Models>(json!({"sha256": false}));
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 1);
    // The header is all the engine needs of a 16 MiB file.
    assert!(
        summary.bytes_scanned < 64 << 10,
        "{} bytes read",
        summary.bytes_scanned
    );
    let inventory: ModelInventory =
        serde_json::from_slice(&outcome.artifacts[INVENTORY_ARTIFACT].bytes).unwrap();
    assert_eq!(
        inventory.models[0].metadata.parameter_count,
        Some(4_194_304)
    );
    assert_eq!(inventory.models[0].sha256, None);
}

#[test]
fn broken_model_files_are_findings_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "weights.pt", b"definitely not a model");
    write(
        dir.path(),
        "ok.pt",
        zip(
            &[Member::stored(
                "archive/data.pkl",
                &torch_state_dict_pickle(),
            )],
            true,
        ),
    );
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({}));
    assert_eq!(outcome.summary().files_scanned, 2);
    let rules: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.location.as_ref().unwrap().path.as_str(),
                f.rule_id.as_str(),
            )
        })
        .collect();
    assert_eq!(rules, [("weights.pt", "models/malformed")]);
}

#[test]
fn unknown_options_are_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({"hash": true}));
    assert!(matches!(&outcome.result, Err(StageError::InvalidOptions(m)) if m.contains("`hash`")));
    let wrong = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({"sha256": 1}));
    assert!(matches!(&wrong.result, Err(StageError::InvalidOptions(m)) if m.contains("sha256")));
}

#[test]
fn allow_globals_trusts_a_custom_class_but_never_a_denied_family() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "net.pkl",
        malicious_pickle("mylab.models", "Net"),
    );
    let before = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({}));
    assert!(
        before
            .findings
            .iter()
            .any(|f| f.rule_id == "models/pickle-unknown-global" && f.severity == Severity::High)
    );
    let after = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({"allow-globals": ["mylab.models.Net"]}));
    assert!(after.result.is_ok());
    assert!(after.findings.is_empty(), "{:#?}", after.findings);
    let denied = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({"allow-globals": ["os.system"]}));
    assert!(
        matches!(&denied.result, Err(StageError::InvalidOptions(m)) if m.contains("allow-globals"))
    );
    let wrong = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({"allow-globals": "mylab.models.Net"}));
    assert!(matches!(&wrong.result, Err(StageError::InvalidOptions(_))));
}

#[test]
fn the_matching_cve_is_a_finding_property() {
    let dir = tempfile::tempdir().unwrap();
    let torch = zip(
        &[Member::stored(
            "archive/data.pkl",
            &malicious_pickle("os", "system"),
        )],
        true,
    );
    write(dir.path(), "model.pt", torch);
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Models>(json!({}));
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.rule_id == "models/pickle-code-execution")
        .expect("payload");
    assert!(
        finding
            .properties
            .iter()
            .any(|(k, v)| k == "cve" && v == "CVE-2025-32434"),
        "{:?}",
        finding.properties
    );
}
