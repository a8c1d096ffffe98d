//! `sbom`: Cordon's built-in SBOM generator as a `wasm32-wasip2` component.
//! A thin shell around the `cordon-sbom` engine: it finds lockfiles (and
//! `Cargo.toml` manifests and installed packages' `node_modules/*/package.json`
//! and `*.dist-info/METADATA`, for licences) through the host, reads
//! crates.io packages' licences from the `cargo-registry` data set (the
//! crate sources cargo unpacked) when it is granted, takes model files
//! from the `models` stage's `model-inventory` artifact when there is one
//! (else reads their headers itself, with ranged reads), and publishes a
//! CycloneDX 1.6 JSON document as the `sbom` artifact.
//!
//! Options (`[stages.sbom.options]`):
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `name` | `"workspace"` | name of the root component (`metadata.component`) |
//! | `version` | none | version of the root component |
//! | `reproducible` | `false` | leave the timestamp out, so equal input gives equal bytes |
//! | `timestamp` | none | `metadata.timestamp` as Unix seconds (e.g. `SOURCE_DATE_EPOCH`); wins over `reproducible` |
//! | `include-ignored` | `false` | also consider files `.gitignore` excludes (`node_modules` and virtual environments usually are: set it to take licences from installed packages) |
//!
//! The host passes no environment to a stage, so `SOURCE_DATE_EPOCH` must be
//! given as `timestamp`. Without either option the current time is used.

use std::time::{SystemTime, UNIX_EPOCH};

use cordon_lockfiles::{
    CargoManifest, Lockfile, ParseError, apply_manifest_licenses, apply_registry_licenses, detect,
    parse_cargo_manifest, parse_with_reader,
};
use cordon_models::Limits;
use cordon_models::inventory::INVENTORY_ARTIFACT;
use cordon_sbom::{
    InstalledPackage, ModelEntry, RootComponent, SBOM_ARTIFACT, SBOM_MEDIA_TYPE, SbomRequest,
    apply_installed_licenses, generate, is_installed_metadata, lockfile_diagnostics,
    looks_like_model_file, parse_installed_metadata, parse_model_inventory,
};
use cordon_sdk::prelude::*;

/// The crate sources cargo unpacked (`$CARGO_HOME/registry/src/<crates.io>`).
const CARGO_REGISTRY: &str = "cargo-registry";

/// crates.io packages' licences from their published `Cargo.toml` in the
/// `cargo-registry` data set; what could not be found is said, not hidden.
fn registry_licenses(lockfiles: &mut [Lockfile], summary: &mut Summary) {
    let unlicensed = |lockfiles: &[Lockfile]| -> usize {
        lockfiles
            .iter()
            .flat_map(|lockfile| &lockfile.packages)
            .filter(|package| {
                package.ecosystem == cordon_lockfiles::Ecosystem::CratesIo
                    && package.license.is_none()
                    && package.source == (cordon_lockfiles::Source::Registry { url: None })
            })
            .count()
    };
    let wanted = unlicensed(lockfiles);
    if wanted == 0 {
        return;
    }
    if let Err(error) = data::info(CARGO_REGISTRY) {
        summary.note(format!(
            "licences of {wanted} crates.io package(s) not read: {} (cargo unpacks crate sources on `cargo fetch` or a build)",
            error.describe()
        ));
        return;
    }
    let found: usize = lockfiles
        .iter_mut()
        .map(|lockfile| {
            apply_registry_licenses(lockfile, |path| data::read(CARGO_REGISTRY, path).ok())
        })
        .sum();
    summary.note(format!(
        "{found} crates.io licence(s) from the local cargo registry"
    ));
    let missing = unlicensed(lockfiles);
    if missing > 0 {
        summary.note(format!(
            "{missing} crates.io package(s) without a licence: not unpacked in the local cargo registry, or no `license` in their manifest"
        ));
    }
}

#[derive(Debug)]
struct Options {
    name: String,
    version: Option<String>,
    reproducible: bool,
    timestamp: Option<i64>,
    include_ignored: bool,
}

