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

/// The ecosystem an OSV `affected[].package.ecosystem` names, if Cordon
/// matches its advisories.
///
/// Distribution ecosystems are per release (`Debian:12`, `Alpine:v3.19`):
/// their fixed versions differ between releases, and an installed-package
/// database does not say which release it belongs to, so their advisories
/// are not matched and such packages are reported as not checked.
pub(crate) fn from_osv_name(name: &str) -> Option<Ecosystem> {
    Ecosystem::ALL
        .into_iter()
        .find(|ecosystem| ecosystem.osv_name() == name && is_matchable(*ecosystem))
}

/// Whether Cordon can match this ecosystem's advisories at all (see
/// [`from_osv_name`]).
pub(crate) fn is_matchable(ecosystem: Ecosystem) -> bool {
    !matches!(ecosystem, Ecosystem::Alpine | Ecosystem::Debian)
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
            let expected = is_matchable(ecosystem).then_some(ecosystem);
            assert_eq!(from_osv_name(ecosystem.osv_name()), expected);
        }
        assert_eq!(from_osv_name("Debian:11"), None);
        assert_eq!(from_osv_name("Maven"), Some(Ecosystem::Maven));
        assert_eq!(from_osv_name("rubygems"), None);
    }
}
