//! Which release of a distribution an installed-package database belongs
//! to, as OSV names releases: `Debian:12`, `Alpine:v3.20`.
//!
//! The release comes from the root filesystem's os-release
//! ([`cordon_lockfiles::OsRelease`]): Debian's `VERSION_ID` (`12`), or
//! its `VERSION_CODENAME` where testing has no `VERSION_ID`; Alpine's
//! `VERSION_ID` cut to major.minor with a `v` (`3.20.3` is `v3.20`).
//!
//! When the release cannot be determined, the packages are matched
//! against the advisories of every release of the distribution, and the
//! audit says so: a version fixed by a backport in its own release may
//! then be reported from another release's range, but nothing is passed
//! as clean for want of a release. A root filesystem of another
//! distribution (Ubuntu's dpkg, Wolfi's apk) is not checked at all:
//! Debian's or Alpine's fixed versions say nothing about its packages.

use cordon_lockfiles::OsRelease;

use crate::ecosystem::Ecosystem;

/// How one inventory's packages of a distribution ecosystem are matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReleaseScope {
    /// Only advisories of this release (`12`, `v3.20`).
    Release {
        release: String,
        /// Where the release came from, for notes (`etc/os-release`).
        from: String,
    },
    /// Every release's advisories; `why` the release is unknown.
    Unknown { why: String },
    /// Not checked: the root filesystem is another distribution.
    Foreign { name: String },
}

/// Debian release numbers by code name, for os-release files without a
/// `VERSION_ID` (testing names its code name only).
const DEBIAN_CODENAMES: [(&str, &str); 9] = [
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// The release scope of `ecosystem` packages read beside `os_release`.
pub(crate) fn release_scope(ecosystem: Ecosystem, os_release: Option<&OsRelease>) -> ReleaseScope {
    let Some(os_release) = os_release else {
        return ReleaseScope::Unknown {
            why: "neither an os-release file beside the database nor a purl `distro` qualifier names it".to_owned(),
        };
    };
    let expected_id = match ecosystem {
        Ecosystem::Debian => "debian",
        Ecosystem::Alpine => "alpine",
        _ => {
            return ReleaseScope::Unknown {
                why: format!("{} has no releases", ecosystem.osv_name()),
            };
        }
    };
    if os_release.id != expected_id {
        let name = os_release
            .pretty_name
            .clone()
            .unwrap_or_else(|| os_release.id.clone());
        return ReleaseScope::Foreign {
            name: format!("{name} (ID={})", os_release.id),
        };
    }
    let release = match ecosystem {
        Ecosystem::Debian => debian_release(os_release),
        _ => alpine_release(os_release),
    };
    match release {
        Ok(release) => ReleaseScope::Release {
            release,
            from: os_release.path.clone(),
        },
        Err(why) => ReleaseScope::Unknown {
            why: format!("{}: {why}", os_release.path),
        },
    }
}

fn debian_release(os_release: &OsRelease) -> Result<String, String> {
    if let Some(version) = &os_release.version_id {
        let major = version.split('.').next().unwrap_or(version);
        if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(major.to_owned());
        }
        return Err(format!(
            "VERSION_ID `{version}` is not a Debian release number"
        ));
    }
    let codename = os_release.version_codename.as_deref().unwrap_or_default();
    DEBIAN_CODENAMES
        .iter()
        .find(|(name, _)| *name == codename)
        .map(|(_, number)| (*number).to_owned())
        .ok_or_else(|| match codename {
            "" => "neither VERSION_ID nor VERSION_CODENAME".to_owned(),
            codename => format!("no VERSION_ID, and code name `{codename}` is not a known release"),
        })
}

fn alpine_release(os_release: &OsRelease) -> Result<String, String> {
    let version = os_release
        .version_id
        .as_deref()
        .ok_or_else(|| "no VERSION_ID".to_owned())?;
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        // Edge's VERSION_ID (`3.21_alpha20240807`) names no release.
        [major, minor, rest @ ..]
            if numeric(major) && numeric(minor) && rest.iter().all(numeric) =>
        {
            Ok(format!("v{major}.{minor}"))
        }
        _ => Err(format!("VERSION_ID `{version}` is not an Alpine release")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, version_id: Option<&str>, codename: Option<&str>) -> OsRelease {
        OsRelease {
            path: "etc/os-release".to_owned(),
            id: id.to_owned(),
            version_id: version_id.map(str::to_owned),
            version_codename: codename.map(str::to_owned),
            pretty_name: None,
        }
    }

    fn release(ecosystem: Ecosystem, os_release: &OsRelease) -> Option<String> {
        match release_scope(ecosystem, Some(os_release)) {
            ReleaseScope::Release { release, .. } => Some(release),
            _ => None,
        }
    }

    #[test]
    fn releases_are_named_as_osv_names_them() {
        let debian = Ecosystem::Debian;
        let alpine = Ecosystem::Alpine;
        assert_eq!(
            release(debian, &os("debian", Some("12"), None)).as_deref(),
            Some("12")
        );
        assert_eq!(
            release(debian, &os("debian", None, Some("trixie"))).as_deref(),
            Some("13")
        );
        assert_eq!(
            release(alpine, &os("alpine", Some("3.20.3"), None)).as_deref(),
            Some("v3.20")
        );
        assert_eq!(
            release(alpine, &os("alpine", Some("3.19"), None)).as_deref(),
            Some("v3.19")
        );
    }

    #[test]
    fn unknown_releases_say_why() {
        for (ecosystem, os_release) in [
            (Ecosystem::Debian, os("debian", None, Some("sid"))),
            (Ecosystem::Debian, os("debian", None, None)),
            (Ecosystem::Debian, os("debian", Some("n/a"), None)),
            (
                Ecosystem::Alpine,
                os("alpine", Some("3.21_alpha20240807"), None),
            ),
            (Ecosystem::Alpine, os("alpine", None, None)),
            (Ecosystem::Alpine, os("alpine", Some("3"), None)),
        ] {
            let scope = release_scope(ecosystem, Some(&os_release));
            assert!(
                matches!(&scope, ReleaseScope::Unknown { why } if why.starts_with("etc/os-release: ")),
                "{os_release:?}: {scope:?}"
            );
        }
        assert!(matches!(
            release_scope(Ecosystem::Debian, None),
            ReleaseScope::Unknown { .. }
        ));
    }

    #[test]
    fn another_distribution_is_foreign() {
        let mut ubuntu = os("ubuntu", Some("22.04"), Some("jammy"));
        ubuntu.pretty_name = Some("Ubuntu 22.04.4 LTS".to_owned());
        assert_eq!(
            release_scope(Ecosystem::Debian, Some(&ubuntu)),
            ReleaseScope::Foreign {
                name: "Ubuntu 22.04.4 LTS (ID=ubuntu)".to_owned()
            }
        );
        assert!(matches!(
            release_scope(
                Ecosystem::Alpine,
                Some(&os("wolfi", Some("20230201"), None))
            ),
            ReleaseScope::Foreign { .. }
        ));
    }
}
