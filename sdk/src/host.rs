//! The host calls a stage can make, one module per WIT interface.
//!
//! In a component (`wasm32`) each call goes to the runner through the
//! generated bindings. Natively each call goes to the
//! [`testing::Harness`](crate::testing::Harness) running the stage, so the
//! same stage code is testable with `cargo test`.

#[cfg(target_arch = "wasm32")]
use crate::bindings::cordon::stage as wit;
#[cfg(not(target_arch = "wasm32"))]
use crate::testing::with_host;

/// Read-only, grant-checked access to the workspace.
pub mod workspace {
    use super::*;
    use crate::{AccessError, FileInfo, WalkOptions};

    /// Every granted file, sorted by path.
    pub fn list_files(options: WalkOptions) -> Result<Vec<FileInfo>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::workspace::list_files(options);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.list_files(options));
    }

    pub fn stat(path: &str) -> Result<FileInfo, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::workspace::stat(path);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.stat(path));
    }

    /// The whole file (bounded by the stage's read limit).
    pub fn read(path: &str) -> Result<Vec<u8>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::workspace::read(path);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.read(path));
    }

    /// Up to `len` bytes from `offset`; fewer at end of file.
    pub fn read_at(path: &str, offset: u64, len: u32) -> Result<Vec<u8>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::workspace::read_at(path, offset, len);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.read_at(path, offset, len));
    }

    /// The file's SHA-256 (lowercase hex), computed by the host without
    /// copying the file into the stage.
    pub fn sha256(path: &str) -> Result<String, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::workspace::sha256(path);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.sha256(path));
    }
}

/// Named read-only data sets such as advisory databases.
pub mod data {
    use super::*;
    use crate::{AccessError, DataSetInfo, FileInfo};

    pub fn info(name: &str) -> Result<DataSetInfo, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::data::info(name);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.data_info(name));
    }

    pub fn list_files(name: &str, prefix: &str) -> Result<Vec<FileInfo>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::data::list_files(name, prefix);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.data_list(name, prefix));
    }

    pub fn read(name: &str, path: &str) -> Result<Vec<u8>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::data::read(name, path);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.data_read(name, path));
    }
}

/// Artifacts shared with other stages of the pipeline.
pub mod artifacts {
    use super::*;
    use crate::{AccessError, Artifact};

    pub fn get(name: &str) -> Result<Artifact, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::artifacts::get(name);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.artifact_get(name));
    }

    pub fn put(name: &str, media_type: &str, bytes: &[u8]) -> Result<(), AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::artifacts::put(name, media_type, bytes);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.artifact_put(name, media_type, bytes));
    }
}

/// Reporting findings.
pub mod findings {
    use super::*;
    use crate::{AccessError, Finding};

    /// Fails with [`AccessError::Limit`] once the stage's finding cap is hit.
    pub fn emit(finding: &Finding) -> Result<(), AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::findings::emit(finding);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.emit(finding.clone()));
    }
}

/// A per-stage cache that survives runs.
pub mod cache {
    use super::*;
    use crate::AccessError;

    pub fn get(key: &str) -> Option<Vec<u8>> {
        #[cfg(target_arch = "wasm32")]
        return wit::cache::get(key);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.cache_get(key));
    }

    pub fn put(key: &str, bytes: &[u8]) -> Result<(), AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::cache::put(key, bytes);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.cache_put(key, bytes));
    }
}

/// Git content the runner selected (history range or pre-push).
pub mod git {
    use super::*;
    use crate::{AccessError, AddedLines};

    /// `None` for a working-tree scan.
    pub fn scope() -> Option<String> {
        #[cfg(target_arch = "wasm32")]
        return wit::git::scope();
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.git_scope());
    }

    pub fn commits() -> Result<Vec<String>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::git::commits();
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.git_commits());
    }

    pub fn added(commit: &str) -> Result<Vec<AddedLines>, AccessError> {
        #[cfg(target_arch = "wasm32")]
        return wit::git::added(commit);
        #[cfg(not(target_arch = "wasm32"))]
        return with_host(|h| h.git_added(commit));
    }
}

/// Logging into the runner's output.
pub mod log {
    use super::*;
    use crate::Level;

    pub fn log(level: Level, message: &str) {
        #[cfg(target_arch = "wasm32")]
        wit::log::log(level, message);
        #[cfg(not(target_arch = "wasm32"))]
        with_host(|h| h.log(level, message));
    }

    pub fn debug(message: &str) {
        log(Level::Debug, message);
    }

    pub fn info(message: &str) {
        log(Level::Info, message);
    }

    pub fn warn(message: &str) {
        log(Level::Warn, message);
    }
}
