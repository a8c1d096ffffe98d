//! Native runs of the stage through the SDK's test harness, against the
//! shared RustSec and OSV PyPI snapshots and the engine's lockfile fixtures.

use cordon_sdk::testing::{Harness, Outcome};
use cordon_sdk::{EntryKind, FileInfo, Severity, Stage, StageError};
use serde_json::json;

use super::{Audit, cache_key};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn rustsec_dir() -> String {
    format!("{MANIFEST_DIR}/../../../../shared/advisory-db")
}

fn osv_pypi_dir() -> String {
    format!("{MANIFEST_DIR}/../../../../shared/osv/pypi")
}

/// A workspace holding one of the engine's lockfile fixtures at `as_path`.
fn workspace(fixture: &str, as_path: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let bytes =
        std::fs::read(format!("{MANIFEST_DIR}/../engine/tests/fixtures/{fixture}")).unwrap();
    let target = dir.path().join(as_path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(target, bytes).unwrap();
    dir
}

fn hits(outcome: &Outcome) -> Vec<(String, String, String)> {
    let mut hits: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| {
            let property = |key: &str| {
                f.properties
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (property("package"), property("version"), f.rule_id.clone())
        })
        .collect();
    hits.sort();
    hits
}

fn expect(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn describe_requests_both_databases_and_the_sbom() {
    let info = Audit::describe();
    assert_eq!(info.name, "audit");
    assert!(info.requests.workspace);
    assert_eq!(info.requests.data, ["rustsec", "osv"]);
    assert_eq!(info.requests.artifacts_read, ["sbom"]);
    assert_eq!(info.requests.artifacts_write, ["openvex"]);
}

#[test]
fn cargo_lock_against_rustsec() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .run::<Audit>(json!({}));
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 1);
    assert_eq!(
        hits(&outcome),
        expect(&[
            ("ansi_term", "0.11.0", "RUSTSEC-2021-0139"),
            ("smallvec", "0.6.9", "RUSTSEC-2018-0018"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0009"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0012"),
            ("smallvec", "0.6.9", "RUSTSEC-2021-0003"),
            ("time", "0.1.40", "RUSTSEC-2020-0071"),
        ])
    );
    let smallvec = outcome
        .findings
        .iter()
        .find(|f| f.rule_id == "RUSTSEC-2019-0009")
        .unwrap();
    let location = smallvec.location.as_ref().unwrap();
    assert_eq!(location.path, "Cargo.lock");
    let line = location.region.unwrap().start_line as usize;
    let lockfile = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert!(lockfile.lines().nth(line - 1).unwrap().contains("smallvec"));
    assert!(smallvec.severity >= Severity::Medium);
    let mut fingerprints: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), outcome.findings.len());
    assert!(
        smallvec
            .properties
            .iter()
            .any(|(k, v)| k == "rule-help" && v.contains("smallvec"))
    );

    let notes = &summary.notes;
    assert!(
        notes.iter().any(|n| n.starts_with("databases: rustsec (")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("database not used: osv")),
        "{notes:?}"
    );
    // The harness knows no update time: the age is unknown, and says so.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("rustsec database: date of last update unknown"))
    );
}

#[test]
fn requirements_against_osv_only() {
    let dir = workspace("requirements/requirements.txt", "app/requirements.txt");
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("osv", osv_pypi_dir())
        .run::<Audit>(json!({}));
    assert_eq!(
        hits(&outcome),
        expect(&[
            ("Loguru", "0.5.1", "PYSEC-2022-14"),
            ("jinja2", "2.10", "PYSEC-2019-217"),
            ("jinja2", "2.10", "PYSEC-2021-66"),
            ("py", "1.11.0", "PYSEC-2022-42969"),
            ("redis", "4.4.3", "PYSEC-2023-46"),
        ])
    );
    assert!(
        outcome
            .findings
            .iter()
            .all(|f| f.location.as_ref().unwrap().path == "app/requirements.txt")
    );
    assert!(
        outcome
            .summary()
            .notes
            .iter()
            .any(|n| n.starts_with("databases: osv ("))
    );
}

