//! Debian and Alpine packages of a root filesystem, audited end to end:
//! the installed-package database and its os-release are read as the
//! stage reads them (`parse_with_reader`), and matched against OSV
//! records of several releases.

use std::collections::HashMap;

use cordon_audit::{
    AuditConfig, AuditReport, Ecosystem, Finding, Index, Inventory, NOT_CHECKED_RULE, OsvSelection,
    audit, inventories_from_cyclonedx, parse_date,
};

/// One OSV record: `package` of `ecosystem` (`Debian:12`) affected from
/// `introduced` until `fixed` (an ECOSYSTEM range).
fn osv(id: &str, ecosystem: &str, package: &str, introduced: &str, fixed: &str) -> String {
    serde_json::json!({
        "id": id,
        "summary": format!("{package} flaw"),
        "aliases": [format!("CVE-{id}")],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}],
        }],
    })
    .to_string()
}

fn index() -> Index {
    let records = [
        // openssl, fixed in bookworm by a security update (tilde revision).
        osv(
            "DSA-9001-1",
            "Debian:12",
            "openssl",
            "0",
            "3.0.11-1~deb12u2",
        ),
        // The same flaw in bullseye: a lower fixed version, which the
        // bookworm package is above.
        osv(
            "DSA-9001-2",
            "Debian:11",
            "openssl",
            "0",
            "1.1.1w-0+deb11u1",
        ),
        // zlib, only known for trixie: its fixed version is above the
        // bookworm package, which must not matter on bookworm.
        osv("DEBIAN-CVE-9002", "Debian:13", "zlib", "0", "1:1.3.dfsg-1"),
        // glibc: `+deb12u4` is above `+deb12u3`.
        osv("DSA-9003-1", "Debian:12", "glibc", "0", "2.36-9+deb12u4"),
        // A pre-release (tilde) installed, fixed in the release.
        osv("DSA-9004-1", "Debian:12", "curl", "7.88.1-1", "8.0~rc2-1"),
        // Alpine: openssl's origin, one per release.
        osv("ALPINE-9005", "Alpine:v3.20", "openssl", "0", "3.3.2-r0"),
        osv("ALPINE-9006", "Alpine:v3.19", "busybox", "0", "1.36.1-r30"),
        // Patch-level suffixes.
        osv(
            "ALPINE-9007",
            "Alpine:v3.20",
            "zsh",
            "5.9_p1-r0",
            "5.9_p2-r0",
        ),
    ];
    let files: Vec<(String, Vec<u8>)> = records
        .iter()
        .map(|json| {
            let value: serde_json::Value = serde_json::from_str(json).unwrap();
            let ecosystem = value["affected"][0]["package"]["ecosystem"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned();
            let id = value["id"].as_str().unwrap().to_owned();
            (format!("{ecosystem}/{id}.json"), json.clone().into_bytes())
        })
        .collect();
    let (index, warnings) = Index::build(files).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    index.with_label("osv")
}

const DPKG_STATUS: &str = "\
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1
Description: Secure Sockets Layer toolkit - shared libraries

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u2

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: libc6
Status: install ok installed
Source: glibc
Version: 2.36-9+deb12u3

Package: libcurl4
Status: install ok installed
Source: curl
Version: 8.0~rc1-1
";

const DEBIAN_12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

/// The inventory of `database_path` (holding `database`) in a root
/// filesystem that holds `files` besides it.
fn rootfs(database_path: &str, database: &str, files: &[(&str, &str)]) -> Inventory {
    let files: HashMap<&str, &str> = files.iter().copied().collect();
    let mut read = |path: &str| files.get(path).map(|text| text.as_bytes().to_vec());
    let lockfile =
        cordon_lockfiles::parse_with_reader(database_path, database.as_bytes(), &mut read).unwrap();
    Inventory::from(lockfile)
}

fn run(inventory: Inventory) -> AuditReport {
    let today = parse_date("2026-09-01").unwrap();
    audit(&[&index()], &[inventory], &AuditConfig::default(), today)
}

fn found(report: &AuditReport) -> Vec<(&str, &str, &str)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.package.as_str(),
                f.version.as_str(),
                f.advisory_id.as_str(),
            )
        })
        .collect()
}

fn finding<'a>(report: &'a AuditReport, package: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.package == package)
        .unwrap_or_else(|| panic!("no finding for {package}: {:?}", found(report)))
}

