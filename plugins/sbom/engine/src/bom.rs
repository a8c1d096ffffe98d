//! Typed CycloneDX 1.6 JSON, limited to what Cordon writes.
//!
//! The `cyclonedx-bom` crate writes spec 1.3-1.5 only, so the 1.6 document
//! is modelled here. Field order follows the specification's examples, and
//! every collection is a `Vec` the builder sorts, so serialisation is
//! deterministic.

use serde::Serialize;

pub const BOM_FORMAT: &str = "CycloneDX";
pub const SPEC_VERSION: &str = "1.6";
pub const SCHEMA_URL: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub bom_format: &'static str,
    pub spec_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    pub version: u32,
    pub metadata: Metadata,
    pub components: Vec<Component>,
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub lifecycles: Vec<Lifecycle>,
    pub tools: Tools,
    pub component: Component,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lifecycle {
    pub phase: &'static str,
}

/// The 1.5+ form of `metadata.tools` (the 1.4 array form is deprecated).
#[derive(Debug, Clone, Serialize)]
pub struct Tools {
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentType {
    Application,
    Library,
    MachineLearningModel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Required,
    Optional,
}

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    #[serde(rename = "type")]
    pub kind: ComponentType,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    #[serde(rename = "modelCard", skip_serializing_if = "Option::is_none")]
    pub model_card: Option<ModelCard>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// Workspace members nested under the root component.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

impl Component {
    pub fn new(kind: ComponentType, name: impl Into<String>) -> Self {
        Component {
            kind,
            bom_ref: None,
            group: None,
            name: name.into(),
            version: None,
            scope: None,
            hashes: Vec::new(),
            licenses: Vec::new(),
            purl: None,
            external_references: Vec::new(),
            model_card: None,
            properties: Vec::new(),
            components: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hash {
    pub alg: &'static str,
    pub content: String,
}

/// One entry of a `licenses` array: an SPDX expression, or a free-text
/// licence name when the data is not an expression. `acknowledgement`
/// (1.6) says whether the package declares it or an analysis concluded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LicenseChoice {
    Expression {
        expression: String,
        acknowledgement: Acknowledgement,
    },
    Named {
        license: NamedLicense,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedLicense {
    pub name: String,
    pub acknowledgement: Acknowledgement,
}

/// Everything Cordon reads (lockfiles, manifests, installed package
/// metadata, model headers) is what the package says of itself: declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Acknowledgement {
    Declared,
    Concluded,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExternalReference {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Property {
    pub name: String,
    pub value: String,
}

impl Property {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Property {
            name: name.into(),
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelCard {
    #[serde(rename = "modelParameters", skip_serializing_if = "Option::is_none")]
    pub model_parameters: Option<ModelParameters>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelParameters {
    #[serde(rename = "architectureFamily", skip_serializing_if = "Option::is_none")]
    pub architecture_family: Option<String>,
    #[serde(rename = "modelArchitecture", skip_serializing_if = "Option::is_none")]
    pub model_architecture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    #[serde(rename = "ref")]
    pub reference: String,
    pub depends_on: Vec<String>,
}
