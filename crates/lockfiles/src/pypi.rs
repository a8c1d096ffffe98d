//! Python package naming shared by the PyPI lockfile parsers.

use std::collections::HashMap;

use crate::Package;

/// Normalises a Python distribution name as PEP 503 says: lower-case, with
/// every run of `-`, `_` and `.` replaced by a single `-`.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                normalized.push('-');
            }
            in_separator_run = true;
        } else {
            normalized.extend(c.to_lowercase());
            in_separator_run = false;
        }
    }
    normalized
}

/// Packages of a Python lockfile by normalised name, for resolving
/// dependency references that give only a name.
pub struct NameIndex(HashMap<String, Vec<usize>>);

impl NameIndex {
    pub fn new(packages: &[Package]) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, package) in packages.iter().enumerate() {
            by_name
                .entry(normalize_pypi_name(&package.name))
                .or_default()
                .push(index);
        }
        NameIndex(by_name)
    }

    /// Every package locked under `name` (more than one when the lockfile
    /// pins different versions for different environment markers).
    pub fn get(&self, name: &str) -> &[usize] {
        self.0
            .get(&normalize_pypi_name(name))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_pypi_name;

    #[test]
    fn pep_503_examples() {
        for name in [
            "friendly-bard",
            "Friendly-Bard",
            "FRIENDLY-BARD",
            "friendly.bard",
            "friendly_bard",
            "friendly--bard",
            "FrIeNdLy-._.-bArD",
        ] {
            assert_eq!(normalize_pypi_name(name), "friendly-bard", "{name}");
        }
    }
}
