//! Detection engine of Cordon's `secrets` stage.
//!
//! A plain library: it receives bytes (or a commit's added lines) and
//! returns redacted findings. It never opens files, spawns threads or uses
//! the network, so the same code runs natively and inside the stage's
//! WebAssembly component.
//!
//! ```
//! use cordon_secrets::{Scanner, ScannerConfig};
//!
//! let config = ScannerConfig::from_json(r#"{"allow-paths": ["docs/**"]}"#).unwrap();
//! let scanner = Scanner::new(config).unwrap();
//! let scan = scanner.scan_file("src/main.rs", b"fn main() {}\n");
//! assert!(scan.findings.is_empty());
//! assert!(scan.skipped.is_none());
//! ```
//!
//! How the results map onto the WIT contract (`cordon:stage/types`):
//!
//! | engine | WIT |
//! |---|---|
//! | [`Scanner::rules`] / [`BuiltinRule::descriptor`] ([`RuleDescriptor`]) | `rule` (same fields) |
//! | [`Finding::rule_id`], [`Finding::severity`], [`Finding::message`] | `finding.rule-id`, `.severity`, `.message` |
//! | [`Finding::path`], [`Finding::region`], [`Finding::byte_offset`] | `location.path`, `.region`, `.byte-offset` |
//! | [`Finding::fingerprint`] | `finding.fingerprint` |
//! | [`Finding::snippet`] (already redacted) | `finding.snippet` |
//! | [`Finding::properties`] + `decoded-via` + `redacted` | `finding.properties` |
//! | [`FileScan::skipped`] | `skipped { path, reason }` |
//! | [`FileScan::suppressed`] | counted / listed under `--verbose` |
//!
//! The commit of a history or pre-push scan is not known to the engine; the
//! stage sets `location.commit` for findings of [`Scanner::scan_lines`].
//!
//! Generic rules (and provider rules written `NAME = VALUE`) find their
//! values through one assignment grammar (`assignment.rs`), so every
//! assignment syntax it knows is found by all of them and masked in every
//! snippet.
//!
//! A repository's gitleaks setup carries over: `gitleaks:allow` comments
//! count like `cordon:allow`; [`GitleaksIgnore`] reads `.gitleaksignore`
//! and [`FileScan::apply_gitleaks_ignore`] applies it; [`GitleaksConfig`]
//! reads `.gitleaks.toml` rules and allow-lists into a [`ScannerConfig`].

pub mod archive;
mod assignment;
mod baseline;
mod catalogue;
mod checks;
mod config;
mod decode;
mod decoys;
mod entropy;
mod finding;
mod gitleaks;
mod keyword_dfa;
mod locate;
mod prefilter;
mod private_key;
mod redact;
mod scanner;
mod suppress;

pub use baseline::{Baseline, BaselineEntry, BaselineError};
pub use catalogue::{BUILTIN_RULES, BuiltinRule, Check, Matcher};
pub use config::{ConfigError, CustomRuleConfig, ScannerConfig};
pub use finding::{
    FileScan, Finding, Region, RuleDescriptor, Severity, Suppressed, SuppressionReason,
};
pub use gitleaks::{GitleaksConfig, GitleaksIgnore, gitleaks_rule_matches};
pub use scanner::Scanner;
pub use suppress::{GITLEAKS_ALLOW_MARKER, INLINE_ALLOW_MARKER};
