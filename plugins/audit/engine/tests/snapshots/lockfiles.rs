//! Audits of real lockfile formats against the shared RustSec and OSV PyPI
//! snapshots, asserting exact advisory sets.

use crate::common::{fixture, osv_pypi, rustsec};
use cordon_audit::{AuditConfig, AuditReport, Index, audit, parse_date};

fn today() -> cordon_audit::Date {
    parse_date("2026-09-01").unwrap()
}

fn run(index: &Index, lockfile: &str, config: &AuditConfig) -> AuditReport {
    audit(&[index], &[fixture(lockfile)], config, today())
}

/// (package, version, advisory id), sorted.
fn hits(report: &AuditReport) -> Vec<(String, String, String)> {
    let mut hits: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.package.clone(), f.version.clone(), f.advisory_id.clone()))
        .collect();
    hits.sort();
    hits
}

fn expect(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut list: Vec<_> = list
        .iter()
        .map(|(p, v, id)| (p.to_string(), v.to_string(), id.to_string()))
        .collect();
    list.sort();
    list
}

#[test]
fn snapshot_indexes_hold_every_advisory() {
    let stats = rustsec().stats();
    // SNAPSHOT.txt: 1225 advisories, 20 of them about the toolchain.
    assert_eq!(stats.advisories + stats.toolchain, 1225);
    assert_eq!(stats.toolchain, 20);
    assert_eq!(stats.unreadable, 0);
    assert!(stats.withdrawn >= 10, "{stats:?}");
    let osv = osv_pypi().stats();
    assert!(osv.advisories >= 2600, "{osv:?}");
}

#[test]
fn index_round_trips_and_matches_the_same() {
    let bytes = rustsec().to_bytes();
    let loaded = Index::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.stats(), rustsec().stats());
    let config = AuditConfig::default();
    let direct = run(rustsec(), "cargo-v3/Cargo.lock", &config);
    let cached = run(&loaded, "cargo-v3/Cargo.lock", &config);
    assert_eq!(direct, cached);
}

/// The finding's line is the package's entry in the lockfile.
fn assert_lines_point_at_packages(report: &AuditReport, lockfile: &str) {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{lockfile}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for finding in &report.findings {
        let line = finding.line.expect("lockfile findings carry a line") as usize;
        let entry = lines[line - 1].to_ascii_lowercase();
        assert!(
            entry.contains(&finding.package.to_ascii_lowercase()),
            "{lockfile}:{line} `{entry}` is not {}",
            finding.package
        );
        assert_eq!(finding.path, lockfile);
    }
}

#[test]
fn cargo_lock_v1_with_metadata_checksums() {
    let report = run(rustsec(), "cargo-v1/Cargo.lock", &AuditConfig::default());
    assert_eq!(
        hits(&report),
        expect(&[
            ("ansi_term", "0.11.0", "RUSTSEC-2021-0139"),
            ("smallvec", "0.6.9", "RUSTSEC-2018-0018"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0009"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0012"),
            ("smallvec", "0.6.9", "RUSTSEC-2021-0003"),
            ("time", "0.1.40", "RUSTSEC-2020-0071"),
        ])
    );
    assert_lines_point_at_packages(&report, "cargo-v1/Cargo.lock");
    // The coverage line (every crate was checked), then one upgrade per
    // vulnerable package: smallvec 0.6.14 is the first release past all
    // four advisories (RUSTSEC-2021-0003 is fixed only there), and time
    // 0.2.23 the first patched one (0.2.0 is merely unaffected).
    assert_eq!(
        report.notes,
        [
            format!(
                "crates.io: {} package(s) checked against crates.io advisories from database 1 ({})",
                report.packages_checked,
                rustsec().stats().advisories
            ),
            "smallvec 0.6.9: upgrade to 0.6.14 fixes 4 advisories".to_owned(),
            "time 0.1.40: upgrade to 0.2.23 fixes 1 advisory".to_owned(),
        ]
    );
    assert_eq!(report.packages_not_checked, 0);

    let smallvec = report
        .findings
        .iter()
        .find(|f| f.advisory_id == "RUSTSEC-2019-0009")
        .unwrap();
    assert_eq!(smallvec.kind, "vulnerability");
    assert_eq!(smallvec.fixed.as_deref(), Some("0.6.10"));
    assert_eq!(smallvec.purl, "pkg:cargo/smallvec@0.6.9");
    assert!(
        smallvec
            .aliases
            .iter()
            .any(|alias| alias.starts_with("CVE-")),
        "{:?}",
        smallvec.aliases
    );
    let time = report
        .findings
        .iter()
        .find(|f| f.advisory_id == "RUSTSEC-2020-0071")
        .unwrap();
    // 0.2.0 ends the matched range but only 0.2.23 and later are patched.
    assert_eq!(time.fixed.as_deref(), Some("0.2.23"));
    assert_eq!(time.patched, [">=0.2.23"]);
    let unmaintained = report
        .findings
        .iter()
        .find(|f| f.package == "ansi_term")
        .unwrap();
    assert_eq!(unmaintained.kind, "unmaintained");
    assert_eq!(unmaintained.severity, cordon_audit::UNMAINTAINED_SEVERITY);
    assert_eq!(unmaintained.fixed, None);
}

