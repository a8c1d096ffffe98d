//! Model containers: recognises the layout of a zip (PyTorch, Keras, NumPy
//! `.npz`, or any zip holding pickles) or a legacy PyTorch tar, and sends
//! each relevant member to its analyser.

use std::collections::BTreeSet;

use crate::Limits;
use crate::finding::ModelFinding;
use crate::hdf5;
use crate::inventory::{ModelFormat, ModelMetadata};
use crate::keras;
use crate::npy;
use crate::pickle;
use crate::source::{ByteSource, Window};
use crate::tar;
use crate::zip::{self, ZipEntry};

/// Members listed in the inventory, at most.
const LISTED_MEMBERS: usize = 256;
/// Deflated members are inflated just to look at their first bytes only up
/// to this compressed size; larger ones are judged by name.
const SNIFF_COMPRESSED: u64 = 1 << 20;

const PICKLE_SUFFIXES: &[&str] = &[
    ".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib", ".dill", ".ckpt",
];

fn is_pickle_start(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x80 && (2..=5).contains(&bytes[1])
}

fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `archive/data/0`: raw tensor storage of a PyTorch zip, never a pickle
/// the loader would read.
fn is_torch_storage(name: &str) -> bool {
    let mut parts = name.rsplit('/');
    let file = parts.next().unwrap_or("");
    parts.next() == Some("data") && !file.is_empty() && file.bytes().all(|b| b.is_ascii_digit())
}

fn layout(entries: &[ZipEntry]) -> Option<ModelFormat> {
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| !n.ends_with('/'))
        .collect();
    if names.iter().any(|n| basename(n) == "data.pkl") {
        return Some(ModelFormat::PytorchZip);
    }
    if names.contains(&"config.json")
        && (names.contains(&"metadata.json") || names.contains(&"model.weights.h5"))
    {
        return Some(ModelFormat::KerasZip);
    }
    if !names.is_empty() && names.iter().all(|n| n.ends_with(".npy")) {
        return Some(ModelFormat::NumpyNpz);
    }
    if names
        .iter()
        .any(|n| PICKLE_SUFFIXES.iter().any(|s| n.ends_with(s)))
    {
        return Some(ModelFormat::ArchiveWithPickles);
    }
    None
}

/// What a member holds, judged by name and first bytes.
enum MemberKind {
    Pickle,
    Npy,
    KerasConfig,
    Skip,
}

fn member_kind(entry: &ZipEntry, layout: Option<ModelFormat>, head: &[u8]) -> MemberKind {
    let name = entry.name.as_str();
    if name.ends_with('/') || is_torch_storage(name) {
        return MemberKind::Skip;
    }
    if layout == Some(ModelFormat::KerasZip) && name == "config.json" {
        return MemberKind::KerasConfig;
    }
    if head.starts_with(npy::MAGIC) || name.ends_with(".npy") {
        return MemberKind::Npy;
    }
    if is_pickle_start(head) || PICKLE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return MemberKind::Pickle;
    }
    MemberKind::Skip
}

/// First bytes of a member for sniffing, without inflating large members.
fn member_head(source: &dyn ByteSource, entry: &ZipEntry) -> Vec<u8> {
    let Some(data_offset) = entry.data_offset else {
        return Vec::new();
    };
    match entry.method {
        0 => source.read_at(data_offset, 8).unwrap_or_default(),
        8 if entry.compressed_size <= SNIFF_COMPRESSED => {
            let compressed = Window::new(source, data_offset, entry.compressed_size);
            let bytes = compressed
                .read_at(0, compressed.len() as usize)
                .unwrap_or_default();
            match miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, 64) {
                Ok(out) => out,
                Err(err) => err.output,
            }
        }
        _ => Vec::new(),
    }
}

