//! Audits lockfiles against an advisory database directory and prints one
//! JSON line per finding (used by `bench/audit` to compare with
//! cargo-audit).
//!
//! usage: audit_dir [--index-cache FILE] DB_DIR LOCKFILE...
//!
//! With `--index-cache`, the parsed index is read from FILE when present and
//! written there otherwise, as the stage does with its cache.

use std::path::{Path, PathBuf};
use std::time::Instant;

use cordon_audit::{AuditConfig, Index, Inventory, audit};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let cache = match args.iter().position(|arg| arg == "--index-cache") {
        Some(at) if at + 1 < args.len() => {
            let file = PathBuf::from(args.remove(at + 1));
            args.remove(at);
            Some(file)
        }
        _ => None,
    };
    if args.len() < 2 {
        eprintln!("usage: audit_dir [--index-cache FILE] DB_DIR LOCKFILE...");
        std::process::exit(2);
    }
    let started = Instant::now();
    let index = load_index(Path::new(&args[0]), cache.as_deref());
    let loaded = started.elapsed();

    let mut inventories = Vec::new();
    for lockfile in &args[1..] {
        let bytes = std::fs::read(lockfile).unwrap_or_else(|e| fail(&format!("{lockfile}: {e}")));
        let parsed =
            cordon_lockfiles::parse(lockfile, &bytes).unwrap_or_else(|e| fail(&format!("{e:?}")));
        inventories.push(Inventory::from(parsed));
    }
    let today = jiff_today();
    let report = audit(&[&index], &inventories, &AuditConfig::default(), today);
    for finding in &report.findings {
        let line = serde_json::json!({
            "path": finding.path,
            "line": finding.line,
            "id": finding.advisory_id,
            "kind": finding.kind,
            "package": finding.package,
            "version": finding.version,
            "severity": finding.severity.as_str(),
            "fixed": finding.fixed,
        });
        println!("{line}");
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "index: {:.1} ms ({} advisories), total: {:.1} ms",
        loaded.as_secs_f64() * 1e3,
        index.stats().advisories,
        started.elapsed().as_secs_f64() * 1e3
    );
}

fn load_index(db: &Path, cache: Option<&Path>) -> Index {
    if let Some(bytes) = cache.and_then(|file| std::fs::read(file).ok()) {
        match Index::from_bytes(&bytes) {
            Ok(index) => return index,
            Err(error) => eprintln!("note: rebuilding index: {error}"),
        }
    }
    let mut files = Vec::new();
    collect(db, db, &mut files);
    let (index, warnings) = Index::build(files).unwrap_or_else(|e| fail(&e.to_string()));
    for warning in &warnings {
        eprintln!("warning: {}: {}", warning.path, warning.message);
    }
    if let Some(file) = cache {
        std::fs::write(file, index.to_bytes())
            .unwrap_or_else(|e| fail(&format!("{}: {e}", file.display())));
    }
    index
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".git") {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else if let (Ok(relative), Ok(bytes)) = (path.strip_prefix(root), std::fs::read(&path)) {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push((parts.join("/"), bytes));
        }
    }
}

fn jiff_today() -> cordon_audit::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
