//! Native runs of the stage through the SDK's test harness, with the
//! lockfile fixtures of `cordon-lockfiles` copied into temp workspaces.

use cordon_models::inventory::{INVENTORY_ARTIFACT, INVENTORY_MEDIA_TYPE};
use cordon_sbom::{SBOM_ARTIFACT, SBOM_MEDIA_TYPE};
use cordon_sdk::testing::{Harness, Outcome};
use cordon_sdk::{Stage, StageError};
use serde_json::{Value, json};

use super::Sbom;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../crates/lockfiles/tests/fixtures"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn write(dir: &std::path::Path, path: &str, content: impl AsRef<[u8]>) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(full, content).unwrap();
}

fn document(outcome: &Outcome) -> Value {
    let artifact = &outcome.artifacts[SBOM_ARTIFACT];
    assert_eq!(artifact.media_type, SBOM_MEDIA_TYPE);
    serde_json::from_slice(&artifact.bytes).unwrap()
}

fn components(document: &Value) -> Vec<&Value> {
    fn walk<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
        for component in list.as_array().into_iter().flatten() {
            out.push(component);
            walk(&component["components"], out);
        }
    }
    let mut out = Vec::new();
    walk(&document["components"], &mut out);
    walk(&document["metadata"]["component"]["components"], &mut out);
    out
}

/// A safetensors file: 8-byte header length, JSON header, tensor data.
fn safetensors(header: &str, data_len: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.lock",
        fixture("real-same-file-1.0.6-v1.lock"),
    );
    write(dir.path(), "py/requirements.txt", "idna==3.7\nflask>=2\n");
    write(dir.path(), "web/package-lock.json", "{ not json");
    write(
        dir.path(),
        "models/tiny.safetensors",
        safetensors(
            r#"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}"#,
            6,
        ),
    );
    dir
}

#[test]
fn describe_requests_the_inventory_and_the_sbom() {
    let info = Sbom::describe();
    assert_eq!(info.name, "sbom");
    let ids: Vec<_> = info.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["sbom/unparsable-lockfile", "sbom/incomplete-lockfile"]
    );
    assert!(info.requests.workspace);
    assert_eq!(info.requests.artifacts_read, ["model-inventory"]);
    assert_eq!(info.requests.artifacts_write, ["sbom"]);
    assert_eq!(info.requests.data, ["cargo-registry"]);
}

#[test]
fn licences_from_an_installed_environment_that_gitignore_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    };
    git(&["init", "-q"]);
    write(dir.path(), ".gitignore", ".venv/\nnode_modules/\n");
    write(dir.path(), "requirements.txt", "idna==3.4\n");
    write(
        dir.path(),
        ".venv/lib/python3.11/site-packages/idna-3.4.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: idna\nVersion: 3.4\nLicense-Expression: BSD-3-Clause\n\n",
    );
    // A lockfile in the ignored environment is still not the workspace's.
    write(dir.path(), ".venv/requirements.txt", "flask==2.0.0\n");
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({"reproducible": true}));
    let document = document(&outcome);
    let all = components(&document);
    let purls: Vec<&str> = all.iter().filter_map(|c| c["purl"].as_str()).collect();
    assert_eq!(purls, ["pkg:pypi/idna@3.4"]);
    assert_eq!(all[0]["licenses"][0]["expression"], "BSD-3-Clause");
    assert!(
        outcome.summary().notes.iter().any(|n| n.starts_with(
            "installed-package metadata read from 1 file(s) that .gitignore excludes"
        )),
        "{:?}",
        outcome.summary().notes
    );
}

