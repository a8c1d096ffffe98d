//! Gemfile.lock, composer.lock, NuGet, pubspec.lock, mix.lock, pdm.lock,
//! renv.lock and conan.lock.

mod common;

use common::{deps_of, find, names, parse_fixture};
use cordon_lockfiles::{Ecosystem, HashAlg, LockfileKind, Source, detect, parse};

#[test]
fn gemfile_lock_reads_sources_platform_variants_direct_deps_and_checksums() {
    assert_eq!(detect("gems.locked"), Some(LockfileKind::GemfileLock));
    let lock = parse_fixture("Gemfile.lock.fixture", "Gemfile.lock");
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "billing 0.1.0",
            "feature-flags 0.4.0",
            "internal-auth 3.2.0",
            "mini_portile2 2.8.5",
            // Once, although locked for two platforms.
            "nokogiri 1.15.4",
            "racc 1.7.1",
            "rack 2.2.3",
            "rake 13.0.6",
            // The Gemfile itself, named after its folder.
            "workspace ",
        ]
    );
    assert!(
        lock.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::RubyGems)
    );
    assert_eq!(
        find(&lock, "feature-flags", "0.4.0").source,
        Source::Git {
            url: "https://github.com/example/feature-flags.git".into(),
            rev: Some("8c1d6b0f2e4a3c5d7e9f1a2b3c4d5e6f7a8b9c0d".into())
        }
    );
    assert_eq!(
        find(&lock, "billing", "0.1.0").source,
        Source::Path {
            path: "engines/billing".into()
        }
    );
    assert_eq!(
        find(&lock, "internal-auth", "3.2.0").source,
        Source::Registry {
            url: Some("https://gems.example.internal".into())
        }
    );
    assert_eq!(
        find(&lock, "rack", "2.2.3").source,
        Source::Registry { url: None }
    );
    assert_eq!(
        deps_of(&lock, "nokogiri", "1.15.4"),
        ["mini_portile2 2.8.5", "racc 1.7.1"]
    );
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(root.source, Source::Workspace);
    assert_eq!(root.dependencies.len(), 6);
    let rack = find(&lock, "rack", "2.2.3");
    assert_eq!(rack.line, Some(25));
    assert_eq!(rack.checksums.len(), 1);
    assert_eq!(rack.checksums[0].alg, HashAlg::Sha256);
    let err = parse("Gemfile.lock", b"  specs:\n    rack (2.2.3)\n").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn composer_lock_reads_prod_and_dev_packages_branches_and_paths() {
    let lock = parse_fixture("composer.lock.fixture", "composer.lock");
    assert_eq!(lock.kind, LockfileKind::ComposerLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "acme/internal-tools dev-main",
            "acme/shared-kernel 1.0.0",
            "guzzlehttp/psr7 1.8.2",
            "phpunit/phpunit 9.6.13",
            "psr/http-message 1.0.1",
        ]
    );
    assert!(
        lock.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Packagist)
    );
    assert!(find(&lock, "phpunit/phpunit", "9.6.13").dev);
    assert!(!find(&lock, "guzzlehttp/psr7", "1.8.2").dev);
    // `php` and `ext-json` are platform requirements, not packages.
    assert_eq!(
        deps_of(&lock, "guzzlehttp/psr7", "1.8.2"),
        ["psr/http-message 1.0.1"]
    );
    assert_eq!(
        find(&lock, "acme/internal-tools", "dev-main").source,
        Source::Git {
            url: "https://git.example.com/acme/internal-tools.git".into(),
            rev: Some("0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e".into())
        }
    );
    assert_eq!(
        find(&lock, "acme/shared-kernel", "1.0.0").source,
        Source::Path {
            path: "../shared-kernel".into()
        }
    );
    assert_eq!(find(&lock, "guzzlehttp/psr7", "1.8.2").line, Some(10));
    assert_eq!(find(&lock, "phpunit/phpunit", "9.6.13").line, Some(73));
    assert_eq!(
        find(&lock, "psr/http-message", "1.0.1").checksums[0].alg,
        HashAlg::Sha1
    );
    assert_eq!(
        find(&lock, "guzzlehttp/psr7", "1.8.2").license.as_deref(),
        Some("MIT")
    );
}

