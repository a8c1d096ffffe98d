//! `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1 to 3.
//!
//! Versions 2 and 3 key every installed package by its folder
//! (`node_modules/a/node_modules/b`); version 1 nests `dependencies`
//! objects instead. Both are brought to folder keys, so dependency names are
//! resolved the way Node resolves them: the nearest `node_modules` folder
//! upwards from the dependent package.

use std::collections::{BTreeMap, HashMap};

use globset::{Glob, GlobSetBuilder};
use serde::Deserialize;
use serde_json::Value;

use crate::json_lines::visit_keys;
use crate::text::json_failure;
use crate::{Checksum, Ecosystem, Failure, Package, Parsed, Source, Warning, digest};

const NODE_MODULES: &str = "node_modules/";
const DEFAULT_REGISTRY_HOST: &str = "registry.npmjs.org";

#[derive(Deserialize)]
struct PackageLock {
    name: Option<String>,
    version: Option<String>,
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<u32>,
    packages: Option<BTreeMap<String, Entry>>,
    dependencies: Option<BTreeMap<String, LegacyEntry>>,
}

/// A `packages` entry (lockfile v2/v3).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    link: bool,
    license: Option<Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    peer_dependencies_meta: BTreeMap<String, Value>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Value>,
    workspaces: Option<Value>,
}

/// A nested `dependencies` entry (lockfile v1).
#[derive(Deserialize)]
struct LegacyEntry {
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    requires: BTreeMap<String, Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, LegacyEntry>,
}

/// How a dependency is declared, which decides whether its absence from
/// the lockfile is worth a warning.
#[derive(Clone, Copy, PartialEq)]
enum DependencyKind {
    Required,
    /// Optional and optional peer dependencies are legitimately absent on
    /// platforms they do not apply to.
    MayBeAbsent,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: PackageLock = serde_json::from_str(text).map_err(|e| json_failure(&e))?;
    let mut key_lines: HashMap<String, u32> = HashMap::new();
    match lock.packages {
        Some(entries) => {
            visit_keys(text, |path, key, line| {
                if path.len() == 1 && path[0] == "packages" {
                    key_lines.insert(key.to_string(), line);
                }
            });
            Ok(from_packages(entries, &key_lines))
        }
        None => {
            let Some(dependencies) = lock.dependencies else {
                return Err(Failure::new(format!(
                    "lockfileVersion {}: neither `packages` nor `dependencies` present",
                    lock.lockfile_version
                        .map_or_else(|| "missing".to_string(), |v| v.to_string())
                )));
            };
            visit_keys(text, |path, key, line| {
                if let Some(folder) = legacy_folder(path, key) {
                    key_lines.insert(folder, line);
                }
            });
            let root = Entry {
                name: lock.name,
                version: lock.version,
                ..Entry::default()
            };
            let mut entries = BTreeMap::new();
            flatten_legacy("", dependencies, &mut entries);
            Ok(from_legacy(root, entries, &key_lines))
        }
    }
}

/// The folder key of a v1 `dependencies` key at `path`, e.g. path
/// `["dependencies", "a", "dependencies"]` and key `b` give
/// `node_modules/a/node_modules/b`.
fn legacy_folder(path: &[String], key: &str) -> Option<String> {
    if path.len().is_multiple_of(2) || path.iter().step_by(2).any(|k| k != "dependencies") {
        return None;
    }
    let mut folder = String::new();
    for name in path
        .iter()
        .skip(1)
        .step_by(2)
        .map(String::as_str)
        .chain([key])
    {
        if !folder.is_empty() {
            folder.push('/');
        }
        folder.push_str(NODE_MODULES);
        folder.push_str(name);
    }
    Some(folder)
}

fn flatten_legacy(
    parent: &str,
    dependencies: BTreeMap<String, LegacyEntry>,
    out: &mut BTreeMap<String, (String, LegacyEntry)>,
) {
    for (name, mut entry) in dependencies {
        let folder = if parent.is_empty() {
            format!("{NODE_MODULES}{name}")
        } else {
            format!("{parent}/{NODE_MODULES}{name}")
        };
        let nested = std::mem::take(&mut entry.dependencies);
        flatten_legacy(&folder, nested, out);
        out.insert(folder, (name, entry));
    }
}

