//! Containers followed, not guessed: zip in zip, tar, 7z (nullifAI), the
//! compressed joblib variants, and the bounds on depth and decompressed
//! bytes. Every payload is built as bytes and only parsed; the commands
//! name a marker file and each test fails if it appears.

mod common;

use common::*;
use cordon_models::{Limits, ModelFormat, Severity};

const CODE: &str = "models/pickle-code-execution";

fn payload_pickle(marker: &std::path::Path) -> Vec<u8> {
    Pickle::new()
        .proto(2)
        .call("os", "system", &touch(marker))
        .stop()
        .bytes()
}

/// A `torch.save` zip whose `data.pkl` is `pickle`.
fn torch_zip(pickle: &[u8]) -> Vec<u8> {
    zip(
        &[
            Member::stored("archive/data.pkl", pickle),
            Member::stored("archive/data/0", &[0u8; 24]),
            Member::stored("archive/version", b"3\n"),
        ],
        true,
    )
}

fn critical_in(scan: &cordon_models::ModelScan, member: &str) -> bool {
    scan.findings.iter().any(|f| {
        f.rule_id == CODE && f.severity == Severity::Critical && f.member.as_deref() == Some(member)
    })
}

#[test]
fn a_zip_holding_a_malicious_pt_reports_the_payload_inside_the_inner_zip() {
    let marker = marker("zip-in-zip");
    for deflate in [false, true] {
        let inner = torch_zip(&payload_pickle(&marker));
        let member = if deflate {
            Member::deflated("bundle/model.pt", &inner)
        } else {
            Member::stored("bundle/model.pt", &inner)
        };
        let outer = zip(&[member, Member::stored("bundle/README", b"hi")], true);
        let scan = scan("bundle.zip", &outer);
        assert!(
            critical_in(&scan, "bundle/model.pt!/archive/data.pkl"),
            "{:#?}",
            scan.findings
        );
        assert!(
            !scan
                .findings
                .iter()
                .any(|f| f.rule_id == "models/malformed"),
            "the inner zip is not read as a pickle: {:#?}",
            scan.findings
        );
    }
    assert_no_marker(&marker);
}

#[test]
fn torch_export_pt2_with_sample_inputs_is_clean() {
    let sample_inputs = torch_zip(&torch_state_dict_pickle());
    let pt2 = zip(
        &[
            Member::stored("model/archive_format", b"pt2"),
            Member::stored("model/models/model.json", b"{}"),
            Member::stored("model/data/sample_inputs/model.pt", &sample_inputs),
            Member::stored(
                "model/data/weights/model.pt",
                &torch_zip(&torch_state_dict_pickle()),
            ),
        ],
        true,
    );
    let scan = scan("exported.pt2", &pt2);
    assert_clean(&scan);
    let props = &scan.inventory.as_ref().unwrap().metadata.properties;
    assert_eq!(
        props.get("nested.formats").map(String::as_str),
        Some("pytorch-zip")
    );
}

#[test]
fn a_tar_holding_a_zip_holding_a_payload_is_followed() {
    let marker = marker("tar-zip");
    let inner = torch_zip(&payload_pickle(&marker));
    let archive = tar(&[("models/model.pt", &inner)]);
    let scan = scan("models.tar", &archive);
    assert!(
        critical_in(&scan, "models/model.pt!/archive/data.pkl"),
        "{:#?}",
        scan.findings
    );
    assert_no_marker(&marker);
}

#[test]
fn a_7z_archive_holding_an_eval_pickle_is_critical() {
    let marker = marker("7z-eval");
    let bytes = Pickle::new()
        .proto(2)
        .call(
            "builtins",
            "eval",
            &format!("__import__('os').system('{}')", touch(&marker)),
        )
        .stop()
        .bytes();
    let archive = seven_zip(&[("payload.pkl", &bytes), ("notes.txt", b"nothing here")]);
    let scan = scan("weights.7z", &archive);
    assert!(critical_in(&scan, "payload.pkl"), "{:#?}", scan.findings);
    assert_eq!(
        scan.inventory
            .as_ref()
            .unwrap()
            .metadata
            .properties
            .get("container")
            .map(String::as_str),
        Some("7z")
    );
    assert_no_marker(&marker);
}

