//! File names map to formats, and the built-in pipeline lets the audit
//! stage read every one of them (a format it cannot read is a silent gap).

use cordon_lockfiles::{LockfileKind, detect};
use globset::{Glob, GlobSetBuilder};

/// One workspace path per format, nested as users keep them.
const SAMPLES: &[(&str, LockfileKind)] = &[
    ("Cargo.lock", LockfileKind::CargoLock),
    ("web/package-lock.json", LockfileKind::PackageLock),
    ("web/npm-shrinkwrap.json", LockfileKind::PackageLock),
    ("web/yarn.lock", LockfileKind::YarnLock),
    ("web/pnpm-lock.yaml", LockfileKind::PnpmLock),
    ("web/bun.lock", LockfileKind::BunLock),
    ("py/requirements.txt", LockfileKind::RequirementsTxt),
    ("py/requirements/dev.txt", LockfileKind::RequirementsTxt),
    ("py/requirements.lock", LockfileKind::RequirementsTxt),
    ("py/requirements-dev.lock", LockfileKind::RequirementsTxt),
    ("py/poetry.lock", LockfileKind::PoetryLock),
    ("py/uv.lock", LockfileKind::UvLock),
    ("py/Pipfile.lock", LockfileKind::PipfileLock),
    ("py/pdm.lock", LockfileKind::PdmLock),
    ("svc/go.mod", LockfileKind::GoMod),
    ("rb/Gemfile.lock", LockfileKind::GemfileLock),
    ("rb/gems.locked", LockfileKind::GemfileLock),
    ("php/composer.lock", LockfileKind::ComposerLock),
    ("dotnet/Api/packages.lock.json", LockfileKind::NugetLock),
    ("java/gradle.lockfile", LockfileKind::GradleLockfile),
    (
        "java/buildscript-gradle.lockfile",
        LockfileKind::GradleLockfile,
    ),
    (
        "java/gradle/verification-metadata.xml",
        LockfileKind::GradleVerification,
    ),
    ("java/pom.xml", LockfileKind::PomXml),
    ("app/pubspec.lock", LockfileKind::PubspecLock),
    ("ex/mix.lock", LockfileKind::MixLock),
    ("r/renv.lock", LockfileKind::RenvLock),
    ("cpp/conan.lock", LockfileKind::ConanLock),
    ("image/lib/apk/db/installed", LockfileKind::ApkInstalled),
    ("image/var/lib/dpkg/status", LockfileKind::DpkgStatus),
];

#[test]
fn every_format_is_detected_by_its_file_name() {
    for (path, kind) in SAMPLES {
        assert_eq!(detect(path), Some(*kind), "{path}");
    }
    for path in [
        "status",
        "notes/installed",
        "package.json",
        "yarn.lock.bak",
        "docs/notes.txt",
        "docs/notes.lock",
        "dev-requirements.lock",
        // Lockfiles that installed packages ship describe their own
        // development, not the workspace.
        "web/node_modules/diff/yarn.lock",
        "web/node_modules/@scope/tool/package-lock.json",
        "node_modules/a/node_modules/b/pnpm-lock.yaml",
        ".venv/lib/python3.11/site-packages/tool/requirements.txt",
        "usr/lib/python3/dist-packages/ext/Cargo.lock",
    ] {
        assert_eq!(detect(path), None, "{path}");
    }
}

#[test]
fn the_built_in_audit_stage_may_read_every_format() {
    let pipeline = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../runner/src/config/default.toml"
    ))
    .unwrap();
    let pipeline: toml::Table = toml::from_str(&pipeline).unwrap();
    let read = pipeline["stages"]["audit"]["grants"]["read"]
        .as_array()
        .unwrap();
    let mut globs = GlobSetBuilder::new();
    for pattern in read {
        globs.add(Glob::new(pattern.as_str().unwrap()).unwrap());
    }
    let globs = globs.build().unwrap();
    for (path, _) in SAMPLES {
        assert!(
            globs.is_match(path),
            "{path} is not in the audit stage's read grant"
        );
    }
    // go.mod's companion is read too.
    assert!(globs.is_match("svc/go.sum"));
}
