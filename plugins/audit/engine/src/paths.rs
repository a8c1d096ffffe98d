//! Dependency paths: how a vulnerable package came in, from a direct
//! dependency, where the lockfile records the graph.

use std::collections::VecDeque;

use cordon_lockfiles::Source;

use crate::inventory::Inventory;

/// Shortest paths from the inventory's roots to every package it reaches.
pub(crate) struct DependencyPaths {
    /// The package a breadth-first walk reached each package from.
    parent: Vec<Option<usize>>,
    reached: Vec<bool>,
    /// Whether the walk starts at the project itself (workspace members,
    /// left out of paths) or at packages nothing depends on (the direct
    /// dependencies of a lockfile that does not name the project).
    starts_at_project: bool,
}

impl DependencyPaths {
    /// `None` when the file records no dependency links.
    pub(crate) fn new(inventory: &Inventory) -> Option<Self> {
        let packages = &inventory.packages;
        let count = packages.len();
        let linked = packages.iter().any(|package| {
            package
                .dependencies
                .iter()
                .any(|&dependency| dependency < count)
        });
        if !linked {
            return None;
        }
        let mut roots: Vec<usize> = inventory
            .roots
            .iter()
            .copied()
            .filter(|&root| root < count)
            .collect();
        if roots.is_empty() {
            roots = (0..count)
                .filter(|&index| matches!(packages[index].source, Source::Workspace))
                .collect();
        }
        let starts_at_project = !roots.is_empty();
        if !starts_at_project {
            let mut depended_on = vec![false; count];
            for package in packages {
                for &dependency in &package.dependencies {
                    if let Some(flag) = depended_on.get_mut(dependency) {
                        *flag = true;
                    }
                }
            }
            roots = (0..count).filter(|&index| !depended_on[index]).collect();
        }
        let mut parent = vec![None; count];
        let mut reached = vec![false; count];
        let mut queue = VecDeque::new();
        for &root in &roots {
            if !reached[root] {
                reached[root] = true;
                queue.push_back(root);
            }
        }
        while let Some(node) = queue.pop_front() {
            for &dependency in &packages[node].dependencies {
                if dependency < count && !reached[dependency] {
                    reached[dependency] = true;
                    parent[dependency] = Some(node);
                    queue.push_back(dependency);
                }
            }
        }
        Some(Self {
            parent,
            reached,
            starts_at_project,
        })
    }

    /// `name version` of each package from a direct dependency to
    /// `target` (just the target when it is direct); empty when the graph
    /// does not reach it. Workspace and path packages at the front (the
    /// project's own members) are left out.
    pub(crate) fn path_to(&self, inventory: &Inventory, target: usize) -> Vec<String> {
        if !self.reached.get(target).copied().unwrap_or(false) {
            return Vec::new();
        }
        let mut chain = vec![target];
        let mut node = target;
        while let Some(previous) = self.parent[node] {
            chain.push(previous);
            node = previous;
        }
        chain.reverse();
        if self.starts_at_project {
            // The first element is the project root itself.
            chain.remove(0);
        }
        let packages = &inventory.packages;
        let own = chain
            .iter()
            .take_while(|&&index| {
                index != target
                    && matches!(
                        packages[index].source,
                        Source::Workspace | Source::Path { .. }
                    )
            })
            .count();
        chain[own..]
            .iter()
            .map(|&index| format!("{} {}", packages[index].name, packages[index].version))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_lockfiles::{Ecosystem, Package};

    fn package(name: &str, source: Source, dependencies: &[usize]) -> Package {
        Package {
            ecosystem: Ecosystem::PyPI,
            name: name.to_owned(),
            version: "1.0".to_owned(),
            source,
            checksums: Vec::new(),
            dev: false,
            license: None,
            line: None,
            dependencies: dependencies.to_vec(),
            source_package: None,
        }
    }

    fn registry(name: &str, dependencies: &[usize]) -> Package {
        package(name, Source::Registry { url: None }, dependencies)
    }

    fn inventory(packages: Vec<Package>, roots: &[usize]) -> Inventory {
        Inventory {
            path: "poetry.lock".to_owned(),
            packages,
            roots: roots.to_vec(),
            warnings: Vec::new(),
            os_release: None,
        }
    }

    #[test]
    fn without_named_roots_paths_start_at_packages_nothing_needs() {
        // poetry.lock names no project: httpx and flask are direct; a
        // cycle (a <-> b) below them must not loop.
        let inventory = inventory(
            vec![
                registry("httpx", &[2]),
                registry("flask", &[3]),
                registry("httpcore", &[4]),
                registry("a", &[5]),
                registry("h11", &[]),
                registry("b", &[3, 4]),
            ],
            &[],
        );
        let paths = DependencyPaths::new(&inventory).unwrap();
        assert_eq!(
            paths.path_to(&inventory, 4),
            ["httpx 1.0", "httpcore 1.0", "h11 1.0"]
        );
        assert_eq!(
            paths.path_to(&inventory, 5),
            ["flask 1.0", "a 1.0", "b 1.0"]
        );
        assert_eq!(paths.path_to(&inventory, 0), ["httpx 1.0"]);
        assert!(paths.path_to(&inventory, 99).is_empty());
    }

    #[test]
    fn named_roots_and_workspace_members_are_not_part_of_the_path() {
        // Cargo-like: the root member needs a second member, which needs
        // a registry crate, which needs the vulnerable one.
        let inventory = inventory(
            vec![
                package("app", Source::Workspace, &[1]),
                package(
                    "app-core",
                    Source::Path {
                        path: "core".into(),
                    },
                    &[2],
                ),
                registry("hyper", &[3]),
                registry("h2", &[]),
                registry("unrelated", &[]),
            ],
            &[0],
        );
        let paths = DependencyPaths::new(&inventory).unwrap();
        assert_eq!(paths.path_to(&inventory, 3), ["hyper 1.0", "h2 1.0"]);
        // Not reachable from the project: no path rather than a wrong one.
        assert!(paths.path_to(&inventory, 4).is_empty());
        // A file with no links has no paths at all.
        let flat = self::inventory(vec![registry("a", &[]), registry("b", &[])], &[]);
        assert!(DependencyPaths::new(&flat).is_none());
    }
}

/// The lockfile crate's fixtures of every format that records a graph.
#[cfg(test)]
mod formats {
    use super::*;

