//! A grant-checked, read-only view of a workspace directory.
//!
//! The Cordon host serves a stage's `workspace` imports through this type,
//! and the SDK's native test harness uses the very same code, so a plugin
//! tested with the harness sees exactly the grants it will see in the runner.
//!
//! Every path a stage names is checked three ways before a byte is read:
//! it must be relative without `..`, it must match the stage's `read` globs,
//! and after resolving symlinks it must still be inside the workspace and
//! still match the globs (so `src/link -> ../../etc/passwd` is refused).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};

mod shard;
pub use shard::{MAX_SHARDS, Shard};

/// Why an access was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("denied: {0}")]
    Denied(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("limit reached: {0}")]
    Limit(String),
    #[error("I/O error: {0}")]
    Io(String),
}

/// A `read` grant that cannot be honoured safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("read grant `{0}` must be relative to the workspace (no leading `/`)")]
    Absolute(String),
    #[error("read grant `{0}` must not contain `..`")]
    ParentDir(String),
    #[error("read grant `{pattern}` is not a valid glob: {reason}")]
    InvalidGlob { pattern: String, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Symlink,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Workspace-relative, `/`-separated.
    pub path: String,
    pub size: u64,
    pub kind: EntryKind,
}

/// The set of workspace paths a stage may read.
#[derive(Debug, Clone)]
pub struct ReadGrant {
    patterns: Vec<String>,
    set: GlobSet,
}

impl ReadGrant {
    /// Builds a grant from glob patterns such as `**` or `src/**/*.rs`.
    /// An empty list grants nothing.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, GrantError> {
        let mut builder = GlobSetBuilder::new();
        let mut kept = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let pattern = pattern.as_ref();
            if pattern.starts_with('/') || pattern.starts_with('\\') || has_drive_prefix(pattern) {
                return Err(GrantError::Absolute(pattern.to_string()));
            }
            if pattern.split(['/', '\\']).any(|part| part == "..") {
                return Err(GrantError::ParentDir(pattern.to_string()));
            }
            let glob = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| GrantError::InvalidGlob {
                    pattern: pattern.to_string(),
                    reason: e.kind().to_string(),
                })?;
            builder.add(glob);
            kept.push(pattern.to_string());
        }
        let set = builder.build().map_err(|e| GrantError::InvalidGlob {
            pattern: kept.join(", "),
            reason: e.to_string(),
        })?;
        Ok(Self {
            patterns: kept,
            set,
        })
    }

    /// A grant with no patterns: every read is denied.
    pub fn none() -> Self {
        Self {
            patterns: Vec::new(),
            set: GlobSet::empty(),
        }
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a normalised workspace-relative path is granted.
    pub fn allows(&self, relative: &str) -> bool {
        self.set.is_match(relative)
    }
}

fn has_drive_prefix(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Options for [`Workspace::list_files`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Also list files excluded by `.gitignore` and `.git/info/exclude`.
    /// (`.ignore` files are never honoured: they are a search tool's
    /// convention, and a repository could use one to hide files from its
    /// own scan.)
    pub include_ignored: bool,
    /// Also list dot files and files under dot directories (never `.git/`).
    pub include_hidden: bool,
}

/// A workspace directory seen through one stage's read grant.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    grant: ReadGrant,
    max_read_bytes: u64,
    /// The root directory, for opening files beneath it (Linux).
    #[cfg(target_os = "linux")]
    root_dir: Option<std::sync::Arc<rustix::fd::OwnedFd>>,
    /// Files git tracks (workspace-relative): listed even when a
    /// `.gitignore` matches them, since ignoring applies only to untracked
    /// files, and a repository must not hide a committed file from its scan
    /// by also listing it in `.gitignore`.
    tracked: Option<std::sync::Arc<std::collections::BTreeSet<String>>>,
    /// With `--shard K/N`, only the files of slot K are listed; reads are
    /// not narrowed (a stage may still open a lockfile's manifest).
    shard: Option<Shard>,
}

