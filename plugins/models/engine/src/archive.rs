//! Model containers: recognises the layout of a zip (PyTorch, Keras, NumPy
//! `.npz`, or any zip holding pickles) or a legacy PyTorch tar, and sends
//! each relevant member to its analyser.

use std::collections::BTreeSet;

use crate::compressed::{self, Compression};
use crate::detect;
use crate::finding::{ModelFinding, Severity};
use crate::hdf5;
use crate::inventory::{ModelFormat, ModelMetadata};
use crate::keras;
use crate::npy;
use crate::pickle;
use crate::rules;
use crate::sevenz;
use crate::source::{ByteSource, Window};
use crate::tar;
use crate::zip::{self, ZipEntry};
use crate::{Limits, ModelScan, Nest};

/// Members listed in the inventory, at most.
const LISTED_MEMBERS: usize = 256;

/// Member names that only pickles use.
const PICKLE_SUFFIXES: &[&str] = &[
    ".pkl", ".pickle", ".pt", ".pth", ".joblib", ".dill", ".ckpt",
];

/// `.bin` is also firmware and test data: a `.bin` member whose first
/// bytes are no pickle header goes through content detection, like a
/// top-level `.bin` (a pickle only if it parses or imports something).
fn is_generic_bin(name: &str) -> bool {
    name.ends_with(".bin")
}

/// Bytes of a member looked at to tell what it holds (a tar header is 512).
const SNIFF_BYTES: usize = 512;

/// A member that is itself a container or a compressed stream: followed
/// as its own file, never read as a pickle.
fn is_container_start(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || head.starts_with(sevenz::MAGIC)
        || tar::looks_like_tar(head)
        || compressed::sniff(head).is_some()
}

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
    Nested,
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
    if is_container_start(head) || (is_generic_bin(name) && !is_pickle_start(head)) {
        return MemberKind::Nested;
    }
    if head.starts_with(npy::MAGIC) || name.ends_with(".npy") {
        return MemberKind::Npy;
    }
    if is_pickle_start(head) || PICKLE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return MemberKind::Pickle;
    }
    MemberKind::Skip
}

/// First bytes of a member for sniffing, inflating only as far as they need.
fn member_head(source: &dyn ByteSource, entry: &ZipEntry) -> Vec<u8> {
    let Some(data_offset) = entry.data_offset else {
        return Vec::new();
    };
    match entry.method {
        0 => source.read_at(data_offset, SNIFF_BYTES).unwrap_or_default(),
        // Inflate just the first bytes, streaming: however large the
        // member, only the compressed bytes they need are read.
        8 => {
            let compressed = Window::new(source, data_offset, entry.compressed_size);
            let reader = std::io::BufReader::with_capacity(
                8 * 1024,
                crate::source::SourceReader::new(&compressed),
            );
            let mut head = Vec::with_capacity(SNIFF_BYTES);
            let _ = std::io::Read::read_to_end(
                &mut std::io::Read::take(
                    flate2::read::DeflateDecoder::new(reader),
                    SNIFF_BYTES as u64,
                ),
                &mut head,
            );
            head
        }
        _ => Vec::new(),
    }
}

