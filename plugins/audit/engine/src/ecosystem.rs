//! Ecosystem names and package-name normalisation, as OSV spells them.

pub use cordon_lockfiles::Ecosystem;
use serde::{Deserialize, Serialize};

/// Serializable twin of [`Ecosystem`] for the index (the shared lockfile
/// types carry no serde derives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum EcosystemTag {
    // Appended only: the index stores variants by position.
    CratesIo,
    Npm,
    PyPI,
    Go,
    RubyGems,
    Packagist,
    Maven,
    NuGet,
    Pub,
    Hex,
    Cran,
    ConanCenter,
    Alpine,
    Debian,
}

impl From<Ecosystem> for EcosystemTag {
    fn from(ecosystem: Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::CratesIo => Self::CratesIo,
            Ecosystem::Npm => Self::Npm,
            Ecosystem::PyPI => Self::PyPI,
            Ecosystem::Go => Self::Go,
            Ecosystem::RubyGems => Self::RubyGems,
            Ecosystem::Packagist => Self::Packagist,
            Ecosystem::Maven => Self::Maven,
            Ecosystem::NuGet => Self::NuGet,
            Ecosystem::Pub => Self::Pub,
            Ecosystem::Hex => Self::Hex,
            Ecosystem::Cran => Self::Cran,
            Ecosystem::ConanCenter => Self::ConanCenter,
            Ecosystem::Alpine => Self::Alpine,
            Ecosystem::Debian => Self::Debian,
        }
    }
}

impl From<EcosystemTag> for Ecosystem {
    fn from(tag: EcosystemTag) -> Self {
        match tag {
            EcosystemTag::CratesIo => Self::CratesIo,
            EcosystemTag::Npm => Self::Npm,
            EcosystemTag::PyPI => Self::PyPI,
            EcosystemTag::Go => Self::Go,
            EcosystemTag::RubyGems => Self::RubyGems,
            EcosystemTag::Packagist => Self::Packagist,
            EcosystemTag::Maven => Self::Maven,
            EcosystemTag::NuGet => Self::NuGet,
            EcosystemTag::Pub => Self::Pub,
            EcosystemTag::Hex => Self::Hex,
            EcosystemTag::Cran => Self::Cran,
            EcosystemTag::ConanCenter => Self::ConanCenter,
            EcosystemTag::Alpine => Self::Alpine,
            EcosystemTag::Debian => Self::Debian,
        }
    }
}

/// The ecosystem an OSV `affected[].package.ecosystem` names, with its
/// release for the distributions, if Cordon matches its advisories.
///
/// OSV names distribution ecosystems per release (`Debian:12`,
/// `Alpine:v3.20`): the fixed versions differ between releases, so the
/// release is kept with each advisory and matched against the release of
/// the scanned root filesystem ([`crate::distro`]). A distribution name
/// without a release applies to every release; any other ecosystem with a
/// `:` suffix is not one Cordon reads.
pub(crate) fn from_osv_name(name: &str) -> Option<(Ecosystem, Option<String>)> {
    let (base, release) = match name.split_once(':') {
        Some((base, release)) => (base, Some(release.trim())),
        None => (name, None),
    };
    let ecosystem = Ecosystem::ALL
        .into_iter()
        .find(|ecosystem| ecosystem.osv_name() == base)?;
    match release {
        None => Some((ecosystem, None)),
        Some(release) if is_distribution(ecosystem) && !release.is_empty() => {
            Some((ecosystem, Some(release.to_owned())))
        }
        Some(_) => None,
    }
}

/// Whether OSV publishes this ecosystem's advisories per release.
pub(crate) fn is_distribution(ecosystem: Ecosystem) -> bool {
    matches!(ecosystem, Ecosystem::Alpine | Ecosystem::Debian)
}

/// The form under which a package name is compared. PyPI names compare
/// after PEP 503 normalisation (case-folded, runs of `-`, `_`, `.` become
/// one `-`); the other ecosystems compare names exactly.
pub(crate) fn normalized_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => cordon_lockfiles::normalize_pypi_name(name),
        // NuGet ids and Composer names are case-insensitive; OSV writes
        // them as the registry displays them.
        Ecosystem::NuGet | Ecosystem::Packagist => name.to_lowercase(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_normalise_per_pep_503() {
        assert_eq!(normalized_name(Ecosystem::PyPI, "Django"), "django");
        assert_eq!(
            normalized_name(Ecosystem::PyPI, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(
            normalized_name(Ecosystem::PyPI, "Foo__Bar-.baz"),
            "foo-bar-baz"
        );
        assert_eq!(
            normalized_name(Ecosystem::CratesIo, "Inflector"),
            "Inflector"
        );
    }

    #[test]
    fn osv_names_round_trip() {
        for ecosystem in Ecosystem::ALL {
            assert_eq!(from_osv_name(ecosystem.osv_name()), Some((ecosystem, None)));
        }
        assert_eq!(from_osv_name("Maven"), Some((Ecosystem::Maven, None)));
        assert_eq!(from_osv_name("rubygems"), None);
    }

    #[test]
    fn distribution_names_keep_their_release() {
        assert_eq!(
            from_osv_name("Debian:11"),
            Some((Ecosystem::Debian, Some("11".to_owned())))
        );
        assert_eq!(
            from_osv_name("Alpine:v3.20"),
            Some((Ecosystem::Alpine, Some("v3.20".to_owned())))
        );
        // Only distributions have releases; Ubuntu is not Debian.
        assert_eq!(from_osv_name("npm:1"), None);
        assert_eq!(from_osv_name("Debian:"), None);
        assert_eq!(from_osv_name("Ubuntu:22.04:LTS"), None);
    }
}
