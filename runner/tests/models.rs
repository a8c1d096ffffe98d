//! The models stage in the sandbox: multi-GB files are checked from their
//! headers through ranged reads, and broken files are findings, not clean.

mod common;

use std::io::Write;

use common::*;

/// A valid safetensors file of `size` bytes (sparse on disk): one F32
/// tensor filling everything after the header.
fn sparse_safetensors(path: &std::path::Path, size: u64) {
    let mut header_len = 0u64;
    let mut header = String::new();
    // The header's length changes the tensor's size; two passes settle it.
    for _ in 0..2 {
        let data = size - 8 - header_len;
        header = format!(
            r#"{{"weight":{{"dtype":"F32","shape":[{}],"data_offsets":[0,{data}]}}}}"#,
            data / 4
        );
        while !header.len().is_multiple_of(8) {
            header.push(' ');
        }
        header_len = header.len() as u64;
    }
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(&header_len.to_le_bytes()).unwrap();
    file.write_all(header.as_bytes()).unwrap();
    file.set_len(size).unwrap();
}

#[test]
fn a_10_gib_model_is_checked_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let size = 10u64 << 30;
    sparse_safetensors(&dir.path().join("big.safetensors"), size);
    // The truncated twin: its header promises bytes the file does not have.
    sparse_safetensors(&dir.path().join("cut.safetensors"), 4096);
    let cut = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("cut.safetensors"))
        .unwrap();
    cut.set_len(1000).unwrap();
    let pipeline = "[stages.models]\nplugin = \"builtin:models\"\n[stages.models.grants]\nread = [\"**\"]\n[stages.models.options]\nsha256 = false\n";
    std::fs::write(dir.path().join("cordon.toml"), pipeline).unwrap();
    let audit = dir.path().join("audit.jsonl");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "cordon.toml",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    assert_eq!(run.state("models"), "completed", "{}", run.stderr);

    let findings = run.stage("models")["findings"].as_array().unwrap().clone();
    let on = |path: &str| {
        findings
            .iter()
            .filter(|f| f["location"]["path"] == path)
            .count()
    };
    assert_eq!(on("big.safetensors"), 0, "{findings:#?}");
    assert!(
        on("cut.safetensors") >= 1,
        "a truncated model was reported clean: {findings:#?}"
    );
    assert!(
        findings
            .iter()
            .filter(|f| f["location"]["path"] == "cut.safetensors")
            .all(|f| f["severity"] != "info" && f["severity"] != "low")
    );

    // Everything read from the 10 GiB file, per the audit log.
    let read: u64 = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|record| record["target"] == "big.safetensors" && record["outcome"] == "allowed")
        .map(|record| record["bytes"].as_u64().unwrap())
        .sum();
    assert!(
        read > 0 && read < 1 << 20,
        "read {read} bytes of a {size}-byte model"
    );
}