#[test]
fn nullifai_style_7z_compressed_pt_is_critical_not_just_malformed() {
    let marker = marker("nullifai");
    // The payload runs first; the stream then breaks, as in the published
    // samples, so a loader raises only after the command ran.
    let mut pickle = Pickle::new()
        .proto(2)
        .call("os", "system", &touch(&marker))
        .pop()
        .bytes();
    pickle.extend_from_slice(b"\xff\xfe broken on purpose");
    let archive = seven_zip(&[("model/data.pkl", &pickle), ("model/version", b"3\n")]);
    let scan = scan("model.pt", &archive);
    assert!(critical_in(&scan, "model/data.pkl"), "{:#?}", scan.findings);
    assert_no_marker(&marker);
}

#[test]
fn a_7z_without_models_is_not_a_model_and_a_corrupt_one_is_reported() {
    let archive = seven_zip(&[("notes.txt", b"just text")]);
    assert!(cordon_models::scan("docs.7z", &archive, &Limits::default()).is_none());
    let mut corrupt = seven_zip(&[("model.pkl", &torch_state_dict_pickle())]);
    let half = corrupt.len() / 2;
    corrupt.truncate(half);
    // Named like a model (nullifAI's `.pt`): high.
    let named = scan("model.pt", &corrupt);
    assert_eq!(
        named.max_severity(),
        Some(Severity::High),
        "{:#?}",
        named.findings
    );
    // Any other unreadable 7z: a medium note, not a gate failure.
    let other = scan("backup.7z", &corrupt);
    assert_eq!(
        other.max_severity(),
        Some(Severity::Medium),
        "{:#?}",
        other.findings
    );
}

#[test]
fn every_compressed_joblib_variant_is_followed() {
    let marker = marker("compressed-joblib");
    for kind in KINDS {
        let found = scan("model.joblib", &compress(kind, &payload_pickle(&marker)));
        assert_eq!(found.format, ModelFormat::Pickle, "{kind}");
        assert!(
            critical_in(&found, "model.joblib"),
            "{kind}: {:#?}",
            found.findings
        );
        let props = &found.inventory.as_ref().unwrap().metadata.properties;
        assert!(props.get("compression").is_some(), "{kind}");
        // Benign content in the same wrapper is clean.
        let clean = scan("model.joblib", &compress(kind, &torch_state_dict_pickle()));
        assert_clean(&clean);
    }
    assert_no_marker(&marker);
}

#[test]
fn compressed_models_are_found_by_content_and_compressed_text_is_not_a_model() {
    let marker = marker("gz-content");
    let scan = scan("cache/blob.gz", &compress("gzip", &payload_pickle(&marker)));
    assert!(critical_in(&scan, "blob"), "{:#?}", scan.findings);
    for kind in KINDS {
        let text = compress(kind, b"name,value\nalpha,1\nbeta,2\n");
        assert!(
            cordon_models::scan("data/table.csv.gz", &text, &Limits::default()).is_none(),
            "{kind}"
        );
    }
    assert_no_marker(&marker);
}

#[test]
fn nesting_deeper_than_the_bound_is_a_high_finding() {
    let marker = marker("deep");
    let mut bytes = torch_zip(&payload_pickle(&marker));
    for level in 0..6 {
        bytes = zip(
            &[Member::stored(&format!("level{level}.zip"), &bytes)],
            true,
        );
    }
    let scan = scan("deep.zip", &bytes);
    assert!(
        scan.findings
            .iter()
            .any(|f| f.subject == "nesting-depth-limit" && f.severity == Severity::High),
        "{:#?}",
        scan.findings
    );
    assert_no_marker(&marker);
}

#[test]
fn passing_the_decompressed_budget_is_a_high_finding_not_a_silent_stop() {
    let mut big = torch_state_dict_pickle();
    big.pop(); // drop STOP, pad with a long string, STOP again
    big.push(b'0');
    let padding = "x".repeat(200_000);
    big.extend(
        Pickle::new()
            .binunicode(&padding)
            .op(b'0')
            .none()
            .stop()
            .bytes(),
    );
    let limits = Limits {
        max_total_decompressed_bytes: 10_000,
        ..Limits::default()
    };
    for kind in KINDS {
        let data = compress(kind, &big);
        let scan = cordon_models::scan("model.joblib", &data, &limits).unwrap();
        assert!(
            scan.findings
                .iter()
                .any(|f| f.subject == "decompressed-size-limit" && f.severity == Severity::High),
            "{kind}: {:#?}",
            scan.findings
        );
    }
}

