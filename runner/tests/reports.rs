//! The reports of a real run — secrets, models, sbom, audit and a
//! third-party stage over a git repository — checked field by field, and
//! the SARIF validated by the SARIF Multitool with GitHub's rules.

mod common;
#[path = "../../crates/report/tests/common/validate.rs"]
mod validate;

use common::*;

/// A protocol-0 pickle that calls `os.system` when loaded.
const MALICIOUS_PICKLE: &[u8] = b"cos\nsystem\n(S'echo owned'\ntR.";

struct Reports {
    run: Run,
    sarif: serde_json::Value,
    junit: String,
    head: String,
}

fn full_run() -> Reports {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("my repo");
    std::fs::create_dir_all(&repo).unwrap();
    write_files(
        &repo,
        &[
            ("Cargo.lock", CARGO_LOCK),
            ("src/lib.rs", "// TODO: ship it\npub fn f() {}\n"),
        ],
    );
    std::fs::create_dir_all(repo.join("models")).unwrap();
    std::fs::write(repo.join("models/evil model.pkl"), MALICIOUS_PICKLE).unwrap();
    let hello = path_stage(
        "hello",
        "hello-stage",
        "[stages.hello.grants]\nread = [\"src/**\"]\nartifacts = { read = [\"sbom\"], write = [\"hello-report\"] }\n",
    );
    let default = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/config/default.toml"
    ))
    .unwrap();
    std::fs::write(repo.join("cordon.toml"), format!("{default}\n{hello}")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://example.com/acme/my-repo.git",
        ],
    );
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "initial"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let out = dir.path().join("out");
    let sarif_path = out.join("cordon.sarif");
    let junit_path = out.join("junit.xml");
    let db = shared("advisory-db");
    let run = cordon(
        &repo,
        &[
            "run",
            ".",
            "--pipeline",
            "cordon.toml",
            "--advisory-db",
            db.to_str().unwrap(),
            "--report",
            &format!("sarif={}", sarif_path.display()),
            "--report",
            &format!("junit={}", junit_path.display()),
        ],
    );
    let sarif = serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    let junit = std::fs::read_to_string(&junit_path).unwrap();
    Reports {
        run,
        sarif,
        junit,
        head,
    }
}

#[test]
fn a_real_run_reports_in_every_format() {
    let Reports {
        run,
        sarif,
        junit,
        head,
    } = full_run();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    for stage in ["secrets", "models", "sbom", "audit", "hello"] {
        assert_eq!(run.state(stage), "completed", "{stage}: {}", run.stderr);
    }

    // SARIF: accepted by the spec authors' validator, GitHub rules included.
    validate::assert_valid_sarif(&sarif, "e2e");
    let runs = sarif["runs"].as_array().unwrap();
    let run_of = |stage: &str| {
        runs.iter()
            .find(|r| r["tool"]["driver"]["name"] == format!("cordon-{stage}"))
            .unwrap_or_else(|| panic!("no SARIF run for {stage}"))
    };
    let models = run_of("models");
    assert_eq!(models["automationDetails"]["id"], "cordon/models/");
    let result = &models["results"][0];
    let rule_id = result["ruleId"].as_str().unwrap();
    assert!(rule_id.starts_with("models/"), "{rule_id}");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "models/evil%20model.pkl"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "%SRCROOT%"
    );
    assert!(
        result["partialFingerprints"]["cordonFingerprint/v1"]
            .as_str()
            .is_some_and(|f| !f.is_empty())
    );
    let rules = models["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == rule_id)
        .expect("the result's rule is described");
    assert!(rule["properties"]["security-severity"].as_str().is_some());
    assert!(
        rule["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let provenance = &models["versionControlProvenance"][0];
    assert_eq!(provenance["revisionId"], head.as_str());
    assert_eq!(provenance["branch"], "main");
    assert_eq!(
        provenance["repositoryUri"],
        "https://example.com/acme/my-repo.git"
    );
    let audit = run_of("audit");
    let audit_ids: Vec<&str> = audit["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(audit_ids.contains(&"RUSTSEC-2019-0009"), "{audit_ids:?}");
    let hello = run_of("hello");
    assert_eq!(
        hello["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    // Nothing names a path of the machine that ran the scan.
    let text = sarif.to_string();
    for local in [
        "/tmp/",
        "file://",
        env!("CORDON_GUEST_WASM_DIR"),
        env!("CARGO_MANIFEST_DIR"),
    ] {
        assert!(!text.contains(local), "SARIF leaks a local path ({local})");
    }

    // JSON: every stage, with plugin digests and the artifacts that flowed.
    let report = run.report.as_ref().unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["fail_on"], "high");
    assert_eq!(report["version_control"]["revision"], head.as_str());
    let names: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    // Stages appear in dependency order.
    let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
    assert!(
        position("models") < position("sbom")
            && position("sbom") < position("audit")
            && position("sbom") < position("hello")
    );
    for stage in report["stages"].as_array().unwrap() {
        assert_eq!(stage["plugin"]["sha256"].as_str().unwrap().len(), 64);
    }

    // JUnit: a suite per stage; the failing ones are those with findings at
    // or above the threshold.
    assert!(junit.starts_with("<?xml"), "{junit}");
    // One per stage: the built-in five and `hello`.
    assert_eq!(
        junit.matches("<testsuite ").count(),
        report["stages"].as_array().unwrap().len(),
        "{junit}"
    );
    assert!(junit.contains("RUSTSEC-2019-0009"), "{junit}");
    let failing_stages = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| ["high", "critical"].contains(&f["severity"].as_str().unwrap()))
        })
        .count();
    assert_eq!(
        junit.matches("<failure ").count(),
        failing_stages,
        "{junit}"
    );
}
