//! Rule catalogue, inventory artifact, hashing and fingerprints.

mod common;

use std::collections::BTreeSet;

use common::*;
use cordon_models::inventory::{INVENTORY_ARTIFACT, ModelInventory};
use cordon_models::{RULES, Window, sha256_hex};
use sha2::{Digest, Sha256};

#[test]
fn rule_catalogue_has_unique_described_ids() {
    let ids: BTreeSet<_> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), RULES.len());
    for rule in RULES {
        assert!(rule.id.starts_with("models/"), "{}", rule.id);
        assert!(
            !rule.short_description.is_empty()
                && !rule.full_description.is_empty()
                && !rule.help.is_empty()
        );
    }
}

#[test]
fn every_reported_rule_is_in_the_catalogue() {
    let samples = vec![
        ("a.pkl", malicious_pickle("os", "system")),
        ("b.pkl", malicious_pickle("operator", "getitem")),
        ("c.pkl", malicious_pickle("foo", "Bar")),
        (
            "d.pkl",
            Pickle::new().proto(2).op(0x82).raw(&[1]).stop().bytes(),
        ),
        ("e.pt", b"garbage".to_vec()),
        ("f.pt", {
            let mut m = Member::stored("archive/data.pkl", &torch_state_dict_pickle());
            m.crc = Some(1);
            zip(&[m], true)
        }),
        ("g.safetensors", safetensors("{}", 4)),
        (
            "h.gguf",
            Gguf::default()
                .string("tokenizer.chat_template", "{{ x.__class__ }}")
                .bytes(),
        ),
        ("i.gguf", b"GGUF\x03\x00\x00\x00".to_vec()),
    ];
    for (path, bytes) in samples {
        let s = scan(path, &bytes);
        assert!(!s.findings.is_empty(), "{path}");
        for f in &s.findings {
            assert!(
                cordon_models::rules::rule(&f.rule_id).is_some(),
                "{path}: {} not in catalogue",
                f.rule_id
            );
        }
    }
}

#[test]
fn inventory_round_trips_as_the_artifact_json() {
    let s = scan(
        "models/tiny.gguf",
        &Gguf::default()
            .string("general.architecture", "qwen2")
            .u32("general.file_type", 7)
            .bytes(),
    );
    let mut entry = s.inventory.unwrap();
    entry.sha256 = Some("00".repeat(32));
    let doc = ModelInventory::new(vec![entry.clone()]);
    let json = serde_json::to_string(&doc).unwrap();
    assert!(
        json.contains(r#""format":"gguf""#) && json.contains(r#""quantization":"Q8_0""#),
        "{json}"
    );
    let back: ModelInventory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, doc);
    assert_eq!(back.version, ModelInventory::VERSION);
    assert_eq!(INVENTORY_ARTIFACT, "model-inventory");
}

#[test]
fn sha256_helper_hashes_in_chunks_and_windows_read_in_place() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let expected = hex::encode(Sha256::digest(&data));
    for chunk in [1, 7, 4096, 1 << 20] {
        assert_eq!(sha256_hex(&data, chunk).unwrap(), expected);
    }
    let window = Window::new(&data, 10, 20);
    assert_eq!(
        sha256_hex(&window, 3).unwrap(),
        hex::encode(Sha256::digest(&data[10..30]))
    );
}

#[test]
fn fingerprints_are_stable_and_distinguish_path_member_and_subject() {
    let a = scan("x.pkl", &malicious_pickle("os", "system"));
    let b = scan(
        "x.pkl",
        &Pickle::new()
            .proto(2)
            .none()
            .pop()
            .call("os", "system", "other")
            .stop()
            .bytes(),
    );
    let fa = a.findings[0].fingerprint("x.pkl");
    assert_eq!(
        fa,
        b.findings[0].fingerprint("x.pkl"),
        "offsets and arguments do not change the fingerprint"
    );
    assert_ne!(fa, a.findings[0].fingerprint("y.pkl"));
    let c = scan("x.pkl", &malicious_pickle("os", "popen"));
    assert_ne!(fa, c.findings[0].fingerprint("x.pkl"));
}

#[test]
fn fuzzer_found_inputs_do_not_panic_and_are_not_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let s = scan(&name, &bytes);
        assert_not_clean(&s);
        seen += 1;
    }
    assert!(seen > 0);
}
