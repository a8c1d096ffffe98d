//! Which OSV archives a workspace needs: the ecosystems of its lockfiles.

use std::collections::BTreeSet;
use std::path::Path;

use cordon_lockfiles::{Ecosystem, detect};
use cordon_workspace::{ReadGrant, WalkOptions, Workspace};

/// The OSV archive names of the ecosystems whose lockfiles are under
/// `root` (walked as the audit stage walks it: `.gitignore` honoured,
/// hidden files skipped), sorted.
///
/// Alpine and Debian are left out: their advisories are per distribution
/// release and the audit does not match them, so their archives (among the
/// largest OSV publishes) would be fetched for nothing.
pub fn workspace_ecosystems(root: &Path) -> Result<Vec<&'static str>, String> {
    let grant = ReadGrant::new(&["**"]).map_err(|error| error.to_string())?;
    // Only names are listed; nothing is read.
    let workspace =
        Workspace::open(root, grant, 0).map_err(|error| format!("{}: {error}", root.display()))?;
    let files = workspace
        .list_files(WalkOptions {
            include_ignored: false,
            include_hidden: false,
        })
        .map_err(|error| format!("{}: {error}", root.display()))?;
    let ecosystems: BTreeSet<Ecosystem> = files
        .iter()
        .filter_map(|file| detect(&file.path))
        .map(|kind| kind.ecosystem())
        .filter(|ecosystem| !matches!(ecosystem, Ecosystem::Alpine | Ecosystem::Debian))
        .collect();
    Ok(ecosystems.into_iter().map(Ecosystem::osv_name).collect())
}

/// The archive name of `name` given on a command line, matched without
/// case against the ecosystems Cordon reads (`pypi` is `PyPI`), so a typo
/// is an error listing the names rather than a 404 from the server.
pub fn ecosystem_archive_name(name: &str) -> Result<&'static str, String> {
    Ecosystem::ALL
        .into_iter()
        .map(Ecosystem::osv_name)
        .find(|known| known.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            let known: Vec<&str> = Ecosystem::ALL
                .into_iter()
                .map(Ecosystem::osv_name)
                .collect();
            format!(
                "`{name}` is not an ecosystem Cordon reads; known: {}",
                known.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lockfiles_of_a_workspace_name_its_ecosystems() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        };
        write("Cargo.lock");
        write("web/package-lock.json");
        write("web/yarn.lock");
        write("tools/requirements.txt");
        write("rootfs/var/lib/dpkg/status");
        write("ignored/Gemfile.lock");
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        // .gitignore is honoured only inside a git repository.
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        assert_eq!(
            workspace_ecosystems(dir.path()).unwrap(),
            ["crates.io", "npm", "PyPI"]
        );
        assert!(workspace_ecosystems(&dir.path().join("absent")).is_err());
    }

    #[test]
    fn command_line_names_match_without_case_or_are_refused() {
        assert_eq!(ecosystem_archive_name("pypi").unwrap(), "PyPI");
        assert_eq!(ecosystem_archive_name("crates.io").unwrap(), "crates.io");
        let error = ecosystem_archive_name("cargo").unwrap_err();
        assert!(
            error.contains("crates.io") && error.contains("npm"),
            "{error}"
        );
    }
}