impl Workspace {
    /// Opens `root` (which must exist) with `grant`. Whole-file reads larger
    /// than `max_read_bytes` fail with [`AccessError::Limit`]; ranged reads
    /// are how a stage looks at bigger files.
    pub fn open(root: &Path, grant: ReadGrant, max_read_bytes: u64) -> std::io::Result<Self> {
        let root = root.canonicalize()?;
        #[cfg(target_os = "linux")]
        let root_dir = {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            rustix::fs::open(&root, flags, Mode::empty())
                .ok()
                .map(std::sync::Arc::new)
        };
        Ok(Self {
            root,
            grant,
            max_read_bytes,
            #[cfg(target_os = "linux")]
            root_dir,
            tracked: None,
            shard: None,
        })
    }

    /// Lists only the files `shard` owns.
    pub fn with_shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// Lists the files of `tracked` (git's index, workspace-relative) even
    /// where `.gitignore` would hide them.
    pub fn with_tracked(
        mut self,
        tracked: std::sync::Arc<std::collections::BTreeSet<String>>,
    ) -> Self {
        self.tracked = Some(tracked);
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn grant(&self) -> &ReadGrant {
        &self.grant
    }

    /// Every granted regular file, sorted by path. Symlinks are not followed.
    pub fn list_files(&self, options: WalkOptions) -> Result<Vec<FileInfo>, AccessError> {
        if self.grant.is_empty() {
            return Err(AccessError::Denied(
                "this stage has no workspace read grant".to_string(),
            ));
        }
        let walker = ignore::WalkBuilder::new(&self.root)
            .hidden(!options.include_hidden)
            .git_ignore(!options.include_ignored)
            .git_exclude(!options.include_ignored)
            .ignore(false)
            .parents(false)
            // The host user's global git config must not change what a
            // pipeline sees: runs are reproducible across machines.
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|entry| entry.file_name() != ".git")
            .build();
        let mut files = Vec::new();
        for entry in walker {
            let entry = entry.map_err(|e| AccessError::Io(e.to_string()))?;
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            if !file_type.is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(&self.root) else {
                continue;
            };
            let relative = to_slash(relative);
            if !self.grant.allows(&relative) {
                continue;
            }
            let size = entry
                .metadata()
                .map_err(|e| AccessError::Io(format!("{relative}: {e}")))?
                .len();
            files.push(FileInfo {
                path: relative,
                size,
                kind: EntryKind::File,
            });
        }
        if !options.include_ignored
            && let Some(tracked) = &self.tracked
        {
            self.add_tracked(tracked, options, &mut files);
        }
        if let Some(shard) = self.shard {
            files.retain(|file| shard.owns(&file.path));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Adds the tracked, granted regular files the ignore-aware walk left out.
    fn add_tracked(
        &self,
        tracked: &std::collections::BTreeSet<String>,
        options: WalkOptions,
        files: &mut Vec<FileInfo>,
    ) {
        let listed: std::collections::BTreeSet<&str> =
            files.iter().map(|f| f.path.as_str()).collect();
        let mut added = Vec::new();
        for path in tracked {
            if listed.contains(path.as_str()) || !self.grant.allows(path) {
                continue;
            }
            let hidden = path.split('/').any(|part| part.starts_with('.'));
            if (hidden && !options.include_hidden) || path.split('/').any(|p| p == ".git") {
                continue;
            }
            // Not followed: a tracked link is listed by neither walk.
            match std::fs::symlink_metadata(self.root.join(path)) {
                Ok(meta) if meta.is_file() => added.push(FileInfo {
                    path: path.clone(),
                    size: meta.len(),
                    kind: EntryKind::File,
                }),
                _ => {}
            }
        }
        files.extend(added);
    }

    pub fn stat(&self, path: &str) -> Result<FileInfo, AccessError> {
        let (relative, resolved) = self.resolve(path)?;
        let meta = std::fs::metadata(&resolved).map_err(|e| io_error(&relative, e))?;
        let kind = if meta.is_dir() {
            EntryKind::Directory
        } else {
            EntryKind::File
        };
        Ok(FileInfo {
            path: relative,
            size: meta.len(),
            kind,
        })
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, AccessError> {
        let (relative, file) = self.open_file(path)?;
        let size = file.metadata().map_err(|e| io_error(&relative, e))?.len();
        if size > self.max_read_bytes {
            return Err(AccessError::Limit(format!(
                "{relative} is {size} bytes, over the {} byte whole-file read limit; use read-at",
                self.max_read_bytes
            )));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(self.max_read_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&relative, e))?;
        Ok(bytes)
    }

    pub fn read_at(&self, path: &str, offset: u64, len: u32) -> Result<Vec<u8>, AccessError> {
        if u64::from(len) > self.max_read_bytes {
            return Err(AccessError::Limit(format!(
                "ranged read of {len} bytes is over the {} byte read limit",
                self.max_read_bytes
            )));
        }
        let (relative, mut file) = self.open_file(path)?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(&relative, e))?;
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(u64::from(len))
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&relative, e))?;
        Ok(bytes)
    }

