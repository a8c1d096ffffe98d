//! Header-only formats: safetensors, GGUF, ONNX, TensorFlow SavedModel.

mod common;

use std::cell::Cell;
use std::time::Instant;

use common::*;
use cordon_models::{ByteSource, Limits, ModelFormat, Severity, SourceError};

const INVALID: &str = "models/safetensors-invalid";

fn st_subjects(bytes: &[u8]) -> Vec<String> {
    let s = scan("m.safetensors", bytes);
    assert_eq!(s.format, ModelFormat::Safetensors);
    s.findings
        .iter()
        .filter(|f| f.rule_id == INVALID)
        .map(|f| f.subject.clone())
        .collect()
}

#[test]
fn valid_safetensors_is_clean_with_metadata() {
    let header = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}}"#;
    let s = scan("model.safetensors", &safetensors(header, 32));
    assert_clean(&s);
    let meta = s.inventory.unwrap().metadata;
    assert_eq!(meta.tensor_count, Some(2));
    assert_eq!(meta.parameter_count, Some(10));
    assert_eq!(meta.dtypes, vec!["BF16".to_string(), "F32".to_string()]);
    assert_eq!(meta.properties["format"], "pt");
}

#[test]
fn declared_header_length_beyond_file_and_limit() {
    let mut bytes = safetensors(
        r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
        1,
    );
    bytes[..8].copy_from_slice(&1000u64.to_le_bytes());
    assert_eq!(st_subjects(&bytes), vec!["header-beyond-file"]);
    bytes[..8].copy_from_slice(&(200_000_000u64).to_le_bytes());
    assert_eq!(st_subjects(&bytes), vec!["header-too-large"]);
}

#[test]
fn header_must_be_utf8_json() {
    let mut bytes = safetensors(
        r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
        1,
    );
    bytes[12] = 0xff;
    assert_eq!(st_subjects(&bytes), vec!["header-not-utf8"]);
    let bytes = safetensors(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#, 1);
    assert_eq!(st_subjects(&bytes), vec!["header-not-json"]);
}

#[test]
fn duplicate_keys_are_invalid() {
    let header = r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#;
    assert!(st_subjects(&safetensors(header, 2)).contains(&"duplicate-key".to_string()));
    let header = r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"data_offsets":[0,2]}}"#;
    assert!(st_subjects(&safetensors(header, 2)).contains(&"duplicate-key".to_string()));
}

#[test]
fn dtype_shape_offset_consistency() {
    let header = r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#;
    assert!(st_subjects(&safetensors(header, 12)).contains(&"size-mismatch".to_string()));
    let header = r#"{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#;
    assert!(st_subjects(&safetensors(header, 4)).contains(&"unknown-dtype".to_string()));
    let header = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#;
    assert!(st_subjects(&safetensors(header, 8)).contains(&"inverted-offsets".to_string()));
    let header = r#"{"a":{"dtype":"F32","shape":"x","data_offsets":[0,4]}}"#;
    assert!(st_subjects(&safetensors(header, 4)).contains(&"bad-tensor-entry".to_string()));
}

#[test]
fn overlapping_and_out_of_bounds_tensors() {
    let header = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
    let subjects = st_subjects(&safetensors(header, 12));
    assert!(subjects.contains(&"overlap".to_string()), "{subjects:?}");
    let header = r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#;
    assert!(st_subjects(&safetensors(header, 8)).contains(&"out-of-bounds".to_string()));
    let header = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    assert!(st_subjects(&safetensors(header, 12)).contains(&"trailing-data".to_string()));
}

/// A huge file that only exists where it is read: counts the bytes asked for.
struct Sparse {
    head: Vec<u8>,
    len: u64,
    read: Cell<u64>,
}

impl ByteSource for Sparse {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let end = (offset + len as u64).min(self.len);
        let n = end.saturating_sub(offset);
        self.read.set(self.read.get() + n);
        Ok((offset..end)
            .map(|i| self.head.get(i as usize).copied().unwrap_or(0))
            .collect())
    }
}

