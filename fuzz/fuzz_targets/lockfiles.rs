//! Every lockfile parser: any bytes give a lockfile or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "requirements.txt",
    "go.mod",
    "go.sum",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "Gemfile.lock",
    "composer.lock",
    "packages.lock.json",
    "gradle.lockfile",
    "gradle/verification-metadata.xml",
    "pom.xml",
    "pubspec.lock",
    "mix.lock",
    "pdm.lock",
    "renv.lock",
    "conan.lock",
    "lib/apk/db/installed",
    "var/lib/dpkg/status",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[first as usize % NAMES.len()];
    let _ = cordon_lockfiles::parse(name, rest);
});
