//! What a Cordon run produced, and the formats it is reported in.
//!
//! The runner fills a [`RunReport`]; each module renders it one way:
//!
//! - [`sarif`]: SARIF 2.1.0 for GitHub code scanning;
//! - [`json`]: the model itself (schema in `docs/report-json.md`);
//! - [`junit`]: JUnit XML for CI test reporters;
//! - [`text`]: the terminal summary.
//!
//! [`merge`] puts the reports of a sharded run's jobs back together.
//!
//! [`RunReport::exit_code`] is the process exit code CI sees.

pub mod json;
pub mod junit;
pub mod merge;
pub mod model;
pub mod sarif;
pub mod text;

mod xml;

pub use model::*;
