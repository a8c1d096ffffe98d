//! `mix.lock` (Elixir): an Elixir map, one entry per line:
//! `"name": {:hex, :name, "1.0.0", "<inner sha256>", [:mix], [deps], "hexpm", "<outer sha256>"}`,
//! or `{:git, "url", "rev", [opts]}` / `{:path, ...}` for other sources.
//! Dependencies are the `{:dep, "requirement", [...]}` tuples of the deps list.

use crate::graph::{Graph, package};
use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Source};

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let body = text.trim_start();
    if !body.starts_with("%{") {
        return Err(Failure::at(
            1,
            Some(1),
            "expected an Elixir map starting with `%{`",
        ));
    }
    let mut graph = Graph::default();
    for (number, line) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let line = line.trim();
        let Some(rest) = line.strip_prefix('"') else {
            continue;
        };
        let Some((key, tuple)) = rest.split_once("\": {") else {
            return Err(Failure::at(number, Some(1), "expected `\"name\": {...}`"));
        };
        let tokens = tokens(tuple);
        let source_kind = tokens.first().map(String::as_str);
        let (name, version, source, checksum) = match source_kind {
            Some(":hex") => {
                let name = tokens
                    .get(1)
                    .map_or(key, |atom| atom.trim_start_matches(':'));
                let version = tokens.get(2).cloned().unwrap_or_default();
                // The outer checksum (of the whole tarball) is the last string.
                let checksum = tokens
                    .iter()
                    .rev()
                    .find(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(|hex| Checksum {
                        alg: HashAlg::Sha256,
                        hex: hex.to_ascii_lowercase(),
                    });
                let repository = tokens
                    .iter()
                    .rev()
                    .find(|t| !t.starts_with(':') && !t.bytes().all(|b| b.is_ascii_hexdigit()))
                    .filter(|repo| *repo != "hexpm" && *repo != &version);
                (
                    name.to_string(),
                    version,
                    Source::Registry {
                        url: repository.cloned(),
                    },
                    checksum,
                )
            }
            Some(":git") => (
                key.to_string(),
                String::new(),
                Source::Git {
                    url: tokens.get(1).cloned().unwrap_or_default(),
                    rev: tokens.get(2).cloned(),
                },
                None,
            ),
            _ => (
                key.to_string(),
                String::new(),
                Source::Path {
                    path: tokens.get(1).cloned().unwrap_or_default(),
                },
                None,
            ),
        };
        // Dependency tuples `{:dep, ` after the entry's own opening tuple.
        let dependencies = tuple
            .match_indices("{:")
            .filter_map(|(at, _)| {
                let atom = &tuple[at + 2..];
                let end = atom.find([',', '}'])?;
                Some(atom[..end].trim().to_string())
            })
            .collect();
        graph.add(
            Package {
                source,
                checksums: checksum.into_iter().collect(),
                ..package(Ecosystem::Hex, &name, &version, Some(number))
            },
            dependencies,
        );
    }
    // Optional dependencies of a package may be absent from the lock.
    Ok(graph.finish(|_| true))
}

/// Atoms (`:name`) and strings of a tuple, in order, at any nesting.
fn tokens(tuple: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = tuple.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                let mut value = String::new();
                let mut escaped = false;
                for (_, c) in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => {
                            value.push(c);
                            escaped = false;
                        }
                    }
                }
                tokens.push(value);
            }
            ':' if at == 0 || tuple[..at].ends_with(['{', ' ', '[']) => {
                let atom: String = tuple[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '?' | '!'))
                    .collect();
                for _ in 1..atom.chars().count() {
                    chars.next();
                }
                tokens.push(atom);
            }
            _ => {}
        }
    }
    tokens
}
