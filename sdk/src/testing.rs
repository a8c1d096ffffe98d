//! An in-process test harness: runs a stage natively against a directory,
//! with the same grant checks the runner applies, and hands back everything
//! it emitted. No runner, no WebAssembly build, just `cargo test`.
//!
//! ```ignore
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("a.rs"), "// TODO: x")?;
//! let outcome = Harness::new(dir.path()).read(&["**"]).run::<Hello>(serde_json::json!({}));
//! assert_eq!(outcome.findings.len(), 1);
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cordon_workspace::{ReadGrant, Workspace};

use crate::{
    AccessError, AddedLines, Artifact, DataSetInfo, EntryKind, FileInfo, Finding, Level, Stage,
    StageError, Summary, WalkOptions,
};

thread_local! {
    static HOST: RefCell<Option<TestHost>> = const { RefCell::new(None) };
}

/// Serves a host call from the harness running on this thread.
///
/// # Panics
/// When no [`Harness::run`] is active on this thread: host calls only make
/// sense inside a stage run.
pub(crate) fn with_host<T>(f: impl FnOnce(&mut TestHost) -> T) -> T {
    HOST.with(|cell| {
        let mut guard = cell.borrow_mut();
        let host = guard
            .as_mut()
            .expect("cordon-sdk host call made outside a component or a testing::Harness run");
        f(host)
    })
}

/// Builder for one native stage run.
pub struct Harness {
    root: PathBuf,
    read: Vec<String>,
    data: BTreeMap<String, PathBuf>,
    artifacts: BTreeMap<String, Artifact>,
    writable: Vec<String>,
    commits: Vec<(String, Vec<AddedLines>)>,
    max_findings: usize,
    max_read_bytes: u64,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<Summary, StageError>,
    pub findings: Vec<Finding>,
    /// Artifacts the stage wrote.
    pub artifacts: BTreeMap<String, Artifact>,
    pub logs: Vec<(Level, String)>,
    /// Host calls that were refused, as `interface.function target: reason`.
    pub denied: Vec<String>,
}

impl Outcome {
    /// The summary, or a panic naming the stage error (for tests).
    pub fn summary(&self) -> &Summary {
        match &self.result {
            Ok(summary) => summary,
            Err(error) => panic!("stage failed: {error:?}"),
        }
    }
}

impl Harness {
    /// A run over `root` with no grants at all.
    pub fn new(root: impl AsRef<Path>) -> Self {
        Self {
            root: root.as_ref().to_path_buf(),
            read: Vec::new(),
            data: BTreeMap::new(),
            artifacts: BTreeMap::new(),
            writable: Vec::new(),
            commits: Vec::new(),
            max_findings: 10_000,
            max_read_bytes: 64 << 20,
        }
    }

    /// Grants reading workspace paths matching `globs`.
    pub fn read(mut self, globs: &[&str]) -> Self {
        self.read.extend(globs.iter().map(|g| g.to_string()));
        self
    }

    /// Grants a named read-only data set served from `dir`.
    pub fn data(mut self, name: &str, dir: impl AsRef<Path>) -> Self {
        self.data
            .insert(name.to_string(), dir.as_ref().to_path_buf());
        self
    }

    /// Provides an input artifact and grants reading it.
    pub fn artifact(mut self, name: &str, media_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        let artifact = Artifact {
            media_type: media_type.to_string(),
            bytes: bytes.into(),
        };
        self.artifacts.insert(name.to_string(), artifact);
        self
    }

    /// Grants writing the artifact `name`.
    pub fn writes(mut self, name: &str) -> Self {
        self.writable.push(name.to_string());
        self
    }

    /// Puts the run in a git scope with these commits' added lines.
    pub fn commit(mut self, id: &str, added: Vec<AddedLines>) -> Self {
        self.commits.push((id.to_string(), added));
        self
    }

    pub fn max_findings(mut self, max: usize) -> Self {
        self.max_findings = max;
        self
    }

