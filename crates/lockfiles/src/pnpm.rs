//! `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x.
//!
//! Packages are keyed `/name/1.0.0` (5.x), `/name@1.0.0` (6.x) or
//! `name@1.0.0` (9.x), with peer-dependency suffixes (`_react@18.0.0` or
//! `(react@18.0.0)`) that do not change which release is installed. 9.x
//! moves each installed variant's dependencies to `snapshots`. Projects
//! (`importers`, or the top-level fields of a 5.x/6.x single project)
//! become workspace roots; a package reachable only through
//! `devDependencies` is dev.

use std::collections::HashMap;

use serde_yaml_ng::Value;

use crate::graph::package;
use crate::npm::integrity;
use crate::{Ecosystem, Failure, Package, Parsed, Source, Warning, yaml};

const PROJECT_FIELDS: [(&str, bool); 3] = [
    ("dependencies", false),
    ("optionalDependencies", false),
    ("devDependencies", true),
];

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let document = yaml::parse(text)?;
    if !document.is_mapping() {
        return Err(Failure::at(
            1,
            Some(1),
            "expected a mapping with `lockfileVersion`",
        ));
    }
    let lockfile_version = yaml::string(&document, "lockfileVersion")
        .ok_or_else(|| Failure::at(1, Some(1), "`lockfileVersion` is missing"))?;
    let legacy_keys = lockfile_version.starts_with('5');
    let lines = yaml::key_lines(text, Some("packages"), 2);

    let mut packages: Vec<Package> = Vec::new();
    let mut warnings = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut declared: Vec<(usize, Vec<(String, String)>)> = Vec::new();
    // 9.x keeps dependencies per installed variant under `snapshots`,
    // keyed with peer suffixes; grouped by the package key they install.
    let mut snapshots: HashMap<&str, Vec<&Value>> = HashMap::new();
    let snapshot_entries = yaml::entries(&document, "snapshots");
    for (key, snapshot) in &snapshot_entries {
        snapshots
            .entry(strip_peers(key, legacy_keys))
            .or_default()
            .push(*snapshot);
    }
    for (key, entry) in yaml::entries(&document, "packages") {
        let line = lines.get(&key).copied();
        let base = strip_peers(&key, legacy_keys);
        let Some((name, key_version)) = split_key(base, legacy_keys) else {
            warnings.push(Warning {
                line,
                message: format!("package key `{key}` names no version; skipped"),
            });
            continue;
        };
        let name = yaml::string(entry, "name").unwrap_or_else(|| name.to_string());
        let version = yaml::string(entry, "version").unwrap_or_else(|| key_version.to_string());
        let resolution = entry.get("resolution");
        let index = packages.len();
        packages.push(Package {
            source: source_of(resolution, key_version),
            checksums: integrity(
                resolution
                    .and_then(|r| yaml::string(r, "integrity"))
                    .as_deref(),
            ),
            dev: entry.get("dev").and_then(Value::as_bool) == Some(true),
            ..package(Ecosystem::Npm, &name, &version, line)
        });
        by_key.insert(normalise_key(base), index);
        let mut dependencies = dependency_pairs(entry);
        for snapshot in snapshots.get(base).into_iter().flatten() {
            dependencies.extend(dependency_pairs(snapshot));
        }
        declared.push((index, dependencies));
    }

    // Projects: `importers` (workspaces, and every 9.x lockfile) or the
    // top-level fields of a single 5.x/6.x project.
    let mut projects: Vec<(String, &Value)> = yaml::entries(&document, "importers");
    if projects.is_empty() {
        projects.push((".".to_string(), &document));
    }
    let importer_lines = yaml::key_lines(text, Some("importers"), 2);
    let mut roots = Vec::new();
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for (path, project) in &projects {
        let index = packages.len();
        packages.push(Package {
            source: Source::Workspace,
            ..package(
                Ecosystem::Npm,
                if path == "." { "" } else { path },
                "",
                importer_lines.get(path).copied(),
            )
        });
        roots.push(index);
        let mut direct = Vec::new();
        for (field, dev) in PROJECT_FIELDS {
            for (name, spec) in yaml::entries(project, field) {
                // 6.x and 9.x: `{specifier, version}`; 5.x: the version.
                let Some(version) =
                    yaml::string(spec, "version").or_else(|| yaml::scalar_text(spec))
                else {
                    continue;
                };
                if let Some(target) = resolve(&by_key, &name, &version, legacy_keys) {
                    direct.push(target);
                    if dev { &mut dev_roots } else { &mut prod_roots }.push(target);
                } else if !is_local(&version) {
                    warnings.push(Warning {
                        line: packages[index].line,
                        message: format!("dependency `{name}` ({version}) of project `{path}` is not in the lockfile"),
                    });
                }
            }
        }
        direct.sort_unstable();
        direct.dedup();
        packages[index].dependencies = direct;
    }

    for (from, dependencies) in declared {
        let mut targets = Vec::new();
        for (name, version) in dependencies {
            match resolve(&by_key, &name, &version, legacy_keys) {
                Some(target) => targets.push(target),
                None if is_local(&version) => {}
                None => warnings.push(Warning {
                    line: packages[from].line,
                    message: format!(
                        "dependency `{name}` ({version}) of `{}` is not in the lockfile",
                        packages[from].name
                    ),
                }),
            }
        }
        targets.sort_unstable();
        targets.dedup();
        packages[from].dependencies = targets;
    }

    // Scope from reachability when the projects say which dependencies are
    // dev ones (9.x dropped the per-package `dev` flag).
    if !dev_roots.is_empty() || !prod_roots.is_empty() {
        let prod = reachable(&packages, &prod_roots);
        for (index, package) in packages.iter_mut().enumerate() {
            if package.source != Source::Workspace {
                package.dev = !prod[index];
            }
        }
    }
    Ok(Parsed {
        packages,
        roots,
        warnings,
    })
}

