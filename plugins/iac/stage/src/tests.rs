//! Native runs of the stage through the SDK's test harness, against temp
//! directories holding small vulnerable infrastructure files.

use cordon_iac_engine::{Inventory, PARSE_ERROR_RULE, SUPPRESSION_WITHOUT_REASON_RULE};
use cordon_sdk::testing::{Harness, Outcome};
use cordon_sdk::{Finding, Severity, Stage, StageError};
use serde_json::json;

use super::{INVENTORY_ARTIFACT, Iac};

const TERRAFORM: &str = r#"resource "aws_s3_bucket" "site" {
  bucket = "example-site"
  acl    = "public-read"
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 10
}

resource "aws_route53_zone" "main" {
  name = "example.org"
}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
          securityContext:
            privileged: true
"#;

const DOCKERFILE: &str = "FROM ubuntu:latest\nRUN apt-get update\nUSER root\nCMD [\"bash\"]\n";

const WORKFLOW: &str = r#"name: ci
on: pull_request
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: some-org/some-action@v1
      - run: echo "${{ github.event.pull_request.title }}"
"#;

fn write(dir: &std::path::Path, path: &str, content: &str) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(full, content).unwrap();
}

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "infra/main.tf", TERRAFORM);
    write(dir.path(), "k8s/deploy.yaml", DEPLOYMENT);
    write(dir.path(), "Dockerfile", DOCKERFILE);
    write(dir.path(), ".github/workflows/ci.yml", WORKFLOW);
    // Not infrastructure code: never read, or read and found not IaC.
    write(dir.path(), "README.md", "# app\n");
    write(dir.path(), "package.json", "{\"name\": \"app\"}\n");
    dir
}

fn run(dir: &std::path::Path, options: serde_json::Value) -> Outcome {
    Harness::new(dir)
        .read(&["**"])
        .writes(INVENTORY_ARTIFACT)
        .run::<Iac>(options)
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the sample")) as u32
        + 1
}

fn find<'a>(outcome: &'a Outcome, path: &str, rule: &str) -> &'a Finding {
    outcome
        .findings
        .iter()
        .find(|f| f.rule_id == rule && f.location.as_ref().is_some_and(|l| l.path == path))
        .unwrap_or_else(|| {
            let all: Vec<_> = outcome
                .findings
                .iter()
                .map(|f| (&f.rule_id, f.location.as_ref().map(|l| &l.path)))
                .collect();
            panic!("no {rule} in {path}; findings: {all:#?}")
        })
}

fn start(finding: &Finding) -> (u32, u32) {
    let region = finding
        .location
        .as_ref()
        .and_then(|location| location.region.as_ref())
        .expect("finding has a region");
    (region.start_line, region.start_column)
}

fn property<'a>(finding: &'a Finding, key: &str) -> Option<&'a str> {
    finding
        .properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value.as_str())
}

fn invalid_options(outcome: Outcome) -> String {
    match outcome.result {
        Err(StageError::InvalidOptions(message)) => message,
        other => panic!("expected invalid-options, got {other:?}"),
    }
}

#[test]
fn describe_lists_every_policy_and_asks_for_the_inventory() {
    let info = Iac::describe();
    assert_eq!(info.name, "iac");
    let policies = cordon_iac_engine::builtin_policies().unwrap();
    // Every policy plus the parse and suppression hygiene rules.
    assert_eq!(info.rules.len(), policies.len() + 3);
    assert!(info.requests.workspace);
    assert_eq!(
        info.requests.artifacts_write,
        vec![INVENTORY_ARTIFACT.to_string()]
    );
    let privileged = info
        .rules
        .iter()
        .find(|rule| rule.id == "iac/k8s-privileged-container")
        .unwrap();
    assert_eq!(privileged.default_severity, Severity::High);
    assert!(privileged.full_description.contains("container-privilege"));
    let stated = |rule: &cordon_sdk::Rule, key: &str| {
        rule.properties
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
    };
    // Every policy states its theme and framework, fired or not.
    for policy in &policies {
        let rule = info.rules.iter().find(|rule| rule.id == policy.id).unwrap();
        assert_eq!(stated(rule, "theme"), Some(policy.theme.to_string()));
        assert_eq!(
            stated(rule, "framework"),
            Some(policy.framework.to_string())
        );
    }
    assert_eq!(
        stated(privileged, "theme").as_deref(),
        Some("container-privilege")
    );
    assert!(info.rules.iter().any(|rule| rule.id == PARSE_ERROR_RULE));
}

