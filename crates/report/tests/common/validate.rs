//! SARIF validation with the OASIS schema and the SARIF Multitool
//! (GitHub's rules included). Shared with the runner's end-to-end tests,
//! which include this file by path.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The repository root, found from the including crate's manifest
/// directory (this file is used from two crates at different depths).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("wit/stage.wit").is_file())
        .expect("the including crate is inside the Cordon repository")
        .to_path_buf()
}

/// Validates a SARIF log against the OASIS 2.1.0 JSON schema (formats
/// included) and with the SARIF Multitool's SARIF and GitHub rules; fails
/// the test on any schema error or any Multitool result of level `error`.
pub fn assert_valid_sarif(log: &Value, name: &str) {
    assert_schema_valid(log);
    assert_multitool_clean(log, name);
}

pub fn assert_schema_valid(log: &Value) {
    let path = repo_root().join("../shared/schemas/sarif/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the SARIF schema {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

/// The Multitool version the tests validate with.
const MULTITOOL_PACKAGE: &str = "@microsoft/sarif-multitool-linux@5.7.0";

/// The Multitool binary, installed with npm into the repository's
/// `node_modules` on first use, so `cargo test` needs no separate step.
/// Tests in several threads and processes may ask at once: an exclusive
/// lock on a file beside it makes one of them install and the rest wait.
fn multitool() -> PathBuf {
    let root = repo_root();
    let binary = root.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if binary.is_file() {
        return binary;
    }
    let lock_path = root.join("target/sarif-multitool.lock");
    std::fs::create_dir_all(lock_path.parent().expect("lock has a parent"))
        .expect("create target/");
    let lock = std::fs::File::create(&lock_path).expect("create the install lock");
    lock.lock().expect("lock the Multitool install");
    if !binary.is_file() {
        let status = Command::new("npm")
            .current_dir(&root)
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                MULTITOOL_PACKAGE,
            ])
            .status()
            .unwrap_or_else(|e| {
                panic!("cannot run npm to install the SARIF Multitool ({MULTITOOL_PACKAGE}): {e}")
            });
        assert!(
            status.success() && binary.is_file(),
            "`npm install {MULTITOOL_PACKAGE}` at the repository root failed ({status}); \
             the SARIF tests need it"
        );
        // The package marks its binary executable in a postinstall script,
        // which newer npm versions do not run unless allowed.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&binary)
                .expect("the Multitool")
                .permissions()
                .mode();
            std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(mode | 0o755))
                .expect("make the Multitool executable");
        }
    }
    binary
}

pub fn assert_multitool_clean(log: &Value, name: &str) {
    let binary = multitool();
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = dir.path().join(format!("{name}.sarif"));
    let output = dir.path().join(format!("{name}.validation.sarif"));
    std::fs::write(
        &input,
        serde_json::to_string_pretty(log).expect("serialise"),
    )
    .expect("write the log");
    let run = Command::new(&binary)
        .arg("validate")
        .arg(&input)
        .args(["--rule-kind", "Sarif;Gh", "--log", "ForceOverwrite", "-o"])
        .arg(&output)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let validation = std::fs::read_to_string(&output).unwrap_or_else(|e| {
        panic!(
            "the Multitool wrote no output ({e}); exit {:?}\nstdout:\n{}\nstderr:\n{}",
            run.status.code(),
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let validation: Value = serde_json::from_str(&validation).expect("the Multitool writes SARIF");
    let mut errors = Vec::new();
    for run in validation["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            if result["level"] == "error" {
                errors.push(format!(
                    "{} {} {}",
                    result["ruleId"].as_str().unwrap_or("?"),
                    result["message"]["arguments"],
                    result["locations"][0]["physicalLocation"]["region"]["startLine"],
                ));
            }
        }
        // Tool failures (an exception while validating) are errors too.
        for invocation in run["invocations"].as_array().into_iter().flatten() {
            for note in invocation["toolExecutionNotifications"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if note["level"] == "error" {
                    errors.push(format!("tool: {}", note["message"]["text"]));
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "the SARIF Multitool reports errors for {name}:\n{}\nstdout:\n{}",
        errors.join("\n"),
        String::from_utf8_lossy(&run.stdout)
    );
}
