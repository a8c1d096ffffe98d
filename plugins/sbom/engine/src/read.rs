//! Reading a CycloneDX JSON document back: the tolerant subset the SPDX
//! conversion and `sbom diff` need.
//!
//! The input may come from Cordon or from another tool, so every field is
//! optional and unknown fields are ignored; only a document that is not
//! CycloneDX JSON at all is an error.

use serde::Deserialize;

use crate::SbomError;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    #[serde(default)]
    pub bom_format: Option<String>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub components: Vec<Component>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub tools: Option<Tools>,
    #[serde(default)]
    pub component: Option<Component>,
}

/// `metadata.tools`: the 1.5+ object form or the deprecated 1.4 array.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Tools {
    Components {
        #[serde(default)]
        components: Vec<Component>,
    },
    Legacy(Vec<LegacyTool>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct LegacyTool {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Component {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(rename = "bom-ref", default)]
    pub bom_ref: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
    #[serde(default)]
    pub hashes: Vec<Hash>,
    #[serde(default)]
    pub licenses: Vec<License>,
    #[serde(rename = "externalReferences", default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Hash {
    pub alg: String,
    pub content: String,
}

/// One `licenses` entry: `{"expression": …}` or `{"license": {"id"|"name"}}`,
/// each with the 1.6 `acknowledgement` (declared or concluded).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct License {
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub license: Option<LicenseBody>,
    #[serde(default)]
    pub acknowledgement: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LicenseBody {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub acknowledgement: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExternalReference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub depends_on: Vec<String>,
}

impl Document {
    /// Parses CycloneDX JSON; `bomFormat` must say `CycloneDX`.
    pub fn parse(bytes: &[u8]) -> Result<Self, SbomError> {
        let document: Document = serde_json::from_slice(bytes)
            .map_err(|error| SbomError::Unreadable(format!("not CycloneDX JSON: {error}")))?;
        match document.bom_format.as_deref() {
            Some("CycloneDX") => Ok(document),
            Some(other) => Err(SbomError::Unreadable(format!(
                "`bomFormat` is `{other}`, not `CycloneDX`"
            ))),
            None => Err(SbomError::Unreadable(
                "no `bomFormat`: not a CycloneDX document".into(),
            )),
        }
    }

    /// Every component, nested ones included (workspace members sit under
    /// the root, and other tools nest sub-components), in document order;
    /// the root `metadata.component` itself is not among them.
    pub fn all_components(&self) -> Vec<&Component> {
        let mut out = Vec::new();
        if let Some(root) = self.metadata.as_ref().and_then(|m| m.component.as_ref()) {
            collect(&root.components, &mut out);
        }
        collect(&self.components, &mut out);
        out
    }

    pub fn root(&self) -> Option<&Component> {
        self.metadata.as_ref().and_then(|m| m.component.as_ref())
    }

    /// `name-version` of the first generating tool, for SPDX `creators`.
    pub fn tool(&self) -> Option<(String, Option<String>)> {
        match self.metadata.as_ref()?.tools.as_ref()? {
            Tools::Components { components } => components
                .first()
                .map(|tool| (tool.name.clone(), tool.version.clone())),
            Tools::Legacy(tools) => tools
                .first()
                .and_then(|tool| Some((tool.name.clone()?, tool.version.clone()))),
        }
    }
}

fn collect<'a>(components: &'a [Component], out: &mut Vec<&'a Component>) {
    for component in components {
        out.push(component);
        collect(&component.components, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_documents_that_are_not_cyclonedx() {
        assert!(Document::parse(b"not json").is_err());
        assert!(Document::parse(br#"{"spdxVersion": "SPDX-2.3"}"#).is_err());
        assert!(Document::parse(br#"{"bomFormat": "SPDX"}"#).is_err());
        assert!(Document::parse(br#"{"bomFormat": "CycloneDX"}"#).is_ok());
    }

    #[test]
    fn flattens_nested_components_and_reads_both_tool_forms() {
        let document = Document::parse(
            br#"{"bomFormat": "CycloneDX",
                 "metadata": {"tools": [{"vendor": "x", "name": "old", "version": "1"}],
                              "component": {"name": "app", "components": [{"name": "member"}]}},
                 "components": [{"name": "a", "components": [{"name": "a-inner"}]}, {"name": "b"}]}"#,
        )
        .unwrap();
        let names: Vec<&str> = document
            .all_components()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["member", "a", "a-inner", "b"]);
        assert_eq!(document.tool(), Some(("old".into(), Some("1".into()))));
    }
}
