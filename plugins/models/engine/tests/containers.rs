//! Zip, tar, NumPy, Keras/HDF5 containers with benign and hostile content.

mod common;

use common::*;
use cordon_models::{ModelFormat, Severity};

const CODE: &str = "models/pickle-code-execution";
const ANOMALY: &str = "models/zip-anomaly";

#[test]
fn benign_torch_zip_is_clean_and_skips_storages() {
    let bytes = torch_zip(&torch_state_dict_pickle(), &[]);
    let s = scan("model.pt", &bytes);
    assert_eq!(s.format, ModelFormat::PytorchZip);
    assert_clean(&s);
    let meta = s.inventory.unwrap().metadata;
    assert_eq!(meta.properties["pytorch.storages"], "2");
    assert!(meta.members.contains(&"archive/data.pkl".to_string()));
    assert!(
        meta.pickle_globals
            .contains(&"torch.FloatStorage".to_string())
    );
}

#[test]
fn malicious_data_pkl_names_the_member() {
    let s = scan(
        "pytorch_model.bin",
        &torch_zip(&malicious_pickle("os", "system"), &[]),
    );
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert_eq!(f.member.as_deref(), Some("archive/data.pkl"));
    assert_eq!(f.offset, Some(2));
}

#[test]
fn every_pickle_member_is_scanned_not_only_data_pkl() {
    let extra = [Member::stored(
        "archive/extra/hook.pkl",
        &malicious_pickle("subprocess", "Popen"),
    )];
    let s = scan("model.pt", &torch_zip(&torch_state_dict_pickle(), &extra));
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert_eq!(f.member.as_deref(), Some("archive/extra/hook.pkl"));
    // A pickle hidden under a neutral name is found by its content.
    let extra = [Member::stored(
        "archive/notes",
        &malicious_pickle("os", "popen"),
    )];
    let s = scan("model.pt", &torch_zip(&torch_state_dict_pickle(), &extra));
    assert!(has(&s, CODE, "os.popen"), "{:#?}", s.findings);
}

#[test]
fn deflated_members_are_inflated_and_scanned() {
    let members = [
        Member::deflated("archive/data.pkl", &malicious_pickle("builtins", "exec")),
        Member::stored("archive/version", b"3\n"),
    ];
    let s = scan("model.pt", &zip(&members, true));
    assert!(has(&s, CODE, "builtins.exec"), "{:#?}", s.findings);
}

#[test]
fn bad_crc_is_an_anomaly_and_the_payload_is_still_found() {
    let mut member = Member::stored("archive/data.pkl", &malicious_pickle("os", "system"));
    member.crc = Some(0xdeadbeef);
    let s = scan("model.pt", &zip(&[member], true));
    assert!(has(&s, CODE, "os.system"));
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == ANOMALY && f.subject == "crc-mismatch")
        .expect("crc anomaly");
    assert!(f.message.contains("0xdeadbeef"), "{}", f.message);
}

#[test]
fn local_and_central_name_mismatch_is_a_high_anomaly() {
    let mut member = Member::stored("archive/data.pkl", &malicious_pickle("os", "system"));
    member.local_name = Some("archive/innocent.txt".into());
    let s = scan("model.pt", &zip(&[member], true));
    let f = s
        .findings
        .iter()
        .find(|f| f.subject == "name-mismatch")
        .expect("mismatch");
    assert_eq!(f.severity, Severity::High);
    assert!(f.message.contains("archive/innocent.txt"));
    assert!(has(&s, CODE, "os.system"));
}

#[test]
fn encryption_flag_trick_is_reported_and_member_still_scanned() {
    let mut member = Member::stored("archive/data.pkl", &malicious_pickle("os", "system"));
    member.flags = 0x1;
    let s = scan("model.pt", &zip(&[member], true));
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == ANOMALY && f.subject == "encryption-flag")
    );
    assert!(has(&s, CODE, "os.system"));
}

#[test]
fn duplicate_member_names_are_reported() {
    let members = [
        Member::stored("archive/data.pkl", &torch_state_dict_pickle()),
        Member::stored("archive/data.pkl", &malicious_pickle("os", "system")),
    ];
    let s = scan("model.pt", &zip(&members, true));
    assert!(
        s.findings
            .iter()
            .any(|f| f.subject == "duplicate-name" && f.severity == Severity::High)
    );
    assert!(has(&s, CODE, "os.system"), "both copies are scanned");
}

