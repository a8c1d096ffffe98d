//! `sbom diff`: the packages added, removed and changed between two
//! CycloneDX documents.
//!
//! A package is identified by its purl without version and qualifiers
//! (`pkg:npm/%40scope/name`), or by name and component type when it has no
//! purl. A package present in both documents with different versions is a
//! change; when several versions of one package come and go (Cargo often
//! pins two majors of a crate), they are paired in version order and the
//! rest are added or removed.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use packageurl::PackageUrl;
use serde::Serialize;

use crate::SbomError;
use crate::read::{Component, Document};

/// One package at one version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageVersion {
    /// Display name: `name`, `@scope/name`, `group:artifact` (Maven).
    pub name: String,
    /// The purl type (`cargo`, `npm`, `pypi`…), or the component type
    /// for a component without a purl.
    pub ecosystem: String,
    /// Empty when the document gives none.
    pub version: String,
}

/// One package whose version moved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageChange {
    pub name: String,
    pub ecosystem: String,
    pub from: String,
    pub to: String,
}

/// Each list sorted by name, ecosystem and version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SbomDiff {
    pub added: Vec<PackageVersion>,
    pub removed: Vec<PackageVersion>,
    pub changed: Vec<PackageChange>,
}

/// Compares two CycloneDX JSON documents: `old` to `new`.
pub fn diff(old: &[u8], new: &[u8]) -> Result<SbomDiff, SbomError> {
    let old = packages(&Document::parse(old)?);
    let new = packages(&Document::parse(new)?);
    let mut result = SbomDiff::default();
    let keys: BTreeSet<&Key> = old.keys().chain(new.keys()).collect();
    let empty = Versions::default();
    for key in keys {
        let before = old.get(key).unwrap_or(&empty);
        let after = new.get(key).unwrap_or(&empty);
        let mut gone: Vec<&String> = before.versions.difference(&after.versions).collect();
        let mut came: Vec<&String> = after.versions.difference(&before.versions).collect();
        gone.sort_by(|a, b| compare_versions(a, b));
        came.sort_by(|a, b| compare_versions(a, b));
        let name = after
            .name
            .clone()
            .or(before.name.clone())
            .unwrap_or_default();
        let paired = gone.len().min(came.len());
        for (from, to) in gone.iter().zip(&came) {
            result.changed.push(PackageChange {
                name: name.clone(),
                ecosystem: key.ecosystem.clone(),
                from: (*from).clone(),
                to: (*to).clone(),
            });
        }
        let version = |version: &String| PackageVersion {
            name: name.clone(),
            ecosystem: key.ecosystem.clone(),
            version: version.clone(),
        };
        result
            .removed
            .extend(gone[paired..].iter().map(|v| version(v)));
        result
            .added
            .extend(came[paired..].iter().map(|v| version(v)));
    }
    result.added.sort();
    result.removed.sort();
    result.changed.sort();
    Ok(result)
}

impl SbomDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// One line per package in name order (`+ name 1.2.0`, `- name 1.0.0`,
    /// `~ name 1.0.0 -> 1.1.0`), then a count line.
    pub fn to_text(&self) -> String {
        let with_version = |name: &str, version: &str| {
            if version.is_empty() {
                name.to_owned()
            } else {
                format!("{name} {version}")
            }
        };
        let mut lines: Vec<((&str, &str), String)> = Vec::new();
        for package in &self.removed {
            lines.push((
                (&package.name, &package.ecosystem),
                format!("- {}", with_version(&package.name, &package.version)),
            ));
        }
        for package in &self.added {
            lines.push((
                (&package.name, &package.ecosystem),
                format!("+ {}", with_version(&package.name, &package.version)),
            ));
        }
        for change in &self.changed {
            let from = if change.from.is_empty() {
                "(none)"
            } else {
                &change.from
            };
            let to = if change.to.is_empty() {
                "(none)"
            } else {
                &change.to
            };
            lines.push((
                (&change.name, &change.ecosystem),
                format!("~ {} {from} -> {to}", change.name),
            ));
        }
        // Stable sort: removals before additions of the same package.
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let mut text: String = lines
            .into_iter()
            .map(|(_, line)| line + "\n")
            .collect::<String>();
        text.push_str(&format!(
            "{} added, {} removed, {} changed\n",
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        ));
        text
    }

    /// `{"added": [...], "removed": [...], "changed": [...]}`, pretty and
    /// newline-terminated.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self)
            .expect("a diff of strings always serialises to JSON");
        json.push('\n');
        json
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    ecosystem: String,
    identity: String,
}

#[derive(Debug, Default)]
struct Versions {
    name: Option<String>,
    versions: BTreeSet<String>,
}

fn packages(document: &Document) -> BTreeMap<Key, Versions> {
    let mut packages: BTreeMap<Key, Versions> = BTreeMap::new();
    for component in document.all_components() {
        let (key, name, version) = identify(component);
        let entry = packages.entry(key).or_default();
        entry.name.get_or_insert(name);
        entry.versions.insert(version);
    }
    packages
}

fn identify(component: &Component) -> (Key, String, String) {
    let component_version = component.version.clone().unwrap_or_default();
    if let Some(purl) = component
        .purl
        .as_deref()
        .and_then(|text| PackageUrl::from_str(text).ok())
    {
        let ecosystem = purl.ty().to_ascii_lowercase();
        let separator = if ecosystem == "maven" { ":" } else { "/" };
        let name = match purl.namespace() {
            Some(namespace) if !namespace.is_empty() => {
                format!("{namespace}{separator}{}", purl.name())
            }
            _ => purl.name().to_owned(),
        };
        let identity = match ecosystem.as_str() {
            // PyPI names compare normalised (PEP 503).
            "pypi" => name.to_ascii_lowercase().replace(['_', '.'], "-"),
            _ => name.clone(),
        };
        let version = purl
            .version()
            .map(str::to_owned)
            .unwrap_or(component_version);
        return (
            Key {
                ecosystem,
                identity,
            },
            name,
            version,
        );
    }
    let name = match component.group.as_deref() {
        Some(group) if !group.is_empty() => format!("{group}/{}", component.name),
        _ => component.name.clone(),
    };
    let ecosystem = component
        .kind
        .clone()
        .unwrap_or_else(|| "component".to_owned());
    (
        Key {
            ecosystem,
            identity: name.clone(),
        },
        name,
        component_version,
    )
}

