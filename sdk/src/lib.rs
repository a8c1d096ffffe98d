//! The Cordon plugin SDK.
//!
//! A stage is a type implementing [`Stage`] (two functions: `describe` and
//! `run`), exported with [`export_stage!`] and built for `wasm32-wasip2`:
//!
//! ```ignore
//! use cordon_sdk::prelude::*;
//!
//! struct Hello;
//!
//! impl Stage for Hello {
//!     fn describe() -> StageInfo {
//!         StageInfo::new("hello", env!("CARGO_PKG_VERSION"), "Says hello to every TODO")
//!             .rule(Rule::new("hello/todo", "TODO left in code", Severity::Low))
//!             .workspace()
//!     }
//!
//!     fn run(_options: String) -> Result<Summary, StageError> {
//!         let mut summary = Summary::default();
//!         for file in workspace::list_files(WalkOptions::default())? {
//!             let text = workspace::read(&file.path)?;
//!             // ...
//!             summary.files_scanned += 1;
//!         }
//!         Ok(summary)
//!     }
//! }
//!
//! cordon_sdk::export_stage!(Hello);
//! ```
//!
//! Every host call below goes through the runner, which checks it against
//! the grants in the pipeline file. Natively (in `cargo test`), the same
//! calls are served by [`testing::Harness`] with the same checks.

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "stage",
        path: "../wit",
        pub_export_macro: true,
        default_bindings_module: "cordon_sdk::bindings",
        export_macro_name: "__export_stage_bindings",
    });
}

mod builders;
mod host;
mod ranged;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use bindings::Guest as Stage;
pub use bindings::cordon::stage::artifacts::Artifact;
pub use bindings::cordon::stage::data::DataSetInfo;
pub use bindings::cordon::stage::git::AddedLines;
pub use bindings::cordon::stage::log::Level;
pub use bindings::cordon::stage::types::{
    AccessError, CapabilityRequest, Finding, Location, Region, Rule, Severity, Skipped, StageError,
    StageInfo, Summary,
};
pub use bindings::cordon::stage::workspace::{EntryKind, FileInfo, WalkOptions};
pub use builders::{fingerprint, options_table, redact};
pub use host::{artifacts, cache, data, findings, git, log, workspace};
pub use ranged::RangedFile;

/// Everything a stage usually needs, in one import.
pub mod prelude {
    pub use crate::{
        AccessError, Finding, Location, RangedFile, Region, Rule, Severity, Skipped, Stage,
        StageError, StageInfo, Summary, WalkOptions, artifacts, cache, data, findings, fingerprint,
        git, log, options_table, redact, workspace,
    };
}

/// Exports a type implementing [`Stage`] as the component's `stage` world.
#[macro_export]
macro_rules! export_stage {
    ($stage:ident) => {
        $crate::bindings::__export_stage_bindings!($stage with_types_in $crate::bindings);
    };
}
