//! `hello`: the template Cordon plugin. It reports every TODO marker in the
//! granted files and, when an SBOM is available, writes a small report
//! artifact counting its components. Copy this crate to start a new stage.

use cordon_sdk::prelude::*;
use serde::{Deserialize, Serialize};

const RULE: &str = "hello/todo";
const REPORT: &str = "hello-report";

/// The stage's `[stages.NAME.options]` table. Unknown keys are an error, so a
/// typo in the pipeline file fails loudly instead of being ignored.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Options {
    /// The text to look for.
    marker: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            marker: "TODO".to_string(),
        }
    }
}

/// The `hello-report` artifact.
#[derive(Serialize)]
struct Report {
    todos: u64,
    sbom_components: Option<usize>,
}

struct Hello;

impl Stage for Hello {
    fn describe() -> StageInfo {
        StageInfo::new(
            "hello",
            env!("CARGO_PKG_VERSION"),
            "Reports TODO comments left in code",
        )
        .rule(
            Rule::new(RULE, "TODO comment left in code", Severity::Low)
                .help("Finish the work or track it in an issue, then remove the marker."),
        )
        .workspace()
        .reads_artifact("sbom")
        .writes_artifact(REPORT)
    }

    fn run(options: String) -> Result<Summary, StageError> {
        // A missing options table may arrive as `null`.
        let options: Option<Options> =
            serde_json::from_str(&options).map_err(StageError::options)?;
        let options = options.unwrap_or_default();
        if options.marker.is_empty() {
            return Err(StageError::InvalidOptions(
                "`marker` must not be empty".to_string(),
            ));
        }

        let mut summary = Summary::default();
        let mut todos = 0u64;
        for file in workspace::list_files(WalkOptions::default())? {
            let bytes = match workspace::read(&file.path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    summary.skip(&file.path, error.describe());
                    continue;
                }
            };
            let Some(text) = std::str::from_utf8(&bytes)
                .ok()
                .filter(|t| !t.contains('\0'))
            else {
                summary.skip(&file.path, "binary file");
                continue;
            };
            summary.files_scanned += 1;
            summary.bytes_scanned += bytes.len() as u64;
            for (index, line) in text.lines().enumerate() {
                for (byte, _) in line.match_indices(&options.marker) {
                    // Regions are 1-based and count Unicode scalar values.
                    let line_no = index as u32 + 1;
                    let column = line[..byte].chars().count() as u32 + 1;
                    let end = column + options.marker.chars().count() as u32;
                    let finding = Finding::new(
                        RULE,
                        Severity::Low,
                        format!("{} comment left in code", options.marker),
                    )
                    .at(&file.path)
                    .region(line_no, column, line_no, end)
                    .fingerprint(fingerprint(&[RULE, &file.path, line.trim()]));
                    findings::emit(&finding)?;
                    todos += 1;
                }
            }
        }

        // The SBOM is optional: without it (not granted, or no sbom stage ran)
        // the report says `null` instead of failing the stage.
        let sbom_components = match artifacts::get("sbom") {
            Ok(sbom) => {
                let json: serde_json::Value = serde_json::from_slice(&sbom.bytes)
                    .map_err(|e| StageError::Failed(format!("sbom artifact is not JSON: {e}")))?;
                json["components"].as_array().map(Vec::len)
            }
            Err(AccessError::Denied(_) | AccessError::NotFound(_)) => None,
            Err(other) => return Err(other.into()),
        };
        let report = serde_json::to_vec(&Report {
            todos,
            sbom_components,
        })
        .expect("plain struct");
        artifacts::put(REPORT, "application/json", &report)?;
        summary.note(format!("{todos} {} marker(s) found", options.marker));
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Hello);

#[cfg(test)]
mod tests;
