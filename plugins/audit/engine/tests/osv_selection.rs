//! An OSV data set laid out one directory per ecosystem (as `cordon db
//! update` stores OSV's archives): a workspace reads only the directories
//! of its own ecosystems.

use std::path::Path;

use cordon_audit::{AuditConfig, Ecosystem, Index, Inventory, OsvSelection, audit, parse_date};
use cordon_lockfiles::{Package, Source};

fn package(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
    Package {
        ecosystem,
        name: name.into(),
        version: version.into(),
        source: Source::Registry { url: None },
        checksums: vec![],
        dev: false,
        license: None,
        line: Some(1),
        dependencies: vec![],
        source_package: None,
    }
}

/// Every file under `root`, relative and `/`-separated, as the host lists
/// a data set.
fn list(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_malformed_npm_directory_does_not_touch_a_rust_only_audit() {
    let data = tempfile::tempdir().unwrap();
    let root = data.path();
    write(
        root,
        "crates.io/RUSTSEC-2099-0001.json",
        r#"{"id": "RUSTSEC-2099-0001", "summary": "demo overflows",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "demo"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]}"#,
    );
    write(
        root,
        "crates.io/manifest.toml",
        "source = \"osv:crates.io\"\n",
    );
    // Damaged npm data: a truncated record and a record of garbage.
    write(root, "npm/GHSA-aaaa-bbbb-cccc.json", r#"{"id": "GHSA-aaaa"#);
    write(root, "npm/GHSA-dddd-eeee-ffff.json", "\u{0}\u{1}binary");

    let rust_only = Inventory {
        path: "Cargo.lock".into(),
        packages: vec![package(Ecosystem::CratesIo, "demo", "1.1.0")],
        roots: vec![],
        warnings: vec![],
        os_release: None,
    };
    let inventories = [rust_only];
    let selection = OsvSelection::for_inventories(&inventories);
    let files: Vec<(String, Vec<u8>)> = list(root)
        .into_iter()
        .filter(|path| selection.wants(path))
        .map(|path| {
            let bytes = std::fs::read(root.join(&path)).unwrap();
            (path, bytes)
        })
        .collect();
    assert!(
        files.iter().all(|(path, _)| !path.starts_with("npm/")),
        "npm files were selected: {:?}",
        files.iter().map(|(path, _)| path).collect::<Vec<_>>()
    );

    let (index, warnings) = Index::build(files).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let today = parse_date("2099-06-01").unwrap();
    let report = audit(&[&index], &inventories, &AuditConfig::default(), today);
    let found: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.advisory_id.as_str())
        .collect();
    assert_eq!(found, ["RUSTSEC-2099-0001"]);

    // The same data read whole does meet the damage: the selection, not
    // luck, kept it out.
    let everything: Vec<(String, Vec<u8>)> = list(root)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(root.join(&path)).unwrap();
            (path, bytes)
        })
        .collect();
    let (_, warnings) = Index::build(everything).unwrap();
    let damaged: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        damaged,
        [
            "npm/GHSA-aaaa-bbbb-cccc.json",
            "npm/GHSA-dddd-eeee-ffff.json"
        ]
    );
}

#[test]
fn a_mixed_workspace_reads_each_of_its_ecosystems() {
    let inventories = [Inventory {
        path: "package-lock.json".into(),
        packages: vec![
            package(Ecosystem::Npm, "left-pad", "1.0.0"),
            package(Ecosystem::PyPI, "demo", "1.0"),
        ],
        roots: vec![],
        warnings: vec![],
        os_release: None,
    }];
    let selection = OsvSelection::for_inventories(&inventories);
    assert_eq!(selection.key(), "npm+PyPI");
    assert!(selection.wants("npm/GHSA-1.json"));
    assert!(selection.wants("PyPI/PYSEC-1.json"));
    assert!(!selection.wants("crates.io/RUSTSEC-1.json"));
    assert!(!selection.wants("Go/GO-1.json"));
}