#[test]
fn ten_gigabyte_safetensors_and_gguf_are_checked_by_header_only() {
    let size: u64 = 10 << 30;
    let header = format!(
        r#"{{"w":{{"dtype":"F16","shape":[{}],"data_offsets":[0,{}]}}}}"#,
        (size - 8 - 128) / 2,
        size - 8 - 128
    );
    let mut head = (128u64).to_le_bytes().to_vec();
    let mut padded = header.clone();
    padded.push_str(&" ".repeat(128 - header.len()));
    head.extend_from_slice(padded.as_bytes());
    let source = Sparse {
        head,
        len: size,
        read: Cell::new(0),
    };
    let start = Instant::now();
    let s = cordon_models::scan("big.safetensors", &source, &Limits::default()).unwrap();
    assert_clean(&s);
    assert!(
        source.read.get() < 200_000,
        "read {} bytes",
        source.read.get()
    );
    assert!(start.elapsed().as_millis() < 500);

    let gguf = Gguf::default()
        .string("general.architecture", "llama")
        .tensor("w", &[(size - 4096) / 4], 0, 0);
    let source = Sparse {
        head: gguf.header(),
        len: size,
        read: Cell::new(0),
    };
    let start = Instant::now();
    let s = cordon_models::scan("big.gguf", &source, &Limits::default()).unwrap();
    assert_clean(&s);
    assert!(
        source.read.get() < 200_000,
        "read {} bytes",
        source.read.get()
    );
    assert!(start.elapsed().as_millis() < 500);
}

const BENIGN_TEMPLATE: &str = "{% set ns = namespace(first=true) %}{% for message in messages %}{% if message['role'] == 'system' %}<|system|>{{ message['content'] }}{% else %}<|{{ message['role'] }}|>{{ message['content'] | trim }}{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

fn llama_gguf(template: &str) -> Gguf {
    Gguf::default()
        .string("general.architecture", "llama")
        .string("general.name", "tiny")
        .u32("general.file_type", 15)
        .u32("llama.context_length", 4096)
        .string_array("tokenizer.ggml.tokens", &["<s>", "</s>", "a", "b"])
        .string("tokenizer.chat_template", template)
        .tensor("token_embd.weight", &[256, 2], 12, 0)
        .tensor("output.weight", &[8], 0, 288)
}

#[test]
fn valid_gguf_is_clean_with_metadata() {
    let mut g = llama_gguf(BENIGN_TEMPLATE);
    g.data_len = 320;
    let s = scan("model.gguf", &g.bytes());
    assert_eq!(s.format, ModelFormat::Gguf);
    assert_clean(&s);
    let meta = s.inventory.unwrap().metadata;
    assert_eq!(meta.architecture.as_deref(), Some("llama"));
    assert_eq!(meta.quantization.as_deref(), Some("Q4_K_M"));
    assert_eq!(meta.context_length, Some(4096));
    assert_eq!(meta.tensor_count, Some(2));
    assert_eq!(meta.parameter_count, Some(520));
    assert_eq!(meta.dtypes, vec!["F32".to_string(), "Q4_K".to_string()]);
}

#[test]
fn chat_template_reaching_for_python_internals_is_flagged() {
    let cases = [
        (
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "__subclasses__",
        ),
        (
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            "__globals__",
        ),
        (
            "{% for m in messages %}{{ m }}{% endfor %}{{ self.__init__.__globals__.__builtins__ }}",
            "__builtins__",
        ),
        ("{{ lipsum|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}", "\\x5f"),
        ("{{ request|attr('application') }}", "|attr("),
        ("{{ x['__cla' ~ 'ss__'] }}", "__cla"),
        ("{% import 'os' as os %}", "import"),
    ];
    for (template, fragment) in cases {
        let mut g = llama_gguf(template);
        g.data_len = 320;
        let bytes = g.bytes();
        let s = scan("model.gguf", &bytes);
        let hit = s.findings.iter().find(|f| {
            f.rule_id == "models/gguf-template-injection" && f.subject.ends_with(fragment)
        });
        let hit = hit.unwrap_or_else(|| panic!("{template}: {:#?}", s.findings));
        assert!(hit.severity >= Severity::High);
        assert_eq!(
            hit.properties.get("cve").map(String::as_str),
            Some("CVE-2024-34359")
        );
        // The offset points at the fragment in the file.
        let at = hit.offset.unwrap() as usize;
        let expected = fragment.trim_start_matches('|').trim_end_matches('(');
        assert!(
            bytes[at..].starts_with(expected.as_bytes()),
            "{template}: offset {at}"
        );
    }
}

