//! The `iac` stage in the built-in pipeline, run by the real runner: a
//! misconfiguration is found at its line, a repository's own comments
//! cannot hide it once the policy refuses its suppressions, and a file
//! that does not parse is reported, not passed.

mod common;

use common::*;

const BUCKET: &str = r#"resource "aws_s3_bucket" "site" {
  bucket = "example-site"
  acl    = "public-read"
}
"#;

fn iac_findings(run: &Run) -> Vec<&serde_json::Value> {
    run.stage("iac")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .collect()
}

#[test]
fn the_default_pipeline_finds_a_public_bucket_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("infra/main.tf", BUCKET),
            (
                "infra/broken.tf",
                "resource \"aws_s3_bucket\" \"x\" {\n  acl = \n",
            ),
        ],
    );
    let run = cordon(dir.path(), &["run", ".", "--only", "iac"]);
    assert_eq!(run.state("iac"), "completed", "{}", run.stderr);
    let public = iac_findings(&run)
        .into_iter()
        .find(|f| f["rule_id"] == "iac/aws-s3-public-acl")
        .unwrap_or_else(|| panic!("{}", run.stage("iac")));
    assert_eq!(public["location"]["path"], "infra/main.tf");
    assert_eq!(public["location"]["region"]["start_line"], 3, "{public:#}");
    assert!(
        public["message"]
            .as_str()
            .unwrap()
            .contains("aws_s3_bucket.site"),
        "{public:#}"
    );
    // The file that does not parse is not scanned, and says so.
    let skipped = run.stage("iac")["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["path"] == "infra/broken.tf"),
        "{skipped:#?}"
    );
    assert_ne!(run.code, 0);
}

#[test]
fn a_policy_refusing_repository_suppressions_ignores_checkov_skip_comments() {
    let dir = tempfile::tempdir().unwrap();
    let skipped = BUCKET.replace(
        "  acl    = \"public-read\"",
        "  #checkov:skip=CKV_AWS_20:the site is public\n  acl    = \"public-read\"",
    );
    write_files(dir.path(), &[("main.tf", &skipped)]);
    let public = |run: &Run| {
        iac_findings(run)
            .into_iter()
            .filter(|f| f["rule_id"] == "iac/aws-s3-public-acl")
            .count()
    };
    let hidden = cordon(dir.path(), &["run", ".", "--only", "iac"]);
    assert_eq!(public(&hidden), 0, "{}", hidden.stage("iac"));

    let policy_dir = tempfile::tempdir().unwrap();
    let policy = policy_dir.path().join("policy.toml");
    std::fs::write(&policy, "[policy]\nallow-repo-suppressions = false\n").unwrap();
    let policy = policy.display().to_string();
    let shown = cordon(
        dir.path(),
        &["run", ".", "--only", "iac", "--policy", &policy],
    );
    assert_eq!(public(&shown), 1, "{}", shown.stage("iac"));
}

/// SARIF names every policy's theme in its rule, not only the themes of
/// policies that fired: code scanning can then filter by theme before a
/// finding exists.
#[test]
fn every_iac_rule_states_its_theme_in_sarif() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("infra/main.tf", BUCKET)]);
    let sarif_path = dir.path().join("out.sarif");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "iac",
            "--report",
            &format!("sarif={}", sarif_path.display()),
        ],
    );
    assert_eq!(run.state("iac"), "completed", "{}", run.stderr);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    let iac = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["tool"]["driver"]["name"] == "cordon-iac")
        .unwrap();
    let rules = iac["tool"]["driver"]["rules"].as_array().unwrap();
    let policies: Vec<_> = rules
        .iter()
        .filter(|rule| rule["properties"]["framework"].is_string())
        .collect();
    assert!(policies.len() >= 250, "{} policy rules", policies.len());
    let fired = iac["results"].as_array().unwrap().len();
    assert!(fired < policies.len());
    for rule in &policies {
        let theme = rule["properties"]["theme"].as_str().unwrap_or_default();
        assert!(!theme.is_empty(), "{rule:#}");
        assert_eq!(rule["properties"]["tags"][1], theme, "{rule:#}");
    }
    let privileged = policies
        .iter()
        .find(|rule| rule["id"] == "iac/k8s-privileged-container")
        .unwrap();
    assert_eq!(privileged["properties"]["theme"], "container-privilege");
    assert_eq!(privileged["properties"]["framework"], "kubernetes");
}
