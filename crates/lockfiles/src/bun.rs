//! `bun.lock`, bun's text lockfile: JSON with trailing commas.
//!
//! `packages` maps an install path (`name`, or `parent/name` for a copy
//! nested under `parent`) to an array whose first element is the resolved
//! descriptor (`name@1.0.0`, `name@github:user/repo#rev`,
//! `name@workspace:packages/a`, `name@file:../x`). Registry entries are
//! `[descriptor, registry, info, integrity]`; the others carry `info`
//! second. `workspaces` lists each project's declared dependencies.

use std::collections::HashMap;

use serde_json::Value;

use crate::graph::package;
use crate::json_lines::visit_keys;
use crate::npm::integrity;
use crate::text::json_failure;
use crate::{Ecosystem, Failure, Package, Parsed, Source, Warning};

const DEPENDENCY_FIELDS: [(&str, bool); 4] = [
    ("dependencies", false),
    ("optionalDependencies", false),
    ("peerDependencies", false),
    ("devDependencies", true),
];

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let json = strip_trailing_commas(text);
    let document: Value = serde_json::from_str(&json).map_err(|e| json_failure(&e))?;
    let packages_field = document
        .get("packages")
        .and_then(Value::as_object)
        .ok_or_else(|| Failure::at(1, Some(1), "`packages` is missing"))?;
    let mut lines: HashMap<String, u32> = HashMap::new();
    visit_keys(&json, |path, key, line| {
        if path.len() == 1 && path[0] == "packages" {
            lines.insert(key.to_string(), line);
        }
    });

    let mut packages: Vec<Package> = Vec::new();
    let mut warnings = Vec::new();
    let mut by_path: HashMap<&str, usize> = HashMap::new();
    let mut by_workspace: HashMap<String, usize> = HashMap::new();
    let mut declared = Vec::new();
    for (install_path, entry) in packages_field {
        let line = lines.get(install_path.as_str()).copied();
        let Some(descriptor) = entry.get(0).and_then(Value::as_str) else {
            warnings.push(Warning {
                line,
                message: format!("entry `{install_path}` has no descriptor; skipped"),
            });
            continue;
        };
        let (name, reference) = split_descriptor(descriptor).unwrap_or((descriptor, ""));
        let (source, version, info, checksum) = match reference.split_once(':') {
            Some(("workspace", path)) => {
                let index = packages.len();
                by_workspace.insert(path.to_string(), index);
                (Source::Workspace, String::new(), entry.get(1), None)
            }
            Some(("file" | "link", path)) => (
                Source::Path {
                    path: path.to_string(),
                },
                String::new(),
                entry.get(1),
                None,
            ),
            Some(("github" | "git+https" | "git+ssh" | "git" | "https" | "http", _)) => {
                let (url, rev) = match reference.split_once('#') {
                    Some((url, rev)) => (url, Some(rev.to_string())),
                    None => (reference, None),
                };
                let version = entry
                    .get(1)
                    .and_then(|info| info.get("version"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                (
                    Source::Git {
                        url: url.strip_prefix("git+").unwrap_or(url).to_string(),
                        rev,
                    },
                    version,
                    entry.get(1),
                    None,
                )
            }
            _ => {
                let registry = entry.get(1).and_then(Value::as_str).unwrap_or_default();
                (
                    Source::Registry {
                        url: (!registry.is_empty()).then(|| registry.to_string()),
                    },
                    reference.to_string(),
                    entry.get(2),
                    entry.get(3).and_then(Value::as_str),
                )
            }
        };
        let index = packages.len();
        packages.push(Package {
            source,
            checksums: integrity(checksum),
            ..package(Ecosystem::Npm, name, &version, line)
        });
        by_path.insert(install_path.as_str(), index);
        let mut names = Vec::new();
        if let Some(info) = info {
            for (field, _) in &DEPENDENCY_FIELDS[..3] {
                if let Some(map) = info.get(field).and_then(Value::as_object) {
                    names.extend(map.keys().map(|k| (k.clone(), *field == "dependencies")));
                }
            }
        }
        declared.push((index, install_path.as_str(), names));
    }

    for (from, install_path, names) in declared {
        let mut targets = Vec::new();
        for (name, required) in names {
            match nearest(&by_path, install_path, &name) {
                Some(target) => targets.push(target),
                None if !required => {}
                None => warnings.push(Warning {
                    line: packages[from].line,
                    message: format!(
                        "dependency `{name}` of `{}` is not in the lockfile",
                        packages[from].name
                    ),
                }),
            }
        }
        targets.sort_unstable();
        targets.dedup();
        packages[from].dependencies = targets;
    }

    // Projects: each becomes a root with its direct dependencies; those
    // reachable only through `devDependencies` are dev.
    let mut roots = Vec::new();
    let mut prod_roots = Vec::new();
    if let Some(workspaces) = document.get("workspaces").and_then(Value::as_object) {
        for (path, project) in workspaces {
            let index = match by_workspace.get(path.as_str()) {
                Some(&index) => index,
                None => {
                    let name = project.get("name").and_then(Value::as_str).unwrap_or("");
                    packages.push(Package {
                        source: Source::Workspace,
                        ..package(Ecosystem::Npm, name, "", None)
                    });
                    packages.len() - 1
                }
            };
            roots.push(index);
            let mut direct = Vec::new();
            for (field, dev) in DEPENDENCY_FIELDS {
                let Some(map) = project.get(field).and_then(Value::as_object) else {
                    continue;
                };
                for name in map.keys() {
                    if let Some(&target) = by_path.get(name.as_str()) {
                        direct.push(target);
                        if !dev {
                            prod_roots.push(target);
                        }
                    }
                }
            }
            direct.sort_unstable();
            direct.dedup();
            packages[index].dependencies = direct;
        }
    }
    if !roots.is_empty() {
        let mut prod = vec![false; packages.len()];
        let mut stack = prod_roots;
        while let Some(index) = stack.pop() {
            if !std::mem::replace(&mut prod[index], true) {
                stack.extend(packages[index].dependencies.iter().copied());
            }
        }
        for (index, package) in packages.iter_mut().enumerate() {
            package.dev = package.source != Source::Workspace && !prod[index];
        }
    }
    Ok(Parsed {
        packages,
        roots,
        warnings,
    })
}

/// The install path `name` resolves to from `from`: nested under `from` or
/// one of its parents, as Node looks upwards.
fn nearest(by_path: &HashMap<&str, usize>, from: &str, name: &str) -> Option<usize> {
    // Levels of the install path; a scoped name (`@scope/name`) is one level.
    let mut levels: Vec<String> = Vec::new();
    for part in from.split('/') {
        match levels.last_mut() {
            Some(last) if last.starts_with('@') && !last.contains('/') => {
                last.push('/');
                last.push_str(part);
            }
            _ => levels.push(part.to_string()),
        }
    }
    (0..=levels.len()).rev().find_map(|depth| {
        let candidate = if depth == 0 {
            name.to_string()
        } else {
            format!("{}/{name}", levels[..depth].join("/"))
        };
        by_path.get(candidate.as_str()).copied()
    })
}

fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

/// Blanks out trailing commas (and `//` comments) outside strings, keeping
/// every other byte where it was so error positions stay right.
fn strip_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            match byte {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        out[i] = b' ';
                        i += 1;
                    }
                    continue;
                }
                b',' => {
                    if matches!(next_significant(bytes, i + 1), Some(b'}' | b']') | None) {
                        out[i] = b' ';
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII spaces.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// The first byte from `at` that is neither whitespace nor inside a `//`
/// comment.
fn next_significant(bytes: &[u8], mut at: usize) -> Option<u8> {
    while at < bytes.len() {
        match bytes[at] {
            b if b.is_ascii_whitespace() => at += 1,
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b => return Some(b),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::strip_trailing_commas;

    #[test]
    fn trailing_commas_are_blanked_outside_strings() {
        assert_eq!(
            strip_trailing_commas("{\"a\": [1, 2,],\n \"b,]\": 3,}"),
            "{\"a\": [1, 2 ],\n \"b,]\": 3 }"
        );
        assert_eq!(strip_trailing_commas("[1, // last\n]"), "[1         \n]");
    }
}