#[test]
fn no_database_is_an_error_never_a_clean_result() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Audit>(json!({}));
    assert!(
        matches!(&outcome.result, Err(StageError::Failed(m)) if m.contains("rustsec") && m.contains("osv")),
        "{:?}",
        outcome.result
    );
    assert!(outcome.findings.is_empty());

    // A directory without advisories is not an empty database either.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("README.md"), "nothing here\n").unwrap();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", empty.path())
        .run::<Audit>(json!({}));
    assert!(matches!(&outcome.result, Err(StageError::Failed(m)) if m.contains("no advisories")));
}

#[test]
fn ignores_need_reasons_and_expire() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let run = |options| {
        Harness::new(dir.path())
            .read(&["**"])
            .data("rustsec", rustsec_dir())
            .run::<Audit>(options)
    };
    let ignored = run(json!({"ignore": [
        {"id": "RUSTSEC-2020-0071", "reason": "no local time use", "expires": "2999-01-01"},
        {"id": "RUSTSEC-2019-0009", "reason": "was fixed upstream", "expires": "2000-01-01"},
    ], "informational": {"unmaintained": false}}));
    let ids: Vec<_> = ignored
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert!(!ids.contains(&"RUSTSEC-2020-0071"), "{ids:?}");
    // ansi_term is unmaintained: off by `informational`.
    assert!(!ids.contains(&"RUSTSEC-2021-0139"), "{ids:?}");
    // An expired ignore reports the advisory again, with a note.
    assert!(ids.contains(&"RUSTSEC-2019-0009"), "{ids:?}");
    let notes = &ignored.summary().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("RUSTSEC-2019-0009") && n.contains("expired")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1 ignored by configuration")),
        "{notes:?}"
    );

    let no_reason = run(json!({"ignore": [{"id": "RUSTSEC-2020-0071"}]}));
    assert!(
        matches!(&no_reason.result, Err(StageError::InvalidOptions(m)) if m.contains("reason"))
    );
    let typo = run(json!({"max-database-age": 3}));
    assert!(
        matches!(&typo.result, Err(StageError::InvalidOptions(m)) if m.contains("unknown field `max-database-age`") && m.contains("`max-database-age-days`")),
        "{:?}",
        typo.result
    );
    // Options are kebab-case like every stage's; the snake_case spelling
    // is rejected with the right key named.
    let snake = run(json!({"max_database_age_days": 3}));
    assert!(
        matches!(&snake.result, Err(StageError::InvalidOptions(m)) if m.contains("write `max-database-age-days`")),
        "{:?}",
        snake.result
    );
    let kebab = run(json!({"max-database-age-days": 3}));
    assert!(kebab.result.is_ok(), "{:?}", kebab.result);
}