    /// Runs `S` with `options` (the stage's options table as JSON).
    ///
    /// # Panics
    /// When the harness itself is misconfigured (bad globs, missing root).
    pub fn run<S: Stage>(self, options: serde_json::Value) -> Outcome {
        let grant = ReadGrant::new(&self.read).expect("harness read globs");
        let workspace =
            Workspace::open(&self.root, grant, self.max_read_bytes).expect("harness root");
        let host = TestHost {
            workspace,
            data: self.data,
            inputs: self.artifacts,
            writable: self.writable,
            outputs: BTreeMap::new(),
            commits: self.commits,
            cache: BTreeMap::new(),
            findings: Vec::new(),
            max_findings: self.max_findings,
            logs: Vec::new(),
            denied: Vec::new(),
        };
        HOST.with(|cell| *cell.borrow_mut() = Some(host));
        let result = S::run(options.to_string());
        let host = HOST
            .with(|cell| cell.borrow_mut().take())
            .expect("harness host");
        Outcome {
            result,
            findings: host.findings,
            artifacts: host.outputs,
            logs: host.logs,
            denied: host.denied,
        }
    }
}

/// Whole-file read limit for data-set files (advisory databases hold many
/// small files; nothing near this size).
const DATA_READ_LIMIT: u64 = 1 << 30;

/// The state behind the host calls of one harness run.
pub(crate) struct TestHost {
    workspace: Workspace,
    data: BTreeMap<String, PathBuf>,
    inputs: BTreeMap<String, Artifact>,
    writable: Vec<String>,
    outputs: BTreeMap<String, Artifact>,
    commits: Vec<(String, Vec<AddedLines>)>,
    cache: BTreeMap<String, Vec<u8>>,
    findings: Vec<Finding>,
    max_findings: usize,
    logs: Vec<(Level, String)>,
    denied: Vec<String>,
}

fn convert_info(info: cordon_workspace::FileInfo) -> FileInfo {
    FileInfo {
        path: info.path,
        size: info.size,
        kind: match info.kind {
            cordon_workspace::EntryKind::File => EntryKind::File,
            cordon_workspace::EntryKind::Directory => EntryKind::Directory,
            cordon_workspace::EntryKind::Symlink => EntryKind::Symlink,
        },
    }
}

fn convert_error(error: cordon_workspace::AccessError) -> AccessError {
    match error {
        cordon_workspace::AccessError::Denied(m) => AccessError::Denied(m),
        cordon_workspace::AccessError::NotFound(m) => AccessError::NotFound(m),
        cordon_workspace::AccessError::Limit(m) => AccessError::Limit(m),
        cordon_workspace::AccessError::Io(m) => AccessError::Io(m),
    }
}

impl TestHost {
    fn record<T>(
        &mut self,
        call: &str,
        target: &str,
        result: Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        if let Err(AccessError::Denied(reason)) = &result {
            self.denied.push(format!("{call} {target}: {reason}"));
        }
        result
    }

    pub(crate) fn list_files(
        &mut self,
        options: WalkOptions,
    ) -> Result<Vec<FileInfo>, AccessError> {
        let result = self
            .workspace
            .list_files(cordon_workspace::WalkOptions {
                include_ignored: options.include_ignored,
                include_hidden: options.include_hidden,
            })
            .map(|files| files.into_iter().map(convert_info).collect())
            .map_err(convert_error);
        self.record("workspace.list-files", "", result)
    }

    pub(crate) fn stat(&mut self, path: &str) -> Result<FileInfo, AccessError> {
        let result = self
            .workspace
            .stat(path)
            .map(convert_info)
            .map_err(convert_error);
        self.record("workspace.stat", path, result)
    }

    pub(crate) fn read(&mut self, path: &str) -> Result<Vec<u8>, AccessError> {
        let result = self.workspace.read(path).map_err(convert_error);
        self.record("workspace.read", path, result)
    }

