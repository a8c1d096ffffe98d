//! Every document is validated against the official CycloneDX 1.6 JSON
//! schema and compared with what its lockfiles say.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cordon_lockfiles::{Lockfile, Source, parse, parse_with_companion};
use cordon_sbom::{
    ModelEntry, Options, RootComponent, SbomRequest, generate, parse_model_inventory, purl,
};
use serde_json::Value;

const SCHEMA_DIR: &str = "../../../../shared/schemas/cyclonedx";
const FIXTURES: &str = "../../../crates/lockfiles/tests/fixtures";

fn read(relative: &str) -> Vec<u8> {
    let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(relative: &str) -> Value {
    serde_json::from_slice(&read(relative)).unwrap()
}

/// Serves the two schemas `bom-1.6.schema.json` refers to from the local
/// copies, so validation never needs the network.
struct LocalSchemas(HashMap<String, Value>);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("no local copy of {}", uri.as_str()).into())
    }
}

fn validator() -> jsonschema::Validator {
    let mut local = HashMap::new();
    for name in ["spdx.schema.json", "jsf-0.82.schema.json"] {
        local.insert(
            format!("http://cyclonedx.org/schema/{name}"),
            json(&format!("{SCHEMA_DIR}/{name}")),
        );
    }
    jsonschema::options()
        .with_retriever(LocalSchemas(local))
        .should_validate_formats(true)
        .build(&json(&format!("{SCHEMA_DIR}/bom-1.6.schema.json")))
        .expect("the CycloneDX 1.6 schema compiles")
}

fn assert_schema_valid(document: &Value) {
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
}

fn fixture(name: &str, as_path: &str) -> Lockfile {
    parse(as_path, &read(&format!("{FIXTURES}/{name}"))).unwrap()
}

fn go_fixture() -> Lockfile {
    parse_with_companion(
        "services/go.mod",
        &read(&format!("{FIXTURES}/go.mod.fixture")),
        Some(&read(&format!("{FIXTURES}/go.sum.fixture"))),
    )
    .unwrap()
}

fn all_fixtures() -> Vec<Lockfile> {
    vec![
        fixture("cargo-v1.lock", "legacy/Cargo.lock"),
        fixture("cargo-v2.lock", "tools/grep/Cargo.lock"),
        fixture("cargo-v3.lock", "Cargo.lock"),
        fixture("cargo-v4.lock", "service/Cargo.lock"),
        fixture(
            "real-same-file-1.0.6-v1.lock",
            "vendor/same-file/Cargo.lock",
        ),
        fixture(
            "real-clap_mangen-0.2.33-v4.lock",
            "vendor/clap_mangen/Cargo.lock",
        ),
        fixture("package-lock-v1.json", "old/package-lock.json"),
        fixture("package-lock-v3.json", "web/package-lock.json"),
        fixture("requirements.txt.fixture", "py/requirements.txt"),
        fixture("poetry-2.lock.fixture", "py/poetry.lock"),
        fixture("poetry-1.1.lock.fixture", "py-old/poetry.lock"),
        fixture("uv.lock.fixture", "svc/uv.lock"),
        fixture("Pipfile.lock.fixture", "pipenv/Pipfile.lock"),
        go_fixture(),
    ]
}

fn options(timestamp: Option<i64>) -> Options {
    Options {
        timestamp,
        tool_name: "cordon".into(),
        tool_version: "0.1.0".into(),
    }
}

fn sbom(lockfiles: &[Lockfile], models: &[ModelEntry], timestamp: Option<i64>) -> Vec<u8> {
    generate(&SbomRequest {
        root: RootComponent {
            name: "workspace".into(),
            version: Some("1.0.0".into()),
        },
        lockfiles,
        lockfile_errors: &[],
        models,
        options: options(timestamp),
    })
    .unwrap()
}

/// bom-ref -> component, for top-level and nested (workspace) components.
fn components_by_ref(document: &Value) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    let top = document["components"].as_array().unwrap().iter();
    let nested = document["metadata"]["component"]["components"]
        .as_array()
        .into_iter()
        .flatten();
    for component in top.chain(nested) {
        let bom_ref = component["bom-ref"].as_str().unwrap().to_string();
        assert!(
            found.insert(bom_ref.clone(), component.clone()).is_none(),
            "duplicate bom-ref {bom_ref}"
        );
    }
    found
}

fn edges(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    document["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let depends_on = d["dependsOn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            (d["ref"].as_str().unwrap().to_string(), depends_on)
        })
        .collect()
}

