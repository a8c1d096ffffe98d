//! Helpers shared by the parser tests.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use cordon_lockfiles::{Lockfile, Package, parse};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses a fixture as if it were at `path` in the workspace.
pub fn parse_fixture(fixture_name: &str, path: &str) -> Lockfile {
    parse(path, &fixture(fixture_name)).unwrap_or_else(|e| panic!("{e}"))
}

pub fn find<'a>(lockfile: &'a Lockfile, name: &str, version: &str) -> &'a Package {
    lockfile
        .packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name} {version} not in {}", lockfile.path))
}

/// `name version` of each direct dependency of `name version`, sorted.
pub fn deps_of(lockfile: &Lockfile, name: &str, version: &str) -> Vec<String> {
    let mut deps: Vec<String> = find(lockfile, name, version)
        .dependencies
        .iter()
        .map(|&i| {
            format!(
                "{} {}",
                lockfile.packages[i].name, lockfile.packages[i].version
            )
        })
        .collect();
    deps.sort();
    deps
}

/// `name version` of every package, sorted.
pub fn names(lockfile: &Lockfile) -> Vec<String> {
    let mut names: Vec<String> = lockfile
        .packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    names.sort();
    names
}
