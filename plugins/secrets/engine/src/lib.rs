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
//! let scanner = Scanner::new(ScannerConfig::default()).unwrap();
//! let scan = scanner.scan_file("src/main.rs", b"fn main() {}\n");
//! assert!(scan.findings.is_empty());
//! assert!(scan.skipped.is_none());
//! ```

mod baseline;
mod catalogue;
mod checks;
mod config;
mod decode;
mod decoys;
mod entropy;
mod finding;
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
pub use scanner::Scanner;
pub use suppress::INLINE_ALLOW_MARKER;
