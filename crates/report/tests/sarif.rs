mod common;

use common::*;
use cordon_report::{Severity, sarif};
use serde_json::{Value, json};

fn run<'a>(log: &'a Value, driver: &str) -> &'a Value {
    log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["tool"]["driver"]["name"] == driver)
        .unwrap_or_else(|| panic!("no run for {driver}"))
}

fn result<'a>(run: &'a Value, rule_id: &str) -> &'a Value {
    run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == rule_id)
        .unwrap_or_else(|| panic!("no result for {rule_id}"))
}

#[test]
fn sample_log_is_valid_for_the_schema_and_github() {
    assert_valid_sarif(&sarif::render(&sample_report()), "sample");
}

#[test]
fn hostile_log_is_valid_for_the_schema_and_github() {
    assert_valid_sarif(&sarif::render(&hostile_report()), "hostile");
}

#[test]
fn empty_log_is_valid_for_the_schema_and_github() {
    let log = sarif::render(&empty_report());
    assert_eq!(log["runs"], json!([]));
    assert_valid_sarif(&log, "empty");
}

#[test]
fn log_header_and_one_run_per_stage_with_a_plugin() {
    let log = sarif::render(&sample_report());
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let drivers: Vec<&str> = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tool"]["driver"]["name"].as_str().unwrap())
        .collect();
    // `sbom-check` (skipped) and `custom` (plugin not loaded) have no plugin.
    assert_eq!(drivers, ["cordon-secrets", "cordon-models", "cordon-audit"]);
    let categories: Vec<&str> = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        ["cordon/secrets/", "cordon/models/", "cordon/audit/"]
    );
    // No machine paths: the base id is never resolved in the log.
    assert!(log.to_string().find("originalUriBaseIds").is_none());
}

