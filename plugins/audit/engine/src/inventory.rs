//! The packages to audit: one lockfile's (or SBOM's) pinned packages.

use cordon_lockfiles::{Lockfile, OsRelease, Package};
use packageurl::PackageUrl;

/// Packages read from one file, reported against that file's path.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Workspace-relative path of the lockfile or SBOM.
    pub path: String,
    pub packages: Vec<Package>,
    /// Indexes into `packages` of the project's own root packages, where
    /// the file names them (dependency paths start below them).
    pub roots: Vec<usize>,
    /// What the parser could not use (`path:line: message`): unpinned
    /// requirements, unresolved Maven versions, unreadable includes. The
    /// audit repeats them in its notes, so a partly read file never looks
    /// complete.
    pub warnings: Vec<String>,
    /// For an installed-package database, the os-release of its root
    /// filesystem: which distribution release its packages belong to
    /// (see [`cordon_lockfiles::Lockfile::os_release`]).
    pub os_release: Option<OsRelease>,
}

impl From<Lockfile> for Inventory {
    fn from(lockfile: Lockfile) -> Self {
        let warnings = lockfile
            .warnings
            .iter()
            .map(|warning| match warning.line {
                Some(line) => format!("{}:{line}: {}", lockfile.path, warning.message),
                None => format!("{}: {}", lockfile.path, warning.message),
            })
            .collect();
        Self {
            path: lockfile.path,
            packages: lockfile.packages,
            roots: lockfile.roots,
            warnings,
            os_release: lockfile.os_release,
        }
    }
}

/// The package URL of a package (`pkg:cargo/serde@1.0.0`), for SARIF
/// properties and for grouping findings by package.
pub fn purl(package: &Package) -> String {
    let (ty, namespace, name) = cordon_lockfiles::purl_coordinates(package);
    let built = PackageUrl::new(ty, name.as_str()).and_then(|mut purl| {
        if let Some(namespace) = &namespace {
            purl.with_namespace(namespace.as_str())?;
        }
        purl.with_version(package.version.as_str())?;
        Ok(purl.to_string())
    });
    // A name the purl grammar rejects (empty, say) still gets a readable,
    // unambiguous id rather than none.
    built.unwrap_or_else(|_| format!("pkg:{ty}/{}@{}", package.name, package.version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_lockfiles::{Ecosystem, Source};

    fn package(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            source: Source::Registry { url: None },
            checksums: vec![],
            dev: false,
            license: None,
            line: None,
            dependencies: vec![],
            source_package: None,
        }
    }

    #[test]
    fn purls_per_ecosystem() {
        assert_eq!(
            purl(&package(Ecosystem::CratesIo, "serde", "1.0.0")),
            "pkg:cargo/serde@1.0.0"
        );
        assert_eq!(
            purl(&package(Ecosystem::PyPI, "Django_Rest", "3.0")),
            "pkg:pypi/django-rest@3.0"
        );
        assert_eq!(
            purl(&package(Ecosystem::Npm, "@babel/core", "7.0.0")),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl(&package(Ecosystem::Go, "golang.org/x/net", "v0.1.0")),
            "pkg:golang/golang.org/x/net@v0.1.0"
        );
        assert_eq!(
            purl(&package(
                Ecosystem::CratesIo,
                "openssl-src",
                "111.22.0+1.1.1q"
            )),
            "pkg:cargo/openssl-src@111.22.0%2B1.1.1q"
        );
        assert_eq!(
            purl(&package(
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            )),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(
            purl(&package(
                Ecosystem::Packagist,
                "symfony/http-kernel",
                "v5.4.0"
            )),
            "pkg:composer/symfony/http-kernel@v5.4.0"
        );
        assert_eq!(
            purl(&package(Ecosystem::RubyGems, "rack", "2.2.3")),
            "pkg:gem/rack@2.2.3"
        );
    }
}
