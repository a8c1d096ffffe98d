//! `cordon:stage/cache`: a per-stage directory that survives runs, keyed by
//! the plugin's digest so a different plugin never reads another's entries.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::StageState;
use super::bindings::cordon::stage::cache::Host;
use super::bindings::cordon::stage::types::AccessError;

pub struct CacheAccess {
    /// `None` when the stage has no cache grant.
    pub dir: Option<PathBuf>,
    pub max_bytes: u64,
}

impl CacheAccess {
    /// Keys are hashed into file names, so any key is safe on disk.
    fn path(&self, key: &str) -> Result<PathBuf, AccessError> {
        let dir = self
            .dir
            .as_ref()
            .ok_or_else(|| AccessError::Denied("this stage has no cache grant".into()))?;
        Ok(dir.join(hex::encode(Sha256::digest(key.as_bytes()))))
    }
}

impl Host for StageState {
    fn get(&mut self, key: String) -> Option<Vec<u8>> {
        let result = self.cache.path(&key).and_then(|path| {
            std::fs::read(&path).map_err(|e| AccessError::NotFound(format!("cache entry: {e}")))
        });
        let bytes = result.as_ref().map_or(0, |b| b.len() as u64);
        self.calls.record("cache.get", &key, bytes, result).ok()
    }

    fn put(&mut self, key: String, bytes: Vec<u8>) -> Result<(), AccessError> {
        let size = bytes.len() as u64;
        let result = self.cache.path(&key).and_then(|path| {
            if size > self.cache.max_bytes {
                return Err(AccessError::Limit(format!(
                    "cache entry of {size} bytes is over max-cache-bytes"
                )));
            }
            let dir = path
                .parent()
                .ok_or_else(|| AccessError::Io("cache path has no parent".into()))?;
            std::fs::create_dir_all(dir).map_err(|e| AccessError::Io(e.to_string()))?;
            // Write then rename, so a concurrent reader never sees half a file.
            let temp = path.with_extension(format!("tmp-{}", crate::trust::cache_auth::nonce()));
            std::fs::write(&temp, &bytes).map_err(|e| AccessError::Io(e.to_string()))?;
            std::fs::rename(&temp, &path).map_err(|e| AccessError::Io(e.to_string()))
        });
        self.calls.record("cache.put", &key, size, result)
    }
}
