//! ONNX models: every tensor (graph initializers, sparse initializers,
//! constant attributes, subgraphs, training graphs and functions) is
//! checked for external-data locations that leave the model's folder.

use std::collections::BTreeSet;

use crate::finding::{ModelFinding, Severity, printable};
use crate::inventory::ModelMetadata;
use crate::protobuf::{Message, ProtoError, Wire};
use crate::rules;
use crate::source::ByteSource;

const MAX_DEPTH: usize = 32;
const MAX_STRING: usize = 4096;

/// Field numbers of ModelProto that ONNX defines.
const MODEL_FIELDS: &[u32] = &[1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25];

/// Whether the file parses as an ONNX ModelProto at the top level: an IR
/// version first, only ModelProto field numbers, and a graph.
pub fn looks_like_onnx(source: &dyn ByteSource) -> bool {
    let mut message = Message::new(source, 0, source.len());
    let mut first = true;
    let mut has_graph = false;
    for _ in 0..64 {
        match message.next_field() {
            Ok(Some(field)) => {
                if first {
                    if !(field.number == 1
                        && matches!(field.wire, Wire::Varint(v) if (1..=64).contains(&v)))
                    {
                        return false;
                    }
                    first = false;
                }
                if !MODEL_FIELDS.contains(&field.number) {
                    return false;
                }
                has_graph |= field.number == 7 && matches!(field.wire, Wire::Bytes { .. });
            }
            Ok(None) => return !first && has_graph,
            Err(_) => return false,
        }
    }
    has_graph
}

/// Why a location escapes the model folder, if it does.
pub fn location_escape(location: &str) -> Option<&'static str> {
    let bytes = location.as_bytes();
    if location.starts_with('/') || location.starts_with('\\') {
        return Some("is absolute");
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Some("names a drive");
    }
    if location.contains("://") {
        return Some("is a URL");
    }
    if location.contains('\0') {
        return Some("contains a NUL byte");
    }
    let mut depth: i64 = 0;
    for part in location.split(['/', '\\']) {
        match part {
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Some("climbs out of the model folder with '..'");
                }
            }
            "" | "." => {}
            _ => depth += 1,
        }
    }
    if location.split(['/', '\\']).any(|p| p == "..") {
        return Some("contains '..'");
    }
    None
}

fn data_type_name(code: u64) -> String {
    let name = match code {
        1 => "FLOAT",
        2 => "UINT8",
        3 => "INT8",
        4 => "UINT16",
        5 => "INT16",
        6 => "INT32",
        7 => "INT64",
        8 => "STRING",
        9 => "BOOL",
        10 => "FLOAT16",
        11 => "DOUBLE",
        12 => "UINT32",
        13 => "UINT64",
        14 => "COMPLEX64",
        15 => "COMPLEX128",
        16 => "BFLOAT16",
        17 => "FLOAT8E4M3FN",
        18 => "FLOAT8E4M3FNUZ",
        19 => "FLOAT8E5M2",
        20 => "FLOAT8E5M2FNUZ",
        21 => "UINT4",
        22 => "INT4",
        23 => "FLOAT4E2M1",
        other => return format!("type-{other}"),
    };
    name.to_string()
}

struct Walker<'f> {
    findings: &'f mut Vec<ModelFinding>,
    tensor_count: u64,
    parameters: u64,
    dtypes: BTreeSet<String>,
    count_initializers: bool,
}

fn text(message: &Message, start: u64, len: u64) -> Result<String, ProtoError> {
    Ok(String::from_utf8_lossy(&message.bytes(start, len, MAX_STRING)?).into_owned())
}

