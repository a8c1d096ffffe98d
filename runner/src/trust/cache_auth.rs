//! Authentication of the on-disk caches.
//!
//! Loading compiled code is `unsafe` in wasmtime: `deserialize` trusts its
//! input, so a patched cache entry would run native code in the host. A
//! cache directory may be shared, restored by CI from another job's upload,
//! or written by another plugin's run, so its contents are never trusted:
//!
//! - each compiled entry carries a keyed BLAKE3 MAC over the engine's
//!   identity, the component's sha256 and the compiled bytes; the host
//!   checks it before wasmtime sees a byte. The key lives outside the cache
//!   directory (`$CORDON_CACHE_KEY`, else a random key in the user's
//!   configuration directory, created `0600`), so whoever can write the
//!   cache still cannot forge an entry, nor move one plugin's entry under
//!   another's name;
//! - a cache directory that another user owns, or that its group or others
//!   may write, is refused with an error rather than used.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A MAC key for cache entries.
#[derive(Clone)]
pub struct CacheKey([u8; 32]);

/// Length of the MAC that precedes each compiled entry.
pub const TAG_LEN: usize = 32;

impl CacheKey {
    /// The key from `$CORDON_CACHE_KEY` (any text, hashed into a key: CI
    /// systems pass it as a secret so caches restored between jobs stay
    /// usable), else the per-user key file, created on first use.
    pub fn load() -> Result<CacheKey, String> {
        if let Some(text) = std::env::var_os("CORDON_CACHE_KEY").filter(|v| !v.is_empty()) {
            let text = text.to_string_lossy();
            return Ok(CacheKey(blake3::derive_key(
                "cordon cache key from CORDON_CACHE_KEY",
                text.as_bytes(),
            )));
        }
        let dirs = directories::ProjectDirs::from("dev", "cordon", "cordon").ok_or(
            "no configuration directory for the cache key; set CORDON_CACHE_KEY or pass --no-cache",
        )?;
        Self::from_file(&dirs.config_dir().join("cache.key"))
    }

    /// Reads the key at `path`, creating it (random, mode `0600`) if absent.
    pub fn from_file(path: &Path) -> Result<CacheKey, String> {
        match crate::trust::files::read_regular(path, "cache key", 1024) {
            Ok(bytes) => {
                check_private(path, false)?;
                let text = String::from_utf8_lossy(&bytes);
                let key: [u8; 32] = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        format!(
                            "{} is not a cache key (64 hexadecimal characters)",
                            path.display()
                        )
                    })?;
                Ok(CacheKey(key))
            }
            Err(crate::trust::files::FileError::Io { error, .. })
                if error.kind() == std::io::ErrorKind::NotFound =>
            {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| format!("no randomness for a key: {e}"))?;
                match publish_private(path, hex::encode(key).as_bytes()) {
                    Ok(()) => Ok(CacheKey(key)),
                    // Another run created it first: use theirs.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::from_file(path)
                    }
                    Err(error) => Err(format!(
                        "cannot create the cache key {}: {error}",
                        path.display()
                    )),
                }
            }
            Err(error) => Err(error.to_string()),
        }
    }

    /// For tests: a fixed key.
    pub fn from_bytes(key: [u8; 32]) -> CacheKey {
        CacheKey(key)
    }

    /// The tag of a compiled entry for `component_sha256` under `engine`.
    pub fn tag(&self, engine: &str, component_sha256: &str, compiled: &[u8]) -> [u8; TAG_LEN] {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        // Length-prefixed, so no two (engine, digest) pairs share a prefix.
        for field in [engine.as_bytes(), component_sha256.as_bytes()] {
            hasher.update(&(field.len() as u64).to_le_bytes());
            hasher.update(field);
        }
        hasher.update(compiled);
        *hasher.finalize().as_bytes()
    }

    /// Whether `tag` is right for the entry (constant-time comparison).
    pub fn verify(
        &self,
        engine: &str,
        component_sha256: &str,
        compiled: &[u8],
        tag: &[u8],
    ) -> bool {
        let Ok(tag) = <[u8; TAG_LEN]>::try_from(tag) else {
            return false;
        };
        blake3::Hash::from(self.tag(engine, component_sha256, compiled)) == blake3::Hash::from(tag)
    }
}

/// Creates `dir` (mode `0700`) if needed and refuses it if another user
/// owns it or its group or others may write it.
pub fn prepare_cache_dir(dir: &Path) -> Result<PathBuf, String> {
    if !dir.exists() {
        create_private_dir(dir)
            .map_err(|e| format!("cannot create the cache directory {}: {e}", dir.display()))?;
    }
    check_private(dir, true)?;
    Ok(dir.to_path_buf())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Owned by this user and not writable (for a key file: not readable
/// either) by group or others.
#[cfg(unix)]
fn check_private(path: &Path, is_dir: bool) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot check {}: {e}", path.display()))?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "{} belongs to user id {}, not to this user ({me}); Cordon will not use a cache or key another user controls (pass --cache-dir DIR or --no-cache)",
            path.display(),
            meta.uid()
        ));
    }
    let forbidden = if is_dir { 0o022 } else { 0o077 };
    if meta.mode() & forbidden != 0 {
        return Err(format!(
            "{} has mode {:o}: its group or other users may {} it, so Cordon will not use it (chmod {} it, or pass --cache-dir DIR or --no-cache)",
            path.display(),
            meta.mode() & 0o777,
            if is_dir { "write" } else { "read or write" },
            if is_dir { "go-w" } else { "600" },
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _is_dir: bool) -> Result<(), String> {
    Ok(())
}

/// A name part no other writer picks (another run, or another stage of
/// this run writing the same entry): the process id and a counter, so
/// temporary files are never shared.
pub fn nonce() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

/// Creates `path` holding `bytes`, mode `0600`, all at once: the bytes go
/// to a private temporary file first, which is then hard-linked into place.
/// Two runs starting together never see a half-written key, and the loser
/// gets `AlreadyExists`.
fn publish_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let temporary = path.with_extension(format!("tmp-{}", nonce()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()));
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    linked
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_tag_binds_engine_digest_and_bytes() {
        let key = CacheKey::from_bytes([7; 32]);
        let tag = key.tag("engine", "aa", b"code");
        assert!(key.verify("engine", "aa", b"code", &tag));
        assert!(!key.verify("engine", "bb", b"code", &tag));
        assert!(!key.verify("engine2", "aa", b"code", &tag));
        assert!(!key.verify("engine", "aa", b"c0de", &tag));
        assert!(!CacheKey::from_bytes([8; 32]).verify("engine", "aa", b"code", &tag));
    }

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/cache.key");
        let first = CacheKey::from_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = CacheKey::from_file(&path).unwrap();
        assert_eq!(first.0, again.0);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = CacheKey::from_file(&path).err().unwrap();
        assert!(error.contains("mode 644"), "{error}");
    }

    #[test]
    fn runs_starting_together_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/cache.key");
        let keys: Vec<[u8; 32]> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| CacheKey::from_file(&path).map(|k| k.0)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert!(keys.windows(2).all(|pair| pair[0] == pair[1]));
    }

    #[test]
    fn a_world_writable_cache_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        prepare_cache_dir(&cache).unwrap();
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = prepare_cache_dir(&cache).unwrap_err();
        assert!(error.contains("mode 777"), "{error}");
    }
}
