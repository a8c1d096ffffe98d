//! `uv.lock` (lock format version 1).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::pypi::{NameIndex, normalize_pypi_name};
use crate::text::{line_of, toml_failure};
use crate::{Checksum, Ecosystem, Failure, Package, Parsed, Source, Warning, digest};

const PYPI_SIMPLE: &str = "https://pypi.org/simple";

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<LockedPackage>,
    #[serde(default)]
    manifest: Manifest,
}

#[derive(Deserialize, Default)]
struct Manifest {
    /// Workspace member names (absent for a single-project lock).
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Spanned<String>,
    /// Absent for dynamic-version workspace members.
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<DependencyRef>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<DependencyRef>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<DependencyRef>>,
    sdist: Option<Artifact>,
    #[serde(default)]
    wheels: Vec<Artifact>,
}

#[derive(Deserialize)]
struct DependencyRef {
    name: String,
    /// Present when the lock holds more than one version of `name`.
    version: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    hash: Option<String>,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: UvLock = toml::from_str(text).map_err(|e| toml_failure(text, &e))?;
    let mut warnings = Vec::new();
    let mut packages: Vec<Package> = Vec::with_capacity(lock.package.len());
    let mut roots = Vec::new();
    let members: Vec<String> = lock
        .manifest
        .members
        .iter()
        .map(|m| normalize_pypi_name(m))
        .collect();
    for (index, locked) in lock.package.iter().enumerate() {
        let line = line_of(text, locked.name.span().start);
        let source = source_of(&locked.source, locked.name.get_ref(), &members);
        if source == Source::Workspace {
            roots.push(index);
        }
        let mut checksums: Vec<Checksum> = Vec::new();
        for hash in locked
            .sdist
            .iter()
            .chain(&locked.wheels)
            .filter_map(|a| a.hash.as_deref())
        {
            match digest::from_prefixed_hex(hash) {
                Some(sum) => checksums.push(sum),
                None => warnings.push(Warning {
                    line: Some(line),
                    message: format!("unrecognised artifact hash `{hash}`"),
                }),
            }
        }
        packages.push(Package {
            ecosystem: Ecosystem::PyPI,
            name: locked.name.get_ref().clone(),
            version: locked.version.clone().unwrap_or_default(),
            source,
            checksums,
            dev: false,
            license: None,
            line: Some(line),
            dependencies: Vec::new(),
            source_package: None,
        });
    }

    let index = NameIndex::new(&packages);
    // Edges needed at run time versus only for development, so packages
    // reachable only through dev groups can be marked `dev`.
    let mut runtime_edges: Vec<Vec<usize>> = vec![Vec::new(); packages.len()];
    for (from, locked) in lock.package.iter().enumerate() {
        let runtime = locked
            .dependencies
            .iter()
            .chain(locked.optional_dependencies.values().flatten());
        let dev = locked.dev_dependencies.values().flatten();
        for (reference, is_runtime) in runtime.map(|r| (r, true)).chain(dev.map(|r| (r, false))) {
            let targets: Vec<usize> = index
                .get(&reference.name)
                .iter()
                .copied()
                .filter(|&t| {
                    reference
                        .version
                        .as_ref()
                        .is_none_or(|v| *v == packages[t].version)
                })
                .collect();
            if targets.is_empty() {
                warnings.push(Warning {
                    line: packages[from].line,
                    message: format!(
                        "dependency `{}` of `{}` is not in the lockfile",
                        reference.name, packages[from].name
                    ),
                });
            }
            for target in targets {
                packages[from].dependencies.push(target);
                if is_runtime {
                    runtime_edges[from].push(target);
                }
            }
        }
        packages[from].dependencies.sort_unstable();
        packages[from].dependencies.dedup();
    }

    // Without workspace members in the lock there is nothing to measure
    // reachability from, so nothing is marked dev.
    if !roots.is_empty() {
        let mut needed = vec![false; packages.len()];
        let mut stack = roots.clone();
        while let Some(current) = stack.pop() {
            if !std::mem::replace(&mut needed[current], true) {
                stack.extend(&runtime_edges[current]);
            }
        }
        for (package, needed) in packages.iter_mut().zip(needed) {
            package.dev = !needed;
        }
    }
    Ok(Parsed {
        packages,
        roots,
        warnings,
    })
}

/// `source` is an inline table whose key names its kind (`registry`, `git`,
/// `editable`, `virtual`, `path`, `directory`, `url`), sometimes with extra
/// keys such as `subdirectory`.
fn source_of(source: &BTreeMap<String, toml::Value>, name: &str, members: &[String]) -> Source {
    let get = |key: &str| source.get(key).and_then(toml::Value::as_str);
    if let Some(registry) = get("registry") {
        return if registry.trim_end_matches('/') == PYPI_SIMPLE {
            Source::Registry { url: None }
        } else {
            Source::Registry {
                url: Some(registry.to_string()),
            }
        };
    }
    if let Some(git) = get("git") {
        let (url, rev) = match git.split_once('#') {
            Some((url, rev)) => (url, Some(rev.to_string())),
            None => (git, None),
        };
        return Source::Git {
            url: url.split('?').next().unwrap_or(url).to_string(),
            rev,
        };
    }
    for local in ["editable", "virtual"] {
        if let Some(path) = get(local) {
            let is_member = path == "." || members.contains(&normalize_pypi_name(name));
            return if is_member {
                Source::Workspace
            } else {
                Source::Path {
                    path: path.to_string(),
                }
            };
        }
    }
    // `path`, `directory` and `url` are not registry releases.
    match ["path", "directory", "url"].into_iter().find_map(get) {
        Some(path) => Source::Path {
            path: path.to_string(),
        },
        None => Source::Registry { url: None },
    }
}
