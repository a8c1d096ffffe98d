//! Which files of an OSV data set a workspace needs.
//!
//! `cordon db update` stores OSV's per-ecosystem archives one directory per
//! ecosystem (`<root>/crates.io/`, `<root>/npm/`, ...). A workspace only
//! needs the directories of the ecosystems its packages belong to, so a
//! Rust-only repository never reads, parses or caches npm data (and a
//! damaged npm copy cannot disturb its audit). Files outside such
//! directories (an OSV git mirror's own layout, a flat directory of
//! records) are always read: nothing says which ecosystem they hold.
//!
//! OSV publishes one archive per distribution holding every release
//! (`Debian/all.zip` has `Debian:11`, `Debian:12`, ...), so `Debian/` is
//! read whole; a directory named after one release (`Debian:12/`, as a
//! mirror may keep them) counts as the distribution's.

use std::collections::BTreeSet;

use crate::ecosystem::Ecosystem;
use crate::inventory::Inventory;

/// The ecosystems whose OSV directories are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsvSelection {
    ecosystems: BTreeSet<Ecosystem>,
}

impl OsvSelection {
    /// The ecosystems of the packages in `inventories`.
    pub fn for_inventories(inventories: &[Inventory]) -> OsvSelection {
        OsvSelection::of(
            inventories
                .iter()
                .flat_map(|inventory| &inventory.packages)
                .map(|package| package.ecosystem),
        )
    }

    pub fn of(ecosystems: impl IntoIterator<Item = Ecosystem>) -> OsvSelection {
        OsvSelection {
            ecosystems: ecosystems.into_iter().collect(),
        }
    }

    /// Whether `path` (relative to the data set root, `/`-separated) is to
    /// be read: it is outside every ecosystem directory, or inside the
    /// directory of a selected ecosystem. Directory names compare without
    /// case, so a `pypi/` folder of a mirror counts as PyPI's.
    pub fn wants(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./");
        let Some((top, _)) = path.split_once('/') else {
            return true;
        };
        match directory_ecosystem(top) {
            Some(ecosystem) => self.ecosystems.contains(&ecosystem),
            None => true,
        }
    }

    /// A stable name of the selection, for cache keys: an index built from
    /// one selection must never be reused for another.
    pub fn key(&self) -> String {
        let names: Vec<&str> = self
            .ecosystems
            .iter()
            .map(|ecosystem| ecosystem.osv_name())
            .collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join("+")
        }
    }

    pub fn ecosystems(&self) -> impl Iterator<Item = Ecosystem> + '_ {
        self.ecosystems.iter().copied()
    }
}

/// The ecosystem a top-level directory is named after, if any
/// (`Debian:12` is Debian's).
fn directory_ecosystem(name: &str) -> Option<Ecosystem> {
    let name = name.split_once(':').map_or(name, |(base, _)| base);
    Ecosystem::ALL
        .into_iter()
        .find(|ecosystem| ecosystem.osv_name().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selected_ecosystem_directories_and_unclaimed_files_are_read() {
        let rust_only = OsvSelection::of([Ecosystem::CratesIo]);
        assert!(rust_only.wants("crates.io/RUSTSEC-2099-0001.json"));
        assert!(!rust_only.wants("npm/GHSA-aaaa-bbbb-cccc.json"));
        assert!(!rust_only.wants("PyPI/PYSEC-2099-1.json"));
        // A mirror's lower-case directory is still PyPI's.
        assert!(!rust_only.wants("pypi/vulns/demo/PYSEC-2099-1.yaml"));
        // Not an ecosystem directory: nothing says what it holds.
        assert!(rust_only.wants("advisories/github-reviewed/GHSA-x.json"));
        assert!(rust_only.wants("GHSA-flat-record.json"));
        assert!(rust_only.wants("./crates.io/RUSTSEC-2099-0002.json"));
        assert_eq!(rust_only.key(), "crates.io");
    }

    #[test]
    fn distribution_directories_hold_every_release() {
        let selection = OsvSelection::of([Ecosystem::Debian, Ecosystem::Npm, Ecosystem::Npm]);
        assert_eq!(
            selection.ecosystems().collect::<Vec<_>>(),
            [Ecosystem::Npm, Ecosystem::Debian]
        );
        assert!(selection.wants("Debian/DSA-5532-1.json"));
        assert!(selection.wants("Debian:12/DEBIAN-CVE-2023-5678.json"));
        assert!(!selection.wants("Alpine/ALPINE-CVE-2023-5678.json"));
        assert!(!selection.wants("Alpine:v3.20/ALPINE-CVE-2023-5678.json"));
        assert!(selection.wants("npm/GHSA-1.json"));
        assert_eq!(selection.key(), "npm+Debian");
        assert_eq!(OsvSelection::of([]).key(), "none");
    }
}
