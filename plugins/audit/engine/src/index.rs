//! The advisory index: a database parsed once into a compact form that the
//! stage keeps in its cache (keyed by the database revision) and loads in
//! milliseconds on the next run.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::advisory::AdvisoryRecord;
use crate::ecosystem::{Ecosystem, EcosystemTag};
use crate::osv_db::{self, OsvFormat};
use crate::rustsec_db::{self, RustSecFile};

/// Bumped whenever the serialized form changes, so stale caches are rebuilt
/// instead of misread. Version 2: OSV records of RubyGems, Packagist, Maven,
/// NuGet, Pub, Hex, CRAN and ConanCenter are kept (version-1 caches dropped
/// them, and would claim those ecosystems have no advisories). Version 3:
/// OSV titles skip sentences that only describe the package. Version 4:
/// Debian and Alpine records are kept, each with its release.
pub const INDEX_FORMAT_VERSION: u32 = 4;

const MAGIC: &[u8; 8] = b"CDNAUDIX";

/// A problem with one database file. The file's advisories are missing from
/// the index, so callers must surface these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadWarning {
    /// Path relative to the database root.
    pub path: String,
    pub message: String,
}

/// The database could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// Nothing in the files was an advisory: a wrong path, an empty checkout
    /// or a database in an unknown layout. Never treated as "no
    /// vulnerabilities".
    #[error(
        "no advisories found in {files} files ({unreadable} unreadable); \
         is this a RustSec advisory-db or OSV directory?"
    )]
    NoAdvisories { files: usize, unreadable: usize },
    /// Cached bytes that are not an index of this format version.
    #[error("advisory index cache is unusable: {0}")]
    Corrupt(String),
}

/// Counts describing what an index holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Advisories that can match packages (withdrawn ones included).
    pub advisories: usize,
    /// Of those, withdrawn (kept, never reported).
    pub withdrawn: usize,
    /// RustSec advisories about the Rust toolchain, which no lockfile pins.
    pub toolchain: usize,
    /// Files read as advisories (drafts included).
    pub files: usize,
    /// Files that could not be read; each has a [`LoadWarning`].
    pub unreadable: usize,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    records: Vec<AdvisoryRecord>,
    stats: IndexStats,
}

/// Parsed advisories, looked up by ecosystem and normalised package name.
#[derive(Debug, Clone)]
pub struct Index {
    records: Vec<AdvisoryRecord>,
    stats: IndexStats,
    by_package: HashMap<(EcosystemTag, String), Vec<usize>>,
    per_ecosystem: BTreeMap<Ecosystem, usize>,
    /// Distribution advisories per (ecosystem, release).
    per_release: BTreeMap<(Ecosystem, String), usize>,
    /// How reports name this database (the data set, e.g. `osv`).
    label: Option<String>,
}

impl Index {
    /// Names this database in reports (`rustsec`, `osv`); not stored in
    /// the serialized index, so a cached index is labelled after loading.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Parses every advisory among `files` (paths relative to the database
    /// root with `/` separators, and their bytes). RustSec advisories are
    /// recognised by the advisory-db layout (`crates/<crate>/<ID>.md`), OSV
    /// records by a `.json`, `.yaml` or `.yml` extension; other files
    /// (README, LICENSE, ...) are ignored.
    pub fn build<I, P, B>(files: I) -> Result<(Index, Vec<LoadWarning>), IndexError>
    where
        I: IntoIterator<Item = (P, B)>,
        P: AsRef<str>,
        B: AsRef<[u8]>,
    {
        let mut records = Vec::new();
        let mut stats = IndexStats::default();
        let mut warnings = Vec::new();
        let mut warn = |path: &str, message: String| {
            warnings.push(LoadWarning {
                path: path.to_owned(),
                message,
            })
        };

        for (path, bytes) in files {
            let path = path.as_ref().trim_start_matches("./");
            let bytes = bytes.as_ref();
            if rustsec_db::is_advisory_path(path) {
                stats.files += 1;
                match rustsec_db::parse_file(path, bytes) {
                    Ok(RustSecFile::Crate(record)) => records.push(*record),
                    Ok(RustSecFile::Toolchain) => stats.toolchain += 1,
                    Ok(RustSecFile::Draft) => {}
                    Err(message) => {
                        stats.unreadable += 1;
                        warn(path, message);
                    }
                }
            } else if let Some(format) = OsvFormat::for_path(path) {
                stats.files += 1;
                match osv_db::parse_file(format, bytes) {
                    Ok(file) => {
                        for problem in file.problems {
                            warn(path, problem);
                        }
                        records.extend(file.records);
                    }
                    Err(message) => {
                        stats.unreadable += 1;
                        warn(path, message);
                    }
                }
            }
        }

        if records.is_empty() {
            return Err(IndexError::NoAdvisories {
                files: stats.files,
                unreadable: stats.unreadable,
            });
        }
        // A stable order makes the serialized index (and findings)
        // independent of the order the host listed files in.
        records.sort_by(|a, b| {
            (a.ecosystem, &a.package, &a.id, &a.release).cmp(&(
                b.ecosystem,
                &b.package,
                &b.id,
                &b.release,
            ))
        });
        stats.advisories = records.len();
        stats.withdrawn = records.iter().filter(|record| record.withdrawn).count();
        Ok((Index::from_parts(records, stats), warnings))
    }

