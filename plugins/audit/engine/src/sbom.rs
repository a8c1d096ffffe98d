//! Packages from a CycloneDX JSON SBOM (the `sbom` artifact), read through
//! their package URLs and reported against the lockfiles they came from.
//!
//! Cordon's `sbom` stage gives every lockfile component one
//! `cordon:lockfile` property per lockfile that pins it, valued
//! `<workspace-relative path>:<line>` (the line of the package's entry in
//! that lockfile) or just `<path>` when the lockfile format has no line for
//! it. Such a component is audited as part of each of those lockfiles, so a
//! finding points at `Cargo.lock:123` exactly as when the stage reads the
//! lockfile itself. Components without the property (SBOMs made by other
//! tools) are reported against the fallback path the caller gives (the
//! stage uses the artifact's pseudo-path, `artifact:sbom`), at the line of
//! their purl in the SBOM.

use std::collections::BTreeMap;
use std::str::FromStr;

use cordon_lockfiles::{OsRelease, Package, Source, SourcePackage};
use packageurl::PackageUrl;
use serde::Deserialize;

use crate::ecosystem::Ecosystem;
use crate::inventory::Inventory;

/// The SBOM could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: not a readable CycloneDX JSON SBOM: {message}")]
pub struct SbomError {
    pub path: String,
    pub message: String,
}

