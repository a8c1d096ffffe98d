//! Stage options: disabling, severity overrides, path ignores with
//! reasons, and the suppression switches a policy may force.

use cordon_iac_engine::{ConfigError, Engine, IacConfig, SUPPRESSION_UNKNOWN_RULE, Severity};

const BUCKET: &str = "resource \"aws_s3_bucket\" \"site\" {\n  acl = \"public-read\" # cordon:allow iac/aws-s3-public-acl reason=\"marketing site\"\n}\n";

fn engine(json: &str) -> Result<Engine, ConfigError> {
    Engine::new()
        .unwrap()
        .configure(&IacConfig::from_json(json)?)
}

#[test]
fn unknown_keys_rules_and_missing_reasons_are_errors() {
    assert!(matches!(
        engine(r#"{"disabled-rule": []}"#),
        Err(ConfigError::Json(_))
    ));
    let unknown = engine(r#"{"disabled-rules": ["iac/aws-s3-pubic-acl"]}"#)
        .err()
        .unwrap();
    assert!(
        unknown.to_string().contains("iac/aws-s3-pubic-acl"),
        "{unknown}"
    );
    assert!(matches!(
        engine(r#"{"ignore": [{"rule": "iac/aws-s3-public-acl", "reason": " "}]}"#),
        Err(ConfigError::MissingReason(_))
    ));
    assert!(matches!(
        engine(
            r#"{"ignore": [{"rule": "iac/aws-s3-public-acl", "paths": ["a/[b"], "reason": "x"}]}"#
        ),
        Err(ConfigError::Glob { .. })
    ));
    assert!(engine("").is_ok());
}

#[test]
fn disabled_rules_do_not_run_and_severity_can_be_overridden() {
    let engine = engine(
        r#"{"disabled-rules": ["iac/aws-s3-no-public-access-block"], "severity": {"iac/aws-s3-access-logging-disabled": "info"}}"#,
    )
    .unwrap();
    assert!(
        !engine
            .policies()
            .iter()
            .any(|p| p.id == "iac/aws-s3-no-public-access-block")
    );
    let report = engine.scan(&[("main.tf", BUCKET)]);
    assert!(
        !report
            .findings()
            .any(|f| f.rule_id == "iac/aws-s3-no-public-access-block")
    );
    let logging = report
        .findings()
        .find(|f| f.rule_id == "iac/aws-s3-access-logging-disabled")
        .unwrap();
    assert_eq!(logging.severity, Severity::Info);
}

#[test]
fn ignore_entries_suppress_by_path_with_their_reason() {
    let engine = engine(
        r#"{"ignore": [{"rule": "iac/aws-s3-no-sse-configuration", "paths": ["site/**"], "reason": "public assets only"}]}"#,
    )
    .unwrap();
    let report = engine.scan(&[("site/main.tf", BUCKET), ("data/main.tf", BUCKET)]);
    let suppressed: Vec<_> = report
        .suppressed()
        .filter(|s| s.finding.rule_id == "iac/aws-s3-no-sse-configuration")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].finding.path, "site/main.tf");
    assert_eq!(suppressed[0].by.syntax, "options");
    assert_eq!(
        suppressed[0].by.reason.as_deref(),
        Some("public assets only")
    );
    assert!(
        report
            .findings()
            .any(|f| f.rule_id == "iac/aws-s3-no-sse-configuration" && f.path == "data/main.tf")
    );
}

#[test]
fn inline_suppressions_can_be_turned_off_or_refused_per_rule() {
    let default = engine("{}").unwrap().scan(&[("main.tf", BUCKET)]);
    assert!(
        default
            .suppressed()
            .any(|s| s.finding.rule_id == "iac/aws-s3-public-acl")
    );
    assert!(
        !default
            .findings()
            .any(|f| f.rule_id == "iac/aws-s3-public-acl")
    );

    let off = engine(r#"{"inline-suppressions": false}"#)
        .unwrap()
        .scan(&[("main.tf", BUCKET)]);
    assert!(off.findings().any(|f| f.rule_id == "iac/aws-s3-public-acl"));
    assert_eq!(off.suppressed().count(), 0);

    let refused = engine(r#"{"unsuppressible-rules": ["iac/aws-s3-public-acl"]}"#)
        .unwrap()
        .scan(&[("main.tf", BUCKET)]);
    assert!(
        refused
            .findings()
            .any(|f| f.rule_id == "iac/aws-s3-public-acl")
    );
}

#[test]
fn suppressions_naming_no_policy_are_findings_but_disabled_ones_are_known() {
    let tf = "resource \"aws_ebs_volume\" \"v\" {\n  # cordon:allow iac/aws-ebs-unencryptd reason=\"typo\"\n  # cordon:allow iac/docker-sudo reason=\"disabled\"\n  # checkov:skip=CKV_AWS_999:not ours\n  size = 1\n}\n";
    let report = engine(r#"{"disabled-rules": ["iac/docker-sudo"]}"#)
        .unwrap()
        .scan(&[("main.tf", tf)]);
    let unknown: Vec<_> = report
        .findings()
        .filter(|f| f.rule_id == SUPPRESSION_UNKNOWN_RULE)
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].location.line, 2);
    assert!(unknown[0].message.contains("iac/aws-ebs-unencryptd"));
    // The typo suppresses nothing.
    assert!(
        report
            .findings()
            .any(|f| f.rule_id == "iac/aws-ebs-unencrypted")
    );
}
