//! safetensors header validation, from the 8-byte length prefix and the
//! JSON header alone: tensor data is never read, so a file of any size is
//! checked with two ranged reads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::Limits;
use crate::finding::{ModelFinding, Severity, printable};
use crate::inventory::ModelMetadata;
use crate::rules;
use crate::source::{ByteSource, SourceError, read_exact_at};

/// A JSON object with its keys in file order and duplicates kept, because a
/// duplicated key is exactly what parsers disagree on.
struct OrderedObject<V>(Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedObject<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for ObjectVisitor<V> {
            type Value = OrderedObject<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    entries.push((key, value));
                }
                Ok(OrderedObject(entries))
            }
        }
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// Bits per element of each dtype the format defines.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        _ => return None,
    })
}

struct Tensor {
    name: String,
    begin: u64,
    end: u64,
}

struct Checker<'f> {
    findings: &'f mut Vec<ModelFinding>,
}

impl Checker<'_> {
    fn invalid(&mut self, severity: Severity, subject: &str, offset: Option<u64>, message: String) {
        let mut finding = ModelFinding::new(
            rules::SAFETENSORS_INVALID,
            severity,
            subject,
            format!("safetensors: {message}"),
        );
        finding.offset = offset;
        self.findings.push(finding);
    }
}

/// Whether the file starts like a safetensors file: a little-endian length
/// followed by a JSON object.
/// Whether the file is a safetensors file by content: the 8-byte header
/// length fits the file and the 100 MB limit, and the header is a JSON
/// object (opens with `{`, closes with `}` before its space padding). A
/// source file that happens to have `{` as its ninth byte (`cfg_if! {`)
/// fails the length check.
pub fn looks_like_safetensors(source: &dyn ByteSource) -> Result<bool, SourceError> {
    let prefix = source.read_at(0, 10)?;
    if prefix.len() < 10
        || prefix[8] != b'{'
        || !matches!(prefix[9], b'"' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
    {
        return Ok(false);
    }
    let mut length = [0u8; 8];
    length.copy_from_slice(&prefix[..8]);
    let length = u64::from_le_bytes(length);
    if !(2..=SAFETENSORS_MAX_HEADER).contains(&length) || length > source.len() - 8 {
        return Ok(false);
    }
    // The header's last bytes: `}` then only the spaces writers pad with.
    let tail_len = length.min(4096);
    let tail = source.read_at(8 + length - tail_len, tail_len as usize)?;
    let closing = tail.iter().rev().find(|&&b| b != b' ');
    Ok(closing == Some(&b'}'))
}

/// The safetensors format's own limit on the header.
const SAFETENSORS_MAX_HEADER: u64 = 100_000_000;

pub fn analyse(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> ModelMetadata {
    let mut metadata = ModelMetadata::default();
    let mut checker = Checker { findings };
    let size = source.len();
    let prefix = match read_exact_at(source, 0, 8) {
        Ok(prefix) => prefix,
        Err(err) => {
            checker.invalid(
                Severity::High,
                "truncated-length",
                Some(0),
                format!("file too short for the 8-byte header length: {err}"),
            );
            return metadata;
        }
    };
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&prefix);
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > limits.max_safetensors_header_bytes {
        checker.invalid(
            Severity::High,
            "header-too-large",
            Some(0),
            format!(
                "declared header length {header_len} exceeds the {}-byte maximum",
                limits.max_safetensors_header_bytes
            ),
        );
        return metadata;
    }
    if header_len.saturating_add(8) > size {
        checker.invalid(
            Severity::High,
            "header-beyond-file",
            Some(0),
            format!(
                "declared header length {header_len} runs past the end of the {size}-byte file"
            ),
        );
        return metadata;
    }
    let header = match read_exact_at(source, 8, header_len as usize) {
        Ok(header) => header,
        Err(err) => {
            checker.findings.push(
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "read-failed",
                    format!("safetensors: {err}"),
                )
                .at(8),
            );
            return metadata;
        }
    };
    let text = match std::str::from_utf8(&header) {
        Ok(text) => text,
        Err(err) => {
            checker.invalid(
                Severity::High,
                "header-not-utf8",
                Some(8 + err.valid_up_to() as u64),
                format!(
                    "header is not valid UTF-8 (first bad byte at header offset {})",
                    err.valid_up_to()
                ),
            );
            return metadata;
        }
    };
    if !text.starts_with('{') {
        checker.invalid(
            Severity::High,
            "header-not-object",
            Some(8),
            "header does not start with '{'".into(),
        );
        return metadata;
    }
    let object: OrderedObject<OrderedObject<serde_json::Value>> = match serde_json::from_str(text) {
        Ok(object) => object,
        Err(err) => {
            checker.invalid(
                Severity::High,
                "header-not-json",
                Some(8),
                format!("header is not a JSON object of objects: {err}"),
            );
            return metadata;
        }
    };
    let data_len = size - 8 - header_len;
    let data_start = 8 + header_len;
    let mut seen = BTreeSet::new();
    let mut tensors = Vec::new();
    let mut dtypes = BTreeSet::new();
    let mut parameters: u64 = 0;
    for (name, fields) in object.0 {
        let shown = printable(name.as_bytes(), 120);
        if !seen.insert(name.clone()) {
            checker.invalid(
                Severity::High,
                "duplicate-key",
                Some(8),
                format!("tensor name {shown:?} appears more than once"),
            );
            continue;
        }
        if name == "__metadata__" {
            for (key, value) in fields.0 {
                match value {
                    serde_json::Value::String(value) => {
                        if metadata.properties.len() < 64 {
                            metadata.properties.insert(
                                printable(key.as_bytes(), 80),
                                printable(value.as_bytes(), 200),
                            );
                        }
                    }
                    _ => checker.invalid(
                        Severity::Medium,
                        "metadata-not-string",
                        Some(8),
                        format!(
                            "__metadata__ value of {:?} is not a string",
                            printable(key.as_bytes(), 80)
                        ),
                    ),
                }
            }
            continue;
        }
        let mut field_map: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for (key, value) in fields.0 {
            if field_map.contains_key(&key) {
                checker.invalid(
                    Severity::High,
                    "duplicate-key",
                    Some(8),
                    format!("tensor {shown:?} declares {key:?} more than once"),
                );
            }
            field_map.insert(key, value);
        }
        let unknown: Vec<&String> = field_map
            .keys()
            .filter(|k| !matches!(k.as_str(), "dtype" | "shape" | "data_offsets"))
            .collect();
        if !unknown.is_empty() {
            checker.invalid(
                Severity::Medium,
                "unknown-field",
                Some(8),
                format!("tensor {shown:?} has unknown fields {unknown:?}"),
            );
        }
        let dtype = field_map.get("dtype").and_then(|v| v.as_str());
        let shape: Option<Vec<u64>> = field_map
            .get("shape")
            .and_then(|v| v.as_array())
            .and_then(|dims| dims.iter().map(|d| d.as_u64()).collect());
        let offsets: Option<Vec<u64>> = field_map
            .get("data_offsets")
            .and_then(|v| v.as_array())
            .and_then(|o| o.iter().map(|d| d.as_u64()).collect());
        let (Some(dtype), Some(shape), Some([begin, end])) = (
            dtype,
            shape,
            offsets
                .as_deref()
                .and_then(|o| <[u64; 2]>::try_from(o).ok()),
        ) else {
            checker.invalid(
                Severity::High,
                "bad-tensor-entry",
                Some(8),
                format!("tensor {shown:?} lacks a string dtype, an integer shape or two integer data_offsets"),
            );
            continue;
        };
        dtypes.insert(printable(dtype.as_bytes(), 40));
        let Some(bits) = dtype_bits(dtype) else {
            checker.invalid(
                Severity::High,
                "unknown-dtype",
                Some(8),
                format!(
                    "tensor {shown:?} has unknown dtype {:?}",
                    printable(dtype.as_bytes(), 40)
                ),
            );
            continue;
        };
        let elements = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        let expected = elements
            .and_then(|n| n.checked_mul(bits))
            .filter(|b| b % 8 == 0)
            .map(|b| b / 8);
        if let Some(n) = elements {
            parameters = parameters.saturating_add(n);
        }
        if end < begin {
            checker.invalid(
                Severity::High,
                "inverted-offsets",
                Some(data_start + begin.min(data_len)),
                format!("tensor {shown:?} ends ({end}) before it begins ({begin})"),
            );
            continue;
        }
        if end > data_len {
            checker.invalid(
                Severity::High,
                "out-of-bounds",
                Some(data_start),
                format!("tensor {shown:?} spans bytes {begin}..{end} but the data area holds {data_len} bytes"),
            );
        }
        match expected {
            Some(expected) if expected == end - begin => {}
            Some(expected) => checker.invalid(
                Severity::High,
                "size-mismatch",
                Some(data_start + begin.min(data_len)),
                format!("tensor {shown:?} of dtype {dtype} and shape {shape:?} needs {expected} bytes but spans {}", end - begin),
            ),
            None => checker.invalid(
                Severity::High,
                "shape-overflow",
                Some(8),
                format!("tensor {shown:?} has a shape {shape:?} whose byte size overflows or is not whole bytes"),
            ),
        }
        tensors.push(Tensor { name, begin, end });
    }
    tensors.sort_by_key(|t| (t.begin, t.end));
    let mut covered_to = 0u64;
    let mut previous: Option<&Tensor> = None;
    for tensor in &tensors {
        if let Some(prev) = previous {
            if tensor.begin < prev.end {
                checker.invalid(
                    Severity::High,
                    "overlap",
                    Some(data_start + tensor.begin.min(data_len)),
                    format!(
                        "tensors {:?} and {:?} overlap (bytes {}..{} and {}..{})",
                        printable(prev.name.as_bytes(), 120),
                        printable(tensor.name.as_bytes(), 120),
                        prev.begin,
                        prev.end,
                        tensor.begin,
                        tensor.end
                    ),
                );
            } else if tensor.begin > covered_to {
                checker.invalid(
                    Severity::Medium,
                    "gap",
                    Some(data_start + covered_to),
                    format!(
                        "bytes {covered_to}..{} of the data area belong to no tensor",
                        tensor.begin
                    ),
                );
            }
        } else if tensor.begin > 0 {
            checker.invalid(
                Severity::Medium,
                "gap",
                Some(data_start),
                format!(
                    "bytes 0..{} of the data area belong to no tensor",
                    tensor.begin
                ),
            );
        }
        covered_to = covered_to.max(tensor.end);
        previous = Some(tensor);
    }
    if covered_to < data_len {
        checker.invalid(
            Severity::Medium,
            "trailing-data",
            Some(data_start + covered_to),
            format!(
                "{} bytes after the last tensor belong to no tensor",
                data_len - covered_to
            ),
        );
    }
    metadata.tensor_count = Some(tensors.len() as u64);
    metadata.parameter_count = Some(parameters);
    metadata.dtypes = dtypes.into_iter().collect();
    metadata
}