fn expected_ref(lockfile: &Lockfile, index: usize) -> String {
    let package = &lockfile.packages[index];
    match package.source {
        Source::Workspace | Source::Path { .. } => {
            format!("{}#{}", lockfile.path, purl(package, None))
        }
        _ => purl(package, None),
    }
}

/// The document holds exactly the lockfile's packages, with their hashes,
/// scope and direct dependencies, and the root depends on its entry points.
fn assert_matches_lockfile(document: &Value, lockfile: &Lockfile) {
    let components = components_by_ref(document);
    let edges = edges(document);
    let refs: BTreeSet<String> = (0..lockfile.packages.len())
        .map(|i| expected_ref(lockfile, i))
        .collect();
    assert_eq!(
        components.keys().cloned().collect::<BTreeSet<_>>(),
        refs,
        "{}: component set",
        lockfile.path
    );
    for (index, package) in lockfile.packages.iter().enumerate() {
        let bom_ref = expected_ref(lockfile, index);
        let component = &components[&bom_ref];
        assert_eq!(
            component["purl"].as_str(),
            Some(purl(package, lockfile.os_release.as_ref()).as_str())
        );
        if !package.version.is_empty() {
            assert_eq!(
                component["version"].as_str(),
                Some(package.version.as_str())
            );
        }
        let hashes: BTreeSet<&str> = component["hashes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| h["content"].as_str().unwrap())
            .collect();
        let expected_hashes: BTreeSet<&str> =
            package.checksums.iter().map(|c| c.hex.as_str()).collect();
        assert_eq!(hashes, expected_hashes, "{bom_ref}: hashes");
        let scope = if package.dev { "optional" } else { "required" };
        assert_eq!(component["scope"].as_str(), Some(scope), "{bom_ref}: scope");
        let expected_edges: BTreeSet<String> = package
            .dependencies
            .iter()
            .map(|&d| expected_ref(lockfile, d))
            .filter(|d| *d != bom_ref)
            .collect();
        assert_eq!(edges[&bom_ref], expected_edges, "{bom_ref}: dependsOn");
    }
    assert_eq!(
        edges.len(),
        components.len() + 1,
        "one entry per component and the root"
    );
}

fn root_edges(document: &Value) -> BTreeSet<String> {
    let root = document["metadata"]["component"]["bom-ref"]
        .as_str()
        .unwrap();
    edges(document)[root].clone()
}

#[test]
fn every_fixture_alone_is_valid_and_complete() {
    for lockfile in all_fixtures() {
        let document: Value =
            serde_json::from_slice(&sbom(std::slice::from_ref(&lockfile), &[], Some(0))).unwrap();
        assert_schema_valid(&document);
        assert_matches_lockfile(&document, &lockfile);
    }
}

#[test]
fn root_depends_on_workspace_members_or_top_level_packages() {
    let cargo = fixture("cargo-v3.lock", "Cargo.lock");
    let document: Value =
        serde_json::from_slice(&sbom(std::slice::from_ref(&cargo), &[], None)).unwrap();
    assert_eq!(
        root_edges(&document),
        BTreeSet::from([
            "Cargo.lock#pkg:cargo/app@0.1.0".to_string(),
            "Cargo.lock#pkg:cargo/helper@0.1.0".to_string(),
        ])
    );
    let members: Vec<&str> = document["metadata"]["component"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["app", "helper"]);
    assert!(
        document["metadata"].get("timestamp").is_none(),
        "no timestamp unless given"
    );

    let requirements = fixture("requirements.txt.fixture", "requirements.txt");
    let document: Value =
        serde_json::from_slice(&sbom(std::slice::from_ref(&requirements), &[], None)).unwrap();
    // Without a recorded root, the root depends on every package that no
    // other one pulls in: certifi comes `# via requests`.
    let top_level = root_edges(&document);
    assert_eq!(top_level.len(), requirements.packages.len() - 1);
    assert!(
        !top_level.iter().any(|r| r.contains("certifi")),
        "{top_level:?}"
    );
    let requests = document["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["ref"]
                .as_str()
                .is_some_and(|r| r.contains("requests@2.32.3"))
        })
        .unwrap();
    assert_eq!(
        requests["dependsOn"],
        serde_json::json!(["pkg:pypi/certifi@2024.7.4"])
    );
}

