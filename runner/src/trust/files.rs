//! Opening the files a run is told about: pipeline, policy and plugin
//! files. A scanned repository controls some of them, so none is trusted
//! to be what its name says.
//!
//! - A symbolic link is never followed at the last component (a
//!   `cordon.toml` linked to `/proc/self/environ` or `~/.git-credentials`
//!   is refused, not read).
//! - Only regular files are read: a FIFO or `/dev/zero` is refused before a
//!   byte is read, so nothing blocks or reads forever.
//! - At most a fixed number of bytes is read.
//! - A file a repository names is opened beneath the workspace root in one
//!   `openat2` call (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`), so no link
//!   and no `..` anywhere on the path can lead outside it.
//!
//! Errors name the path and the reason, never the content.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Pipeline and policy files are small; a bigger one is a mistake or an attack.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Plugin components.
pub const MAX_PLUGIN_BYTES: u64 = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} is a symbolic link; Cordon does not follow links for {what} files")]
    Symlink { path: String, what: &'static str },
    #[error("{path} is not a regular file; {what} files must be regular files")]
    NotRegular { path: String, what: &'static str },
    #[error("{path} is {size} bytes, over the {max} byte limit for {what} files")]
    TooLarge {
        path: String,
        what: &'static str,
        size: u64,
        max: u64,
    },
    #[error("{path} must be a relative path inside the workspace without `..` or symbolic links")]
    Escapes { path: String },
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: std::io::Error },
}

/// Reads `path` (a file named by the operator: on the command line, or in a
/// policy), refusing a link at its last component and anything but a
/// regular file of at most `max` bytes.
pub fn read_regular(path: &Path, what: &'static str, max: u64) -> Result<Vec<u8>, FileError> {
    let display = path.display().to_string();
    let file = open_no_follow(path).map_err(|error| classify(error, &display, what))?;
    read_checked(file, &display, what, max)
}

/// Reads `relative` beneath `root` (a file a repository names). The path
/// may contain no `..`, no absolute part and no symbolic link anywhere.
pub fn read_beneath(
    root: &Path,
    relative: &Path,
    what: &'static str,
    max: u64,
) -> Result<Vec<u8>, FileError> {
    let display = relative.display().to_string();
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(FileError::Escapes { path: display });
    }
    let file = open_beneath(root, relative).map_err(|error| classify(error, &display, what))?;
    read_checked(file, &display, what, max)
}

fn read_checked(
    file: File,
    path: &str,
    what: &'static str,
    max: u64,
) -> Result<Vec<u8>, FileError> {
    let io = |error| FileError::Io {
        path: path.to_string(),
        error,
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_string(),
            what,
        });
    }
    if meta.len() > max {
        return Err(FileError::TooLarge {
            path: path.to_string(),
            what,
            size: meta.len(),
            max,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check; never read past the limit.
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(FileError::TooLarge {
            path: path.to_string(),
            what,
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    // NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let fd = rustix::fs::open(path, flags(), rustix::fs::Mode::empty())?;
    Ok(File::from(fd))
}

#[cfg(target_os = "linux")]
fn open_beneath(root: &Path, relative: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let dir = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    match rustix::fs::openat2(&dir, relative, flags(), Mode::empty(), resolve) {
        Ok(fd) => Ok(File::from(fd)),
        // Kernels before 5.6 have no openat2: check each component ourselves.
        Err(rustix::io::Errno::NOSYS) => open_beneath_by_components(root, relative),
        Err(errno) => Err(errno.into()),
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn open_beneath(root: &Path, relative: &Path) -> std::io::Result<File> {
    open_beneath_by_components(root, relative)
}

/// Opens each directory on the way with `O_NOFOLLOW`, relative to the last.
#[cfg(unix)]
fn open_beneath_by_components(root: &Path, relative: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let mut dir = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let parts: Vec<_> = relative.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let std::path::Component::Normal(name) = part else {
            continue;
        };
        if i + 1 == parts.len() {
            return Ok(File::from(rustix::fs::openat(
                &dir,
                *name,
                flags(),
                Mode::empty(),
            )?));
        }
        dir = rustix::fs::openat(
            &dir,
            *name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )?;
    }
    Err(std::io::Error::from(std::io::ErrorKind::NotFound))
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::from_raw_os_error(40));
    }
    File::open(path)
}

#[cfg(not(unix))]
fn open_beneath(root: &Path, relative: &Path) -> std::io::Result<File> {
    let mut path = root.to_path_buf();
    for part in relative.components() {
        path.push(part);
        if std::fs::symlink_metadata(&path)?.file_type().is_symlink() {
            return Err(std::io::Error::from_raw_os_error(40));
        }
    }
    File::open(path)
}

/// `ELOOP` (a link where none may be) and `EXDEV` (the path left the root)
/// become their own errors; the rest stay I/O errors.
fn classify(error: std::io::Error, path: &str, what: &'static str) -> FileError {
    const ELOOP: i32 = 40;
    const EXDEV: i32 = 18;
    match error.raw_os_error() {
        Some(ELOOP) => FileError::Symlink {
            path: path.to_string(),
            what,
        },
        Some(EXDEV) => FileError::Escapes {
            path: path.to_string(),
        },
        _ => FileError::Io {
            path: path.to_string(),
            error,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_host_file_is_refused_without_reading_it() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("credentials");
        std::fs::write(&secret, "https://user:ghp_hostsecret@example.com\n").unwrap();
        let repo = tempfile::tempdir().unwrap();
        let link = repo.path().join("cordon.toml");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let error = read_regular(&link, "pipeline", MAX_CONFIG_BYTES).unwrap_err();
        assert!(matches!(error, FileError::Symlink { .. }), "{error}");
        assert!(!error.to_string().contains("hostsecret"));
        let error = read_beneath(
            repo.path(),
            Path::new("cordon.toml"),
            "pipeline",
            MAX_CONFIG_BYTES,
        )
        .unwrap_err();
        assert!(matches!(error, FileError::Symlink { .. }), "{error}");
    }

    #[test]
    fn a_linked_directory_or_parent_path_cannot_lead_outside() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("p.wasm"), b"\0asm").unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), repo.path().join("plugins")).unwrap();
        for path in ["plugins/p.wasm", "../p.wasm"] {
            let error =
                read_beneath(repo.path(), Path::new(path), "plugin", MAX_PLUGIN_BYTES).unwrap_err();
            assert!(
                matches!(error, FileError::Symlink { .. } | FileError::Escapes { .. }),
                "{path}: {error}"
            );
        }
        std::fs::create_dir(repo.path().join("real")).unwrap();
        std::fs::write(repo.path().join("real/p.wasm"), b"\0asm").unwrap();
        let bytes = read_beneath(
            repo.path(),
            Path::new("real/p.wasm"),
            "plugin",
            MAX_PLUGIN_BYTES,
        )
        .unwrap();
        assert_eq!(bytes, b"\0asm");
    }

    #[test]
    fn devices_fifos_and_oversized_files_are_refused() {
        let error = read_regular(Path::new("/dev/zero"), "plugin", MAX_PLUGIN_BYTES).unwrap_err();
        assert!(matches!(error, FileError::NotRegular { .. }), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        let error = read_regular(&fifo, "pipeline", MAX_CONFIG_BYTES).unwrap_err();
        assert!(matches!(error, FileError::NotRegular { .. }), "{error}");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 2048]).unwrap();
        let error = read_regular(&big, "pipeline", 1024).unwrap_err();
        assert!(
            matches!(error, FileError::TooLarge { size: 2048, .. }),
            "{error}"
        );
    }
}