fn parse_options(json: &str) -> Result<Options, StageError> {
    let table = options_table(json)?;
    let mut options = Options {
        name: "workspace".into(),
        version: None,
        reproducible: false,
        timestamp: None,
        include_ignored: false,
    };
    let invalid =
        |key: &str, what: &str| StageError::InvalidOptions(format!("`{key}` must be {what}"));
    for (key, value) in table {
        match key.as_str() {
            "name" => {
                options.name = value
                    .as_str()
                    .filter(|name| !name.trim().is_empty())
                    .ok_or_else(|| invalid(&key, "a non-empty string"))?
                    .to_string();
            }
            "version" => {
                options.version = Some(
                    value
                        .as_str()
                        .ok_or_else(|| invalid(&key, "a string"))?
                        .to_string(),
                );
            }
            "reproducible" => {
                options.reproducible = value
                    .as_bool()
                    .ok_or_else(|| invalid(&key, "true or false"))?;
            }
            "timestamp" => {
                options.timestamp = Some(
                    value
                        .as_i64()
                        .filter(|&seconds| seconds >= 0)
                        .ok_or_else(|| invalid(&key, "Unix seconds (a non-negative integer)"))?,
                );
            }
            "include-ignored" => {
                options.include_ignored = value
                    .as_bool()
                    .ok_or_else(|| invalid(&key, "true or false"))?;
            }
            _ => {
                return Err(StageError::InvalidOptions(format!(
                    "unknown option `{key}`; expected one of `name`, `version`, `reproducible`, `timestamp`, `include-ignored`"
                )));
            }
        }
    }
    Ok(options)
}

/// A model file without an inventory entry: its header as the models engine
/// reads it, plus the SHA-256 of the whole file (hashed by the host).
fn model_from_headers(path: &str, size: u64, summary: &mut Summary) -> Option<ModelEntry> {
    let source = RangedFile::new(path, size);
    let scanned =
        cordon_models::scan(path, &source, &Limits::default()).and_then(|scan| scan.inventory);
    let sha256 = workspace::sha256(path).ok();
    if let Some(error) = source.take_error() {
        summary.skip(path, format!("model file: {}", error.describe()));
        return None;
    }
    summary.files_scanned += 1;
    summary.bytes_scanned += source.bytes_read();
    let entry = match scanned {
        // The models engine's entry goes through the artifact's JSON shape,
        // exactly as the `model-inventory` artifact would hand it over.
        Some(mut entry) => {
            entry.sha256 = sha256.clone();
            serde_json::to_vec(&[entry])
                .ok()
                .and_then(|json| parse_model_inventory(&json).ok())
                .and_then(|mut entries| entries.pop())
        }
        None => None,
    };
    Some(entry.unwrap_or_else(|| ModelEntry::from_file(path, size, sha256)))
}

/// Models from the `model-inventory` artifact, or `None` when the pipeline
/// has none for this stage (then the stage reads headers itself).
fn inventory_models() -> Result<Option<Vec<ModelEntry>>, StageError> {
    match artifacts::get(INVENTORY_ARTIFACT) {
        Ok(artifact) => parse_model_inventory(&artifact.bytes)
            .map(Some)
            .map_err(|error| {
                StageError::Failed(format!("`{INVENTORY_ARTIFACT}` artifact: {error}"))
            }),
        Err(AccessError::NotFound(_) | AccessError::Denied(_)) => Ok(None),
        Err(error) => Err(StageError::Failed(format!(
            "`{INVENTORY_ARTIFACT}` artifact: {}",
            error.describe()
        ))),
    }
}

fn severity(severity: cordon_sbom::Severity) -> Severity {
    match severity {
        cordon_sbom::Severity::Info => Severity::Info,
        cordon_sbom::Severity::Low => Severity::Low,
        cordon_sbom::Severity::Medium => Severity::Medium,
        cordon_sbom::Severity::High => Severity::High,
        cordon_sbom::Severity::Critical => Severity::Critical,
    }
}

