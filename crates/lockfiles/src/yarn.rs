//! `yarn.lock`: the classic format (yarn 1, its own indented syntax) and
//! berry (yarn 2 and later, YAML with a `__metadata` entry).
//!
//! Each entry is keyed by every descriptor (`name@range`) it satisfies, so
//! dependencies (`name` + `range`) resolve by descriptor. Aliases
//! (`alias@npm:real@range`) are reported under the real package name, the
//! name advisories use. yarn.lock does not record dev or prod scope.

use std::collections::HashMap;

use crate::graph::package;
use crate::npm::{integrity, source_from};
use crate::{Ecosystem, Failure, Package, Parsed, Source, Warning, yaml};

/// yarn's own mirror of the npm registry.
const YARN_REGISTRY: &str = "https://registry.yarnpkg.com";

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let is_berry = text.lines().any(|line| line.starts_with("__metadata:"));
    if is_berry {
        parse_berry(text)
    } else {
        parse_classic(text)
    }
}

/// One entry: its descriptors, fields and declared dependencies.
#[derive(Default)]
struct Entry {
    descriptors: Vec<String>,
    line: u32,
    fields: HashMap<String, String>,
    /// (name, range) from `dependencies` and `optionalDependencies`.
    dependencies: Vec<(String, String, bool)>,
}

fn parse_classic(text: &str) -> Result<Parsed, Failure> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut block: Option<String> = None;
    for (number, line) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        match indent {
            0 => {
                let header = trimmed.strip_suffix(':').ok_or_else(|| {
                    Failure::at(number, Some(1), "expected an entry header ending in `:`")
                })?;
                let descriptors = header
                    .split(", ")
                    .map(|d| unquote(d.trim()).to_string())
                    .collect();
                entries.push(Entry {
                    descriptors,
                    line: number,
                    ..Entry::default()
                });
                block = None;
            }
            2 => {
                let entry = entries.last_mut().ok_or_else(|| {
                    Failure::at(number, Some(3), "field outside of any package entry")
                })?;
                if let Some(name) = trimmed.strip_suffix(':') {
                    block = Some(name.to_string());
                } else {
                    let (key, value) = split_field(trimmed)
                        .ok_or_else(|| Failure::at(number, Some(3), "expected `key value`"))?;
                    entry.fields.insert(key.to_string(), value.to_string());
                    block = None;
                }
            }
            4 => {
                let entry = entries.last_mut().ok_or_else(|| {
                    Failure::at(number, Some(5), "dependency outside of any package entry")
                })?;
                let (name, range) = split_field(trimmed)
                    .ok_or_else(|| Failure::at(number, Some(5), "expected `name range`"))?;
                match block.as_deref() {
                    Some("dependencies") => {
                        entry
                            .dependencies
                            .push((name.to_string(), range.to_string(), false))
                    }
                    Some("optionalDependencies") => {
                        entry
                            .dependencies
                            .push((name.to_string(), range.to_string(), true))
                    }
                    _ => {}
                }
            }
            _ => {
                return Err(Failure::at(
                    number,
                    Some(u32::try_from(indent + 1).unwrap_or(u32::MAX)),
                    "unexpected indentation",
                ));
            }
        }
    }
    build(entries, false)
}