#[test]
fn template_text_outside_tags_is_not_flagged() {
    let mut g = llama_gguf(
        "You may import modules and discuss __init__ files. {{ messages[0]['content'] }}",
    );
    g.data_len = 320;
    assert_clean(&scan("model.gguf", &g.bytes()));
}

#[test]
fn gguf_problems_are_findings() {
    let mut g = llama_gguf(BENIGN_TEMPLATE);
    g.data_len = 320;
    let bytes = g.bytes();
    // Truncated inside the metadata.
    let s = scan("model.gguf", &bytes[..100]);
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/malformed" && f.subject == "gguf-truncated"),
        "{:#?}",
        s.findings
    );
    // Tensor data beyond the end of the file.
    let mut g = llama_gguf(BENIGN_TEMPLATE);
    g.data_len = 100;
    let s = scan("model.gguf", &g.bytes());
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/gguf-invalid" && f.subject == "out-of-bounds"),
        "{:#?}",
        s.findings
    );
    // Unknown value type.
    let g = Gguf::default().raw_kv("general.x", 99, &[0; 8]);
    let s = scan("model.gguf", &g.bytes());
    assert!(
        s.findings
            .iter()
            .any(|f| f.message.contains("unknown value type 99")),
        "{:#?}",
        s.findings
    );
    // Overlapping tensors.
    let mut g = Gguf::default()
        .tensor("a", &[8], 0, 0)
        .tensor("b", &[8], 0, 0);
    g.data_len = 64;
    let s = scan("model.gguf", &g.bytes());
    assert!(
        s.findings.iter().any(|f| f.subject == "overlap"),
        "{:#?}",
        s.findings
    );
    // Absurd counts.
    let mut bytes = Gguf::default().bytes();
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    let s = scan("model.gguf", &bytes);
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/gguf-invalid"),
        "{:#?}",
        s.findings
    );
}

fn onnx_model(locations: &[&str]) -> Vec<u8> {
    let mut graph = pb_bytes(
        1,
        &cat(&[pb_bytes(4, b"Relu"), pb_bytes(1, b"x"), pb_bytes(2, b"y")]),
    );
    for (i, location) in locations.iter().enumerate() {
        let tensor = cat(&[
            pb_varint(1, 16),
            pb_varint(2, 1),
            pb_bytes(8, format!("w{i}").as_bytes()),
            pb_bytes(
                13,
                &cat(&[pb_bytes(1, b"location"), pb_bytes(2, location.as_bytes())]),
            ),
            pb_varint(14, 1),
        ]);
        graph.extend(pb_bytes(5, &tensor));
    }
    graph.extend(pb_bytes(
        5,
        &cat(&[
            pb_varint(1, 2),
            pb_varint(2, 1),
            pb_bytes(8, b"inline"),
            pb_bytes(9, &[0u8; 8]),
        ]),
    ));
    cat(&[
        pb_varint(1, 8),
        pb_bytes(2, b"pytorch"),
        pb_bytes(3, b"2.3"),
        pb_bytes(7, &graph),
        pb_bytes(8, &cat(&[pb_bytes(1, b""), pb_varint(2, 17)])),
    ])
}