    fn from_parts(records: Vec<AdvisoryRecord>, stats: IndexStats) -> Index {
        let mut by_package: HashMap<(EcosystemTag, String), Vec<usize>> = HashMap::new();
        let mut per_ecosystem: BTreeMap<Ecosystem, usize> = BTreeMap::new();
        let mut per_release: BTreeMap<(Ecosystem, String), usize> = BTreeMap::new();
        for (slot, record) in records.iter().enumerate() {
            *per_ecosystem.entry(record.ecosystem.into()).or_default() += 1;
            if let Some(release) = &record.release {
                *per_release
                    .entry((record.ecosystem.into(), release.clone()))
                    .or_default() += 1;
            }
            by_package
                .entry((record.ecosystem, record.package.clone()))
                .or_default()
                .push(slot);
        }
        Index {
            records,
            stats,
            by_package,
            per_ecosystem,
            per_release,
            label: None,
        }
    }

    /// How many advisories this index holds for `ecosystem` (withdrawn
    /// ones included): zero means its packages are not checked by it.
    pub fn advisories_in(&self, ecosystem: Ecosystem) -> usize {
        self.per_ecosystem.get(&ecosystem).copied().unwrap_or(0)
    }

    /// How many advisories this index holds for one release of a
    /// distribution (`Debian`, `12`), withdrawn ones included.
    pub fn advisories_in_release(&self, ecosystem: Ecosystem, release: &str) -> usize {
        self.per_release
            .get(&(ecosystem, release.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The releases of a distribution this index holds advisories for.
    pub fn releases(&self, ecosystem: Ecosystem) -> impl Iterator<Item = &str> + '_ {
        self.per_release
            .keys()
            .filter(move |(of, _)| *of == ecosystem)
            .map(|(_, release)| release.as_str())
    }

    /// The ecosystems this index holds advisories for, with their counts.
    pub fn ecosystems(&self) -> impl Iterator<Item = (Ecosystem, usize)> + '_ {
        self.per_ecosystem.iter().map(|(e, n)| (*e, *n))
    }

    /// The cache key under which to store this index for a data set at a
    /// revision (a git commit id, say). Includes the format version.
    pub fn cache_key(data_set: &str, revision: &str) -> String {
        format!("audit-index-v{INDEX_FORMAT_VERSION}-{data_set}-{revision}")
    }

    /// The serialized index (a short header, then postcard).
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            records: self.records.clone(),
            stats: self.stats.clone(),
        };
        let mut bytes = Vec::with_capacity(MAGIC.len() + 4);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&INDEX_FORMAT_VERSION.to_le_bytes());
        postcard::to_extend(&stored, bytes)
            .expect("plain structs of strings and numbers always serialize")
    }

    /// Reads bytes written by [`Index::to_bytes`]. Any damage, another
    /// format version or an empty index is an error (rebuild from the
    /// database), never an empty index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, IndexError> {
        let corrupt = |message: String| IndexError::Corrupt(message);
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| corrupt("missing header".to_owned()))?;
        let (version, payload) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt("truncated header".to_owned()))?;
        let version = u32::from_le_bytes(*version);
        if version != INDEX_FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {version}, expected {INDEX_FORMAT_VERSION}"
            )));
        }
        let (stored, trailing): (Stored, &[u8]) =
            postcard::take_from_bytes(payload).map_err(|error| corrupt(error.to_string()))?;
        if !trailing.is_empty() {
            return Err(corrupt(format!(
                "{} unexpected trailing bytes",
                trailing.len()
            )));
        }
        if stored.records.is_empty() || stored.records.len() != stored.stats.advisories {
            return Err(corrupt("advisory count does not match".to_owned()));
        }
        Ok(Index::from_parts(stored.records, stored.stats))
    }

    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// Advisories about one package (`name` already normalised).
    pub(crate) fn advisories_for(
        &self,
        ecosystem: EcosystemTag,
        name: &str,
    ) -> impl Iterator<Item = &AdvisoryRecord> {
        self.by_package
            .get(&(ecosystem, name.to_owned()))
            .into_iter()
            .flatten()
            .map(|&slot| &self.records[slot])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osv(id: &str, name: &str) -> (String, Vec<u8>) {
        let json = format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"PyPI","name":"{name}"}},
                "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2.0"}}]}}]}}]}}"#
        );
        (format!("vulns/{name}/{id}.json"), json.into_bytes())
    }

    #[test]
    fn round_trips_through_bytes() {
        let files = vec![
            osv("PYSEC-1", "a"),
            osv("PYSEC-2", "b"),
            ("README.md".into(), b"# hi".to_vec()),
        ];
        let (index, warnings) = Index::build(files).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(index.stats().advisories, 2);
        let bytes = index.to_bytes();
        let loaded = Index::from_bytes(&bytes).unwrap();
        assert_eq!(loaded.stats(), index.stats());
        assert_eq!(loaded.advisories_for(EcosystemTag::PyPI, "b").count(), 1);
        assert_eq!(loaded.advisories_for(EcosystemTag::PyPI, "c").count(), 0);
        assert_eq!(loaded.advisories_in(Ecosystem::PyPI), 2);
        assert_eq!(loaded.advisories_in(Ecosystem::Npm), 0);
        assert_eq!(
            loaded.ecosystems().collect::<Vec<_>>(),
            [(Ecosystem::PyPI, 2)]
        );
        // The label names the data set in reports; it is not serialized.
        assert_eq!(loaded.label(), None);
        assert_eq!(loaded.with_label("osv").label(), Some("osv"));
    }

    #[test]
    fn damaged_or_foreign_bytes_are_errors() {
        let (index, _) = Index::build(vec![osv("PYSEC-1", "a")]).unwrap();
        let bytes = index.to_bytes();
        for cut in [0, 4, MAGIC.len() + 2, bytes.len() / 2, bytes.len() - 1] {
            assert!(Index::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extended = bytes.clone();
        extended.push(0);
        assert!(Index::from_bytes(&extended).is_err());
        let mut other_version = bytes.clone();
        other_version[MAGIC.len()] ^= 0xff;
        assert!(
            matches!(Index::from_bytes(&other_version), Err(IndexError::Corrupt(m)) if m.contains("format version"))
        );
    }

    #[test]
    fn no_advisories_is_an_error_with_counts() {
        let empty: Vec<(String, Vec<u8>)> = vec![];
        assert_eq!(
            Index::build(empty).unwrap_err(),
            IndexError::NoAdvisories {
                files: 0,
                unreadable: 0
            }
        );
        let broken = vec![("vulns/a/X.json".to_owned(), b"{not json".to_vec())];
        assert_eq!(
            Index::build(broken).unwrap_err(),
            IndexError::NoAdvisories {
                files: 1,
                unreadable: 1
            }
        );
    }

    #[test]
    fn cache_keys_change_with_format_and_revision() {
        assert_ne!(
            Index::cache_key("rustsec", "abc"),
            Index::cache_key("rustsec", "abd")
        );
        assert!(Index::cache_key("rustsec", "abc").contains(&format!("v{INDEX_FORMAT_VERSION}")));
    }
}