/// `vex-out`: the stage's own decisions as an OpenVEX artifact; asked for
/// without the grant is an error, never a silently missing document.
#[test]
fn vex_out_puts_the_decisions_as_an_openvex_artifact() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let options = json!({"vex-out": true, "vex-author": "security@example.com", "vex-timestamp": 1_767_225_600, "ignore": [
        {"id": "RUSTSEC-2020-0071", "reason": "no local time use", "expires": "2999-01-01"},
    ]});
    let granted = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .writes("openvex")
        .run::<Audit>(options.clone());
    assert!(granted.result.is_ok(), "{:?}", granted.result);
    let artifact = granted
        .artifacts
        .get("openvex")
        .expect("the openvex artifact");
    assert_eq!(artifact.media_type, "application/vnd.openvex+json");
    let document: serde_json::Value = serde_json::from_slice(&artifact.bytes).unwrap();
    assert_eq!(document["@context"], "https://openvex.dev/ns/v0.2.0");
    assert_eq!(document["author"], "security@example.com");
    assert_eq!(document["timestamp"], "2026-01-01T00:00:00Z");
    let statements = document["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert_eq!(statements[0]["vulnerability"]["name"], "RUSTSEC-2020-0071");
    assert_eq!(statements[0]["status"], "not_affected");
    assert_eq!(statements[0]["impact_statement"], "no local time use");
    assert!(
        statements[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("2999-01-01"),
        "{statements:?}"
    );
    assert!(
        statements[0]["products"][0]["@id"]
            .as_str()
            .unwrap()
            .starts_with("pkg:cargo/time@"),
        "{statements:?}"
    );

    let not_granted = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .run::<Audit>(options);
    assert!(
        matches!(&not_granted.result, Err(StageError::Denied(m)) if m.contains("openvex")),
        "{:?}",
        not_granted.result
    );

    // Nothing decided: no document, and the notes say why.
    let nothing = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .writes("openvex")
        .run::<Audit>(json!({"vex-out": true}));
    assert!(nothing.artifacts.is_empty());
    assert!(
        nothing
            .summary()
            .notes
            .iter()
            .any(|n| n.starts_with("vex-out: no ignore")),
        "{:?}",
        nothing.summary().notes
    );
    // Off by default.
    let off = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .writes("openvex")
        .run::<Audit>(json!({"ignore": [
            {"id": "RUSTSEC-2020-0071", "reason": "no local time use"},
        ]}));
    assert!(off.artifacts.is_empty());
}

#[test]
fn sbom_artifact_replaces_lockfiles() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let sbom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {"type": "library", "name": "smallvec", "version": "0.6.9", "purl": "pkg:cargo/smallvec@0.6.9"},
            {"type": "library", "name": "serde", "version": "1.0.200", "purl": "pkg:cargo/serde@1.0.200"},
        ],
    });
    let text = serde_json::to_string_pretty(&sbom).unwrap();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .artifact(
            "sbom",
            "application/vnd.cyclonedx+json",
            text.clone().into_bytes(),
        )
        .run::<Audit>(json!({}));
    let summary = outcome.summary();
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n == "packages from the sbom artifact")
    );
    let hits = hits(&outcome);
    assert_eq!(hits.len(), 4, "{hits:?}");
    assert!(hits.iter().all(|(package, _, _)| package == "smallvec"));
    // Another tool's SBOM names no lockfile: the artifact, at the purl's line.
    let purl_line = 1 + text
        .lines()
        .position(|line| line.contains(r#""purl": "pkg:cargo/smallvec@0.6.9""#))
        .unwrap() as u32;
    for finding in &outcome.findings {
        let location = finding.location.as_ref().unwrap();
        assert_eq!(location.path, "artifact:sbom");
        assert_eq!(location.region.unwrap().start_line, purl_line);
    }
}

/// (path, start line, rule) of every finding, sorted.
fn locations(outcome: &Outcome) -> Vec<(String, u32, String)> {
    let mut locations: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| {
            let location = f.location.as_ref().expect("located");
            let region = location.region.expect("with a line");
            assert_eq!(
                (region.start_column, region.end_line),
                (1, region.start_line)
            );
            (location.path.clone(), region.start_line, f.rule_id.clone())
        })
        .collect();
    locations.sort();
    locations
}

/// The SBOM the `sbom` engine writes for two real Cargo.lock files.
fn cordon_sbom(dir: &std::path::Path, paths: &[&str]) -> Vec<u8> {
    let lockfiles: Vec<_> = paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(dir.join(path)).unwrap();
            cordon_lockfiles::parse(path, &bytes).unwrap()
        })
        .collect();
    cordon_sbom::generate(&cordon_sbom::SbomRequest {
        root: cordon_sbom::RootComponent {
            name: "app".into(),
            version: None,
        },
        lockfiles: &lockfiles,
        lockfile_errors: &[],
        models: &[],
        options: cordon_sbom::Options {
            timestamp: None,
            tool_name: "cordon".into(),
            tool_version: "0".into(),
        },
    })
    .unwrap()
}