    /// The SHA-256 of a granted file, as lowercase hex, and its size.
    /// Streamed, so the host hashes a 10 GiB model without holding it; the
    /// stage's read limit does not apply, since no byte reaches the stage.
    pub fn sha256(&self, path: &str) -> Result<(String, u64), AccessError> {
        use sha2::{Digest, Sha256};
        let (relative, mut file) = self.open_file(path)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let read = file.read(&mut buffer).map_err(|e| io_error(&relative, e))?;
            if read == 0 {
                break;
            }
            size += read as u64;
            hasher.update(&buffer[..read]);
        }
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        Ok((hex, size))
    }

    /// A granted regular file, opened for reading, and its normalised
    /// relative path. Never blocks on a FIFO or device: those are refused.
    fn open_file(&self, path: &str) -> Result<(String, File), AccessError> {
        let relative = self.granted(path)?;
        #[cfg(target_os = "linux")]
        let file = match self.open_without_links(&relative) {
            Some(opened) => opened.map_err(|e| io_error(&relative, e))?,
            None => self.open_resolved(&relative)?,
        };
        #[cfg(not(target_os = "linux"))]
        let file = self.open_resolved(&relative)?;
        let meta = file.metadata().map_err(|e| io_error(&relative, e))?;
        if !meta.is_file() {
            return Err(AccessError::Denied(format!(
                "{relative} is not a regular file"
            )));
        }
        Ok((relative, file))
    }

    /// The common case in one system call: `openat2` beneath the root with
    /// no symbolic link anywhere on the path, so the file opened is exactly
    /// the granted path (no `canonicalize`, which costs a call per path
    /// component). `None` when that does not apply (a link on the path, or
    /// `openat2` unavailable): the caller then resolves links itself.
    #[cfg(target_os = "linux")]
    fn open_without_links(&self, relative: &str) -> Option<std::io::Result<File>> {
        use rustix::fs::{Mode, OFlags, ResolveFlags};
        use rustix::io::Errno;
        let root_dir = self.root_dir.as_ref()?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
        let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
        match rustix::fs::openat2(root_dir.as_ref(), relative, flags, Mode::empty(), resolve) {
            Ok(fd) => Some(Ok(File::from(fd))),
            Err(Errno::LOOP | Errno::XDEV | Errno::NOSYS | Errno::PERM | Errno::AGAIN) => None,
            Err(errno) => Some(Err(errno.into())),
        }
    }

    /// Resolves links with `canonicalize`, checks the target, then opens it.
    /// The canonical path has no links left in it, so on Linux it is opened
    /// beneath the root with none allowed: a directory swapped for a link
    /// between the check and the open (a TOCTOU race) is refused, not
    /// followed.
    fn open_resolved(&self, relative: &str) -> Result<File, AccessError> {
        let resolved = self.resolve_granted(relative)?;
        self.open_checked(relative, &resolved)
    }

    /// Opens `resolved`, the link-free real path of granted `relative` that
    /// `resolve_granted` checked. Whatever happened on disk since that check,
    /// the open follows no link (Linux): a swapped-in link is refused.
    fn open_checked(&self, relative: &str, resolved: &Path) -> Result<File, AccessError> {
        #[cfg(target_os = "linux")]
        if let Some(root_dir) = self.root_dir.as_ref()
            && let Ok(inside) = resolved.strip_prefix(&self.root)
        {
            use rustix::fs::{Mode, OFlags, ResolveFlags};
            let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
            let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
            match rustix::fs::openat2(root_dir.as_ref(), inside, flags, Mode::empty(), resolve) {
                Ok(fd) => return Ok(File::from(fd)),
                Err(rustix::io::Errno::NOSYS) => {}
                Err(rustix::io::Errno::LOOP | rustix::io::Errno::XDEV) => {
                    return Err(AccessError::Denied(format!(
                        "{relative} changed while it was being opened (a link appeared on its path)"
                    )));
                }
                Err(errno) => return Err(io_error(relative, errno.into())),
            }
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Opening a FIFO for reading would wait for a writer.
            options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
        }
        options.open(resolved).map_err(|e| io_error(relative, e))
    }

    /// `path` normalised, if the grant allows it.
    fn granted(&self, path: &str) -> Result<String, AccessError> {
        let relative = normalize(path)?;
        if !self.grant.allows(&relative) {
            return Err(AccessError::Denied(format!(
                "{relative} is not granted (read = {:?})",
                self.grant.patterns()
            )));
        }
        Ok(relative)
    }

    /// Checks `path` against the grant and returns its normalised relative
    /// form and the real path to open.
    pub fn resolve(&self, path: &str) -> Result<(String, PathBuf), AccessError> {
        let relative = self.granted(path)?;
        let resolved = self.resolve_granted(&relative)?;
        Ok((relative, resolved))
    }

    /// The real path of granted `relative`, if it stays inside the
    /// workspace and any link target is granted too.
    fn resolve_granted(&self, relative: &str) -> Result<PathBuf, AccessError> {
        let joined = self.root.join(relative);
        let resolved = joined.canonicalize().map_err(|e| io_error(relative, e))?;
        let Ok(inside) = resolved.strip_prefix(&self.root) else {
            return Err(AccessError::Denied(format!(
                "{relative} resolves outside the workspace"
            )));
        };
        let inside = to_slash(inside);
        if inside != relative && !self.grant.allows(&inside) {
            return Err(AccessError::Denied(format!(
                "{relative} is a link to {inside}, which is not granted"
            )));
        }
        Ok(resolved)
    }
}

