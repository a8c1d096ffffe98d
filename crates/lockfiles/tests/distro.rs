//! Installed-package databases of a container root filesystem.

mod common;

use common::{find, names, parse_fixture};
use std::collections::HashMap;

use cordon_lockfiles::{
    Ecosystem, HashAlg, LockfileKind, SourcePackage, detect, parse, parse_with_reader,
};

#[test]
fn databases_are_recognised_only_at_their_place_in_a_root_filesystem() {
    assert_eq!(
        detect("image/rootfs/lib/apk/db/installed"),
        Some(LockfileKind::ApkInstalled)
    );
    assert_eq!(
        detect("lib/apk/db/installed"),
        Some(LockfileKind::ApkInstalled)
    );
    assert_eq!(
        detect("var/lib/dpkg/status"),
        Some(LockfileKind::DpkgStatus)
    );
    assert_eq!(detect("docs/status"), None);
    assert_eq!(detect("installed"), None);
    assert_eq!(detect("db/installed"), None);
}

#[test]
fn apk_installed_lists_packages_with_their_control_checksum() {
    let lock = parse_fixture("apk-installed", "rootfs/lib/apk/db/installed");
    assert!(
        lock.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Alpine)
    );
    assert_eq!(
        names(&lock),
        ["busybox 1.36.1-r2", "musl 1.2.4-r2", "openssl 3.1.3-r0"]
    );
    let musl = find(&lock, "musl", "1.2.4-r2");
    assert_eq!(musl.line, Some(1));
    assert_eq!(musl.checksums[0].alg, HashAlg::Sha1);
    // `Q1abcd` is too short to be a SHA-1: no checksum rather than a wrong one.
    assert!(find(&lock, "busybox", "1.36.1-r2").checksums.is_empty());
    assert_eq!(find(&lock, "openssl", "3.1.3-r0").line, Some(19));
    let lock = parse("lib/apk/db/installed", b"P:musl\nA:x86_64\n").unwrap();
    assert_eq!(
        lock.warnings.len(),
        1,
        "an entry without a version is a warning"
    );
    assert!(parse("lib/apk/db/installed", b"\n\n").is_err());
}

#[test]
fn dpkg_status_lists_installed_packages_only() {
    let lock = parse_fixture("dpkg-status", "var/lib/dpkg/status");
    assert!(
        lock.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Debian)
    );
    assert_eq!(
        names(&lock),
        [
            "libc6 2.36-9+deb12u3",
            "openssl 3.0.11-1~deb12u2",
            "zlib1g 1:1.2.13.dfsg-1"
        ],
        "removed packages with only config files left are not installed"
    );
    assert_eq!(find(&lock, "openssl", "3.0.11-1~deb12u2").line, Some(16));
    assert!(parse("var/lib/dpkg/status", b"garbage\n").is_err());
}

fn source(name: &str, version: &str) -> Option<SourcePackage> {
    Some(SourcePackage {
        name: name.into(),
        version: version.into(),
    })
}

#[test]
fn dpkg_packages_carry_their_source_package() {
    let lock = parse_fixture("dpkg-status", "var/lib/dpkg/status");
    // `Source: glibc`: same version as the binary.
    assert_eq!(
        find(&lock, "libc6", "2.36-9+deb12u3").source_package,
        source("glibc", "2.36-9+deb12u3")
    );
    // No `Source:`: the package is its own source.
    assert_eq!(
        find(&lock, "openssl", "3.0.11-1~deb12u2").source_package,
        source("openssl", "3.0.11-1~deb12u2")
    );
    // A binary-only rebuild names its source version in parentheses.
    let status = "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2+b1\n";
    let lock = parse("var/lib/dpkg/status", status.as_bytes()).unwrap();
    assert_eq!(
        lock.packages[0].source_package,
        source("openssl", "3.0.11-1~deb12u2")
    );
    assert_eq!(lock.packages[0].name, "libssl3");
}

#[test]
fn apk_packages_carry_their_origin() {
    let installed = "P:libcrypto3\nV:3.1.4-r5\no:openssl\n\nP:musl\nV:1.2.4-r2\n";
    let lock = parse("lib/apk/db/installed", installed.as_bytes()).unwrap();
    assert_eq!(
        find(&lock, "libcrypto3", "3.1.4-r5").source_package,
        source("openssl", "3.1.4-r5")
    );
    assert_eq!(
        find(&lock, "musl", "1.2.4-r2").source_package,
        source("musl", "1.2.4-r2")
    );
}

/// Parses `database` at `path` with `files` (workspace-relative) readable.
fn parse_in_rootfs(
    path: &str,
    database: &str,
    files: &[(&str, &str)],
) -> cordon_lockfiles::Lockfile {
    let files: HashMap<String, Vec<u8>> = files
        .iter()
        .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
        .collect();
    let mut asked = Vec::new();
    let mut read = |path: &str| {
        asked.push(path.to_string());
        files.get(path).cloned()
    };
    parse_with_reader(path, database.as_bytes(), &mut read).unwrap()
}

#[test]
fn the_os_release_beside_the_database_names_the_release() {
    let status = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n";
    let lock = parse_in_rootfs(
        "images/web/var/lib/dpkg/status",
        status,
        &[(
            "images/web/etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        )],
    );
    let release = lock.os_release.expect("read beside the database");
    assert_eq!(release.id, "debian");
    assert_eq!(release.version_id.as_deref(), Some("12"));
    assert_eq!(release.path, "images/web/etc/os-release");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);

    // `usr/lib/os-release` when `etc/os-release` is missing.
    let lock = parse_in_rootfs(
        "lib/apk/db/installed",
        "P:musl\nV:1.2.5-r0\n",
        &[("usr/lib/os-release", "ID=alpine\nVERSION_ID=3.20.3\n")],
    );
    assert_eq!(lock.os_release.unwrap().path, "usr/lib/os-release");
}

#[test]
fn a_missing_or_unusable_os_release_is_a_warning() {
    let status = "Package: zlib1g\nStatus: install ok installed\nVersion: 1.2\n";
    let lock = parse_in_rootfs("rootfs/var/lib/dpkg/status", status, &[]);
    assert!(lock.os_release.is_none());
    let [warning] = lock.warnings.as_slice() else {
        panic!("{:?}", lock.warnings)
    };
    assert!(
        warning.message.contains("rootfs/etc/os-release")
            && warning.message.contains("release is unknown"),
        "{}",
        warning.message
    );
    let lock = parse_in_rootfs(
        "var/lib/dpkg/status",
        status,
        &[("etc/os-release", "NAME=whatever\n")],
    );
    assert!(lock.os_release.is_none());
    assert!(
        lock.warnings[0].message.contains("no `ID=` line"),
        "{:?}",
        lock.warnings
    );
    // Plain `parse` reads nothing and says nothing about a release.
    let lock = parse("var/lib/dpkg/status", status.as_bytes()).unwrap();
    assert!(lock.os_release.is_none() && lock.warnings.is_empty());
}
