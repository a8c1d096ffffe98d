//! `Gemfile.lock` / `gems.locked` (Bundler).
//!
//! Source sections (`GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`) list `specs`:
//! `    name (version[-platform])` at four spaces, each followed by its
//! dependencies at six. `DEPENDENCIES` lists the Gemfile's direct
//! dependencies (`name!` when pinned to a non-registry source), and
//! Bundler 2.5's `CHECKSUMS` the SHA-256 of each gem. The lockfile does not
//! record Gemfile groups, so no gem is marked dev.

use std::collections::HashMap;

use crate::graph::{Graph, package};
use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Source};

const DEFAULT_REMOTE: &str = "https://rubygems.org";

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let mut graph = Graph::default();
    let mut section = String::new();
    let mut remote: Option<String> = None;
    let mut revision: Option<String> = None;
    let mut current: Option<(Package, Vec<String>)> = None;
    let mut direct: Vec<String> = Vec::new();
    let mut checksums: HashMap<String, Checksum> = HashMap::new();
    let mut saw_section = false;

    // Platform variants of one gem (`nokogiri (1.15.4)` and
    // `nokogiri (1.15.4-x86_64-linux)`) are one package.
    let flush = |graph: &mut Graph, current: &mut Option<(Package, Vec<String>)>| {
        if let Some((package, dependencies)) = current.take() {
            let known = graph.named(&package.name).iter().any(|&index| {
                graph.packages[index].version == package.version
                    && graph.packages[index].source == package.source
            });
            if !known {
                graph.add(package, dependencies);
            }
        }
    };

    for (number, line) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let content = line.trim_start();
        if indent == 0 {
            flush(&mut graph, &mut current);
            section = content.to_string();
            saw_section = true;
            remote = None;
            revision = None;
            continue;
        }
        if !saw_section {
            return Err(Failure::at(
                number,
                Some(1),
                "expected a section name such as `GEM`",
            ));
        }
        match section.as_str() {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => match indent {
                2 => {
                    if let Some(value) = content.strip_prefix("remote: ") {
                        remote = Some(value.to_string());
                    } else if let Some(value) = content.strip_prefix("revision: ") {
                        revision = Some(value.to_string());
                    }
                }
                4 => {
                    flush(&mut graph, &mut current);
                    let (name, version) = spec(content)
                        .ok_or_else(|| Failure::at(number, Some(5), "expected `name (version)`"))?;
                    let source = match section.as_str() {
                        "GIT" => Source::Git {
                            url: remote.clone().unwrap_or_default(),
                            rev: revision.clone(),
                        },
                        "PATH" => Source::Path {
                            path: remote.clone().unwrap_or_default(),
                        },
                        _ => Source::Registry {
                            url: remote
                                .as_deref()
                                .map(|r| r.trim_end_matches('/'))
                                .filter(|r| *r != DEFAULT_REMOTE)
                                .map(str::to_string),
                        },
                    };
                    let gem_version = strip_platform(version);
                    current = Some((
                        Package {
                            source,
                            ..package(Ecosystem::RubyGems, name, gem_version, Some(number))
                        },
                        Vec::new(),
                    ));
                }
                6 => {
                    if let Some((_, dependencies)) = &mut current {
                        let name = content.split([' ', '(']).next().unwrap_or(content);
                        dependencies.push(name.to_string());
                    }
                }
                _ => {}
            },
            "DEPENDENCIES" if indent == 2 => {
                let name = content.split([' ', '(', '!']).next().unwrap_or(content);
                direct.push(name.to_string());
            }
            "CHECKSUMS" if indent == 2 => {
                // `name (version[-platform]) sha256=<hex>`
                if let Some((spec_text, sums)) = content.split_once(") ")
                    && let Some((name, version)) = spec(&format!("{spec_text})"))
                    // Platform variants share a version; which one is
                    // installed is not recorded, so none of their sums is used.
                    && !version.contains('-')
                {
                    for sum in sums.split(',') {
                        if let Some(hex) = sum.trim().strip_prefix("sha256=")
                            && hex.len() == 64
                            && hex.bytes().all(|b| b.is_ascii_hexdigit())
                        {
                            checksums.insert(
                                format!("{name} {version}"),
                                Checksum {
                                    alg: HashAlg::Sha256,
                                    hex: hex.to_ascii_lowercase(),
                                },
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    flush(&mut graph, &mut current);
    if !saw_section {
        return Err(Failure::new(
            "no Bundler sections (`GEM`, `DEPENDENCIES`) found",
        ));
    }
    if !direct.is_empty() {
        graph.add_root(Ecosystem::RubyGems, "", direct);
    }
    // Bundler records the exact platform variant in CHECKSUMS; match on the
    // name and the version as written in specs.
    let mut parsed = graph.finish(|name| name == "bundler");
    for package in &mut parsed.packages {
        if let Some(sum) = checksums.get(&format!("{} {}", package.name, package.version)) {
            package.checksums.push(sum.clone());
        }
    }
    Ok(parsed)
}

/// `name (version)` of a spec line.
fn spec(content: &str) -> Option<(&str, &str)> {
    let (name, rest) = content.split_once(" (")?;
    let version = rest.strip_suffix(')')?;
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// `1.15.4-x86_64-linux` -> `1.15.4`: gem versions never contain `-`, so
/// what follows the first one is the platform.
fn strip_platform(version: &str) -> &str {
    version.split('-').next().unwrap_or(version)
}
