//! Detection engine of Cordon's `models` stage: finds malicious and
//! malformed ML model artifacts (pickle and PyTorch, NumPy, Keras/HDF5,
//! TensorFlow SavedModel, safetensors, GGUF, ONNX, and the zip, tar, 7z and
//! compressed containers around them), recognised by content,
//! through ranged reads only.
//!
//! Entry point: [`scan`]. A broken file is never clean: parse failures are
//! `models/malformed` or `models/unscannable` findings, reported together
//! with everything found before the break.

mod archive;
mod compressed;
mod cursor;
pub mod detect;
pub mod finding;
mod gguf;
mod hdf5;
pub mod inventory;
mod keras;
mod npy;
mod onnx;
pub mod pickle;
mod protobuf;
pub mod rules;
mod safetensors;
mod savedmodel;
mod sevenz;
pub mod source;
mod tar;
pub mod template;
mod zip;

pub use compressed::Compression;
pub use detect::Detected;
pub use finding::{ModelFinding, Severity};
pub use inventory::{InventoryEntry, ModelFormat, ModelInventory, ModelMetadata};
pub use pickle::policy::{Policy, PolicyError};
pub use rules::{RULES, Rule};
pub use source::{ByteSource, SourceError, Window, sha256_hex};

use std::cell::Cell;
use std::sync::Arc;

/// Bounds on what one scan reads and keeps in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Pickle bytes walked per stream set (bare pickles, members).
    pub max_pickle_bytes: u64,
    pub max_pickle_stack: usize,
    pub max_pickle_memo: usize,
    /// Inflated size of one archive member.
    pub max_member_bytes: u64,
    pub max_archive_entries: usize,
    pub max_archive_directory_bytes: u64,
    /// safetensors' own limit on the JSON header (100 MB).
    pub max_safetensors_header_bytes: u64,
    /// GGUF metadata plus tensor descriptors.
    pub max_gguf_header_bytes: u64,
    /// One GGUF string (chat templates are kept whole up to this).
    pub max_gguf_string_bytes: u64,
    /// Containers inside containers (zip in zip, 7z, compressed layers)
    /// followed this deep; deeper ones are a finding.
    pub max_nesting_depth: usize,
    /// Output of one decompression (a 7z entry, a compressed layer), held
    /// in memory: the stage's sandbox has 1 GiB by default.
    pub max_decompressed_bytes: u64,
    /// Bytes decompressed for nested containers and compressed layers, in
    /// total per top-level file; passing either bound is a finding.
    pub max_total_decompressed_bytes: u64,
    /// Which pickle globals are allowed or denied (the built-in policy
    /// file, optionally extended by the user).
    pub pickle_policy: Arc<Policy>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pickle_bytes: 4 << 30,
            max_pickle_stack: 1 << 20,
            max_pickle_memo: 1 << 20,
            max_member_bytes: 512 << 20,
            max_archive_entries: 100_000,
            max_archive_directory_bytes: 64 << 20,
            max_safetensors_header_bytes: 100_000_000,
            max_gguf_header_bytes: 1 << 30,
            max_gguf_string_bytes: 16 << 20,
            max_nesting_depth: 4,
            max_decompressed_bytes: 256 << 20,
            max_total_decompressed_bytes: 512 << 20,
            pickle_policy: Policy::shared_builtin().clone(),
        }
    }
}

/// The result for one model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelScan {
    pub format: ModelFormat,
    pub findings: Vec<ModelFinding>,
    /// Present for every model file; `sha256` is left for the caller
    /// ([`sha256_hex`]).
    pub inventory: Option<InventoryEntry>,
}

impl ModelScan {
    /// The most severe finding's severity, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Scans one file. `None` when the content is no model format and the name
/// does not claim one (a README, a `.docx`); otherwise the format, the
/// findings and the inventory entry.
pub fn scan(path: &str, source: &dyn ByteSource, limits: &Limits) -> Option<ModelScan> {
    match detect::detect(path, source, limits) {
        Ok(Some(detected)) => scan_detected(path, source, detected, limits),
        Ok(None) => None,
        Err(err) => Some(ModelScan {
            format: ModelFormat::Unrecognised,
            findings: vec![
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "read-failed",
                    format!("could not read the file to detect its format: {err}"),
                )
                .at(err.offset),
            ],
            inventory: None,
        }),
    }
}