/// `(name, version reference)` of a package's dependencies.
fn dependency_pairs(entry: &Value) -> Vec<(String, String)> {
    ["dependencies", "optionalDependencies"]
        .iter()
        .flat_map(|field| yaml::entries(entry, field))
        .filter_map(|(name, version)| Some((name, yaml::scalar_text(version)?)))
        .collect()
}

/// Workspace links and local folders are projects, not packages.
fn is_local(version: &str) -> bool {
    version.starts_with("link:") || version.starts_with("file:")
}

/// The package a dependency reference names: `1.0.0`, `1.0.0(peer@1)`,
/// or, for an alias, the full key of the real package (`real@1.0.0`,
/// `/real@1.0.0`, `/real/1.0.0`).
fn resolve(
    by_key: &HashMap<String, usize>,
    name: &str,
    version: &str,
    legacy_keys: bool,
) -> Option<usize> {
    let version = strip_peers(version, legacy_keys);
    let separator = if legacy_keys { '/' } else { '@' };
    let direct = format!("{name}{separator}{version}");
    by_key
        .get(&normalise_key(&direct))
        .or_else(|| by_key.get(&normalise_key(version)))
        .copied()
}

/// Keys compared without the leading `/` of 5.x and 6.x.
fn normalise_key(key: &str) -> String {
    key.trim_start_matches('/').to_string()
}

/// A key without its peer-dependency suffix: `(react@18.0.0)` from 6.x on,
/// `_react@18.0.0` after the version in 5.x (names may contain `_`, and
/// versions never do).
fn strip_peers(key: &str, legacy: bool) -> &str {
    let without_parens = key.split('(').next().unwrap_or(key);
    if !legacy {
        return without_parens;
    }
    let version_start = without_parens.rfind('/').map_or(0, |slash| slash + 1);
    match without_parens[version_start..].find('_') {
        Some(underscore) => &without_parens[..version_start + underscore],
        None => without_parens,
    }
}

/// `(name, version)` of a key without peers.
fn split_key(key: &str, legacy: bool) -> Option<(&str, &str)> {
    let key = key.trim_start_matches('/');
    if legacy {
        // `@scope/name/1.0.0`, or a tarball/git key with a host.
        let (name, version) = key.rsplit_once('/')?;
        return Some((name, version));
    }
    let at = key.get(1..)?.find('@')? + 1;
    Some((&key[..at], &key[at + 1..]))
}

/// Registry unless the resolution names a tarball, a git repository or a
/// local directory.
fn source_of(resolution: Option<&Value>, key_version: &str) -> Source {
    let Some(resolution) = resolution else {
        return Source::Registry { url: None };
    };
    if let Some(repo) = yaml::string(resolution, "repo") {
        return Source::Git {
            url: repo,
            rev: yaml::string(resolution, "commit"),
        };
    }
    if let Some(directory) = yaml::string(resolution, "directory") {
        return Source::Path { path: directory };
    }
    if let Some(tarball) = yaml::string(resolution, "tarball") {
        if let Some(path) = tarball.strip_prefix("file:") {
            return Source::Path {
                path: path.to_string(),
            };
        }
        if let Some(rest) = tarball.strip_prefix("https://codeload.github.com/") {
            let mut parts = rest.split("/tar.gz/");
            return Source::Git {
                url: format!("https://github.com/{}", parts.next().unwrap_or(rest)),
                rev: parts.next().map(str::to_string),
            };
        }
        if key_version.contains("://") || !tarball.contains("/-/") {
            return Source::Path { path: tarball };
        }
    }
    Source::Registry { url: None }
}

/// Which packages each root set reaches through dependencies.
fn reachable(packages: &[Package], roots: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; packages.len()];
    let mut stack: Vec<usize> = roots.to_vec();
    while let Some(index) = stack.pop() {
        if std::mem::replace(&mut seen[index], true) {
            continue;
        }
        stack.extend(packages[index].dependencies.iter().copied());
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_suffixes_are_dropped() {
        assert_eq!(strip_peers("/foo@1.0.0(react@18.2.0)", false), "/foo@1.0.0");
        assert_eq!(strip_peers("/foo/1.0.0_react@18.2.0", true), "/foo/1.0.0");
        assert_eq!(
            strip_peers("/string_decoder/1.3.0", true),
            "/string_decoder/1.3.0"
        );
        assert_eq!(
            strip_peers("@scope/foo_bar@1.0.0", false),
            "@scope/foo_bar@1.0.0"
        );
        assert_eq!(strip_peers("1.0.0_react@18.2.0", true), "1.0.0");
    }
}
