//! Fetching and bookkeeping of Cordon's advisory data, kept apart from the
//! runner so it builds and tests natively without wasmtime.
//!
//! - [`OsvArchiveFetcher`] downloads OSV's published per-ecosystem archives
//!   (`<base>/<Ecosystem>/all.zip`), verifies them (every entry an OSV JSON
//!   record with an `id`, entry count and decompressed size bounded), and
//!   stores them as `<osv root>/<Ecosystem>/<ID>.json` with a
//!   [`Manifest`] beside the records. A new copy replaces the old one only
//!   once it is complete and verified, so a failed or partial download never
//!   replaces good data. Conditional requests (`If-None-Match`,
//!   `If-Modified-Since`) make an unchanged source a `304` that only
//!   refreshes the manifest's check time.
//! - [`workspace_ecosystems`] names the archives a workspace needs, from
//!   its lockfiles; [`ecosystem_archive_name`] checks a name given by hand.
//! - [`osv_status`] reads the manifests back: each source's age, record
//!   count and location, for `cordon db status`. [`SourceStatus::git`] puts
//!   a git-cloned database (RustSec) in the same shape; the caller supplies
//!   its last commit time, which the runner already reads with `git2`.

mod ecosystems;
mod manifest;
mod osv_archive;
mod status;

/// The time type of this crate's API, re-exported so callers need not
/// depend on `jiff` themselves.
pub use jiff;

pub use ecosystems::{ecosystem_archive_name, workspace_ecosystems};
pub use manifest::{MANIFEST_FILE, Manifest};
pub use osv_archive::{
    FetchError, Limits, OSV_ARCHIVE_BASE_URL, OsvArchiveFetcher, STAGING_DIR, UpdateOutcome,
    fetch_agent, validate_ecosystem,
};
pub use status::{SourceStatus, format_age, osv_status, render_status};