    pub(crate) fn read_at(
        &mut self,
        path: &str,
        offset: u64,
        len: u32,
    ) -> Result<Vec<u8>, AccessError> {
        let result = self
            .workspace
            .read_at(path, offset, len)
            .map_err(convert_error);
        self.record("workspace.read-at", path, result)
    }

    pub(crate) fn sha256(&mut self, path: &str) -> Result<String, AccessError> {
        let result = self
            .workspace
            .sha256(path)
            .map(|(digest, _)| digest)
            .map_err(convert_error);
        self.record("workspace.sha256", path, result)
    }

    fn data_set(&self, name: &str) -> Result<Workspace, AccessError> {
        let dir = self.data.get(name).ok_or_else(|| {
            AccessError::Denied(format!("data set `{name}` is not granted to this stage"))
        })?;
        let grant = ReadGrant::new(&["**"]).expect("static glob");
        // A finite per-file limit: `Workspace::read` adds one to it, so
        // `u64::MAX` overflowed on every data-set read.
        Workspace::open(dir, grant, DATA_READ_LIMIT)
            .map_err(|e| AccessError::NotFound(format!("data set `{name}`: {e}")))
    }

    pub(crate) fn data_info(&mut self, name: &str) -> Result<DataSetInfo, AccessError> {
        let result = self.data_set(name).map(|_| DataSetInfo {
            name: name.to_string(),
            revision: None,
            updated_at: None,
        });
        self.record("data.info", name, result)
    }

    pub(crate) fn data_list(
        &mut self,
        name: &str,
        prefix: &str,
    ) -> Result<Vec<FileInfo>, AccessError> {
        let result = self.data_set(name).and_then(|set| {
            let options = cordon_workspace::WalkOptions {
                include_ignored: true,
                include_hidden: false,
            };
            let files = set.list_files(options).map_err(convert_error)?;
            Ok(files
                .into_iter()
                .filter(|f| f.path.starts_with(prefix))
                .map(convert_info)
                .collect())
        });
        self.record("data.list-files", name, result)
    }

    pub(crate) fn data_read(&mut self, name: &str, path: &str) -> Result<Vec<u8>, AccessError> {
        let result = self
            .data_set(name)
            .and_then(|set| set.read(path).map_err(convert_error));
        self.record("data.read", &format!("{name}:{path}"), result)
    }

    pub(crate) fn artifact_get(&mut self, name: &str) -> Result<Artifact, AccessError> {
        let result = self.inputs.get(name).cloned().ok_or_else(|| {
            AccessError::Denied(format!(
                "artifact `{name}` is not granted for reading to this stage"
            ))
        });
        self.record("artifacts.get", name, result)
    }

    pub(crate) fn artifact_put(
        &mut self,
        name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), AccessError> {
        let result = if self.writable.iter().any(|w| w == name) {
            let artifact = Artifact {
                media_type: media_type.to_string(),
                bytes: bytes.to_vec(),
            };
            self.outputs.insert(name.to_string(), artifact);
            Ok(())
        } else {
            Err(AccessError::Denied(format!(
                "artifact `{name}` is not granted for writing to this stage"
            )))
        };
        self.record("artifacts.put", name, result)
    }

    pub(crate) fn emit(&mut self, finding: Finding) -> Result<(), AccessError> {
        if self.findings.len() >= self.max_findings {
            return Err(AccessError::Limit(format!(
                "this stage reached its max-findings limit of {}",
                self.max_findings
            )));
        }
        self.findings.push(finding);
        Ok(())
    }