/// Turns a stage-supplied path into a clean workspace-relative one, refusing
/// anything that could name a file outside the workspace.
pub fn normalize(path: &str) -> Result<String, AccessError> {
    if path.is_empty() {
        return Err(AccessError::NotFound("empty path".to_string()));
    }
    if path.contains('\0') {
        return Err(AccessError::Denied("path contains a NUL byte".to_string()));
    }
    if path.starts_with('/') || path.starts_with('\\') || has_drive_prefix(path) {
        return Err(AccessError::Denied(format!(
            "{path} is absolute; stages name workspace-relative paths"
        )));
    }
    let mut parts = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(AccessError::Denied(format!(
                    "{path} contains `..`; stages cannot leave the workspace"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(AccessError::Denied(format!("{path} is absolute")));
            }
        }
    }
    if parts.is_empty() {
        return Err(AccessError::NotFound(format!("{path} names no file")));
    }
    Ok(parts.join("/"))
}

fn to_slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn io_error(relative: &str, error: std::io::Error) -> AccessError {
    if error.kind() == std::io::ErrorKind::NotFound {
        AccessError::NotFound(relative.to_string())
    } else {
        AccessError::Io(format!("{relative}: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(grant: &[&str]) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), b"fn main() {}").unwrap();
        std::fs::write(dir.path().join("README.md"), b"hello").unwrap();
        std::fs::write(dir.path().join(".env"), b"TOKEN=x").unwrap();
        std::fs::write(dir.path().join(".gitignore"), b"target/\n").unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/out.bin"), b"\0\0").unwrap();
        let ws = Workspace::open(dir.path(), ReadGrant::new(grant).unwrap(), 1024).unwrap();
        (dir, ws)
    }

    fn paths(files: &[FileInfo]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn hashes_granted_files_past_the_read_limit_and_refuses_the_rest() {
        let (dir, ws) = workspace(&["src/**", "big.bin"]);
        // 3 KiB: over this workspace's 1 KiB whole-file read limit.
        let big = vec![7u8; 3 * 1024];
        std::fs::write(dir.path().join("big.bin"), &big).unwrap();
        assert!(matches!(ws.read("big.bin"), Err(AccessError::Limit(_))));
        let (digest, size) = ws.sha256("big.bin").unwrap();
        assert_eq!(size, 3 * 1024);
        use sha2::Digest;
        let expected: String = sha2::Sha256::digest(&big)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, expected);
        let (small, _) = ws.sha256("src/main.rs").unwrap();
        assert_ne!(small, digest);
        assert_eq!(small.len(), 64);
        assert!(matches!(
            ws.sha256("README.md"),
            Err(AccessError::Denied(_))
        ));
        assert!(matches!(
            ws.sha256("../etc/passwd"),
            Err(AccessError::Denied(_))
        ));
    }

    #[test]
    fn lists_granted_files_honouring_gitignore() {
        let (_dir, ws) = workspace(&["**"]);
        let files = ws.list_files(WalkOptions::default()).unwrap();
        assert_eq!(paths(&files), vec!["README.md", "src/main.rs"]);
        let all = ws
            .list_files(WalkOptions {
                include_ignored: true,
                include_hidden: true,
            })
            .unwrap();
        assert_eq!(
            paths(&all),
            vec![
                ".env",
                ".gitignore",
                "README.md",
                "src/main.rs",
                "target/out.bin"
            ]
        );
    }

    #[test]
    fn tracked_files_are_listed_despite_gitignore_and_dot_ignore_is_not_honoured() {
        let (dir, ws) = workspace(&["**"]);
        std::fs::write(dir.path().join(".ignore"), b"*\n").unwrap();
        let files = ws.list_files(WalkOptions::default()).unwrap();
        assert_eq!(paths(&files), vec!["README.md", "src/main.rs"]);
        let tracked = ["target/out.bin", "src/main.rs", "gone.txt"]
            .into_iter()
            .map(String::from)
            .collect();
        let ws = ws.with_tracked(std::sync::Arc::new(tracked));
        let files = ws.list_files(WalkOptions::default()).unwrap();
        assert_eq!(
            paths(&files),
            vec!["README.md", "src/main.rs", "target/out.bin"]
        );
    }

    #[test]
    fn globs_restrict_listing_and_reads() {
        let (_dir, ws) = workspace(&["src/**"]);
        let files = ws.list_files(WalkOptions::default()).unwrap();
        assert_eq!(paths(&files), vec!["src/main.rs"]);
        assert_eq!(ws.read("src/main.rs").unwrap(), b"fn main() {}");
        assert!(matches!(ws.read("README.md"), Err(AccessError::Denied(_))));
    }

    #[test]
    fn refuses_parent_absolute_and_escaping_links() {
        let (dir, ws) = workspace(&["**"]);
        assert!(matches!(
            ws.read("../etc/passwd"),
            Err(AccessError::Denied(_))
        ));
        assert!(matches!(
            ws.read("src/../../x"),
            Err(AccessError::Denied(_))
        ));
        assert!(matches!(
            ws.read("/etc/passwd"),
            Err(AccessError::Denied(_))
        ));
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"s3cret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
        let err = ws.read("link").unwrap_err();
        assert!(
            matches!(&err, AccessError::Denied(m) if m.contains("outside")),
            "{err:?}"
        );
    }

    #[test]
    fn link_to_ungranted_file_inside_is_refused() {
        let (dir, ws) = workspace(&["src/**"]);
        std::os::unix::fs::symlink(dir.path().join("README.md"), dir.path().join("src/readme"))
            .unwrap();
        assert!(matches!(ws.read("src/readme"), Err(AccessError::Denied(_))));
    }

    #[test]
    fn links_inside_are_followed_and_special_files_refused() {
        let (dir, ws) = workspace(&["**"]);
        // A link to a file and a linked directory on the way, both inside:
        // read through the slower resolving path, to the same bytes.
        std::os::unix::fs::symlink(dir.path().join("src/main.rs"), dir.path().join("main-link"))
            .unwrap();
        std::os::unix::fs::symlink(dir.path().join("src"), dir.path().join("lib")).unwrap();
        assert_eq!(ws.read("main-link").unwrap(), b"fn main() {}");
        assert_eq!(ws.read("lib/main.rs").unwrap(), b"fn main() {}");
        assert_eq!(ws.read_at("lib/main.rs", 3, 4).unwrap(), b"main");
        assert!(matches!(
            ws.read("src/missing.rs"),
            Err(AccessError::NotFound(_))
        ));
        // A directory, and a FIFO (which a plain open would wait on forever).
        assert!(matches!(ws.read("src"), Err(AccessError::Denied(_))));
        let fifo = dir.path().join("pipe");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        let err = ws.read("pipe").unwrap_err();
        assert!(
            matches!(&err, AccessError::Denied(m) if m.contains("not a regular file")),
            "{err:?}"
        );
        std::os::unix::fs::symlink(&fifo, dir.path().join("pipe-link")).unwrap();
        assert!(matches!(
            ws.read_at("pipe-link", 0, 1),
            Err(AccessError::Denied(_))
        ));
    }

    /// The race the checks guard against, made deterministic: the path is
    /// checked (through an in-workspace link, so the slow path runs), then a
    /// directory on the checked path is swapped for a link to a directory
    /// outside, then the checked path is opened. The open must refuse.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_directory_swapped_for_a_link_after_the_check_is_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("main.rs"), b"host secret").unwrap();
        let (dir, ws) = workspace(&["**"]);
        std::os::unix::fs::symlink("src", dir.path().join("code")).unwrap();

        let resolved = ws.resolve_granted("code/main.rs").unwrap();
        assert_eq!(resolved, ws.root.join("src/main.rs"));
        std::fs::rename(dir.path().join("src"), dir.path().join("src-old")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("src")).unwrap();

        let error = ws.open_checked("code/main.rs", &resolved).unwrap_err();
        assert!(
            matches!(&error, AccessError::Denied(m) if m.contains("changed while it was being opened")),
            "{error:?}"
        );
        // And the whole read, checked again from the start, sees the link
        // leave the workspace.
        let error = ws.read("code/main.rs").unwrap_err();
        assert!(
            matches!(&error, AccessError::Denied(m) if m.contains("outside the workspace")),
            "{error:?}"
        );
    }

    #[test]
    fn ranged_reads_and_size_limit() {
        let (dir, ws) = workspace(&["**"]);
        std::fs::write(dir.path().join("big.bin"), vec![7u8; 4096]).unwrap();
        assert!(matches!(ws.read("big.bin"), Err(AccessError::Limit(_))));
        assert_eq!(ws.read_at("big.bin", 4090, 100).unwrap(), vec![7u8; 6]);
        assert_eq!(ws.read_at("README.md", 1, 3).unwrap(), b"ell");
        assert!(ws.read_at("big.bin", 99_999, 10).unwrap().is_empty());
    }

    #[test]
    fn bad_grants_are_rejected() {
        assert!(matches!(
            ReadGrant::new(&["/etc/**"]),
            Err(GrantError::Absolute(_))
        ));
        assert!(matches!(
            ReadGrant::new(&["../**"]),
            Err(GrantError::ParentDir(_))
        ));
        assert!(matches!(
            ReadGrant::new(&["src/[**"]),
            Err(GrantError::InvalidGlob { .. })
        ));
    }

    #[test]
    fn no_grant_denies_everything() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"a").unwrap();
        let ws = Workspace::open(dir.path(), ReadGrant::none(), 1024).unwrap();
        assert!(matches!(ws.read("a"), Err(AccessError::Denied(_))));
        assert!(matches!(
            ws.list_files(WalkOptions::default()),
            Err(AccessError::Denied(_))
        ));
    }
}
