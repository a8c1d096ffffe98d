//! Version parsing and ordering per ecosystem, as the OSV schema defines it:
//! SemVer 2.0 for crates.io and npm (and every `SEMVER` range), PEP 440 for
//! PyPI, and Go module versions (SemVer with a `v` prefix).

use std::cmp::Ordering;
use std::str::FromStr;

use crate::ecosystem::Ecosystem;

/// How versions of one ecosystem are read and ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    SemVer,
    Pep440,
    Go,
}

impl Scheme {
    /// The ordering OSV's `ECOSYSTEM` ranges use for `ecosystem`.
    pub(crate) fn for_ecosystem(ecosystem: Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::CratesIo | Ecosystem::Npm => Self::SemVer,
            Ecosystem::PyPI => Self::Pep440,
            Ecosystem::Go => Self::Go,
        }
    }

    /// Parses `text`; `None` when it is not a version of this scheme.
    pub(crate) fn parse(self, text: &str) -> Option<ComparableVersion> {
        let text = text.trim();
        match self {
            Self::SemVer => parse_semver(text),
            // Go module versions always carry a `v`; OSV writes them without.
            Self::Go => parse_semver(text.strip_prefix('v').unwrap_or(text)),
            Self::Pep440 => pep440_rs::Version::from_str(text)
                .ok()
                .map(ComparableVersion::Pep440),
        }
    }
}

fn parse_semver(text: &str) -> Option<ComparableVersion> {
    let mut version = semver::Version::parse(text).ok()?;
    // SemVer 2.0 precedence ignores build metadata (`+incompatible` in Go,
    // `+1.1.1q` in crates); the `semver` crate's `Ord` would not.
    version.build = semver::BuildMetadata::EMPTY;
    Some(ComparableVersion::SemVer(version))
}

/// A parsed version; only versions of the same scheme are ever compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ComparableVersion {
    SemVer(semver::Version),
    Pep440(pep440_rs::Version),
}

impl PartialOrd for ComparableVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::SemVer(a), Self::SemVer(b)) => Some(a.cmp(b)),
            (Self::Pep440(a), Self::Pep440(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lt(scheme: Scheme, a: &str, b: &str) -> bool {
        let a = scheme.parse(a).unwrap();
        let b = scheme.parse(b).unwrap();
        a < b
    }

    #[test]
    fn semver_orders_prereleases_before_release_and_ignores_build() {
        assert!(lt(Scheme::SemVer, "1.0.0-alpha", "1.0.0-alpha.1"));
        assert!(lt(Scheme::SemVer, "1.0.0-rc.1", "1.0.0"));
        assert!(lt(Scheme::SemVer, "1.9.0", "1.10.0"));
        let a = Scheme::SemVer.parse("111.22.0+1.1.1q").unwrap();
        let b = Scheme::SemVer.parse("111.22.0").unwrap();
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
        assert!(Scheme::SemVer.parse("1.0").is_none());
    }

    #[test]
    fn pep440_orders_dev_pre_post_and_normalises() {
        assert!(lt(Scheme::Pep440, "1.0.dev1", "1.0a1"));
        assert!(lt(Scheme::Pep440, "1.0a1", "1.0rc1"));
        assert!(lt(Scheme::Pep440, "1.0rc1", "1.0"));
        assert!(lt(Scheme::Pep440, "1.0", "1.0.post1"));
        assert!(lt(Scheme::Pep440, "1.9", "1.10"));
        assert!(lt(Scheme::Pep440, "2!0.1", "2!1.0"));
        assert!(lt(Scheme::Pep440, "9.9", "1!0.1"));
        assert_eq!(Scheme::Pep440.parse("1.0"), Scheme::Pep440.parse("1.0.0"));
        assert_eq!(
            Scheme::Pep440.parse("1.0RC1"),
            Scheme::Pep440.parse("1.0rc1")
        );
        assert!(Scheme::Pep440.parse("not a version").is_none());
    }

    #[test]
    fn go_versions_accept_the_v_prefix_and_pseudo_versions() {
        assert!(lt(
            Scheme::Go,
            "v0.0.0-20210101000000-abcdef123456",
            "v0.0.1"
        ));
        assert!(lt(Scheme::Go, "v1.2.3", "1.10.0"));
        let a = Scheme::Go.parse("v2.0.0+incompatible").unwrap();
        let b = Scheme::Go.parse("2.0.0").unwrap();
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
    }
}
