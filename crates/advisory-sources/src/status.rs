//! What `cordon db status` shows: each source, how old it is, how much it
//! holds and where it is.

use std::path::{Path, PathBuf};

use crate::manifest::{MANIFEST_FILE, Manifest};

/// One advisory source as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStatus {
    /// `osv:<Ecosystem>` for an OSV archive, the data set name for a git copy.
    pub name: String,
    pub location: PathBuf,
    /// When the data was published or fetched (seconds since the Unix epoch):
    /// the manifest's `fetched-at`, or a git copy's last commit time.
    pub updated_at: Option<i64>,
    /// `now - updated_at`, never negative.
    pub age_seconds: Option<i64>,
    /// When the source was last asked for news (archives only).
    pub checked_at: Option<String>,
    /// Records present (archives only: the files on disk, counted).
    pub records: Option<usize>,
    /// What is wrong with this copy, if anything (an unreadable manifest,
    /// records missing since the fetch...).
    pub problem: Option<String>,
}

impl SourceStatus {
    /// A git-cloned database (RustSec) in the same shape; `commit_time` is
    /// its HEAD's commit time, `None` when it has none (not a repository).
    pub fn git(
        name: &str,
        location: &Path,
        commit_time: Option<i64>,
        now: jiff::Timestamp,
    ) -> SourceStatus {
        let problem = if !location.is_dir() {
            Some("not present; fetch it with `cordon db update`".to_owned())
        } else if commit_time.is_none() {
            Some("not a git repository, so its age is unknown".to_owned())
        } else {
            None
        };
        SourceStatus {
            name: name.to_owned(),
            location: location.to_path_buf(),
            updated_at: commit_time,
            age_seconds: commit_time.map(|time| (now.as_second() - time).max(0)),
            checked_at: None,
            records: None,
            problem,
        }
    }
}

/// Every OSV source under `osv_root`: one per directory holding a
/// [`MANIFEST_FILE`], sorted by name. Directories without one (a git clone,
/// files put there by hand) are not sources this crate manages and are
/// left out.
pub fn osv_status(osv_root: &Path, now: jiff::Timestamp) -> Result<Vec<SourceStatus>, String> {
    let entries = match std::fs::read_dir(osv_root) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("{}: {error}", osv_root.display())),
    };
    let mut sources = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| format!("{}: {error}", osv_root.display()))?;
        let dir = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden || !dir.is_dir() || !dir.join(MANIFEST_FILE).exists() {
            continue;
        }
        sources.push(source_status(&dir, now));
    }
    sources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sources)
}

fn source_status(dir: &Path, now: jiff::Timestamp) -> SourceStatus {
    let fallback_name = format!(
        "osv:{}",
        dir.file_name().unwrap_or_default().to_string_lossy()
    );
    let on_disk = count_records(dir);
    let mut status = SourceStatus {
        name: fallback_name,
        location: dir.to_path_buf(),
        updated_at: None,
        age_seconds: None,
        checked_at: None,
        records: on_disk.as_ref().ok().copied(),
        problem: None,
    };
    let manifest = match Manifest::read(dir) {
        Ok(Some(manifest)) => manifest,
        Ok(None) => {
            status.problem = Some(format!("{MANIFEST_FILE} is missing"));
            return status;
        }
        Err(error) => {
            status.problem = Some(error);
            return status;
        }
    };
    status.name = manifest.source.clone();
    status.checked_at = Some(manifest.checked_at.clone());
    match manifest.fetched_at.parse::<jiff::Timestamp>() {
        Ok(fetched) => {
            status.updated_at = Some(fetched.as_second());
            status.age_seconds = Some((now.as_second() - fetched.as_second()).max(0));
        }
        Err(error) => {
            status.problem = Some(format!(
                "`fetched-at` is not an RFC 3339 time ({error}), so the age is unknown"
            ));
        }
    }
    match on_disk {
        Ok(count) if count != manifest.records => {
            status.problem = Some(format!(
                "{count} record file(s) on disk, but {} were fetched; run `cordon db update` to restore them",
                manifest.records
            ));
        }
        Ok(_) => {}
        Err(error) => status.problem = Some(error),
    }
    status
}

pub(crate) fn count_records(dir: &Path) -> Result<usize, String> {
    let entries = std::fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let mut count = 0;
    for entry in entries {
        let entry = entry.map_err(|error| format!("{}: {error}", dir.display()))?;
        if entry.file_name().to_string_lossy().ends_with(".json") {
            count += 1;
        }
    }
    Ok(count)
}

/// An age in the largest whole unit that fits: `45 s`, `3 min`, `5 h`, `12 d`.
pub fn format_age(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    match seconds {
        s if s < MINUTE => format!("{s} s"),
        s if s < HOUR => format!("{} min", s / MINUTE),
        s if s < DAY => format!("{} h", s / HOUR),
        s => format!("{} d", s / DAY),
    }
}

/// A plain-text table of `sources`, one line each, for the terminal.
pub fn render_status(sources: &[SourceStatus]) -> String {
    let mut out = String::new();
    let width = sources
        .iter()
        .map(|source| source.name.len())
        .max()
        .unwrap_or(0)
        .max("SOURCE".len());
    out.push_str(&format!(
        "{:<width$}  {:>8}  {:>9}  LOCATION\n",
        "SOURCE", "AGE", "RECORDS"
    ));
    for source in sources {
        let age = source
            .age_seconds
            .map_or_else(|| "unknown".to_owned(), format_age);
        let records = source
            .records
            .map_or_else(|| "-".to_owned(), |count| count.to_string());
        out.push_str(&format!(
            "{:<width$}  {:>8}  {:>9}  {}\n",
            source.name,
            age,
            records,
            source.location.display()
        ));
        if let Some(problem) = &source.problem {
            out.push_str(&format!("{:<width$}  problem: {problem}\n", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_largest_whole_unit() {
        assert_eq!(format_age(0), "0 s");
        assert_eq!(format_age(59), "59 s");
        assert_eq!(format_age(60), "1 min");
        assert_eq!(format_age(2 * 3600 + 5), "2 h");
        assert_eq!(format_age(3 * 86400 + 7200), "3 d");
    }

    #[test]
    fn a_git_copy_reports_its_commit_age_or_why_it_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let now: jiff::Timestamp = "2026-03-10T00:00:00Z".parse().unwrap();
        let committed = now.as_second() - 2 * 86400;
        let status = SourceStatus::git("rustsec", dir.path(), Some(committed), now);
        assert_eq!(status.age_seconds, Some(2 * 86400));
        assert_eq!(status.problem, None);
        let missing = SourceStatus::git("rustsec", &dir.path().join("absent"), None, now);
        assert!(missing.problem.unwrap().contains("cordon db update"));
        let table = render_status(&[status]);
        assert!(table.contains("rustsec"), "{table}");
        assert!(table.contains("2 d"), "{table}");
    }
}