#[test]
fn cargo_lock_v3_edge_cases() {
    let report = run(rustsec(), "cargo-v3/Cargo.lock", &AuditConfig::default());
    assert_eq!(
        hits(&report),
        expect(&[
            ("ansi_term", "0.12.1", "RUSTSEC-2021-0139"),
            ("atty", "0.2.14", "RUSTSEC-2021-0145"),
            ("atty", "0.2.14", "RUSTSEC-2024-0375"),
            // Pre-release: patched is `>= 0.1.0-rc.3`.
            ("ml-dsa", "0.1.0-rc.2", "RUSTSEC-2025-0144"),
            // Build metadata: 111.22.0+1.1.1q satisfies `>= 111.22` (so not
            // RUSTSEC-2022-0032) but not `>= 111.25`.
            ("openssl-src", "111.22.0+1.1.1q", "RUSTSEC-2023-0006"),
            ("openssl-src", "111.22.0+1.1.1q", "RUSTSEC-2023-0007"),
            ("openssl-src", "111.22.0+1.1.1q", "RUSTSEC-2023-0009"),
            ("openssl-src", "111.22.0+1.1.1q", "RUSTSEC-2023-0010"),
            // `unaffected = ["< 0.12"]` spares 0.11.0 but not 0.12.2.
            ("tokio-rustls", "0.12.2", "RUSTSEC-2020-0019"),
        ])
    );
    assert_lines_point_at_packages(&report, "cargo-v3/Cargo.lock");
    let ml_dsa = report
        .findings
        .iter()
        .find(|f| f.package == "ml-dsa")
        .unwrap();
    assert_eq!(ml_dsa.fixed.as_deref(), Some("0.1.0-rc.3"));
    let openssl = report
        .findings
        .iter()
        .find(|f| f.advisory_id == "RUSTSEC-2023-0006")
        .unwrap();
    assert_eq!(openssl.purl, "pkg:cargo/openssl-src@111.22.0%2B1.1.1q");
    let tokio_rustls = report
        .findings
        .iter()
        .find(|f| f.package == "tokio-rustls")
        .unwrap();
    assert_eq!(
        tokio_rustls.severity,
        cordon_audit::Severity::High,
        "CVSS 7.5"
    );
    assert_eq!(tokio_rustls.affected, ">= 0.12.0, < 0.12.3");
}

#[test]
fn withdrawn_advisories_exist_but_are_never_reported() {
    // markdown 0.3.0 (RUSTSEC-2022-0044) and dirs 1.0.5 (RUSTSEC-2020-0053)
    // are pinned in the v3 fixture; both advisories are withdrawn.
    for file in [
        "crates/markdown/RUSTSEC-2022-0044.md",
        "crates/dirs/RUSTSEC-2020-0053.md",
    ] {
        let text = std::fs::read_to_string(crate::common::rustsec_dir().join(file)).unwrap();
        assert!(
            text.contains("\nwithdrawn = "),
            "{file} is withdrawn in the snapshot"
        );
    }
    let inventory = fixture("cargo-v3/Cargo.lock");
    assert!(
        inventory
            .packages
            .iter()
            .any(|p| p.name == "markdown" && p.version == "0.3.0")
    );
    assert!(
        inventory
            .packages
            .iter()
            .any(|p| p.name == "dirs" && p.version == "1.0.5")
    );
    let report = run(rustsec(), "cargo-v3/Cargo.lock", &AuditConfig::default());
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.package != "markdown" && f.package != "dirs")
    );
}

#[test]
fn informational_kinds_can_be_turned_off() {
    let config = AuditConfig::from_json(r#"{"informational": {"unmaintained": false}}"#).unwrap();
    let report = run(rustsec(), "cargo-v3/Cargo.lock", &config);
    let kinds: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.advisory_id.as_str(), f.kind.as_str()))
        .collect();
    assert!(
        !kinds.iter().any(|(_, kind)| *kind == "unmaintained"),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("RUSTSEC-2021-0145", "unsound")));

    let config = AuditConfig::from_json(
        r#"{"informational": {"unmaintained": false, "unsound": false, "notice": false}}"#,
    )
    .unwrap();
    let report = run(rustsec(), "cargo-v3/Cargo.lock", &config);
    assert!(report.findings.iter().all(|f| f.kind == "vulnerability"));
    assert_eq!(report.findings.len(), 6);
}

