//! yarn.lock (classic and berry), pnpm-lock.yaml (5.4, 6, 9) and bun.lock.

mod common;

use common::{deps_of, find, names, parse_fixture};
use cordon_lockfiles::{Ecosystem, LockfileKind, Source};

#[test]
fn yarn_classic_reads_aliases_git_file_and_descriptor_links() {
    let lock = parse_fixture("yarn-v1.lock", "web/yarn.lock");
    assert_eq!(lock.kind, LockfileKind::YarnLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "@babel/code-frame 7.22.13",
            "@babel/highlight 7.22.20",
            "chalk 2.4.2",
            "fsevents 2.3.3",
            "lodash 4.17.15",
            "minimist 1.2.5",
            "my-lib 0.1.0",
            // The alias `string-width-cjs` is reported as the real package.
            "string-width 4.2.3",
            "tiny-git-dep 1.0.0",
        ]
    );
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    let code_frame = find(&lock, "@babel/code-frame", "7.22.13");
    assert_eq!(code_frame.line, Some(5));
    assert_eq!(code_frame.source, Source::Registry { url: None });
    assert_eq!(code_frame.checksums.len(), 1);
    assert_eq!(
        deps_of(&lock, "@babel/code-frame", "7.22.13"),
        ["@babel/highlight 7.22.20", "chalk 2.4.2"]
    );
    // Optional dependencies link too.
    assert_eq!(deps_of(&lock, "string-width", "4.2.3"), ["fsevents 2.3.3"]);
    assert_eq!(
        find(&lock, "my-lib", "0.1.0").source,
        Source::Path {
            path: "./packages/my-lib".into()
        }
    );
    assert_eq!(deps_of(&lock, "my-lib", "0.1.0"), ["lodash 4.17.15"]);
    assert_eq!(
        find(&lock, "tiny-git-dep", "1.0.0").source,
        Source::Git {
            url: "https://github.com/example/tiny-git-dep".into(),
            rev: Some("5f3c2a1b7e9d4c8a6f0e1d2c3b4a5f6e7d8c9b0a".into())
        }
    );
    // registry.npmjs.org and yarn's mirror are both the public registry.
    assert_eq!(
        find(&lock, "lodash", "4.17.15").source,
        Source::Registry { url: None }
    );
}

#[test]
fn yarn_berry_reads_workspaces_protocols_and_aliases() {
    let lock = parse_fixture("yarn-berry.lock", "yarn.lock");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "@types/node 20.8.10",
            "app ",
            "left-pad 1.3.0",
            "lodash 4.17.20",
            "monorepo ",
            "strip-ansi 6.0.1",
            "undici-types 5.26.5",
        ]
    );
    let app = find(&lock, "app", "");
    assert_eq!(app.source, Source::Workspace);
    assert_eq!(lock.roots.len(), 2);
    // `fsevents` is optional and absent: no link and no warning.
    assert_eq!(
        deps_of(&lock, "app", ""),
        [
            "@types/node 20.8.10",
            "left-pad 1.3.0",
            "lodash 4.17.20",
            "strip-ansi 6.0.1"
        ]
    );
    assert_eq!(
        find(&lock, "left-pad", "1.3.0").source,
        Source::Git {
            url: "https://github.com/example/left-pad.git".into(),
            rev: Some("0a1b2c3d".into())
        }
    );
    assert_eq!(find(&lock, "lodash", "4.17.20").line, Some(39));
}

#[test]
fn pnpm_v9_reads_importers_snapshots_aliases_and_dev_scope() {
    let lock = parse_fixture("pnpm-v9.yaml", "pnpm-lock.yaml");
    assert_eq!(lock.kind, LockfileKind::PnpmLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    let registry: Vec<String> = lock
        .packages
        .iter()
        .filter(|p| p.source != Source::Workspace)
        .map(|p| format!("{} {} dev={}", p.name, p.version, p.dev))
        .collect();
    let mut registry = registry;
    registry.sort();
    assert_eq!(
        registry,
        [
            "js-tokens 4.0.0 dev=false",
            "local-tool 0.3.0 dev=false",
            "loose-envify 1.4.0 dev=false",
            "react 18.2.0 dev=false",
            "react-dom 18.2.0 dev=false",
            "string-width 4.2.3 dev=false",
            "tiny-git-dep 1.0.0 dev=true",
            "typescript 5.2.2 dev=true",
        ]
    );
    // Dependencies come from the snapshot, peers included.
    assert_eq!(
        deps_of(&lock, "react-dom", "18.2.0"),
        ["loose-envify 1.4.0", "react 18.2.0"]
    );
    assert_eq!(lock.roots.len(), 2);
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(
        root.name, "workspace",
        "an unnamed root takes its folder's name"
    );
    let direct: Vec<&str> = root
        .dependencies
        .iter()
        .map(|&i| lock.packages[i].name.as_str())
        .collect();
    assert!(
        direct.contains(&"string-width"),
        "alias resolved: {direct:?}"
    );
    assert!(direct.contains(&"tiny-git-dep"));
    assert_eq!(
        find(&lock, "tiny-git-dep", "1.0.0").source,
        Source::Git {
            url: "https://github.com/example/tiny-git-dep".into(),
            rev: Some("5f3c2a1b7e9d4c8a6f0e1d2c3b4a5f6e7d8c9b0a".into())
        }
    );
    assert_eq!(
        find(&lock, "local-tool", "0.3.0").source,
        Source::Path {
            path: "tools/local-tool".into()
        }
    );
    assert_eq!(find(&lock, "react", "18.2.0").line, Some(55));
    assert_eq!(find(&lock, "react", "18.2.0").checksums.len(), 1);
}

#[test]
fn pnpm_v6_reads_peer_suffixed_keys_and_dev_flags() {
    let lock = parse_fixture("pnpm-v6.yaml", "pnpm-lock.yaml");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    let widget = find(&lock, "@scope/widget", "2.1.0");
    assert!(!widget.dev);
    assert_eq!(
        deps_of(&lock, "@scope/widget", "2.1.0"),
        ["lodash 4.17.15", "react 17.0.2"]
    );
    assert!(find(&lock, "jest-lite", "1.0.4").dev);
    assert!(find(&lock, "minimist", "1.2.5").dev);
    assert!(!find(&lock, "lodash", "4.17.15").dev);
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(root.dependencies.len(), 3);
}

#[test]
fn pnpm_v5_reads_slash_keys_with_underscore_peers() {
    let lock = parse_fixture("pnpm-v5.yaml", "pnpm-lock.yaml");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock)
            .into_iter()
            .filter(|n| !n.starts_with("workspace"))
            .collect::<Vec<_>>(),
        ["@scope/widget 2.1.0", "lodash 4.17.15", "react 17.0.2"]
    );
    assert_eq!(
        deps_of(&lock, "@scope/widget", "2.1.0"),
        ["lodash 4.17.15", "react 17.0.2"]
    );
}

