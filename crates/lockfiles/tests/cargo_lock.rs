mod common;

use common::{deps_of, find, fixture, names, parse_fixture};
use cordon_lockfiles::{Ecosystem, HashAlg, LockfileKind, Source, parse};

#[test]
fn v1_root_table_and_metadata_checksums() {
    let lock = parse_fixture("cargo-v1.lock", "legacy/Cargo.lock");
    assert_eq!(lock.kind, LockfileKind::CargoLock);
    assert_eq!(
        names(&lock),
        ["itoa 0.4.8", "legacy-app 0.1.0", "serde 1.0.100"]
    );
    let root = find(&lock, "legacy-app", "0.1.0");
    assert_eq!(root.source, Source::Workspace);
    assert_eq!(root.line, Some(2));
    assert_eq!(
        lock.roots
            .iter()
            .map(|&i| lock.packages[i].name.as_str())
            .collect::<Vec<_>>(),
        ["legacy-app"]
    );
    assert_eq!(
        deps_of(&lock, "legacy-app", "0.1.0"),
        ["itoa 0.4.8", "serde 1.0.100"]
    );
    let itoa = find(&lock, "itoa", "0.4.8");
    assert_eq!(itoa.ecosystem, Ecosystem::CratesIo);
    assert_eq!(itoa.source, Source::Registry { url: None });
    assert_eq!(itoa.line, Some(10));
    assert_eq!(itoa.checksums.len(), 1);
    assert_eq!(itoa.checksums[0].alg, HashAlg::Sha256);
    assert_eq!(
        itoa.checksums[0].hex,
        "b71991ff56294aa922b450139ee08b3bfc70982c6b2c7562771375cf73542dd4"
    );
    assert_eq!(deps_of(&lock, "serde", "1.0.100"), ["itoa 0.4.8"]);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
}

#[test]
fn v2_without_version_key() {
    let lock = parse_fixture("cargo-v2.lock", "Cargo.lock");
    assert_eq!(names(&lock), ["memchr 2.8.3", "tiny-grep 0.2.0"]);
    assert_eq!(deps_of(&lock, "tiny-grep", "0.2.0"), ["memchr 2.8.3"]);
    assert_eq!(find(&lock, "memchr", "2.8.3").line, Some(4));
}

#[test]
fn v3_workspace_git_and_two_versions_of_one_crate() {
    let lock = parse_fixture("cargo-v3.lock", "Cargo.lock");
    assert_eq!(lock.packages.len(), 9);
    let mut roots: Vec<&str> = lock
        .roots
        .iter()
        .map(|&i| lock.packages[i].name.as_str())
        .collect();
    roots.sort();
    assert_eq!(roots, ["app", "helper"]);
    assert_eq!(
        deps_of(&lock, "app", "0.1.0"),
        [
            "helper 0.1.0",
            "proc-macro2 1.0.107",
            "serde 1.0.229",
            "syn 2.0.119",
            "vendored-fork 0.3.0"
        ]
    );
    assert_eq!(deps_of(&lock, "helper", "0.1.0"), ["syn 3.0.10"]);
    assert_eq!(
        deps_of(&lock, "syn", "3.0.10"),
        [
            "proc-macro2 1.0.107",
            "quote 1.0.47",
            "unicode-ident 1.0.27"
        ]
    );
    let fork = find(&lock, "vendored-fork", "0.3.0");
    assert_eq!(
        fork.source,
        Source::Git {
            url: "https://github.com/example/vendored-fork".into(),
            rev: Some("0123456789abcdef0123456789abcdef01234567".into()),
        }
    );
    assert!(fork.checksums.is_empty());
    assert_eq!(find(&lock, "syn", "3.0.10").line, Some(59));
    let with_checksums = lock.packages.iter().filter(|p| !p.checksums.is_empty());
    assert_eq!(with_checksums.count(), 6);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
}

