//! SPDX 2.3 JSON from a CycloneDX JSON document (Cordon's own, or another
//! tool's).
//!
//! The conversion is a pure function of the input bytes: the document
//! namespace is derived from the CycloneDX content hash and the creation
//! time is the CycloneDX `metadata.timestamp`, so a reproducible SBOM gives a
//! byte-identical SPDX document.
//!
//! Mapping:
//!
//! | CycloneDX | SPDX 2.3 |
//! |---|---|
//! | `metadata.component` | the package the document `DESCRIBES` |
//! | every component, nested ones included | one package each; a nested one is `CONTAINS`ed by its parent |
//! | `bom-ref` | `SPDXID` (`SPDXRef-` + the bom-ref with other characters than letters, digits, `.` and `-` made `-`) |
//! | `purl` | `externalRefs` `PACKAGE-MANAGER` / `purl` |
//! | `distribution` / `vcs` external reference | `downloadLocation` (else `NOASSERTION`) |
//! | `hashes` | `checksums` |
//! | `licenses` (declared, or `acknowledgement: concluded`) | `licenseDeclared` / `licenseConcluded`, SPDX expressions; free text becomes a `LicenseRef-` with its text in `hasExtractedLicensingInfos` |
//! | `type` | `primaryPackagePurpose` |
//! | `dependencies` | `DEPENDS_ON` relationships |

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::SbomError;
use crate::identity;
use crate::read::{Component, Document, License};

pub const SPDX_VERSION: &str = "SPDX-2.3";
pub const SPDX_MEDIA_TYPE: &str = "application/spdx+json";
const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
/// Prefix of every generated `documentNamespace`; the SPDX specification's
/// own examples use this base for documents without a home of their own.
const NAMESPACE_BASE: &str = "https://spdx.org/spdxdocs";

/// What the conversion cannot take from the CycloneDX document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpdxOptions {
    /// `creationInfo.created` (Unix seconds) for a CycloneDX document
    /// without `metadata.timestamp` (Cordon leaves it out in reproducible
    /// mode). SPDX requires a creation time, so with neither the
    /// conversion fails.
    pub created_when_missing: Option<i64>,
}

/// SPDX 2.3 JSON (pretty-printed, newline-terminated) of a CycloneDX JSON
/// document that carries `metadata.timestamp`.
pub fn from_cyclonedx(cyclonedx: &[u8]) -> Result<String, SbomError> {
    from_cyclonedx_with(cyclonedx, &SpdxOptions::default())
}

