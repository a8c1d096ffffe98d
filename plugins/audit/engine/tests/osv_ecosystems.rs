//! OSV matching for npm and Go packages, which have no shared snapshot:
//! small records in the OSV schema, audited end to end.

use cordon_audit::{AuditConfig, Ecosystem, Index, Inventory, audit, parse_date};
use cordon_lockfiles::{Package, Source};

fn package(ecosystem: Ecosystem, name: &str, version: &str, line: u32) -> Package {
    Package {
        ecosystem,
        name: name.into(),
        version: version.into(),
        source: Source::Registry { url: None },
        checksums: vec![],
        dev: false,
        license: None,
        line: Some(line),
        dependencies: vec![],
        source_package: None,
    }
}

fn index() -> Index {
    let go = r#"{"id": "GO-2099-0001", "aliases": ["CVE-2099-1"], "summary": "x/net panics",
        "affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.17.0"}]}]}]}"#;
    let npm = r#"{"id": "GHSA-aaaa-bbbb-cccc", "summary": "Prototype pollution",
        "database_specific": {"severity": "HIGH"},
        "affected": [{"package": {"ecosystem": "npm", "name": "@scope/lib"},
          "ranges": [{"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"fixed": "2.3.1"}]}]},
          {"package": {"ecosystem": "npm", "name": "@scope/lib"},
          "ranges": [{"type": "SEMVER", "events": [{"introduced": "3.0.0-beta.1"}, {"last_affected": "3.0.0"}]}]}]}"#;
    let (index, warnings) = Index::build([
        ("go/GO-2099-0001.json", go.as_bytes()),
        ("npm/GHSA-aaaa-bbbb-cccc.json", npm.as_bytes()),
    ])
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    index
}

#[test]
fn go_and_npm_versions_follow_their_ordering() {
    let inventory = Inventory {
        path: "deps.lock".into(),
        roots: Vec::new(),
        packages: vec![
            package(
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.0.0-20230101000000-abcdefabcdef",
                1,
            ),
            package(Ecosystem::Go, "golang.org/x/net", "v0.17.0", 2),
            package(Ecosystem::Npm, "@scope/lib", "2.3.0", 3),
            package(Ecosystem::Npm, "@scope/lib", "2.3.1", 4),
            package(Ecosystem::Npm, "@scope/lib", "3.0.0-rc.1", 5),
            package(Ecosystem::Npm, "@scope/lib", "3.0.0", 6),
            package(Ecosystem::Npm, "@scope/lib", "3.0.1", 7),
            package(Ecosystem::Npm, "@other/lib", "2.3.0", 8),
        ],
        warnings: vec![],
        os_release: None,
    };
    let today = parse_date("2026-09-01").unwrap();
    let report = audit(&[&index()], &[inventory], &AuditConfig::default(), today);
    let lines: Vec<(Option<u32>, &str)> = report
        .findings
        .iter()
        .map(|f| (f.line, f.advisory_id.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (Some(1), "GO-2099-0001"),
            (Some(3), "GHSA-aaaa-bbbb-cccc"),
            (Some(5), "GHSA-aaaa-bbbb-cccc"),
            (Some(6), "GHSA-aaaa-bbbb-cccc"),
        ]
    );
    assert_eq!(report.findings[0].fixed.as_deref(), Some("0.17.0"));
    assert_eq!(
        report.findings[0].purl,
        "pkg:golang/golang.org/x/net@v0.0.0-20230101000000-abcdefabcdef"
    );
    assert_eq!(report.findings[1].severity, cordon_audit::Severity::High);
    assert_eq!(report.findings[1].purl, "pkg:npm/%40scope/lib@2.3.0");
    assert_eq!(report.findings[3].affected, ">= 3.0.0-beta.1, <= 3.0.0");
}

fn crate_advisory(id: &str, alias: &str) -> String {
    format!(
        r#"{{"id": "{id}", "aliases": ["{alias}"], "summary": "same bug",
        "affected": [{{"package": {{"ecosystem": "crates.io", "name": "demo"}},
          "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]}}"#
    )
}

#[test]
fn an_issue_in_two_databases_is_reported_once_but_every_advisory_of_one_database_counts() {
    let first = crate_advisory("RUSTSEC-2099-0001", "GHSA-1111-2222-3333");
    let second = crate_advisory("GHSA-1111-2222-3333", "RUSTSEC-2099-0001");
    let sibling = crate_advisory("RUSTSEC-2099-0002", "GHSA-1111-2222-3333");
    let (database_a, _) = Index::build([
        ("a/RUSTSEC-2099-0001.json", first.as_bytes()),
        ("a/RUSTSEC-2099-0002.json", sibling.as_bytes()),
    ])
    .unwrap();
    let (database_b, _) =
        Index::build([("b/GHSA-1111-2222-3333.json", second.as_bytes())]).unwrap();
    let inventory = Inventory {
        path: "Cargo.lock".into(),
        roots: Vec::new(),
        packages: vec![package(Ecosystem::CratesIo, "demo", "0.9.0", 10)],
        warnings: vec![],
        os_release: None,
    };
    let today = parse_date("2026-09-01").unwrap();
    let report = audit(
        &[&database_a, &database_b],
        &[inventory],
        &AuditConfig::default(),
        today,
    );
    let ids: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.advisory_id.as_str())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);
}

#[test]
fn versions_that_cannot_be_ordered_are_noted_not_passed_as_clean() {
    let inventory = Inventory {
        path: "package-lock.json".into(),
        roots: Vec::new(),
        packages: vec![package(Ecosystem::Npm, "@scope/lib", "not-a-version", 12)],
        warnings: vec![],
        os_release: None,
    };
    let today = parse_date("2026-09-01").unwrap();
    let report = audit(&[&index()], &[inventory], &AuditConfig::default(), today);
    assert!(report.findings.is_empty());
    assert_eq!(
        report.notes,
        [
            "npm: 1 package(s) checked against npm advisories from database 1 (1)",
            "package-lock.json:12: @scope/lib not-a-version is not a version npm can order, \
          so advisories with version ranges for it were not checked"
        ]
    );
}

/// One OSV record with an `ECOSYSTEM` range, as the GitHub Advisory
/// Database publishes them for these ecosystems.
fn record(id: &str, ecosystem: &str, name: &str, introduced: &str, fixed: &str) -> String {
    format!(
        r#"{{"id": "{id}", "summary": "test advisory",
        "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "{name}"}},
          "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "{introduced}"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    )
}

/// Lockfiles of the newly read ecosystems, parsed by the shared parsers
/// and matched with each ecosystem's own version order.
#[test]
fn new_ecosystems_match_by_their_own_version_rules() {
    let records = [
        record("GHSA-rack-0001", "RubyGems", "rack", "0", "2.2.3.1"),
        record("GHSA-rack-0002", "RubyGems", "rack", "2.2.4.pre", "2.2.4"),
        record(
            "GHSA-log4j-0001",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.0-beta9",
            "2.15.0",
        ),
        record(
            "GHSA-psr7-0001",
            "Packagist",
            "guzzlehttp/psr7",
            "0",
            "1.8.4",
        ),
        record("GHSA-json-0001", "NuGet", "Newtonsoft.Json", "0", "13.0.1"),
        record("GHSA-http-0001", "Pub", "http", "0", "0.13.3"),
        record("GHSA-plug-0001", "Hex", "plug", "1.7.0", "1.7.2"),
    ];
    let files: Vec<(String, Vec<u8>)> = records
        .iter()
        .enumerate()
        .map(|(i, json)| (format!("osv/{i}.json"), json.clone().into_bytes()))
        .collect();
    let (index, warnings) = Index::build(files).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");

    let lockfiles: [(&str, &str); 6] = [
        (
            "Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n    rails (7.0.0)\n\nDEPENDENCIES\n  rack\n",
        ),
        (
            "gradle.lockfile",
            "org.apache.logging.log4j:log4j-core:2.14.1=runtimeClasspath\norg.apache.logging.log4j:log4j-api:2.14.1=runtimeClasspath\n",
        ),
        (
            "composer.lock",
            r#"{"packages": [{"name": "GuzzleHttp/psr7", "version": "v1.8.2"}], "packages-dev": []}"#,
        ),
        (
            "packages.lock.json",
            r#"{"version": 1, "dependencies": {"net8.0": {"newtonsoft.json": {"type": "Direct", "resolved": "12.0.3"}}}}"#,
        ),
        (
            "pubspec.lock",
            "packages:\n  http:\n    dependency: \"direct main\"\n    source: hosted\n    version: \"0.13.6\"\n",
        ),
        (
            "mix.lock",
            "%{\n  \"plug\": {:hex, :plug, \"1.7.1\", \"ab\", [:mix], [], \"hexpm\", \"cd\"},\n}\n",
        ),
    ];
    let inventories: Vec<Inventory> = lockfiles
        .iter()
        .map(|(path, text)| {
            Inventory::from(
                cordon_lockfiles::parse(path, text.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
            )
        })
        .collect();
    let today = parse_date("2026-09-01").unwrap();
    let report = audit(&[&index], &inventories, &AuditConfig::default(), today);
    let hits: Vec<(&str, &str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.version.as_str(), f.advisory_id.as_str()))
        .collect();
    assert_eq!(
        hits,
        [
            // `2.2.3` < `2.2.3.1`, and below the `2.2.4.pre` pre-release.
            ("Gemfile.lock", "2.2.3", "GHSA-rack-0001"),
            // Composer and NuGet names compare case-insensitively, and
            // `v1.8.2` is 1.8.2.
            ("composer.lock", "v1.8.2", "GHSA-psr7-0001"),
            // `2.14.1` lies after the `2.0-beta9` pre-release.
            ("gradle.lockfile", "2.14.1", "GHSA-log4j-0001"),
            ("mix.lock", "1.7.1", "GHSA-plug-0001"),
            ("packages.lock.json", "12.0.3", "GHSA-json-0001"),
        ]
    );
    assert_eq!(report.packages_not_checked, 0, "{:?}", report.notes);
    // pubspec's http 0.13.6 is past the fix; rails and log4j-api have no advisory.
    assert_eq!(report.packages_checked, 8);
}

/// What a parser could not use is repeated in the audit's notes, and a
/// package whose version the file does not state is not passed as checked.
#[test]
fn parser_warnings_and_unresolved_versions_reach_the_notes() {
    let pom = "<project><groupId>g</groupId><artifactId>app</artifactId><version>1</version>\n\
        <dependencies>\n\
        <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>\n\
        </dependencies></project>";
    let lockfile = cordon_lockfiles::parse("pom.xml", pom.as_bytes()).unwrap();
    let inventory = Inventory::from(lockfile);
    let (index, _) = Index::build([(
        "osv/1.json",
        record(
            "GHSA-log4j-0001",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "0",
            "2.15.0",
        )
        .into_bytes(),
    )])
    .unwrap();
    let today = parse_date("2026-09-01").unwrap();
    let report = audit(&[&index], &[inventory], &AuditConfig::default(), today);
    assert!(report.findings.is_empty());
    assert_eq!(report.packages_checked, 0);
    assert_eq!(report.packages_not_checked, 1);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n
                .starts_with("pom.xml:3: org.apache.logging.log4j:log4j-core has no version here")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "pom.xml:3: org.apache.logging.log4j:log4j-core has no resolved version, so it was not checked"),
        "{:?}",
        report.notes
    );
}
