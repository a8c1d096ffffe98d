//! The engine over a small realistic directory per framework: findings at
//! the right line with the resource address, suppressions listed (not
//! dropped), unevaluable values reported, unparsable files listed as not
//! scanned, non-IaC files left alone, and the inventory filled.

use std::path::Path;

use cordon_iac_engine::{
    Engine, Finding, Framework, PARSE_ERROR_RULE, SUPPRESSION_WITHOUT_REASON_RULE, ScanReport,
};

/// Reads `tests/fixtures/<name>` into (relative path, bytes) pairs.
fn fixture(name: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn scan(name: &str) -> (ScanReport, Vec<(String, Vec<u8>)>) {
    let files = fixture(name);
    (Engine::new().unwrap().scan(&files), files)
}

/// 1-based line of the first line of `path` containing `needle`.
fn line_of(files: &[(String, Vec<u8>)], path: &str, needle: &str) -> u32 {
    let (_, bytes) = files.iter().find(|(p, _)| p == path).unwrap();
    let text = String::from_utf8_lossy(bytes);
    let index = text
        .lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {path}"));
    index as u32 + 1
}

fn find<'a>(report: &'a ScanReport, path: &str, rule: &str, resource: &str) -> &'a Finding {
    report
        .findings()
        .find(|f| f.path == path && f.rule_id == rule && f.resource == resource)
        .unwrap_or_else(|| {
            let all: Vec<_> = report
                .findings()
                .map(|f| (&f.path, &f.rule_id, &f.resource, f.location.line))
                .collect();
            panic!("no {rule} on {resource} in {path}; findings: {all:#?}")
        })
}

fn has(report: &ScanReport, rule: &str, resource: &str) -> bool {
    report
        .findings()
        .any(|f| f.rule_id == rule && f.resource == resource)
}

#[test]
fn terraform_module() {
    let (report, files) = scan("terraform");
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["broken/main.tf", "main.tf", "network/sg.tf", "variables.tf"]
    );

    // A literal from a local built from a variable default; the finding
    // sits on the attribute and names the resource.
    let acl = find(
        &report,
        "main.tf",
        "iac/aws-s3-public-acl",
        "aws_s3_bucket.assets",
    );
    assert_eq!(
        acl.location.line,
        line_of(&files, "main.tf", "acl    = \"public-read\"")
    );
    assert_eq!(acl.location.column, 3);
    assert!(acl.message.contains("aws_s3_bucket.assets"));
    assert!(acl.references.iter().any(|r| r.contains("CIS")));
    // The public access block references the bucket, so that check passes;
    // a missing attribute points at the resource block.
    assert!(!has(
        &report,
        "iac/aws-s3-no-public-access-block",
        "aws_s3_bucket.assets"
    ));
    let sse = find(
        &report,
        "main.tf",
        "iac/aws-s3-no-sse-configuration",
        "aws_s3_bucket.assets",
    );
    assert_eq!(sse.location.line, 1);

    // jsonencode(...) is looked into; the finding is on the Action.
    let admin = find(
        &report,
        "main.tf",
        "iac/aws-iam-wildcard-admin",
        "aws_iam_policy.ci",
    );
    assert_eq!(
        admin.location.line,
        line_of(&files, "main.tf", "Action   = \"*\"")
    );

    // A variable without default is neither a finding nor a guess.
    let main = report.files.iter().find(|f| f.path == "main.tf").unwrap();
    assert!(!has(
        &report,
        "iac/aws-rds-plaintext-password",
        "aws_db_instance.main"
    ));
    assert!(!has(
        &report,
        "iac/aws-rds-unencrypted",
        "aws_db_instance.main"
    ));
    assert!(main.unevaluated.is_empty(), "{:?}", main.unevaluated);

    // Suppressed with a reason: listed, not reported.
    let ebs = main
        .suppressed
        .iter()
        .find(|s| s.finding.rule_id == "iac/aws-ebs-unencrypted")
        .unwrap();
    assert_eq!(ebs.finding.resource, "aws_ebs_volume.scratch");
    assert_eq!(ebs.by.syntax, "cordon");
    assert_eq!(
        ebs.by.reason.as_deref(),
        Some("scratch volume, wiped nightly")
    );
    assert!(!has(
        &report,
        "iac/aws-ebs-unencrypted",
        "aws_ebs_volume.scratch"
    ));

    // The SSH finding is on the open rule's CIDR line, not the HTTPS one.
    let ssh = find(
        &report,
        "network/sg.tf",
        "iac/aws-sg-ssh-open-to-world",
        "aws_security_group.bastion",
    );
    assert_eq!(ssh.location.line, 9);
    // A Checkov id suppresses ours through the alias; no reason is itself
    // a finding.
    let sg = report
        .files
        .iter()
        .find(|f| f.path == "network/sg.tf")
        .unwrap();
    let rdp = sg
        .suppressed
        .iter()
        .find(|s| s.finding.rule_id == "iac/aws-sg-rdp-open-to-world")
        .unwrap();
    assert_eq!(
        (rdp.by.syntax.as_str(), rdp.by.id.as_str()),
        ("checkov", "CKV_AWS_25")
    );
    let no_reason = find(
        &report,
        "network/sg.tf",
        SUPPRESSION_WITHOUT_REASON_RULE,
        "",
    );
    assert_eq!(
        no_reason.location.line,
        line_of(&files, "network/sg.tf", "checkov:skip")
    );

    // The broken module is listed as not scanned, with the parser's place.
    let broken = report
        .files
        .iter()
        .find(|f| f.path == "broken/main.tf")
        .unwrap();
    assert!(broken.not_scanned.is_some());
    assert_eq!(broken.findings.len(), 1);
    assert_eq!(broken.findings[0].rule_id, PARSE_ERROR_RULE);
    assert!(
        (2..=3).contains(&broken.findings[0].location.line),
        "{:?}",
        broken.findings[0]
    );

    // Inventory and uncovered kinds.
    assert!(
        main.resources
            .iter()
            .any(|r| r.kind == "aws_s3_bucket" && r.address == "aws_s3_bucket.assets" && r.covered)
    );
    assert_eq!(report.uncovered_kinds.get("aws_route53_zone"), Some(&1));
}