#[test]
fn purls_and_registry_links_per_ecosystem() {
    let document: Value = serde_json::from_slice(&sbom(&all_fixtures(), &[], Some(0))).unwrap();
    let components = components_by_ref(&document);
    let expect = [
        (
            "pkg:npm/%40babel/code-frame@7.24.7",
            "@babel",
            "https://registry.npmjs.org/@babel/code-frame/-/code-frame-7.24.7.tgz",
        ),
        (
            "pkg:golang/github.com/google/uuid@v1.6.0",
            "github.com/google",
            "https://proxy.golang.org/github.com/google/uuid/@v/v1.6.0.zip",
        ),
    ];
    for (purl, group, url) in expect {
        let component = &components[purl];
        assert_eq!(component["group"].as_str(), Some(group));
        assert_eq!(component["externalReferences"][0]["type"], "distribution");
        assert_eq!(
            component["externalReferences"][0]["url"].as_str(),
            Some(url)
        );
    }
    let requests = &components["pkg:pypi/requests@2.32.3"];
    assert_eq!(requests["name"], "requests");
    let debug = &components["pkg:npm/debug@4.3.5"];
    assert_eq!(debug["licenses"][0]["expression"], "MIT");
    let crate_ = &components["pkg:cargo/proc-macro2@1.0.107"];
    assert_eq!(crate_["hashes"][0]["alg"], "SHA-256");
    assert_eq!(
        crate_["externalReferences"][0]["url"],
        "https://crates.io/api/v1/crates/proc-macro2/1.0.107/download"
    );
}