#[test]
fn workspace_git_and_path_packages_never_match() {
    let inventory = fixture("cargo-v4-workspace/Cargo.lock");
    // The member is really called `smallvec` at a vulnerable version, and
    // `time` comes from git at a vulnerable version.
    assert!(
        inventory
            .packages
            .iter()
            .any(|p| p.name == "smallvec" && p.version == "0.6.9")
    );
    assert!(
        inventory
            .packages
            .iter()
            .any(|p| p.name == "time" && p.version == "0.1.40")
    );
    let report = run(
        rustsec(),
        "cargo-v4-workspace/Cargo.lock",
        &AuditConfig::default(),
    );
    assert_eq!(
        hits(&report),
        expect(&[
            ("crossbeam-utils", "0.8.6", "RUSTSEC-2022-0041"),
            ("hyper", "0.14.9", "RUSTSEC-2021-0078"),
            ("hyper", "0.14.9", "RUSTSEC-2021-0079"),
            ("hyper", "0.14.9", "RUSTSEC-2022-0022"),
        ])
    );
    assert_eq!(
        report.packages_checked, 2,
        "only the two registry crates are looked up"
    );
    assert_lines_point_at_packages(&report, "cargo-v4-workspace/Cargo.lock");
}

#[test]
fn requirements_txt_with_hashes_and_markers() {
    let report = run(
        osv_pypi(),
        "requirements/requirements.txt",
        &AuditConfig::default(),
    );
    assert_eq!(
        hits(&report),
        expect(&[
            ("Loguru", "0.5.1", "PYSEC-2022-14"),
            ("jinja2", "2.10", "PYSEC-2019-217"),
            ("jinja2", "2.10", "PYSEC-2021-66"),
            // `last_affected: 1.11.0` includes 1.11.0 itself.
            ("py", "1.11.0", "PYSEC-2022-42969"),
            // 4.4.3 is the fix of one interval of PYSEC-2023-45 but inside
            // PYSEC-2023-46's; PYSEC-2023-73 is withdrawn.
            ("redis", "4.4.3", "PYSEC-2023-46"),
        ])
    );
    assert_lines_point_at_packages(&report, "requirements/requirements.txt");
    let py = report.findings.iter().find(|f| f.package == "py").unwrap();
    assert_eq!(py.fixed, None);
    assert_eq!(py.affected, "<= 1.11.0");
    assert_eq!(py.purl, "pkg:pypi/py@1.11.0");
    let loguru = report
        .findings
        .iter()
        .find(|f| f.package == "Loguru")
        .unwrap();
    assert_eq!(loguru.purl, "pkg:pypi/loguru@0.5.1");
    assert_eq!(
        loguru.severity,
        cordon_audit::DEFAULT_VULNERABILITY_SEVERITY
    );
    assert_eq!(loguru.aliases, ["CVE-2022-0338"]);
}

#[test]
fn poetry_lock() {
    let report = run(osv_pypi(), "poetry/poetry.lock", &AuditConfig::default());
    assert_eq!(
        hits(&report),
        expect(&[
            // 1.10.0 is PYSEC-2020-92's fix but still <= 1.11.0.
            ("py", "1.10.0", "PYSEC-2022-42969"),
            ("redis", "4.5.2", "PYSEC-2023-45"),
            ("redis", "4.5.2", "PYSEC-2023-46"),
        ])
    );
    assert_lines_point_at_packages(&report, "poetry/poetry.lock");
    let redis = report
        .findings
        .iter()
        .find(|f| f.advisory_id == "PYSEC-2023-45")
        .unwrap();
    assert_eq!(redis.fixed.as_deref(), Some("4.5.3"));
}