#[test]
fn terraform_variables_without_defaults_are_reported_unevaluated() {
    let tf = "variable \"encrypted\" {}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = var.encrypted\n}\n";
    let report = Engine::new().unwrap().scan(&[("main.tf", tf)]);
    assert!(!has(&report, "iac/aws-ebs-unencrypted", "aws_ebs_volume.v"));
    let unevaluated = &report.files[0].unevaluated;
    assert_eq!(unevaluated.len(), 1, "{unevaluated:?}");
    assert_eq!(unevaluated[0].rule_id, "iac/aws-ebs-unencrypted");
    assert_eq!(unevaluated[0].expression, "var.encrypted");
    assert_eq!(unevaluated[0].location.line, 3);
}

#[test]
fn cloudformation_yaml_and_json() {
    let (report, files) = scan("cloudformation");
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["iam.json", "stack.yaml"],
        "non-IaC YAML is left out"
    );
    assert!(
        report
            .files
            .iter()
            .all(|f| f.framework == Some(Framework::Cloudformation))
    );

    let acl = find(
        &report,
        "stack.yaml",
        "iac/cfn-s3-public-access-control",
        "Assets",
    );
    assert_eq!(
        acl.location.line,
        line_of(&files, "stack.yaml", "AccessControl: PublicRead")
    );
    let block = find(
        &report,
        "stack.yaml",
        "iac/cfn-s3-public-access-not-blocked",
        "Assets",
    );
    assert_eq!(
        block.location.line,
        line_of(&files, "stack.yaml", "BlockPublicAcls: false")
    );
    let ssh = find(
        &report,
        "stack.yaml",
        "iac/cfn-sg-ssh-open-to-world",
        "WebSg",
    );
    assert_eq!(
        ssh.location.line,
        line_of(&files, "stack.yaml", "FromPort: 22") + 2
    );
    let public = find(
        &report,
        "stack.yaml",
        "iac/cfn-rds-publicly-accessible",
        "Db",
    );
    assert_eq!(
        public.location.line,
        line_of(&files, "stack.yaml", "PubliclyAccessible: true")
    );
    // A dynamic reference is not a typed-in password.
    assert!(!has(&report, "iac/cfn-rds-plaintext-password", "Db"));
    // `!Ref EncryptParam` is decided at deploy time: unevaluated, not guessed.
    assert!(!has(&report, "iac/cfn-rds-unencrypted", "Db"));
    let stack = report
        .files
        .iter()
        .find(|f| f.path == "stack.yaml")
        .unwrap();
    let unevaluated = stack
        .unevaluated
        .iter()
        .find(|u| u.rule_id == "iac/cfn-rds-unencrypted")
        .unwrap();
    assert_eq!(unevaluated.expression, "!Ref EncryptParam");
    assert_eq!(
        unevaluated.location.line,
        line_of(&files, "stack.yaml", "StorageEncrypted: !Ref")
    );

    let admin = find(&report, "iam.json", "iac/cfn-iam-wildcard-admin", "CiRole");
    assert_eq!(
        admin.location.line,
        line_of(&files, "iam.json", "\"Action\": \"*\"")
    );
    assert_eq!(
        report
            .uncovered_kinds
            .get("AWS::CloudFormation::WaitConditionHandle"),
        Some(&1)
    );
}