#[test]
fn crates_io_licences_come_from_the_cargo_registry_data_set() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\", \"ryu\"]\n\n\
         [[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"ryu\"\nversion = \"1.0.18\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let registry = tempfile::tempdir().unwrap();
    write(
        registry.path(),
        "itoa-1.0.11/Cargo.toml",
        "[package]\nname = \"itoa\"\nversion = \"1.0.11\"\nlicense = \"MIT OR Apache-2.0\"\n",
    );
    let run = |registry: Option<&std::path::Path>| {
        let mut harness = Harness::new(dir.path()).read(&["**"]).writes(SBOM_ARTIFACT);
        if let Some(registry) = registry {
            harness = harness.data("cargo-registry", registry);
        }
        harness.run::<Sbom>(json!({"reproducible": true}))
    };
    let outcome = run(Some(registry.path()));
    let document = document(&outcome);
    let all = components(&document);
    let licence_of = |purl: &str| {
        all.iter().find(|c| c["purl"] == purl).unwrap()["licenses"][0]["expression"].clone()
    };
    assert_eq!(licence_of("pkg:cargo/itoa@1.0.11"), "MIT OR Apache-2.0");
    assert_eq!(licence_of("pkg:cargo/ryu@1.0.18"), Value::Null);
    let notes = &outcome.summary().notes;
    assert!(
        notes
            .iter()
            .any(|n| n == "1 crates.io licence(s) from the local cargo registry"),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("1 crates.io package(s) without a licence")),
        "{notes:?}"
    );

    // Without the data set, the gap is said, not hidden.
    let without = run(None);
    assert!(
        without
            .summary()
            .notes
            .iter()
            .any(|n| n.starts_with("licences of 2 crates.io package(s) not read")),
        "{:?}",
        without.summary().notes
    );
}

#[test]
fn writes_a_reproducible_cyclonedx_document() {
    let dir = workspace();
    let run = || {
        Harness::new(dir.path())
            .read(&["**"])
            .writes(SBOM_ARTIFACT)
            .run::<Sbom>(json!({"reproducible": true, "name": "demo", "version": "1.2.3"}))
    };
    let outcome = run();
    let summary = outcome.summary();
    // Three lockfiles read, one model file hashed.
    assert_eq!(summary.files_scanned, 4, "{summary:?}");
    assert!(
        summary.notes.iter().any(|n| n.starts_with("2 lockfile(s)")
            && n.contains("1 unparsable")
            && n.contains("1 model file(s) (from their headers)")),
        "{:?}",
        summary.notes
    );
    let document = document(&outcome);
    assert_eq!(document["bomFormat"], "CycloneDX");
    assert_eq!(document["specVersion"], "1.6");
    assert!(document["metadata"].get("timestamp").is_none());
    assert_eq!(document["metadata"]["component"]["name"], "demo");
    assert_eq!(document["metadata"]["component"]["version"], "1.2.3");
    let all = components(&document);
    assert!(
        all.iter().any(|c| c["purl"] == "pkg:pypi/idna@3.7"),
        "{all:?}"
    );
    assert!(all.iter().any(|c| c["name"] == "winapi-util"));
    let model = all
        .iter()
        .find(|c| c["type"] == "machine-learning-model")
        .expect("model component");
    assert_eq!(model["name"], "tiny.safetensors");
    assert_eq!(model["hashes"][0]["alg"], "SHA-256");

    // Equal input, equal bytes.
    assert_eq!(
        run().artifacts[SBOM_ARTIFACT].bytes,
        outcome.artifacts[SBOM_ARTIFACT].bytes
    );

    // Lockfile diagnostics are findings.
    let rules: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.as_str(),
                f.location.as_ref().unwrap().path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("sbom/unparsable-lockfile", "web/package-lock.json"),
            ("sbom/incomplete-lockfile", "py/requirements.txt")
        ]
    );
    let incomplete = &outcome.findings[1];
    assert_eq!(
        incomplete
            .location
            .as_ref()
            .unwrap()
            .region
            .unwrap()
            .start_line,
        2
    );
    assert!(incomplete.message.contains("flask"));
}

#[test]
fn timestamp_option_sets_the_metadata_time() {
    let dir = workspace();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({"timestamp": 1_700_000_000}));
    assert_eq!(
        document(&outcome)["metadata"]["timestamp"],
        "2023-11-14T22:13:20Z"
    );

    let now = Harness::new(dir.path())
        .read(&["**"])
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({}));
    let stamp = document(&now)["metadata"]["timestamp"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{stamp}");
}

