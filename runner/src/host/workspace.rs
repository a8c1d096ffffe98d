//! `cordon:stage/workspace`: grant-checked, read-only access to the workspace.

use cordon_workspace::Workspace;

use super::StageState;
use super::bindings::cordon::stage::types::AccessError;
use super::bindings::cordon::stage::workspace::{EntryKind, FileInfo, Host, WalkOptions};

/// The stage's view of the workspace; `None` when it has no read grant.
pub struct WorkspaceAccess {
    pub workspace: Option<Workspace>,
}

pub(crate) fn convert_error(error: cordon_workspace::AccessError) -> AccessError {
    match error {
        cordon_workspace::AccessError::Denied(m) => AccessError::Denied(m),
        cordon_workspace::AccessError::NotFound(m) => AccessError::NotFound(m),
        cordon_workspace::AccessError::Limit(m) => AccessError::Limit(m),
        cordon_workspace::AccessError::Io(m) => AccessError::Io(m),
    }
}

pub(crate) fn convert_info(info: cordon_workspace::FileInfo) -> FileInfo {
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

impl WorkspaceAccess {
    fn get(&self) -> Result<&Workspace, AccessError> {
        self.workspace
            .as_ref()
            .ok_or_else(|| AccessError::Denied("this stage has no workspace read grant".into()))
    }
}

impl Host for StageState {
    fn list_files(&mut self, options: WalkOptions) -> Result<Vec<FileInfo>, AccessError> {
        let result = self.workspace.get().and_then(|w| {
            w.list_files(cordon_workspace::WalkOptions {
                include_ignored: options.include_ignored,
                include_hidden: options.include_hidden,
            })
            .map(|files| files.into_iter().map(convert_info).collect::<Vec<_>>())
            .map_err(convert_error)
        });
        let count = result.as_ref().map_or(0, |f| f.len() as u64);
        self.calls.record("workspace.list-files", "", count, result)
    }

    fn stat(&mut self, path: String) -> Result<FileInfo, AccessError> {
        let result = self
            .workspace
            .get()
            .and_then(|w| w.stat(&path).map(convert_info).map_err(convert_error));
        self.calls.record("workspace.stat", &path, 0, result)
    }

    fn read(&mut self, path: String) -> Result<Vec<u8>, AccessError> {
        let result = self
            .workspace
            .get()
            .and_then(|w| w.read(&path).map_err(convert_error));
        let bytes = result.as_ref().map_or(0, |b| b.len() as u64);
        self.calls.record("workspace.read", &path, bytes, result)
    }

    fn read_at(&mut self, path: String, offset: u64, len: u32) -> Result<Vec<u8>, AccessError> {
        let result = self
            .workspace
            .get()
            .and_then(|w| w.read_at(&path, offset, len).map_err(convert_error));
        let bytes = result.as_ref().map_or(0, |b| b.len() as u64);
        self.calls.record("workspace.read-at", &path, bytes, result)
    }

    fn sha256(&mut self, path: String) -> Result<String, AccessError> {
        let result = self
            .workspace
            .get()
            .and_then(|w| w.sha256(&path).map_err(convert_error));
        // Bytes the host read on the stage's behalf count as read: the
        // audit log and the "read nothing" check see the file was looked at.
        let bytes = result.as_ref().map_or(0, |(_, size)| *size);
        let result = result.map(|(digest, _)| digest);
        self.calls.record("workspace.sha256", &path, bytes, result)
    }
}
