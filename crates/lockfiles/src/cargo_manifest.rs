//! Licences of a `Cargo.lock`'s packages from their `Cargo.toml`.
//!
//! `Cargo.lock` names packages but not their licences; the manifests do:
//! workspace members' directly (`license = "MIT"`) or through the workspace
//! (`license.workspace = true` and `[workspace.package] license`), and
//! crates.io packages' in the published manifest cargo unpacked.

use serde::Deserialize;

use crate::text::{decode, toml_failure};
use crate::{Lockfile, LockfileKind, ParseError, Source};

/// What a `Cargo.toml` says about licences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoManifest {
    /// `[package] name`; `None` for a virtual workspace manifest.
    pub package_name: Option<String>,
    pub license: Option<ManifestLicense>,
    /// `[workspace.package] license`, set in the workspace root manifest.
    pub workspace_license: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestLicense {
    Declared(String),
    /// `license.workspace = true`.
    FromWorkspace,
}

#[derive(Deserialize)]
struct Manifest {
    package: Option<PackageTable>,
    workspace: Option<WorkspaceTable>,
}

#[derive(Deserialize)]
struct PackageTable {
    name: Option<String>,
    license: Option<Inheritable>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Inheritable {
    Value(String),
    Workspace { workspace: bool },
}

#[derive(Deserialize)]
struct WorkspaceTable {
    package: Option<WorkspacePackage>,
}

#[derive(Deserialize)]
struct WorkspacePackage {
    license: Option<String>,
}

/// Reads the licence facts of one `Cargo.toml`.
pub fn parse_cargo_manifest(path: &str, bytes: &[u8]) -> Result<CargoManifest, ParseError> {
    let fail = |failure: crate::Failure| ParseError {
        path: path.to_string(),
        line: failure.line,
        column: failure.column,
        message: failure.message,
    };
    let text = decode(bytes).map_err(fail)?;
    let manifest: Manifest = toml::from_str(text).map_err(|e| fail(toml_failure(text, &e)))?;
    let (package_name, license) = match manifest.package {
        Some(package) => (
            package.name,
            package.license.and_then(|license| match license {
                Inheritable::Value(text) => Some(ManifestLicense::Declared(text)),
                Inheritable::Workspace { workspace: true } => Some(ManifestLicense::FromWorkspace),
                Inheritable::Workspace { workspace: false } => None,
            }),
        ),
        None => (None, None),
    };
    Ok(CargoManifest {
        package_name,
        license,
        workspace_license: manifest
            .workspace
            .and_then(|w| w.package)
            .and_then(|p| p.license),
    })
}

/// Sets the licence of each workspace member of a `Cargo.lock` from the
/// manifests of its workspace (the root manifest and the members').
/// Members whose manifest is not given, or declares no licence, keep none.
pub fn apply_manifest_licenses(lockfile: &mut Lockfile, manifests: &[CargoManifest]) {
    if lockfile.kind != LockfileKind::CargoLock {
        return;
    }
    let workspace_license = manifests.iter().find_map(|m| m.workspace_license.clone());
    for package in &mut lockfile.packages {
        if package.source != Source::Workspace {
            continue;
        }
        let declared = manifests
            .iter()
            .find(|m| m.package_name.as_deref() == Some(package.name.as_str()))
            .and_then(|m| m.license.as_ref());
        package.license = match declared {
            Some(ManifestLicense::Declared(text)) => Some(text.clone()),
            Some(ManifestLicense::FromWorkspace) => workspace_license.clone(),
            None => None,
        };
    }
}

/// Licences of the crates.io packages of a `Cargo.lock` that have none yet,
/// from each crate's published `Cargo.toml` as cargo unpacked it
/// (`<name>-<version>/Cargo.toml` under the registry's source directory,
/// which `read` serves). A published manifest has its workspace fields
/// resolved, so its `license` is the crate's own. Returns how many were
/// found; crates without a readable manifest or a `license` keep none.
pub fn apply_registry_licenses(
    lockfile: &mut Lockfile,
    mut read: impl FnMut(&str) -> Option<Vec<u8>>,
) -> usize {
    if lockfile.kind != LockfileKind::CargoLock {
        return 0;
    }
    let mut found = 0;
    for package in &mut lockfile.packages {
        if package.license.is_some() || package.source != (Source::Registry { url: None }) {
            continue;
        }
        let path = format!("{}-{}/Cargo.toml", package.name, package.version);
        let Some(bytes) = read(&path) else { continue };
        if let Ok(CargoManifest {
            license: Some(ManifestLicense::Declared(license)),
            ..
        }) = parse_cargo_manifest(&path, &bytes)
        {
            package.license = Some(license);
            found += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_io_licences_come_from_the_unpacked_sources() {
        let lock = b"version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\", \"gitdep\", \"nolicense\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"nolicense\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"gitdep\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/gitdep#abc\"\n";
        let mut lockfile = crate::parse("Cargo.lock", lock).unwrap();
        let sources = [
            (
                "serde-1.0.200/Cargo.toml",
                "[package]\nname = \"serde\"\nversion = \"1.0.200\"\nlicense = \"MIT OR Apache-2.0\"\n",
            ),
            (
                "nolicense-0.3.0/Cargo.toml",
                "[package]\nname = \"nolicense\"\nversion = \"0.3.0\"\nlicense-file = \"LICENSE\"\n",
            ),
            // A git dependency is never looked up in the registry.
            (
                "gitdep-0.1.0/Cargo.toml",
                "[package]\nname = \"gitdep\"\nlicense = \"MIT\"\n",
            ),
        ];
        let mut asked = Vec::new();
        let found = apply_registry_licenses(&mut lockfile, |path| {
            asked.push(path.to_string());
            sources
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, text)| text.as_bytes().to_vec())
        });
        assert_eq!(found, 1);
        let licence = |name: &str| {
            lockfile
                .packages
                .iter()
                .find(|p| p.name == name)
                .unwrap()
                .license
                .clone()
        };
        assert_eq!(licence("serde").as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(licence("nolicense"), None);
        assert_eq!(licence("gitdep"), None);
        assert_eq!(
            asked,
            vec!["serde-1.0.200/Cargo.toml", "nolicense-0.3.0/Cargo.toml"]
        );
    }

    #[test]
    fn declared_and_inherited_licences() {
        let root = parse_cargo_manifest(
            "Cargo.toml",
            b"[workspace]\nmembers = [\"app\", \"helper\"]\n[workspace.package]\nlicense = \"Apache-2.0\"\n",
        )
        .unwrap();
        let app = parse_cargo_manifest(
            "app/Cargo.toml",
            b"[package]\nname = \"app\"\nversion = \"0.1.0\"\nlicense.workspace = true\n",
        )
        .unwrap();
        let helper = parse_cargo_manifest(
            "helper/Cargo.toml",
            b"[package]\nname = \"helper\"\nlicense = \"MIT OR Apache-2.0\"\n",
        )
        .unwrap();
        assert_eq!(app.license, Some(ManifestLicense::FromWorkspace));

        let lock_text = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"helper\"]\n\n[[package]]\nname = \"helper\"\nversion = \"0.1.0\"\n";
        let mut lockfile = crate::parse("Cargo.lock", lock_text.as_bytes()).unwrap();
        apply_manifest_licenses(&mut lockfile, &[root, app, helper]);
        let licences: Vec<Option<&str>> = lockfile
            .packages
            .iter()
            .map(|p| p.license.as_deref())
            .collect();
        assert_eq!(licences, [Some("Apache-2.0"), Some("MIT OR Apache-2.0")]);
    }

    #[test]
    fn malformed_manifest_has_a_position() {
        let err = parse_cargo_manifest("x/Cargo.toml", b"[package\nname = 1\n").unwrap_err();
        assert_eq!(err.path, "x/Cargo.toml");
        assert_eq!(err.line, Some(1));
    }
}
