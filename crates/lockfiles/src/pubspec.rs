//! `pubspec.lock` (Dart and Flutter): every package with its `dependency`
//! kind (`direct main`, `direct dev`, `direct overridden`, `transitive`),
//! `source` (`hosted`, `git`, `path`, `sdk`) and `description`.
//!
//! Packages of the Flutter or Dart SDK (`source: sdk`) ship with the SDK,
//! not from pub.dev; they are skipped with a warning naming them.

use crate::graph::{Graph, package};
use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Source, yaml};

const PUB_DEV: &str = "https://pub.dev";

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let document = yaml::parse(text)?;
    let entries = document
        .get("packages")
        .and_then(|p| p.as_mapping())
        .ok_or_else(|| Failure::at(1, Some(1), "`packages` is missing"))?;
    let lines = yaml::key_lines(text, Some("packages"), 2);
    let mut graph = Graph::default();
    let mut direct = Vec::new();
    let mut sdk_packages = Vec::new();
    for (key, entry) in entries {
        let Some(name) = yaml::scalar_text(key) else {
            continue;
        };
        let line = lines.get(&name).copied();
        let kind = yaml::string(entry, "dependency").unwrap_or_default();
        let version = yaml::string(entry, "version").unwrap_or_default();
        let description = entry.get("description");
        let detail = |field: &str| description.and_then(|d| yaml::string(d, field));
        let source = match yaml::string(entry, "source").as_deref() {
            Some("sdk") => {
                sdk_packages.push(name);
                continue;
            }
            Some("git") => Source::Git {
                url: detail("url").unwrap_or_default(),
                rev: detail("resolved-ref").or_else(|| detail("ref")),
            },
            Some("path") => Source::Path {
                path: detail("path").unwrap_or_default(),
            },
            _ => Source::Registry {
                url: detail("url")
                    .map(|url| url.trim_end_matches('/').to_string())
                    .filter(|url| url != PUB_DEV && url != "https://pub.dartlang.org"),
            },
        };
        let checksums = detail("sha256")
            .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|hex| Checksum {
                alg: HashAlg::Sha256,
                hex: hex.to_ascii_lowercase(),
            })
            .into_iter()
            .collect();
        if kind.starts_with("direct") {
            direct.push(name.clone());
        }
        graph.add(
            Package {
                source,
                checksums,
                dev: kind == "direct dev",
                ..package(Ecosystem::Pub, &name, &version, line)
            },
            Vec::new(),
        );
    }
    if !sdk_packages.is_empty() {
        graph.warn(
            None,
            format!(
                "SDK packages not listed (they ship with the Dart/Flutter SDK): {}",
                sdk_packages.join(", ")
            ),
        );
    }
    graph.add_root(Ecosystem::Pub, "", direct);
    let sdk = sdk_packages.clone();
    Ok(graph.finish(move |name| sdk.iter().any(|s| s == name)))
}
