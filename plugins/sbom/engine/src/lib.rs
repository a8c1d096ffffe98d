//! Engine of Cordon's `sbom` stage: a CycloneDX 1.6 JSON document of
//! everything the workspace depends on and ships.
//!
//! Input is the workspace's parsed lockfiles (from `cordon-lockfiles`), the
//! lockfiles that failed to parse, and model files (from the `models`
//! stage's `model-inventory` artifact, or just path, size and hash). Output
//! is deterministic: the same input gives the same bytes, with a serial
//! number derived from the content and a timestamp only when one is given.
//!
//! Each lockfile component has one `cordon:lockfile` property per lockfile
//! that pins it, valued `<workspace-relative path>:<line>` (the 1-based line
//! of the package's entry, e.g. `Cargo.lock:123`), or just the path when the
//! lockfile gives the package no line. The `audit` stage reads it back to
//! report findings at the lockfile (`cordon_audit::inventories_from_cyclonedx`).
//! `metadata.properties` lists every lockfile read (`cordon:lockfile`, the
//! path alone) and every one that failed (`cordon:lockfile-error`).

mod assemble;
pub mod bom;
mod diagnostics;
pub mod diff;
mod identity;
mod installed;
mod license;
mod models;
mod purl;
mod read;
pub mod spdx;

use cordon_lockfiles::{Lockfile, ParseError};

pub use bom::Bom;
pub use diagnostics::{
    Diagnostic, INCOMPLETE_LOCKFILE, RULES, Rule, Severity, UNPARSABLE_LOCKFILE,
    lockfile_diagnostics,
};
pub use diff::{PackageChange, PackageVersion, SbomDiff, diff};
pub use installed::{
    InstalledPackage, apply_installed_licenses, is_installed_metadata, parse_installed_metadata,
};
pub use models::{ModelEntry, ModelFacts, looks_like_model_file, parse_model_inventory};
pub use purl::purl;
pub use spdx::{SPDX_MEDIA_TYPE, SpdxOptions, from_cyclonedx as spdx_from_cyclonedx};

/// Artifact name and media type the stage publishes the document under.
pub const SBOM_ARTIFACT: &str = "sbom";
pub const SBOM_MEDIA_TYPE: &str = "application/vnd.cyclonedx+json";

/// The workspace itself: `metadata.component` of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootComponent {
    pub name: String,
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Unix seconds for `metadata.timestamp` (the host passes
    /// `SOURCE_DATE_EPOCH`, or the current time when not reproducible);
    /// `None` leaves the timestamp out.
    pub timestamp: Option<i64>,
    /// The generating tool, for `metadata.tools` (`cordon` and its version).
    pub tool_name: String,
    pub tool_version: String,
}

/// Everything one document is made from.
#[derive(Debug, Clone)]
pub struct SbomRequest<'a> {
    pub root: RootComponent,
    pub lockfiles: &'a [Lockfile],
    /// Lockfiles that could not be parsed, recorded in `metadata.properties`
    /// so the document does not pass for complete.
    pub lockfile_errors: &'a [ParseError],
    pub models: &'a [ModelEntry],
    pub options: Options,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    #[error("timestamp out of range: {0}")]
    Timestamp(String),
    #[error("model inventory is not readable: {0}")]
    ModelInventory(String),
    #[error("could not serialise the SBOM: {0}")]
    Serialise(String),
    /// An input SBOM (for SPDX conversion or `sbom diff`) is not usable.
    #[error("unreadable SBOM: {0}")]
    Unreadable(String),
}

/// Builds the typed document, serial number included.
pub fn build_bom(request: &SbomRequest<'_>) -> Result<Bom, SbomError> {
    let mut bom = assemble::build(request)?;
    let content = serde_json::to_vec(&bom).map_err(|e| SbomError::Serialise(e.to_string()))?;
    bom.serial_number = Some(identity::serial_number(&content));
    Ok(bom)
}

/// The CycloneDX 1.6 JSON document (pretty-printed, newline-terminated).
pub fn generate(request: &SbomRequest<'_>) -> Result<Vec<u8>, SbomError> {
    let bom = build_bom(request)?;
    let mut bytes =
        serde_json::to_vec_pretty(&bom).map_err(|e| SbomError::Serialise(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}
