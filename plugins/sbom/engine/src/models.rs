//! ML model files as CycloneDX `machine-learning-model` components.
//!
//! Facts come from the `models` stage's `model-inventory` artifact when the
//! pipeline has one; otherwise the caller describes each model file it
//! found ([`looks_like_model_file`]) with at least its path, size and hash.

use std::collections::BTreeMap;

use packageurl::PackageUrl;
use serde::Deserialize;

use crate::SbomError;
use crate::bom::{Component, ComponentType, Hash, ModelCard, ModelParameters, Property};

/// One model file, shaped like an entry of the `model-inventory` artifact
/// (unknown fields are ignored, so newer inventories still load).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ModelEntry {
    /// Workspace-relative path with `/` separators.
    pub path: String,
    /// Format detected from content (`gguf`, `safetensors`, `pytorch-zip`, ...).
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    /// Lower-case hex SHA-256 of the whole file.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub metadata: ModelFacts,
}

/// Format facts of a model file; each is present only when the format
/// declares it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ModelFacts {
    #[serde(default)]
    pub tensor_count: Option<u64>,
    #[serde(default)]
    pub parameter_count: Option<u64>,
    #[serde(default)]
    pub dtypes: Vec<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub quantization: Option<String>,
    #[serde(default)]
    pub context_length: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    /// Other declared key/value facts.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