#[test]
fn onnx_external_data_inside_the_folder_is_clean() {
    let s = scan(
        "model.onnx",
        &onnx_model(&["weights.bin", "data/w.bin", "./sub/../w.bin"]),
    );
    assert_eq!(s.format, ModelFormat::Onnx);
    assert!(
        s.findings
            .iter()
            .all(|f| f.subject != "weights.bin" && f.subject != "data/w.bin")
    );
    let meta = s.inventory.unwrap().metadata;
    assert_eq!(meta.tensor_count, Some(4));
    assert_eq!(meta.parameter_count, Some(16 * 3 + 2));
    assert_eq!(meta.architecture.as_deref(), Some("pytorch"));
    assert_eq!(meta.properties["onnx.opsets"], "ai.onnx:17");
}

#[test]
fn onnx_external_data_escapes_are_flagged_and_detected_by_content() {
    let s = scan(
        "model.bin",
        &onnx_model(&[
            "/etc/passwd",
            "../../secrets.txt",
            "C:\\Windows\\win.ini",
            "a/../../b",
        ]),
    );
    assert_eq!(s.format, ModelFormat::Onnx);
    assert!(
        s.findings
            .iter()
            .filter(|f| f.rule_id == "models/onnx-external-data-escape")
            .all(|f| f.properties.get("cve").map(String::as_str) == Some("CVE-2024-27318"))
    );
    let subjects: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.rule_id == "models/onnx-external-data-escape")
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        vec![
            "/etc/passwd",
            "../../secrets.txt",
            "C:\\Windows\\win.ini",
            "a/../../b"
        ]
    );
}

fn node(name: &str, op: &str) -> Vec<u8> {
    cat(&[pb_bytes(1, name.as_bytes()), pb_bytes(2, op.as_bytes())])
}

fn saved_model(graph_nodes: &[(&str, &str)], function_nodes: &[(&str, &str)]) -> Vec<u8> {
    let mut graph = Vec::new();
    for (name, op) in graph_nodes {
        graph.extend(pb_bytes(1, &node(name, op)));
    }
    let mut function = pb_bytes(1, &pb_bytes(1, b"__inference_call_42"));
    for (name, op) in function_nodes {
        function.extend(pb_bytes(3, &node(name, op)));
    }
    graph.extend(pb_bytes(2, &pb_bytes(1, &function)));
    let meta_graph = cat(&[pb_bytes(1, &pb_bytes(4, b"serve")), pb_bytes(2, &graph)]);
    cat(&[pb_varint(1, 1), pb_bytes(2, &meta_graph)])
}

#[test]
fn savedmodel_risky_ops_are_reported_in_graphs_and_functions() {
    let bytes = saved_model(
        &[("read", "ReadFile"), ("mm", "MatMul")],
        &[("cb", "PyFunc"), ("w", "WriteFile")],
    );
    let s = scan("export/saved_model.pb", &bytes);
    assert_eq!(s.format, ModelFormat::TfSavedModel);
    let ops: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.rule_id == "models/savedmodel-risky-op")
        .map(|f| (f.subject.as_str(), f.severity))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("ReadFile", Severity::High),
            ("PyFunc", Severity::Critical),
            ("WriteFile", Severity::High)
        ]
    );
    assert!(s.findings[1].message.contains("__inference_call_42"));
}

#[test]
fn savedmodel_with_saver_ops_is_clean_and_detected_by_content() {
    let bytes = saved_model(
        &[
            ("mm", "MatMul"),
            ("save", "SaveV2"),
            ("restore", "RestoreV2"),
        ],
        &[("add", "AddV2")],
    );
    let s = scan("model/other_name.pb", &bytes);
    assert_eq!(s.format, ModelFormat::TfSavedModel);
    assert_clean(&s);
    let s = scan("saved_model.pb", &bytes[..bytes.len() - 3]);
    assert!(
        s.findings.iter().any(|f| f.rule_id == "models/malformed"),
        "{:#?}",
        s.findings
    );
}
