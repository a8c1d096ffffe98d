//! `Cargo.lock`, versions 1 to 4.
//!
//! The `cargo-lock` crate does the format semantics (v1 `[metadata]`
//! checksums, v2+ abbreviated dependency references, source ids). It keeps no
//! positions, so a second, span-keeping pass with `toml` finds each
//! `[[package]]` entry's line and locates syntax errors.

use std::collections::HashMap;

use cargo_lock::package::{GitReference, SourceKind};
use serde::Deserialize;
use toml::Spanned;

use crate::text::{line_of, toml_failure};
use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Source, Warning};

#[derive(Deserialize)]
struct PositionsOnly {
    #[serde(default)]
    package: Vec<EntryPosition>,
    root: Option<EntryPosition>,
}

#[derive(Deserialize)]
struct EntryPosition {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
}

/// The source of one `[[package]]` entry as written, and its line.
type SourceLine<'a> = (Option<&'a str>, u32);

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let positions: PositionsOnly = toml::from_str(text).map_err(|e| toml_failure(text, &e))?;
    // Cargo always locks at least the workspace's own package; a lockfile
    // without any is cut short or not a Cargo.lock.
    if positions.package.is_empty() && positions.root.is_none() {
        return Err(Failure::new("no `[[package]]` entries"));
    }
    let lockfile: cargo_lock::Lockfile = text
        .parse()
        .map_err(|e: cargo_lock::Error| Failure::new(e.to_string()))?;

    // A lockfile may pin the same name and version from two sources.
    let mut lines: HashMap<(&str, String), Vec<SourceLine>> = HashMap::new();
    for entry in positions.package.iter().chain(positions.root.as_ref()) {
        lines
            .entry((entry.name.get_ref().as_str(), entry.version.clone()))
            .or_default()
            .push((
                entry.source.as_deref(),
                line_of(text, entry.name.span().start),
            ));
    }
    let line_for = |pkg: &cargo_lock::Package| {
        let candidates = lines.get(&(pkg.name.as_str(), pkg.version.to_string()))?;
        let written = pkg.source.as_ref().map(|s| s.to_string());
        candidates
            .iter()
            .find(|(source, _)| *source == written.as_deref())
            .or(candidates.first())
            .map(|&(_, line)| line)
    };

    // The v1 `[root]` table is the workspace root package; later versions
    // list it among the packages.
    let all: Vec<&cargo_lock::Package> = lockfile
        .root
        .iter()
        .chain(lockfile.packages.iter())
        .collect();
    let mut packages: Vec<Package> = all
        .iter()
        .map(|pkg| Package {
            ecosystem: Ecosystem::CratesIo,
            name: pkg.name.as_str().to_string(),
            version: pkg.version.to_string(),
            source: source_of(pkg.source.as_ref()),
            checksums: pkg
                .checksum
                .iter()
                .filter_map(|c| c.as_sha256())
                .map(|digest| Checksum {
                    alg: HashAlg::Sha256,
                    hex: digest.iter().map(|b| format!("{b:02x}")).collect(),
                })
                .collect(),
            dev: false,
            license: None,
            line: line_for(pkg),
            dependencies: Vec::new(),
            source_package: None,
        })
        .collect();

    let mut by_name_version: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (index, pkg) in all.iter().enumerate() {
        by_name_version
            .entry((pkg.name.as_str(), pkg.version.to_string()))
            .or_default()
            .push(index);
    }
    let mut warnings = Vec::new();
    for (index, pkg) in all.iter().enumerate() {
        for dep in &pkg.dependencies {
            let candidates = by_name_version
                .get(&(dep.name.as_str(), dep.version.to_string()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let target = candidates.iter().copied().find(|&c| match &dep.source {
                Some(source) => all[c].source.as_ref() == Some(source),
                None => true,
            });
            match target {
                Some(target) => packages[index].dependencies.push(target),
                None => warnings.push(Warning {
                    line: packages[index].line,
                    message: format!(
                        "dependency `{dep}` of `{} {}` is not in the lockfile",
                        pkg.name, pkg.version
                    ),
                }),
            }
        }
        packages[index].dependencies.sort_unstable();
        packages[index].dependencies.dedup();
    }
    let roots = (0..packages.len())
        .filter(|&i| packages[i].source == Source::Workspace)
        .collect();
    Ok(Parsed {
        packages,
        roots,
        warnings,
    })
}

fn source_of(source: Option<&cargo_lock::SourceId>) -> Source {
    let Some(source) = source else {
        // Cargo writes no source for workspace members (and for path
        // dependencies, which it does not tell apart from members).
        return Source::Workspace;
    };
    match source.kind() {
        SourceKind::Git(reference) => Source::Git {
            url: source.url().to_string(),
            rev: source
                .precise()
                .map(str::to_string)
                .or_else(|| match reference {
                    GitReference::Tag(r) | GitReference::Branch(r) | GitReference::Rev(r) => {
                        Some(r.clone())
                    }
                    GitReference::DefaultBranch => None,
                }),
        },
        SourceKind::Path => Source::Path {
            path: source.url().path().to_string(),
        },
        // crates.io is `url: None`, like every ecosystem's default registry.
        _ if source.is_default_registry() => Source::Registry { url: None },
        _ => Source::Registry {
            url: Some(source.url().to_string()),
        },
    }
}
