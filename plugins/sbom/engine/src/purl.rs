//! Package URLs, bom-refs and registry links for lockfile packages.

use cordon_lockfiles::{Ecosystem, OsRelease, Package, Source, normalize_pypi_name};
use packageurl::PackageUrl;

/// The purl of a package: type and namespace per ecosystem (`pkg:cargo`,
/// `pkg:npm` with the `@scope` as namespace, `pkg:pypi` with the PEP 503
/// name, `pkg:golang` with the module path split at its last `/`), and a
/// qualifier that tells non-registry sources apart (`vcs_url` for git,
/// `download_url` for local paths, `repository_url` for other registries).
/// A distribution package (deb, apk) also names its source package
/// (`upstream=openssl`, `upstream=glibc@2.36-9` when the source version
/// differs) and its release (`distro=debian-12`), read from the root
/// filesystem's os-release: distribution advisories are per release and
/// per source package, and the audit stage matches on both.
pub fn purl(package: &Package, release: Option<&OsRelease>) -> String {
    let (ty, namespace, name) = coordinates(package);
    let built = PackageUrl::new(ty, name.as_str()).and_then(|mut purl| {
        if let Some(namespace) = &namespace {
            purl.with_namespace(namespace.as_str())?;
        }
        if !package.version.is_empty() {
            purl.with_version(package.version.as_str())?;
        }
        match &package.source {
            Source::Registry { url: Some(url) } => {
                purl.add_qualifier("repository_url", url.as_str())?;
            }
            Source::Git { url, rev } => {
                let vcs_url = match rev {
                    Some(rev) => format!("git+{url}@{rev}"),
                    None => format!("git+{url}"),
                };
                purl.add_qualifier("vcs_url", vcs_url)?;
            }
            Source::Path { path } => {
                purl.add_qualifier("download_url", format!("file:{path}"))?;
            }
            Source::Registry { url: None } | Source::Workspace => {}
        }
        if matches!(package.ecosystem, Ecosystem::Debian | Ecosystem::Alpine) {
            if let Some(source) = &package.source_package {
                let upstream = if source.version.is_empty() || source.version == package.version {
                    source.name.clone()
                } else {
                    format!("{}@{}", source.name, source.version)
                };
                purl.add_qualifier("upstream", upstream)?;
            }
            if let Some(release) = release.and_then(distro_qualifier) {
                purl.add_qualifier("distro", release)?;
            }
        }
        Ok(purl.to_string())
    });
    // The purl grammar rejects only empty names; such a package still gets a
    // readable identifier rather than disappearing.
    built.unwrap_or_else(|_| format!("pkg:{ty}/{}", package.name))
}

/// `debian-12`, `alpine-3.20.3` or `debian-trixie`: the distribution and its
/// release (the code name when there is no version, as in Debian testing).
fn distro_qualifier(release: &OsRelease) -> Option<String> {
    let version = release
        .version_id
        .as_deref()
        .or(release.version_codename.as_deref())?;
    (!release.id.is_empty()).then(|| format!("{}-{version}", release.id))
}

/// purl type, namespace and name, as the lockfiles crate defines them for
/// every ecosystem.
fn coordinates(package: &Package) -> (&'static str, Option<String>, String) {
    cordon_lockfiles::purl_coordinates(package)
}

/// The CycloneDX `group` of a component: the npm scope, the Go module
/// path's prefix, the Maven group or the Composer vendor. Distribution
/// packages have none (their purl namespace names the distribution).
pub fn group(package: &Package) -> Option<String> {
    match package.ecosystem {
        Ecosystem::Npm | Ecosystem::Go | Ecosystem::Maven | Ecosystem::Packagist => {
            coordinates(package).1
        }
        _ => None,
    }
}

/// The component name: the part of the package name after its group.
pub fn short_name(package: &Package) -> String {
    match package.ecosystem {
        Ecosystem::Npm | Ecosystem::Go | Ecosystem::Maven | Ecosystem::Packagist => {
            coordinates(package).2
        }
        _ => package.name.clone(),
    }
}

