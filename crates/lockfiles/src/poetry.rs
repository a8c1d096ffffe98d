//! `poetry.lock` (lock-version 1.x and 2.x).

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

use crate::pypi::NameIndex;
use crate::text::{line_of, toml_failure};
use crate::{Checksum, Ecosystem, Failure, Package, Parsed, Source, Warning, digest};

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<LockedPackage>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    /// lock-version 1.x keeps file hashes here, keyed by package name.
    #[serde(default)]
    files: BTreeMap<String, Vec<File>>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Spanned<String>,
    version: String,
    /// Poetry before 1.5 (`main` or `dev`).
    category: Option<String>,
    /// Poetry 2 (dependency groups the package is needed by).
    groups: Option<Vec<String>>,
    #[serde(default)]
    files: Vec<File>,
    /// Name -> constraint string, table, or array of tables (per marker).
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    source: Option<PackageSource>,
}

#[derive(Deserialize)]
struct File {
    hash: String,
}

#[derive(Deserialize)]
struct PackageSource {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    reference: Option<String>,
    resolved_reference: Option<String>,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let mut lock: PoetryLock = toml::from_str(text).map_err(|e| toml_failure(text, &e))?;
    let mut warnings = Vec::new();
    let mut packages: Vec<Package> = lock
        .package
        .iter()
        .map(|locked| {
            let line = line_of(text, locked.name.span().start);
            let files = lock
                .metadata
                .files
                .remove(locked.name.get_ref())
                .unwrap_or_default();
            let mut checksums: Vec<Checksum> = Vec::new();
            for file in locked.files.iter().chain(&files) {
                match digest::from_prefixed_hex(&file.hash) {
                    Some(sum) => checksums.push(sum),
                    None => warnings.push(Warning {
                        line: Some(line),
                        message: format!("unrecognised file hash `{}`", file.hash),
                    }),
                }
            }
            Package {
                ecosystem: Ecosystem::PyPI,
                name: locked.name.get_ref().clone(),
                version: locked.version.clone(),
                source: source_of(locked.source.as_ref()),
                checksums,
                dev: is_dev(locked),
                license: None,
                line: Some(line),
                dependencies: Vec::new(),
                source_package: None,
            }
        })
        .collect();

    let index = NameIndex::new(&packages);
    for (from, locked) in lock.package.iter().enumerate() {
        let mut dependencies = Vec::new();
        for (name, spec) in &locked.dependencies {
            let targets = index.get(name);
            let optional = spec
                .get("optional")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            if targets.is_empty() && !optional {
                warnings.push(Warning {
                    line: packages[from].line,
                    message: format!(
                        "dependency `{name}` of `{}` is not in the lockfile",
                        locked.name.get_ref()
                    ),
                });
            }
            dependencies.extend_from_slice(targets);
        }
        dependencies.sort_unstable();
        dependencies.dedup();
        packages[from].dependencies = dependencies;
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}

fn is_dev(locked: &LockedPackage) -> bool {
    if let Some(groups) = &locked.groups {
        return !groups.is_empty() && !groups.iter().any(|g| g == "main");
    }
    locked.category.as_deref() == Some("dev")
}

fn source_of(source: Option<&PackageSource>) -> Source {
    let Some(source) = source else {
        return Source::Registry { url: None };
    };
    let url = source.url.clone().unwrap_or_default();
    match source.kind.as_str() {
        "git" => Source::Git {
            url,
            rev: source
                .resolved_reference
                .clone()
                .or_else(|| source.reference.clone()),
        },
        // `directory` and `file` are local; `url` is a direct archive
        // download. None of them is a registry release.
        "directory" | "file" | "url" => Source::Path { path: url },
        // `legacy` is a private package index.
        _ => Source::Registry { url: Some(url) },
    }
}
