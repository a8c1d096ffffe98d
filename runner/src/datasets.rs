//! Where the named data sets (`rustsec`, `osv`, `cargo-registry`) come
//! from, and `cordon db update`, which fetches the advisory databases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cordon_advisory_sources::{Limits, OsvArchiveFetcher, UpdateOutcome};

use crate::host::data::DataSet;

pub const RUSTSEC: &str = "rustsec";
pub const OSV: &str = "osv";
/// The crate sources cargo has unpacked (`$CARGO_HOME/registry/src`): the
/// `sbom` stage reads published crates' licences from their `Cargo.toml`.
pub const CARGO_REGISTRY: &str = "cargo-registry";
pub const RUSTSEC_URL: &str = "https://github.com/rustsec/advisory-db.git";

/// Explicit locations from the command line or environment.
#[derive(Debug, Clone, Default)]
pub struct DataSetPaths {
    pub advisory_db: Option<PathBuf>,
    pub osv_db: Option<PathBuf>,
    /// The user cache directory (`db update` clones there).
    pub cache_dir: Option<PathBuf>,
    /// `$CARGO_HOME` (default `~/.cargo`), for the `cargo-registry` data set.
    pub cargo_home: Option<PathBuf>,
}

impl DataSetPaths {
    fn cached(&self, name: &str) -> Option<PathBuf> {
        self.cache_dir
            .as_ref()
            .map(|d| d.join("advisory-db").join(name))
    }

    /// Where the first run should fetch the RustSec database: its cache
    /// location, when no path was given and no copy is there yet.
    pub fn first_use_target(&self) -> Option<PathBuf> {
        if self.advisory_db.is_some() {
            return None;
        }
        self.cached(RUSTSEC).filter(|dir| !dir.exists())
    }

    /// Resolves the data sets `wanted` names. A missing one is an error
    /// value the stage will see, never an empty database.
    pub fn resolve<'a>(
        &self,
        wanted: impl IntoIterator<Item = &'a String>,
    ) -> BTreeMap<String, Result<DataSet, String>> {
        wanted
            .into_iter()
            .map(|name| {
                let resolved = match name.as_str() {
                    RUSTSEC => self.locate(
                        RUSTSEC,
                        self.advisory_db.as_deref(),
                        "--advisory-db PATH (or CORDON_ADVISORY_DB)",
                    ),
                    OSV => self.locate(
                        OSV,
                        self.osv_db.as_deref(),
                        "--osv-db PATH (or CORDON_OSV_DB)",
                    ),
                    CARGO_REGISTRY => self.cargo_registry(),
                    other => Err(format!(
                        "Cordon has no data set named `{other}` (known: {RUSTSEC}, {OSV}, {CARGO_REGISTRY})"
                    )),
                };
                (name.clone(), resolved)
            })
            .collect()
    }

    /// crates.io's directory under `$CARGO_HOME/registry/src`: named
    /// `index.crates.io-<hash>` since cargo's sparse index (1.70), and
    /// `github.com-<hash>` before it. Read-only published sources.
    fn cargo_registry(&self) -> Result<DataSet, String> {
        let src = self
            .cargo_home
            .as_ref()
            .map(|home| home.join("registry").join("src"))
            .ok_or("no cargo home directory (set CARGO_HOME)")?;
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(&src)
            .map_err(|_| format!("no unpacked crate sources under {}", src.display()))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|name| {
                        name.starts_with("index.crates.io-") || name.starts_with("github.com-")
                    })
            })
            .collect();
        // The sparse index's directory first: it is the one current cargo fills.
        candidates.sort_by_key(|path| !path.to_string_lossy().contains("index.crates.io-"));
        candidates
            .into_iter()
            .next()
            .map(DataSet::undated)
            .ok_or_else(|| format!("no crates.io sources under {}", src.display()))
    }

    fn locate(&self, name: &str, explicit: Option<&Path>, flag: &str) -> Result<DataSet, String> {
        if let Some(path) = explicit {
            return if path.is_dir() {
                Ok(DataSet::at(path.to_path_buf()))
            } else {
                Err(format!("{} is not a directory", path.display()))
            };
        }
        match self.cached(name) {
            Some(path) if path.is_dir() => Ok(DataSet::at(path)),
            _ => Err(format!(
                "no local copy (offline, or the fetch failed); get it with `cordon db update`, or pass {flag}"
            )),
        }
    }
}

