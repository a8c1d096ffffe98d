//! Tests against the shared RustSec and OSV PyPI snapshots (read-only,
//! beside the repository), as one test binary so the parsed indexes are
//! built once.

mod common;
mod coverage;
mod lockfiles;
mod malformed;
mod vex;
