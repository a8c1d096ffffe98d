//! Native scan driver: `iac_scan <dir> [--json]`.
//!
//! Reads every regular file under `<dir>` (skipping `.git` and `target`)
//! into memory, scans them all with the built-in policies and prints a
//! summary (or the whole report as JSON) plus the scan time and CPU time,
//! so the engine can be timed against other scanners on the same tree.

use std::path::Path;
use std::time::Instant;

use cordon_iac_engine::Engine;

fn collect(root: &Path, directory: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != ".git" && name != "target" && name != "node_modules" {
                collect(root, &path, out);
            }
        } else if kind.is_file()
            && let (Ok(relative), Ok(bytes)) = (path.strip_prefix(root), std::fs::read(&path))
        {
            out.push((relative.to_string_lossy().replace('\\', "/"), bytes));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first() else {
        eprintln!("usage: iac_scan <dir> [--json]");
        std::process::exit(2);
    };
    let json = args.iter().any(|arg| arg == "--json");
    let mut files = Vec::new();
    collect(Path::new(root), Path::new(root), &mut files);
    let bytes: usize = files.iter().map(|(_, content)| content.len()).sum();

    let started = Instant::now();
    let engine = Engine::new().expect("built-in policies load");
    let loaded = started.elapsed();
    let report = engine.scan(&files);
    let scanned = started.elapsed() - loaded;

    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
        return;
    }
    for finding in report.findings() {
        println!(
            "{}:{}:{} {} [{}] {}",
            finding.path,
            finding.location.line,
            finding.location.column,
            finding.severity,
            finding.rule_id,
            finding.message
        );
    }
    for file in report
        .files
        .iter()
        .filter(|file| file.not_scanned.is_some())
    {
        println!(
            "{}: not scanned: {}",
            file.path,
            file.not_scanned.as_deref().unwrap_or_default()
        );
    }
    let suppressed = report.suppressed().count();
    let unevaluated: usize = report.files.iter().map(|file| file.unevaluated.len()).sum();
    eprintln!(
        "{} files read ({} bytes), {} IaC files, {} findings, {} suppressed, {} unevaluated; policies loaded in {:.1} ms, scan {:.1} ms",
        files.len(),
        bytes,
        report.files.len(),
        report.findings().count(),
        suppressed,
        unevaluated,
        loaded.as_secs_f64() * 1000.0,
        scanned.as_secs_f64() * 1000.0,
    );
}