#[test]
fn kubernetes_manifests() {
    let (report, files) = scan("kubernetes");
    let hardened = "Deployment/web container web";
    assert!(
        !report.findings().any(|f| f.resource == hardened),
        "hardened container flagged: {:?}",
        report
            .findings()
            .filter(|f| f.resource == hardened)
            .map(|f| &f.rule_id)
            .collect::<Vec<_>>()
    );
    let debug = "Deployment/web container debug";
    let privileged = find(&report, "app.yaml", "iac/k8s-privileged-container", debug);
    assert_eq!(
        privileged.location.line,
        line_of(&files, "app.yaml", "privileged: true")
    );
    let latest = find(&report, "app.yaml", "iac/k8s-image-not-pinned", debug);
    assert_eq!(
        latest.location.line,
        line_of(&files, "app.yaml", "busybox:latest")
    );
    assert!(has(&report, "iac/k8s-no-memory-limit", debug));
    // runAsNonRoot on the pod covers every container.
    assert!(!has(&report, "iac/k8s-may-run-as-root", debug));

    // CronJob pod spec, suppressed with Trivy's syntax and our id.
    let app = report.files.iter().find(|f| f.path == "app.yaml").unwrap();
    let host_pid = app
        .suppressed
        .iter()
        .find(|s| s.finding.rule_id == "iac/k8s-host-pid")
        .unwrap();
    assert_eq!(host_pid.finding.resource, "CronJob/cleanup");
    assert_eq!(host_pid.by.syntax, "trivy");
    assert!(has(&report, SUPPRESSION_WITHOUT_REASON_RULE, ""));
    assert!(has(
        &report,
        "iac/k8s-may-run-as-root",
        "CronJob/cleanup container cleanup"
    ));

    let broken = report
        .files
        .iter()
        .find(|f| f.path == "broken.yaml")
        .unwrap();
    assert_eq!(broken.framework, Some(Framework::Kubernetes));
    assert!(broken.not_scanned.is_some());
    assert_eq!(broken.findings[0].rule_id, PARSE_ERROR_RULE);
    assert!(
        broken.findings[0].location.line >= 5,
        "{:?}",
        broken.findings[0]
    );

    let kinds: Vec<&str> = app.resources.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["Deployment", "Service", "CronJob"]);
    // Workloads are covered through their pod spec and containers; the
    // ClusterIP Service is covered and clean.
    assert!(
        report.uncovered_kinds.is_empty(),
        "{:?}",
        report.uncovered_kinds
    );
    assert!(!report.findings().any(|f| f.resource == "Service/web"));

    let inventory = report.inventory();
    assert_eq!(inventory.by_kind.get("Deployment"), Some(&1));
    assert_eq!(inventory.not_scanned, ["broken.yaml"]);
    let json = serde_json::to_value(&inventory).unwrap();
    assert_eq!(json["files"][0]["framework"], "kubernetes");
}

