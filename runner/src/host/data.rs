//! `cordon:stage/data`: named, read-only data sets (advisory databases,
//! the local cargo registry's sources).
//!
//! The runner decides where each name points (`--advisory-db`, `--osv-db`,
//! the user cache); a stage sees only the names its grant lists.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use cordon_workspace::{ReadGrant, Workspace};

use super::StageState;
use super::bindings::cordon::stage::data::{DataSetInfo, Host};
use super::bindings::cordon::stage::types::AccessError;
use super::bindings::cordon::stage::workspace::FileInfo;
use super::workspace::{convert_error, convert_info};

/// A data set the runner can offer.
#[derive(Debug, Clone)]
pub struct DataSet {
    pub root: PathBuf,
    /// HEAD's commit id and time when `root` is a git checkout. Read when a
    /// stage first asks: opening a repository initialises libgit2 and its
    /// TLS (the system's CA store), tens of milliseconds that would
    /// otherwise delay every stage of the run.
    head: Arc<OnceLock<Option<(String, i64)>>>,
    /// Whether the set is a database with a revision and an age; the
    /// cargo registry's sources have neither (and thousands of entries no
    /// age lookup should walk).
    dated: bool,
}

impl DataSet {
    /// A database: a git checkout, or a directory of fetched OSV archives.
    pub fn at(root: PathBuf) -> DataSet {
        DataSet {
            root,
            head: Arc::default(),
            dated: true,
        }
    }

    /// A directory of files with no revision or age.
    pub fn undated(root: PathBuf) -> DataSet {
        DataSet {
            dated: false,
            ..DataSet::at(root)
        }
    }

    fn head(&self) -> Option<&(String, i64)> {
        self.head
            .get_or_init(|| {
                // Not a checkout: libgit2 need not even start.
                if !self.dated || !self.root.join(".git").exists() {
                    return None;
                }
                let repo = git2::Repository::open(&self.root).ok()?;
                let commit = repo.head().ok()?.peel_to_commit().ok()?;
                Some((commit.id().to_string(), commit.time().seconds()))
            })
            .as_ref()
    }

    /// HEAD's commit id, when the data set is a git checkout.
    pub fn revision(&self) -> Option<String> {
        self.head().map(|(revision, _)| revision.clone())
    }

    /// HEAD's commit time (seconds since the Unix epoch), likewise; for a
    /// directory of fetched OSV archives, the oldest archive's fetch time,
    /// so the stage's age check sees the stalest ecosystem.
    pub fn updated_at(&self) -> Option<i64> {
        if !self.dated {
            return None;
        }
        self.head().map(|&(_, time)| time).or_else(|| {
            let now = cordon_advisory_sources::jiff::Timestamp::now();
            cordon_advisory_sources::osv_status(&self.root, now)
                .ok()?
                .iter()
                .filter_map(|source| source.updated_at)
                .min()
        })
    }
}

pub struct DataAccess {
    /// Granted names -> the data set, or why it is unavailable.
    sets: BTreeMap<String, Result<DataSet, String>>,
    max_read_bytes: u64,
    /// Each set's directory, opened on first use and reused: a stage may
    /// read a data set file by file (the audit stage indexes ~1,200).
    opened: BTreeMap<String, Workspace>,
}

impl DataAccess {
    pub fn new(sets: BTreeMap<String, Result<DataSet, String>>, max_read_bytes: u64) -> Self {
        DataAccess {
            sets,
            max_read_bytes,
            opened: BTreeMap::new(),
        }
    }

    fn open(&mut self, name: &str) -> Result<(&Workspace, &DataSet), AccessError> {
        match self.sets.get(name) {
            None => Err(AccessError::Denied(format!(
                "data set `{name}` is not granted to this stage"
            ))),
            Some(Err(why)) => Err(AccessError::NotFound(format!(
                "data set `{name}` is not available: {why}"
            ))),
            Some(Ok(set)) => {
                if !self.opened.contains_key(name) {
                    let grant =
                        ReadGrant::new(&["**"]).map_err(|e| AccessError::Io(e.to_string()))?;
                    let workspace = Workspace::open(&set.root, grant, self.max_read_bytes)
                        .map_err(|e| {
                            AccessError::NotFound(format!(
                                "data set `{name}` at {}: {e}",
                                set.root.display()
                            ))
                        })?;
                    self.opened.insert(name.to_string(), workspace);
                }
                Ok((&self.opened[name], set))
            }
        }
    }
}

impl DataAccess {
    /// The boundary a stage's data-set calls cross: a granted set, then a
    /// path resolved beneath the set's root like a workspace read.
    pub fn info(&mut self, name: &str) -> Result<DataSetInfo, AccessError> {
        self.open(name).map(|(_, set)| DataSetInfo {
            name: name.to_string(),
            revision: set.revision(),
            updated_at: set.updated_at(),
        })
    }

    pub fn list_files(&mut self, name: &str, prefix: &str) -> Result<Vec<FileInfo>, AccessError> {
        let (set, _) = self.open(name)?;
        let files = set
            .list_files(cordon_workspace::WalkOptions {
                include_ignored: true,
                include_hidden: false,
            })
            .map_err(convert_error)?;
        Ok(files
            .into_iter()
            .filter(|f| f.path.starts_with(prefix))
            .map(convert_info)
            .collect())
    }

    pub fn read(&mut self, name: &str, path: &str) -> Result<Vec<u8>, AccessError> {
        let (set, _) = self.open(name)?;
        set.read(path).map_err(convert_error)
    }
}

impl Host for StageState {
    fn info(&mut self, name: String) -> Result<DataSetInfo, AccessError> {
        let result = self.data.info(&name);
        self.calls.record("data.info", &name, 0, result)
    }

    fn list_files(&mut self, name: String, prefix: String) -> Result<Vec<FileInfo>, AccessError> {
        let result = self.data.list_files(&name, &prefix);
        let count = result.as_ref().map_or(0, |f| f.len() as u64);
        self.calls.record(
            "data.list-files",
            &format!("{name}:{prefix}"),
            count,
            result,
        )
    }

    fn read(&mut self, name: String, path: String) -> Result<Vec<u8>, AccessError> {
        let result = self.data.read(&name, &path);
        let bytes = result.as_ref().map_or(0, |b| b.len() as u64);
        self.calls
            .record("data.read", &format!("{name}:{path}"), bytes, result)
    }
}
