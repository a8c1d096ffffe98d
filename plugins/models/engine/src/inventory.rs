//! The `model-inventory` artifact: one entry per model file, written by the
//! models stage and read by the SBOM stage for ML-BOM entries. This module
//! depends on serde only, so other engines can use it as the shared schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Name of the artifact the stage writes.
pub const INVENTORY_ARTIFACT: &str = "model-inventory";
/// Media type of the artifact's bytes (JSON of [`ModelInventory`]).
pub const INVENTORY_MEDIA_TYPE: &str = "application/json";

/// Model formats, as recognised from file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFormat {
    /// A bare pickle stream (also behind `.pt`, `.bin`, `.pkl`, `.joblib`).
    Pickle,
    /// `torch.save` zip archive (`archive/data.pkl` + tensor storages).
    PytorchZip,
    /// Legacy `torch.save` tar archive (`sys_info`, `pickle`, `storages`, `tensors`).
    PytorchTar,
    NumpyNpy,
    NumpyNpz,
    /// Keras v3 `.keras` zip (`config.json`, `model.weights.h5`).
    KerasZip,
    /// HDF5 file (Keras `.h5` models carry a `model_config` attribute).
    Hdf5,
    /// TensorFlow `saved_model.pb`.
    TfSavedModel,
    Safetensors,
    Gguf,
    Onnx,
    /// A zip or tar archive that holds pickle members but is no known model layout.
    ArchiveWithPickles,
    /// A file named like a model whose content matches no model format.
    Unrecognised,
}

impl ModelFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelFormat::Pickle => "pickle",
            ModelFormat::PytorchZip => "pytorch-zip",
            ModelFormat::PytorchTar => "pytorch-tar",
            ModelFormat::NumpyNpy => "numpy-npy",
            ModelFormat::NumpyNpz => "numpy-npz",
            ModelFormat::KerasZip => "keras-zip",
            ModelFormat::Hdf5 => "hdf5",
            ModelFormat::TfSavedModel => "tf-saved-model",
            ModelFormat::Safetensors => "safetensors",
            ModelFormat::Gguf => "gguf",
            ModelFormat::Onnx => "onnx",
            ModelFormat::ArchiveWithPickles => "archive-with-pickles",
            ModelFormat::Unrecognised => "unrecognised",
        }
    }
}

impl std::fmt::Display for ModelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Format-specific facts; every field is optional because formats differ
/// in what they declare.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor_count: Option<u64>,
    /// Sum over tensors of the product of their shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_count: Option<u64>,
    /// Distinct tensor element types, sorted (`F16`, `Q4_K`, `<f4`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dtypes: Vec<String>,
    /// e.g. GGUF `general.architecture`, ONNX producer, Keras model class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// e.g. GGUF `general.file_type` as a name (`Q4_K_M`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Archive members, for zip and tar containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Imported globals of pickle streams, `module.name`, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pickle_globals: Vec<String>,
    /// Other declared key/value facts (safetensors `__metadata__`, GGUF
    /// `general.*` strings, ONNX opset, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// One model file of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// Workspace-relative path with `/` separators.
    pub path: String,
    pub format: ModelFormat,
    pub size: u64,
    /// Lowercase hex SHA-256 of the whole file, when computed
    /// (see [`crate::source::sha256_hex`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub metadata: ModelMetadata,
}

/// The artifact document: all model files of one run, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInventory {
    /// Schema version of this document.
    pub version: u32,
    pub models: Vec<InventoryEntry>,
}

impl ModelInventory {
    pub const VERSION: u32 = 1;

    pub fn new(mut models: Vec<InventoryEntry>) -> Self {
        models.sort_by(|a, b| a.path.cmp(&b.path));
        ModelInventory {
            version: Self::VERSION,
            models,
        }
    }
}

/// Records the frameworks a file's pickles belong to as the inventory fact
/// `pickle.frameworks` (comma-separated, sorted), merging with earlier ones.
pub fn note_frameworks(metadata: &mut ModelMetadata, frameworks: impl IntoIterator<Item = String>) {
    let mut all: std::collections::BTreeSet<String> = metadata
        .properties
        .get("pickle.frameworks")
        .map(|list| list.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    all.extend(frameworks);
    all.remove("");
    if !all.is_empty() {
        let joined = all.into_iter().collect::<Vec<_>>().join(",");
        metadata
            .properties
            .insert("pickle.frameworks".into(), joined);
    }
}
