//! `composer.lock` (PHP): `packages` and `packages-dev`, each package with
//! its `source` (usually git) and `dist` (the archive installed).

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::graph::{Graph, package};
use crate::json_lines::visit_keys;
use crate::text::json_failure;
use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Source};

#[derive(Deserialize)]
struct ComposerLock {
    packages: Option<Vec<Locked>>,
    #[serde(rename = "packages-dev", default)]
    packages_dev: Option<Vec<Locked>>,
}

#[derive(Deserialize)]
struct Locked {
    name: String,
    version: String,
    source: Option<Origin>,
    dist: Option<Origin>,
    #[serde(default)]
    require: BTreeMap<String, Value>,
    license: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Origin {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    reference: Option<String>,
    shasum: Option<String>,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: ComposerLock = serde_json::from_str(text).map_err(|e| json_failure(&e))?;
    if lock.packages.is_none() && lock.packages_dev.is_none() {
        return Err(Failure::new(
            "neither `packages` nor `packages-dev` is present",
        ));
    }
    // Line of each package's `name`, in document order per list.
    let mut name_lines: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    visit_keys(text, |path, key, line| {
        if key == "name" && path.len() == 2 && path[1] == "[]" {
            name_lines.entry(path[0].clone()).or_default().push(line);
        }
    });

    let mut graph = Graph::default();
    for (list, dev) in [("packages", false), ("packages-dev", true)] {
        let locked = if dev {
            &lock.packages_dev
        } else {
            &lock.packages
        };
        let lines = name_lines.get(list).cloned().unwrap_or_default();
        for (position, locked) in locked.iter().flatten().enumerate() {
            let checksums = locked
                .dist
                .as_ref()
                .and_then(|dist| dist.shasum.as_deref())
                .filter(|sum| sum.len() == 40 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|sum| Checksum {
                    alg: HashAlg::Sha1,
                    hex: sum.to_ascii_lowercase(),
                })
                .into_iter()
                .collect();
            let dependencies = locked.require.keys().cloned().collect();
            graph.add(
                Package {
                    source: source_of(locked),
                    checksums,
                    dev,
                    license: locked
                        .license
                        .as_ref()
                        .filter(|l| !l.is_empty())
                        .map(|l| l.join(" OR ")),
                    ..package(
                        Ecosystem::Packagist,
                        &locked.name,
                        &locked.version,
                        lines.get(position).copied(),
                    )
                },
                dependencies,
            );
        }
    }
    Ok(graph.finish(is_platform_package))
}

/// `php`, `ext-*`, `lib-*` and Composer's own plugin API are provided by
/// the platform, never locked.
fn is_platform_package(name: &str) -> bool {
    !name.contains('/') || name == "composer-plugin-api" || name == "composer-runtime-api"
}

fn source_of(locked: &Locked) -> Source {
    let dist_kind = locked.dist.as_ref().and_then(|d| d.kind.as_deref());
    if dist_kind == Some("path") {
        return Source::Path {
            path: locked
                .dist
                .as_ref()
                .and_then(|d| d.url.clone())
                .unwrap_or_default(),
        };
    }
    // A branch (`dev-main`, `1.x-dev`) is installed from its repository at
    // the recorded commit, not as a registry release.
    let is_branch = locked.version.starts_with("dev-") || locked.version.ends_with("-dev");
    if is_branch && let Some(source) = &locked.source {
        return Source::Git {
            url: source.url.clone().unwrap_or_default(),
            rev: source.reference.clone(),
        };
    }
    Source::Registry { url: None }
}
