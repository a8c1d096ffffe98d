//! TensorFlow SavedModel (`saved_model.pb`): lists the ops of every graph
//! and function and reports those that touch files or call into Python.

use std::collections::BTreeSet;

use crate::finding::{ModelFinding, Severity, printable};
use crate::inventory::ModelMetadata;
use crate::protobuf::{Message, ProtoError, Wire};
use crate::rules;
use crate::source::ByteSource;

/// Ops that run Python callbacks registered in the loading process.
const PYTHON_OPS: &[&str] = &["PyFunc", "PyFuncStateless", "EagerPyFunc"];
/// Ops that read, write or list files, or map them into memory.
const FILE_OPS: &[&str] = &["ReadFile", "WriteFile", "MatchingFiles", "ImmutableConst"];
/// Ops that create files as a side effect of running the graph.
const SIDE_EFFECT_OPS: &[&str] = &["CreateSummaryFileWriter", "CreateSummaryDbWriter"];

fn risk(op: &str) -> Option<(Severity, &'static str)> {
    if PYTHON_OPS.contains(&op) {
        Some((Severity::Critical, "calls back into Python"))
    } else if FILE_OPS.contains(&op) {
        Some((Severity::High, "reads or writes files"))
    } else if SIDE_EFFECT_OPS.contains(&op) {
        Some((Severity::Medium, "creates files"))
    } else {
        None
    }
}

/// Whether the content is a SavedModel proto: schema version 1, then a
/// MetaGraphDef.
pub fn looks_like_saved_model(source: &dyn ByteSource) -> bool {
    let mut message = Message::new(source, 0, source.len());
    let Ok(Some(first)) = message.next_field() else {
        return false;
    };
    if !(first.number == 1 && matches!(first.wire, Wire::Varint(1))) {
        return false;
    }
    let Ok(Some(second)) = message.next_field() else {
        return false;
    };
    let Wire::Bytes { start, len } = second.wire else {
        return false;
    };
    if second.number != 2 {
        return false;
    }
    let mut meta = message.nested(start, len);
    matches!(meta.next_field(), Ok(Some(f)) if (1..=7).contains(&f.number) && matches!(f.wire, Wire::Bytes { .. }))
}

struct Walker<'f> {
    findings: &'f mut Vec<ModelFinding>,
    ops: BTreeSet<String>,
}

impl Walker<'_> {
    fn graph(&mut self, mut graph: Message) -> Result<(), ProtoError> {
        while let Some(field) = graph.next_field()? {
            let Wire::Bytes { start, len } = field.wire else {
                continue;
            };
            match field.number {
                1 => self.node(graph.nested(start, len), None)?,
                2 => self.library(graph.nested(start, len))?,
                _ => {}
            }
        }
        Ok(())
    }

    fn library(&mut self, mut library: Message) -> Result<(), ProtoError> {
        while let Some(field) = library.next_field()? {
            if let (1, Wire::Bytes { start, len }) = (field.number, field.wire) {
                self.function(library.nested(start, len))?;
            }
        }
        Ok(())
    }

    fn function(&mut self, mut function: Message) -> Result<(), ProtoError> {
        let mut name = None;
        let mut nodes = Vec::new();
        while let Some(field) = function.next_field()? {
            let Wire::Bytes { start, len } = field.wire else {
                continue;
            };
            match field.number {
                // OpDef signature: its name (1) is the function's name.
                1 => {
                    let mut signature = function.nested(start, len);
                    while let Some(f) = signature.next_field()? {
                        if let (1, Wire::Bytes { start, len }) = (f.number, f.wire) {
                            name = Some(
                                String::from_utf8_lossy(&signature.bytes(start, len, 256)?)
                                    .into_owned(),
                            );
                        }
                    }
                }
                3 => nodes.push((start, len)),
                _ => {}
            }
        }
        for (start, len) in nodes {
            self.node(function.nested(start, len), name.as_deref())?;
        }
        Ok(())
    }

    fn node(&mut self, mut node: Message, function: Option<&str>) -> Result<(), ProtoError> {
        let mut name = String::new();
        let mut op = None;
        while let Some(field) = node.next_field()? {
            let Wire::Bytes { start, len } = field.wire else {
                continue;
            };
            match field.number {
                1 => name = String::from_utf8_lossy(&node.bytes(start, len, 256)?).into_owned(),
                2 => {
                    op = Some((
                        String::from_utf8_lossy(&node.bytes(start, len, 256)?).into_owned(),
                        field.offset,
                    ))
                }
                _ => {}
            }
        }
        let Some((op, offset)) = op else {
            return Ok(());
        };
        if let Some((severity, why)) = risk(&op) {
            let place = match function {
                Some(function) => format!(
                    "node {:?} of function {:?}",
                    printable(name.as_bytes(), 120),
                    printable(function.as_bytes(), 120)
                ),
                None => format!("node {:?}", printable(name.as_bytes(), 120)),
            };
            self.findings.push(
                ModelFinding::new(
                    rules::SAVEDMODEL_RISKY_OP,
                    severity,
                    op.clone(),
                    format!("savedmodel: {place} runs op {op}, which {why}"),
                )
                .at(offset),
            );
        }
        self.ops.insert(printable(op.as_bytes(), 80));
        Ok(())
    }
}

pub fn analyse(source: &dyn ByteSource, findings: &mut Vec<ModelFinding>) -> ModelMetadata {
    let mut metadata = ModelMetadata::default();
    let mut walker = Walker {
        findings,
        ops: BTreeSet::new(),
    };
    let mut saved_model = Message::new(source, 0, source.len());
    let mut meta_graphs = 0u64;
    let result = (|| -> Result<(), ProtoError> {
        while let Some(field) = saved_model.next_field()? {
            let (2, Wire::Bytes { start, len }) = (field.number, field.wire) else {
                continue;
            };
            meta_graphs += 1;
            let mut meta_graph = saved_model.nested(start, len);
            while let Some(f) = meta_graph.next_field()? {
                if let (2, Wire::Bytes { start, len }) = (f.number, f.wire) {
                    walker.graph(meta_graph.nested(start, len))?;
                }
            }
        }
        Ok(())
    })();
    if let Err(err) = result {
        walker.findings.push(
            ModelFinding::new(
                rules::MALFORMED,
                Severity::Medium,
                "savedmodel-parse-error",
                format!("savedmodel: graph does not parse: {err}"),
            )
            .at(err.offset()),
        );
    }
    metadata
        .properties
        .insert("savedmodel.meta_graphs".into(), meta_graphs.to_string());
    metadata.properties.insert(
        "savedmodel.distinct_ops".into(),
        walker.ops.len().to_string(),
    );
    metadata
}