#[test]
fn helm_templates_are_not_scanned_but_not_syntax_errors() {
    let template = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.fullname\" . }}\nspec:\n  replicas: {{ .Values.replicas }}\n  {{- with .Values.strategy }}\n  strategy: {{ toYaml . | nindent 4 }}\n  {{- end }}\n";
    let report = Engine::new()
        .unwrap()
        .scan(&[("chart/templates/deploy.yaml", template)]);
    assert_eq!(report.files.len(), 1);
    let file = &report.files[0];
    assert!(
        file.not_scanned
            .as_deref()
            .unwrap()
            .contains("helm template"),
        "{file:?}"
    );
    assert!(file.findings.is_empty());
}

#[test]
fn multi_stage_dockerfile() {
    let (report, files) = scan("dockerfile");
    let path = "api/Dockerfile";
    let final_stage = "stage 2";
    let unpinned = find(
        &report,
        path,
        "iac/docker-base-image-not-pinned",
        final_stage,
    );
    assert_eq!(unpinned.location.line, line_of(&files, path, "FROM ubuntu"));
    let secret = find(
        &report,
        path,
        "iac/docker-secret-in-env-or-arg",
        final_stage,
    );
    assert_eq!(secret.location.line, line_of(&files, path, "ENV API_TOKEN"));
    assert!(
        !secret.message.contains("example-token-value"),
        "the value is never printed"
    );
    let pipe = find(&report, path, "iac/docker-curl-pipe-shell", final_stage);
    assert_eq!(
        pipe.location.line,
        line_of(&files, path, "RUN apt-get update")
    );
    let root = find(&report, path, "iac/docker-user-root", final_stage);
    assert_eq!(root.location.line, line_of(&files, path, "USER root"));
    assert!(has(&report, "iac/docker-no-healthcheck", final_stage));
    assert!(!has(&report, "iac/docker-no-user", final_stage));
    // The build stage is pinned and does not run; nothing on it.
    assert!(!report.findings().any(|f| f.resource == "stage 1 (build)"));
}

#[test]
fn github_actions_workflow() {
    let (report, files) = scan("github-actions");
    let path = ".github/workflows/pr.yml";
    assert_eq!(report.files[0].framework, Some(Framework::GithubActions));
    let pwn = find(
        &report,
        path,
        "iac/gha-pull-request-target-checkout-head",
        "workflow",
    );
    assert_eq!(pwn.location.line, line_of(&files, path, "ref: ${{"));
    let write_all = find(&report, path, "iac/gha-permissions-write-all", "workflow");
    assert_eq!(
        write_all.location.line,
        line_of(&files, path, "permissions: write-all")
    );
    let injection = find(
        &report,
        path,
        "iac/gha-script-injection",
        "jobs.test.steps[3]",
    );
    assert_eq!(injection.location.line, line_of(&files, path, "run: |"));
    let unpinned = find(
        &report,
        path,
        "iac/gha-unpinned-action",
        "jobs.test.steps[2]",
    );
    assert_eq!(unpinned.location.line, line_of(&files, path, "golangci"));
    // First-party actions and SHA-pinned ones are fine.
    assert!(!has(
        &report,
        "iac/gha-unpinned-action",
        "jobs.test.steps[1]"
    ));
    assert!(!has(
        &report,
        "iac/gha-unpinned-action",
        "jobs.test.steps[4]"
    ));
    assert!(!has(&report, "iac/gha-no-permissions", "workflow"));
}