/// As [`from_cyclonedx`], with a creation time for documents that have none.
pub fn from_cyclonedx_with(cyclonedx: &[u8], options: &SpdxOptions) -> Result<String, SbomError> {
    let document = Document::parse(cyclonedx)?;
    let spdx = convert(&document, cyclonedx, options)?;
    let mut text =
        serde_json::to_string_pretty(&spdx).map_err(|e| SbomError::Serialise(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
    relationships: Vec<Relationship>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    creators: Vec<String>,
    created: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: String,
    /// Cordon lists packages, not their files.
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    license_concluded: String,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

fn convert(
    document: &Document,
    bytes: &[u8],
    options: &SpdxOptions,
) -> Result<SpdxDocument, SbomError> {
    let created = created(document, options)?;
    let root = document.root();
    let name = match root {
        Some(root) => match root.version.as_deref() {
            Some(version) if !version.is_empty() => format!("{}-{version}", root.name),
            _ => root.name.clone(),
        },
        None => "sbom".to_owned(),
    };
    let name = if name.trim().is_empty() {
        "sbom".to_owned()
    } else {
        name
    };
    // The namespace must be unique per document content: the CycloneDX
    // bytes' hash, as a UUID like the CycloneDX serial number.
    let uuid = identity::serial_number(bytes);
    let uuid = uuid.trim_start_matches("urn:uuid:");
    let document_namespace = format!("{NAMESPACE_BASE}/{}-{uuid}", sanitise(&name));

    let mut creators = vec![format!("Tool: cordon-{}", env!("CARGO_PKG_VERSION"))];
    if let Some((tool, version)) = document.tool()
        && tool != "cordon"
        && !tool.trim().is_empty()
    {
        creators.push(match version {
            Some(version) => format!("Tool: {tool}-{version}"),
            None => format!("Tool: {tool}"),
        });
    }

    let mut ids = SpdxIds::default();
    let mut licenses = Licenses::default();
    let mut packages = Vec::new();
    let mut relationships = BTreeSet::new();
    // bom-ref -> SPDXID, for the dependency graph.
    let mut by_ref: HashMap<&str, String> = HashMap::new();

    let root_id = root.map(|root| {
        let id = ids.assign(root);
        packages.push(package(root, id.clone(), &mut licenses));
        if let Some(bom_ref) = root.bom_ref.as_deref() {
            by_ref.insert(bom_ref, id.clone());
        }
        id
    });
    // Each component once (by bom-ref), with its nesting parent.
    let mut seen_refs: HashSet<&str> = HashSet::new();
    let mut queue: Vec<(Option<String>, &Component)> = Vec::new();
    if let Some(root) = root {
        queue.extend(root.components.iter().map(|c| (root_id.clone(), c)));
    }
    queue.extend(document.components.iter().map(|c| (None, c)));
    let mut top_level = Vec::new();
    let mut position = 0;
    while position < queue.len() {
        let (parent, component) = queue[position].clone();
        position += 1;
        if let Some(bom_ref) = component.bom_ref.as_deref()
            && !seen_refs.insert(bom_ref)
        {
            continue;
        }
        let id = ids.assign(component);
        if let Some(bom_ref) = component.bom_ref.as_deref() {
            by_ref.insert(bom_ref, id.clone());
        }
        match &parent {
            Some(parent) => {
                relationships.insert(Relationship {
                    spdx_element_id: parent.clone(),
                    relationship_type: "CONTAINS",
                    related_spdx_element: id.clone(),
                });
            }
            None => top_level.push(id.clone()),
        }
        packages.push(package(component, id.clone(), &mut licenses));
        queue.extend(
            component
                .components
                .iter()
                .map(|child| (Some(id.clone()), child)),
        );
    }

    // The document describes the workspace; a document without a root
    // component describes each of its top-level packages.
    let described = match root_id {
        Some(id) => vec![id],
        None => top_level,
    };
    for id in described {
        relationships.insert(Relationship {
            spdx_element_id: DOCUMENT_ID.to_owned(),
            relationship_type: "DESCRIBES",
            related_spdx_element: id,
        });
    }
    for dependency in &document.dependencies {
        let Some(from) = by_ref.get(dependency.reference.as_str()) else {
            continue;
        };
        for target in &dependency.depends_on {
            // An edge to a component the document does not list has no
            // SPDX element to point at.
            if let Some(to) = by_ref.get(target.as_str())
                && to != from
            {
                relationships.insert(Relationship {
                    spdx_element_id: from.clone(),
                    relationship_type: "DEPENDS_ON",
                    related_spdx_element: to.clone(),
                });
            }
        }
    }
    packages.sort_by(|a, b| a.spdx_id.cmp(&b.spdx_id));

    Ok(SpdxDocument {
        spdx_version: SPDX_VERSION,
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name,
        document_namespace,
        creation_info: CreationInfo { creators, created },
        packages,
        has_extracted_licensing_infos: licenses.extracted(),
        relationships: relationships.into_iter().collect(),
    })
}

/// SPDX wants `YYYY-MM-DDThh:mm:ssZ`: UTC, whole seconds.
fn created(document: &Document, options: &SpdxOptions) -> Result<String, SbomError> {
    let timestamp = match document
        .metadata
        .as_ref()
        .and_then(|m| m.timestamp.as_deref())
    {
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|error| {
            SbomError::Unreadable(format!("`metadata.timestamp` `{text}`: {error}"))
        })?,
        None => {
            let seconds = options.created_when_missing.ok_or_else(|| {
                SbomError::Unreadable(
                    "the CycloneDX document has no `metadata.timestamp`, and SPDX requires a creation time: generate the SBOM with `timestamp` (e.g. SOURCE_DATE_EPOCH) or pass one for the conversion".into(),
                )
            })?;
            jiff::Timestamp::from_second(seconds)
                .map_err(|error| SbomError::Timestamp(format!("{seconds}: {error}")))?
        }
    };
    Ok(timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// SPDX identifiers: unique within the document, stable for the same
/// input.
#[derive(Default)]
struct SpdxIds {
    used: HashSet<String>,
}

impl SpdxIds {
    fn assign(&mut self, component: &Component) -> String {
        let key = match component.bom_ref.as_deref() {
            Some(bom_ref) if !bom_ref.is_empty() => bom_ref.to_owned(),
            _ => match component.version.as_deref() {
                Some(version) => format!("{}-{version}", component.name),
                None => component.name.clone(),
            },
        };
        let base = format!("SPDXRef-{}", sanitise(&key));
        let mut id = base.clone();
        if id == DOCUMENT_ID || self.used.contains(&id) {
            // Two keys that differ only in replaced characters: keep both
            // apart by the original key's hash.
            id = format!(
                "{base}-{}",
                &hex::encode(Sha256::digest(key.as_bytes()))[..8]
            );
        }
        let mut counter = 2;
        while id == DOCUMENT_ID || self.used.contains(&id) {
            id = format!("{base}-{counter}");
            counter += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

/// Letters, digits, `.` and `-` as they are; anything else `-`.
fn sanitise(text: &str) -> String {
    let sanitised: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if sanitised.is_empty() {
        "unnamed".to_owned()
    } else {
        sanitised
    }
}

fn package(component: &Component, spdx_id: String, licenses: &mut Licenses) -> Package {
    let is_maven = component
        .purl
        .as_deref()
        .is_some_and(|purl| purl.starts_with("pkg:maven/"));
    let name = match component.group.as_deref() {
        Some(group) if !group.is_empty() && is_maven => format!("{group}:{}", component.name),
        Some(group) if !group.is_empty() => format!("{group}/{}", component.name),
        _ => component.name.clone(),
    };
    let name = if name.trim().is_empty() {
        "unnamed".to_owned()
    } else {
        name
    };
    let mut checksums: Vec<Checksum> = component
        .hashes
        .iter()
        .filter_map(|hash| checksum(&hash.alg, &hash.content))
        .collect();
    checksums.sort();
    checksums.dedup();
    let (declared, concluded) = licenses.of(&component.licenses);
    Package {
        spdx_id,
        name,
        version_info: component.version.clone().filter(|v| !v.is_empty()),
        download_location: download_location(component),
        files_analyzed: false,
        checksums,
        license_concluded: concluded,
        license_declared: declared,
        copyright_text: NOASSERTION,
        external_refs: component
            .purl
            .iter()
            .filter(|purl| purl.starts_with("pkg:"))
            .map(|purl| ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: purl.clone(),
            })
            .collect(),
        primary_package_purpose: component.kind.as_deref().map(purpose),
    }
}

fn purpose(kind: &str) -> &'static str {
    match kind {
        "application" => "APPLICATION",
        "framework" => "FRAMEWORK",
        "library" => "LIBRARY",
        "container" => "CONTAINER",
        "operating-system" => "OPERATING-SYSTEM",
        "device" => "DEVICE",
        "firmware" => "FIRMWARE",
        "file" => "FILE",
        // Machine-learning models, data, platforms and the rest have no
        // SPDX 2.3 purpose of their own.
        _ => "OTHER",
    }
}

/// The release's download URL, or the repository (as a `git+` VCS
/// location), else `NOASSERTION`.
fn download_location(component: &Component) -> String {
    let pick = |kind: &str| {
        component
            .external_references
            .iter()
            .find(|reference| reference.kind == kind)
            .map(|reference| reference.url.trim())
    };
    if let Some(url) = pick("distribution").filter(|url| is_plain_url(url)) {
        return url.to_owned();
    }
    if let Some(url) = pick("vcs") {
        let bare = url.trim_start_matches("git+");
        if is_plain_url(bare) {
            return format!("git+{bare}");
        }
    }
    NOASSERTION.to_owned()
}

/// An absolute http(s), ssh or git URL with a dotted host, without
/// whitespace: what SPDX download locations accept.
fn is_plain_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    matches!(scheme, "http" | "https" | "ssh" | "git")
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !url.chars().any(char::is_whitespace)
}

/// A CycloneDX hash as an SPDX checksum; unknown algorithms and values that
/// are not hex of the algorithm's length are left out.
fn checksum(alg: &str, content: &str) -> Option<Checksum> {
    let (algorithm, hex_len) = match alg {
        "MD5" => ("MD5", 32),
        "SHA-1" => ("SHA1", 40),
        "SHA-256" => ("SHA256", 64),
        "SHA-384" => ("SHA384", 96),
        "SHA-512" => ("SHA512", 128),
        "SHA3-256" => ("SHA3-256", 64),
        "SHA3-384" => ("SHA3-384", 96),
        "SHA3-512" => ("SHA3-512", 128),
        "BLAKE2b-256" => ("BLAKE2b-256", 64),
        "BLAKE2b-384" => ("BLAKE2b-384", 96),
        "BLAKE2b-512" => ("BLAKE2b-512", 128),
        "BLAKE3" => ("BLAKE3", 64),
        _ => return None,
    };
    let value = content.trim().to_ascii_lowercase();
    (value.len() == hex_len && value.chars().all(|c| c.is_ascii_hexdigit())).then_some(Checksum {
        algorithm,
        checksum_value: value,
    })
}

/// Licence texts turned into SPDX expressions, and the `LicenseRef-`s the
/// document must explain in `hasExtractedLicensingInfos`.
#[derive(Default)]
struct Licenses {
    /// LicenseRef id -> the text it stands for.
    extracted: BTreeMap<String, String>,
}

impl Licenses {
    /// `(declared, concluded)` for a component's `licenses`. Entries are
    /// declared unless marked concluded; several are all in force (AND).
    fn of(&mut self, entries: &[License]) -> (String, String) {
        let mut declared = Vec::new();
        let mut concluded = Vec::new();
        // Python tools list a package's Trove licence classifiers
        // (`License :: OSI Approved :: MIT License`) beside its SPDX id;
        // they restate it, so they count only when nothing else names it.
        let is_classifier = |entry: &License| {
            entry
                .license
                .as_ref()
                .and_then(|body| body.name.as_deref())
                .is_some_and(|name| name.trim_start().starts_with("License ::"))
        };
        let has_other = entries.iter().any(|entry| !is_classifier(entry));
        for entry in entries {
            if has_other && is_classifier(entry) {
                continue;
            }
            let acknowledgement = entry.acknowledgement.as_deref().or(entry
                .license
                .as_ref()
                .and_then(|body| body.acknowledgement.as_deref()));
            let expression = if let Some(text) = entry.expression.as_deref() {
                self.expression(text)
            } else if let Some(body) = &entry.license {
                match (body.id.as_deref(), body.name.as_deref()) {
                    (Some(id), _) if !id.trim().is_empty() => self.expression(id),
                    (_, Some(name)) if !name.trim().is_empty() => self.expression(name),
                    _ => continue,
                }
            } else {
                continue;
            };
            match acknowledgement {
                Some("concluded") => concluded.push(expression),
                _ => declared.push(expression),
            }
        }
        (join(declared), join(concluded))
    }

    /// The canonical SPDX expression of `text` (`MIT/Apache-2.0` becomes
    /// `MIT OR Apache-2.0`, `Apache License, Version 2.0` `Apache-2.0`), or
    /// a `LicenseRef-` standing for the text when it is not one.
    fn expression(&mut self, text: &str) -> String {
        let text = text.trim();
        let Some(canonical) = crate::license::spdx_of(text) else {
            return self.reference(text);
        };
        let strict = spdx::ParseMode {
            allow_deprecated: true,
            ..spdx::ParseMode::STRICT
        };
        match spdx::Expression::parse_mode(&canonical, strict) {
            Ok(expression) => {
                let mut references = Vec::new();
                for requirement in expression.requirements() {
                    if let spdx::LicenseItem::Other(reference) = &requirement.req.license {
                        if reference.doc_ref.is_some() {
                            // A licence of another SPDX document needs an
                            // external document reference Cordon cannot name.
                            return self.reference(text);
                        }
                        references.push(format!("LicenseRef-{}", reference.lic_ref));
                    }
                }
                for reference in references {
                    self.extracted.entry(reference.clone()).or_insert_with(|| {
                        format!("{reference}: named by the package; its text is not in the SBOM")
                    });
                }
                canonical
            }
            Err(_) => self.reference(text),
        }
    }

    fn reference(&mut self, text: &str) -> String {
        // `License :: OSI Approved :: MIT` -> `License-OSI-Approved-MIT`.
        let mut id = sanitise(text)
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        if id.is_empty() {
            id = "unnamed".to_owned();
        }
        if id.len() > 48 {
            id.truncate(40);
            id.push('-');
            id.push_str(&hex::encode(Sha256::digest(text.as_bytes()))[..8]);
        }
        let id = format!("LicenseRef-{id}");
        // Two texts that sanitise alike get the hash to keep them apart.
        let id = match self.extracted.get(&id) {
            Some(existing) if existing != text => format!(
                "{id}-{}",
                &hex::encode(Sha256::digest(text.as_bytes()))[..8]
            ),
            _ => id,
        };
        self.extracted.insert(id.clone(), text.to_owned());
        id
    }

    fn extracted(self) -> Vec<ExtractedLicense> {
        self.extracted
            .into_iter()
            .map(|(license_id, text)| ExtractedLicense {
                name: text.clone(),
                extracted_text: text,
                license_id,
            })
            .collect()
    }
}

fn join(mut expressions: Vec<String>) -> String {
    expressions.dedup();
    match expressions.len() {
        0 => NOASSERTION.to_owned(),
        1 => expressions.remove(0),
        _ => expressions
            .iter()
            .map(|e| {
                if e.contains(' ') {
                    format!("({e})")
                } else {
                    e.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn licenses(text: &str) -> (String, Licenses) {
        let mut licenses = Licenses::default();
        (licenses.expression(text), licenses)
    }

    #[test]
    fn licence_texts_become_canonical_expressions_or_references() {
        assert_eq!(licenses("MIT/Apache-2.0").0, "MIT OR Apache-2.0");
        assert_eq!(
            licenses("(MIT OR Apache-2.0) AND Unicode-3.0").0,
            "(MIT OR Apache-2.0) AND Unicode-3.0"
        );
        assert_eq!(licenses("GPL-2.0+").0, "GPL-2.0-or-later");
        let (expression, refs) = licenses("SEE LICENSE IN LICENSE.md");
        assert_eq!(expression, "LicenseRef-SEE-LICENSE-IN-LICENSE.md");
        assert_eq!(
            refs.extracted["LicenseRef-SEE-LICENSE-IN-LICENSE.md"],
            "SEE LICENSE IN LICENSE.md"
        );
        let (expression, refs) = licenses("MIT OR LicenseRef-Proprietary");
        assert_eq!(expression, "MIT OR LicenseRef-Proprietary");
        assert!(refs.extracted.contains_key("LicenseRef-Proprietary"));
        assert!(
            licenses("Not-A-Real-Licence-9")
                .0
                .starts_with("LicenseRef-")
        );
        // A licence named in full is its id; a family name is not guessed
        // into one version (it once became BSD-2-Clause, and `GNU GPL v2`
        // GPL-3.0-only).
        assert_eq!(licenses("Apache License, Version 2.0").0, "Apache-2.0");
        for family in ["BSD", "GNU GPL v2", "Apache"] {
            assert!(licenses(family).0.starts_with("LicenseRef-"), "{family}");
        }
    }

    #[test]
    fn declared_and_concluded_entries_are_kept_apart() {
        let entries: Vec<License> = serde_json::from_str(
            r#"[{"expression": "MIT"},
                {"license": {"id": "Apache-2.0"}},
                {"license": {"name": "BSD-3-Clause", "acknowledgement": "concluded"}}]"#,
        )
        .unwrap();
        let (declared, concluded) = Licenses::default().of(&entries);
        assert_eq!(declared, "MIT AND Apache-2.0");
        assert_eq!(concluded, "BSD-3-Clause");
        let classifiers: Vec<License> = serde_json::from_str(
            r#"[{"license": {"id": "MIT"}},
                {"license": {"name": "License :: OSI Approved :: MIT License"}}]"#,
        )
        .unwrap();
        assert_eq!(Licenses::default().of(&classifiers).0, "MIT");
        let mut only = Licenses::default();
        assert_eq!(
            only.of(&classifiers[1..]).0,
            "LicenseRef-License-OSI-Approved-MIT-License"
        );
        assert_eq!(
            Licenses::default().of(&[]),
            (NOASSERTION.to_owned(), NOASSERTION.to_owned())
        );
    }

    #[test]
    fn checksums_need_hex_of_the_right_length() {
        let sha256 = "AB".repeat(32);
        assert_eq!(
            checksum("SHA-256", &sha256).unwrap().checksum_value,
            "ab".repeat(32)
        );
        assert!(checksum("SHA-256", "abcd").is_none());
        assert!(checksum("SHA-1", &"zz".repeat(20)).is_none());
        assert!(checksum("CRC32", "00000000").is_none());
    }

    #[test]
    fn download_locations() {
        let component = |kind: &str, url: &str| Component {
            external_references: vec![crate::read::ExternalReference {
                kind: kind.into(),
                url: url.into(),
            }],
            ..Component::default()
        };
        assert_eq!(
            download_location(&component(
                "distribution",
                "https://crates.io/api/v1/crates/a/1/download"
            )),
            "https://crates.io/api/v1/crates/a/1/download"
        );
        assert_eq!(
            download_location(&component("vcs", "https://github.com/o/r")),
            "git+https://github.com/o/r"
        );
        assert_eq!(
            download_location(&component("distribution", "file:../local")),
            NOASSERTION
        );
        assert_eq!(download_location(&Component::default()), NOASSERTION);
    }

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut ids = SpdxIds::default();
        let named = |bom_ref: &str| Component {
            bom_ref: Some(bom_ref.into()),
            ..Component::default()
        };
        let first = ids.assign(&named("pkg:cargo/a@1.0.0"));
        assert_eq!(first, "SPDXRef-pkg-cargo-a-1.0.0");
        let clash = ids.assign(&named("pkg:cargo/a-1.0.0"));
        assert_ne!(clash, first);
        assert!(clash.starts_with("SPDXRef-pkg-cargo-a-1.0.0-"));
        assert_ne!(ids.assign(&named("DOCUMENT")), DOCUMENT_ID);
    }
}