/// Something in the SBOM that was not audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomWarning {
    pub line: Option<u32>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: String,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Component {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    properties: Vec<Property>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// The component property naming a lockfile that pins the package (written
/// by `cordon-sbom`).
pub const LOCKFILE_PROPERTY: &str = "cordon:lockfile";

/// Splits a `cordon:lockfile` value into the lockfile path and the 1-based
/// line of the package in it: `Cargo.lock:123` or `Cargo.lock` (no line).
/// `None` for an empty value.
fn lockfile_location(value: &str) -> Option<(&str, Option<u32>)> {
    let value = value.trim();
    if let Some((path, line)) = value.rsplit_once(':')
        && !path.is_empty()
        && !line.is_empty()
        && line.bytes().all(|byte| byte.is_ascii_digit())
        && let Ok(line) = line.parse::<u32>()
        && line > 0
    {
        return Some((path, Some(line)));
    }
    (!value.is_empty()).then_some((value, None))
}

/// Qualifiers that say a package was not fetched from its registry, so
/// registry advisories cannot be matched against it by name.
const NON_REGISTRY_QUALIFIERS: [&str; 4] = ["vcs_url", "download_url", "file_name", "file"];

/// Reads the components (nested ones too; `metadata.component`, the
/// project itself, is not one) of a CycloneDX JSON document, as one
/// inventory per lockfile named by the components' `cordon:lockfile`
/// properties (sorted by path), then, when any component names none, one
/// at `path` (see the module documentation). Errors name `path`, the
/// document's own (pseudo-)path.
pub fn inventories_from_cyclonedx(
    path: &str,
    bytes: &[u8],
) -> Result<(Vec<Inventory>, Vec<SbomWarning>), SbomError> {
    let fail = |message: String| SbomError {
        path: path.to_owned(),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|error| fail(format!("not UTF-8: {error}")))?;
    let bom: Bom = serde_json::from_str(text)
        .map_err(|error| fail(format!("line {}: {error}", error.line())))?;
    if bom.bom_format != "CycloneDX" {
        return Err(fail(format!(
            "bomFormat is `{}`, expected `CycloneDX`",
            bom.bom_format
        )));
    }

    let mut by_lockfile: BTreeMap<String, Vec<Package>> = BTreeMap::new();
    // The distribution releases the purls of each lockfile's packages name.
    let mut distros: BTreeMap<String, Vec<OsRelease>> = BTreeMap::new();
    let mut unlocated = Vec::new();
    let mut warnings = Vec::new();
    let mut unaudited_types: BTreeMap<String, usize> = BTreeMap::new();
    let mut pending: Vec<&Component> = bom.components.iter().collect();
    while let Some(component) = pending.pop() {
        pending.extend(component.components.iter());
        let Some(purl_text) = &component.purl else {
            warnings.push(SbomWarning {
                line: None,
                message: format!(
                    "component `{}` has no purl and was not audited",
                    component.name.as_deref().unwrap_or("(unnamed)")
                ),
            });
            continue;
        };
        let line = line_of(text, purl_text);
        match package_from_purl(purl_text) {
            Ok(Some((package, distro))) => {
                let locations: Vec<(&str, Option<u32>)> = component
                    .properties
                    .iter()
                    .filter(|property| property.name == LOCKFILE_PROPERTY)
                    .filter_map(|property| lockfile_location(property.value.as_deref()?))
                    .collect();
                if locations.is_empty() {
                    if let Some(distro) = &distro {
                        distros
                            .entry(path.to_owned())
                            .or_default()
                            .push(distro.clone());
                    }
                    unlocated.push(Package { line, ..package });
                    continue;
                }
                for (lockfile, lockfile_line) in locations {
                    if let Some(distro) = &distro {
                        distros
                            .entry(lockfile.to_owned())
                            .or_default()
                            .push(distro.clone());
                    }
                    by_lockfile
                        .entry(lockfile.to_owned())
                        .or_default()
                        .push(Package {
                            line: lockfile_line,
                            ..package.clone()
                        });
                }
            }
            Ok(None) => {
                let ty = purl_text.split(['/', ':']).nth(1).unwrap_or_default();
                *unaudited_types.entry(ty.to_owned()).or_default() += 1;
            }
            Err(message) => warnings.push(SbomWarning {
                line,
                message: format!("purl `{purl_text}`: {message}; not audited"),
            }),
        }
    }
    for (ty, count) in unaudited_types {
        warnings.push(SbomWarning {
            line: None,
            message: format!("{count} component(s) of purl type `{ty}` have no advisory source and were not audited"),
        });
    }
    let mut inventories: Vec<Inventory> = by_lockfile
        .into_iter()
        .map(|(path, packages)| Inventory {
            path,
            packages,
            roots: Vec::new(),
            warnings: Vec::new(),
            os_release: None,
        })
        .collect();
    if !unlocated.is_empty() {
        inventories.push(Inventory {
            path: path.to_owned(),
            packages: unlocated,
            roots: Vec::new(),
            warnings: Vec::new(),
            os_release: None,
        });
    }
    for inventory in &mut inventories {
        let named = distros.remove(&inventory.path).unwrap_or_default();
        inventory.os_release = one_release(&inventory.path, named, &mut warnings);
        // File order, whatever order the nesting was walked in.
        inventory
            .packages
            .sort_by(|a, b| (a.line, &a.name, &a.version).cmp(&(b.line, &b.name, &b.version)));
    }
    Ok((inventories, warnings))
}

/// The one distribution release the purls of one file's packages name;
/// `None` (and a warning) when they name several.
fn one_release(
    path: &str,
    mut named: Vec<OsRelease>,
    warnings: &mut Vec<SbomWarning>,
) -> Option<OsRelease> {
    named.sort_by(|a, b| (&a.id, &a.version_id).cmp(&(&b.id, &b.version_id)));
    named.dedup();
    match named.len() {
        0 => None,
        1 => named.pop(),
        _ => {
            let names: Vec<String> = named
                .iter()
                .map(|release| {
                    format!(
                        "{}-{}",
                        release.id,
                        release
                            .version_id
                            .as_deref()
                            .or(release.version_codename.as_deref())
                            .unwrap_or("?")
                    )
                })
                .collect();
            warnings.push(SbomWarning {
                line: None,
                message: format!(
                    "the distribution packages of {path} name several releases ({}); their release is unknown",
                    names.join(", ")
                ),
            });
            None
        }
    }
}

/// What a distribution purl says about its release: the namespace names
/// the distribution (`pkg:deb/ubuntu/...` is not Debian's), the `distro`
/// qualifier its release, written `debian-12`, `alpine-3.20.3`, `12` or a
/// code name (`bookworm`). `None` for a Debian or Alpine purl that names
/// no release.
fn release_of_purl(purl: &PackageUrl, expected: &str) -> Option<OsRelease> {
    let namespace = purl
        .namespace()
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| expected.to_owned());
    let qualifier = purl
        .qualifiers()
        .get("distro")
        .map(|value| value.to_string());
    let Some(qualifier) = qualifier.filter(|value| !value.trim().is_empty()) else {
        return (namespace != expected).then(|| OsRelease {
            path: "the purl namespace".to_owned(),
            id: namespace,
            version_id: None,
            version_codename: None,
            pretty_name: None,
        });
    };
    let qualifier = qualifier.trim().to_ascii_lowercase();
    let (id, release) = match qualifier.split_once('-') {
        Some((id, release)) if id.bytes().all(|b| b.is_ascii_alphabetic()) => {
            (id.to_owned(), release.to_owned())
        }
        _ => (namespace, qualifier.clone()),
    };
    let numbered = release.starts_with(|c: char| c.is_ascii_digit());
    Some(OsRelease {
        path: format!("the purl qualifier `distro={qualifier}`"),
        id,
        version_id: numbered.then(|| release.clone()),
        version_codename: (!numbered).then_some(release),
        pretty_name: None,
    })
}

