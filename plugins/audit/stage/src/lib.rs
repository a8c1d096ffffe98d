//! `audit`: Cordon's built-in dependency audit as a `wasm32-wasip2`
//! component. A thin shell around the `cordon-audit` engine: it loads the
//! `rustsec` and `osv` data sets through the host (parsed once, then kept in
//! the stage cache), takes packages from the `sbom` artifact when there is
//! one and from the workspace's lockfiles otherwise, and emits one finding
//! per (file, package, version, advisory).
//!
//! Findings point at the lockfile either way: the `sbom` stage records, per
//! component, each lockfile pinning it and the line of its entry there
//! (`cordon:lockfile` = `Cargo.lock:123`), so a finding reads
//! `Cargo.lock:123:1` whether the packages came from the artifact or from
//! the lockfile. Components without that property (an SBOM made by another
//! tool) are located at `artifact:sbom`, at the line of their purl in it.
//!
//! Options are exactly the engine's `AuditConfig`, in kebab-case like every
//! stage's (`informational`, `ignore`, `max-database-age-days`; unknown keys
//! are rejected).
//!
//! Databases: each of `rustsec` and `osv` may be missing or not granted as
//! long as the other loads; the notes say which were used. With neither the
//! stage fails: an audit against no database is never reported as clean.
//! Packages are read first, so an `osv` data set stored one directory per
//! ecosystem (as `cordon db update` fetches it) is read only for the
//! workspace's ecosystems ([`OsvSelection`]).
//!
//! VEX out: with the option `vex-out = true` the stage also puts an
//! OpenVEX 0.2.0 document of its own decisions (ignores with their reasons
//! and expiry, the VEX statements it applied) as the `openvex` artifact,
//! media type `application/vnd.openvex+json`. A run without decisions puts
//! none and says so in the notes.
//!
//! Rules: each advisory is its own rule (`RUSTSEC-…`, `PYSEC-…`), known
//! only once the database is read, so `describe` lists none; every finding
//! carries its advisory's title and help as `rule-*` properties instead.

use cordon_audit::{
    AuditConfig, AuditReport, Date, Index, Inventory, OPENVEX_MEDIA_TYPE, OpenVexOptions,
    OsvSelection, audit, database_age, inventories_from_cyclonedx, openvex_from_decisions,
};
use cordon_lockfiles::{detect, parse_with_reader};
use cordon_sdk::prelude::*;

/// The data sets the stage asks for, in the order they are reported.
const DATA_SETS: [&str; 2] = ["rustsec", "osv"];
const SBOM_ARTIFACT: &str = "sbom";
/// The artifact `vex-out` writes (see the crate documentation).
const VEX_ARTIFACT: &str = "openvex";
/// Where findings for `sbom` artifact components that name no lockfile are
/// located (the artifact, not a workspace file).
const SBOM_PATH: &str = "artifact:sbom";
/// Warnings of one database listed one by one before being counted.
const MAX_LISTED_WARNINGS: usize = 10;

fn severity(severity: cordon_audit::Severity) -> Severity {
    match severity {
        cordon_audit::Severity::Info => Severity::Info,
        cordon_audit::Severity::Low => Severity::Low,
        cordon_audit::Severity::Medium => Severity::Medium,
        cordon_audit::Severity::High => Severity::High,
        cordon_audit::Severity::Critical => Severity::Critical,
    }
}