#[test]
fn sbom_findings_point_at_the_lockfile_lines() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    std::fs::create_dir_all(dir.path().join("tools")).unwrap();
    std::fs::copy(
        format!("{MANIFEST_DIR}/../engine/tests/fixtures/cargo-v3/Cargo.lock"),
        dir.path().join("tools/Cargo.lock"),
    )
    .unwrap();
    let sbom = cordon_sbom(dir.path(), &["Cargo.lock", "tools/Cargo.lock"]);
    let run = |artifact: Option<&[u8]>| {
        let mut harness = Harness::new(dir.path())
            .read(&["**"])
            .data("rustsec", rustsec_dir());
        if let Some(bytes) = artifact {
            harness = harness.artifact("sbom", cordon_sbom::SBOM_MEDIA_TYPE, bytes.to_vec());
        }
        harness.run::<Audit>(json!({}))
    };
    let from_sbom = run(Some(&sbom));
    assert!(
        from_sbom
            .summary()
            .notes
            .iter()
            .any(|n| n == "packages from the sbom artifact")
    );
    let located = locations(&from_sbom);
    // `name = "smallvec"` is line 11 of the cargo-v1 fixture.
    for id in [
        "RUSTSEC-2018-0018",
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
        "RUSTSEC-2021-0003",
    ] {
        assert!(
            located.contains(&("Cargo.lock".to_string(), 11, id.to_string())),
            "{located:?}"
        );
    }
    assert!(located.contains(&(
        "Cargo.lock".to_string(),
        16,
        "RUSTSEC-2020-0071".to_string()
    )));
    let tokio_rustls = from_sbom
        .findings
        .iter()
        .find(|f| f.rule_id == "RUSTSEC-2020-0019")
        .unwrap()
        .location
        .clone()
        .unwrap();
    assert_eq!(tokio_rustls.path, "tools/Cargo.lock");
    let tools = std::fs::read_to_string(dir.path().join("tools/Cargo.lock")).unwrap();
    let line = tokio_rustls.region.unwrap().start_line as usize;
    assert_eq!(
        tools.lines().nth(line - 1),
        Some("name = \"tokio-rustls\""),
        "tools/Cargo.lock:{line}"
    );
    assert!(located.iter().all(|(path, _, _)| path != "artifact:sbom"));

    // Exactly where reading the lockfiles themselves puts them.
    let from_lockfiles = run(None);
    assert_eq!(located, locations(&from_lockfiles));
}

#[test]
fn cache_keys_follow_revision_or_file_listing() {
    let file = |path: &str, size| FileInfo {
        path: path.into(),
        size,
        kind: EntryKind::File,
    };
    let a = [file("crates/a/RUSTSEC-2020-0001.md", 100)];
    let b = [file("crates/a/RUSTSEC-2020-0001.md", 101)];
    assert_ne!(
        cache_key("rustsec", None, &a),
        cache_key("rustsec", None, &b)
    );
    assert_eq!(
        cache_key("rustsec", None, &a),
        cache_key("rustsec", None, &a)
    );
    assert_ne!(cache_key("rustsec", None, &a), cache_key("osv", None, &a));
    assert_eq!(
        cache_key("rustsec", Some("abc123"), &a),
        cordon_audit::Index::cache_key("rustsec", "abc123")
    );
}

#[test]
fn npm_packages_with_only_rustsec_are_a_failing_not_checked_finding() {
    let dir = workspace("npm/package-lock.json", "web/package-lock.json");
    let cargo = std::fs::read(format!(
        "{MANIFEST_DIR}/../engine/tests/fixtures/cargo-v1/Cargo.lock"
    ))
    .unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), cargo).unwrap();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("rustsec", rustsec_dir())
        .run::<Audit>(json!({}));
    let not_checked: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.rule_id == cordon_audit::NOT_CHECKED_RULE)
        .collect();
    assert_eq!(not_checked.len(), 1);
    let finding = not_checked[0];
    assert_eq!(finding.severity, Severity::High);
    assert_eq!(
        finding.location.as_ref().unwrap().path,
        "web/package-lock.json"
    );
    assert!(
        finding
            .properties
            .iter()
            .any(|(k, v)| k == "package-count" && v == "2")
    );
    assert!(finding.message.contains("2 npm package(s)"));
    let notes = &outcome.summary().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("npm: 2 package(s) NOT checked")),
        "{notes:?}"
    );
    // The crates were still audited.
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "RUSTSEC-2019-0009")
    );
    // The summary names the source that covered them.
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("crates.io: ") && n.contains("advisories from rustsec (")),
        "{notes:?}"
    );
}

