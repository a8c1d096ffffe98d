mod common;

use common::{deps_of, find, names, parse_fixture};
use cordon_lockfiles::{Ecosystem, HashAlg, LockfileKind, Source, parse};

#[test]
fn v3_packages_edges_scopes_and_sources() {
    let lock = parse_fixture("package-lock-v3.json", "web/package-lock.json");
    assert_eq!(lock.kind, LockfileKind::PackageLock);
    assert_eq!(
        names(&lock),
        [
            "@babel/code-frame 7.24.7",
            "debug 4.3.5",
            "left-pad 1.3.0",
            "local-utils 0.0.1",
            "ms 2.1.2",
            "ms 2.1.3",
            "picocolors 1.0.1",
            "ui-kit 0.3.0",
            "web-app 1.0.0",
        ]
    );
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    assert_eq!(
        deps_of(&lock, "web-app", "1.0.0"),
        [
            "@babel/code-frame 7.24.7",
            "debug 4.3.5",
            "left-pad 1.3.0",
            "local-utils 0.0.1",
            "ms 2.1.3"
        ]
    );
    // Node resolution: debug's own nested ms wins over the hoisted one.
    assert_eq!(deps_of(&lock, "debug", "4.3.5"), ["ms 2.1.2"]);
    // The workspace member resolves `debug` from the project's node_modules.
    assert_eq!(deps_of(&lock, "ui-kit", "0.3.0"), ["debug 4.3.5"]);
    assert_eq!(
        deps_of(&lock, "@babel/code-frame", "7.24.7"),
        ["picocolors 1.0.1"]
    );

    let mut roots: Vec<&str> = lock
        .roots
        .iter()
        .map(|&i| lock.packages[i].name.as_str())
        .collect();
    roots.sort();
    assert_eq!(roots, ["ui-kit", "web-app"]);
    assert_eq!(find(&lock, "ui-kit", "0.3.0").source, Source::Workspace);
    assert_eq!(
        find(&lock, "local-utils", "0.0.1").source,
        Source::Path {
            path: "../local-utils".into()
        }
    );
    assert_eq!(
        find(&lock, "left-pad", "1.3.0").source,
        Source::Git {
            url: "ssh://git@github.com/stevemao/left-pad.git".into(),
            rev: Some("5c7b5c3ff9ef1ee6a3c36f3dd5b17e5a1a9c6b6a".into()),
        }
    );
    assert_eq!(
        find(&lock, "picocolors", "1.0.1").source,
        Source::Registry {
            url: Some("https://npm.example.com".into())
        }
    );
    let debug = find(&lock, "debug", "4.3.5");
    assert_eq!(debug.source, Source::Registry { url: None });
    assert_eq!(debug.license.as_deref(), Some("MIT"));
    assert_eq!(debug.line, Some(40));
    assert_eq!(debug.checksums.len(), 1);
    assert_eq!(debug.checksums[0].alg, HashAlg::Sha512);
    assert_eq!(debug.checksums[0].hex.len(), 128);
    let nested_ms = find(&lock, "ms", "2.1.2");
    let algs: Vec<&HashAlg> = nested_ms.checksums.iter().map(|c| &c.alg).collect();
    assert_eq!(algs, [&HashAlg::Sha512, &HashAlg::Sha1]);
    assert!(find(&lock, "ms", "2.1.3").dev);
    assert!(!nested_ms.dev);
    // Absent optional (`fsevents`) and optional peer (`supports-color`)
    // dependencies are normal, not warnings.
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
}

#[test]
fn v1_nested_dependencies() {
    let lock = parse_fixture("package-lock-v1.json", "package-lock.json");
    assert_eq!(
        names(&lock),
        [
            "debug 2.6.9",
            "gitdep 0123456789abcdef0123456789abcdef01234567",
            "ms 2.0.0",
            "ms 2.1.3",
            "old-app 2.0.0",
            "tiny-lib ",
        ]
    );
    assert_eq!(deps_of(&lock, "debug", "2.6.9"), ["ms 2.0.0"]);
    assert_eq!(
        deps_of(&lock, "old-app", "2.0.0"),
        [
            "debug 2.6.9",
            "gitdep 0123456789abcdef0123456789abcdef01234567",
            "ms 2.1.3",
            "tiny-lib "
        ]
    );
    assert_eq!(find(&lock, "ms", "2.0.0").line, Some(15));
    assert_eq!(find(&lock, "ms", "2.1.3").line, Some(22));
    assert_eq!(
        find(&lock, "tiny-lib", "").source,
        Source::Path {
            path: "../tiny-lib".into()
        }
    );
    assert_eq!(find(&lock, "ms", "2.0.0").checksums[0].alg, HashAlg::Sha1);
}

#[test]
fn shrinkwrap_is_detected_and_missing_dependency_warns() {
    let text = r#"{
  "name": "x", "version": "1.0.0", "lockfileVersion": 3,
  "packages": {
    "": {"name": "x", "version": "1.0.0", "dependencies": {"gone": "^1"}}
  }
}"#;
    let lock = parse("npm-shrinkwrap.json", text.as_bytes()).unwrap();
    assert_eq!(lock.kind, LockfileKind::PackageLock);
    let unnamed = r#"{"lockfileVersion": 3, "packages": {"": {}}}"#;
    let lock_without_name = parse("apps/site/package-lock.json", unnamed.as_bytes()).unwrap();
    assert_eq!(lock_without_name.packages[0].name, "site");
    assert_eq!(lock.warnings.len(), 1);
    assert!(lock.warnings[0].message.contains("`gone`"));
    assert_eq!(lock.warnings[0].line, Some(4));
}

#[test]
fn malformed_json_has_position() {
    let err = parse(
        "package-lock.json",
        b"{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(4));
    let err = parse("package-lock.json", br#"{"lockfileVersion": 3}"#).unwrap_err();
    assert!(err.message.contains("packages"), "{err}");
}
