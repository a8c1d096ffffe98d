//! Writes the CycloneDX 1.6 SBOM of a directory, as the `sbom` stage does,
//! for benchmarks and manual checks:
//!
//! ```text
//! cargo run --release -p cordon-sbom --example sbom_dir -- DIR [OUT.json]
//! ```
//!
//! Lockfiles, model files and installed packages' licence metadata
//! (`node_modules/*/package.json`, `*.dist-info/METADATA`) are found with
//! `.gitignore` honoured, model
//! headers are read by the models engine;
//! `SOURCE_DATE_EPOCH` sets the timestamp (none otherwise). Counts and the
//! time taken go to stderr.

use std::path::Path;
use std::time::Instant;

use cordon_lockfiles::{
    LockfileKind, apply_manifest_licenses, detect, parse_cargo_manifest, parse_with_companion,
};
use cordon_sbom::{
    ModelEntry, Options, RootComponent, SbomRequest, apply_installed_licenses, generate,
    is_installed_metadata, lockfile_diagnostics, looks_like_model_file, parse_installed_metadata,
    parse_model_inventory,
};
use sha2::{Digest, Sha256};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: sbom_dir DIR [OUT.json]")?;
    let out = args.next();
    let started = Instant::now();
    let root = Path::new(&dir);

    let mut lockfiles = Vec::new();
    let mut errors = Vec::new();
    let mut models = Vec::new();
    let mut manifests = Vec::new();
    let mut installed = Vec::new();
    // As the stage: hidden folders (`.venv`, `node_modules/.pnpm`) only for
    // installed-package metadata, never `.git`.
    let mut walk = ignore::WalkBuilder::new(root);
    walk.hidden(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_path(|a, b| a.cmp(b));
    for entry in walk.build() {
        let entry = entry?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)?
            .to_string_lossy()
            .replace('\\', "/");
        if is_installed_metadata(&relative) {
            installed.extend(parse_installed_metadata(
                &relative,
                &std::fs::read(entry.path())?,
            ));
        } else if relative.split('/').any(|part| part.starts_with('.')) {
            continue;
        } else if let Some(kind) = detect(&relative) {
            let bytes = std::fs::read(entry.path())?;
            let companion = kind_companion(kind, entry.path());
            match parse_with_companion(&relative, &bytes, companion.as_deref()) {
                Ok(lockfile) => lockfiles.push(lockfile),
                Err(error) => errors.push(error),
            }
        } else if relative == "Cargo.toml" || relative.ends_with("/Cargo.toml") {
            match parse_cargo_manifest(&relative, &std::fs::read(entry.path())?) {
                Ok(manifest) => manifests.push((relative, manifest)),
                Err(error) => eprintln!("{error}"),
            }
        } else if looks_like_model_file(&relative) {
            models.push(model_entry(relative, std::fs::read(entry.path())?)?);
        }
    }

    // Workspace members' licences come from the manifests under each
    // Cargo.lock's directory.
    for lockfile in &mut lockfiles {
        let dir = lockfile.path.trim_end_matches("Cargo.lock");
        let in_workspace: Vec<_> = manifests
            .iter()
            .filter(|(path, _)| path.starts_with(dir))
            .map(|(_, manifest)| manifest.clone())
            .collect();
        apply_manifest_licenses(lockfile, &in_workspace);
    }
    let from_installed = apply_installed_licenses(&mut lockfiles, &installed);

    let name = root.canonicalize()?.file_name().map_or_else(
        || "workspace".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let timestamp = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .map(|v| v.trim().parse::<i64>())
        .transpose()?;
    let document = generate(&SbomRequest {
        root: RootComponent {
            name,
            version: None,
        },
        lockfiles: &lockfiles,
        lockfile_errors: &errors,
        models: &models,
        options: Options {
            timestamp,
            tool_name: "cordon".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
        },
    })?;
    match out {
        Some(path) => std::fs::write(path, &document)?,
        None => print!("{}", String::from_utf8(document)?),
    }

    for diagnostic in lockfile_diagnostics(&lockfiles, &errors) {
        eprintln!(
            "{}:{}: {} [{}]",
            diagnostic.path,
            diagnostic.line.map_or_else(String::new, |l| l.to_string()),
            diagnostic.message,
            diagnostic.rule_id
        );
    }
    let packages: usize = lockfiles.iter().map(|l| l.packages.len()).sum();
    eprintln!(
        "{} lockfile(s), {} package(s) ({} licensed, {} from {} installed package(s)), {} model file(s), {} unparsable, {:.1} ms",
        lockfiles.len(),
        packages,
        lockfiles
            .iter()
            .flat_map(|l| &l.packages)
            .filter(|p| p.license.is_some())
            .count(),
        from_installed,
        installed.len(),
        models.len(),
        errors.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// The models engine reads the file's header, as the `models` stage does
/// for its `model-inventory` artifact; its entry is handed over as that
/// artifact's JSON. Files it cannot place keep path, size and hash.
fn model_entry(path: String, bytes: Vec<u8>) -> Result<ModelEntry, Box<dyn std::error::Error>> {
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let scanned = cordon_models::scan(&path, &bytes, &cordon_models::Limits::default())
        .and_then(|scan| scan.inventory);
    Ok(match scanned {
        Some(mut entry) => {
            entry.sha256 = Some(sha256);
            let artifact = serde_json::to_vec(&[entry])?;
            parse_model_inventory(&artifact)?.remove(0)
        }
        None => ModelEntry::from_file(path, bytes.len() as u64, Some(sha256)),
    })
}

/// The companion file's bytes (`go.sum` beside `go.mod`), if present.
fn kind_companion(kind: LockfileKind, lockfile: &Path) -> Option<Vec<u8>> {
    let name = kind.companion_file_name()?;
    std::fs::read(lockfile.with_file_name(name)).ok()
}
