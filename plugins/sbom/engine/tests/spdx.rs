//! SPDX 2.3 output: Cordon's CycloneDX documents converted and checked
//! structurally against what the SPDX 2.3 specification requires, and, when
//! the reference validator `pyspdxtools` (PyPI `spdx-tools`) is installed,
//! by it.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use cordon_lockfiles::{Lockfile, Source, parse, parse_with_companion};
use cordon_sbom::spdx::{SpdxOptions, from_cyclonedx, from_cyclonedx_with};
use cordon_sbom::{
    Options, RootComponent, SbomRequest, apply_installed_licenses, generate, is_installed_metadata,
    parse_installed_metadata,
};
use serde_json::Value;

const FIXTURES: &str = "../../../crates/lockfiles/tests/fixtures";

fn read(relative: &str) -> Vec<u8> {
    let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(name: &str, as_path: &str) -> Lockfile {
    parse(as_path, &read(&format!("{FIXTURES}/{name}"))).unwrap()
}

fn lockfiles() -> Vec<Lockfile> {
    vec![
        fixture("cargo-v3.lock", "Cargo.lock"),
        fixture(
            "real-clap_mangen-0.2.33-v4.lock",
            "vendor/clap_mangen/Cargo.lock",
        ),
        fixture("package-lock-v3.json", "web/package-lock.json"),
        fixture("poetry-2.lock.fixture", "py/poetry.lock"),
        fixture("uv.lock.fixture", "svc/uv.lock"),
        parse_with_companion(
            "services/go.mod",
            &read(&format!("{FIXTURES}/go.mod.fixture")),
            Some(&read(&format!("{FIXTURES}/go.sum.fixture"))),
        )
        .unwrap(),
    ]
}

fn cyclonedx(lockfiles: &[Lockfile], timestamp: Option<i64>) -> Vec<u8> {
    generate(&SbomRequest {
        root: RootComponent {
            name: "workspace".into(),
            version: Some("1.0.0".into()),
        },
        lockfiles,
        lockfile_errors: &[],
        models: &[],
        options: Options {
            timestamp,
            tool_name: "cordon".into(),
            tool_version: "0.1.0".into(),
        },
    })
    .unwrap()
}

fn is_spdx_id(id: &str) -> bool {
    id.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

/// `LicenseRef-…` ids used in a licence expression.
fn license_refs(expression: &str) -> Vec<String> {
    expression
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|token| token.starts_with("LicenseRef-"))
        .map(str::to_owned)
        .collect()
}

/// What SPDX 2.3 requires of a document and its packages, and that every
/// relationship and licence reference points at something the document
/// defines.
fn assert_structurally_valid(spdx: &Value) {
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["dataLicense"], "CC0-1.0");
    assert_eq!(spdx["SPDXID"], "SPDXRef-DOCUMENT");
    assert!(!spdx["name"].as_str().unwrap().is_empty());
    let namespace = spdx["documentNamespace"].as_str().unwrap();
    assert!(namespace.starts_with("https://") && !namespace.contains('#'));
    let creators = spdx["creationInfo"]["creators"].as_array().unwrap();
    assert!(creators[0].as_str().unwrap().starts_with("Tool: cordon-"));
    let created = spdx["creationInfo"]["created"].as_str().unwrap();
    assert_eq!(created.len(), "2023-11-14T22:13:20Z".len(), "{created}");
    assert!(created.ends_with('Z'));

    let extracted: BTreeSet<&str> = spdx["hasExtractedLicensingInfos"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|info| {
            assert!(!info["extractedText"].as_str().unwrap().is_empty());
            info["licenseId"].as_str().unwrap()
        })
        .collect();
    let mut ids = BTreeSet::from(["SPDXRef-DOCUMENT".to_owned()]);
    for package in spdx["packages"].as_array().unwrap() {
        let id = package["SPDXID"].as_str().unwrap();
        assert!(is_spdx_id(id), "{id}");
        assert!(ids.insert(id.to_owned()), "duplicate {id}");
        assert!(!package["name"].as_str().unwrap().is_empty());
        assert!(!package["downloadLocation"].as_str().unwrap().is_empty());
        assert_eq!(package["filesAnalyzed"], false);
        for field in ["licenseConcluded", "licenseDeclared"] {
            let expression = package[field].as_str().unwrap();
            for reference in license_refs(expression) {
                assert!(
                    extracted.contains(reference.as_str()),
                    "{id}: {reference} undefined"
                );
            }
        }
        for checksum in package["checksums"].as_array().into_iter().flatten() {
            let value = checksum["checksumValue"].as_str().unwrap();
            assert!(
                value
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
        }
    }
    let relationships = spdx["relationships"].as_array().unwrap();
    let describes = relationships
        .iter()
        .filter(|r| r["relationshipType"] == "DESCRIBES")
        .count();
    assert!(describes >= 1);
    for relationship in relationships {
        for end in ["spdxElementId", "relatedSpdxElement"] {
            let id = relationship[end].as_str().unwrap();
            assert!(ids.contains(id), "relationship to unknown {id}");
        }
    }
}

/// Runs `pyspdxtools -i FILE` when it is installed; `None` when it is not.
fn pyspdxtools(spdx: &str, name: &str) -> Option<(bool, String)> {
    let path = std::env::temp_dir().join(format!(
        "cordon-sbom-{}-{name}.spdx.json",
        std::process::id()
    ));
    std::fs::write(&path, spdx).unwrap();
    let output = Command::new("pyspdxtools").arg("-i").arg(&path).output();
    let _ = std::fs::remove_file(&path);
    match output {
        Ok(output) => Some((
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )),
        Err(error) => {
            eprintln!(
                "SKIPPED: the SPDX reference validator `pyspdxtools` is not runnable ({error}); `pip install spdx-tools` to run it"
            );
            None
        }
    }
}

fn assert_accepted_by_pyspdxtools(spdx: &str, name: &str) {
    if let Some((accepted, output)) = pyspdxtools(spdx, name) {
        assert!(
            accepted && !output.contains("ValidationMessage"),
            "pyspdxtools rejected {name}:\n{output}"
        );
    }
}

#[test]
fn cordon_sboms_convert_to_valid_spdx() {
    let lockfiles = lockfiles();
    let source = cyclonedx(&lockfiles, Some(1_700_000_000));
    let cdx: Value = serde_json::from_slice(&source).unwrap();
    let text = from_cyclonedx(&source).unwrap();
    let spdx: Value = serde_json::from_str(&text).unwrap();
    assert_structurally_valid(&spdx);
    assert_eq!(spdx["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    assert_eq!(spdx["name"], "workspace-1.0.0");

    // One package per component, plus the root, with the same purls.
    let mut cdx_purls = BTreeSet::new();
    let mut cdx_count = 0;
    let nested = cdx["metadata"]["component"]["components"]
        .as_array()
        .into_iter()
        .flatten();
    for component in cdx["components"].as_array().unwrap().iter().chain(nested) {
        cdx_count += 1;
        cdx_purls.insert(component["purl"].as_str().unwrap().to_owned());
    }
    let packages = spdx["packages"].as_array().unwrap();
    assert_eq!(packages.len(), cdx_count + 1);
    let spdx_purls: BTreeSet<String> = packages
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .map(|r| {
            assert_eq!(r["referenceCategory"], "PACKAGE-MANAGER");
            assert_eq!(r["referenceType"], "purl");
            r["referenceLocator"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(spdx_purls, cdx_purls);

    // Every CycloneDX edge is a DEPENDS_ON relationship, and nothing else is.
    let cdx_edges: usize = cdx["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dependsOn"].as_array().unwrap().len())
        .sum();
    let depends_on = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .count();
    assert_eq!(depends_on, cdx_edges);
    let root_id = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["relationshipType"] == "DESCRIBES")
        .unwrap()["relatedSpdxElement"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = packages.iter().find(|p| p["SPDXID"] == root_id).unwrap();
    assert_eq!(root["name"], "workspace");
    assert_eq!(root["primaryPackagePurpose"], "APPLICATION");

    // Registry packages with hashes keep them as checksums.
    let hashes_in = |items: &[Value], key: &str| -> usize {
        items
            .iter()
            .map(|item| item[key].as_array().map_or(0, Vec::len))
            .sum()
    };
    let cdx_components: Vec<Value> = cdx["components"].as_array().unwrap().clone();
    let cdx_hashes = hashes_in(&cdx_components, "hashes");
    assert!(cdx_hashes > 0);
    assert_eq!(hashes_in(packages, "checksums"), cdx_hashes);
    let by_name: BTreeMap<&str, &Value> = packages
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p))
        .collect();
    let clap = by_name["clap"];
    assert_eq!(
        clap["downloadLocation"]
            .as_str()
            .unwrap()
            .split("/download")
            .next()
            .unwrap()
            .rsplit('/')
            .next(),
        clap["versionInfo"].as_str()
    );

    assert_accepted_by_pyspdxtools(&text, "fixtures");
}

#[test]
fn conversion_is_reproducible_and_the_namespace_follows_the_content() {
    let lockfiles = lockfiles();
    let first = cyclonedx(&lockfiles, Some(1_700_000_000));
    assert_eq!(
        from_cyclonedx(&first).unwrap(),
        from_cyclonedx(&first).unwrap()
    );
    let namespace = |bytes: &[u8]| {
        let value: Value = serde_json::from_str(&from_cyclonedx(bytes).unwrap()).unwrap();
        value["documentNamespace"].as_str().unwrap().to_owned()
    };
    let fewer = cyclonedx(&lockfiles[..1], Some(1_700_000_000));
    assert_ne!(namespace(&first), namespace(&fewer));
}

#[test]
fn a_document_without_timestamp_needs_a_creation_time() {
    let source = cyclonedx(&lockfiles()[..1], None);
    let error = from_cyclonedx(&source).unwrap_err().to_string();
    assert!(error.contains("metadata.timestamp"), "{error}");
    let spdx: Value = serde_json::from_str(
        &from_cyclonedx_with(
            &source,
            &SpdxOptions {
                created_when_missing: Some(0),
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(spdx["creationInfo"]["created"], "1970-01-01T00:00:00Z");
}

/// A document from another tool: licences of every form, nested
/// components, a VCS location, hashes, and a dangling edge.
#[test]
fn foreign_documents_with_licences_and_nesting() {
    let source = br#"{
      "bomFormat": "CycloneDX", "specVersion": "1.5",
      "metadata": {
        "timestamp": "2024-05-01T10:20:30.123+02:00",
        "tools": {"components": [{"type": "application", "name": "othertool", "version": "9"}]},
        "component": {"type": "application", "bom-ref": "app", "name": "my app"}
      },
      "components": [
        {"type": "library", "bom-ref": "pkg:npm/%40scope/lib@1.0.0", "group": "@scope", "name": "lib",
         "version": "1.0.0", "purl": "pkg:npm/%40scope/lib@1.0.0",
         "licenses": [{"license": {"name": "SEE LICENSE IN LICENSE"}}],
         "hashes": [{"alg": "SHA-512", "content": "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"}],
         "components": [{"type": "file", "bom-ref": "inner", "name": "inner.js"}]},
        {"type": "library", "bom-ref": "pkg:cargo/dual@2.0.0", "name": "dual", "version": "2.0.0",
         "purl": "pkg:cargo/dual@2.0.0",
         "licenses": [{"expression": "MIT/Apache-2.0"}],
         "externalReferences": [{"type": "vcs", "url": "https://github.com/example/dual"}]},
        {"type": "library", "bom-ref": "pkg:maven/org.example/core@3", "group": "org.example", "name": "core",
         "version": "3", "purl": "pkg:maven/org.example/core@3",
         "licenses": [{"license": {"id": "Apache-2.0"}}, {"license": {"id": "BSD-3-Clause", "acknowledgement": "concluded"}}]}
      ],
      "dependencies": [
        {"ref": "app", "dependsOn": ["pkg:npm/%40scope/lib@1.0.0", "pkg:cargo/dual@2.0.0", "missing"]},
        {"ref": "pkg:cargo/dual@2.0.0", "dependsOn": ["pkg:maven/org.example/core@3"]}
      ]
    }"#;
    let text = from_cyclonedx(source).unwrap();
    let spdx: Value = serde_json::from_str(&text).unwrap();
    assert_structurally_valid(&spdx);
    assert_eq!(spdx["creationInfo"]["created"], "2024-05-01T08:20:30Z");
    assert_eq!(spdx["creationInfo"]["creators"][1], "Tool: othertool-9");
    let packages: BTreeMap<&str, &Value> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p))
        .collect();
    assert_eq!(packages.len(), 5);
    let lib = packages["@scope/lib"];
    assert!(
        lib["licenseDeclared"]
            .as_str()
            .unwrap()
            .starts_with("LicenseRef-")
    );
    assert_eq!(lib["checksums"][0]["algorithm"], "SHA512");
    assert_eq!(packages["dual"]["licenseDeclared"], "MIT OR Apache-2.0");
    assert_eq!(
        packages["dual"]["downloadLocation"],
        "git+https://github.com/example/dual"
    );
    let core = packages["org.example:core"];
    assert_eq!(core["licenseDeclared"], "Apache-2.0");
    assert_eq!(core["licenseConcluded"], "BSD-3-Clause");
    assert_eq!(packages["inner.js"]["primaryPackagePurpose"], "FILE");

    let relationships: BTreeSet<(String, String, String)> = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["spdxElementId"].as_str().unwrap().to_owned(),
                r["relationshipType"].as_str().unwrap().to_owned(),
                r["relatedSpdxElement"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let id = |name: &str| packages[name]["SPDXID"].as_str().unwrap().to_owned();
    let expected: BTreeSet<(String, String, String)> = [
        ("SPDXRef-DOCUMENT".to_owned(), "DESCRIBES", id("my app")),
        (id("my app"), "DEPENDS_ON", id("@scope/lib")),
        (id("my app"), "DEPENDS_ON", id("dual")),
        (id("dual"), "DEPENDS_ON", id("org.example:core")),
        (id("@scope/lib"), "CONTAINS", id("inner.js")),
    ]
    .into_iter()
    .map(|(a, b, c)| (a, b.to_owned(), c))
    .collect();
    assert_eq!(relationships, expected);

    assert_accepted_by_pyspdxtools(&text, "foreign");
}

#[test]
fn input_that_is_not_cyclonedx_is_an_error() {
    assert!(from_cyclonedx(b"").is_err());
    assert!(from_cyclonedx(br#"{"spdxVersion": "SPDX-2.3"}"#).is_err());
    assert!(
        from_cyclonedx(br#"{"bomFormat": "CycloneDX", "metadata": {"timestamp": "yesterday"}}"#)
            .is_err()
    );
}

/// Licences of installed npm packages reach the CycloneDX document as
/// declared licences, and the SPDX document as `licenseDeclared`.
#[test]
fn installed_package_licences_flow_into_both_formats() {
    let mut lockfiles = vec![fixture("package-lock-v1.json", "web/package-lock.json")];
    let unlicensed: Vec<(String, String)> = lockfiles[0]
        .packages
        .iter()
        .filter(|p| p.license.is_none() && matches!(p.source, Source::Registry { .. }))
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert!(!unlicensed.is_empty());
    let (name, version) = &unlicensed[0];
    let path = format!("web/node_modules/{name}/package.json");
    assert!(is_installed_metadata(&path), "{path}");
    let metadata = format!(r#"{{"name": "{name}", "version": "{version}", "license": "ISC"}}"#);
    let installed = parse_installed_metadata(&path, metadata.as_bytes()).unwrap();
    assert_eq!(apply_installed_licenses(&mut lockfiles, &[installed]), 1);

    let source = cyclonedx(&lockfiles, Some(1_700_000_000));
    let cdx: Value = serde_json::from_slice(&source).unwrap();
    let component = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            let full = match c["group"].as_str() {
                Some(group) => format!("{group}/{}", c["name"].as_str().unwrap()),
                None => c["name"].as_str().unwrap().to_owned(),
            };
            full == *name && c["version"] == version.as_str()
        })
        .unwrap();
    assert_eq!(
        component["licenses"],
        serde_json::json!([{"expression": "ISC", "acknowledgement": "declared"}])
    );

    let spdx: Value = serde_json::from_str(&from_cyclonedx(&source).unwrap()).unwrap();
    assert_structurally_valid(&spdx);
    let package = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name.as_str() && p["versionInfo"] == version.as_str())
        .unwrap();
    assert_eq!(package["licenseDeclared"], "ISC");
    assert_eq!(package["licenseConcluded"], "NOASSERTION");
}
