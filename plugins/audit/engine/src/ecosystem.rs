//! Ecosystem names and package-name normalisation, as OSV spells them.

pub use cordon_lockfiles::Ecosystem;
use serde::{Deserialize, Serialize};

/// Serializable twin of [`Ecosystem`] for the index (the shared lockfile
/// types carry no serde derives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum EcosystemTag {
    CratesIo,
    Npm,
    PyPI,
    Go,
}

impl From<Ecosystem> for EcosystemTag {
    fn from(ecosystem: Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::CratesIo => Self::CratesIo,
            Ecosystem::Npm => Self::Npm,
            Ecosystem::PyPI => Self::PyPI,
            Ecosystem::Go => Self::Go,
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
        }
    }
}

/// The ecosystem an OSV `affected[].package.ecosystem` names, if supported.
/// OSV allows a `:suffix` (e.g. `Debian:11`); none of ours use one.
pub(crate) fn from_osv_name(name: &str) -> Option<Ecosystem> {
    match name {
        "crates.io" => Some(Ecosystem::CratesIo),
        "npm" => Some(Ecosystem::Npm),
        "PyPI" => Some(Ecosystem::PyPI),
        "Go" => Some(Ecosystem::Go),
        _ => None,
    }
}

/// The form under which a package name is compared. PyPI names compare
/// after PEP 503 normalisation (case-folded, runs of `-`, `_`, `.` become
/// one `-`); the other ecosystems compare names exactly.
pub(crate) fn normalized_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => cordon_lockfiles::normalize_pypi_name(name),
        Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Go => name.to_owned(),
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
        for ecosystem in [
            Ecosystem::CratesIo,
            Ecosystem::Npm,
            Ecosystem::PyPI,
            Ecosystem::Go,
        ] {
            assert_eq!(from_osv_name(ecosystem.osv_name()), Some(ecosystem));
        }
        assert_eq!(from_osv_name("Debian:11"), None);
    }
}
