//! Installed-package databases of a Linux root filesystem: Alpine's
//! `lib/apk/db/installed` and Debian's `var/lib/dpkg/status`.
//!
//! Both are blocks separated by blank lines. Alpine writes one-letter
//! fields (`P:` name, `V:` version, `o:` origin, `C:` checksum); dpkg
//! writes RFC 822 style stanzas (`Package:`, `Version:`, `Status:`,
//! `Source:`), where only packages whose status ends in `installed` are
//! on the system.
//!
//! Each package records the source package it was built from
//! ([`SourcePackage`]): Alpine's origin (same version as the binary), or
//! dpkg's `Source:` (`openssl`, or `openssl (3.0.11-1)` when the source
//! version differs); a dpkg package without `Source:` is its own source.

use crate::graph::package;
use crate::{
    Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, SourcePackage, Warning, digest,
};

/// Blocks of `(line, key, value)` fields.
fn blocks(text: &str, separator: char) -> Vec<Vec<(u32, String, String)>> {
    let mut blocks = Vec::new();
    let mut current: Vec<(u32, String, String)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        // dpkg continuation lines (descriptions, conffiles).
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((key, value)) = line.split_once(separator) {
            current.push((number, key.to_string(), value.trim().to_string()));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

fn field<'a>(block: &'a [(u32, String, String)], key: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(_, k, _)| k == key)
        .map(|(_, _, v)| v.as_str())
}

pub fn parse_apk(text: &str) -> Result<Parsed, Failure> {
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for block in blocks(text, ':') {
        let line = block.first().map(|(line, _, _)| *line);
        let (Some(name), Some(version)) = (field(&block, "P"), field(&block, "V")) else {
            warnings.push(Warning {
                line,
                message: "entry without `P:` (name) and `V:` (version); skipped".to_string(),
            });
            continue;
        };
        // `C:Q1<base64 sha1>` is the checksum of the package's control data.
        let checksums: Vec<Checksum> = field(&block, "C")
            .and_then(|c| c.strip_prefix("Q1"))
            .and_then(|encoded| digest::from_base64(HashAlg::Sha1, encoded))
            .into_iter()
            .collect();
        let origin = field(&block, "o").filter(|origin| !origin.is_empty());
        packages.push(Package {
            checksums,
            source_package: Some(SourcePackage {
                name: origin.unwrap_or(name).to_string(),
                version: version.to_string(),
            }),
            ..package(Ecosystem::Alpine, name, version, line)
        });
    }
    if packages.is_empty() && warnings.is_empty() {
        return Err(Failure::new("no packages: not an apk installed database"));
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}

/// The source package of a dpkg stanza: `Source: name` or `Source: name
/// (version)`, defaulting to the binary's own name and version.
fn dpkg_source(source: Option<&str>, name: &str, version: &str) -> SourcePackage {
    let source = source.map(str::trim).filter(|source| !source.is_empty());
    let Some(source) = source else {
        return SourcePackage {
            name: name.to_string(),
            version: version.to_string(),
        };
    };
    match source.split_once('(') {
        Some((source_name, rest)) => {
            let source_version = rest.trim_end().trim_end_matches(')').trim();
            SourcePackage {
                name: source_name.trim().to_string(),
                version: if source_version.is_empty() {
                    version.to_string()
                } else {
                    source_version.to_string()
                },
            }
        }
        None => SourcePackage {
            name: source.to_string(),
            version: version.to_string(),
        },
    }
}

pub fn parse_dpkg(text: &str) -> Result<Parsed, Failure> {
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for block in blocks(text, ':') {
        let line = block.first().map(|(line, _, _)| *line);
        let (Some(name), Some(version)) = (field(&block, "Package"), field(&block, "Version"))
        else {
            warnings.push(Warning {
                line,
                message: "stanza without `Package:` and `Version:`; skipped".to_string(),
            });
            continue;
        };
        // `install ok installed`; removed packages keep `deinstall ok config-files`.
        let installed = field(&block, "Status").is_none_or(|s| s.ends_with(" installed"));
        if !installed {
            continue;
        }
        packages.push(Package {
            source_package: Some(dpkg_source(field(&block, "Source"), name, version)),
            ..package(Ecosystem::Debian, name, version, line)
        });
    }
    if packages.is_empty() && warnings.is_empty() && !text.contains("Package:") {
        return Err(Failure::new("no packages: not a dpkg status database"));
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}