fn now() -> Result<i64, StageError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|since| i64::try_from(since.as_secs()).ok())
        .ok_or_else(|| StageError::Failed("the clock is before 1970".into()))
}

struct Sbom;

impl Stage for Sbom {
    fn describe() -> StageInfo {
        StageInfo::new(
            "sbom",
            env!("CARGO_PKG_VERSION"),
            "Writes a CycloneDX 1.6 SBOM of the workspace's lockfiles and ML model files",
        )
        .rules(cordon_sbom::RULES.iter().map(|rule| {
            Rule::new(
                rule.id,
                rule.short_description,
                severity(rule.default_severity),
            )
            .full_description(rule.full_description)
            .help(rule.help)
        }))
        .workspace()
        .reads_artifact(INVENTORY_ARTIFACT)
        .writes_artifact(SBOM_ARTIFACT)
        .data(CARGO_REGISTRY)
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let options = parse_options(&options)?;
        let timestamp = match (options.timestamp, options.reproducible) {
            (Some(seconds), _) => Some(seconds),
            (None, true) => None,
            (None, false) => Some(now()?),
        };
        let mut summary = Summary::default();
        let inventory = inventory_models()?;

        // Hidden folders are walked for installed-package metadata only: a
        // virtual environment is usually `.venv` (uv, Poetry in-project,
        // Rye, `python -m venv .venv`) and pnpm keeps packages under
        // `node_modules/.pnpm`, and their metadata carries the licences.
        // Lockfiles and model files in hidden folders stay out, as before.
        let files = workspace::list_files(WalkOptions {
            include_ignored: options.include_ignored,
            include_hidden: true,
        })?;
        let mut lockfiles: Vec<Lockfile> = Vec::new();
        let mut errors: Vec<ParseError> = Vec::new();
        let mut manifests: Vec<(String, CargoManifest)> = Vec::new();
        let mut models: Vec<ModelEntry> = Vec::new();
        let mut installed: Vec<InstalledPackage> = Vec::new();
        for file in &files {
            let path = file.path.as_str();
            if is_installed_metadata(path) {
                // Only the licence is taken; an unreadable file leaves it
                // missing, as it was.
                match workspace::read(path) {
                    Ok(bytes) => installed.extend(parse_installed_metadata(path, &bytes)),
                    Err(error) => summary.skip(path, error.describe()),
                }
                continue;
            }
            if is_hidden(path) {
                continue;
            }
            let kind = detect(path);
            let manifest = path == "Cargo.toml" || path.ends_with("/Cargo.toml");
            if kind.is_none() && !manifest {
                if inventory.is_none() && looks_like_model_file(path) {
                    models.extend(model_from_headers(path, file.size, &mut summary));
                }
                continue;
            }
            let bytes = match workspace::read(path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    summary.skip(path, error.describe());
                    continue;
                }
            };
            summary.files_scanned += 1;
            summary.bytes_scanned += bytes.len() as u64;
            if kind.is_some() {
                // Files a lockfile names (`go.sum`, `-r` includes) are read
                // through the host, within the stage's grant.
                let mut read = |other: &str| workspace::read(other).ok();
                match parse_with_reader(path, &bytes, &mut read) {
                    Ok(lockfile) => lockfiles.push(lockfile),
                    Err(error) => errors.push(error),
                }
            } else {
                match parse_cargo_manifest(path, &bytes) {
                    Ok(parsed) => manifests.push((path.to_string(), parsed)),
                    // Only licences come from manifests: the SBOM is still
                    // complete, but say which licences may be missing.
                    Err(error) => {
                        summary.note(format!("licences from {path} not read: {}", error.message))
                    }
                }
            }
        }

