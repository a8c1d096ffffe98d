//! Gradle's dependency locks: `gradle.lockfile` (one
//! `group:artifact:version=configuration,...` line per module) and
//! `gradle/verification-metadata.xml` (each verified component with its
//! artifacts' checksums).

use crate::graph::package;
use crate::xml;
use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Warning};

pub fn parse_lockfile(text: &str) -> Result<Parsed, Failure> {
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (coordinates, configurations) = line.split_once('=').ok_or_else(|| {
            Failure::at(
                number,
                Some(1),
                "expected `group:artifact:version=configurations`",
            )
        })?;
        // `empty=...` lists configurations that resolved to nothing.
        if coordinates == "empty" {
            continue;
        }
        let mut parts = coordinates.split(':');
        let (Some(group), Some(artifact), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            warnings.push(Warning {
                line: Some(number),
                message: format!("`{coordinates}` is not `group:artifact:version`; skipped"),
            });
            continue;
        };
        // Only needed by test configurations (`testCompileClasspath`, ...).
        let dev = configurations
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .all(|c| c.starts_with("test") || c.contains("Test"));
        packages.push(Package {
            dev,
            ..package(
                Ecosystem::Maven,
                &format!("{group}:{artifact}"),
                version,
                Some(number),
            )
        });
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}

pub fn parse_verification(text: &str) -> Result<Parsed, Failure> {
    let root = xml::parse(text)?;
    if root.name != "verification-metadata" {
        return Err(Failure::at(
            root.line,
            None,
            format!("expected <verification-metadata>, found <{}>", root.name),
        ));
    }
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for components in root.children_named("components") {
        for component in components.children_named("component") {
            let (Some(group), Some(name), Some(version)) = (
                component.attribute("group"),
                component.attribute("name"),
                component.attribute("version"),
            ) else {
                warnings.push(Warning {
                    line: Some(component.line),
                    message: "component without group, name and version; skipped".to_string(),
                });
                continue;
            };
            let mut checksums = Vec::new();
            for artifact in component.children_named("artifact") {
                // The module's own jar carries the checksum that identifies it.
                let is_main_jar =
                    artifact.attribute("name") == Some(format!("{name}-{version}.jar").as_str());
                if !is_main_jar {
                    continue;
                }
                for (tag, alg, len) in [
                    ("sha256", HashAlg::Sha256, 64),
                    ("sha512", HashAlg::Sha512, 128),
                    ("sha1", HashAlg::Sha1, 40),
                ] {
                    if let Some(value) = artifact.child(tag).and_then(|c| c.attribute("value"))
                        && value.len() == len
                        && value.bytes().all(|b| b.is_ascii_hexdigit())
                    {
                        checksums.push(Checksum {
                            alg: alg.clone(),
                            hex: value.to_ascii_lowercase(),
                        });
                    }
                }
            }
            packages.push(Package {
                checksums,
                ..package(
                    Ecosystem::Maven,
                    &format!("{group}:{name}"),
                    version,
                    Some(component.line),
                )
            });
        }
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}