#[test]
fn missing_central_directory_recovers_members_from_local_headers() {
    let members = [Member::stored(
        "archive/data.pkl",
        &malicious_pickle("os", "system"),
    )];
    let s = scan("model.pt", &zip(&members, false));
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/malformed" && f.subject == "zip-no-central-directory")
    );
    assert!(has(&s, CODE, "os.system"), "{:#?}", s.findings);
}

#[test]
fn corrupt_deflate_stream_is_malformed_and_the_readable_part_scanned() {
    let payload = Pickle::new()
        .proto(2)
        .call("os", "system", "id")
        .pop()
        .bytes();
    let mut padded = payload.clone();
    padded.extend(std::iter::repeat_n(b'N', 4000).chain(std::iter::once(b'.')));
    let mut bytes = zip(&[Member::deflated("archive/data.pkl", &padded)], true);
    // Corrupt the tail of the deflate data (before the central directory).
    let directory = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    for b in &mut bytes[directory - 6..directory] {
        *b = 0xff;
    }
    let s = scan("model.pt", &bytes);
    assert_not_clean(&s);
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/malformed" || f.subject == "crc-mismatch"),
        "{:#?}",
        s.findings
    );
}

#[test]
fn zip_without_model_content_is_not_a_model() {
    let bytes = zip(
        &[Member::stored("word/document.xml", b"<w:document/>")],
        true,
    );
    assert!(cordon_models::scan("report.docx", &bytes.as_slice(), &Default::default()).is_none());
}

#[test]
fn truncated_torch_zip_is_never_clean() {
    let bytes = torch_zip(&malicious_pickle("os", "system"), &[]);
    for cut in (30..bytes.len()).step_by(7) {
        if let Some(s) = cordon_models::scan("model.pt", &&bytes[..cut], &Default::default()) {
            assert_not_clean(&s);
        } else {
            panic!("truncated archive at {cut} skipped although named .pt");
        }
    }
}

#[test]
fn legacy_torch_tar_pickle_member_is_scanned() {
    let bytes = tar(&[
        (
            "sys_info",
            &Pickle::new().proto(2).empty_dict().stop().bytes(),
        ),
        ("pickle", &malicious_pickle("os", "system")),
        (
            "storages",
            &Pickle::new().proto(2).binint1(0).stop().bytes(),
        ),
        ("tensors", &Pickle::new().proto(2).binint1(0).stop().bytes()),
    ]);
    let s = scan("old.pt", &bytes);
    assert_eq!(s.format, ModelFormat::PytorchTar);
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert_eq!(f.member.as_deref(), Some("pickle"));
}

#[test]
fn benign_npy_is_clean_with_metadata() {
    let s = scan("a.npy", &npy("<f4", "(2, 3)", &[0u8; 24]));
    assert_eq!(s.format, ModelFormat::NumpyNpy);
    assert_clean(&s);
    let meta = s.inventory.unwrap().metadata;
    assert_eq!(meta.dtypes, vec!["<f4".to_string()]);
    assert_eq!(meta.parameter_count, Some(6));
}

#[test]
fn truncated_npy_data_is_malformed() {
    let s = scan("a.npy", &npy("<f8", "(10,)", &[0u8; 16]));
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/malformed" && f.message.contains("80 data bytes")),
        "{:#?}",
        s.findings
    );
}

#[test]
fn object_npy_embedded_pickle_is_analysed_with_file_offsets() {
    let payload = malicious_pickle("os", "system");
    let bytes = npy("|O", "(1,)", &payload);
    let s = scan("a.npy", &bytes);
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert_eq!(f.offset, Some((bytes.len() - payload.len()) as u64 + 2));
}

#[test]
fn npz_members_are_scanned() {
    let members = [
        Member::stored("weights.npy", &npy("<f4", "(1,)", &[0u8; 4])),
        Member::deflated(
            "meta.npy",
            &npy("|O", "()", &malicious_pickle("runpy", "run_path")),
        ),
    ];
    let s = scan("arrays.npz", &zip(&members, true));
    assert_eq!(s.format, ModelFormat::NumpyNpz);
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert_eq!(f.member.as_deref(), Some("meta.npy"));
}

