//! Detection engine of Cordon's `iac` stage: misconfigurations in
//! Terraform, CloudFormation, Kubernetes manifests, Dockerfiles and GitHub
//! Actions workflows.
//!
//! A plain library: it receives (workspace-relative path, bytes) pairs and
//! returns findings. It never opens files, spawns threads or uses the
//! network, so the same code runs natively and inside the stage's
//! WebAssembly component.
//!
//! Policies are data: `policies/<framework>.toml`, embedded at build time.
//! Each policy has an id, title, severity, theme, the resource kinds it
//! applies to, a condition (see [`Condition`] for the language),
//! remediation, references and vulnerable/fixed examples that the test
//! suite runs.
//!
//! ```
//! use cordon_iac_engine::Engine;
//!
//! let engine = Engine::new().unwrap();
//! let tf = "resource \"aws_ebs_volume\" \"data\" {\n  size = 10\n}\n";
//! let report = engine.scan(&[("infra/main.tf", tf)]);
//! let finding = report.findings().find(|f| f.rule_id == "iac/aws-ebs-unencrypted").unwrap();
//! assert_eq!(finding.resource, "aws_ebs_volume.data");
//! assert_eq!(finding.location.line, 1);
//! ```
//!
//! How results map onto the WIT contract (`cordon:stage/types`):
//!
//! | engine | WIT |
//! |---|---|
//! | [`Engine::policies`] (+ [`PARSE_ERROR_RULE`], [`SUPPRESSION_WITHOUT_REASON_RULE`], [`SUPPRESSION_UNKNOWN_RULE`]) | `rule` |
//! | [`Finding::rule_id`], [`Finding::severity`], [`Finding::message`] | `finding.rule-id`, `.severity`, `.message` |
//! | [`Finding::path`], [`Finding::location`] | `location.path`, `.region` (start line/column) |
//! | [`Finding::fingerprint`] | `finding.fingerprint` |
//! | [`Finding::resource`], [`Finding::theme`], remediation, references | `finding.properties` |
//! | [`FileScan::not_scanned`] | `skipped { path, reason }` |
//! | [`FileScan::suppressed`], [`FileScan::unevaluated`] | counted / listed under `--verbose` |
//! | [`ScanReport::inventory`] (serialised as JSON) | the `iac-inventory` artifact |
//!
//! The stage's options table arrives as JSON: [`IacConfig::from_json`], then
//! [`Engine::configure`]. A user's own policy files parse with
//! [`parse_policy_file`] and join the built-in ones through
//! [`Engine::with_policies`].

mod config;
mod dockerfile;
mod documents;
mod finding;
mod node;
mod policy;
mod scan;
mod suppress;
mod terraform;
mod unit;
mod yaml;

pub use config::{ConfigError, IacConfig, IgnoreConfig};
pub use finding::{
    FileScan, Finding, Framework, Inventory, InventoryFile, Location, Resource, ScanReport,
    Severity, Suppressed, Suppression, Theme, Unevaluated,
};
pub use policy::{
    Condition, Examples, POLICY_FILES, Policy, PolicyError, builtin_policies, parse_policy_file,
};
pub use scan::{
    Engine, PARSE_ERROR_RULE, SUPPRESSION_UNKNOWN_RULE, SUPPRESSION_WITHOUT_REASON_RULE,
    is_candidate,
};