#[test]
fn ignores_suppress_by_id_or_alias_and_expire() {
    let config = AuditConfig::from_json(
        r#"{"ignore": [
            {"id": "RUSTSEC-2021-0003", "reason": "no insert_many calls"},
            {"id": "CVE-2020-26235", "package": "time", "reason": "no local offsets", "expires": "2027-01-01"},
            {"id": "RUSTSEC-2019-0009", "reason": "was fine", "expires": "2026-08-31"},
            {"id": "RUSTSEC-2018-0018", "package": "not-smallvec", "reason": "other package"},
            {"id": "RUSTSEC-2099-0001", "reason": "stale"}
        ]}"#,
    )
    .unwrap();
    let report = run(rustsec(), "cargo-v1/Cargo.lock", &config);
    assert_eq!(
        hits(&report),
        expect(&[
            ("ansi_term", "0.11.0", "RUSTSEC-2021-0139"),
            ("smallvec", "0.6.9", "RUSTSEC-2018-0018"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0009"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0012"),
        ])
    );
    assert_eq!(report.suppressed, 2);
    assert_eq!(
        report.notes[1..],
        [
            "ignore of RUSTSEC-2019-0009 expired on 2026-08-31; it is reported again",
            // Counts only what is reported: two smallvec advisories are ignored.
            "smallvec 0.6.9: upgrade to 0.6.13 fixes 3 advisories",
            "ignore of RUSTSEC-2018-0018 for not-smallvec matched nothing; remove it if the advisory no longer applies",
            "ignore of RUSTSEC-2099-0001 matched nothing; remove it if the advisory no longer applies",
        ]
    );
}

#[test]
fn sbom_packages_match_both_databases() {
    let sbom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
        {"name": "smallvec", "purl": "pkg:cargo/smallvec@0.6.9"},
        {"name": "time", "purl": "pkg:cargo/time@0.1.40?vcs_url=git%2Bhttps://github.com/time-rs/time"},
        {"name": "jinja2", "purl": "pkg:pypi/Jinja2@2.10"}
    ]}"#;
    let (inventories, warnings) =
        cordon_audit::inventories_from_cyclonedx("sbom.cdx.json", sbom.as_bytes()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let report = audit(
        &[rustsec(), osv_pypi()],
        &inventories,
        &AuditConfig::default(),
        today(),
    );
    assert_eq!(
        hits(&report),
        expect(&[
            ("jinja2", "2.10", "PYSEC-2019-217"),
            ("jinja2", "2.10", "PYSEC-2021-66"),
            ("smallvec", "0.6.9", "RUSTSEC-2018-0018"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0009"),
            ("smallvec", "0.6.9", "RUSTSEC-2019-0012"),
            ("smallvec", "0.6.9", "RUSTSEC-2021-0003"),
        ])
    );
    assert_eq!(
        report
            .findings
            .iter()
            .find(|f| f.package == "jinja2")
            .unwrap()
            .line,
        Some(4)
    );
    // No `cordon:lockfile` properties (another tool's SBOM): the fallback path.
    assert!(report.findings.iter().all(|f| f.path == "sbom.cdx.json"));
}

/// (path, line, package, version, advisory id, fingerprint), sorted; names
/// lower-cased, as PyPI purls carry them normalised (`Loguru` → `loguru`).
fn located(report: &AuditReport) -> Vec<(String, Option<u32>, String, String, String, String)> {
    let mut located: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                f.line,
                f.package.to_ascii_lowercase(),
                f.version.clone(),
                f.advisory_id.clone(),
                f.fingerprint.clone(),
            )
        })
        .collect();
    located.sort();
    located
}