#[test]
fn nuget_lock_merges_frameworks_and_keeps_different_resolutions() {
    let lock = parse_fixture("packages.lock.json.fixture", "src/Api/packages.lock.json");
    assert_eq!(lock.kind, LockfileKind::NugetLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "Acme.Shared ",
            "Api ",
            "Newtonsoft.Json 12.0.3",
            "Serilog 2.10.0",
            "Serilog 2.12.0",
            "System.Text.Encodings.Web 4.7.1",
        ]
    );
    let json = find(&lock, "Newtonsoft.Json", "12.0.3");
    assert_eq!(json.line, Some(5));
    assert_eq!(json.checksums[0].alg, HashAlg::Sha512);
    assert_eq!(find(&lock, "Acme.Shared", "").source, Source::Workspace);
    assert_eq!(
        deps_of(&lock, "Acme.Shared", ""),
        ["Newtonsoft.Json 12.0.3", "System.Text.Encodings.Web 4.7.1"]
    );
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(root.dependencies.len(), 3, "direct in either framework");
}

#[test]
fn pubspec_lock_reads_scope_sources_and_skips_sdk_packages_with_a_warning() {
    let lock = parse_fixture("pubspec.lock.fixture", "app/pubspec.lock");
    assert_eq!(lock.kind, LockfileKind::PubspecLock);
    assert_eq!(
        names(&lock),
        [
            "app ",
            "async 2.11.0",
            "http 0.13.6",
            "internal_ui 0.2.0",
            "markdown_lite 1.1.0",
            "mocktail 0.3.0",
        ]
    );
    assert_eq!(lock.warnings.len(), 1);
    assert!(lock.warnings[0].message.contains("flutter"));
    assert!(find(&lock, "mocktail", "0.3.0").dev);
    assert!(!find(&lock, "http", "0.13.6").dev);
    assert_eq!(
        find(&lock, "markdown_lite", "1.1.0").source,
        Source::Git {
            url: "https://github.com/example/markdown_lite.git".into(),
            rev: Some("3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c".into())
        }
    );
    assert_eq!(
        find(&lock, "internal_ui", "0.2.0").source,
        Source::Path {
            path: "../internal_ui".into()
        }
    );
    assert_eq!(find(&lock, "http", "0.13.6").line, Some(17));
    assert_eq!(find(&lock, "http", "0.13.6").checksums.len(), 1);
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(
        root.dependencies.len(),
        4,
        "direct main and direct dev, not the SDK"
    );
}

#[test]
fn mix_lock_reads_hex_and_git_entries_with_dependencies() {
    let lock = parse_fixture("mix.lock.fixture", "mix.lock");
    assert_eq!(lock.kind, LockfileKind::MixLock);
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::Hex));
    assert_eq!(
        names(&lock),
        [
            "cowboy 2.10.0",
            "cowlib 2.12.1",
            "mime 1.6.0",
            "phoenix_live_dashboard ",
            "plug 1.7.1",
            "ranch 1.8.0",
        ]
    );
    assert_eq!(
        deps_of(&lock, "cowboy", "2.10.0"),
        ["cowlib 2.12.1", "ranch 1.8.0"]
    );
    // The optional `plug_crypto` is not locked; no link.
    assert_eq!(deps_of(&lock, "plug", "1.7.1"), ["mime 1.6.0"]);
    let cowboy = find(&lock, "cowboy", "2.10.0");
    assert_eq!(cowboy.line, Some(2));
    assert_eq!(cowboy.checksums.len(), 1);
    assert!(
        cowboy.checksums[0].hex.starts_with("3afdccb7"),
        "the outer checksum"
    );
    assert_eq!(cowboy.source, Source::Registry { url: None });
    assert_eq!(
        find(&lock, "phoenix_live_dashboard", "").source,
        Source::Git {
            url: "https://github.com/phoenixframework/phoenix_live_dashboard.git".into(),
            rev: Some("4c4f8dd1c1b6c2a1f3b1e0d9c8b7a6f5e4d3c2b1".into())
        }
    );
    assert!(parse("mix.lock", b"{\"a\": 1}").is_err());
}