#[test]
fn driver_and_rules() {
    let log = sarif::render(&sample_report());
    let secrets = run(&log, "cordon-secrets");
    let driver = &secrets["tool"]["driver"];
    assert_eq!(driver["version"], "0.1.0");
    assert_eq!(driver["semanticVersion"], "0.1.0");
    assert_eq!(
        driver["informationUri"],
        "https://github.com/cordon-sec/cordon"
    );
    assert_eq!(driver["properties"]["sha256"], "ab".repeat(32));
    assert_eq!(driver["properties"]["source"], "builtin:secrets");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    let pat = &rules[0];
    assert_eq!(pat["id"], "secrets/github-pat");
    assert_eq!(pat["name"], "SecretsGithubPat");
    assert_eq!(
        pat["shortDescription"]["text"],
        "GitHub personal access token"
    );
    assert_eq!(
        pat["fullDescription"]["text"],
        "GitHub personal access token: a longer description."
    );
    assert_eq!(
        pat["help"]["text"],
        "Remove the value and rotate it (secrets/github-pat)."
    );
    assert_eq!(
        pat["help"]["markdown"],
        "**GitHub personal access token**\n\nRemove the value and rotate it (secrets/github-pat)."
    );
    assert_eq!(pat["defaultConfiguration"]["level"], "error");
    assert_eq!(pat["properties"]["security-severity"], "8.0");
    assert_eq!(pat["properties"]["tags"], json!(["security"]));
    assert_eq!(rules[1]["properties"]["security-severity"], "9.5");
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "warning");
    assert_eq!(rules[2]["properties"]["security-severity"], "5.5");

    // A pre-release version is still a semantic version.
    let models = run(&log, "cordon-models");
    assert_eq!(models["tool"]["driver"]["semanticVersion"], "0.2.0-beta.1");
    // A rule only findings use gets one built from the finding.
    let models_rules = models["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(models_rules[1]["id"], "models/no-inventory");
    assert_eq!(
        models_rules[1]["shortDescription"]["text"],
        "models/no-inventory"
    );
    assert_eq!(models_rules[1]["properties"]["security-severity"], "0.0");
    assert_eq!(models_rules[1]["defaultConfiguration"]["level"], "note");

    // The audit stage has no catalogue: rules come from the findings' properties.
    let audit = run(&log, "cordon-audit");
    let audit_rules = audit["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(audit_rules.len(), 2);
    assert_eq!(audit_rules[0]["id"], "RUSTSEC-2024-0003");
    assert_eq!(audit_rules[0]["name"], "Rustsec20240003");
    assert_eq!(
        audit_rules[0]["shortDescription"]["text"],
        "Buffer overflow in SmallVec::insert_many"
    );
    assert_eq!(audit_rules[0]["help"]["text"], "Upgrade to >=1.6.1");
    assert_eq!(
        audit_rules[0]["helpUri"],
        "https://rustsec.org/advisories/RUSTSEC-2024-0003"
    );
    assert_eq!(audit_rules[0]["properties"]["security-severity"], "8.0");
}

/// A rule's own properties reach SARIF whether or not it fired: its theme
/// as a property and a tag, its page as `helpUri`; a key Cordon sets itself
/// is kept aside rather than overwriting it.
#[test]
fn rules_show_their_stated_properties_without_any_finding() {
    let mut report = sample_report();
    let secrets = &mut report.stages[0];
    let mut quiet = rule("iac/quiet", "Never fires here", Severity::Medium);
    quiet.properties = vec![
        ("theme".into(), "public-exposure".into()),
        ("help-uri".into(), "https://example.com/rules/quiet".into()),
        ("framework".into(), "terraform".into()),
        ("tags".into(), "not-an-array".into()),
        ("security-severity".into(), "10.0".into()),
    ];
    let mut bad_uri = rule("iac/bad-uri", "Page is not a web address", Severity::Low);
    bad_uri.properties = vec![("help-uri".into(), "file:///etc/passwd".into())];
    secrets.rules.push(quiet);
    secrets.rules.push(bad_uri);
    assert!(
        secrets
            .findings
            .iter()
            .all(|f| !f.rule_id.starts_with("iac/"))
    );

    let log = sarif::render(&report);
    let rules = run(&log, "cordon-secrets")["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let quiet = rules.iter().find(|r| r["id"] == "iac/quiet").unwrap();
    assert_eq!(quiet["properties"]["theme"], "public-exposure");
    assert_eq!(
        quiet["properties"]["tags"],
        json!(["security", "public-exposure"])
    );
    assert_eq!(quiet["properties"]["framework"], "terraform");
    assert_eq!(quiet["properties"]["rule-tags"], "not-an-array");
    assert_eq!(quiet["properties"]["rule-security-severity"], "10.0");
    assert_eq!(quiet["properties"]["security-severity"], "5.5");
    assert_eq!(quiet["helpUri"], "https://example.com/rules/quiet");
    let bad_uri = rules.iter().find(|r| r["id"] == "iac/bad-uri").unwrap();
    assert!(bad_uri.get("helpUri").is_none());
    assert_eq!(bad_uri["properties"]["tags"], json!(["security"]));
    assert_valid_sarif(&log, "rule-properties");
}

#[test]
fn results_with_regions_snippets_fingerprints_and_properties() {
    let log = sarif::render(&sample_report());
    let secrets = run(&log, "cordon-secrets");
    assert_eq!(secrets["columnKind"], "unicodeCodePoints");
    assert_eq!(secrets["results"].as_array().unwrap().len(), 3);

    let pat = result(secrets, "secrets/github-pat");
    assert_eq!(pat["ruleIndex"], 0);
    assert_eq!(pat["level"], "error");
    assert_eq!(
        pat["message"]["text"],
        format!("{TRICKY_MESSAGE} (commit 0123456789ab)")
    );
    let location = &pat["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "config/prod%20env/.env"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        location["region"],
        json!({
            "startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 45,
            "snippet": { "text": "GITHUB_TOKEN=ghp_****************" },
        })
    );
    assert_eq!(
        pat["partialFingerprints"],
        json!({ "cordonFingerprint/v1": sample_report().stages[0].findings[1].fingerprint })
    );
    assert_eq!(pat["properties"]["entropy"], "4.8");
    assert_eq!(pat["properties"]["severity"], "high");
    assert_eq!(pat["properties"]["commit"], COMMIT);

    let aws = result(secrets, "secrets/aws-access-key");
    assert_eq!(aws["ruleIndex"], 1);
    assert_eq!(aws["level"], "error");
    assert_eq!(aws["message"]["text"], "AWS access key id");
    assert!(aws["locations"][0]["physicalLocation"]["region"]["snippet"].is_null());

    // A location without region or offset is line 1 of the file.
    let generic = result(secrets, "secrets/generic-api-key");
    assert_eq!(generic["level"], "warning");
    let location = &generic["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "README.md");
    assert_eq!(location["region"], json!({ "startLine": 1 }));
}

#[test]
fn byte_offsets_and_archive_members() {
    let log = sarif::render(&sample_report());
    let models = run(&log, "cordon-models");
    let pickle = result(models, "models/pickle-code-execution");
    assert_eq!(pickle["level"], "error");
    assert_eq!(
        pickle["message"]["text"],
        "pickle opcode GLOBAL imports os.system (archive member `inner/model.pkl`)"
    );
    let location = &pickle["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "models/bundle.zip");
    assert_eq!(location["region"], json!({ "byteOffset": 1234 }));
    assert_eq!(pickle["properties"]["member"], "inner/model.pkl");
    assert_eq!(pickle["properties"]["byteOffset"], 1234);
    assert_eq!(pickle["properties"]["opcode"], "GLOBAL");
    // SARIF's `tags` must be an array: the finding's own `tags` is renamed.
    assert!(pickle["properties"]["tags"].is_null());
    assert_eq!(pickle["properties"]["finding-tags"], "not-an-array");
}

#[test]
fn findings_without_a_workspace_path_still_have_a_location() {
    let log = sarif::render(&sample_report());

    // No location at all: the stage's pseudo-path, line 1.
    let models = run(&log, "cordon-models");
    let unlocated = result(models, "models/no-inventory");
    assert_eq!(unlocated["level"], "note");
    let location = &unlocated["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "stage%3Amodels");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"], json!({ "startLine": 1 }));
    assert_eq!(unlocated["properties"]["location"], "");

    // From the sbom artifact: its pseudo-path, encoded to stay relative.
    let audit = run(&log, "cordon-audit");
    let advisory = result(audit, "RUSTSEC-2024-0003");
    let location = &advisory["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "artifact%3Asbom");
    assert_eq!(location["region"], json!({ "startLine": 1 }));
    assert_eq!(advisory["properties"]["location"], "artifact:sbom");
    assert_eq!(advisory["properties"]["package"], "smallvec");
    // A list property is an array, not the stage's JSON text.
    assert_eq!(
        advisory["properties"]["aliases"],
        json!(["CVE-2021-25900", "GHSA-43w2-9j62-hq99"])
    );

    // No location but a lockfile property: the lockfile.
    let lockfile = result(audit, "PYSEC-2024-0001");
    let location = &lockfile["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "app/requirements%20lock.txt"
    );
    assert_eq!(location["region"], json!({ "startLine": 1 }));
    assert_eq!(lockfile["ruleIndex"], 1);
}

#[test]
fn invocations_report_errors_skipped_files_denied_calls_and_notes() {
    let log = sarif::render(&sample_report());

    let secrets = run(&log, "cordon-secrets");
    let invocation = &secrets["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    let texts: Vec<&str> = notes
        .iter()
        .map(|n| n["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "could not scan: assets/huge model.bin — larger than max_file_bytes (10 MiB)",
            "host call denied: workspace.read .git/config — not in the stage's read globs",
            "host call denied: workspace.read /etc/passwd — outside the workspace",
            "host call denied: data.open osv — data set not granted",
            "3 rules disabled by configuration",
        ]
    );
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "assets/huge%20model.bin"
    );
    assert_eq!(notes[4]["level"], "note");

    // The errored stage keeps its run and its findings, and says it failed.
    let audit = run(&log, "cordon-audit");
    assert_eq!(audit["results"].as_array().unwrap().len(), 2);
    let invocation = &audit["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let error = &invocation["toolExecutionNotifications"][0];
    assert_eq!(error["level"], "error");
    assert_eq!(
        error["message"]["text"],
        "stage `audit` did not complete (timeout): the stage ran longer than 30s"
    );
    assert_eq!(error["properties"]["errorKind"], "timeout");
    assert_eq!(audit["properties"]["status"], "errored");
}

#[test]
fn version_control_provenance() {
    let log = sarif::render(&sample_report());
    let secrets = run(&log, "cordon-secrets");
    assert_eq!(
        secrets["versionControlProvenance"],
        json!([{
            "repositoryUri": "ssh://git@github.com/cordon-sec/demo.git",
            "revisionId": COMMIT,
            "branch": "main",
            "mappedTo": { "uriBaseId": "%SRCROOT%" },
        }])
    );

    // Without a remote the revision goes to the run's properties.
    let mut report = sample_report();
    if let Some(vcs) = report.version_control.as_mut() {
        vcs.repository_uri = None;
    }
    let log = sarif::render(&report);
    let secrets = run(&log, "cordon-secrets");
    assert!(secrets["versionControlProvenance"].is_null());
    assert_eq!(secrets["properties"]["revision"], COMMIT);
    assert_eq!(secrets["properties"]["branch"], "main");
    assert_valid_sarif(&log, "no-remote");
}

#[test]
fn hostile_input_is_sanitised() {
    let log = sarif::render(&hostile_report());
    let weird = run(&log, "cordon-weird");
    let results = weird["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    // Empty rule id and message are replaced, a zero region becomes line 1.
    assert_eq!(results[0]["ruleId"], "cordon/unknown-rule");
    assert_eq!(results[0]["message"]["text"], "cordon/unknown-rule");
    assert!(results[0]["partialFingerprints"].is_null());
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region, &json!({ "startLine": 1 }));
    // The first of two rules with one id wins.
    let rules = weird["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.iter().filter(|r| r["id"] == "dup").count(), 1);
    // A drive-letter path is not a workspace path.
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "C%3A%2FWindows%2Fwin.ini"
    );
    // Reversed regions are made consistent.
    let region = &results[2]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        region,
        &json!({ "startLine": 4, "startColumn": 9, "endLine": 4, "endColumn": 9 })
    );
    assert_eq!(
        results[4]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "%2Fabs%2Fpath"
    );
    // A non-http URL never becomes a helpUri.
    assert!(rules.iter().all(|r| r["helpUri"].is_null()));
}

/// The runner describes the audit stage's advisories from the findings
/// (with no address); the SARIF rule still links the advisory's own page,
/// and the log stays valid for the schema, the Multitool and GitHub.
#[test]
fn run_time_rules_take_their_help_uri_from_the_findings() {
    let mut audit = stage(
        "audit",
        Some(plugin("audit", "1.0.0")),
        cordon_report::StageStatus::Completed,
    );
    audit.rules = vec![rule(
        "GHSA-j8r2-6x86-q33q",
        "Unintended leak of Proxy-Authorization header",
        cordon_report::Severity::Medium,
    )];
    let mut leak = finding(
        "GHSA-j8r2-6x86-q33q",
        cordon_report::Severity::Medium,
        "requests 2.30.0 is affected by GHSA-j8r2-6x86-q33q",
        Some(location("requirements.txt")),
    );
    leak.properties = vec![
        (
            "help-uri".to_string(),
            "https://osv.dev/vulnerability/GHSA-j8r2-6x86-q33q".to_string(),
        ),
        (
            "url".to_string(),
            "https://access.redhat.com/errata/RHSA-2023:4520".to_string(),
        ),
        (
            "aliases".to_string(),
            r#"["CVE-2023-32681","PYSEC-2023-74"]"#.to_string(),
        ),
        (
            "dependency-path".to_string(),
            r#"["httpx 0.1.0","requests 2.30.0"]"#.to_string(),
        ),
    ];
    // A value that only looks like a list stays text, and so does a list
    // under a key that is not a list key.
    let mut odd = finding(
        "audit/other",
        cordon_report::Severity::Low,
        "odd",
        Some(location("requirements.txt")),
    );
    odd.properties = vec![
        ("aliases".to_string(), "[not json".to_string()),
        ("package".to_string(), r#"["a"]"#.to_string()),
        ("help-uri".to_string(), "javascript:alert(1)".to_string()),
    ];
    audit.findings = vec![leak, odd];
    let mut report = sample_report();
    report.stages = vec![audit];
    let log = sarif::render(&report);
    assert_valid_sarif(&log, "run-time-rules");

    let audit = run(&log, "cordon-audit");
    let rules = audit["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules[0]["id"], "GHSA-j8r2-6x86-q33q");
    assert_eq!(
        rules[0]["helpUri"],
        "https://osv.dev/vulnerability/GHSA-j8r2-6x86-q33q"
    );
    assert!(rules[1]["helpUri"].is_null(), "{}", rules[1]);
    let leak = result(audit, "GHSA-j8r2-6x86-q33q");
    assert_eq!(
        leak["properties"]["aliases"],
        json!(["CVE-2023-32681", "PYSEC-2023-74"])
    );
    assert_eq!(
        leak["properties"]["dependency-path"],
        json!(["httpx 0.1.0", "requests 2.30.0"])
    );
    let odd = result(audit, "audit/other");
    assert_eq!(odd["properties"]["aliases"], "[not json");
    assert_eq!(odd["properties"]["package"], r#"["a"]"#);
}

#[test]
fn pretty_string_is_the_same_log() {
    let report = sample_report();
    let parsed: Value = serde_json::from_str(&sarif::to_string_pretty(&report)).unwrap();
    assert_eq!(parsed, sarif::render(&report));
}

/// `CORDON_DUMP_SARIF=DIR cargo test -p cordon-report --test sarif dump -- --ignored`
/// writes the sample logs for a look with other tools.
#[test]
#[ignore]
fn dump() {
    let dir = std::env::var("CORDON_DUMP_SARIF").expect("CORDON_DUMP_SARIF=DIR");
    for (name, report) in [("sample", sample_report()), ("hostile", hostile_report())] {
        std::fs::write(
            format!("{dir}/{name}.sarif"),
            sarif::to_string_pretty(&report),
        )
        .unwrap();
    }
}

/// The validators are not vacuous: a result without a location (which
/// GitHub rejects) and a wrong version (which the schema rejects) fail.
#[test]
fn validators_reject_bad_logs() {
    let mut log = sarif::render(&sample_report());
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("locations");
    let multitool = std::panic::catch_unwind(|| assert_multitool_clean(&log, "bad"));
    assert!(
        multitool.is_err(),
        "the Multitool accepted a result without a location"
    );

    let mut log = sarif::render(&sample_report());
    log["version"] = json!("2.0.0");
    let schema = std::panic::catch_unwind(|| assert_schema_valid(&log));
    assert!(schema.is_err(), "the schema accepted version 2.0.0");
}