/// One file's scan: the limits, how deep inside containers the current
/// file sits, and the decompression budget every level shares.
#[derive(Clone, Copy)]
pub(crate) struct Nest<'l> {
    pub limits: &'l Limits,
    pub depth: usize,
    budget: &'l Cell<u64>,
}

impl Nest<'_> {
    /// Bytes one decompression may still produce.
    pub fn allowance(&self) -> u64 {
        self.limits.max_decompressed_bytes.min(self.budget.get())
    }

    /// Takes `bytes` from the shared budget.
    pub fn charge(&self, bytes: u64) {
        self.budget.set(self.budget.get().saturating_sub(bytes));
    }

    pub fn budget_left(&self) -> u64 {
        self.budget.get()
    }

    pub fn deeper(&self) -> Self {
        Nest {
            depth: self.depth + 1,
            ..*self
        }
    }
}

/// Scans `source` as the given content kind, skipping detection (for
/// callers that already know, and for fuzzing one reader at a time).
pub fn scan_detected(
    path: &str,
    source: &dyn ByteSource,
    detected: Detected,
    limits: &Limits,
) -> Option<ModelScan> {
    let budget = Cell::new(limits.max_total_decompressed_bytes);
    let nest = Nest {
        limits,
        depth: 0,
        budget: &budget,
    };
    scan_nested(path, source, detected, nest)
}

pub(crate) fn scan_nested(
    path: &str,
    source: &dyn ByteSource,
    detected: Detected,
    nest: Nest,
) -> Option<ModelScan> {
    let limits = nest.limits;
    let mut findings = Vec::new();
    let mut metadata = ModelMetadata::default();
    let format = match detected {
        Detected::Pickle => {
            let summary = pickle::analyse(source, None, limits, &mut findings);
            metadata.pickle_globals = summary.globals;
            inventory::note_frameworks(&mut metadata, summary.frameworks);
            metadata
                .properties
                .insert("pickle.streams".into(), summary.streams.to_string());
            if summary.joblib_arrays > 0 {
                metadata
                    .properties
                    .insert("joblib.arrays".into(), summary.joblib_arrays.to_string());
            }
            if summary.legacy_torch {
                metadata
                    .properties
                    .insert("pytorch.legacy".into(), "true".into());
            }
            ModelFormat::Pickle
        }
        Detected::Zip => archive::scan_zip(source, nest, &mut findings, &mut metadata)?,
        Detected::Tar => archive::scan_tar(source, nest, &mut findings, &mut metadata)?,
        Detected::SevenZip => archive::scan_7z(path, source, nest, &mut findings, &mut metadata)?,
        Detected::Compressed(kind) => {
            archive::scan_compressed(path, source, kind, nest, &mut findings, &mut metadata)?
        }
        Detected::Npy => {
            metadata = npy::analyse(source, None, limits, &mut findings);
            ModelFormat::NumpyNpy
        }
        Detected::Hdf5(superblock) => {
            archive::scan_hdf5(source, superblock, &mut findings, &mut metadata);
            ModelFormat::Hdf5
        }
        Detected::SavedModel => {
            metadata = savedmodel::analyse(source, &mut findings);
            ModelFormat::TfSavedModel
        }
        Detected::Safetensors => {
            metadata = safetensors::analyse(source, limits, &mut findings);
            ModelFormat::Safetensors
        }
        Detected::Gguf => {
            metadata = gguf::analyse(source, limits, &mut findings);
            ModelFormat::Gguf
        }
        Detected::Onnx => {
            metadata = onnx::analyse(source, &mut findings);
            ModelFormat::Onnx
        }
        Detected::Unrecognised => {
            // The name alone proves nothing (a text file called
            // `weights.bin`): a low candidate, never a gate failure.
            findings.push(ModelFinding::new(
                rules::MALFORMED,
                Severity::Low,
                "unrecognised-format",
                "file is named like a model but its content matches no model format",
            ));
            ModelFormat::Unrecognised
        }
    };
    let legacy_torch = metadata.properties.contains_key("pytorch.legacy");
    for finding in &mut findings {
        if finding.properties.contains_key("cve") {
            continue;
        }
        if let Some(attack) = rules::known_attack(&finding.rule_id, format, legacy_torch) {
            finding.properties.insert("cve".into(), attack.cve.into());
            finding
                .message
                .push_str(&format!(" [{}: {}]", attack.cve, attack.summary));
        }
    }
    Some(ModelScan {
        format,
        findings,
        inventory: Some(InventoryEntry {
            path: path.to_string(),
            format,
            size: source.len(),
            sha256: None,
            metadata,
        }),
    })
}