#[test]
fn finds_misconfigurations_in_every_format_at_the_offending_line() {
    let dir = sample();
    let outcome = run(dir.path(), json!({}));
    let summary = outcome.summary();
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    // The four IaC files and package.json (a JSON candidate the engine
    // examines and leaves alone); README.md is not read at all.
    assert_eq!(summary.files_scanned, 5);

    let acl = find(&outcome, "infra/main.tf", "iac/aws-s3-public-acl");
    assert_eq!(start(acl).0, line_of(TERRAFORM, "public-read"));
    assert_eq!(acl.severity, Severity::High);
    assert!(
        acl.message.contains("aws_s3_bucket.site"),
        "{}",
        acl.message
    );
    assert_eq!(property(acl, "resource"), Some("aws_s3_bucket.site"));
    assert_eq!(property(acl, "theme"), Some("public-exposure"));
    // The policy's Checkov ids, and only those (not its Trivy ids).
    let policy = cordon_iac_engine::builtin_policies()
        .unwrap()
        .into_iter()
        .find(|policy| policy.id == "iac/aws-s3-public-acl")
        .unwrap();
    let checkov: Vec<&str> = policy
        .aliases
        .iter()
        .map(String::as_str)
        .filter(|alias| alias.starts_with("CKV"))
        .collect();
    assert!(checkov.contains(&"CKV_AWS_20"), "{checkov:?}");
    assert_eq!(
        property(acl, "checkov-aliases"),
        Some(checkov.join(" ").as_str())
    );
    assert_eq!(acl.fingerprint.len(), 64);

    // A missing attribute points at the resource block.
    let ebs = find(&outcome, "infra/main.tf", "iac/aws-ebs-unencrypted");
    assert_eq!(start(ebs), (line_of(TERRAFORM, "aws_ebs_volume"), 1));
    assert_eq!(property(ebs, "theme"), Some("encryption-at-rest"));

    let privileged = find(&outcome, "k8s/deploy.yaml", "iac/k8s-privileged-container");
    assert_eq!(start(privileged).0, line_of(DEPLOYMENT, "privileged: true"));
    assert!(
        property(privileged, "resource").is_some_and(|r| r.contains("Deployment/web")),
        "{:?}",
        privileged.properties
    );

    let root = find(&outcome, "Dockerfile", "iac/docker-user-root");
    assert_eq!(start(root).0, line_of(DOCKERFILE, "USER root"));
    let latest = find(&outcome, "Dockerfile", "iac/docker-base-image-not-pinned");
    assert_eq!(start(latest).0, 1);

    let unpinned = find(
        &outcome,
        ".github/workflows/ci.yml",
        "iac/gha-unpinned-action",
    );
    assert_eq!(start(unpinned).0, line_of(WORKFLOW, "some-org/some-action"));
    let injection = find(
        &outcome,
        ".github/workflows/ci.yml",
        "iac/gha-script-injection",
    );
    assert_eq!(start(injection).0, line_of(WORKFLOW, "github.event"));
    assert_eq!(property(injection, "theme"), Some("ci-supply-chain"));

    // Nothing about the files that are not infrastructure code.
    assert!(outcome.findings.iter().all(|f| {
        let path = &f.location.as_ref().unwrap().path;
        path != "README.md" && path != "package.json"
    }));
    // Fingerprints are unique per (rule, file, resource).
    let mut fingerprints: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), outcome.findings.len());
}

#[test]
fn writes_the_inventory_and_counts_uncovered_kinds() {
    let dir = sample();
    let outcome = run(dir.path(), json!({}));
    let summary = outcome.summary();
    let artifact = &outcome.artifacts[INVENTORY_ARTIFACT];
    assert_eq!(artifact.media_type, "application/json");
    let inventory: Inventory = serde_json::from_slice(&artifact.bytes).unwrap();
    let paths: Vec<&str> = inventory.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".github/workflows/ci.yml",
            "Dockerfile",
            "infra/main.tf",
            "k8s/deploy.yaml"
        ]
    );
    assert_eq!(inventory.by_kind.get("aws_s3_bucket"), Some(&1));
    assert_eq!(inventory.by_kind.get("Deployment"), Some(&1));
    assert!(inventory.not_scanned.is_empty());
    // A Route 53 zone has no policy: counted in the summary, not an error.
    assert_eq!(inventory.uncovered_kinds.get("aws_route53_zone"), Some(&1));
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("no policy covers") && n.contains("aws_route53_zone (1)")),
        "{:?}",
        summary.notes
    );
}

