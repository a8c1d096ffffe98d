//! The CI templates in examples/ci, run for real: the cordon commands each
//! one contains run in a repository holding a token, and what the later
//! steps pick up (SARIF for code scanning, JUnit for GitLab, the
//! artifacts) exists and is what those systems accept.

mod common;
#[path = "../../crates/report/tests/common/validate.rs"]
mod validate;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_yaml_ng::Value;

fn template(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/ci")
        .join(name)
}

fn yaml(name: &str) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(template(name)).unwrap()).unwrap()
}

/// A repository with a committed token and a vulnerable lockfile.
fn leaky_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (
                "deploy.sh",
                &format!("export GITHUB_TOKEN={}\n", fake_github_token()),
            ),
            ("Cargo.lock", CARGO_LOCK),
        ],
    );
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

/// Runs one shell line of a template in `dir`, with the cordon under test
/// on PATH and offline advisory data.
fn sh(dir: &Path, line: &str) -> std::process::Output {
    Command::new("sh")
        .current_dir(dir)
        .args(["-c", line])
        .env("PATH", path_with_cordon())
        .env("XDG_CONFIG_HOME", config_home())
        .env("CORDON_CACHE_DIR", cache_dir())
        .env("CORDON_ADVISORY_DB", shared("advisory-db"))
        .env("CORDON_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn assert_found_and_not_leaked(output: &std::process::Output, dir: &Path) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = fake_github_token();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_file() && entry.file_name() != "deploy.sh" {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            assert!(
                !text.contains(&token),
                "{} leaks the token",
                entry.path().display()
            );
        }
    }
}

#[test]
fn the_github_actions_workflow_produces_what_code_scanning_takes() {
    let workflow = yaml("github-actions.yml");
    let steps = workflow["jobs"]["scan"]["steps"].as_sequence().unwrap();
    let scan = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|run| run.starts_with("cordon run"))
        .expect("a step runs cordon");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploads the SARIF");
    assert_eq!(
        upload["if"].as_str(),
        Some("always()"),
        "upload even when findings fail the scan"
    );
    assert!(
        upload["with"]["category"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(
        workflow["permissions"]["security-events"].as_str(),
        Some("write")
    );

    let repo = leaky_repo();
    let output = sh(repo.path(), scan);
    assert_found_and_not_leaked(&output, repo.path());
    let sarif_path = repo
        .path()
        .join(upload["with"]["sarif_file"].as_str().unwrap());
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    validate::assert_valid_sarif(&sarif, "github-actions");
    let artifact = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .unwrap();
    for path in artifact["with"]["path"]
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        assert!(
            repo.path().join(path.trim()).is_file(),
            "{path} was not written"
        );
    }
}

#[test]
fn the_gitlab_job_produces_its_junit_report_and_artifacts() {
    let pipeline = yaml("gitlab-ci.yml");
    let job = &pipeline["cordon"];
    let scan = job["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|line| line.starts_with("cordon run"))
        .expect("the job runs cordon");
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    let repo = leaky_repo();
    let output = sh(repo.path(), scan);
    assert_found_and_not_leaked(&output, repo.path());
    let junit = std::fs::read_to_string(
        repo.path()
            .join(job["artifacts"]["reports"]["junit"].as_str().unwrap()),
    )
    .unwrap();
    assert!(
        junit.starts_with("<?xml") && junit.contains("<testsuites"),
        "{junit}"
    );
    assert!(
        junit.contains("<failure"),
        "findings are JUnit failures: {junit}"
    );
    for path in job["artifacts"]["paths"].as_sequence().unwrap() {
        assert!(
            repo.path().join(path.as_str().unwrap()).is_file(),
            "{path:?}"
        );
    }
}

#[test]
fn the_plain_script_passes_the_exit_code_through() {
    let repo = leaky_repo();
    let output = sh(repo.path(), &template("run.sh").display().to_string());
    assert_found_and_not_leaked(&output, repo.path());
    for report in ["cordon.sarif", "cordon-junit.xml", "cordon.json"] {
        assert!(
            repo.path().join("cordon-reports").join(report).is_file(),
            "{report}"
        );
    }
}

#[test]
fn the_sharded_workflow_scans_each_file_once_and_its_gate_fails_on_the_findings() {
    let workflow = yaml("github-actions-sharded.yml");
    let scan_job = &workflow["jobs"]["scan"];
    let shards: Vec<u64> = scan_job["strategy"]["matrix"]["shard"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let steps = scan_job["steps"].as_sequence().unwrap();
    let scan = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|run| run.starts_with("cordon run"))
        .expect("each shard runs cordon");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("each shard uploads its SARIF");
    let gate_job = &workflow["jobs"]["gate"];
    assert_eq!(gate_job["if"].as_str(), Some("always()"));
    let merge = gate_job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|run| run.starts_with("cordon merge"))
        .expect("the gate merges");

    let repo = leaky_repo();
    let mut categories = Vec::new();
    let mut sarif_ids = Vec::new();
    for shard in &shards {
        let line = scan.replace("${{ matrix.shard }}", &shard.to_string());
        let output = sh(repo.path(), &line);
        assert!(
            output.status.success(),
            "shard {shard}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let file = upload["with"]["sarif_file"]
            .as_str()
            .unwrap()
            .replace("${{ matrix.shard }}", &shard.to_string());
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(repo.path().join(&file)).unwrap()).unwrap();
        validate::assert_valid_sarif(&sarif, "github-actions-sharded");
        for run in sarif["runs"].as_array().unwrap() {
            sarif_ids.push(run["automationDetails"]["id"].as_str().unwrap().to_string());
        }
        categories.push(
            upload["with"]["category"]
                .as_str()
                .unwrap()
                .replace("${{ matrix.shard }}", &shard.to_string()),
        );
    }
    categories.dedup();
    assert_eq!(categories.len(), shards.len(), "{categories:?}");
    let distinct: std::collections::BTreeSet<_> = sarif_ids.iter().collect();
    assert_eq!(distinct.len(), sarif_ids.len(), "{sarif_ids:?}");

    // The gate: the merged run fails on the token, as one job would.
    let output = sh(repo.path(), merge);
    assert_found_and_not_leaked(&output, repo.path());
    let merged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.path().join("cordon.json")).unwrap()).unwrap();
    let secrets = merged["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "secrets")
        .unwrap();
    assert_eq!(
        secrets["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "secrets/github-pat")
            .count(),
        1,
        "{secrets:#}"
    );
    assert!(repo.path().join("cordon-junit.xml").is_file());
}