/// Scans a zip container. `None` when the archive is readable but holds
/// nothing model-like (a `.docx`, a `.jar`).
pub fn scan_zip(
    source: &dyn ByteSource,
    nest: Nest,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<ModelFormat> {
    let limits = nest.limits;
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
        let member = Some(entry.name.as_str());
        // A nested container is inflated within the shared decompression
        // budget, so containers inside containers stay bounded in total.
        let nested_limits;
        let member_limits = if matches!(kind, MemberKind::Nested) && entry.method != 0 {
            nested_limits = Limits {
                max_member_bytes: limits.max_member_bytes.min(nest.allowance()),
                ..limits.clone()
            };
            &nested_limits
        } else {
            limits
        };
        let Some(data) = zip::member_data(source, entry, member_limits, &mut archive_findings)
        else {
            scanned_any = true;
            continue;
        };
        let data = data.source();
        if matches!(kind, MemberKind::Nested) {
            if entry.method != 0 {
                nest.charge(data.len());
            }
            if scan_member(&entry.name, data, nest, &mut archive_findings, metadata).is_some() {
                scanned_any = true;
            }
            continue;
        }
        scanned_any = true;
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
            MemberKind::Skip | MemberKind::Nested => {}
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
    nest: Nest,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<ModelFormat> {
    let limits = nest.limits;
    let mut tar_findings = Vec::new();
    let entries = tar::entries(source, limits, &mut tar_findings);
    let torch_layout = entries.iter().any(|e| basename(&e.name) == "pickle")
        && entries.iter().any(|e| basename(&e.name) == "storages");
    let mut globals = BTreeSet::new();
    let mut scanned_any = false;
    for entry in &entries {
        let data = Window::new(source, entry.data_offset, entry.size);
        let head = data.read_at(0, SNIFF_BYTES).unwrap_or_default();
        if is_container_start(&head) || (is_generic_bin(&entry.name) && !is_pickle_start(&head)) {
            if scan_member(&entry.name, &data, nest, &mut tar_findings, metadata).is_some() {
                scanned_any = true;
            }
            continue;
        }
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

/// Scans `data`, a member of the current container, as a file of its own
/// (zip in zip, a `.pt` inside a 7z, a decompressed layer). Its findings
/// are attributed to `outer!/inner` member paths. Returns the member's
/// format and metadata, `None` when it is no model (`Unrecognised` when it
/// had to be reported without being read).
fn scan_member(
    name: &str,
    data: &dyn ByteSource,
    nest: Nest,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<(ModelFormat, ModelMetadata)> {
    if nest.depth >= nest.limits.max_nesting_depth {
        findings.push(
            ModelFinding::new(
                rules::UNSCANNABLE,
                Severity::High,
                "nesting-depth-limit",
                format!(
                    "container nested more than {} levels deep was not opened; a loader would open it",
                    nest.limits.max_nesting_depth
                ),
            )
            .in_member(Some(name)),
        );
        return Some((ModelFormat::Unrecognised, ModelMetadata::default()));
    }
    let detected = match detect::detect(name, data, nest.limits) {
        Ok(Some(detected)) => detected,
        Ok(None) => return None,
        Err(err) => {
            findings.push(
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "read-failed",
                    format!("could not read the nested file: {err}"),
                )
                .in_member(Some(name)),
            );
            return Some((ModelFormat::Unrecognised, ModelMetadata::default()));
        }
    };
    let scan = crate::scan_nested(name, data, detected, nest.deeper())?;
    let format = scan.format;
    let inner = scan
        .inventory
        .as_ref()
        .map(|entry| entry.metadata.clone())
        .unwrap_or_default();
    merge_nested(name, scan, findings, metadata);
    Some((format, inner))
}

/// Folds a nested file's results into its container's.
fn merge_nested(
    name: &str,
    scan: ModelScan,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) {
    for mut finding in scan.findings {
        finding.member = Some(match finding.member.take() {
            Some(inner) => format!("{name}!/{inner}"),
            None => name.to_string(),
        });
        findings.push(finding);
    }
    let Some(inner) = scan.inventory else {
        return;
    };
    let mut globals: BTreeSet<String> = metadata.pickle_globals.drain(..).collect();
    globals.extend(inner.metadata.pickle_globals);
    metadata.pickle_globals = globals.into_iter().collect();
    if let Some(frameworks) = inner.metadata.properties.get("pickle.frameworks") {
        crate::inventory::note_frameworks(
            metadata,
            frameworks
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
    }
    let nested = metadata
        .properties
        .entry("nested.formats".into())
        .or_default();
    let format = inner.format.as_str();
    if !nested.split(',').any(|f| f == format) {
        if !nested.is_empty() {
            nested.push(',');
        }
        nested.push_str(format);
    }
}

/// Scans a 7z archive entry by entry; `None` when it holds no model.
pub fn scan_7z(
    path: &str,
    source: &dyn ByteSource,
    nest: Nest,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<ModelFormat> {
    let mut archive_findings = Vec::new();
    let mut names = Vec::new();
    let mut any_model = false;
    let mut any_problem = false;
    let result = sevenz::each_entry(
        source,
        nest.limits.max_archive_entries,
        || nest.allowance(),
        |name, entry| {
            names.push(name.to_string());
            nest.charge(entry.bytes.len() as u64);
            if entry.limit_hit {
                any_problem = true;
                archive_findings.push(budget_finding(name, nest, "7z entry"));
            }
            if let Some(err) = &entry.error {
                any_problem = true;
                archive_findings.push(
                    ModelFinding::new(
                        rules::MALFORMED,
                        Severity::High,
                        "7z-entry-broken",
                        format!(
                            "7z: entry could not be fully decompressed ({err}); the rest of the archive was not checked"
                        ),
                    )
                    .in_member(Some(name)),
                );
            }
            if scan_member(name, &entry.bytes, nest, &mut archive_findings, metadata).is_some() {
                any_model = true;
            }
            true
        },
    );
    if let Err(err) = result {
        // Encrypted, corrupt or unsupported: nothing inside could be seen.
        any_problem = true;
        archive_findings.push(ModelFinding::new(
            rules::UNSCANNABLE,
            Severity::High,
            "7z-unreadable",
            format!("7z: archive could not be read ({err}); its entries were not checked"),
        ));
    }
    let format = if any_model {
        ModelFormat::ArchiveWithPickles
    } else if any_problem {
        // Nothing model-like in what could be read. High when the name
        // claims a model (nullifAI's `.pt` in 7z); for any other 7z a
        // medium note that part of it was not checked.
        if !detect::is_model_named(path) {
            for finding in &mut archive_findings {
                finding.severity = finding.severity.min(Severity::Medium);
            }
        }
        ModelFormat::Unrecognised
    } else {
        return None;
    };
    findings.append(&mut archive_findings);
    metadata.members = names.into_iter().take(LISTED_MEMBERS).collect();
    metadata.properties.insert("container".into(), "7z".into());
    Some(format)
}

/// Scans a compressed file by scanning what it decompresses to.
pub fn scan_compressed(
    path: &str,
    source: &dyn ByteSource,
    kind: Compression,
    nest: Nest,
    findings: &mut Vec<ModelFinding>,
    metadata: &mut ModelMetadata,
) -> Option<ModelFormat> {
    let inner_name = compressed::inner_name(path);
    let inner_name = inner_name
        .rsplit('/')
        .next()
        .unwrap_or(&inner_name)
        .to_string();
    let out = compressed::decompress(kind, source, nest.allowance());
    nest.charge(out.bytes.len() as u64);
    let mut layer_findings = Vec::new();
    if out.limit_hit {
        layer_findings.push(budget_finding(&inner_name, nest, kind.name()));
    }
    if let Some(err) = &out.error {
        layer_findings.push(
            ModelFinding::new(
                rules::MALFORMED,
                Severity::Medium,
                "compressed-stream-broken",
                format!(
                    "{}: stream breaks after {} bytes ({err}); a loader stops there too",
                    kind.name(),
                    out.bytes.len()
                ),
            )
            .in_member(Some(&inner_name)),
        );
    }
    let inner = scan_member(&inner_name, &out.bytes, nest, &mut layer_findings, metadata);
    let Some((format, inner_metadata)) = inner else {
        if detect::is_model_named(path) || detect::is_model_named(&inner_name) {
            findings.append(&mut layer_findings);
            findings.push(
                ModelFinding::new(
                    rules::MALFORMED,
                    Severity::Low,
                    "unrecognised-format",
                    format!(
                        "file is named like a model and {}-compressed, but what it decompresses to matches no model format",
                        kind.name()
                    ),
                )
                .in_member(Some(&inner_name)),
            );
            return Some(ModelFormat::Unrecognised);
        }
        if out.limit_hit {
            // No model in the part that was read (a large `.tar.gz`), but
            // the rest was not checked: said, not silently dropped, and not
            // a gate failure on its own.
            for finding in &mut layer_findings {
                finding.severity = finding.severity.min(Severity::Medium);
            }
            findings.append(&mut layer_findings);
            return Some(ModelFormat::Unrecognised);
        }
        // A compressed archive of anything but models (`sources.tar.gz`).
        return None;
    };
    findings.append(&mut layer_findings);
    // The file is its decompressed content: its format and metadata.
    *metadata = inner_metadata;
    metadata
        .properties
        .insert("compression".into(), kind.name().into());
    Some(format)
}

fn budget_finding(member: &str, nest: Nest, what: &str) -> ModelFinding {
    ModelFinding::new(
        rules::UNSCANNABLE,
        Severity::High,
        "decompressed-size-limit",
        format!(
            "{what} decompresses past the scan bound ({} bytes per stream, {} bytes left of the per-file total); \
             only the first part was checked and a loader reads on",
            nest.limits.max_decompressed_bytes,
            nest.budget_left()
        ),
    )
    .in_member(Some(member))
}