fn from_legacy(
    root: Entry,
    entries: BTreeMap<String, (String, LegacyEntry)>,
    key_lines: &HashMap<String, u32>,
) -> Parsed {
    let mut graph = Graph::default();
    graph.add_root(root);
    let mut requires = Vec::new();
    for (folder, (name, entry)) in entries {
        let version = entry.version.unwrap_or_default();
        // v1 writes git and file dependencies' sources in `version`.
        let (source, version) = match source_from(Some(&version)) {
            Some(Source::Registry { .. }) | None => {
                (source_from(entry.resolved.as_deref()), version)
            }
            Some(source @ Source::Git { .. }) => {
                let rev = match &source {
                    Source::Git { rev, .. } => rev.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                (Some(source), rev)
            }
            Some(source) => (Some(source), String::new()),
        };
        let index = graph.packages.len();
        graph.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name,
            version,
            source: source.unwrap_or(Source::Registry { url: None }),
            checksums: integrity(entry.integrity.as_deref()),
            dev: entry.dev,
            license: None,
            line: key_lines.get(&folder).copied(),
            dependencies: Vec::new(),
            source_package: None,
        });
        graph.folders.insert(folder.clone(), index);
        requires.push((index, folder, entry.requires));
    }
    for (index, folder, required) in requires {
        for name in required.keys() {
            graph.link(index, &folder, name, DependencyKind::Required);
        }
    }
    // v1 does not say which packages the root asked for; every package that
    // nothing else depends on can only be there because the root wants it.
    let mut depended_on = vec![false; graph.packages.len()];
    for package in &graph.packages {
        for &dep in &package.dependencies {
            depended_on[dep] = true;
        }
    }
    let top_level: Vec<usize> = (1..graph.packages.len())
        .filter(|&i| !depended_on[i])
        .collect();
    graph.packages[0].dependencies = top_level;
    graph.finish()
}

fn from_packages(entries: BTreeMap<String, Entry>, key_lines: &HashMap<String, u32>) -> Parsed {
    let mut graph = Graph::default();
    let mut entries = entries;
    let root = entries.remove("").unwrap_or_default();
    let workspace_globs = workspace_globs(root.workspaces.as_ref());
    let root_dependencies = declared_dependencies(&root);
    graph.add_root(root);
    graph.packages[0].line = key_lines.get("").copied();

    let mut links = Vec::new();
    let mut declared = Vec::new();
    for (folder, entry) in entries {
        if entry.link {
            links.push((folder, entry.resolved));
            continue;
        }
        let in_node_modules = folder.starts_with(NODE_MODULES) || folder.contains("/node_modules/");
        let source = if in_node_modules {
            source_from(entry.resolved.as_deref()).unwrap_or(Source::Registry { url: None })
        } else if workspace_globs
            .as_ref()
            .is_some_and(|g| g.is_match(&folder))
        {
            Source::Workspace
        } else {
            // A folder outside node_modules is a `file:` dependency's target.
            Source::Path {
                path: folder.clone(),
            }
        };
        let name = entry
            .name
            .clone()
            .unwrap_or_else(|| name_from_folder(&folder).to_string());
        let index = graph.packages.len();
        graph.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name,
            version: entry.version.clone().unwrap_or_default(),
            source,
            checksums: integrity(entry.integrity.as_deref()),
            dev: entry.dev,
            license: entry.license.as_ref().and_then(license_text),
            line: key_lines.get(&folder).copied(),
            dependencies: Vec::new(),
            source_package: None,
        });
        if graph.packages[index].source == Source::Workspace {
            graph.roots.push(index);
        }
        graph.folders.insert(folder.clone(), index);
        declared.push((index, folder, entry));
    }
    for (folder, target) in links {
        match target
            .as_deref()
            .and_then(|t| graph.folders.get(t).copied())
        {
            Some(index) => {
                graph.folders.insert(folder, index);
            }
            None => graph.warnings.push(Warning {
                line: key_lines.get(&folder).copied(),
                message: format!(
                    "link `{folder}` points to `{}`, which the lockfile does not list",
                    target.unwrap_or_default()
                ),
            }),
        }
    }
    graph.link_declared(0, "", &root_dependencies);
    for (index, folder, entry) in &declared {
        graph.link_declared(*index, folder, &declared_dependencies(entry));
    }
    graph.finish()
}