#[test]
fn pdm_lock_reads_groups_sources_and_normalised_dependency_names() {
    let lock = parse_fixture("pdm.lock.fixture", "pdm.lock");
    assert_eq!(lock.kind, LockfileKind::PdmLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::PyPI));
    assert_eq!(
        deps_of(&lock, "Django", "3.2.4"),
        ["asgiref 3.4.1", "pytz 2021.1"]
    );
    // `colorama` is only for Windows and not locked here; no warning.
    assert_eq!(deps_of(&lock, "pytest", "7.4.2"), ["iniconfig 2.0.0"]);
    assert!(find(&lock, "pytest", "7.4.2").dev);
    assert!(!find(&lock, "Django", "3.2.4").dev);
    assert_eq!(find(&lock, "Django", "3.2.4").line, Some(21));
    assert_eq!(find(&lock, "Django", "3.2.4").checksums.len(), 1);
    assert_eq!(
        find(&lock, "flask-ext", "0.9.0").source,
        Source::Git {
            url: "https://github.com/example/flask-ext.git".into(),
            rev: Some("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b".into())
        }
    );
    assert!(matches!(
        find(&lock, "shared-utils", "0.1.0").source,
        Source::Path { .. }
    ));
    assert!(parse("pdm.lock", b"[[package]]\nname = \"a\"\n").is_err());
}

#[test]
fn renv_lock_reads_repositories_and_remote_sources() {
    let lock = parse_fixture("renv.lock.fixture", "renv.lock");
    assert_eq!(lock.kind, LockfileKind::RenvLock);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::Cran));
    assert_eq!(
        names(&lock),
        [
            "commonmark 0.9.0",
            "devtoolsx 2.4.5.9000",
            "limma 3.56.2",
            "markdown 1.3",
            "xfun 0.39",
        ]
    );
    // Base R packages (`utils`, `stats`) ship with R: no link, no warning.
    assert_eq!(
        deps_of(&lock, "markdown", "1.3"),
        ["commonmark 0.9.0", "xfun 0.39"]
    );
    assert_eq!(
        find(&lock, "commonmark", "0.9.0").source,
        Source::Registry { url: None }
    );
    assert_eq!(
        find(&lock, "limma", "3.56.2").source,
        Source::Registry {
            url: Some("Bioconductor".into())
        }
    );
    assert!(matches!(
        &find(&lock, "devtoolsx", "2.4.5.9000").source,
        Source::Git { rev: Some(rev), .. } if rev.starts_with("a1b2c3")
    ));
    assert_eq!(find(&lock, "markdown", "1.3").line, Some(19));
}

#[test]
fn conan_locks_of_both_versions_read_references_and_build_requirements() {
    let v2 = parse_fixture("conan-v2.lock", "conan.lock");
    assert_eq!(v2.kind, LockfileKind::ConanLock);
    assert!(v2.warnings.is_empty(), "{:?}", v2.warnings);
    assert_eq!(
        names(&v2),
        ["cmake 3.27.7", "fmt 10.1.1", "openssl 3.0.1", "zlib 1.2.11"]
    );
    assert!(find(&v2, "cmake", "3.27.7").dev);
    assert!(!find(&v2, "zlib", "1.2.11").dev);
    assert_eq!(find(&v2, "zlib", "1.2.11").line, Some(4));
    assert_eq!(
        find(&v2, "fmt", "10.1.1").source,
        Source::Registry {
            url: Some("@acme/stable".into())
        }
    );
    let v1 = parse_fixture("conan-v1.lock", "conan.lock");
    assert_eq!(names(&v1), ["cmake 3.21.3", "zlib 1.2.11"]);
    assert!(find(&v1, "cmake", "3.21.3").dev);
    assert!(parse("conan.lock", b"{\"version\": \"0.5\"}").is_err());
}
