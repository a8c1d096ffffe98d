//! `Pipfile.lock` (pipfile-spec 6).
//!
//! The format pins each package in `default` or `develop` with its hashes;
//! it records no edges between packages.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::json_lines::visit_keys;
use crate::text::json_failure;
use crate::{Checksum, Ecosystem, Failure, Package, Parsed, Source, Warning, digest};

const PYPI_SIMPLE: &str = "https://pypi.org/simple";

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(rename = "_meta", default)]
    meta: Meta,
    #[serde(default)]
    default: BTreeMap<String, Entry>,
    #[serde(default)]
    develop: BTreeMap<String, Entry>,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    sources: Vec<IndexSource>,
}

#[derive(Deserialize)]
struct IndexSource {
    name: String,
    url: String,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    index: Option<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    path: Option<String>,
    file: Option<String>,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: PipfileLock = serde_json::from_str(text).map_err(|e| json_failure(&e))?;
    let mut lines: HashMap<(String, String), u32> = HashMap::new();
    visit_keys(text, |path, key, line| {
        if let [section] = path
            && (section == "default" || section == "develop")
        {
            lines.insert((section.clone(), key.to_string()), line);
        }
    });
    let indexes: HashMap<&str, &str> = lock
        .meta
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.url.as_str()))
        .collect();

    let mut packages: Vec<Package> = Vec::new();
    let mut warnings = Vec::new();
    for (section, entries) in [("default", &lock.default), ("develop", &lock.develop)] {
        for (name, entry) in entries {
            let line = lines.get(&(section.to_string(), name.clone())).copied();
            // A package needed at run time is listed in `default` and may
            // be repeated in `develop`; it is one package, not dev-only.
            if section == "develop"
                && let Some(existing) = lock.default.get(name)
                && existing.version == entry.version
            {
                continue;
            }
            let source = source_of(entry, &indexes);
            let version = match entry.version.as_deref().map(|v| v.trim_start_matches("==")) {
                Some(version) => version.to_string(),
                None if matches!(source, Source::Registry { .. }) => {
                    warnings.push(Warning {
                        line,
                        message: format!("`{name}` has no pinned version"),
                    });
                    continue;
                }
                None => String::new(),
            };
            let mut checksums: Vec<Checksum> = Vec::new();
            for hash in &entry.hashes {
                match digest::from_prefixed_hex(hash) {
                    Some(sum) => checksums.push(sum),
                    None => warnings.push(Warning {
                        line,
                        message: format!("unrecognised hash `{hash}` for `{name}`"),
                    }),
                }
            }
            packages.push(Package {
                ecosystem: Ecosystem::PyPI,
                name: name.clone(),
                version,
                source,
                checksums,
                dev: section == "develop",
                license: None,
                line,
                dependencies: Vec::new(),
                source_package: None,
            });
        }
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}

fn source_of(entry: &Entry, indexes: &HashMap<&str, &str>) -> Source {
    if let Some(url) = &entry.git {
        return Source::Git {
            url: url.clone(),
            rev: entry.git_ref.clone(),
        };
    }
    if let Some(path) = entry.path.as_ref().or(entry.file.as_ref()) {
        return Source::Path { path: path.clone() };
    }
    let url = entry
        .index
        .as_deref()
        .and_then(|name| indexes.get(name))
        .map(|url| url.trim_end_matches('/'))
        .filter(|url| *url != PYPI_SIMPLE)
        .map(str::to_string);
    Source::Registry { url }
}