const BENIGN_KERAS: &str = r#"{"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "layers": [
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4]}, "registered_name": null},
  {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2, "activation": "relu",
    "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}}}}
]}}"#;

fn keras_zip(config: &str) -> Vec<u8> {
    zip(
        &[
            Member::deflated("metadata.json", br#"{"keras_version": "3.4.1"}"#),
            Member::deflated("config.json", config.as_bytes()),
            Member::stored("model.weights.h5", b"\x89HDF\r\n\x1a\n"),
        ],
        true,
    )
}

#[test]
fn benign_keras_archive_is_clean() {
    let s = scan("model.keras", &keras_zip(BENIGN_KERAS));
    assert_eq!(s.format, ModelFormat::KerasZip);
    assert_clean(&s);
    assert_eq!(
        s.inventory.unwrap().metadata.architecture.as_deref(),
        Some("Sequential")
    );
}

#[test]
fn keras_lambda_layer_is_reported() {
    let config = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [
      {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "sneaky",
        "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}}}]}}"#;
    let s = scan("model.keras", &keras_zip(config));
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == "models/keras-lambda")
        .expect("lambda");
    assert!(f.message.contains("sneaky"));
    assert_eq!(f.member.as_deref(), Some("config.json"));
    assert_eq!(
        f.properties.get("cve").map(String::as_str),
        Some("CVE-2025-1550")
    );
    assert!(f.message.contains("CVE-2025-1550"), "{}", f.message);
    assert_eq!(
        s.findings
            .iter()
            .filter(|f| f.rule_id == "models/keras-lambda")
            .count(),
        1
    );
}

#[test]
fn keras_function_reference_outside_keras_is_critical() {
    let config = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [
      {"module": "keras.layers", "class_name": "Dense", "config": {"units": 1,
        "activation": {"module": "os", "class_name": "function", "config": "system", "registered_name": "function"}}}]}}"#;
    let s = scan("model.keras", &keras_zip(config));
    let f = s
        .findings
        .iter()
        .find(|f| f.rule_id == "models/keras-unsafe-reference")
        .expect("reference");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.subject, "os.system");
}

#[test]
fn h5_model_config_lambda_is_reported_for_fixed_and_variable_strings() {
    let config = br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda",
      "config": {"name": "lambda_1", "function": ["4wEAAAAA", null, null], "function_type": "lambda", "module": "keras.layers.core"}}]}}"#;
    for variable in [false, true] {
        let bytes = hdf5_with_attribute("model_config", config, variable);
        let s = scan("model.h5", &bytes);
        assert_eq!(s.format, ModelFormat::Hdf5);
        assert!(
            s.findings
                .iter()
                .any(|f| f.rule_id == "models/keras-lambda" && f.message.contains("lambda_1")),
            "variable={variable}: {:#?}",
            s.findings
        );
        assert_eq!(
            s.inventory.unwrap().metadata.architecture.as_deref(),
            Some("Sequential")
        );
    }
}

#[test]
fn h5_legacy_lambda_module_function_reference_is_critical() {
    let config = br#"{"class_name": "Model", "config": {"layers": [{"class_name": "Lambda",
      "config": {"name": "l", "function": "system", "function_type": "function", "module": "os"}}]}}"#;
    let s = scan(
        "model.h5",
        &hdf5_with_attribute("model_config", config, true),
    );
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/keras-unsafe-reference"
                && f.subject == "os.system"
                && f.severity == Severity::Critical),
        "{:#?}",
        s.findings
    );
}

#[test]
fn h5_with_benign_config_is_clean_and_truncated_h5_is_malformed() {
    let config = br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 3}}]}}"#;
    let bytes = hdf5_with_attribute("model_config", config, true);
    assert_clean(&scan("model.h5", &bytes));
    let s = scan("model.h5", &bytes[..80]);
    assert!(
        s.findings.iter().any(|f| f.rule_id == "models/malformed"),
        "{:#?}",
        s.findings
    );
}
