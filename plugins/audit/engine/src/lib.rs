//! Detection engine of Cordon's `audit` stage: known-vulnerable, unsound
//! and unmaintained dependencies, from RustSec and OSV advisory databases,
//! matched offline against lockfile or SBOM packages.
//!
//! The engine never touches the filesystem or the network: the stage reads
//! the database and lockfiles through the host and hands over bytes.
//!
//! 1. [`Index::build`] parses a database once ([`Index::to_bytes`] and
//!    [`Index::from_bytes`] keep it in the stage cache under
//!    [`Index::cache_key`]).
//! 2. Packages come from `cordon_lockfiles::parse` (as [`Inventory`]) or
//!    from a CycloneDX SBOM ([`inventories_from_cyclonedx`], one inventory per
//!    lockfile the SBOM names).
//! 3. [`audit`] returns one [`Finding`] per (file, package, version,
//!    advisory), with rule entries and notes for the summary.

mod advisory;
mod audit;
mod config;
mod distro;
mod ecosystem;
mod index;
mod inventory;
mod osv_db;
mod osv_layout;
mod paths;
mod rustsec_db;
mod sbom;
mod severity;
mod upgrade;
mod version;
mod vex;
mod vex_out;

pub use audit::{
    AuditReport, DatabaseAge, Decision, DecisionOrigin, EcosystemCoverage, Finding,
    NOT_CHECKED_RULE, Rule, advisory_page, audit, database_age,
};
pub use config::{
    AuditConfig, ConfigError, Date, IgnoreRule, InformationalConfig, OPTION_KEYS, parse_date,
};
pub use cordon_lockfiles::Ecosystem;
pub use index::{INDEX_FORMAT_VERSION, Index, IndexError, IndexStats, LoadWarning};
pub use inventory::{Inventory, purl};
pub use osv_layout::OsvSelection;
pub use sbom::{LOCKFILE_PROPERTY, SbomError, SbomWarning, inventories_from_cyclonedx};
pub use severity::{
    DEFAULT_VULNERABILITY_SEVERITY, NOTICE_SEVERITY, Severity, UNMAINTAINED_SEVERITY,
    UNSOUND_SEVERITY,
};
pub use upgrade::Upgrade;
pub use vex::{OPENVEX_JUSTIFICATIONS, VexDocument, VexError, VexStatement, VexStatus, parse_vex};
pub use vex_out::{OPENVEX_CONTEXT, OPENVEX_MEDIA_TYPE, OpenVexOptions, openvex_from_decisions};