#[test]
fn unparsable_files_are_skipped_with_the_parser_location() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "infra/broken.tf",
        "resource \"aws_s3_bucket\" \"a\" {\n  acl = \"private\"\n  tags = {\n",
    );
    write(
        dir.path(),
        "k8s/broken.yaml",
        "apiVersion: v1\nkind: Pod\nspec: [unclosed\n",
    );
    write(dir.path(), "Dockerfile", DOCKERFILE);
    let outcome = run(dir.path(), json!({}));
    let summary = outcome.summary();
    let skipped: Vec<&str> = summary.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, ["infra/broken.tf", "k8s/broken.yaml"]);
    for skip in &summary.skipped {
        assert!(
            skip.reason.contains("does not parse at line"),
            "{}",
            skip.reason
        );
    }
    // Only the Dockerfile counts as scanned: a broken file is never clean.
    assert_eq!(summary.files_scanned, 1);
    let parse = find(&outcome, "k8s/broken.yaml", PARSE_ERROR_RULE);
    assert_eq!(parse.severity, Severity::Low);
    assert!(start(parse).0 >= 3, "{:?}", start(parse));
    let inventory: Inventory =
        serde_json::from_slice(&outcome.artifacts[INVENTORY_ARTIFACT].bytes).unwrap();
    assert_eq!(
        inventory.not_scanned,
        ["infra/broken.tf", "k8s/broken.yaml"]
    );
}

#[test]
fn bad_options_are_invalid_options() {
    let dir = sample();
    let message = invalid_options(run(dir.path(), json!({ "disabled": ["x"] })));
    assert!(message.contains("disabled"), "{message}");
    assert!(message.contains("`max-file-bytes`"), "{message}");

    let message = invalid_options(run(
        dir.path(),
        json!({ "disabled-rules": ["iac/no-such-policy"] }),
    ));
    assert!(message.contains("iac/no-such-policy"), "{message}");

    let message = invalid_options(run(dir.path(), json!({ "include-ignored": "yes" })));
    assert!(message.contains("include-ignored"), "{message}");

    let message = invalid_options(run(dir.path(), json!({ "max-file-bytes": -1 })));
    assert!(message.contains("max-file-bytes"), "{message}");

    let message = invalid_options(run(
        dir.path(),
        json!({ "ignore": [{ "rule": "iac/aws-s3-public-acl", "reason": " " }] }),
    ));
    assert!(message.contains("reason"), "{message}");

    let message = invalid_options(run(dir.path(), json!(["not", "a", "table"])));
    assert!(message.contains("table"), "{message}");
}

#[test]
fn options_disable_rewrite_and_suppress() {
    let dir = sample();
    let outcome = run(
        dir.path(),
        json!({
            "disabled-rules": ["iac/docker-user-root"],
            "severity": { "iac/gha-unpinned-action": "info" },
            "ignore": [{
                "rule": "iac/aws-s3-public-acl",
                "paths": ["infra/**"],
                "reason": "static website bucket"
            }],
        }),
    );
    let summary = outcome.summary();
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "iac/docker-user-root")
    );
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "iac/aws-s3-public-acl")
    );
    let unpinned = find(
        &outcome,
        ".github/workflows/ci.yml",
        "iac/gha-unpinned-action",
    );
    assert_eq!(unpinned.severity, Severity::Info);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n
                == "1 finding(s) suppressed: 0 by comments in the files, 1 by `ignore` options"),
        "{:?}",
        summary.notes
    );

    // The same suppression, made visible.
    let outcome = run(
        dir.path(),
        json!({
            "report-suppressed": true,
            "ignore": [{ "rule": "iac/aws-s3-public-acl", "reason": "static website bucket" }],
        }),
    );
    let acl = find(&outcome, "infra/main.tf", "iac/aws-s3-public-acl");
    assert_eq!(acl.severity, Severity::Info);
    assert!(
        property(acl, "suppressed-by").is_some_and(|by| by.contains("static website bucket")),
        "{:?}",
        acl.properties
    );
}

#[test]
fn inline_suppressions_need_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let terraform = "resource \"aws_s3_bucket\" \"site\" {\n  # cordon:allow iac/aws-s3-public-acl reason=\"static site\"\n  acl = \"public-read\"\n}\n\nresource \"aws_ebs_volume\" \"data\" { # checkov:skip=CKV_AWS_3\n  size = 1\n}\n";
    write(dir.path(), "main.tf", terraform);
    let outcome = run(dir.path(), json!({}));
    let summary = outcome.summary();
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "iac/aws-s3-public-acl")
    );
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "iac/aws-ebs-unencrypted")
    );
    let no_reason = find(&outcome, "main.tf", SUPPRESSION_WITHOUT_REASON_RULE);
    assert_eq!(start(no_reason).0, line_of(terraform, "checkov:skip"));
    assert_eq!(no_reason.severity, Severity::Low);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.starts_with("2 finding(s) suppressed: 2 by comments")),
        "{:?}",
        summary.notes
    );

    // A policy that forbids repository suppressions turns comments off.
    let outcome = run(dir.path(), json!({ "inline-suppressions": false }));
    find(&outcome, "main.tf", "iac/aws-s3-public-acl");
    find(&outcome, "main.tf", "iac/aws-ebs-unencrypted");
}