#[test]
fn v4_alternate_registry_and_git_tag() {
    let lock = parse_fixture("cargo-v4.lock", "Cargo.lock");
    assert_eq!(
        find(&lock, "ryu", "1.0.23").source,
        Source::Registry {
            url: Some("https://registry.example.com/index/".into())
        }
    );
    assert_eq!(
        find(&lock, "tagged", "0.9.1").source,
        Source::Git {
            url: "https://github.com/example/tagged".into(),
            rev: Some("89abcdef0123456789abcdef0123456789abcdef".into()),
        }
    );
    assert_eq!(
        deps_of(&lock, "service", "1.2.0"),
        ["itoa 1.0.19", "ryu 1.0.23", "tagged 0.9.1"]
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let mut bytes = fixture("cargo-v3.lock");
    bytes.extend_from_slice(b"\n[[package]\nname = \"broken\"\n");
    let err = parse("Cargo.lock", &bytes).unwrap_err();
    assert_eq!(err.path, "Cargo.lock");
    assert_eq!(err.line, Some(80));
    assert!(err.column.is_some());
}

#[test]
fn truncated_lockfile_is_an_error() {
    let bytes = fixture("cargo-v3.lock");
    let cut = &bytes[..bytes.len() / 2];
    // Cutting in the middle of a string or table leaves invalid TOML or a
    // package without a version; either way it must not parse as clean.
    let cut_at_key = b"version = 3\n\n[[package]]\nname = \"app\"\n";
    assert!(parse("Cargo.lock", cut_at_key).is_err());
    if let Ok(lock) = parse("Cargo.lock", cut) {
        assert!(lock.packages.len() < 9);
    }
}

#[test]
fn dangling_dependency_is_a_warning() {
    let text = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"missing 2.0.0\",\n]\n";
    match parse("Cargo.lock", text.as_bytes()) {
        Ok(lock) => {
            assert_eq!(lock.warnings.len(), 1, "{:?}", lock.warnings);
            assert_eq!(lock.warnings[0].line, Some(4));
            assert!(lock.warnings[0].message.contains("missing"));
        }
        Err(err) => assert!(err.message.contains("missing"), "{err}"),
    }
}

#[test]
fn binary_input_is_an_error() {
    let err = parse("Cargo.lock", b"\x7fELF\x02\x01\x01\0\0\0").unwrap_err();
    assert_eq!(err.line, Some(1));
}

/// Lockfiles as published in crates (same-file 1.0.6: v1 with
/// `[metadata]` checksums; clap_mangen 0.2.33: v4): every entry, checksum
/// and dependency reference of the raw TOML is accounted for.
#[test]
fn real_published_lockfiles() {
    for (fixture_name, root_name) in [
        ("real-same-file-1.0.6-v1.lock", "same-file"),
        ("real-clap_mangen-0.2.33-v4.lock", "clap_mangen"),
    ] {
        let bytes = fixture(fixture_name);
        let raw: toml::Table = toml::from_str(std::str::from_utf8(&bytes).unwrap()).unwrap();
        let raw_packages = raw["package"].as_array().unwrap();
        let raw_edges: usize = raw_packages
            .iter()
            .map(|p| {
                p.get("dependencies")
                    .and_then(|d| d.as_array())
                    .map_or(0, Vec::len)
            })
            .sum();

        let lock = parse_fixture(fixture_name, "Cargo.lock");
        assert!(
            lock.warnings.is_empty(),
            "{fixture_name}: {:?}",
            lock.warnings
        );
        assert_eq!(lock.packages.len(), raw_packages.len(), "{fixture_name}");
        let edges: usize = lock.packages.iter().map(|p| p.dependencies.len()).sum();
        assert_eq!(edges, raw_edges, "{fixture_name}");
        assert_eq!(lock.roots.len(), 1);
        assert_eq!(lock.packages[lock.roots[0]].name, root_name);
        for package in &lock.packages {
            let registry = matches!(package.source, Source::Registry { url: None });
            assert_eq!(
                package.checksums.len(),
                usize::from(registry),
                "{fixture_name}: {} {}",
                package.name,
                package.version
            );
            assert!(package.line.is_some());
        }
    }
}