/// Scans a zip container. `None` when the archive is readable but holds
/// nothing model-like (a `.docx`, a `.jar`).
pub fn scan_zip(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<ModelFormat> {
    let mut archive_findings = Vec::new();
    let Some(archive) = zip::read_archive(source, limits, &mut archive_findings) else {
        findings.append(&mut archive_findings);
        return Some(ModelFormat::Unrecognised);
    };
    let layout = layout(&archive.entries);
    let mut globals = BTreeSet::new();
    let mut scanned_any = false;
    for entry in &archive.entries {
        let head = member_head(source, entry);
        let kind = member_kind(entry, layout, &head);
        if matches!(kind, MemberKind::Skip) {
            continue;
        }
        scanned_any = true;
        let member = Some(entry.name.as_str());
        let Some(data) = zip::member_data(source, entry, limits, &mut archive_findings) else {
            continue;
        };
        let data = data.source();
        match kind {
            MemberKind::Pickle => {
                let summary = pickle::analyse(data, member, limits, &mut archive_findings);
                globals.extend(summary.globals);
                crate::inventory::note_frameworks(metadata, summary.frameworks);
            }
            MemberKind::Npy => {
                let array = npy::analyse(data, member, limits, &mut archive_findings);
                metadata.dtypes.extend(array.dtypes);
                metadata.tensor_count = Some(metadata.tensor_count.unwrap_or(0) + 1);
                if let Some(n) = array.parameter_count {
                    metadata.parameter_count =
                        Some(metadata.parameter_count.unwrap_or(0).saturating_add(n));
                }
            }
            MemberKind::KerasConfig => match data
                .read_at(0, data.len().min(limits.max_member_bytes) as usize)
            {
                Ok(json) => {
                    metadata.architecture =
                        keras::analyse_config(&json, "config.json", member, &mut archive_findings);
                }
                Err(err) => archive_findings.push(
                    ModelFinding::new(
                        crate::rules::UNSCANNABLE,
                        crate::finding::Severity::Medium,
                        "zip-read-failed",
                        format!("zip: {err}"),
                    )
                    .in_member(member),
                ),
            },
            MemberKind::Skip => {}
        }
    }
    let format = layout.or(scanned_any.then_some(ModelFormat::ArchiveWithPickles))?;
    findings.append(&mut archive_findings);
    metadata.dtypes.sort();
    metadata.dtypes.dedup();
    metadata.pickle_globals = globals.into_iter().collect();
    metadata.members = archive
        .entries
        .iter()
        .take(LISTED_MEMBERS)
        .map(|e| e.name.clone())
        .collect();
    if format == ModelFormat::PytorchZip {
        let storages = archive
            .entries
            .iter()
            .filter(|e| is_torch_storage(&e.name))
            .count();
        metadata
            .properties
            .insert("pytorch.storages".into(), storages.to_string());
    }
    Some(format)
}

/// Scans a tar archive; `None` when it holds no pickles.
pub fn scan_tar(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<ModelFormat> {
    let mut tar_findings = Vec::new();
    let entries = tar::entries(source, limits, &mut tar_findings);
    let torch_layout = entries.iter().any(|e| basename(&e.name) == "pickle")
        && entries.iter().any(|e| basename(&e.name) == "storages");
    let mut globals = BTreeSet::new();
    let mut scanned_any = false;
    for entry in &entries {
        let data = Window::new(source, entry.data_offset, entry.size);
        let head = data.read_at(0, 2).unwrap_or_default();
        let by_name = PICKLE_SUFFIXES.iter().any(|s| entry.name.ends_with(s))
            || (torch_layout
                && matches!(
                    basename(&entry.name),
                    "pickle" | "sys_info" | "storages" | "tensors"
                ));
        if !(is_pickle_start(&head) || by_name) {
            continue;
        }
        scanned_any = true;
        let summary = pickle::analyse(&data, Some(&entry.name), limits, &mut tar_findings);
        globals.extend(summary.globals);
        crate::inventory::note_frameworks(metadata, summary.frameworks);
    }
    if !(torch_layout || scanned_any) {
        return None;
    }
    findings.append(&mut tar_findings);
    metadata.pickle_globals = globals.into_iter().collect();
    metadata.members = entries
        .iter()
        .take(LISTED_MEMBERS)
        .map(|e| e.name.clone())
        .collect();
    Some(if torch_layout {
        ModelFormat::PytorchTar
    } else {
        ModelFormat::ArchiveWithPickles
    })
}

/// Scans an HDF5 file (Keras `.h5`).
pub fn scan_hdf5(
    source: &dyn ByteSource,
    superblock: u64,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) {
    let summary = hdf5::analyse(source, superblock, findings);
    metadata.architecture = summary.keras_model;
    metadata.properties.insert(
        "hdf5.model_config".into(),
        summary.has_model_config.to_string(),
    );
}