#[test]
fn hostile_and_odd_input_never_panics() {
    let engine = Engine::new().unwrap();
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let alias_bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\napiVersion: v1\nkind: Pod\n";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a.tf", vec![0xff, 0xfe, 0x00]),
        ("b.tf", b"resource \"x\" {".to_vec()),
        (
            "c.tf",
            b"resource \"a\" \"b\" { x = [for i in var.l : i] count = 3 }".to_vec(),
        ),
        ("Dockerfile", b"FROM\nRUN <<A <<B\nx\nA\n".to_vec()),
        ("k8s.yaml", nested.clone().into_bytes()),
        ("bomb.yaml", alias_bomb.as_bytes().to_vec()),
        (
            "pod.json",
            b"{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": 7}".to_vec(),
        ),
        (".github/workflows/x.yml", b"on: [push\njobs: {".to_vec()),
        (".github/workflows/y.yml", b"jobs: 3\n".to_vec()),
        (
            "t.yaml",
            b"Resources: [1, 2]\nAWSTemplateFormatVersion: x\n".to_vec(),
        ),
    ];
    let report = engine.scan(&cases);
    let not_scanned: Vec<&str> = report
        .files
        .iter()
        .filter(|f| f.not_scanned.is_some())
        .map(|f| f.path.as_str())
        .collect();
    for expected in ["a.tf", "b.tf", "Dockerfile", ".github/workflows/x.yml"] {
        assert!(
            not_scanned.contains(&expected),
            "{expected} not listed as unscanned: {not_scanned:?}"
        );
    }
    for file in report.files.iter().filter(|f| f.not_scanned.is_some()) {
        assert!(
            file.findings
                .iter()
                .any(|f| f.rule_id == PARSE_ERROR_RULE && f.location.line >= 1)
        );
    }
}

#[test]
fn deep_nesting_is_refused_by_the_parsers_not_a_stack_overflow() {
    let engine = Engine::new().unwrap();
    let depth = 200_000;
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nspec: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let hcl = format!(
        "resource \"a\" \"b\" {{ x = {}{} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let report = engine.scan(&[("k.yaml", yaml.as_str()), ("m.tf", hcl.as_str())]);
    assert_eq!(report.files.len(), 2);
    for file in &report.files {
        assert!(file.not_scanned.is_some(), "{}", file.path);
        assert_eq!(file.findings[0].rule_id, PARSE_ERROR_RULE);
    }
}

#[test]
fn kubernetes_json_and_list_objects() {
    let json = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\n      \"apiVersion\": \"v1\",\n      \"kind\": \"Pod\",\n      \"metadata\": {\"name\": \"p\"},\n      \"spec\": {\n        \"containers\": [\n          {\"name\": \"c\", \"image\": \"nginx:1.27\", \"securityContext\": {\"privileged\": true}}\n        ]\n      }\n    }\n  ]\n}\n";
    let report = Engine::new().unwrap().scan(&[("k8s/pod.json", json)]);
    assert_eq!(report.files[0].framework, Some(Framework::Kubernetes));
    let finding = find(
        &report,
        "k8s/pod.json",
        "iac/k8s-privileged-container",
        "Pod/p container c",
    );
    assert_eq!(finding.location.line, 11);
}

#[test]
fn malformed_cloudformation_is_listed_with_the_parser_location() {
    let template = "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {\n    \"B\": {\"Type\": \"AWS::S3::Bucket\",}\n  \n";
    let report = Engine::new().unwrap().scan(&[("stack.json", template)]);
    assert_eq!(report.files.len(), 1);
    let file = &report.files[0];
    assert_eq!(file.framework, Some(Framework::Cloudformation));
    assert!(file.not_scanned.is_some());
    assert_eq!(file.findings.len(), 1);
    assert_eq!(file.findings[0].rule_id, PARSE_ERROR_RULE);
    assert!(
        file.findings[0].location.line >= 4,
        "{:?}",
        file.findings[0]
    );
    assert!(file.findings[0].message.contains("does not parse"));
}

#[test]
fn terraform_json_syntax_is_scanned_like_hcl() {
    let json = "{\n  \"resource\": {\n    \"aws_ebs_volume\": {\n      \"data\": {\n        \"size\": 10,\n        \"encrypted\": false\n      }\n    }\n  }\n}\n";
    let report = Engine::new()
        .unwrap()
        .scan(&[("stacks/web/cdk.tf.json", json)]);
    assert_eq!(report.files[0].framework, Some(Framework::Terraform));
    let finding = find(
        &report,
        "stacks/web/cdk.tf.json",
        "iac/aws-ebs-unencrypted",
        "aws_ebs_volume.data",
    );
    assert_eq!(finding.location.line, 6);
}