    const FIXTURES: [(&str, &str); 17] = [
        ("cargo-v3.lock", "Cargo.lock"),
        ("cargo-v4.lock", "Cargo.lock"),
        ("package-lock-v1.json", "package-lock.json"),
        ("package-lock-v3.json", "package-lock.json"),
        ("pnpm-v6.yaml", "pnpm-lock.yaml"),
        ("pnpm-v9.yaml", "pnpm-lock.yaml"),
        ("yarn-v1.lock", "yarn.lock"),
        ("yarn-berry.lock", "yarn.lock"),
        ("bun.lock.fixture", "bun.lock"),
        ("poetry-2.lock.fixture", "poetry.lock"),
        ("uv.lock.fixture", "uv.lock"),
        ("pdm.lock.fixture", "pdm.lock"),
        ("Gemfile.lock.fixture", "Gemfile.lock"),
        ("composer.lock.fixture", "composer.lock"),
        ("packages.lock.json.fixture", "packages.lock.json"),
        ("pubspec.lock.fixture", "pubspec.lock"),
        ("mix.lock.fixture", "mix.lock"),
    ];

    /// Every path ends at its package, starts at a direct dependency and
    /// follows recorded links; every format gives paths (most formats give
    /// one to every registry package of these fixtures).
    #[test]
    fn every_graph_format_gives_linked_paths() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../crates/lockfiles/tests/fixtures"
        );
        for (fixture, name) in FIXTURES {
            let bytes = std::fs::read(format!("{dir}/{fixture}")).unwrap();
            let inventory = Inventory::from(cordon_lockfiles::parse(name, &bytes).unwrap());
            let paths = DependencyPaths::new(&inventory)
                .unwrap_or_else(|| panic!("{fixture}: no dependency graph"));
            let label = |index: usize| {
                let package = &inventory.packages[index];
                format!("{} {}", package.name, package.version)
            };
            let mut found = 0;
            for (index, package) in inventory.packages.iter().enumerate() {
                if !matches!(package.source, Source::Registry { .. }) {
                    continue;
                }
                let path = paths.path_to(&inventory, index);
                if path.is_empty() {
                    continue;
                }
                found += 1;
                assert_eq!(path.last(), Some(&label(index)), "{fixture}");
                for pair in path.windows(2) {
                    let linked = inventory.packages.iter().enumerate().any(|(from, p)| {
                        label(from) == pair[0]
                            && p.dependencies.iter().any(|&to| label(to) == pair[1])
                    });
                    assert!(
                        linked,
                        "{fixture}: {} -> {} is not a recorded link",
                        pair[0], pair[1]
                    );
                }
            }
            assert!(found > 0, "{fixture}: no package has a path");
        }
    }

    #[test]
    fn transitive_paths_in_real_shaped_lockfiles() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../crates/lockfiles/tests/fixtures"
        );
        let path_of = |fixture: &str, name: &str, package: &str| {
            let bytes = std::fs::read(format!("{dir}/{fixture}")).unwrap();
            let inventory = Inventory::from(cordon_lockfiles::parse(name, &bytes).unwrap());
            let index = inventory
                .packages
                .iter()
                .position(|p| p.name == package)
                .unwrap();
            DependencyPaths::new(&inventory)
                .unwrap()
                .path_to(&inventory, index)
        };
        assert_eq!(
            path_of("package-lock-v3.json", "package-lock.json", "ms"),
            ["debug 4.3.5", "ms 2.1.2"]
        );
        assert_eq!(
            path_of("poetry-2.lock.fixture", "poetry.lock", "certifi"),
            ["requests 2.32.3", "certifi 2024.7.4"]
        );
        assert_eq!(
            path_of("uv.lock.fixture", "uv.lock", "idna"),
            ["anyio 4.4.0", "idna 3.7"]
        );
        assert_eq!(
            path_of("yarn-berry.lock", "yarn.lock", "undici-types"),
            ["@types/node 20.8.10", "undici-types 5.26.5"]
        );
    }
}