#[test]
fn a_rust_source_file_is_never_safetensors() {
    let source = b"cfg_if! {\n    if #[cfg(unix)] { mod unix; }\n}\n";
    assert!(cordon_models::scan("src/lib.rs", &source.as_slice(), &Limits::default()).is_none());
    // Named like safetensors, the same text is only a low candidate.
    let scan = scan("model.safetensors", source);
    assert_eq!(
        scan.max_severity(),
        Some(Severity::Low),
        "{:#?}",
        scan.findings
    );
}

/// Deterministic mutations of valid containers (bit flips, truncations,
/// overwritten length fields): no reader may panic (the stage runs in a
/// wasm component, where a panic aborts the whole scan).
#[test]
fn mutated_7z_and_compressed_joblib_never_panic() {
    let marker = marker("mutations");
    let pickle = payload_pickle(&marker);
    let mut seeds = vec![
        seven_zip(&[("model/data.pkl", &pickle), ("model/version", b"3\n")]),
        torch_zip(&pickle),
    ];
    for kind in KINDS {
        seeds.push(compress(kind, &pickle));
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let limits = Limits::default();
    for seed in &seeds {
        for _ in 0..1000 {
            let mut bytes = seed.clone();
            match next() % 3 {
                0 => {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] ^= 1 << (next() % 8);
                }
                1 => {
                    let keep = (next() as usize) % bytes.len();
                    bytes.truncate(keep.max(1));
                }
                _ => {
                    let at = (next() as usize) % bytes.len();
                    for b in bytes.iter_mut().skip(at).take(8) {
                        *b = 0xff;
                    }
                }
            }
            let _ = cordon_models::scan("model.pt", &bytes, &limits);
        }
    }
    assert_no_marker(&marker);
}

#[test]
fn a_source_tarball_is_not_a_model_and_a_model_tarball_is_followed() {
    let marker = marker("tarball");
    let sources = tar(&[
        ("pkg/src/lib.rs", b"pub fn f() {}\n"),
        ("pkg/README", b"hi"),
    ]);
    for kind in KINDS {
        let packed = compress(kind, &sources);
        assert!(
            cordon_models::scan("vendor/pkg-1.0.tar.gz", &packed, &Limits::default()).is_none(),
            "{kind}"
        );
    }
    let models = tar(&[("model/model.joblib", &payload_pickle(&marker))]);
    let scan = scan("model.tar.gz", &compress("gzip", &models));
    assert!(
        critical_in(&scan, "model.tar!/model/model.joblib"),
        "{:#?}",
        scan.findings
    );
    assert_no_marker(&marker);
}

#[test]
fn a_large_deflated_member_is_sniffed_by_content_not_name() {
    let marker = marker("large-deflated");
    // 1.5 MiB of incompressible bytes make the inner zip large even deflated.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..1_572_864)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let inner = zip(
        &[
            Member::stored("archive/data.pkl", &payload_pickle(&marker)),
            Member::stored("archive/data/0", &noise),
        ],
        true,
    );
    let outer = zip(&[Member::deflated("release/model.pt", &inner)], true);
    let scan = scan("release.zip", &outer);
    assert!(
        critical_in(&scan, "release/model.pt!/archive/data.pkl"),
        "{:#?}",
        scan.findings
    );
    // A `.bin` member of test data is no pickle.
    let data = zip(
        &[Member::deflated("tests/data/vectors.bin", &noise[..4096])],
        true,
    );
    assert!(cordon_models::scan("fixtures.zip", &data, &Limits::default()).is_none());
    assert_no_marker(&marker);
}

#[test]
fn a_deflated_nested_zip_is_inflated_within_the_shared_budget() {
    let inner = zip(
        &[
            Member::stored("archive/data.pkl", &torch_state_dict_pickle()),
            Member::stored("archive/data/0", &vec![0u8; 200_000]),
        ],
        true,
    );
    let outer = zip(&[Member::deflated("model.pt", &inner)], true);
    let limits = Limits {
        max_total_decompressed_bytes: 50_000,
        ..Limits::default()
    };
    let bounded = cordon_models::scan("bundle.zip", &outer, &limits).unwrap();
    assert!(
        bounded
            .findings
            .iter()
            .any(|f| f.subject == "zip-member-size-limit"
                && f.severity == Severity::High
                && f.member.as_deref() == Some("model.pt")),
        "{:#?}",
        bounded.findings
    );
    // With the default budget the same bundle is clean.
    assert_clean(&scan("bundle.zip", &outer));
}