impl Walker<'_> {
    fn graph(&mut self, mut graph: Message, depth: usize) -> Result<(), ProtoError> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        while let Some(field) = graph.next_field()? {
            let Wire::Bytes { start, len } = field.wire else {
                continue;
            };
            match field.number {
                1 => self.node(graph.nested(start, len), depth + 1)?,
                5 => {
                    self.tensor(graph.nested(start, len), true)?;
                }
                15 => self.sparse(graph.nested(start, len), true)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn node(&mut self, mut node: Message, depth: usize) -> Result<(), ProtoError> {
        while let Some(field) = node.next_field()? {
            if let (5, Wire::Bytes { start, len }) = (field.number, field.wire) {
                self.attribute(node.nested(start, len), depth + 1)?;
            }
        }
        Ok(())
    }

    fn attribute(&mut self, mut attribute: Message, depth: usize) -> Result<(), ProtoError> {
        while let Some(field) = attribute.next_field()? {
            let Wire::Bytes { start, len } = field.wire else {
                continue;
            };
            match field.number {
                5 | 10 => {
                    self.tensor(attribute.nested(start, len), false)?;
                }
                6 | 11 => self.graph(attribute.nested(start, len), depth + 1)?,
                22 | 23 => self.sparse(attribute.nested(start, len), false)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn sparse(&mut self, mut sparse: Message, initializer: bool) -> Result<(), ProtoError> {
        while let Some(field) = sparse.next_field()? {
            if let (1 | 2, Wire::Bytes { start, len }) = (field.number, field.wire) {
                self.tensor(sparse.nested(start, len), initializer && field.number == 1)?;
            }
        }
        Ok(())
    }

    fn tensor(&mut self, mut tensor: Message, initializer: bool) -> Result<(), ProtoError> {
        let mut name = String::new();
        let mut dims: Vec<u64> = Vec::new();
        let mut data_type = None;
        while let Some(field) = tensor.next_field()? {
            match (field.number, field.wire) {
                (1, Wire::Varint(dim)) => dims.push(dim),
                (1, Wire::Bytes { start, len }) => {
                    // Packed repeated dims.
                    let bytes = tensor.bytes(start, len, 1024)?;
                    dims.extend(decode_packed(&bytes));
                }
                (2, Wire::Varint(code)) => data_type = Some(code),
                (8, Wire::Bytes { start, len }) => name = text(&tensor, start, len)?,
                (13, Wire::Bytes { start, len }) => {
                    self.external_entry(&tensor, start, len, &name, field.offset)?
                }
                _ => {}
            }
        }
        if initializer && self.count_initializers {
            self.tensor_count += 1;
            let elements = dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                .unwrap_or(0);
            self.parameters = self.parameters.saturating_add(elements);
            if let Some(code) = data_type {
                self.dtypes.insert(data_type_name(code));
            }
        }
        Ok(())
    }

    fn external_entry(
        &mut self,
        tensor: &Message,
        start: u64,
        len: u64,
        tensor_name: &str,
        offset: u64,
    ) -> Result<(), ProtoError> {
        let mut entry = tensor.nested(start, len);
        let mut key = String::new();
        let mut value = String::new();
        while let Some(field) = entry.next_field()? {
            if let Wire::Bytes { start, len } = field.wire {
                match field.number {
                    1 => key = text(&entry, start, len)?,
                    2 => value = text(&entry, start, len)?,
                    _ => {}
                }
            }
        }
        if key != "location" {
            return Ok(());
        }
        if let Some(why) = location_escape(&value) {
            let shown = printable(value.as_bytes(), 200);
            self.findings.push(
                ModelFinding::new(
                    rules::ONNX_EXTERNAL_DATA_ESCAPE,
                    Severity::High,
                    shown.clone(),
                    format!(
                        "onnx: tensor {:?} loads external data from {shown:?}, which {why}",
                        printable(tensor_name.as_bytes(), 120)
                    ),
                )
                .at(offset),
            );
        }
        Ok(())
    }
}

fn decode_packed(bytes: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut value = 0u64;
    let mut shift = 0;
    for &byte in bytes {
        if shift < 64 {
            value |= u64::from(byte & 0x7f) << shift;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            out.push(value);
            value = 0;
            shift = 0;
        }
    }
    out
}

pub fn analyse(source: &dyn ByteSource, findings: &mut Vec<ModelFinding>) -> ModelMetadata {
    let mut metadata = ModelMetadata::default();
    let mut walker = Walker {
        findings,
        tensor_count: 0,
        parameters: 0,
        dtypes: BTreeSet::new(),
        count_initializers: true,
    };
    let mut model = Message::new(source, 0, source.len());
    let mut opsets = Vec::new();
    let result = (|| -> Result<(), ProtoError> {
        while let Some(field) = model.next_field()? {
            match (field.number, field.wire) {
                (1, Wire::Varint(v)) => {
                    metadata
                        .properties
                        .insert("onnx.ir_version".into(), v.to_string());
                }
                (2, Wire::Bytes { start, len }) => {
                    metadata.architecture =
                        Some(printable(text(&model, start, len)?.as_bytes(), 80));
                }
                (3, Wire::Bytes { start, len }) => {
                    metadata.properties.insert(
                        "onnx.producer_version".into(),
                        printable(text(&model, start, len)?.as_bytes(), 80),
                    );
                }
                (7, Wire::Bytes { start, len }) => walker.graph(model.nested(start, len), 0)?,
                (8, Wire::Bytes { start, len }) => {
                    let mut opset = model.nested(start, len);
                    let mut domain = String::new();
                    let mut version = 0;
                    while let Some(f) = opset.next_field()? {
                        match (f.number, f.wire) {
                            (1, Wire::Bytes { start, len }) => domain = text(&opset, start, len)?,
                            (2, Wire::Varint(v)) => version = v,
                            _ => {}
                        }
                    }
                    opsets.push(format!(
                        "{}:{version}",
                        if domain.is_empty() {
                            "ai.onnx"
                        } else {
                            &domain
                        }
                    ));
                }
                (20, Wire::Bytes { start, len }) => {
                    // TrainingInfoProto: initialization (1) and algorithm (2) graphs.
                    walker.count_initializers = false;
                    let mut training = model.nested(start, len);
                    while let Some(f) = training.next_field()? {
                        if let (1 | 2, Wire::Bytes { start, len }) = (f.number, f.wire) {
                            walker.graph(training.nested(start, len), 1)?;
                        }
                    }
                    walker.count_initializers = true;
                }
                (25, Wire::Bytes { start, len }) => {
                    // FunctionProto nodes (7).
                    let mut function = model.nested(start, len);
                    while let Some(f) = function.next_field()? {
                        if let (7, Wire::Bytes { start, len }) = (f.number, f.wire) {
                            walker.node(function.nested(start, len), 1)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    })();
    if let Err(err) = result {
        walker.findings.push(
            ModelFinding::new(
                rules::MALFORMED,
                Severity::Medium,
                "onnx-parse-error",
                format!("onnx: model does not parse: {err}"),
            )
            .at(err.offset()),
        );
    }
    if !opsets.is_empty() {
        metadata
            .properties
            .insert("onnx.opsets".into(), opsets.join(","));
    }
    metadata.tensor_count = Some(walker.tensor_count);
    metadata.parameter_count = Some(walker.parameters);
    metadata.dtypes = walker.dtypes.into_iter().collect();
    metadata
}