fn parse_options(json: &str) -> Result<AuditConfig, StageError> {
    let trimmed = json.trim();
    let json = if trimmed.is_empty() || trimmed == "null" {
        "{}"
    } else {
        trimmed
    };
    let mut value: serde_json::Value = serde_json::from_str(json)
        .map_err(|error| StageError::InvalidOptions(error.to_string()))?;
    // `vex-documents` is the host's: the VEX files the operator named with
    // `--vex`, as `{path, content}` (a stage opens no file of its own).
    let documents = value
        .as_object_mut()
        .and_then(|table| table.remove("vex-documents"));
    let mut config = AuditConfig::from_json(&value.to_string())
        .map_err(|error| StageError::InvalidOptions(error.0))?;
    if let Some(documents) = documents {
        let documents = documents
            .as_array()
            .ok_or_else(|| StageError::InvalidOptions("`vex-documents` must be a list".into()))?;
        for document in documents {
            let path = document["path"].as_str().unwrap_or("vex");
            let content = document["content"].as_str().ok_or_else(|| {
                StageError::InvalidOptions(format!("`vex-documents`: {path} has no content"))
            })?;
            let parsed = cordon_audit::parse_vex(path, content.as_bytes())
                .map_err(|error| StageError::InvalidOptions(error.to_string()))?;
            config.add_vex(parsed);
        }
    }
    Ok(config)
}