/// `key value` or `"key" "value"`, quotes removed.
fn split_field(line: &str) -> Option<(&str, &str)> {
    if let Some(rest) = line.strip_prefix('"') {
        let end = rest.find('"')?;
        return Some((&rest[..end], unquote(rest[end + 1..].trim())));
    }
    let (key, value) = line.split_once(' ')?;
    Some((key, unquote(value.trim())))
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

fn parse_berry(text: &str) -> Result<Parsed, Failure> {
    let document = yaml::parse(text)?;
    let mapping = document
        .as_mapping()
        .ok_or_else(|| Failure::at(1, Some(1), "expected a mapping of package entries"))?;
    let lines = yaml::key_lines(text, None, 0);
    let mut entries = Vec::new();
    for (key, value) in mapping {
        let Some(key) = yaml::scalar_text(key) else {
            continue;
        };
        if key == "__metadata" {
            continue;
        }
        let mut entry = Entry {
            descriptors: key.split(", ").map(|d| d.trim().to_string()).collect(),
            line: lines.get(&key).copied().unwrap_or(0),
            ..Entry::default()
        };
        for field in ["version", "resolution", "checksum", "languageName"] {
            if let Some(text) = yaml::string(value, field) {
                entry.fields.insert(field.to_string(), text);
            }
        }
        for (name, range) in yaml::entries(value, "dependencies") {
            if let Some(range) = yaml::scalar_text(range) {
                entry.dependencies.push((name, range, false));
            }
        }
        // Optional dependencies are listed in `dependencies` and flagged here.
        for (name, meta) in yaml::entries(value, "dependenciesMeta") {
            if meta.get("optional").and_then(|v| v.as_bool()) == Some(true) {
                for dependency in &mut entry.dependencies {
                    if dependency.0 == name {
                        dependency.2 = true;
                    }
                }
            }
        }
        entries.push(entry);
    }
    build(entries, true)
}

/// Splits `name@range` at the `@` that follows the (possibly scoped) name.
fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

fn build(entries: Vec<Entry>, berry: bool) -> Result<Parsed, Failure> {
    let mut packages: Vec<Package> = Vec::new();
    let mut roots = Vec::new();
    let mut warnings = Vec::new();
    let mut by_descriptor: HashMap<String, usize> = HashMap::new();
    for entry in &entries {
        let index = packages.len();
        let line = (entry.line > 0).then_some(entry.line);
        let first = entry.descriptors.first().map(String::as_str).unwrap_or("");
        let (mut name, range) = split_descriptor(first).unwrap_or((first, ""));
        let version = entry.fields.get("version").cloned().unwrap_or_default();
        let resolution = entry.fields.get("resolution").map(String::as_str);
        // The real name: berry's resolution names it; a classic alias names
        // it in the range (`alias@npm:real@^1`).
        if let Some((resolved_name, _)) = resolution.and_then(split_descriptor) {
            name = resolved_name;
        } else if let Some(real) = range.strip_prefix("npm:")
            && let Some((real_name, _)) = split_descriptor(real)
        {
            name = real_name;
        }
        let source = if berry {
            berry_source(resolution.unwrap_or(first))
        } else {
            classic_source(entry.fields.get("resolved").map(String::as_str), range)
        };
        if matches!(source, Source::Workspace) {
            roots.push(index);
        }
        let checksums = if berry {
            Vec::new()
        } else {
            integrity(entry.fields.get("integrity").map(String::as_str))
        };
        if version.is_empty() {
            warnings.push(Warning {
                line,
                message: format!("entry `{first}` has no version"),
            });
        }
        packages.push(Package {
            source,
            checksums,
            // Berry marks local workspaces with `0.0.0-use.local`.
            version: if version == "0.0.0-use.local" {
                String::new()
            } else {
                version
            },
            ..package(Ecosystem::Npm, name, "", line)
        });
        for descriptor in &entry.descriptors {
            by_descriptor.insert(descriptor.clone(), index);
        }
    }
    for (from, entry) in entries.iter().enumerate() {
        let mut dependencies = Vec::new();
        for (name, range, optional) in &entry.dependencies {
            let target = by_descriptor
                .get(&format!("{name}@{range}"))
                .or_else(|| by_descriptor.get(&format!("{name}@npm:{range}")));
            match target {
                Some(&target) => dependencies.push(target),
                None if *optional => {}
                None => warnings.push(Warning {
                    line: packages[from].line,
                    message: format!(
                        "dependency `{name}@{range}` of `{}` is not in the lockfile",
                        packages[from].name
                    ),
                }),
            }
        }
        dependencies.sort_unstable();
        dependencies.dedup();
        packages[from].dependencies = dependencies;
    }
    Ok(Parsed {
        packages,
        roots,
        warnings,
    })
}

/// Source of a classic entry, from its `resolved` URL or, for git and
/// local ranges without one, from the range.
fn classic_source(resolved: Option<&str>, range: &str) -> Source {
    if let Some(url) = resolved
        && url.starts_with(YARN_REGISTRY)
    {
        return Source::Registry { url: None };
    }
    if let Some(url) = resolved
        && let Some(rest) = url.strip_prefix("https://codeload.github.com/")
    {
        return Source::Git {
            url: format!(
                "https://github.com/{}",
                rest.split("/tar.gz/").next().unwrap_or(rest)
            ),
            rev: rest.split("/tar.gz/").nth(1).map(str::to_string),
        };
    }
    if let Some(source) = source_from(resolved) {
        return source;
    }
    source_from(Some(range))
        .filter(|source| !matches!(source, Source::Registry { .. }))
        .unwrap_or(Source::Registry { url: None })
}

/// Source of a berry entry from its resolution's protocol.
fn berry_source(resolution: &str) -> Source {
    let reference = split_descriptor(resolution).map_or("", |(_, r)| r);
    let (protocol, rest) = reference.split_once(':').unwrap_or(("", reference));
    match protocol {
        "npm" => Source::Registry { url: None },
        "workspace" => Source::Workspace,
        "file" | "link" | "portal" => Source::Path {
            path: rest.split('#').next().unwrap_or(rest).to_string(),
        },
        // A patched package is its base package with a local diff applied.
        "patch" => {
            let base = rest.split('#').next().unwrap_or(rest).replace("%3A", ":");
            let base_reference = split_descriptor(&base).map_or("", |(_, r)| r);
            if base_reference.starts_with("npm:") {
                Source::Registry { url: None }
            } else {
                Source::Path { path: base }
            }
        }
        _ => {
            let (url, fragment) = reference.split_once('#').unwrap_or((reference, ""));
            let rev = fragment
                .split('&')
                .find_map(|part| part.strip_prefix("commit="))
                .map(str::to_string);
            Source::Git {
                url: url.strip_prefix("git+").unwrap_or(url).to_string(),
                rev,
            }
        }
    }
}