#[test]
fn model_inventory_artifact_replaces_header_reads() {
    let dir = workspace();
    let inventory = json!({"version": 1, "models": [{
        "path": "models/tiny.safetensors",
        "format": "safetensors",
        "size": 70,
        "sha256": "ab".repeat(32),
        "metadata": {"parameter_count": 3, "dtypes": ["F16"], "architecture": "llama"},
    }]});
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .artifact(
            INVENTORY_ARTIFACT,
            INVENTORY_MEDIA_TYPE,
            inventory.to_string(),
        )
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({"reproducible": true}));
    let summary = outcome.summary();
    assert_eq!(
        summary.files_scanned, 3,
        "the model file itself is not read"
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("1 model file(s) (from the model-inventory artifact)"))
    );
    let document = document(&outcome);
    let all = components(&document);
    let model = all
        .iter()
        .find(|c| c["type"] == "machine-learning-model")
        .unwrap();
    assert_eq!(model["hashes"][0]["content"], "ab".repeat(32));
    let text = model.to_string();
    assert!(text.contains("llama"), "{text}");

    let broken = Harness::new(dir.path())
        .read(&["**"])
        .artifact(INVENTORY_ARTIFACT, INVENTORY_MEDIA_TYPE, "[{")
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({}));
    assert!(matches!(&broken.result, Err(StageError::Failed(m)) if m.contains("model-inventory")));
}

#[test]
fn sbom_write_must_be_granted_and_options_are_checked() {
    let dir = workspace();
    let denied = Harness::new(dir.path())
        .read(&["**"])
        .run::<Sbom>(json!({"reproducible": true}));
    assert!(matches!(&denied.result, Err(StageError::Denied(m)) if m.contains("sbom")));

    let unknown = Harness::new(dir.path())
        .read(&["**"])
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({"source-date-epoch": 1}));
    assert!(
        matches!(&unknown.result, Err(StageError::InvalidOptions(m)) if m.contains("`source-date-epoch`"))
    );
    let negative = Harness::new(dir.path())
        .read(&["**"])
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({"timestamp": -5}));
    assert!(
        matches!(&negative.result, Err(StageError::InvalidOptions(m)) if m.contains("timestamp"))
    );
}

/// A `.venv` is hidden, and is where uv, Poetry and Rye put the
/// environment: its metadata gives the licences. Lockfiles in hidden
/// folders and those that installed npm packages ship are not the
/// workspace's and add no component.
#[test]
fn licences_from_a_hidden_venv_and_no_lockfiles_of_installed_packages() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "idna==3.4\ndistro==1.8.0\n");
    write(
        dir.path(),
        ".venv/lib/python3.11/site-packages/idna-3.4.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: idna\nVersion: 3.4\nLicense-Expression: BSD-3-Clause\n\nbody\n",
    );
    write(
        dir.path(),
        ".venv/lib/python3.11/site-packages/distro-1.8.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: distro\nVersion: 1.8.0\nLicense: Apache License, Version 2.0\n\n",
    );
    write(dir.path(), ".tox/py311/requirements.txt", "flask==2.0.0\n");
    write(
        dir.path(),
        "node_modules/diff/yarn.lock",
        "# yarn lockfile v1\n\n\nmocha@^5.0.0:\n  version \"5.2.0\"\n  resolved \"https://registry.yarnpkg.com/mocha/-/mocha-5.2.0.tgz\"\n",
    );
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .writes(SBOM_ARTIFACT)
        .run::<Sbom>(json!({"reproducible": true}));
    let document = document(&outcome);
    let all = components(&document);
    let licence_of = |purl: &str| {
        all.iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("{purl} missing: {all:?}"))["licenses"][0]["expression"]
            .clone()
    };
    assert_eq!(licence_of("pkg:pypi/idna@3.4"), "BSD-3-Clause");
    assert_eq!(licence_of("pkg:pypi/distro@1.8.0"), "Apache-2.0");
    let purls: Vec<&str> = all.iter().filter_map(|c| c["purl"].as_str()).collect();
    assert_eq!(purls.len(), 2, "{purls:?}");
}