impl ModelEntry {
    /// A model file known only by path, size and hash (no inventory).
    pub fn from_file(path: impl Into<String>, size: u64, sha256: Option<String>) -> Self {
        ModelEntry {
            path: path.into(),
            size: Some(size),
            sha256,
            ..ModelEntry::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum InventoryDocument {
    Wrapped { models: Vec<ModelEntry> },
    Bare(Vec<ModelEntry>),
}

/// Reads the `model-inventory` artifact (`{"version": 1, "models": [...]}`,
/// or a bare array of entries).
pub fn parse_model_inventory(bytes: &[u8]) -> Result<Vec<ModelEntry>, SbomError> {
    let document: InventoryDocument = serde_json::from_slice(bytes).map_err(|err| {
        SbomError::ModelInventory(format!(
            "line {} column {}: {err}",
            err.line(),
            err.column()
        ))
    })?;
    Ok(match document {
        InventoryDocument::Wrapped { models } | InventoryDocument::Bare(models) => models,
    })
}

/// File extensions of the model formats the SBOM inventories.
const MODEL_EXTENSIONS: &[&str] = &[
    "safetensors",
    "gguf",
    "onnx",
    "pt",
    "pth",
    "bin",
    "h5",
    "keras",
    "npz",
];

/// Whether a path names a model file by its extension (case-insensitive).
pub fn looks_like_model_file(path: &str) -> bool {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file_name.rsplit_once('.').is_some_and(|(stem, extension)| {
        !stem.is_empty()
            && MODEL_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
    })
}

pub fn bom_ref(model: &ModelEntry) -> String {
    format!("model:{}", model.path)
}

pub fn component(model: &ModelEntry) -> Component {
    let file_name = model.path.rsplit('/').next().unwrap_or(&model.path);
    let mut component = Component::new(ComponentType::MachineLearningModel, file_name);
    component.bom_ref = Some(bom_ref(model));
    let sha256 = model
        .sha256
        .as_deref()
        .map(str::to_ascii_lowercase)
        .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    component.purl = generic_purl(file_name, sha256.as_deref());
    if let Some(hex) = &sha256 {
        component.hashes.push(Hash {
            alg: "SHA-256",
            content: hex.clone(),
        });
    }

    let facts = &model.metadata;
    let mut properties = vec![Property::new("cordon:model:path", &model.path)];
    if let Some(format) = &model.format {
        properties.push(Property::new("cordon:model:format", format));
    }
    if let Some(size) = model.size {
        properties.push(Property::new("cordon:model:size", size.to_string()));
    }
    if let Some(name) = &facts.name {
        properties.push(Property::new("cordon:model:name", name));
    }
    for (key, value) in &facts.properties {
        properties.push(Property::new(format!("cordon:model:meta:{key}"), value));
    }
    properties.sort();
    component.properties = properties;
    component.model_card = model_card(facts);
    component
}

/// A model card when the file declares any architecture or tensor facts.
fn model_card(facts: &ModelFacts) -> Option<ModelCard> {
    let mut properties = Vec::new();
    let numbers = [
        ("cordon:model:tensor_count", facts.tensor_count),
        ("cordon:model:parameter_count", facts.parameter_count),
        ("cordon:model:context_length", facts.context_length),
    ];
    for (name, value) in numbers {
        if let Some(value) = value {
            properties.push(Property::new(name, value.to_string()));
        }
    }
    if let Some(quantization) = &facts.quantization {
        properties.push(Property::new("cordon:model:quantization", quantization));
    }
    if !facts.dtypes.is_empty() {
        let mut dtypes = facts.dtypes.clone();
        dtypes.sort();
        dtypes.dedup();
        properties.push(Property::new("cordon:model:dtypes", dtypes.join(",")));
    }
    let model_parameters = facts
        .architecture
        .as_ref()
        .map(|architecture| ModelParameters {
            architecture_family: Some(architecture.clone()),
            model_architecture: None,
        });
    properties.sort();
    (model_parameters.is_some() || !properties.is_empty()).then_some(ModelCard {
        model_parameters,
        properties,
    })
}

/// `pkg:generic/<file name>?checksum=sha256:<hex>`: a model file has no
/// registry coordinates, so its content hash is its identity.
fn generic_purl(file_name: &str, sha256: Option<&str>) -> Option<String> {
    let mut purl = PackageUrl::new("generic", file_name).ok()?;
    if let Some(hex) = sha256 {
        purl.add_qualifier("checksum", format!("sha256:{hex}"))
            .ok()?;
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_extensions() {
        for path in [
            "m/model.safetensors",
            "llama.Q4_K_M.GGUF",
            "a/b.onnx",
            "w.pt",
            "w.pth",
            "pytorch_model.bin",
            "m.h5",
            "m.keras",
            "arr.npz",
        ] {
            assert!(looks_like_model_file(path), "{path}");
        }
        for path in [
            "README.md",
            ".safetensors",
            "bin",
            "model.safetensors.txt",
            "dir.onnx/notes",
        ] {
            assert!(!looks_like_model_file(path), "{path}");
        }
    }

    #[test]
    fn inventory_tolerates_unknown_fields_and_both_shapes() {
        let wrapped = br#"{"version": 1, "models": [{"path": "m.gguf", "format": "gguf", "size": 10,
            "sha256": "AB", "metadata": {"architecture": "llama", "future_field": [1]}, "extra": true}]}"#;
        let models = parse_model_inventory(wrapped).unwrap();
        assert_eq!(models[0].metadata.architecture.as_deref(), Some("llama"));
        let bare =
            br#"[{"path": "w.safetensors", "format": "safetensors", "size": 3, "metadata": {}}]"#;
        assert_eq!(parse_model_inventory(bare).unwrap()[0].size, Some(3));
        let err = parse_model_inventory(b"{\"models\": [{\"size\": 1}]}").unwrap_err();
        assert!(err.to_string().contains("model inventory"), "{err}");
    }

    #[test]
    fn model_card_only_with_facts() {
        let bare = ModelEntry::from_file("models/w.bin", 12, None);
        let plain = component(&bare);
        assert!(plain.model_card.is_none());
        assert!(plain.hashes.is_empty());
        assert_eq!(plain.purl.as_deref(), Some("pkg:generic/w.bin"));

        let mut gguf = ModelEntry::from_file("m/llama.gguf", 99, Some("A".repeat(64)));
        gguf.metadata.architecture = Some("llama".into());
        gguf.metadata.context_length = Some(4096);
        let described = component(&gguf);
        let card = described.model_card.expect("facts give a model card");
        assert_eq!(
            card.model_parameters
                .unwrap()
                .architecture_family
                .as_deref(),
            Some("llama")
        );
        assert_eq!(card.properties[0].value, "4096");
        assert_eq!(described.hashes[0].content, "a".repeat(64));
    }
}
