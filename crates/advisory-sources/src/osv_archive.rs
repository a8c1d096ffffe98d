//! OSV's per-ecosystem archives: download, verify, store.
//!
//! OSV.dev exports every ecosystem's records as one zip of `<ID>.json`
//! files at `https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::status::count_records;

/// Where OSV.dev publishes its per-ecosystem archives.
pub const OSV_ARCHIVE_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Hidden directory inside the OSV root where new copies are assembled. It
/// is on the same file system as the data, so the final step is a rename,
/// and hidden, so the data set's file listing never shows a half-built copy.
pub const STAGING_DIR: &str = ".cordon-staging";

/// Bounds on what one archive may cost. An archive beyond them is refused
/// whole (a zip bomb, or not the file that was asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes downloaded.
    pub max_archive_bytes: u64,
    /// Entries in the archive.
    pub max_entries: usize,
    /// Decompressed bytes of one entry.
    pub max_entry_bytes: u64,
    /// Decompressed bytes of all entries together.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// Several times the largest ecosystem archives OSV publishes (hundreds
    /// of thousands of records, a few GiB unpacked for the Linux
    /// distributions), and far below what would fill a disk.
    fn default() -> Self {
        Limits {
            max_archive_bytes: 2 << 30,
            max_entries: 2_000_000,
            max_entry_bytes: 64 << 20,
            max_total_bytes: 16 << 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{0}` is not an ecosystem name OSV publishes archives under")]
    InvalidEcosystem(String),
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    #[error("{url}: the server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: refused: {message}")]
    Limit { url: String, message: String },
    #[error("{url}: not a usable OSV archive: {message}")]
    Archive { url: String, message: String },
    #[error("{url}: entry `{entry}` is not an OSV record: {message}")]
    Record {
        url: String,
        entry: String,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What an update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// A new copy was downloaded, verified and put in place.
    Fetched(Manifest),
    /// The server said the stored copy is current; only the check time moved.
    NotModified(Manifest),
}

impl UpdateOutcome {
    pub fn manifest(&self) -> &Manifest {
        match self {
            UpdateOutcome::Fetched(manifest) | UpdateOutcome::NotModified(manifest) => manifest,
        }
    }
}

/// Checks that `name` can be both a URL path segment and a directory name:
/// letters, digits, `.`, `-`, `_` and spaces (`GitHub Actions`), not
/// starting with a dot. OSV's release-qualified names (`Debian:12`) are not
/// archive names: the `Debian` archive holds every release.
pub fn validate_ecosystem(name: &str) -> Result<(), FetchError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && !name.starts_with(' ')
        && !name.ends_with(' ')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '));
    if valid {
        Ok(())
    } else {
        Err(FetchError::InvalidEcosystem(name.to_owned()))
    }
}

/// The HTTP client every fetch of advisory data uses (rustls, the bundled
/// Mozilla roots, a proxy from `HTTPS_PROXY`/`ALL_PROXY`). Statuses are
/// the caller's to judge (a `304` is an answer, not an error), and a
/// stalled transfer fails rather than hanging the command.
pub fn fetch_agent(user_agent: &str) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(user_agent)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .timeout_per_read(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// Downloads OSV per-ecosystem archives into an OSV root directory.
pub struct OsvArchiveFetcher {
    agent: ureq::Agent,
    base_url: String,
    limits: Limits,
}

impl OsvArchiveFetcher {
    /// A fetcher for `base_url` (normally [`OSV_ARCHIVE_BASE_URL`]; tests
    /// and mirrors give their own).
    pub fn new(base_url: &str, limits: Limits) -> Self {
        OsvArchiveFetcher {
            agent: fetch_agent(concat!("cordon/", env!("CARGO_PKG_VERSION"))),
            base_url: base_url.trim_end_matches('/').to_owned(),
            limits,
        }
    }

    /// The archive URL of `ecosystem`.
    pub fn archive_url(&self, ecosystem: &str) -> String {
        format!(
            "{}/{}/all.zip",
            self.base_url,
            ecosystem.replace(' ', "%20")
        )
    }

    /// Brings `<osv_root>/<ecosystem>/` up to date. `now` is the time
    /// recorded in the manifest (RFC 3339 is written from it).
    pub fn update(
        &self,
        osv_root: &Path,
        ecosystem: &str,
        now: jiff::Timestamp,
    ) -> Result<UpdateOutcome, FetchError> {
        validate_ecosystem(ecosystem)?;
        let url = self.archive_url(ecosystem);
        let target = osv_root.join(ecosystem);
        // The previous copy's validators are sent only when that copy is
        // whole: an unreadable manifest, or record files missing since the
        // fetch, cost a full download instead of a 304 that would keep the
        // damage.
        let previous = Manifest::read(&target)
            .ok()
            .flatten()
            .filter(|manifest| count_records(&target).ok() == Some(manifest.records));
        let now_text = rfc3339(now);

        let mut request = self.agent.get(&url);
        if let Some(previous) = &previous {
            if let Some(etag) = &previous.etag {
                request = request.header("If-None-Match", etag);
            }
            if let Some(last_modified) = &previous.last_modified {
                request = request.header("If-Modified-Since", last_modified);
            }
        }
        let http_error = |error: ureq::Error| FetchError::Http {
            url: url.clone(),
            message: error.to_string(),
        };
        let response = request.call().map_err(http_error)?;
        let status = response.status().as_u16();
        if status == 304 {
            if let Some(mut manifest) = previous {
                manifest.checked_at = now_text;
                manifest.write(&target).map_err(io_error(&target))?;
                return Ok(UpdateOutcome::NotModified(manifest));
            }
            // A 304 to a request that had no validators is a server bug.
            return Err(FetchError::Status { url, status });
        }
        if status != 200 {
            return Err(FetchError::Status { url, status });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");

        let staging_root = osv_root.join(STAGING_DIR);
        std::fs::create_dir_all(&staging_root).map_err(io_error(&staging_root))?;
        remove_abandoned(&staging_root, ABANDONED_AFTER);
        let staging = Staging::new(&staging_root, ecosystem).map_err(io_error(&staging_root))?;

        // The archive goes to disk (some are hundreds of MiB), hashed on
        // the way.
        let archive_path = staging.path.join("all.zip");
        let mut archive = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&archive_path)
            .map_err(io_error(&archive_path))?;
        let mut hasher = Sha256::new();
        let mut body = response.into_body();
        let mut reader = body
            .with_config()
            .limit(self.limits.max_archive_bytes)
            .reader();
        let mut buffer = vec![0u8; 1 << 16];
        let mut archive_bytes = 0u64;
        loop {
            let read = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(match error.downcast::<ureq::Error>() {
                        Ok(ureq::Error::BodyExceedsLimit(limit)) => FetchError::Limit {
                            url,
                            message: format!("the archive is larger than {limit} bytes"),
                        },
                        Ok(error) => http_error(error),
                        Err(error) => FetchError::Http {
                            url,
                            message: format!("download interrupted: {error}"),
                        },
                    });
                }
            };
            hasher.update(&buffer[..read]);
            archive
                .write_all(&buffer[..read])
                .map_err(io_error(&archive_path))?;
            archive_bytes += read as u64;
        }
        archive
            .seek(SeekFrom::Start(0))
            .map_err(io_error(&archive_path))?;

        let records_dir = staging.path.join("records");
        std::fs::create_dir(&records_dir).map_err(io_error(&records_dir))?;
        let records = unpack_verified(archive, &records_dir, &url, &self.limits)?;

        let manifest = Manifest {
            source: format!("osv:{ecosystem}"),
            url: url.clone(),
            fetched_at: now_text.clone(),
            checked_at: now_text,
            etag,
            last_modified,
            sha256: hex::encode(hasher.finalize()),
            archive_bytes,
            records,
        };
        manifest
            .write(&records_dir)
            .map_err(io_error(&records_dir))?;
        replace_dir(&records_dir, &target, &staging.path)?;
        Ok(UpdateOutcome::Fetched(manifest))
    }
}

/// The part of an OSV record this crate checks.
#[derive(Deserialize)]
struct RecordHead {
    id: String,
}

/// Unpacks `archive` into `dir`, checking every entry as it goes. Returns
/// the number of records.
fn unpack_verified(
    archive: File,
    dir: &Path,
    url: &str,
    limits: &Limits,
) -> Result<usize, FetchError> {
    let archive_error = |message: String| FetchError::Archive {
        url: url.to_owned(),
        message,
    };
    let limit_error = |message: String| FetchError::Limit {
        url: url.to_owned(),
        message,
    };
    let mut zip = zip::ZipArchive::new(io::BufReader::new(archive))
        .map_err(|e| archive_error(e.to_string()))?;
    if zip.is_empty() {
        return Err(archive_error("the archive holds no records".to_owned()));
    }
    if zip.len() > limits.max_entries {
        return Err(limit_error(format!(
            "{} entries, more than the limit of {}",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut total = 0u64;
    let mut content = Vec::new();
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| archive_error(format!("entry {index}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| archive_error(format!("entry {index}: {e}")))?
            .into_owned();
        let record_error = |message: String| FetchError::Record {
            url: url.to_owned(),
            entry: name.clone(),
            message,
        };
        // OSV archives are flat: `<ID>.json`. Anything else (folders, other
        // files, paths) means this is not such an archive, and a path could
        // write outside the directory.
        if entry.is_dir()
            || entry.is_symlink()
            || !is_flat_json_name(&name)
            || name == MANIFEST_FILE
        {
            return Err(record_error(
                "expected a file named `<ID>.json` at the archive's top level".to_owned(),
            ));
        }
        // Declared sizes can lie; the read itself is bounded.
        content.clear();
        let read = (&mut entry)
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut content)
            .map_err(|e| record_error(format!("cannot decompress: {e}")))?;
        if read as u64 > limits.max_entry_bytes {
            return Err(limit_error(format!(
                "entry `{name}` decompresses to more than {} bytes",
                limits.max_entry_bytes
            )));
        }
        total += read as u64;
        if total > limits.max_total_bytes {
            return Err(limit_error(format!(
                "the entries decompress to more than {} bytes",
                limits.max_total_bytes
            )));
        }
        let head: RecordHead =
            serde_json::from_slice(&content).map_err(|e| record_error(e.to_string()))?;
        if head.id.trim().is_empty() {
            return Err(record_error("the record's `id` is empty".to_owned()));
        }
        let path = dir.join(&name);
        // `create_new`: two entries of one name are a broken archive, not a
        // silent overwrite.
        let mut file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => record_error("the name appears twice".to_owned()),
                _ => FetchError::Io {
                    path: path.clone(),
                    source: e,
                },
            })?;
        file.write_all(&content).map_err(io_error(&path))?;
    }
    Ok(zip.len())
}

fn is_flat_json_name(name: &str) -> bool {
    name.len() > ".json".len()
        && name.ends_with(".json")
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name != ".."
}

/// Puts `new` at `target`. When `target` exists it is first moved aside
/// into `aside_dir` (same file system) and restored if the second rename
/// fails, so `target` ends up either the old copy or the new one.
fn replace_dir(new: &Path, target: &Path, aside_dir: &Path) -> Result<(), FetchError> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    if !target.exists() {
        return std::fs::rename(new, target).map_err(io_error(target));
    }
    let aside = aside_dir.join("previous");
    std::fs::rename(target, &aside).map_err(io_error(target))?;
    if let Err(error) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(FetchError::Io {
            path: target.to_path_buf(),
            source: error,
        });
    }
    Ok(())
}

/// How old a staging directory must be before an update takes it for the
/// leftover of a killed one. Far longer than any download takes, so a
/// concurrent update's directory is never removed from under it.
const ABANDONED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Removes staging directories untouched for `age`: what an update killed
/// mid-download (no `Drop` ran) left behind. Best effort: a directory that
/// cannot be removed now is tried again next time.
fn remove_abandoned(staging_root: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(staging_root) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let abandoned = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|idle| idle > age);
        if abandoned {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A private directory under the staging root, removed with everything in
/// it (a failed download, or the replaced copy) when dropped.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn new(root: &Path, ecosystem: &str) -> io::Result<Staging> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let path = root.join(format!(
            "{ecosystem}.{}.{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&path)?;
        Ok(Staging { path })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        // The staging root goes too once nothing else is being assembled.
        if let Some(root) = self.path.parent() {
            let _ = std::fs::remove_dir(root);
        }
    }
}

fn rfc3339(time: jiff::Timestamp) -> String {
    // Whole seconds: the manifest is read by people as well.
    time.round(jiff::Unit::Second).unwrap_or(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_names_must_be_safe_path_and_url_segments() {
        for good in [
            "crates.io",
            "PyPI",
            "npm",
            "GitHub Actions",
            "Rocky_Linux-9",
        ] {
            assert!(validate_ecosystem(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            ".hidden",
            "a/b",
            "Debian:12",
            "x\\y",
            " npm",
            "npm\n",
        ] {
            assert!(validate_ecosystem(bad).is_err(), "{bad:?}");
        }
        let fetcher = OsvArchiveFetcher::new("http://127.0.0.1:9/", Limits::default());
        assert_eq!(
            fetcher.archive_url("GitHub Actions"),
            "http://127.0.0.1:9/GitHub%20Actions/all.zip"
        );
    }

    #[test]
    fn only_staging_directories_idle_for_long_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join("npm.1.0");
        let fresh = root.path().join("npm.2.0");
        std::fs::create_dir_all(old.join("records")).unwrap();
        std::fs::create_dir_all(&fresh).unwrap();
        let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(48 * 3600);
        File::open(&old)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        remove_abandoned(root.path(), ABANDONED_AFTER);
        assert!(!old.exists());
        assert!(fresh.exists());
    }

    #[test]
    fn entry_names_must_be_flat_json_files() {
        assert!(is_flat_json_name("GHSA-aaaa-bbbb-cccc.json"));
        for bad in [
            "../x.json",
            "a/b.json",
            ".json",
            "x.yaml",
            ".hidden.json",
            "a\\b.json",
        ] {
            assert!(!is_flat_json_name(bad), "{bad}");
        }
    }
}
