//! Turns the rule files (`rules/*.toml`) into the static built-in
//! catalogue, so a scan parses nothing at run time and the `secrets` stage
//! can still compute its keyword automaton when it is built.
//!
//! Only what would make the generated table wrong stops the build (a file
//! that does not parse, a duplicate id, a regex rule without a regex); the
//! tests check everything else about the data, by rule id, including every
//! rule's examples.

// The examples are read by the tests, not by the build.
#[allow(dead_code)]
#[path = "build/rule_file.rs"]
mod rule_file;

use std::fmt::Write as _;
use std::path::PathBuf;

use rule_file::{MatcherName, read_rule_files};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let rules_dir = manifest.join("rules");
    println!("cargo:rerun-if-changed=build/rule_file.rs");
    println!("cargo:rerun-if-changed={}", rules_dir.display());
    let files = match read_rule_files(&rules_dir) {
        Ok(files) => files,
        Err(error) => fail(&error),
    };
    let mut seen = std::collections::HashSet::new();
    let mut table = String::from(
        "/// Every built-in rule, generated from `rules/*.toml` by `build.rs`.\n\
         /// Ids are stable: they appear in baselines, SARIF and user configuration.\n\
         pub static BUILTIN_RULES: &[BuiltinRule] = &[\n",
    );
    for (path, file) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        for rule in &file.rules {
            if !seen.insert(rule.id.clone()) {
                fail(&format!(
                    "{}: duplicate rule id {}",
                    path.display(),
                    rule.id
                ));
            }
            let matcher = match (rule.matcher, &rule.regex) {
                (MatcherName::Regex, Some(regex)) if !regex.is_empty() => {
                    format!("Matcher::Regex({regex:?})")
                }
                (MatcherName::Regex, _) => fail(&format!(
                    "{}: rule {} has no regex",
                    path.display(),
                    rule.id
                )),
                (MatcherName::PrivateKeyBlock, _) => "Matcher::PrivateKeyBlock".to_string(),
            };
            if !rule.min_entropy.is_finite() {
                fail(&format!(
                    "{}: rule {} has a min-entropy that is not a number",
                    path.display(),
                    rule.id
                ));
            }
            let remediation = match &rule.remediation {
                Some(text) => format!("Some({text:?})"),
                None => "None".to_string(),
            };
            let _ = writeln!(
                table,
                "    BuiltinRule {{ id: {:?}, title: {:?}, structure: {:?}, issuer: {:?}, \
                 severity: Severity::{}, keywords: &{:?}, keywords_ignore_case: {}, \
                 matcher: {matcher}, min_entropy: {:?}, check: Check::{}, yields: {}, \
                 context_before: {}, generic: {}, overrides: &{:?}, remediation: {remediation} }},",
                rule.id,
                rule.title,
                rule.structure,
                rule.issuer,
                rule.severity.rust(),
                rule.keywords,
                rule.keywords_ignore_case,
                rule.min_entropy,
                rule.check.rust(),
                rule.yields,
                rule.context_before,
                rule.generic,
                rule.overrides,
            );
        }
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Err(error) = std::fs::write(out.join("builtin_rules.rs"), table) {
        fail(&format!("writing the generated catalogue: {error}"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error in the secret rule files: {message}");
    std::process::exit(1)
}