/// bom-ref of a package. Registry and git packages are the same thing in
/// every lockfile, so their purl is their identity; workspace and path
/// packages are local to the lockfile that names them.
pub fn bom_ref(package: &Package, lockfile_path: &str) -> String {
    let purl = purl(package, None);
    match package.source {
        Source::Workspace | Source::Path { .. } => format!("{lockfile_path}#{purl}"),
        Source::Registry { .. } | Source::Git { .. } => purl,
    }
}

/// Where the package's release can be downloaded (`distribution`) or its
/// repository cloned (`vcs`).
pub fn external_reference(package: &Package) -> Option<(&'static str, String)> {
    let name = &package.name;
    let version = &package.version;
    match &package.source {
        Source::Git { url, .. } => Some(("vcs", url.clone())),
        Source::Path { .. } | Source::Workspace => None,
        Source::Registry { url } => {
            if version.is_empty() {
                return None;
            }
            let url = url.as_deref().map(|u| u.trim_end_matches('/'));
            let download = match (package.ecosystem, url) {
                (Ecosystem::CratesIo, None) => {
                    format!("https://crates.io/api/v1/crates/{name}/{version}/download")
                }
                (Ecosystem::CratesIo, Some(index)) => format!("{index}/{name}/{version}"),
                (Ecosystem::Npm, registry) => {
                    let registry = registry.unwrap_or("https://registry.npmjs.org");
                    let file = name.rsplit('/').next().unwrap_or(name);
                    format!("{registry}/{name}/-/{file}-{version}.tgz")
                }
                (Ecosystem::PyPI, None) => format!(
                    "https://pypi.org/project/{}/{version}/",
                    normalize_pypi_name(name)
                ),
                (Ecosystem::PyPI, Some(index)) => {
                    format!("{index}/{}/", normalize_pypi_name(name))
                }
                (Ecosystem::Go, proxy) => format!(
                    "{}/{}/@v/{}.zip",
                    proxy.unwrap_or("https://proxy.golang.org"),
                    go_proxy_escape(name),
                    go_proxy_escape(version)
                ),
                (Ecosystem::RubyGems, None) => {
                    format!("https://rubygems.org/downloads/{name}-{version}.gem")
                }
                (Ecosystem::Maven, None) => {
                    let (group, artifact) = name.split_once(':')?;
                    format!(
                        "https://repo1.maven.org/maven2/{}/{artifact}/{version}/{artifact}-{version}.jar",
                        group.replace('.', "/")
                    )
                }
                (Ecosystem::NuGet, None) => format!(
                    "https://api.nuget.org/v3-flatcontainer/{0}/{1}/{0}.{1}.nupkg",
                    name.to_lowercase(),
                    version.to_lowercase()
                ),
                (Ecosystem::Pub, None) => {
                    format!("https://pub.dev/api/archives/{name}-{version}.tar.gz")
                }
                (Ecosystem::Hex, None) => {
                    format!("https://repo.hex.pm/tarballs/{name}-{version}.tar")
                }
                // Other registries and ecosystems have no download URL
                // computable from the name and version alone.
                _ => return None,
            };
            Some(("distribution", download))
        }
    }
}

