//! NuGet `packages.lock.json`: per target framework, every package with
//! its `type` (`Direct`, `Transitive`, `CentralTransitive`, `Project`), the
//! `resolved` version and a base64 SHA-512 `contentHash`. A package locked
//! for several frameworks is reported once per version.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::digest;
use crate::graph::package;
use crate::json_lines::visit_keys;
use crate::text::json_failure;
use crate::{Ecosystem, Failure, HashAlg, Package, Parsed, Source, Warning};

#[derive(Deserialize)]
struct NugetLock {
    version: Option<u32>,
    dependencies: Option<BTreeMap<String, BTreeMap<String, Locked>>>,
}

#[derive(Deserialize)]
struct Locked {
    #[serde(rename = "type")]
    kind: Option<String>,
    resolved: Option<String>,
    #[serde(rename = "contentHash")]
    content_hash: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: NugetLock = serde_json::from_str(text).map_err(|e| json_failure(&e))?;
    let frameworks = lock
        .dependencies
        .ok_or_else(|| Failure::new("`dependencies` is missing"))?;
    if lock.version.is_none() {
        return Err(Failure::new("`version` is missing; not a NuGet lockfile"));
    }
    let mut lines: HashMap<(String, String), u32> = HashMap::new();
    visit_keys(text, |path, key, line| {
        if path.len() == 2 && path[0] == "dependencies" {
            lines.insert((path[1].clone(), key.to_string()), line);
        }
    });

    let mut packages: Vec<Package> = Vec::new();
    let mut warnings = Vec::new();
    // Case-insensitive, as NuGet ids are.
    let mut by_id: HashMap<(String, String), usize> = HashMap::new();
    let mut root = None;
    let mut edges: Vec<(usize, String, String)> = Vec::new();
    for (framework, locked) in &frameworks {
        for (id, entry) in locked {
            let line = lines.get(&(framework.clone(), id.clone())).copied();
            let kind = entry.kind.as_deref().unwrap_or("");
            let version = entry.resolved.clone().unwrap_or_default();
            let key = (id.to_lowercase(), version.clone());
            let index = match by_id.get(&key) {
                Some(&index) => index,
                None => {
                    let index = packages.len();
                    packages.push(Package {
                        source: if kind == "Project" {
                            Source::Workspace
                        } else {
                            Source::Registry { url: None }
                        },
                        checksums: entry
                            .content_hash
                            .as_deref()
                            .and_then(|hash| digest::from_base64(HashAlg::Sha512, hash))
                            .into_iter()
                            .collect(),
                        ..package(Ecosystem::NuGet, id, &version, line)
                    });
                    by_id.insert(key, index);
                    index
                }
            };
            if kind != "Project" && version.is_empty() {
                warnings.push(Warning {
                    line,
                    message: format!("`{id}` has no resolved version"),
                });
            }
            if kind == "Direct" {
                let root = *root.get_or_insert_with(|| {
                    packages.push(Package {
                        source: Source::Workspace,
                        ..package(Ecosystem::NuGet, "", "", None)
                    });
                    packages.len() - 1
                });
                edges.push((root, framework.clone(), id.clone()));
            }
            for dependency in entry.dependencies.keys() {
                edges.push((index, framework.clone(), dependency.clone()));
            }
        }
    }
    // Dependencies name an id; the framework's own entry gives the version.
    let resolved_in: HashMap<(&str, String), &str> = frameworks
        .iter()
        .flat_map(|(framework, locked)| {
            locked.iter().map(move |(id, entry)| {
                (
                    (framework.as_str(), id.to_lowercase()),
                    entry.resolved.as_deref().unwrap_or_default(),
                )
            })
        })
        .collect();
    for (from, framework, id) in edges {
        let resolved = resolved_in
            .get(&(framework.as_str(), id.to_lowercase()))
            .map(|version| version.to_string());
        match resolved.and_then(|version| by_id.get(&(id.to_lowercase(), version))) {
            Some(&target) => packages[from].dependencies.push(target),
            None => warnings.push(Warning {
                line: packages[from].line,
                message: format!("dependency `{id}` ({framework}) is not in the lockfile"),
            }),
        }
    }
    for package in &mut packages {
        package.dependencies.sort_unstable();
        package.dependencies.dedup();
    }
    Ok(Parsed {
        packages,
        roots: root.into_iter().collect(),
        warnings,
    })
}