        // Installed packages are usually ignored by git (`node_modules`,
        // `.venv`), yet their metadata carries the licences that peers
        // report. When npm or Python packages were read and none of their
        // metadata was listed, the ignored files are listed too, for that
        // metadata alone (a Rust-only workspace never pays for walking
        // `target/`).
        if !options.include_ignored
            && installed.is_empty()
            && lockfiles.iter().any(|lockfile| {
                matches!(
                    lockfile.kind.ecosystem(),
                    cordon_lockfiles::Ecosystem::Npm | cordon_lockfiles::Ecosystem::PyPI
                )
            })
        {
            let ignored = workspace::list_files(WalkOptions {
                include_ignored: true,
                include_hidden: true,
            })?;
            let mut read_from_ignored = 0usize;
            for file in ignored.iter().filter(|f| is_installed_metadata(&f.path)) {
                if let Ok(bytes) = workspace::read(&file.path) {
                    installed.extend(parse_installed_metadata(&file.path, &bytes));
                    read_from_ignored += 1;
                }
            }
            if read_from_ignored > 0 {
                summary.note(format!(
                    "installed-package metadata read from {read_from_ignored} file(s) that .gitignore excludes, for licences only"
                ));
            }
        }

        // Workspace members' licences come from the manifests under each
        // Cargo.lock's directory.
        for lockfile in &mut lockfiles {
            let dir = lockfile.path.trim_end_matches("Cargo.lock");
            let in_workspace: Vec<CargoManifest> = manifests
                .iter()
                .filter(|(path, _)| path.starts_with(dir))
                .map(|(_, manifest)| manifest.clone())
                .collect();
            apply_manifest_licenses(lockfile, &in_workspace);
        }
        registry_licenses(&mut lockfiles, &mut summary);
        let from_installed = apply_installed_licenses(&mut lockfiles, &installed);
        if from_installed > 0 {
            summary.note(format!(
                "{from_installed} licence(s) from installed package metadata"
            ));
        }

        let from_inventory = inventory.is_some();
        if let Some(entries) = inventory {
            models = entries;
        }
        let document = generate(&SbomRequest {
            root: RootComponent {
                name: options.name.clone(),
                version: options.version.clone(),
            },
            lockfiles: &lockfiles,
            lockfile_errors: &errors,
            models: &models,
            options: cordon_sbom::Options {
                timestamp,
                tool_name: "cordon".into(),
                tool_version: env!("CARGO_PKG_VERSION").into(),
            },
        })
        .map_err(|error| StageError::Failed(error.to_string()))?;
        artifacts::put(SBOM_ARTIFACT, SBOM_MEDIA_TYPE, &document)?;

        let mut over_limit = 0u64;
        for diagnostic in lockfile_diagnostics(&lockfiles, &errors) {
            let mut finding = Finding::new(
                diagnostic.rule_id,
                severity(diagnostic.severity),
                &diagnostic.message,
            )
            .at(&diagnostic.path)
            .fingerprint(&diagnostic.fingerprint);
            if let Some(line) = diagnostic.line {
                let column = diagnostic.column.unwrap_or(1);
                finding = finding.region(line, column, line, column);
            }
            for (key, value) in &diagnostic.properties {
                finding = finding.property(key, value);
            }
            if over_limit > 0 {
                over_limit += 1;
                continue;
            }
            match findings::emit(&finding) {
                Ok(()) => {}
                Err(AccessError::Limit(_)) => over_limit += 1,
                Err(error) => return Err(error.into()),
            }
        }

        let packages: usize = lockfiles.iter().map(|l| l.packages.len()).sum();
        summary.note(format!(
            "{} lockfile(s) with {packages} package(s), {} unparsable; {} model file(s) ({})",
            lockfiles.len(),
            errors.len(),
            models.len(),
            if from_inventory {
                "from the model-inventory artifact"
            } else {
                "from their headers"
            }
        ));
        if over_limit > 0 {
            summary.note(format!(
                "finding limit reached: {over_limit} further finding(s) were not reported"
            ));
        }
        log::info(&format!("sbom artifact written: {} bytes", document.len()));
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Sbom);

/// Whether a file or one of its folders is hidden (its name starts with
/// `.`), as the workspace walk judges it.
fn is_hidden(path: &str) -> bool {
    path.split('/').any(|part| part.starts_with('.'))
}

#[cfg(test)]
mod tests;
