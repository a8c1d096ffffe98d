//! `cordon init`: a commented pipeline file for what the workspace holds.

use std::path::Path;
use std::process::ExitCode;

use super::Fatal;
use crate::config::{DEFAULT_PIPELINE, Pipeline, REPOSITORY_PIPELINE};

/// Files whose presence says which stages have work to do.
const ECOSYSTEMS: &[(&str, &str)] = &[
    ("Cargo.lock", "Rust (Cargo.lock)"),
    ("package-lock.json", "npm (package-lock.json)"),
    ("npm-shrinkwrap.json", "npm (npm-shrinkwrap.json)"),
    ("poetry.lock", "Python (poetry.lock)"),
    ("uv.lock", "Python (uv.lock)"),
    ("Pipfile.lock", "Python (Pipfile.lock)"),
    ("requirements.txt", "Python (requirements.txt)"),
    ("go.mod", "Go (go.mod)"),
    ("yarn.lock", "npm (yarn.lock)"),
    ("pnpm-lock.yaml", "npm (pnpm-lock.yaml)"),
    ("bun.lock", "npm (bun.lock)"),
    ("pdm.lock", "Python (pdm.lock)"),
    ("Gemfile.lock", "Ruby (Gemfile.lock)"),
    ("gems.locked", "Ruby (gems.locked)"),
    ("composer.lock", "PHP (composer.lock)"),
    ("packages.lock.json", ".NET (packages.lock.json)"),
    ("pom.xml", "Maven (pom.xml)"),
    ("gradle.lockfile", "Gradle (gradle.lockfile)"),
    ("pubspec.lock", "Dart (pubspec.lock)"),
    ("mix.lock", "Elixir (mix.lock)"),
    ("renv.lock", "R (renv.lock)"),
    ("conan.lock", "C/C++ (conan.lock)"),
];

pub fn init(dir: &Path, force: bool) -> Result<ExitCode, Fatal> {
    let path = dir.join(REPOSITORY_PIPELINE);
    if path.exists() && !force {
        return Err(Fatal(format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )));
    }
    let found: Vec<&str> = ECOSYSTEMS
        .iter()
        .filter(|(file, _)| dir.join(file).is_file())
        .map(|(_, name)| *name)
        .collect();
    let detected = if found.is_empty() {
        "# No lockfile was found at the top of the workspace; the audit stage\n\
         # reports that instead of a clean result.\n"
            .to_string()
    } else {
        format!("# Found: {}.\n", found.join(", "))
    };
    let body = DEFAULT_PIPELINE
        .lines()
        .skip_while(|line| line.starts_with('#') || line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!(
        "# Cordon pipeline, written by `cordon init`.\n\
         #\n\
         # This file runs only when you ask for it: `cordon run --pipeline {REPOSITORY_PIPELINE}`,\n\
         # or `cordon run --repo-pipeline` (which an organisation policy may forbid).\n\
         # Without either, `cordon run` uses the built-in pipeline below, unchanged.\n\
         #\n\
         # Each stage gets only what its grants name; see the README for every key.\n\
         {detected}\
         \n\
         [pipeline]\n\
         fail-on = \"high\"   # info, low, medium, high or critical\n\
         \n\
         {body}\n\
         \n\
         # A stage's own settings go in its options table, for example:\n\
         # [stages.secrets.options]\n\
         # allow-paths = [\"tests/fixtures/**\"]\n\
         # [stages.audit.options]\n\
         # ignore = [{{ id = \"RUSTSEC-0000-0000\", reason = \"not reachable\", until = \"2027-01-01\" }}]\n"
    );
    // What `init` writes must load: the same checks as any pipeline.
    Pipeline::parse(&text, REPOSITORY_PIPELINE, dir)?;
    std::fs::write(&path, text)
        .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "wrote {}; run it with `cordon run --pipeline {REPOSITORY_PIPELINE}`",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
