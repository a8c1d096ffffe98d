//! `models`: Cordon's built-in ML model scanner as a `wasm32-wasip2`
//! component. A thin shell around the `cordon-models` engine: every granted
//! file is offered to the engine through ranged host reads (`read-at`), so
//! a multi-gigabyte model is never copied whole into guest memory; the
//! engine decides by content which files are models.
//!
//! Options (`[stages.models.options]`):
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `include-ignored` | `false` | also examine files `.gitignore` excludes |
//! | `sha256` | `true` | record every model file's SHA-256 in the inventory (hashed by the host) |
//! | `allow-globals` | `[]` | pickle globals (`module.Name`) to trust on top of the built-in allow-list; a built-in denied family (`os`, `subprocess`, ...) cannot be allowed |
//!
//! Writes the `model-inventory` artifact when the pipeline grants it; a
//! denied write is logged and noted, not an error (the findings stand on
//! their own).

use cordon_models::inventory::{INVENTORY_ARTIFACT, INVENTORY_MEDIA_TYPE, ModelInventory};
use std::sync::Arc;

use cordon_models::{Limits, ModelFinding, Policy};
use cordon_sdk::prelude::*;

#[derive(Debug)]
struct Options {
    include_ignored: bool,
    sha256: bool,
    allow_globals: Vec<String>,
}

fn parse_options(json: &str) -> Result<Options, StageError> {
    let table = options_table(json)?;
    let mut options = Options {
        include_ignored: false,
        sha256: true,
        allow_globals: Vec::new(),
    };
    for (key, value) in table {
        let slot = match key.as_str() {
            "include-ignored" => &mut options.include_ignored,
            "sha256" => &mut options.sha256,
            "allow-globals" => {
                options.allow_globals = value
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|item| item.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| {
                        StageError::InvalidOptions(
                            "`allow-globals` must be a list of \"module.Name\" strings".into(),
                        )
                    })?;
                continue;
            }
            _ => {
                return Err(StageError::InvalidOptions(format!(
                    "unknown option `{key}`; expected `include-ignored`, `sha256` or `allow-globals`"
                )));
            }
        };
        *slot = value
            .as_bool()
            .ok_or_else(|| StageError::InvalidOptions(format!("`{key}` must be true or false")))?;
    }
    Ok(options)
}

fn severity(severity: cordon_models::Severity) -> Severity {
    match severity {
        cordon_models::Severity::Info => Severity::Info,
        cordon_models::Severity::Low => Severity::Low,
        cordon_models::Severity::Medium => Severity::Medium,
        cordon_models::Severity::High => Severity::High,
        cordon_models::Severity::Critical => Severity::Critical,
    }
}

fn to_finding(path: &str, format: &str, finding: &ModelFinding) -> Finding {
    let mut out = Finding::new(
        &finding.rule_id,
        severity(finding.severity),
        &finding.message,
    )
    .at(path)
    .fingerprint(finding.fingerprint(path))
    .property("format", format)
    .property("subject", &finding.subject);
    // Facts such as the matching CVE (`cve`).
    for (key, value) in &finding.properties {
        out = out.property(key, value);
    }
    if let Some(member) = &finding.member {
        // The offset is then into the member's uncompressed data.
        out = out.member(member);
    }
    if let Some(offset) = finding.offset {
        out = out.byte_offset(offset);
    }
    out
}

struct Models;

impl Stage for Models {
    fn describe() -> StageInfo {
        StageInfo::new(
            "models",
            env!("CARGO_PKG_VERSION"),
            "Finds malicious and malformed ML model files (pickle, PyTorch and TorchScript, joblib, Keras, SavedModel, safetensors, GGUF, ONNX, also inside zip, tar, 7z and compressed files) and inventories them",
        )
        .rules(cordon_models::RULES.iter().map(|rule| {
            Rule::new(rule.id, rule.short_description, severity(rule.default_severity))
                .full_description(rule.full_description)
                .help(rule.help)
        }))
        .workspace()
        .writes_artifact(INVENTORY_ARTIFACT)
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let options = parse_options(&options)?;
        // The user's trusted globals extend the built-in allow-list; an
        // entry that names a denied family is rejected, not silently kept.
        let policy = Policy::with_allowed_globals(&options.allow_globals)
            .map_err(|error| StageError::InvalidOptions(format!("`allow-globals`: {error}")))?;
        let limits = Limits {
            pickle_policy: Arc::new(policy),
            ..Limits::default()
        };
        let mut summary = Summary::default();
        let mut inventory = Vec::new();
        let mut emitted = 0u64;
        let mut over_limit = 0u64;

        // Hidden files too: model caches such as `.cache/` hold weights.
        let files = workspace::list_files(WalkOptions {
            include_ignored: options.include_ignored,
            include_hidden: true,
        })?;
        for file in files {
            let source = RangedFile::new(&file.path, file.size);
            let scan = cordon_models::scan(&file.path, &source, &limits);
            let unreadable = source.take_error();
            let Some(scan) = scan else {
                // Not a model by content or name, unless the sniff itself
                // failed: then it was not examined at all.
                match unreadable {
                    Some(error) => summary.skip(&file.path, error.describe()),
                    None => {
                        summary.files_scanned += 1;
                        summary.bytes_scanned += source.bytes_read();
                    }
                }
                continue;
            };
            let format = scan.format.as_str();
            for finding in &scan.findings {
                if over_limit > 0 {
                    over_limit += 1;
                    continue;
                }
                match findings::emit(&to_finding(&file.path, format, finding)) {
                    Ok(()) => emitted += 1,
                    Err(AccessError::Limit(_)) => over_limit += 1,
                    Err(error) => return Err(error.into()),
                }
            }
            if let Some(mut entry) = scan.inventory {
                if options.sha256 && unreadable.is_none() {
                    // The host hashes the file natively: a 10 GiB model
                    // costs the sandbox one call, not 10 GiB of reads.
                    match workspace::sha256(&file.path) {
                        Ok(digest) => entry.sha256 = Some(digest),
                        Err(error) => summary.note(format!(
                            "{}: no SHA-256 for the inventory ({error:?})",
                            file.path
                        )),
                    }
                }
                inventory.push(entry);
            }
            match unreadable {
                // Findings up to the failed read were emitted; the file as a
                // whole was not fully examined.
                Some(error) => {
                    summary.skip(&file.path, format!("{format} model: {}", error.describe()))
                }
                None => {
                    summary.files_scanned += 1;
                    summary.bytes_scanned += source.bytes_read();
                }
            }
        }

        summary.note(format!("{} model file(s) found", inventory.len()));
        let document = ModelInventory::new(inventory);
        let bytes = serde_json::to_vec_pretty(&document)
            .map_err(|error| StageError::Failed(format!("model inventory: {error}")))?;
        match artifacts::put(INVENTORY_ARTIFACT, INVENTORY_MEDIA_TYPE, &bytes) {
            Ok(()) => {}
            Err(AccessError::Denied(reason)) => {
                log::info(&format!(
                    "`{INVENTORY_ARTIFACT}` artifact not written (not granted): {reason}"
                ));
                summary.note(format!(
                    "`{INVENTORY_ARTIFACT}` artifact not written: the pipeline does not grant it"
                ));
            }
            Err(error) => return Err(error.into()),
        }
        if over_limit > 0 {
            summary.note(format!(
                "finding limit reached: {over_limit} further finding(s) were not reported"
            ));
        }
        log::info(&format!(
            "{emitted} finding(s) in {} model file(s)",
            document.models.len()
        ));
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Models);

#[cfg(test)]
mod tests;
