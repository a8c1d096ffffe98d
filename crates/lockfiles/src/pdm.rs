//! `pdm.lock` (PDM, lock_version 4.x): `[[package]]` tables with `groups`
//! (a package outside the `default` group is dev), `files` hashes, and
//! `git`/`path`/`url` for non-index sources.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use crate::graph::{Graph, package};
use crate::pypi::normalize_pypi_name;
use crate::text::{line_of, toml_failure};
use crate::{Ecosystem, Failure, Package, Parsed, Source, digest};

#[derive(Deserialize)]
struct PdmLock {
    #[serde(default)]
    package: Vec<Locked>,
    metadata: Option<toml::Value>,
}

#[derive(Deserialize)]
struct Locked {
    name: Spanned<String>,
    version: Option<String>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    files: Vec<File>,
    git: Option<String>,
    revision: Option<String>,
    path: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct File {
    hash: String,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: PdmLock = toml::from_str(text).map_err(|e| toml_failure(text, &e))?;
    if lock.metadata.is_none() {
        return Err(Failure::new("`[metadata]` is missing; not a pdm.lock"));
    }
    let mut graph = Graph::with_name_key(normalize_pypi_name);
    // Dependencies behind an environment marker (`; sys_platform == ...`)
    // are legitimately absent from a lock made for other platforms.
    let mut conditional: HashSet<String> = HashSet::new();
    for locked in &lock.package {
        let line = line_of(text, locked.name.span().start);
        let source = if let Some(url) = &locked.git {
            Source::Git {
                url: url.clone(),
                rev: locked.revision.clone(),
            }
        } else if let Some(path) = locked.path.clone().or_else(|| locked.url.clone()) {
            Source::Path { path }
        } else {
            Source::Registry { url: None }
        };
        let mut checksums = Vec::new();
        for file in &locked.files {
            match digest::from_prefixed_hex(&file.hash) {
                Some(sum) => checksums.push(sum),
                None => graph.warn(
                    Some(line),
                    format!("unrecognised file hash `{}`", file.hash),
                ),
            }
        }
        // Requirement strings: the name ends at the first specifier,
        // extra, marker or space.
        let dependencies = locked
            .dependencies
            .iter()
            .filter_map(|requirement| {
                let end = requirement
                    .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .unwrap_or(requirement.len());
                let name = &requirement[..end];
                if requirement.contains(';') {
                    conditional.insert(normalize_pypi_name(name));
                }
                (!name.is_empty()).then(|| name.to_string())
            })
            .collect();
        let dev = locked
            .groups
            .as_ref()
            .is_some_and(|groups| !groups.is_empty() && !groups.iter().any(|g| g == "default"));
        graph.add(
            Package {
                source,
                checksums,
                dev,
                ..package(
                    Ecosystem::PyPI,
                    locked.name.get_ref(),
                    locked.version.as_deref().unwrap_or(""),
                    Some(line),
                )
            },
            dependencies,
        );
    }
    Ok(graph.finish(|name| conditional.contains(&normalize_pypi_name(name))))
}