/// `Ok(None)` for purl types without an advisory source. Distribution
/// purls also give the release they name ([`release_of_purl`]); their
/// `upstream` qualifier (`openssl`, or `glibc@2.36-9` when the source
/// version differs) names the source package.
fn package_from_purl(text: &str) -> Result<Option<(Package, Option<OsRelease>)>, String> {
    let purl = PackageUrl::from_str(text).map_err(|error| error.to_string())?;
    let ecosystem = match purl.ty() {
        "cargo" => Ecosystem::CratesIo,
        "pypi" => Ecosystem::PyPI,
        "npm" => Ecosystem::Npm,
        "golang" => Ecosystem::Go,
        "gem" => Ecosystem::RubyGems,
        "composer" => Ecosystem::Packagist,
        "maven" => Ecosystem::Maven,
        "nuget" => Ecosystem::NuGet,
        "pub" => Ecosystem::Pub,
        "hex" => Ecosystem::Hex,
        "cran" => Ecosystem::Cran,
        "conan" => Ecosystem::ConanCenter,
        "apk" => Ecosystem::Alpine,
        "deb" => Ecosystem::Debian,
        _ => return Ok(None),
    };
    let version = purl.version().ok_or("no version")?.to_owned();
    let name = match (ecosystem, purl.namespace()) {
        // The namespace of a distribution package names the distribution.
        (Ecosystem::Alpine | Ecosystem::Debian, _) | (_, None) => purl.name().to_owned(),
        (Ecosystem::Maven, Some(group)) => format!("{group}:{}", purl.name()),
        (_, Some(namespace)) => format!("{namespace}/{}", purl.name()),
    };
    let qualifier = |key: &str| purl.qualifiers().get(key).map(|value| value.to_string());
    let source = if let Some(url) = qualifier("vcs_url") {
        Source::Git { url, rev: None }
    } else if let Some(location) = NON_REGISTRY_QUALIFIERS[1..]
        .iter()
        .find_map(|key| qualifier(key))
    {
        Source::Path { path: location }
    } else {
        Source::Registry {
            url: qualifier("repository_url"),
        }
    };
    let (source_package, release) = match ecosystem {
        Ecosystem::Debian | Ecosystem::Alpine => {
            let expected = if ecosystem == Ecosystem::Debian {
                "debian"
            } else {
                "alpine"
            };
            let source_package = qualifier("upstream")
                .filter(|upstream| !upstream.trim().is_empty())
                .map(|upstream| match upstream.split_once('@') {
                    Some((name, source_version)) => SourcePackage {
                        name: name.trim().to_owned(),
                        version: source_version.trim().to_owned(),
                    },
                    None => SourcePackage {
                        name: upstream.trim().to_owned(),
                        version: version.clone(),
                    },
                });
            (source_package, release_of_purl(&purl, expected))
        }
        _ => (None, None),
    };
    Ok(Some((
        Package {
            ecosystem,
            name,
            version,
            source,
            checksums: Vec::new(),
            dev: false,
            license: None,
            line: None,
            dependencies: Vec::new(),
            source_package,
        },
        release,
    )))
}