#[test]
fn debian_packages_match_their_source_package_in_their_release_only() {
    let inventory = rootfs(
        "image/var/lib/dpkg/status",
        DPKG_STATUS,
        &[("image/etc/os-release", DEBIAN_12)],
    );
    // The stage reads the Debian directory of the OSV data for it.
    assert!(
        OsvSelection::for_inventories(std::slice::from_ref(&inventory)).wants("Debian/DSA-1.json")
    );
    let report = run(inventory);
    assert_eq!(
        found(&report),
        [
            ("libssl3", "3.0.11-1~deb12u1", "DSA-9001-1"),
            ("libc6", "2.36-9+deb12u3", "DSA-9003-1"),
            ("libcurl4", "8.0~rc1-1", "DSA-9004-1"),
        ],
        "openssl is fixed; zlib's only advisory is trixie's; notes: {:#?}",
        report.notes
    );
    let libssl = finding(&report, "libssl3");
    assert_eq!(libssl.ecosystem, Ecosystem::Debian);
    assert_eq!(libssl.affected, "Debian:12: < 3.0.11-1~deb12u2");
    assert_eq!(libssl.fixed.as_deref(), Some("3.0.11-1~deb12u2"));
    // Matched on its source package, which the finding names.
    assert_eq!(
        libssl.source_package.as_deref(),
        Some("openssl 3.0.11-1~deb12u1")
    );
    assert!(
        libssl
            .message
            .starts_with("libssl3 3.0.11-1~deb12u1 (built from openssl) is affected by DSA-9001-1"),
        "{}",
        libssl.message
    );
    assert_eq!(
        finding(&report, "libc6").source_package.as_deref(),
        Some("glibc 2.36-9+deb12u3")
    );
    assert_eq!(libssl.purl, "pkg:deb/debian/libssl3@3.0.11-1~deb12u1");
    assert_eq!(libssl.line, Some(1));
    assert_eq!(report.packages_checked, 5);
    assert_eq!(report.packages_not_checked, 0);
    assert!(
        report.notes.contains(
            &"image/var/lib/dpkg/status: Debian packages matched against the 3 Debian:12 advisories (release from image/etc/os-release)"
                .to_owned()
        ),
        "{:#?}",
        report.notes
    );
}

#[test]
fn a_binary_rebuild_is_matched_on_its_source_version() {
    // `+b1` rebuilt from 3.0.11-1~deb12u1: the source version is what the
    // advisory's range is about, and the finding says so.
    let status = "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u1)\nVersion: 3.0.11-1~deb12u1+b1\n";
    let report = run(rootfs(
        "var/lib/dpkg/status",
        status,
        &[("etc/os-release", DEBIAN_12)],
    ));
    let libssl = finding(&report, "libssl3");
    assert_eq!(libssl.version, "3.0.11-1~deb12u1+b1");
    assert_eq!(
        libssl.source_package.as_deref(),
        Some("openssl 3.0.11-1~deb12u1")
    );
    assert!(
        libssl
            .message
            .contains("(built from openssl 3.0.11-1~deb12u1) is affected"),
        "{}",
        libssl.message
    );
}

#[test]
fn without_os_release_every_release_is_matched_and_the_notes_say_so() {
    let report = run(rootfs("var/lib/dpkg/status", DPKG_STATUS, &[]));
    // Trixie's zlib advisory now applies too: reported, not passed as clean.
    let zlib = finding(&report, "zlib1g");
    assert_eq!(zlib.advisory_id, "DEBIAN-CVE-9002");
    assert_eq!(zlib.affected, "Debian:13: < 1:1.3.dfsg-1");
    assert!(found(&report).contains(&("libssl3", "3.0.11-1~deb12u1", "DSA-9001-1")));
    // The lockfile reader's warning and the audit's note both say why.
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("var/lib/dpkg/status: no etc/os-release or usr/lib/os-release beside this database; the distribution release is unknown"),
        "{notes}"
    );
    assert!(
        notes.contains("var/lib/dpkg/status: the Debian release is unknown (neither an os-release file beside the database nor a purl `distro` qualifier names it), so its Debian packages were matched against the advisories of every release in the databases (Debian:11, Debian:12, Debian:13)"),
        "{notes}"
    );
}

#[test]
fn a_release_the_database_does_not_hold_is_not_checked() {
    let report = run(rootfs(
        "var/lib/dpkg/status",
        DPKG_STATUS,
        &[("etc/os-release", "ID=debian\nVERSION_ID=\"14\"\n")],
    ));
    let [not_checked] = report.findings.as_slice() else {
        panic!("one finding: {:?}", found(&report))
    };
    assert_eq!(not_checked.advisory_id, NOT_CHECKED_RULE);
    assert_eq!(not_checked.package_count, Some(5));
    assert!(
        not_checked.message.contains(
            "the root filesystem is Debian:14 (from etc/os-release), and the loaded databases hold no Debian:14 advisories (releases held: Debian:11, Debian:12, Debian:13)"
        ),
        "{}",
        not_checked.message
    );
    assert_eq!(report.packages_not_checked, 5);
    assert_eq!(report.packages_checked, 0);
    // The summary does not claim the ecosystem was checked.
    assert_eq!(
        report.notes[0],
        "Debian: 5 package(s) read; Debian advisories from osv (5) (all releases) are matched against each root filesystem's own release"
    );
}