#[test]
fn a_package_in_two_lockfiles_is_one_component_with_both_locations() {
    let a = fixture("cargo-v3.lock", "a/Cargo.lock");
    let b = fixture("cargo-v3.lock", "b/Cargo.lock");
    let document: Value = serde_json::from_slice(&sbom(&[a.clone(), b], &[], Some(0))).unwrap();
    assert_schema_valid(&document);
    let components = components_by_ref(&document);
    let registry_and_git = a
        .packages
        .iter()
        .filter(|p| p.source != Source::Workspace)
        .count();
    // Shared registry/git packages once; each lockfile's members separately.
    assert_eq!(components.len(), registry_and_git + 2 * a.roots.len());
    let locations: Vec<&str> = components["pkg:cargo/quote@1.0.47"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "cordon:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(locations, ["a/Cargo.lock:33", "b/Cargo.lock:33"]);
}

#[test]
fn output_is_byte_identical_for_the_same_inputs_in_any_order() {
    let mut lockfiles = all_fixtures();
    let models = vec![ModelEntry::from_file(
        "models/w.safetensors",
        1024,
        Some("0".repeat(64)),
    )];
    let first = sbom(&lockfiles, &models, Some(1_700_000_000));
    lockfiles.reverse();
    let second = sbom(&lockfiles, &models, Some(1_700_000_000));
    assert_eq!(first, second);

    let document: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(document["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let later: Value =
        serde_json::from_slice(&sbom(&lockfiles, &models, Some(1_700_000_001))).unwrap();
    assert_ne!(document["serialNumber"], later["serialNumber"]);
    let serial = document["serialNumber"].as_str().unwrap();
    assert!(serial.starts_with("urn:uuid:"));
}

#[test]
fn combined_document_with_models_is_valid() {
    let inventory = br#"{"version": 1, "models": [
      {"path": "models/llama.gguf", "format": "gguf", "size": 4368439584,
       "sha256": "3b7d6ae0b2b0e1c2c6f4d1f0e1b8e2b5a5d3c1f8e9a7b6c5d4e3f2a1b0c9d8e7",
       "metadata": {"tensor_count": 291, "parameter_count": 8030261248, "dtypes": ["Q4_K", "F32", "Q6_K"],
                    "architecture": "llama", "quantization": "Q4_K_M", "context_length": 8192,
                    "name": "Meta Llama 3 8B", "properties": {"general.license": "llama3"}}},
      {"path": "models/classifier.onnx", "format": "onnx", "size": 2048, "metadata": {}, "findings": 0}
    ]}"#;
    let models = parse_model_inventory(inventory).unwrap();
    let document: Value = serde_json::from_slice(&sbom(&all_fixtures(), &models, Some(0))).unwrap();
    assert_schema_valid(&document);
    let components = components_by_ref(&document);
    let llama = &components["model:models/llama.gguf"];
    assert_eq!(llama["type"], "machine-learning-model");
    assert_eq!(llama["hashes"][0]["alg"], "SHA-256");
    assert_eq!(
        llama["modelCard"]["modelParameters"]["architectureFamily"],
        "llama"
    );
    let card: BTreeMap<&str, &str> = llama["modelCard"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(card["cordon:model:parameter_count"], "8030261248");
    assert_eq!(card["cordon:model:quantization"], "Q4_K_M");
    assert_eq!(card["cordon:model:dtypes"], "F32,Q4_K,Q6_K");
    let onnx = &components["model:models/classifier.onnx"];
    assert!(onnx.get("modelCard").is_none());
    assert!(
        onnx["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "cordon:model:size" && p["value"] == "2048")
    );
    assert!(root_edges(&document).contains("model:models/llama.gguf"));
}

#[test]
fn unparsable_lockfiles_are_recorded_in_the_document() {
    let error = parse(
        "broken/Cargo.lock",
        b"[[package]]\nname = 'x'\nversion = \n",
    )
    .unwrap_err();
    let lockfiles = vec![fixture("cargo-v2.lock", "Cargo.lock")];
    let bytes = generate(&SbomRequest {
        root: RootComponent {
            name: "workspace".into(),
            version: None,
        },
        lockfiles: &lockfiles,
        lockfile_errors: std::slice::from_ref(&error),
        models: &[],
        options: options(None),
    })
    .unwrap();
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    assert_schema_valid(&document);
    let errors: Vec<&str> = document["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "cordon:lockfile-error")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("broken/Cargo.lock:3:"),
        "{}",
        errors[0]
    );
}

#[test]
fn this_workspace_cargo_lock_has_every_hash_and_edge() {
    let lockfile = parse("Cargo.lock", &read("../../../Cargo.lock")).unwrap();
    assert!(lockfile.warnings.is_empty(), "{:?}", lockfile.warnings);
    let document: Value =
        serde_json::from_slice(&sbom(std::slice::from_ref(&lockfile), &[], Some(0))).unwrap();
    assert_schema_valid(&document);
    assert_matches_lockfile(&document, &lockfile);
    let components = components_by_ref(&document);
    let registry: Vec<&Value> = components
        .values()
        .filter(|c| {
            c["properties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["value"] == "registry")
        })
        .collect();
    assert!(!registry.is_empty());
    assert!(
        registry
            .iter()
            .all(|c| c["hashes"].as_array().is_some_and(|h| h.len() == 1))
    );
}

#[test]
fn the_schema_check_itself_rejects_invalid_documents() {
    let mut document: Value = serde_json::from_slice(&sbom(
        &[fixture("cargo-v2.lock", "Cargo.lock")],
        &[],
        Some(0),
    ))
    .unwrap();
    document["components"][0]["scope"] = Value::from("sometimes");
    document["serialNumber"] = Value::from("not-a-uuid");
    let errors = validator().iter_errors(&document).count();
    assert!(errors >= 2, "{errors} errors");
}

/// A real safetensors file read by the models engine, passed through its
/// `model-inventory` artifact JSON, becomes a complete ML-BOM entry.
#[test]
fn models_engine_inventory_round_trips_into_the_sbom() {
    let header = br#"{"__metadata__": {"format": "pt"}, "proj.weight": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]}, "proj.bias": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}"#;
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header);
    file.extend_from_slice(&[0u8; 20]);

    let scan = cordon_models::scan(
        "models/proj.safetensors",
        &file,
        &cordon_models::Limits::default(),
    )
    .expect("a safetensors file is a model");
    let mut entry = scan.inventory.expect("inventory entry");
    entry.sha256 = Some(cordon_models::sha256_hex(&file, 1 << 16).unwrap());
    let artifact =
        serde_json::to_vec(&cordon_models::ModelInventory::new(vec![entry.clone()])).unwrap();

    let models = parse_model_inventory(&artifact).unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].sha256, entry.sha256);
    assert_eq!(models[0].metadata.tensor_count, Some(2));
    assert_eq!(models[0].metadata.parameter_count, Some(8));

    let document: Value = serde_json::from_slice(&sbom(&[], &models, Some(0))).unwrap();
    assert_schema_valid(&document);
    let components = components_by_ref(&document);
    let model = &components["model:models/proj.safetensors"];
    assert_eq!(
        model["hashes"][0]["content"].as_str(),
        entry.sha256.as_deref()
    );
    let card: BTreeMap<&str, &str> = model["modelCard"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(card["cordon:model:tensor_count"], "2");
    assert_eq!(card["cordon:model:parameter_count"], "8");
    assert_eq!(card["cordon:model:dtypes"], "F16,F32");
    let properties: BTreeMap<&str, &str> = model["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(properties["cordon:model:format"], "safetensors");
    assert_eq!(properties["cordon:model:size"], file.len().to_string());
}
