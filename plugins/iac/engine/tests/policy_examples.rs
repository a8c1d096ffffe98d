//! Every policy's examples: each vulnerable snippet must trigger the policy
//! (at a real line of the snippet), each fixed snippet must not, and
//! neither may fail to parse or leave the policy unevaluated.

use cordon_iac_engine::{Engine, Framework, PARSE_ERROR_RULE, POLICY_FILES, parse_policy_file};

/// Where an example is scanned from: a path the engine routes to the
/// policy's framework.
fn example_path(framework: Framework) -> &'static str {
    match framework {
        Framework::Terraform => "example/main.tf",
        Framework::Cloudformation => "example/template.yaml",
        Framework::Kubernetes => "example/manifest.yaml",
        Framework::Dockerfile => "example/Dockerfile",
        Framework::GithubActions => ".github/workflows/example.yml",
    }
}

fn check_file(file_name: &str) {
    let (_, text) = POLICY_FILES
        .iter()
        .find(|(name, _)| *name == file_name)
        .expect("policy file is embedded");
    let policies = parse_policy_file(file_name, text).expect("policy file parses");
    assert!(!policies.is_empty(), "{file_name} has no policies");
    let engine = Engine::new().expect("built-in policies load");
    let mut failures = Vec::new();
    for policy in &policies {
        let path = example_path(policy.framework);
        for (index, example) in policy.examples.vulnerable.iter().enumerate() {
            let report = engine.scan(&[(path, example.as_str())]);
            let lines = example.lines().count() as u32;
            let hit = report
                .findings()
                .find(|finding| finding.rule_id == policy.id);
            match hit {
                Some(finding) if (1..=lines).contains(&finding.location.line) => {}
                Some(finding) => failures.push(format!(
                    "{} vulnerable #{index}: line {} outside the snippet",
                    policy.id, finding.location.line
                )),
                None => failures.push(format!(
                    "{} vulnerable #{index}: not detected; findings {:?}; unevaluated {:?}",
                    policy.id,
                    report.findings().map(|f| &f.rule_id).collect::<Vec<_>>(),
                    report
                        .files
                        .iter()
                        .flat_map(|f| &f.unevaluated)
                        .collect::<Vec<_>>(),
                )),
            }
            if report
                .findings()
                .any(|finding| finding.rule_id == PARSE_ERROR_RULE)
            {
                failures.push(format!("{} vulnerable #{index}: does not parse", policy.id));
            }
        }
        for (index, example) in policy.examples.fixed.iter().enumerate() {
            let report = engine.scan(&[(path, example.as_str())]);
            if report.files.is_empty() {
                failures.push(format!(
                    "{} fixed #{index}: not recognised as {}",
                    policy.id, policy.framework
                ));
            }
            if report
                .findings()
                .any(|finding| finding.rule_id == policy.id)
            {
                failures.push(format!("{} fixed #{index}: still reported", policy.id));
            }
            if report
                .findings()
                .any(|finding| finding.rule_id == PARSE_ERROR_RULE)
            {
                failures.push(format!("{} fixed #{index}: does not parse", policy.id));
            }
            let unevaluated = report
                .files
                .iter()
                .flat_map(|f| &f.unevaluated)
                .any(|u| u.rule_id == policy.id);
            if unevaluated {
                failures.push(format!("{} fixed #{index}: left unevaluated", policy.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} example failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every embedded policy file, whatever its name: a file added to
/// `policies/` is checked without an edit here.
#[test]
fn every_policy_files_examples() {
    assert!(
        POLICY_FILES.len() >= 5,
        "only {} policy files",
        POLICY_FILES.len()
    );
    for (file_name, _) in POLICY_FILES {
        check_file(file_name);
    }
}

#[test]
fn builtin_catalogue_is_consistent() {
    let engine = Engine::new().unwrap();
    let policies = engine.policies();
    assert!(policies.len() >= 60, "only {} policies", policies.len());
    for policy in policies {
        assert!(policy.id.starts_with("iac/"), "{}", policy.id);
        assert!(
            !policy.title.is_empty() && !policy.remediation.is_empty(),
            "{}",
            policy.id
        );
        assert!(
            policy.id[4..]
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "{} is not a kebab-case id",
            policy.id
        );
    }
}
