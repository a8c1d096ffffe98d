//! Truncated and corrupted lockfiles never panic, and never parse as a
//! clean lockfile with nothing in it.

mod common;

use common::fixture;
use cordon_lockfiles::{parse, parse_with_companion};

const FIXTURES: &[(&str, &str)] = &[
    ("cargo-v1.lock", "Cargo.lock"),
    ("cargo-v2.lock", "Cargo.lock"),
    ("cargo-v3.lock", "Cargo.lock"),
    ("cargo-v4.lock", "Cargo.lock"),
    ("real-same-file-1.0.6-v1.lock", "Cargo.lock"),
    ("package-lock-v1.json", "package-lock.json"),
    ("package-lock-v3.json", "package-lock.json"),
    ("requirements.txt.fixture", "requirements.txt"),
    ("poetry-2.lock.fixture", "poetry.lock"),
    ("poetry-1.1.lock.fixture", "poetry.lock"),
    ("uv.lock.fixture", "uv.lock"),
    ("Pipfile.lock.fixture", "Pipfile.lock"),
    ("go.mod.fixture", "go.mod"),
    ("yarn-v1.lock", "yarn.lock"),
    ("yarn-berry.lock", "yarn.lock"),
    ("pnpm-v5.yaml", "pnpm-lock.yaml"),
    ("pnpm-v6.yaml", "pnpm-lock.yaml"),
    ("pnpm-v9.yaml", "pnpm-lock.yaml"),
    ("bun.lock.fixture", "bun.lock"),
    ("Gemfile.lock.fixture", "Gemfile.lock"),
    ("composer.lock.fixture", "composer.lock"),
    ("packages.lock.json.fixture", "packages.lock.json"),
    ("gradle.lockfile.fixture", "gradle.lockfile"),
    (
        "verification-metadata.xml",
        "gradle/verification-metadata.xml",
    ),
    ("pom.xml.fixture", "pom.xml"),
    ("pubspec.lock.fixture", "pubspec.lock"),
    ("mix.lock.fixture", "mix.lock"),
    ("pdm.lock.fixture", "pdm.lock"),
    ("renv.lock.fixture", "renv.lock"),
    ("conan-v1.lock", "conan.lock"),
    ("conan-v2.lock", "conan.lock"),
    ("apk-installed", "lib/apk/db/installed"),
    ("dpkg-status", "var/lib/dpkg/status"),
];

#[test]
fn every_prefix_of_every_fixture_parses_or_fails_without_panicking() {
    for (name, path) in FIXTURES {
        let bytes = fixture(name);
        for cut in (0..bytes.len()).step_by(3) {
            // Only success or an error is acceptable; a panic fails the test.
            let _ = parse(path, &bytes[..cut]);
        }
    }
    let go_sum = fixture("go.sum.fixture");
    for cut in 0..go_sum.len() {
        let _ = parse_with_companion("go.mod", &fixture("go.mod.fixture"), Some(&go_sum[..cut]));
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    for (name, path) in FIXTURES {
        let original = fixture(name);
        for position in (0..original.len()).step_by(7) {
            for replacement in [b'"', b'[', b'\n', b'\\', 0xff, b'#', b'='] {
                let mut bytes = original.clone();
                bytes[position] = replacement;
                let _ = parse(path, &bytes);
            }
        }
    }
}

#[test]
fn an_empty_lockfile_is_not_a_clean_one_where_the_format_requires_content() {
    for path in [
        "Cargo.lock",
        "package-lock.json",
        "Pipfile.lock",
        "go.mod",
        "pnpm-lock.yaml",
        "bun.lock",
        "Gemfile.lock",
        "composer.lock",
        "packages.lock.json",
        "pom.xml",
        "gradle/verification-metadata.xml",
        "pubspec.lock",
        "mix.lock",
        "pdm.lock",
        "renv.lock",
        "conan.lock",
        "lib/apk/db/installed",
        "var/lib/dpkg/status",
    ] {
        assert!(parse(path, b"").is_err(), "{path}");
    }
}

#[test]
fn deeply_nested_or_self_referencing_input_is_an_error_or_bounded() {
    let nested = format!("<project>{}</project>", "<a>".repeat(2_000));
    assert!(parse("pom.xml", nested.as_bytes()).is_err());
    // A property that expands to itself twice must not grow without bound.
    let pom = "<project><properties><a>${a}${a}</a></properties><dependencies>\
        <dependency><groupId>g</groupId><artifactId>x</artifactId><version>${a}</version></dependency>\
        </dependencies></project>";
    let lock = parse("pom.xml", pom.as_bytes()).unwrap();
    assert_eq!(lock.warnings.len(), 1, "{:?}", lock.warnings);
    let yaml = format!("lockfileVersion: '9.0'\npackages: {}", "[".repeat(2_000));
    assert!(parse("pnpm-lock.yaml", yaml.as_bytes()).is_err());
}
