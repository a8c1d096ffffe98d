//! Building a package graph when a format names dependencies by package
//! name only (Gemfile.lock, composer.lock, pubspec.lock, ...).

use std::collections::HashMap;

use crate::{Ecosystem, Package, Parsed, Source, Warning};

/// Packages in lockfile order, looked up by name for dependency links.
#[derive(Default)]
pub struct Graph {
    pub packages: Vec<Package>,
    pub roots: Vec<usize>,
    pub warnings: Vec<Warning>,
    by_name: HashMap<String, Vec<usize>>,
    /// Name -> the dependency names it declared, linked in [`Graph::finish`]
    /// once every package is known.
    pending: Vec<(usize, Vec<String>)>,
    /// How names compare (PyPI's are normalised); exact when `None`.
    name_key: Option<fn(&str) -> String>,
}

/// A registry package with nothing but its coordinates; callers fill in
/// the rest with struct update syntax.
pub fn package(ecosystem: Ecosystem, name: &str, version: &str, line: Option<u32>) -> Package {
    Package {
        ecosystem,
        name: name.to_string(),
        version: version.to_string(),
        source: Source::Registry { url: None },
        checksums: Vec::new(),
        dev: false,
        license: None,
        line,
        dependencies: Vec::new(),
        source_package: None,
    }
}

impl Graph {
    /// A graph whose dependency names compare after `name_key`.
    pub fn with_name_key(name_key: fn(&str) -> String) -> Self {
        Graph {
            name_key: Some(name_key),
            ..Graph::default()
        }
    }

    fn key(&self, name: &str) -> String {
        match self.name_key {
            Some(key) => key(name),
            None => name.to_string(),
        }
    }

    /// Adds a package whose dependencies (by name) are linked at the end.
    pub fn add(&mut self, package: Package, dependency_names: Vec<String>) -> usize {
        let index = self.packages.len();
        let key = self.key(&package.name);
        self.by_name.entry(key).or_default().push(index);
        self.packages.push(package);
        if !dependency_names.is_empty() {
            self.pending.push((index, dependency_names));
        }
        index
    }

    /// Adds the project itself: a workspace package whose dependencies are
    /// the direct ones. It is not looked up by name.
    pub fn add_root(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
        dependency_names: Vec<String>,
    ) -> usize {
        let index = self.packages.len();
        self.packages.push(Package {
            source: Source::Workspace,
            ..package(ecosystem, name, "", None)
        });
        self.roots.push(index);
        self.pending.push((index, dependency_names));
        index
    }

    pub fn warn(&mut self, line: Option<u32>, message: impl Into<String>) {
        self.warnings.push(Warning {
            line,
            message: message.into(),
        });
    }

    /// Index of the packages named `name`.
    pub fn named(&self, name: &str) -> &[usize] {
        self.by_name
            .get(&self.key(name))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Links every pending dependency name. `is_known_absent` says which
    /// names are not expected in the lockfile (platform packages such as
    /// `php` or `ext-json`); any other missing name is a warning.
    pub fn finish(mut self, is_known_absent: impl Fn(&str) -> bool) -> Parsed {
        for (from, names) in std::mem::take(&mut self.pending) {
            let mut dependencies = Vec::new();
            for name in names {
                let targets = self.named(&name).to_vec();
                if targets.is_empty() {
                    if !is_known_absent(&name) {
                        let line = self.packages[from].line;
                        let message = format!(
                            "dependency `{name}` of `{}` is not in the lockfile",
                            self.packages[from].name
                        );
                        self.warn(line, message);
                    }
                    continue;
                }
                dependencies.extend(targets);
            }
            dependencies.sort_unstable();
            dependencies.dedup();
            self.packages[from].dependencies = dependencies;
        }
        Parsed {
            packages: self.packages,
            roots: self.roots,
            warnings: self.warnings,
        }
    }
}