/// The module proxy protocol writes each upper-case letter as `!` and its
/// lower-case form, so paths stay unambiguous on case-insensitive disks.
fn go_proxy_escape(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            escaped.push('!');
            escaped.push(c.to_ascii_lowercase());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_lockfiles::Package;

    fn package(ecosystem: Ecosystem, name: &str, version: &str, source: Source) -> Package {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            source,
            checksums: Vec::new(),
            dev: false,
            license: None,
            line: None,
            dependencies: Vec::new(),
            source_package: None,
        }
    }

    fn registry() -> Source {
        Source::Registry { url: None }
    }

    #[test]
    fn purls_per_ecosystem() {
        let cases = [
            (
                package(Ecosystem::CratesIo, "serde", "1.0.0", registry()),
                "pkg:cargo/serde@1.0.0",
            ),
            (
                package(
                    Ecosystem::CratesIo,
                    "openssl-src",
                    "111.22.0+1.1.1q",
                    registry(),
                ),
                "pkg:cargo/openssl-src@111.22.0%2B1.1.1q",
            ),
            (
                package(Ecosystem::Npm, "@babel/core", "7.24.7", registry()),
                "pkg:npm/%40babel/core@7.24.7",
            ),
            (
                package(Ecosystem::PyPI, "Zope.Interface", "6.4", registry()),
                "pkg:pypi/zope-interface@6.4",
            ),
            (
                package(
                    Ecosystem::Go,
                    "github.com/google/uuid",
                    "v1.6.0",
                    registry(),
                ),
                "pkg:golang/github.com/google/uuid@v1.6.0",
            ),
        ];
        for (package, expected) in cases {
            assert_eq!(purl(&package, None), expected);
        }
    }

    #[test]
    fn non_registry_sources_are_qualified() {
        let git = package(
            Ecosystem::CratesIo,
            "fork",
            "0.1.0",
            Source::Git {
                url: "https://github.com/example/fork".into(),
                rev: Some("abc123".into()),
            },
        );
        assert_eq!(
            purl(&git, None),
            "pkg:cargo/fork@0.1.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fexample%2Ffork%40abc123"
        );
        let path = package(
            Ecosystem::Npm,
            "local",
            "1.0.0",
            Source::Path {
                path: "../local".into(),
            },
        );
        assert_eq!(
            purl(&path, None),
            "pkg:npm/local@1.0.0?download_url=file:..%2Flocal"
        );
        assert_eq!(
            bom_ref(&path, "web/package-lock.json"),
            format!("web/package-lock.json#{}", purl(&path, None))
        );
    }

    #[test]
    fn distribution_packages_name_their_source_package_and_release() {
        let release = OsRelease {
            path: "var/lib/dpkg/../../../etc/os-release".into(),
            id: "debian".into(),
            version_id: Some("12".into()),
            version_codename: Some("bookworm".into()),
            pretty_name: None,
        };
        let mut libssl = package(Ecosystem::Debian, "libssl3", "3.0.11-1~deb12u1", registry());
        libssl.source_package = Some(cordon_lockfiles::SourcePackage {
            name: "openssl".into(),
            version: "3.0.11-1~deb12u1".into(),
        });
        assert_eq!(
            purl(&libssl, Some(&release)),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12&upstream=openssl"
        );
        // A binary-only rebuild: the source version differs.
        let mut libc = package(Ecosystem::Debian, "libc6", "2.36-9+deb12u4+b1", registry());
        libc.source_package = Some(cordon_lockfiles::SourcePackage {
            name: "glibc".into(),
            version: "2.36-9+deb12u4".into(),
        });
        let testing = OsRelease {
            version_id: None,
            version_codename: Some("trixie".into()),
            ..release.clone()
        };
        assert_eq!(
            purl(&libc, Some(&testing)),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4%2Bb1?distro=debian-trixie&upstream=glibc%402.36-9%2Bdeb12u4"
        );
        // Without a release or a source package, nothing is guessed; other
        // ecosystems never get either qualifier.
        assert_eq!(
            purl(
                &package(Ecosystem::Alpine, "musl", "1.2.4-r2", registry()),
                None
            ),
            "pkg:apk/alpine/musl@1.2.4-r2"
        );
        assert_eq!(
            purl(
                &package(Ecosystem::CratesIo, "serde", "1.0.0", registry()),
                Some(&release)
            ),
            "pkg:cargo/serde@1.0.0"
        );
    }

    #[test]
    fn distribution_urls() {
        let go = package(
            Ecosystem::Go,
            "github.com/Azure/go-autorest",
            "v14.2.0+incompatible",
            registry(),
        );
        assert_eq!(
            external_reference(&go).unwrap().1,
            "https://proxy.golang.org/github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip"
        );
        let npm = package(Ecosystem::Npm, "@babel/core", "7.24.7", registry());
        assert_eq!(
            external_reference(&npm).unwrap().1,
            "https://registry.npmjs.org/@babel/core/-/core-7.24.7.tgz"
        );
        let crate_ = package(Ecosystem::CratesIo, "serde", "1.0.0", registry());
        assert_eq!(
            external_reference(&crate_).unwrap(),
            (
                "distribution",
                "https://crates.io/api/v1/crates/serde/1.0.0/download".to_string()
            )
        );
    }
}