/// The SBOM Cordon's own `sbom` engine writes locates each package in its
/// lockfiles: auditing it gives exactly the findings (paths, lines and
/// fingerprints included) of auditing those lockfiles directly.
#[test]
fn sbom_from_the_sbom_engine_points_at_the_lockfiles() {
    let lockfile = |fixture: &str, as_path: &str| {
        let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        cordon_lockfiles::parse(as_path, &std::fs::read(path).unwrap()).unwrap()
    };
    let lockfiles = vec![
        lockfile("cargo-v1/Cargo.lock", "Cargo.lock"),
        lockfile("cargo-v1/Cargo.lock", "tools/Cargo.lock"),
        lockfile("requirements/requirements.txt", "app/requirements.txt"),
    ];
    let sbom = cordon_sbom::generate(&cordon_sbom::SbomRequest {
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
    .unwrap();
    let (inventories, warnings) =
        cordon_audit::inventories_from_cyclonedx("artifact:sbom", &sbom).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let paths: Vec<&str> = inventories.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        ["Cargo.lock", "app/requirements.txt", "tools/Cargo.lock"]
    );

    let databases = [rustsec(), osv_pypi()];
    let config = AuditConfig::default();
    let from_sbom = audit(&databases, &inventories, &config, today());
    let direct: Vec<cordon_audit::Inventory> = lockfiles
        .into_iter()
        .map(cordon_audit::Inventory::from)
        .collect();
    let from_lockfiles = audit(&databases, &direct, &config, today());
    assert!(!from_sbom.findings.is_empty());
    assert_eq!(located(&from_sbom), located(&from_lockfiles));

    // `name = "smallvec"` and `jinja2==2.10 \` in the fixtures.

    let smallvec: Vec<(&str, Option<u32>)> = from_sbom
        .findings
        .iter()
        .filter(|f| f.advisory_id == "RUSTSEC-2019-0009")
        .map(|f| (f.path.as_str(), f.line))
        .collect();
    assert_eq!(
        smallvec,
        [("Cargo.lock", Some(11)), ("tools/Cargo.lock", Some(11))]
    );
    let jinja2 = from_sbom
        .findings
        .iter()
        .find(|f| f.package == "jinja2")
        .unwrap();
    assert_eq!(
        (jinja2.path.as_str(), jinja2.line),
        ("app/requirements.txt", Some(7))
    );
}

#[test]
fn rules_properties_and_fingerprints() {
    let report = run(rustsec(), "cargo-v3/Cargo.lock", &AuditConfig::default());
    let mut finding_ids: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.advisory_id.as_str())
        .collect();
    finding_ids.sort();
    finding_ids.dedup();
    let rule_ids: Vec<&str> = report.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(rule_ids, finding_ids);
    let rule = report
        .rules
        .iter()
        .find(|r| r.id == "RUSTSEC-2020-0019")
        .unwrap();
    assert!(rule.help.contains(">=0.12.3, <0.13.0"), "{}", rule.help);
    assert!(!rule.full_description.is_empty());

    let finding = report
        .findings
        .iter()
        .find(|f| f.advisory_id == "RUSTSEC-2020-0019")
        .unwrap();
    let properties = finding.properties();
    let get = |key: &str| {
        properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("package"), Some("tokio-rustls"));
    assert_eq!(get("version"), Some("0.12.2"));
    assert_eq!(get("purl"), Some("pkg:cargo/tokio-rustls@0.12.2"));
    assert_eq!(
        get("aliases"),
        Some(r#"["CVE-2020-35875","GHSA-2jfv-g3fh-xq3v"]"#)
    );
    assert_eq!(get("fixed"), Some("0.12.3"));
    // Patched in two release lines (>= 0.12.3, < 0.13 and >= 0.13.1).
    assert_eq!(get("fixed-versions"), Some(r#"["0.12.3","0.13.1"]"#));
    assert_eq!(get("upgrade-to"), Some("0.12.3"));
    assert_eq!(
        get("help-uri"),
        Some("https://rustsec.org/advisories/RUSTSEC-2020-0019.html")
    );
    // Cargo.lock records the graph: the path from a direct dependency.
    let path = get("dependency-path").unwrap();
    assert!(
        path.starts_with('[') && path.ends_with(r#""tokio-rustls 0.12.2"]"#),
        "{path}"
    );

    let mut fingerprints: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), report.findings.len());
    let again = run(rustsec(), "cargo-v3/Cargo.lock", &AuditConfig::default());
    assert_eq!(
        again.findings[0].fingerprint,
        report.findings[0].fingerprint
    );
}

/// The issue's case: an old django pinned in requirements.txt, against the
/// real PyPI advisory database (28 advisories in the 2024-10 snapshot). One
/// upgrade is advised for the package, in the summary and on every finding:
/// 2.2.28, the last fix of the 2.2 line.
#[test]
fn one_upgrade_is_advised_for_a_package_with_many_advisories() {
    let lockfile =
        cordon_lockfiles::parse("requirements.txt", b"django==2.2.1\nrequests==2.19.0\n").unwrap();
    let report = audit(
        &[osv_pypi()],
        &[cordon_audit::Inventory::from(lockfile)],
        &AuditConfig::default(),
        today(),
    );
    let django: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.package == "django")
        .collect();
    let upgrade = django[0].upgrade.clone().expect("an upgrade for django");
    assert!(django.iter().all(|f| f.upgrade.as_ref() == Some(&upgrade)));
    assert_eq!(upgrade.total, django.len());
    let note = format!(
        "django 2.2.1: upgrade to {} fixes {} advisories",
        upgrade.version,
        django.len()
    );
    assert!(report.notes.contains(&note), "{:?}", report.notes);
    assert!(upgrade.remaining.is_empty());
    assert_eq!(upgrade.version, "2.2.28");
    // The advice is a version some advisory names as fixed.
    assert!(
        django
            .iter()
            .any(|f| f.fixed_versions.contains(&upgrade.version))
    );
    // Titles are about the flaw, never a blurb about Django itself.
    assert!(
        django
            .iter()
            .all(|f| !f.title.to_ascii_lowercase().starts_with("django is a")),
        "{:?}",
        django.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
}