#[test]
fn another_distributions_dpkg_database_is_not_checked_against_debian() {
    let report = run(rootfs(
        "var/lib/dpkg/status",
        DPKG_STATUS,
        &[(
            "etc/os-release",
            "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n",
        )],
    ));
    let [not_checked] = report.findings.as_slice() else {
        panic!("one finding: {:?}", found(&report))
    };
    assert_eq!(not_checked.advisory_id, NOT_CHECKED_RULE);
    assert!(
        not_checked
            .message
            .contains("the root filesystem is Ubuntu 22.04.4 LTS (ID=ubuntu), not Debian"),
        "{}",
        not_checked.message
    );
}

const APK_INSTALLED: &str = "\
C:Q1SKXSuapnzJIsuJ3pgGzGZbDnMwA=
P:libcrypto3
V:3.3.1-r3
A:x86_64
o:openssl

P:busybox
V:1.36.1-r29
o:busybox

P:zsh
V:5.9_p1-r1
o:zsh
";

#[test]
fn alpine_packages_match_their_origin_in_their_release_only() {
    let report = run(rootfs(
        "lib/apk/db/installed",
        APK_INSTALLED,
        &[(
            "usr/lib/os-release",
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n",
        )],
    ));
    // busybox's advisory is for v3.19 only.
    assert_eq!(
        found(&report),
        [
            ("libcrypto3", "3.3.1-r3", "ALPINE-9005"),
            ("zsh", "5.9_p1-r1", "ALPINE-9007"),
        ]
    );
    let libcrypto = finding(&report, "libcrypto3");
    assert_eq!(libcrypto.affected, "Alpine:v3.20: < 3.3.2-r0");
    assert_eq!(libcrypto.purl, "pkg:apk/alpine/libcrypto3@3.3.1-r3");
    assert_eq!(finding(&report, "zsh").fixed.as_deref(), Some("5.9_p2-r0"));
}

#[test]
fn an_ignore_of_the_source_package_covers_its_binaries() {
    let config = AuditConfig::from_json(
        r#"{"ignore": [{"id": "DSA-9001-1", "package": "openssl", "reason": "not reachable"}]}"#,
    )
    .unwrap();
    let inventory = rootfs(
        "var/lib/dpkg/status",
        DPKG_STATUS,
        &[("etc/os-release", DEBIAN_12)],
    );
    let today = parse_date("2026-09-01").unwrap();
    let report = audit(&[&index()], &[inventory], &config, today);
    assert!(!found(&report).iter().any(|(_, _, id)| *id == "DSA-9001-1"));
    assert_eq!(report.suppressed, 1);
}

/// A CycloneDX document of distribution packages, as the `sbom` artifact
/// (or another tool) gives them: purls with `upstream` and `distro`.
fn sbom(purls: &[&str]) -> Vec<Inventory> {
    let components: Vec<serde_json::Value> = purls
        .iter()
        .map(|purl| {
            serde_json::json!({
                "name": purl,
                "purl": purl,
                "properties": [{"name": "cordon:lockfile", "value": "rootfs/var/lib/dpkg/status"}],
            })
        })
        .collect();
    let document = serde_json::json!({"bomFormat": "CycloneDX", "components": components});
    let (inventories, warnings) =
        inventories_from_cyclonedx("artifact:sbom", document.to_string().as_bytes()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    inventories
}

#[test]
fn sbom_purls_give_the_source_package_and_the_release() {
    let [inventory] = <[Inventory; 1]>::try_from(sbom(&[
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?upstream=glibc%402.36-9%2Bdeb12u3&distro=debian-12",
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?upstream=zlib&distro=debian-12",
    ]))
    .unwrap();
    let report = run(inventory);
    assert_eq!(
        found(&report),
        [
            ("libssl3", "3.0.11-1~deb12u1", "DSA-9001-1"),
            ("libc6", "2.36-9+deb12u3", "DSA-9003-1"),
        ],
        "{:#?}",
        report.notes
    );
    assert!(
        report.notes.iter().any(|note| note
            .contains("Debian:12 advisories (release from the purl qualifier `distro=debian-12`)")),
        "{:#?}",
        report.notes
    );
}

#[test]
fn sbom_purls_without_upstream_or_distro_are_matched_by_name_and_say_so() {
    let [inventory] = <[Inventory; 1]>::try_from(sbom(&[
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u1",
        "pkg:deb/debian/openssl@3.0.11-1~deb12u1",
    ]))
    .unwrap();
    let report = run(inventory);
    // openssl's own binary matches by name; libssl3 cannot, and the notes
    // say why rather than passing it as clean silently.
    assert_eq!(
        found(&report),
        [("openssl", "3.0.11-1~deb12u1", "DSA-9001-1")]
    );
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("rootfs/var/lib/dpkg/status: 2 Debian package(s) name no source package"),
        "{notes}"
    );
    assert!(notes.contains("the Debian release is unknown"), "{notes}");

    // An Ubuntu purl is not Debian's, whatever its type.
    let [inventory] = <[Inventory; 1]>::try_from(sbom(&[
        "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?upstream=openssl&distro=ubuntu-22.04",
    ]))
    .unwrap();
    let report = run(inventory);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].advisory_id, NOT_CHECKED_RULE);
}
