//! Installed-package databases of a container root filesystem.

mod common;

use common::{find, names, parse_fixture};
use cordon_lockfiles::{Ecosystem, HashAlg, LockfileKind, detect, parse};

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