#[test]
fn requirements_includes_are_read_through_the_host() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app/requirements")).unwrap();
    std::fs::write(
        dir.path().join("app/requirements/dev.txt"),
        "-r base.txt\npytest==7.4.2\n",
    )
    .unwrap();
    // `base.txt` alone is a requirements file too; it is audited on its own
    // and through the include.
    std::fs::write(
        dir.path().join("app/requirements/base.txt"),
        "jinja2==2.10\n",
    )
    .unwrap();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("osv", osv_pypi_dir())
        .run::<Audit>(json!({}));
    let located: Vec<(String, Option<u32>)> = outcome
        .findings
        .iter()
        .filter(|f| {
            f.properties
                .iter()
                .any(|(k, v)| k == "package" && v == "jinja2")
        })
        .map(|f| {
            let location = f.location.as_ref().unwrap();
            (location.path.clone(), location.region.map(|r| r.start_line))
        })
        .collect();
    assert!(
        located.contains(&("app/requirements/dev.txt".to_string(), Some(1))),
        "{located:?}"
    );
    assert!(located.contains(&("app/requirements/base.txt".to_string(), Some(1))));
}

/// An `osv` data set as `cordon db update` stores OSV's archives: one
/// directory per ecosystem, each with a manifest, here with crates.io data
/// and a damaged npm copy.
fn per_ecosystem_osv() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "crates.io/GHSA-9999-8888-7777.json",
        r#"{"id": "GHSA-9999-8888-7777", "summary": "smallvec demo issue",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "smallvec"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.6.10"}]}]}]}"#,
    );
    write("crates.io/manifest.toml", "source = \"osv:crates.io\"\n");
    write("npm/GHSA-aaaa-bbbb-cccc.json", r#"{"id": "GHSA-aaaa"#);
    write("npm/GHSA-dddd-eeee-ffff.json", "not json at all");
    write("npm/manifest.toml", "source = \"osv:npm\"\n");
    dir
}

#[test]
fn a_rust_only_workspace_reads_only_the_crates_io_osv_directory() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let osv = per_ecosystem_osv();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("osv", osv.path())
        .run::<Audit>(json!({}));
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(
        hits(&outcome),
        expect(&[("smallvec", "0.6.9", "GHSA-9999-8888-7777")])
    );
    let notes = &outcome.summary().notes;
    // The damaged npm files were never read, so nothing complains of them.
    assert!(!notes.iter().any(|n| n.contains("npm/")), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n == "osv: read for crates.io only; 2 file(s) of other ecosystems not read"),
        "{notes:?}"
    );
}

#[test]
fn osv_data_for_other_ecosystems_only_leaves_packages_not_checked() {
    let dir = workspace("cargo-v1/Cargo.lock", "Cargo.lock");
    let osv = per_ecosystem_osv();
    std::fs::remove_dir_all(osv.path().join("crates.io")).unwrap();
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .data("osv", osv.path())
        .run::<Audit>(json!({}));
    // Not a failure as if no database were granted, and never clean: the
    // crates are a "not checked" finding.
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule_id == cordon_audit::NOT_CHECKED_RULE),
        "{:?}",
        outcome.findings
    );
    let notes = &outcome.summary().notes;
    assert!(
        notes.iter().any(|n| n.starts_with(
            "database not used: osv: no advisory data for this workspace's ecosystems (crates.io)"
        )),
        "{notes:?}"
    );
}