fn declared_dependencies(entry: &Entry) -> Vec<(String, DependencyKind)> {
    let required = entry
        .dependencies
        .keys()
        .chain(entry.dev_dependencies.keys())
        .map(|name| (name.clone(), DependencyKind::Required));
    let optional = entry
        .optional_dependencies
        .keys()
        .map(|name| (name.clone(), DependencyKind::MayBeAbsent));
    let peers = entry.peer_dependencies.keys().map(|name| {
        let optional_peer = entry
            .peer_dependencies_meta
            .get(name)
            .and_then(|meta| meta.get("optional"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let kind = if optional_peer {
            DependencyKind::MayBeAbsent
        } else {
            DependencyKind::Required
        };
        (name.clone(), kind)
    });
    required.chain(optional).chain(peers).collect()
}

/// Packages, folder index and warnings while a lockfile is being read.
#[derive(Default)]
struct Graph {
    packages: Vec<Package>,
    /// Folder key -> package index; links map to their target's index.
    folders: HashMap<String, usize>,
    roots: Vec<usize>,
    warnings: Vec<Warning>,
}

impl Graph {
    /// The lockfile's own project, always package 0.
    fn add_root(&mut self, root: Entry) {
        self.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name: root.name.unwrap_or_default(),
            version: root.version.unwrap_or_default(),
            source: Source::Workspace,
            checksums: Vec::new(),
            dev: false,
            license: root.license.as_ref().and_then(license_text),
            line: None,
            dependencies: Vec::new(),
            source_package: None,
        });
        self.roots.push(0);
    }

    fn link_declared(&mut self, from: usize, folder: &str, declared: &[(String, DependencyKind)]) {
        for (name, kind) in declared {
            self.link(from, folder, name, *kind);
        }
    }

    /// Adds the edge `from` -> `name` as Node would resolve `name` from
    /// `folder`: its own `node_modules`, then each enclosing one.
    fn link(&mut self, from: usize, folder: &str, name: &str, kind: DependencyKind) {
        let mut dir = folder;
        loop {
            let candidate = if dir.is_empty() {
                format!("{NODE_MODULES}{name}")
            } else {
                format!("{dir}/{NODE_MODULES}{name}")
            };
            if let Some(&target) = self.folders.get(&candidate) {
                if target != from && !self.packages[from].dependencies.contains(&target) {
                    self.packages[from].dependencies.push(target);
                }
                return;
            }
            if dir.is_empty() {
                break;
            }
            dir = match dir.rfind("/node_modules/") {
                Some(end) => &dir[..end],
                // A top-level package or a workspace folder: next stop is
                // the project's own node_modules.
                None => "",
            };
        }
        if kind == DependencyKind::Required {
            let package = &self.packages[from];
            self.warnings.push(Warning {
                line: package.line,
                message: format!(
                    "dependency `{name}` of `{}` is not in the lockfile",
                    if package.name.is_empty() {
                        "(root)"
                    } else {
                        &package.name
                    }
                ),
            });
        }
    }

    fn finish(mut self) -> Parsed {
        for package in &mut self.packages {
            package.dependencies.sort_unstable();
        }
        Parsed {
            packages: self.packages,
            roots: self.roots,
            warnings: self.warnings,
        }
    }
}

/// The package name a `node_modules` folder holds (`@scope/name` included).
fn name_from_folder(folder: &str) -> &str {
    match folder.rfind(NODE_MODULES) {
        Some(start) => &folder[start + NODE_MODULES.len()..],
        None => folder.rsplit('/').next().unwrap_or(folder),
    }
}

/// Where a `resolved` URL (or v1 `version`) says a package came from;
/// `None` when it does not say.
pub(crate) fn source_from(resolved: Option<&str>) -> Option<Source> {
    let resolved = resolved?;
    if let Some(path) = resolved.strip_prefix("file:") {
        return Some(Source::Path {
            path: path.to_string(),
        });
    }
    if resolved.starts_with("git+")
        || resolved.starts_with("git:")
        || resolved.starts_with("github:")
    {
        let (url, rev) = match resolved.split_once('#') {
            Some((url, rev)) => (url, Some(rev.to_string())),
            None => (resolved, None),
        };
        return Some(Source::Git {
            url: url.strip_prefix("git+").unwrap_or(url).to_string(),
            rev,
        });
    }
    let rest = resolved
        .strip_prefix("https://")
        .or_else(|| resolved.strip_prefix("http://"))?;
    let host = rest.split('/').next().unwrap_or(rest);
    let url = (host != DEFAULT_REGISTRY_HOST).then(|| {
        let scheme_len = resolved.len() - rest.len();
        resolved[..scheme_len + host.len()].to_string()
    });
    Some(Source::Registry { url })
}

/// Every hash in an SRI `integrity` string (space-separated tokens).
pub(crate) fn integrity(value: Option<&str>) -> Vec<Checksum> {
    value
        .map(|v| v.split_whitespace().filter_map(digest::from_sri).collect())
        .unwrap_or_default()
}

/// `license` is an SPDX expression string; very old packages wrote
/// `{"type": "MIT"}` or a list of those.
fn license_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(map) => map.get("type").and_then(Value::as_str).map(str::to_string),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(license_text).collect();
            (!parts.is_empty()).then(|| parts.join(" OR "))
        }
        _ => None,
    }
}

/// The root's `workspaces` globs (an array, or `{"packages": [...]}`).
fn workspace_globs(value: Option<&Value>) -> Option<globset::GlobSet> {
    let patterns = match value? {
        Value::Array(items) => items,
        Value::Object(map) => map.get("packages")?.as_array()?,
        _ => return None,
    };
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns.iter().filter_map(Value::as_str) {
        let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().ok()
}