#[test]
fn large_files_are_skipped_and_ungranted_artifacts_noted() {
    let dir = sample();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Iac>(json!({ "max-file-bytes": 100 }));
    let summary = outcome.summary();
    // Every IaC candidate over 100 bytes is skipped, and only those.
    let mut skipped: Vec<&str> = summary.skipped.iter().map(|s| s.path.as_str()).collect();
    skipped.sort_unstable();
    let mut expected: Vec<&str> = [
        ".github/workflows/ci.yml",
        "Dockerfile",
        "infra/main.tf",
        "k8s/deploy.yaml",
        "package.json",
    ]
    .into_iter()
    .filter(|path| std::fs::metadata(dir.path().join(path)).unwrap().len() > 100)
    .collect();
    expected.sort_unstable();
    assert_eq!(skipped, expected);
    assert!(skipped.contains(&"infra/main.tf"));
    assert!(
        summary
            .skipped
            .iter()
            .all(|s| s.reason.contains("max-file-bytes"))
    );
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.rule_id.starts_with("iac/aws-"))
    );
    assert!(outcome.artifacts.is_empty());
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("`iac-inventory` artifact not written")),
        "{:?}",
        summary.notes
    );
}

/// The default pipeline's grant for this stage must cover every kind of
/// file the stage parses (and the stage reads nothing else).
#[test]
fn the_default_pipeline_grant_covers_every_format() {
    let pipeline: toml::Table =
        toml::from_str(include_str!("../../../../runner/src/config/default.toml")).unwrap();
    let grants = &pipeline["stages"]["iac"]["grants"];
    let globs: Vec<&str> = grants["read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|glob| glob.as_str().unwrap())
        .collect();
    assert_eq!(
        grants["artifacts"]["write"].as_array().unwrap(),
        &vec![toml::Value::from(INVENTORY_ARTIFACT)]
    );
    let dir = sample();
    write(
        dir.path(),
        "cfn/stack.template",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Disk:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 1\n",
    );
    write(dir.path(), "svc/api.dockerfile", DOCKERFILE);
    write(dir.path(), "svc/Containerfile", DOCKERFILE);
    write(dir.path(), "infra/prod.tfvars", "region = \"eu-west-1\"\n");
    write(dir.path(), "src/main.rs", "fn main() {}\n");
    let outcome = Harness::new(dir.path())
        .read(&globs)
        .writes(INVENTORY_ARTIFACT)
        .run::<Iac>(json!({}));
    let summary = outcome.summary();
    assert!(outcome.denied.is_empty(), "{:?}", outcome.denied);
    let inventory: Inventory =
        serde_json::from_slice(&outcome.artifacts[INVENTORY_ARTIFACT].bytes).unwrap();
    let paths: Vec<&str> = inventory.files.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        ".github/workflows/ci.yml",
        "Dockerfile",
        "cfn/stack.template",
        "infra/main.tf",
        "infra/prod.tfvars",
        "k8s/deploy.yaml",
        "svc/Containerfile",
        "svc/api.dockerfile",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} not scanned: {paths:?}"
        );
    }
    find(&outcome, "cfn/stack.template", "iac/cfn-ebs-unencrypted");
    // package.json is granted (JSON can be CloudFormation); main.rs is not.
    assert_eq!(summary.files_scanned, 9);
}

#[test]
fn values_known_only_at_deploy_time_are_counted_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "variable \"encrypted\" {}\n\nresource \"aws_ebs_volume\" \"data\" {\n  size      = 1\n  encrypted = var.encrypted\n}\n",
    );
    let outcome = run(dir.path(), json!({}));
    let summary = outcome.summary();
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "iac/aws-ebs-unencrypted")
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.starts_with("1 check(s) not evaluated")),
        "{:?}",
        summary.notes
    );
    assert!(
        outcome.logs.iter().any(|(_, message)| message
            .contains("iac/aws-ebs-unencrypted not evaluated on aws_ebs_volume.data")
            && message.contains("var.encrypted")),
        "{:?}",
        outcome.logs
    );
}