    pub(crate) fn cache_get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.cache.get(key).cloned()
    }

    pub(crate) fn cache_put(&mut self, key: &str, bytes: &[u8]) -> Result<(), AccessError> {
        self.cache.insert(key.to_string(), bytes.to_vec());
        Ok(())
    }

    pub(crate) fn git_scope(&mut self) -> Option<String> {
        (!self.commits.is_empty()).then(|| format!("test commits ({})", self.commits.len()))
    }

    pub(crate) fn git_commits(&mut self) -> Result<Vec<String>, AccessError> {
        Ok(self.commits.iter().map(|(id, _)| id.clone()).collect())
    }

    pub(crate) fn git_added(&mut self, commit: &str) -> Result<Vec<AddedLines>, AccessError> {
        let result = self
            .commits
            .iter()
            .find(|(id, _)| id == commit)
            .map(|(_, added)| {
                added
                    .iter()
                    .filter(|a| self.workspace.grant().allows(&a.path))
                    .cloned()
                    .collect()
            })
            .ok_or_else(|| AccessError::NotFound(format!("commit {commit}")));
        self.record("git.added", commit, result)
    }

    pub(crate) fn log(&mut self, level: Level, message: &str) {
        self.logs.push((level, message.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// A small stage exercising each host call through the harness.
    struct CountTodos;

    impl Stage for CountTodos {
        fn describe() -> StageInfo {
            StageInfo::new("todos", "0.0.0", "counts TODOs").workspace()
        }

        fn run(options: String) -> Result<Summary, StageError> {
            let options: serde_json::Value =
                serde_json::from_str(&options).map_err(StageError::options)?;
            let mut summary = Summary::default();
            for file in workspace::list_files(WalkOptions {
                include_ignored: false,
                include_hidden: false,
            })? {
                let text = workspace::read(&file.path)?;
                summary.files_scanned += 1;
                for (i, line) in String::from_utf8_lossy(&text).lines().enumerate() {
                    if line.contains("TODO") {
                        let line_no = i as u32 + 1;
                        findings::emit(
                            &Finding::new("todos/todo", Severity::Low, "TODO")
                                .at(&file.path)
                                .region(line_no, 1, line_no, line.len() as u32 + 1),
                        )?;
                    }
                }
            }
            if options["escape"].as_bool() == Some(true) {
                workspace::read("../outside")?;
            }
            artifacts::put(
                "count",
                "text/plain",
                summary.files_scanned.to_string().as_bytes(),
            )?;
            Ok(summary)
        }
    }

    fn sample() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rs"), "fn a() {}\n// TODO one\n").unwrap();
        std::fs::write(dir.path().join("b.rs"), "// TODO two\n").unwrap();
        dir
    }

    #[test]
    fn runs_a_stage_with_grants() {
        let dir = sample();
        let outcome = Harness::new(dir.path())
            .read(&["**"])
            .writes("count")
            .run::<CountTodos>(serde_json::json!({}));
        assert_eq!(outcome.summary().files_scanned, 2);
        assert_eq!(outcome.findings.len(), 2);
        let region = outcome.findings[0]
            .location
            .as_ref()
            .unwrap()
            .region
            .unwrap();
        assert_eq!((region.start_line, region.end_column), (2, 12));
        assert_eq!(outcome.artifacts["count"].bytes, b"2");
    }

    #[test]
    fn denied_calls_fail_the_stage_and_are_recorded() {
        let dir = sample();
        let outcome = Harness::new(dir.path())
            .read(&["**"])
            .writes("count")
            .run::<CountTodos>(serde_json::json!({"escape": true}));
        assert!(matches!(outcome.result, Err(StageError::Denied(_))));
        assert_eq!(outcome.denied.len(), 1);
        assert!(outcome.denied[0].starts_with("workspace.read ../outside"));

        let no_write = Harness::new(dir.path())
            .read(&["**"])
            .run::<CountTodos>(serde_json::json!({}));
        assert!(matches!(no_write.result, Err(StageError::Denied(m)) if m.contains("count")));
    }

    #[test]
    fn finding_cap_is_enforced() {
        let dir = sample();
        let outcome = Harness::new(dir.path())
            .read(&["**"])
            .writes("count")
            .max_findings(1)
            .run::<CountTodos>(serde_json::json!({}));
        assert_eq!(outcome.findings.len(), 1);
        assert!(matches!(outcome.result, Err(StageError::Failed(m)) if m.contains("limit")));
    }
}
