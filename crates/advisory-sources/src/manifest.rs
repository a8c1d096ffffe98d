//! The record kept beside each fetched source: where it came from, when,
//! what the server said about its version, and what was verified.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// File name of the manifest inside a source's directory. Its extension is
/// one the audit stage never reads as an advisory.
pub const MANIFEST_FILE: &str = "manifest.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    /// The source's name, e.g. `osv:PyPI`.
    pub source: String,
    /// The archive's URL.
    pub url: String,
    /// When the stored data was downloaded (RFC 3339, UTC).
    pub fetched_at: String,
    /// When the source was last asked for a newer copy (RFC 3339, UTC); a
    /// `304 Not Modified` moves this and nothing else.
    pub checked_at: String,
    /// The server's validators, sent back on the next update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// SHA-256 of the archive as downloaded (hex).
    pub sha256: String,
    pub archive_bytes: u64,
    /// OSV records stored (one file each).
    pub records: usize,
}

impl Manifest {
    /// The manifest in `dir`: `Ok(None)` when there is none.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, String> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("{}: {error}", path.display())),
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|error| format!("{}: {}", path.display(), error.message()))
    }

    /// Writes the manifest into `dir` through a temporary file and a rename,
    /// so a reader never sees half a manifest.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let temporary = dir.join(format!(".{MANIFEST_FILE}.{}", std::process::id()));
        {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, dir.join(MANIFEST_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_as_written_and_damage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), None);
        let manifest = Manifest {
            source: "osv:npm".into(),
            url: "http://127.0.0.1:1/npm/all.zip".into(),
            fetched_at: "2026-01-02T03:04:05Z".into(),
            checked_at: "2026-01-03T03:04:05Z".into(),
            etag: Some("\"abc\"".into()),
            last_modified: None,
            sha256: "00".repeat(32),
            archive_bytes: 10,
            records: 3,
        };
        manifest.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert!(
            text.contains("fetched-at = \"2026-01-02T03:04:05Z\""),
            "{text}"
        );
        assert!(!text.contains("last-modified"), "{text}");
        assert_eq!(Manifest::read(dir.path()).unwrap(), Some(manifest));

        std::fs::write(dir.path().join(MANIFEST_FILE), "records = \"many\"").unwrap();
        let error = Manifest::read(dir.path()).unwrap_err();
        assert!(error.contains(MANIFEST_FILE), "{error}");
    }
}
