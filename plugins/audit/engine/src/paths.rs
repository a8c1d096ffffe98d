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