/// Whether a data-set file can hold advisories (RustSec `.md`, OSV JSON or
/// YAML); nothing else is read.
fn is_advisory_file(path: &str) -> bool {
    [".md", ".json", ".yaml", ".yml"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Whether `path` is the manifest of a fetched ecosystem directory.
fn is_source_manifest(path: &str) -> bool {
    path.split_once('/')
        .is_some_and(|(_, rest)| rest == SOURCE_MANIFEST)
}

/// The cache key of a data set: its git revision when it has one, else a
/// digest of every advisory file's path and size, so any change to the
/// files (added, removed, edited to another length) builds a new index.
fn cache_key(name: &str, revision: Option<&str>, files: &[FileInfo]) -> String {
    match revision {
        Some(revision) => Index::cache_key(name, revision),
        None => {
            let listing: String = files
                .iter()
                .map(|file| format!("{}\0{}\n", file.path, file.size))
                .collect();
            Index::cache_key(name, &format!("files-{}", fingerprint(&[&listing])))
        }
    }
}

use cordon_sdk::FileInfo;

/// One loaded database and what the summary should say about it.
struct Database {
    name: &'static str,
    index: Index,
}

/// File name of the manifest `cordon db update` keeps in each fetched
/// ecosystem directory (`<Ecosystem>/manifest.toml`).
const SOURCE_MANIFEST: &str = "manifest.toml";

/// What became of one data set.
enum Loaded {
    Database(Database),
    /// Absent or not granted, and why.
    Missing(String),
    /// There, but holding nothing for the workspace's ecosystems.
    NotNeeded(String),
}

/// Loads data set `name`: [`Loaded::Missing`] when it is absent or not
/// granted, an error when it is there but unusable. With a `selection`,
/// only the files it wants are read.
fn load_database(
    name: &'static str,
    config: &AuditConfig,
    today: Date,
    selection: Option<&OsvSelection>,
    summary: &mut Summary,
) -> Result<Loaded, StageError> {
    let info = match data::info(name) {
        Ok(info) => info,
        Err(error @ (AccessError::Denied(_) | AccessError::NotFound(_))) => {
            return Ok(Loaded::Missing(format!("{name}: {}", error.describe())));
        }
        Err(error) => {
            return Err(StageError::Failed(format!(
                "data set `{name}`: {}",
                error.describe()
            )));
        }
    };
    let age = database_age(name, info.updated_at, today, config.max_database_age_days);
    if age.stale {
        log::warn(&age.note);
    }
    summary.note(age.note);

    // A git checkout is named by its revision: with that revision's index
    // cached, the data set need not even be listed (thousands of files).
    if selection.is_none()
        && let Some(revision) = info.revision.as_deref()
        && let Some(database) = cached_index(name, &cache_key(name, Some(revision), &[]))
    {
        return Ok(Loaded::Database(database));
    }

    let listed = data::list_files(name, "")
        .map_err(|error| StageError::Failed(format!("data set `{name}`: {}", error.describe())))?;
    let mut files = Vec::new();
    let mut manifests = Vec::new();
    let mut not_selected = 0usize;
    for file in listed {
        let advisory = is_advisory_file(&file.path);
        let manifest = is_source_manifest(&file.path);
        if !advisory && !manifest {
            continue;
        }
        if !selection.is_none_or(|selection| selection.wants(&file.path)) {
            not_selected += usize::from(advisory);
        } else if manifest {
            manifests.push(file);
        } else {
            files.push(file);
        }
    }
    if let Some(selection) = selection
        && not_selected > 0
    {
        summary.note(format!(
            "{name}: read for {} only; {not_selected} file(s) of other ecosystems not read",
            selection.key()
        ));
        if files.is_empty() {
            // Data for other ecosystems only: the workspace's packages get
            // "not checked" findings, and the stage does not fail as if
            // no database had been granted.
            return Ok(Loaded::NotNeeded(format!(
                "{name}: no advisory data for this workspace's ecosystems ({}); fetch it with `cordon db update`",
                selection.key()
            )));
        }
    }
    let key = match selection {
        Some(selection) => {
            // The selection is part of the key: an index of npm data must
            // not serve a Python workspace. A fetched archive's manifest
            // names its content (`sha256`), so a refresh whose files kept
            // their sizes still builds a new index, while a `304` (which
            // only moves `checked-at`) keeps the cached one.
            let mut parts = vec![selection.key()];
            for manifest in &manifests {
                let bytes = data::read(name, &manifest.path).unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                let digest: Vec<&str> = text
                    .lines()
                    .filter(|line| line.starts_with("sha256"))
                    .collect();
                parts.push(format!("{}\0{}", manifest.path, digest.join("\n")));
            }
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let tag = fingerprint(&parts);
            let revision = info.revision.as_deref().map(|r| format!("{r}-{tag}"));
            cache_key(&format!("{name}-{tag}"), revision.as_deref(), &files)
        }
        None => cache_key(name, info.revision.as_deref(), &files),
    };
    if let Some(database) = cached_index(name, &key) {
        return Ok(Loaded::Database(database));
    }

    let mut contents = Vec::with_capacity(files.len());
    let mut unread = Vec::new();
    for file in &files {
        match data::read(name, &file.path) {
            Ok(bytes) => contents.push((file.path.clone(), bytes)),
            Err(error) => unread.push(format!("{}: {}", file.path, error.describe())),
        }
    }
    let (index, warnings) = Index::build(contents)
        .map_err(|error| StageError::Failed(format!("data set `{name}`: {error}")))?;
    let mut problems: Vec<String> = unread;
    problems.extend(
        warnings
            .into_iter()
            .map(|w| format!("{}: {}", w.path, w.message)),
    );
    if !problems.is_empty() {
        // Advisories in these files are missing from the index: say so.
        for problem in problems.iter().take(MAX_LISTED_WARNINGS) {
            summary.note(format!("{name} database: {problem}"));
        }
        if problems.len() > MAX_LISTED_WARNINGS {
            summary.note(format!(
                "{name} database: {} more file(s) with problems",
                problems.len() - MAX_LISTED_WARNINGS
            ));
        }
    }
    if let Err(error) = cache::put(&key, &index.to_bytes()) {
        log::info(&format!(
            "{name}: advisory index not cached: {}",
            error.describe()
        ));
    }
    Ok(Loaded::Database(Database {
        name,
        index: index.with_label(name),
    }))
}

/// The advisory index cached under `key`, if there is a readable one.
fn cached_index(name: &'static str, key: &str) -> Option<Database> {
    let bytes = cache::get(key)?;
    match Index::from_bytes(&bytes) {
        Ok(index) => {
            log::debug(&format!(
                "{name}: advisory index loaded from the cache ({key})"
            ));
            Some(Database {
                name,
                index: index.with_label(name),
            })
        }
        Err(error) => {
            log::info(&format!("{name}: rebuilding the advisory index: {error}"));
            None
        }
    }
}

/// Packages from the `sbom` artifact, one inventory per lockfile it names
/// (see the crate documentation), or `None` when there is no artifact.
fn sbom_inventories(summary: &mut Summary) -> Result<Option<Vec<Inventory>>, StageError> {
    let artifact = match artifacts::get(SBOM_ARTIFACT) {
        Ok(artifact) => artifact,
        Err(AccessError::NotFound(_) | AccessError::Denied(_)) => return Ok(None),
        Err(error) => {
            return Err(StageError::Failed(format!(
                "`{SBOM_ARTIFACT}` artifact: {}",
                error.describe()
            )));
        }
    };
    let (inventories, warnings) = inventories_from_cyclonedx(SBOM_PATH, &artifact.bytes)
        .map_err(|error| StageError::Failed(error.to_string()))?;
    summary.bytes_scanned += artifact.bytes.len() as u64;
    for warning in warnings {
        summary.note(format!("sbom artifact: {}", warning.message));
    }
    Ok(Some(inventories))
}

/// Packages from every lockfile of the workspace.
fn lockfile_inventories(summary: &mut Summary) -> Result<Vec<Inventory>, StageError> {
    let files = workspace::list_files(WalkOptions {
        include_ignored: false,
        include_hidden: false,
    })?;
    let mut inventories = Vec::new();
    for file in files {
        if detect(&file.path).is_none() {
            continue;
        }
        let bytes = match workspace::read(&file.path) {
            Ok(bytes) => bytes,
            Err(error) => {
                summary.skip(&file.path, error.describe());
                continue;
            }
        };
        // Files a lockfile names (`go.sum`, `-r`/`-c` includes) are read
        // through the host, within the stage's grant.
        let mut read = |other: &str| workspace::read(other).ok();
        match parse_with_reader(&file.path, &bytes, &mut read) {
            Ok(lockfile) => {
                summary.files_scanned += 1;
                summary.bytes_scanned += bytes.len() as u64;
                inventories.push(Inventory::from(lockfile));
            }
            // Its packages were not audited: never report it as clean.
            Err(error) => summary.skip(&file.path, format!("not parsable: {error}")),
        }
    }
    Ok(inventories)
}

/// With `vex-out`, puts the OpenVEX document of the audit's decisions as
/// the [`VEX_ARTIFACT`] artifact. Asked for and not granted is an error:
/// the operator would otherwise look for a document that never comes.
fn put_vex(
    config: &AuditConfig,
    report: &AuditReport,
    summary: &mut Summary,
) -> Result<(), StageError> {
    if !config.vex_out {
        return Ok(());
    }
    let options = OpenVexOptions {
        author: config.vex_author.clone(),
        timestamp: config
            .vex_timestamp
            .unwrap_or_else(|| jiff::Timestamp::now().as_second()),
    };
    let document = openvex_from_decisions(report, &options)
        .map_err(|error| StageError::Failed(format!("vex-out: {error}")))?;
    let Some(document) = document else {
        summary.note(format!(
            "vex-out: no ignore or VEX statement decided about a finding, so no `{VEX_ARTIFACT}` document was written"
        ));
        return Ok(());
    };
    match artifacts::put(VEX_ARTIFACT, OPENVEX_MEDIA_TYPE, document.as_bytes()) {
        Ok(()) => {
            summary.note(format!(
                "vex-out: OpenVEX document of {} decision(s) written as the `{VEX_ARTIFACT}` artifact",
                report.decisions.len()
            ));
            Ok(())
        }
        Err(AccessError::Denied(reason)) => Err(StageError::Denied(format!(
            "vex-out is set but the `{VEX_ARTIFACT}` artifact may not be written ({reason}); grant it with `artifacts = {{ write = [\"{VEX_ARTIFACT}\"] }}`"
        ))),
        Err(error) => Err(StageError::Failed(format!(
            "vex-out: `{VEX_ARTIFACT}` artifact: {}",
            error.describe()
        ))),
    }
}

/// Today in UTC, from the WASI wall clock (for ignore expiry and database age).
fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

struct Audit;

impl Stage for Audit {
    fn describe() -> StageInfo {
        StageInfo::new(
            "audit",
            env!("CARGO_PKG_VERSION"),
            "Finds dependencies with known vulnerabilities, unsound or unmaintained crates (RustSec and OSV advisories)",
        )
        .workspace()
        .data("rustsec")
        .data("osv")
        .reads_artifact(SBOM_ARTIFACT)
        .writes_artifact(VEX_ARTIFACT)
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let config = parse_options(&options)?;
        let today = today();
        let mut summary = Summary::default();

        // Packages first: they decide which OSV ecosystems are read.
        let inventories = match sbom_inventories(&mut summary)? {
            Some(inventories) => {
                summary.files_scanned += 1;
                summary.note("packages from the sbom artifact".to_string());
                inventories
            }
            None => lockfile_inventories(&mut summary)?,
        };
        let osv_selection = OsvSelection::for_inventories(&inventories);

        let mut databases = Vec::new();
        let mut missing = Vec::new();
        let mut not_needed = false;
        for name in DATA_SETS {
            let selection = (name == "osv").then_some(&osv_selection);
            match load_database(name, &config, today, selection, &mut summary)? {
                Loaded::Database(database) => databases.push(database),
                Loaded::Missing(reason) => missing.push(reason),
                Loaded::NotNeeded(reason) => {
                    not_needed = true;
                    missing.push(reason);
                }
            }
        }
        if databases.is_empty() && !not_needed {
            return Err(StageError::Failed(format!(
                "no advisory database is available ({}); grant `rustsec` or `osv` to the stage",
                missing.join("; ")
            )));
        }
        let loaded: Vec<String> = databases
            .iter()
            .map(|db| format!("{} ({} advisories)", db.name, db.index.stats().advisories))
            .collect();
        let loaded = if loaded.is_empty() {
            "none".to_owned()
        } else {
            loaded.join(", ")
        };
        summary.note(format!("databases: {loaded}"));
        for reason in &missing {
            summary.note(format!("database not used: {reason}"));
        }

        let indexes: Vec<&Index> = databases.iter().map(|db| &db.index).collect();
        let report = audit(&indexes, &inventories, &config, today);
        let mut over_limit = 0u64;
        for finding in &report.findings {
            let mut out = Finding::new(
                &finding.advisory_id,
                severity(finding.severity),
                &finding.message,
            )
            .at(&finding.path)
            .fingerprint(&finding.fingerprint);
            if let Some(line) = finding.line {
                out = out.region(line, 1, line, 1);
            }
            for (key, value) in finding.properties() {
                out = out.property(&key, value);
            }
            // The rule catalogue is per advisory; carry it on the finding.
            if let Some(rule) = report
                .rules
                .iter()
                .find(|rule| rule.id == finding.advisory_id)
            {
                out = out
                    .property("rule-short-description", &rule.short_description)
                    .property("rule-full-description", &rule.full_description)
                    .property("rule-help", &rule.help);
            }
            if over_limit > 0 {
                over_limit += 1;
                continue;
            }
            match findings::emit(&out) {
                Ok(()) => {}
                Err(AccessError::Limit(_)) => over_limit += 1,
                Err(error) => return Err(error.into()),
            }
        }
        summary.note(format!(
            "{} package(s) checked, {} finding(s), {} ignored by configuration",
            report.packages_checked,
            report.findings.len(),
            report.suppressed
        ));
        put_vex(&config, &report, &mut summary)?;
        for note in report.notes {
            summary.note(note);
        }
        if over_limit > 0 {
            summary.note(format!(
                "finding limit reached: {over_limit} further finding(s) were not reported"
            ));
        }
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Audit);

#[cfg(test)]
mod tests;