/// `$CARGO_HOME`, or `~/.cargo` as cargo itself defaults.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".cargo")))
}

/// Clones, or fetches and fast-forwards, `url` into `dir`. Returns the new HEAD.
pub fn update(url: &str, dir: &Path) -> Result<String, String> {
    crate::git_http::register()?;
    let shown = crate::run::git_scope::strip_credentials(url);
    let describe = |e: git2::Error| format!("{shown}: {}", e.message());
    if !dir.join(".git").exists() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let repo = git2::Repository::clone(url, dir).map_err(describe)?;
        let head = repo
            .head()
            .map_err(describe)?
            .peel_to_commit()
            .map_err(describe)?;
        return Ok(head.id().to_string());
    }
    let repo = git2::Repository::open(dir).map_err(describe)?;
    let mut remote = repo.find_remote("origin").map_err(describe)?;
    remote.fetch(&["HEAD"], None, None).map_err(describe)?;
    let fetched = repo
        .find_reference("FETCH_HEAD")
        .map_err(describe)?
        .peel_to_commit()
        .map_err(describe)?;
    // The copy is ours alone, so a hard reset is a fast-forward that also
    // repairs local damage.
    repo.reset(fetched.as_object(), git2::ResetType::Hard, None)
        .map_err(describe)?;
    Ok(fetched.id().to_string())
}

/// Fetches OSV's published archive of each of `ecosystems` (archive names,
/// e.g. `crates.io`, `PyPI`) into `<osv_root>/<Ecosystem>/`. Each is
/// verified before it replaces the previous copy, and asked for with the
/// previous copy's validators, so an unchanged archive is not downloaded
/// again. Returns one line per ecosystem, and whether any failed (the
/// others are still updated; a failed one keeps its previous copy).
pub fn update_osv_archives(
    base_url: &str,
    osv_root: &Path,
    ecosystems: &[&str],
) -> (Vec<String>, bool) {
    let fetcher = OsvArchiveFetcher::new(base_url, Limits::default());
    let mut lines = Vec::new();
    let mut failed = false;
    for ecosystem in ecosystems {
        let now = cordon_advisory_sources::jiff::Timestamp::now();
        match fetcher.update(osv_root, ecosystem, now) {
            Ok(UpdateOutcome::Fetched(manifest)) => lines.push(format!(
                "osv:{ecosystem}: {} records fetched ({} bytes, sha256 {})",
                manifest.records, manifest.archive_bytes, manifest.sha256
            )),
            Ok(UpdateOutcome::NotModified(manifest)) => lines.push(format!(
                "osv:{ecosystem}: unchanged since {} ({} records)",
                manifest.fetched_at, manifest.records
            )),
            Err(error) => {
                failed = true;
                lines.push(format!(
                    "osv:{ecosystem}: not updated, any previous copy is kept: {error}"
                ));
            }
        }
    }
    (lines, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_databases_are_errors_that_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let paths = DataSetPaths {
            cache_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let names = [RUSTSEC.to_string(), "nvd".to_string()];
        let resolved = paths.resolve(&names);
        assert!(
            resolved[RUSTSEC]
                .as_ref()
                .unwrap_err()
                .contains("cordon db update")
        );
        assert!(
            resolved["nvd"]
                .as_ref()
                .unwrap_err()
                .contains("no data set named `nvd`")
        );
    }

    #[test]
    fn a_local_git_source_is_cloned_then_fast_forwarded() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        let repo = git2::Repository::init(&source).unwrap();
        let commit = |message: &str, file: &str| {
            std::fs::write(source.join(file), message).unwrap();
            let mut index = repo.index().unwrap();
            index.add_path(Path::new(file)).unwrap();
            let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
            let signature = git2::Signature::now("t", "t@example.com").unwrap();
            let parents: Vec<git2::Commit> = repo
                .head()
                .ok()
                .and_then(|h| h.peel_to_commit().ok())
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit> = parents.iter().collect();
            repo.commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .unwrap()
            .to_string()
        };
        let first = commit("one", "a.toml");
        let copy = dir.path().join("cache/advisory-db/rustsec");
        let url = source.to_str().unwrap();
        assert_eq!(update(url, &copy).unwrap(), first);
        let second = commit("two", "b.toml");
        assert_eq!(update(url, &copy).unwrap(), second);
        assert!(copy.join("b.toml").is_file());
        let set = DataSet::at(copy);
        assert_eq!(set.revision().as_deref(), Some(second.as_str()));
    }
}