#[test]
fn bun_lock_reads_workspaces_nested_installs_git_and_dev_scope() {
    let lock = parse_fixture("bun.lock.fixture", "bun.lock");
    assert_eq!(lock.kind, LockfileKind::BunLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "ansi-styles 3.2.1",
            "chalk 2.4.2",
            "color-convert 1.9.3",
            "fsevents 2.3.3",
            "lodash 4.17.15",
            "minimist 1.2.5",
            "storefront ",
            "string-width 4.2.3",
            "tiny-git-dep ",
            "typescript 5.2.2",
            "ui ",
        ]
    );
    assert!(find(&lock, "typescript", "5.2.2").dev);
    assert!(
        !find(&lock, "color-convert", "1.9.3").dev,
        "reached from the ui workspace"
    );
    assert!(!find(&lock, "minimist", "1.2.5").dev);
    // `tiny-git-dep/minimist` is nested under its parent.
    assert_eq!(deps_of(&lock, "tiny-git-dep", ""), ["minimist 1.2.5"]);
    assert_eq!(
        find(&lock, "tiny-git-dep", "").source,
        Source::Git {
            url: "github:example/tiny-git-dep".into(),
            rev: Some("5f3c2a1".into())
        }
    );
    assert_eq!(deps_of(&lock, "ui", ""), ["chalk 2.4.2"]);
    assert_eq!(lock.roots.len(), 2);
    assert_eq!(find(&lock, "lodash", "4.17.15").line, Some(35));
    assert_eq!(find(&lock, "lodash", "4.17.15").checksums.len(), 1);
}

#[test]
fn pnpm_v6_aliases_and_workspace_links_resolve() {
    let text = "lockfileVersion: '6.0'

importers:

  .:
    dependencies:
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: /string-width@4.2.3
      shared:
        specifier: workspace:*
        version: link:packages/shared

  packages/shared:
    devDependencies:
      left-pad:
        specifier: ^1.3.0
        version: 1.3.0

packages:

  /left-pad@1.3.0:
    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQPk2B4p7XRH3XUQmqqYr1ay5VmJHRoN3kPE8MmL39gM6Q0Q==}
    dev: true

  /string-width@4.2.3:
    resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
    dev: false
";
    let lock = cordon_lockfiles::parse("pnpm-lock.yaml", text.as_bytes()).unwrap();
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(lock.roots.len(), 2);
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(
        root.dependencies.len(),
        1,
        "the alias; the link is a project"
    );
    assert_eq!(lock.packages[root.dependencies[0]].name, "string-width");
    assert!(find(&lock, "left-pad", "1.3.0").dev);
    assert!(!find(&lock, "string-width", "4.2.3").dev);
}

#[test]
fn yarn_berry_patched_packages_keep_their_registry_identity() {
    let text = r#"__metadata:
  version: 8

"resolve@patch:resolve@npm%3A^1.22.0#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  languageName: node
  linkType: hard

"local-utils@file:../utils::locator=app%40workspace%3A.":
  version: 0.0.1
  resolution: "local-utils@file:../utils#../utils::hash=1a2b3c&locator=app%40workspace%3A."
  languageName: node
  linkType: hard
"#;
    let lock = cordon_lockfiles::parse("yarn.lock", text.as_bytes()).unwrap();
    assert_eq!(
        find(&lock, "resolve", "1.22.8").source,
        Source::Registry { url: None },
        "a patched registry package is still that release for advisories"
    );
    assert_eq!(
        find(&lock, "local-utils", "0.0.1").source,
        Source::Path {
            path: "../utils".into()
        }
    );
    assert!(cordon_lockfiles::parse("yarn.lock", b"__metadata:\n  version: [\n").is_err());
}