/// 1-based line of the first `"purl": "<text>"` value, found by searching
/// for the purl as JSON writes it.
fn line_of(document: &str, purl: &str) -> Option<u32> {
    let quoted = serde_json::to_string(purl).ok()?;
    let offset = document.find(&quoted)?;
    let line = document[..offset]
        .bytes()
        .filter(|&byte| byte == b'\n')
        .count()
        + 1;
    u32::try_from(line).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SBOM: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "metadata": {"component": {"name": "app", "purl": "pkg:cargo/app@0.1.0"}},
  "components": [
    {"name": "smallvec", "purl": "pkg:cargo/smallvec@0.6.9"},
    {"name": "jinja2", "purl": "pkg:pypi/Jinja2@2.10"},
    {"name": "core", "purl": "pkg:npm/%40babel/core@7.0.0",
     "components": [{"name": "net", "purl": "pkg:golang/golang.org/x/net@v0.1.0"}]},
    {"name": "forked", "purl": "pkg:cargo/time@0.1.40?vcs_url=git%2Bhttps://example.org/time.git"},
    {"name": "vendored", "purl": "pkg:pypi/requests@2.0.0?download_url=https://example.org/r.tar.gz"},
    {"name": "mirror", "purl": "pkg:cargo/hyper@0.14.0?repository_url=https://mirror.example/index"},
    {"name": "image", "purl": "pkg:docker/alpine@3.18"},
    {"name": "nopurl"},
    {"name": "broken", "purl": "pkg:cargo/"}
  ]
}"#;

    #[test]
    fn reads_registry_and_non_registry_components_with_lines() {
        let (inventories, warnings) =
            inventories_from_cyclonedx("sbom.cdx.json", SBOM.as_bytes()).unwrap();
        // No component names a lockfile: all at the fallback path, at the
        // line of their purl in the document.
        assert_eq!(inventories.len(), 1);
        let inventory = &inventories[0];
        assert_eq!(inventory.path, "sbom.cdx.json");
        let summary: Vec<(Ecosystem, &str, &str, Option<u32>)> = inventory
            .packages
            .iter()
            .map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            summary,
            [
                (Ecosystem::CratesIo, "smallvec", "0.6.9", Some(6)),
                (Ecosystem::PyPI, "jinja2", "2.10", Some(7)),
                (Ecosystem::Npm, "@babel/core", "7.0.0", Some(8)),
                (Ecosystem::Go, "golang.org/x/net", "v0.1.0", Some(9)),
                (Ecosystem::CratesIo, "time", "0.1.40", Some(10)),
                (Ecosystem::PyPI, "requests", "2.0.0", Some(11)),
                (Ecosystem::CratesIo, "hyper", "0.14.0", Some(12)),
            ]
        );
        assert!(matches!(
            inventory.packages[0].source,
            Source::Registry { url: None }
        ));
        assert!(
            matches!(&inventory.packages[4].source, Source::Git { url, .. } if url == "git+https://example.org/time.git")
        );
        assert!(matches!(inventory.packages[5].source, Source::Path { .. }));
        assert!(
            matches!(&inventory.packages[6].source, Source::Registry { url: Some(url) } if url.contains("mirror"))
        );
        let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`nopurl` has no purl")));
        assert!(messages.iter().any(|m| m.contains("pkg:cargo/")));
        assert!(messages.iter().any(|m| m.contains("`docker`")));
    }

    /// (package name, line) in one inventory.
    type Lines<'a> = Vec<(&'a str, Option<u32>)>;

    #[test]
    fn groups_components_by_their_lockfile_properties() {
        let sbom = r#"{
  "bomFormat": "CycloneDX",
  "components": [
    {"name": "smallvec", "purl": "pkg:cargo/smallvec@0.6.9", "properties": [
      {"name": "cordon:source", "value": "registry"},
      {"name": "cordon:lockfile", "value": "a/Cargo.lock:120"},
      {"name": "cordon:lockfile", "value": "Cargo.lock:7"}]},
    {"name": "time", "purl": "pkg:cargo/time@0.1.40", "properties": [
      {"name": "cordon:lockfile", "value": "Cargo.lock:3"}]},
    {"name": "jinja2", "purl": "pkg:pypi/jinja2@2.10", "properties": [
      {"name": "cordon:lockfile", "value": "py/requirements.txt"}]},
    {"name": "other-tool", "purl": "pkg:cargo/ansi_term@0.11.0"},
    {"name": "empty", "purl": "pkg:cargo/serde@1.0.0", "properties": [
      {"name": "cordon:lockfile", "value": ""}, {"name": "cordon:lockfile"}]}
  ]
}"#;
        let (inventories, warnings) =
            inventories_from_cyclonedx("artifact:sbom", sbom.as_bytes()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let summary: Vec<(&str, Lines)> = inventories
            .iter()
            .map(|inventory| {
                let packages = inventory
                    .packages
                    .iter()
                    .map(|p| (p.name.as_str(), p.line))
                    .collect();
                (inventory.path.as_str(), packages)
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Cargo.lock", vec![("time", Some(3)), ("smallvec", Some(7))]),
                ("a/Cargo.lock", vec![("smallvec", Some(120))]),
                ("py/requirements.txt", vec![("jinja2", None)]),
                // Lines of the purls in the document itself.
                (
                    "artifact:sbom",
                    vec![("ansi_term", Some(12)), ("serde", Some(13))]
                ),
            ]
        );
    }

    #[test]
    fn lockfile_locations() {
        assert_eq!(
            lockfile_location("Cargo.lock:33"),
            Some(("Cargo.lock", Some(33)))
        );
        assert_eq!(
            lockfile_location("dir/poetry.lock"),
            Some(("dir/poetry.lock", None))
        );
        assert_eq!(
            lockfile_location("odd:name/Cargo.lock:2"),
            Some(("odd:name/Cargo.lock", Some(2)))
        );
        assert_eq!(
            lockfile_location("Cargo.lock:"),
            Some(("Cargo.lock:", None))
        );
        assert_eq!(
            lockfile_location("Cargo.lock:0"),
            Some(("Cargo.lock:0", None))
        );
        assert_eq!(
            lockfile_location("Cargo.lock:+3"),
            Some(("Cargo.lock:+3", None))
        );
        assert_eq!(lockfile_location(":3"), Some((":3", None)));
        assert_eq!(lockfile_location(" "), None);
    }

    #[test]
    fn rejects_other_documents() {
        assert!(inventories_from_cyclonedx("x.json", br#"{"bomFormat": "SPDX"}"#).is_err());
        assert!(
            inventories_from_cyclonedx("x.json", br#"{"bomFormat": "CycloneDX", "components": [{"#)
                .is_err()
        );
        assert!(inventories_from_cyclonedx("x.json", b"\xff\xfe").is_err());
    }
}