/// Versions in a natural order: runs of digits compare as numbers, so
/// `1.10.0` follows `1.9.0`.
fn compare_versions(a: &str, b: &str) -> Ordering {
    let chunks = |text: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in text.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((last_digit, chunk)) if *last_digit == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (left, right) = (chunks(a), chunks(b));
    for (l, r) in left.iter().zip(&right) {
        let order = match (l.0, r.0) {
            (true, true) => {
                let (l, r) = (l.1.trim_start_matches('0'), r.1.trim_start_matches('0'));
                l.len().cmp(&r.len()).then_with(|| l.cmp(r))
            }
            _ => l.1.cmp(&r.1),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    left.len().cmp(&right.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bom(components: &str) -> Vec<u8> {
        format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{components}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn added_removed_and_changed_by_purl() {
        let old = bom(r#"
            {"type": "library", "name": "serde", "version": "1.0.100", "purl": "pkg:cargo/serde@1.0.100"},
            {"type": "library", "name": "left-pad", "version": "1.0.0", "purl": "pkg:npm/left-pad@1.0.0"},
            {"type": "library", "name": "same", "version": "2.0.0", "purl": "pkg:cargo/same@2.0.0"}"#);
        let new = bom(r#"
            {"type": "library", "name": "serde", "version": "1.0.200", "purl": "pkg:cargo/serde@1.0.200?repository_url=x"},
            {"type": "library", "name": "core", "group": "@babel", "version": "7.1.0", "purl": "pkg:npm/%40babel/core@7.1.0"},
            {"type": "library", "name": "same", "version": "2.0.0", "purl": "pkg:cargo/same@2.0.0"}"#);
        let diff = diff(&old, &new).unwrap();
        assert_eq!(
            diff.added,
            [PackageVersion {
                name: "@babel/core".into(),
                ecosystem: "npm".into(),
                version: "7.1.0".into()
            }]
        );
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(diff.removed[0].name, "left-pad");
        assert_eq!(
            diff.changed,
            [PackageChange {
                name: "serde".into(),
                ecosystem: "cargo".into(),
                from: "1.0.100".into(),
                to: "1.0.200".into()
            }]
        );
        assert_eq!(
            diff.to_text(),
            "+ @babel/core 7.1.0\n- left-pad 1.0.0\n~ serde 1.0.100 -> 1.0.200\n1 added, 1 removed, 1 changed\n"
        );
        let json: serde_json::Value = serde_json::from_str(&diff.to_json()).unwrap();
        assert_eq!(json["changed"][0]["to"], "1.0.200");
        assert_eq!(json["added"][0]["ecosystem"], "npm");
    }

    #[test]
    fn several_versions_pair_in_version_order() {
        let old = bom(r#"
            {"name": "syn", "version": "1.0.9", "purl": "pkg:cargo/syn@1.0.9"},
            {"name": "syn", "version": "2.0.1", "purl": "pkg:cargo/syn@2.0.1"}"#);
        let new = bom(r#"
            {"name": "syn", "version": "1.0.10", "purl": "pkg:cargo/syn@1.0.10"},
            {"name": "syn", "version": "2.0.1", "purl": "pkg:cargo/syn@2.0.1"},
            {"name": "syn", "version": "2.0.10", "purl": "pkg:cargo/syn@2.0.10"}"#);
        let diff = diff(&old, &new).unwrap();
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(
            (diff.changed[0].from.as_str(), diff.changed[0].to.as_str()),
            ("1.0.9", "1.0.10")
        );
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].version, "2.0.10");
        assert!(diff.removed.is_empty());
    }

    #[test]
    fn components_without_purl_compare_by_name_and_type_and_pypi_names_normalise() {
        let old = bom(r#"
            {"type": "machine-learning-model", "name": "models/a.onnx", "version": "1"},
            {"name": "Foo_Bar", "version": "1.0", "purl": "pkg:pypi/Foo_Bar@1.0"}"#);
        let new = bom(r#"
            {"type": "machine-learning-model", "name": "models/a.onnx", "version": "2"},
            {"type": "file", "name": "models/a.onnx", "version": "2"},
            {"name": "foo-bar", "version": "1.0", "purl": "pkg:pypi/foo-bar@1.0"}"#);
        let diff = diff(&old, &new).unwrap();
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].ecosystem, "machine-learning-model");
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].ecosystem, "file");
        assert!(diff.removed.is_empty(), "{:?}", diff.removed);
    }

    #[test]
    fn identical_documents_have_no_difference_and_garbage_is_an_error() {
        let one = bom(r#"{"name": "a", "version": "1", "purl": "pkg:cargo/a@1"}"#);
        let same = diff(&one, &one).unwrap();
        assert!(same.is_empty());
        assert_eq!(same.to_text(), "0 added, 0 removed, 0 changed\n");
        assert!(diff(b"{}", &one).is_err());
        assert!(diff(&one, b"\xff").is_err());
    }

    #[test]
    fn natural_version_order() {
        assert_eq!(compare_versions("1.9.0", "1.10.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.2", "1.2.1"), Ordering::Less);
    }
}
