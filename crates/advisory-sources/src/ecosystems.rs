//! Which OSV archives a workspace needs: the ecosystems of its lockfiles.

use std::collections::BTreeSet;
use std::path::Path;

use cordon_lockfiles::{Ecosystem, detect};
use cordon_workspace::{ReadGrant, WalkOptions, Workspace};

/// The OSV archive names of the ecosystems whose lockfiles are under
/// `root` (walked as the audit stage walks it: `.gitignore` honoured,
/// hidden files skipped), sorted.
///
/// A root filesystem's installed-package database (`var/lib/dpkg/status`,
/// `lib/apk/db/installed`) names the `Debian` or `Alpine` archive, which
/// holds every release of the distribution; the audit picks the release
/// from the root filesystem's os-release.
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
        .collect();
    Ok(ecosystems.into_iter().map(Ecosystem::osv_name).collect())
}

/// The archive name of `name` given on a command line, matched without
/// case against the ecosystems Cordon reads (`pypi` is `PyPI`), so a typo
/// is an error listing the names rather than a 404 from the server.
///
/// OSV's release-qualified distribution names (`Debian:12`,
/// `Alpine:v3.20`) name their distribution's archive: OSV publishes one
/// archive per distribution holding every release.
pub fn ecosystem_archive_name(name: &str) -> Result<&'static str, String> {
    let trimmed = name.trim();
    let (base, release) = match trimmed.split_once(':') {
        Some((base, release)) => (base, Some(release)),
        None => (trimmed, None),
    };
    Ecosystem::ALL
        .into_iter()
        .filter(|ecosystem| {
            release.is_none_or(|release| {
                !release.trim().is_empty()
                    && matches!(ecosystem, Ecosystem::Alpine | Ecosystem::Debian)
            })
        })
        .map(Ecosystem::osv_name)
        .find(|known| known.eq_ignore_ascii_case(base))
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
        write("images/alpine/lib/apk/db/installed");
        write("ignored/Gemfile.lock");
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        // .gitignore is honoured only inside a git repository.
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        assert_eq!(
            workspace_ecosystems(dir.path()).unwrap(),
            ["crates.io", "npm", "PyPI", "Alpine", "Debian"]
        );
        assert!(workspace_ecosystems(&dir.path().join("absent")).is_err());
    }

    #[test]
    fn command_line_names_match_without_case_or_are_refused() {
        assert_eq!(ecosystem_archive_name("pypi").unwrap(), "PyPI");
        assert_eq!(ecosystem_archive_name("crates.io").unwrap(), "crates.io");
        // A release names its distribution's archive, which holds them all.
        assert_eq!(ecosystem_archive_name("Debian:12").unwrap(), "Debian");
        assert_eq!(ecosystem_archive_name("alpine:v3.20").unwrap(), "Alpine");
        // Only distributions have releases.
        assert!(ecosystem_archive_name("npm:1").is_err());
        assert!(ecosystem_archive_name("Debian:").is_err());
        let error = ecosystem_archive_name("cargo").unwrap_err();
        assert!(
            error.contains("crates.io") && error.contains("npm"),
            "{error}"
        );
    }
}
