//! Lockfile parsers shared by the `sbom` and `audit` stages.
//!
//! Every parser turns one lockfile's bytes into a [`Lockfile`]: the packages
//! it pins, the edges between them, and warnings with line numbers for
//! anything it could not understand (nothing is dropped silently).
//!
//! The parsers never touch the filesystem: callers hand in the bytes, and
//! the files a lockfile names (the sibling `go.sum` of a `go.mod`, the
//! `-r`/`-c` includes of a requirements file) through the `read` callback
//! of [`parse_with_reader`], which decides what may be read.
//!
//! Formats: `Cargo.lock`; npm `package-lock.json`/`npm-shrinkwrap.json`,
//! `yarn.lock` (classic and berry), `pnpm-lock.yaml` (5.x to 9.x),
//! `bun.lock`; `requirements*.txt` (and Rye's `requirements*.lock`),
//! `poetry.lock`, `uv.lock`,
//! `Pipfile.lock`, `pdm.lock`; `go.mod` (+ `go.sum`); `Gemfile.lock`/
//! `gems.locked`; `composer.lock`; NuGet `packages.lock.json`; Maven
//! `pom.xml` (direct dependencies), `gradle.lockfile`,
//! `gradle/verification-metadata.xml`; `pubspec.lock`; `mix.lock`;
//! `renv.lock`; `conan.lock`; and the installed-package databases
//! `lib/apk/db/installed` (Alpine) and `var/lib/dpkg/status` (Debian),
//! with the root filesystem's `etc/os-release` when [`parse_with_reader`]
//! can read it.

mod bun;
mod cargo;
mod cargo_manifest;
mod composer;
mod conan;
mod digest;
mod distro;
mod gemfile;
mod gomod;
mod gradle;
mod graph;
mod json_lines;
mod maven;
mod mix;
mod npm;
mod nuget;
mod os_release;
mod paths;
mod pdm;
mod pipfile;
mod pnpm;
mod poetry;
mod pubspec;
mod purl;
mod pypi;
mod renv;
mod requirements;
mod text;
mod uv;
mod xml;
mod yaml;
mod yarn;

use std::fmt;

pub use cargo_manifest::{
    CargoManifest, ManifestLicense, apply_manifest_licenses, apply_registry_licenses,
    parse_cargo_manifest,
};
pub use os_release::{OS_RELEASE_PATHS, OsRelease, parse_os_release};
pub use purl::purl_coordinates;
pub use pypi::normalize_pypi_name;

/// Package ecosystem, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    PyPI,
    Go,
    RubyGems,
    /// PHP (Composer).
    Packagist,
    /// Java and other JVM languages; names are `group:artifact`.
    Maven,
    NuGet,
    /// Dart and Flutter.
    Pub,
    /// Erlang and Elixir.
    Hex,
    /// R.
    Cran,
    /// C and C++ (Conan); names are the recipe name.
    ConanCenter,
    /// Alpine Linux packages (`apk`), from a root filesystem. Other apk
    /// distributions (Wolfi) write the same database; the root
    /// filesystem's os-release ([`Lockfile::os_release`]) says which it is.
    Alpine,
    /// Debian packages (`dpkg`), from a root filesystem. Ubuntu and other
    /// derivatives write the same database; the root filesystem's
    /// os-release ([`Lockfile::os_release`]) says which it is.
    Debian,
}

impl Ecosystem {
    /// Every ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 14] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Maven,
        Ecosystem::NuGet,
        Ecosystem::Pub,
        Ecosystem::Hex,
        Ecosystem::Cran,
        Ecosystem::ConanCenter,
        Ecosystem::Alpine,
        Ecosystem::Debian,
    ];

    /// The ecosystem's name in OSV data (`crates.io`, `npm`, `PyPI`, `Go`,
    /// `RubyGems`, ...). OSV qualifies the distributions with a release
    /// (`Debian:12`, `Alpine:v3.19`); this is the name without it.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Pub => "Pub",
            Ecosystem::Hex => "Hex",
            Ecosystem::Cran => "CRAN",
            Ecosystem::ConanCenter => "ConanCenter",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::Debian => "Debian",
        }
    }
}

/// Where a package comes from. Only `Registry` packages can match registry
/// advisories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `url: None` means the ecosystem's default public registry.
    Registry {
        url: Option<String>,
    },
    Git {
        url: String,
        rev: Option<String>,
    },
    Path {
        path: String,
    },
    /// The workspace root or a workspace member.
    Workspace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub alg: HashAlg,
    /// Lower-case hex.
    pub hex: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// As written in the lockfile (PyPI names are also normalised by
    /// [`normalize_pypi_name`] where compared).
    pub name: String,
    pub version: String,
    pub source: Source,
    pub checksums: Vec<Checksum>,
    /// Only needed for development (npm `dev`, poetry `category = "dev"`, ...).
    pub dev: bool,
    pub license: Option<String>,
    /// 1-based line of the package's entry in the lockfile.
    pub line: Option<u32>,
    /// Indexes into [`Lockfile::packages`] of direct dependencies.
    pub dependencies: Vec<usize>,
    /// For a distribution's binary package, the source package it was
    /// built from (dpkg `Source:`, apk `o:` origin): distributions publish
    /// their advisories per source package (`libssl3` comes from
    /// `openssl`). `None` elsewhere.
    pub source_package: Option<SourcePackage>,
}

/// The source package a distribution's binary package was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePackage {
    pub name: String,
    /// The source version, which differs from the binary's after a
    /// binary-only rebuild (`1.2-3+b1` built from `1.2-3`).
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: Option<u32>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockfileKind {
    CargoLock,
    /// `package-lock.json` or `npm-shrinkwrap.json`.
    PackageLock,
    RequirementsTxt,
    PoetryLock,
    UvLock,
    PipfileLock,
    /// `go.mod`, with hashes from the sibling `go.sum` when given.
    GoMod,
    /// `yarn.lock`, classic (v1) or berry (v2 and later).
    YarnLock,
    /// `pnpm-lock.yaml`, lockfile versions 5.4 to 9.
    PnpmLock,
    /// `bun.lock` (the text lockfile, JSON with trailing commas).
    BunLock,
    /// `Gemfile.lock` or `gems.locked`.
    GemfileLock,
    ComposerLock,
    /// NuGet `packages.lock.json`.
    NugetLock,
    /// `gradle.lockfile` (and `buildscript-gradle.lockfile`).
    GradleLockfile,
    /// `gradle/verification-metadata.xml`.
    GradleVerification,
    /// Maven `pom.xml`: its direct dependencies, not a full resolution.
    PomXml,
    PubspecLock,
    MixLock,
    PdmLock,
    RenvLock,
    ConanLock,
    /// Alpine's installed-package database, `lib/apk/db/installed`.
    ApkInstalled,
    /// Debian's installed-package database, `var/lib/dpkg/status`.
    DpkgStatus,
}

impl LockfileKind {
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            LockfileKind::CargoLock => Ecosystem::CratesIo,
            LockfileKind::PackageLock => Ecosystem::Npm,
            LockfileKind::RequirementsTxt
            | LockfileKind::PoetryLock
            | LockfileKind::UvLock
            | LockfileKind::PipfileLock => Ecosystem::PyPI,
            LockfileKind::GoMod => Ecosystem::Go,
            LockfileKind::YarnLock | LockfileKind::PnpmLock | LockfileKind::BunLock => {
                Ecosystem::Npm
            }
            LockfileKind::GemfileLock => Ecosystem::RubyGems,
            LockfileKind::ComposerLock => Ecosystem::Packagist,
            LockfileKind::NugetLock => Ecosystem::NuGet,
            LockfileKind::GradleLockfile
            | LockfileKind::GradleVerification
            | LockfileKind::PomXml => Ecosystem::Maven,
            LockfileKind::PubspecLock => Ecosystem::Pub,
            LockfileKind::MixLock => Ecosystem::Hex,
            LockfileKind::PdmLock => Ecosystem::PyPI,
            LockfileKind::RenvLock => Ecosystem::Cran,
            LockfileKind::ConanLock => Ecosystem::ConanCenter,
            LockfileKind::ApkInstalled => Ecosystem::Alpine,
            LockfileKind::DpkgStatus => Ecosystem::Debian,
        }
    }

    /// File name of the sibling file that completes this kind, if any
    /// (`go.sum` for `go.mod`). Callers read it and pass it to
    /// [`parse_with_companion`].
    pub fn companion_file_name(self) -> Option<&'static str> {
        match self {
            LockfileKind::GoMod => Some("go.sum"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Lockfile {
    pub kind: LockfileKind,
    /// Workspace-relative path.
    pub path: String,
    pub packages: Vec<Package>,
    /// Indexes of the root package(s) (workspace members), if the format names them.
    pub roots: Vec<usize>,
    pub warnings: Vec<Warning>,
    /// For an installed-package database, the root filesystem's
    /// os-release, when [`parse_with_reader`] could read it beside the
    /// database (see [`OS_RELEASE_PATHS`]). Distribution advisories are
    /// per release, so without it they cannot be matched exactly.
    pub os_release: Option<OsRelease>,
}

/// A lockfile that could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ParseError {}

/// What a parser module returns before the caller's path is attached.
pub(crate) struct Parsed {
    pub packages: Vec<Package>,
    pub roots: Vec<usize>,
    pub warnings: Vec<Warning>,
}

/// A parse failure before the caller's path is attached.
#[derive(Debug)]
pub(crate) struct Failure {
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(line: u32, column: Option<u32>, message: impl Into<String>) -> Self {
        Failure {
            line: Some(line),
            column,
            message: message.into(),
        }
    }
}

/// Which lockfile format a path names, judged by its file name alone.
///
/// Nothing under `node_modules`, `site-packages` or `dist-packages` is a
/// lockfile of the workspace: an installed package may ship the lockfile of
/// its own development (`diff` and `superagent` publish their `yarn.lock`),
/// which pins what its authors built with, not what is installed here. The
/// installed copy is already in the workspace's own lockfile, and reading
/// the shipped one would put packages in the SBOM, and advisories in the
/// audit, that the workspace does not have.
pub fn detect(path: &str) -> Option<LockfileKind> {
    if path
        .split(['/', '\\'])
        .any(|folder| INSTALLED_PACKAGE_TREES.contains(&folder))
    {
        return None;
    }
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match file_name {
        "Cargo.lock" => Some(LockfileKind::CargoLock),
        "package-lock.json" | "npm-shrinkwrap.json" => Some(LockfileKind::PackageLock),
        "poetry.lock" => Some(LockfileKind::PoetryLock),
        "uv.lock" => Some(LockfileKind::UvLock),
        "Pipfile.lock" => Some(LockfileKind::PipfileLock),
        "go.mod" => Some(LockfileKind::GoMod),
        "yarn.lock" => Some(LockfileKind::YarnLock),
        "pnpm-lock.yaml" => Some(LockfileKind::PnpmLock),
        "bun.lock" => Some(LockfileKind::BunLock),
        "Gemfile.lock" | "gems.locked" => Some(LockfileKind::GemfileLock),
        "composer.lock" => Some(LockfileKind::ComposerLock),
        "packages.lock.json" => Some(LockfileKind::NugetLock),
        "gradle.lockfile" | "buildscript-gradle.lockfile" => Some(LockfileKind::GradleLockfile),
        "verification-metadata.xml" if parent_is(path, &["gradle"]) => {
            Some(LockfileKind::GradleVerification)
        }
        "pom.xml" => Some(LockfileKind::PomXml),
        "pubspec.lock" => Some(LockfileKind::PubspecLock),
        "mix.lock" => Some(LockfileKind::MixLock),
        "pdm.lock" => Some(LockfileKind::PdmLock),
        "renv.lock" => Some(LockfileKind::RenvLock),
        "conan.lock" => Some(LockfileKind::ConanLock),
        "installed" if parent_is(path, &["lib", "apk", "db"]) => Some(LockfileKind::ApkInstalled),
        "status" if parent_is(path, &["var", "lib", "dpkg"]) => Some(LockfileKind::DpkgStatus),
        name if requirements::is_requirements_file_name(name) => {
            Some(LockfileKind::RequirementsTxt)
        }
        // pip-tools layouts: `requirements/base.txt`, `requirements/dev.txt`.
        name if name.ends_with(".txt") && parent_is(path, &["requirements"]) => {
            Some(LockfileKind::RequirementsTxt)
        }
        _ => None,
    }
}

/// Folders that hold installed packages, each with its own files.
const INSTALLED_PACKAGE_TREES: &[&str] = &["node_modules", "site-packages", "dist-packages"];

/// Whether the folders holding `path` end with `folders` (e.g. `lib/apk/db`
/// for `rootfs/lib/apk/db/installed`), so generic file names such as
/// `status` are only taken where the format lives.
fn parent_is(path: &str, folders: &[&str]) -> bool {
    let mut parts = path.rsplit(['/', '\\']);
    parts.next();
    folders
        .iter()
        .rev()
        .all(|folder| parts.next() == Some(folder))
}

/// Like [`parse`], reading the other files a lockfile names through
/// `read`: the sibling `go.sum` of a `go.mod`, the `-r`/`-c` includes of a
/// requirements file and the parent poms of a `pom.xml` (relative to the
/// file, never outside the workspace).
/// `read` gets a workspace-relative path and returns the file's bytes when
/// the caller may read it; what it cannot read is a warning.
pub fn parse_with_reader(
    path: &str,
    bytes: &[u8],
    read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
) -> Result<Lockfile, ParseError> {
    match detect(path) {
        Some(kind @ (LockfileKind::RequirementsTxt | LockfileKind::PomXml)) => {
            let fail = |failure: Failure| ParseError {
                path: path.to_string(),
                line: failure.line,
                column: failure.column,
                message: failure.message,
            };
            let text = text::decode(bytes).map_err(fail)?;
            let parsed = if kind == LockfileKind::PomXml {
                maven::parse_tree(path, text, read)
            } else {
                requirements::parse_tree(path, text, read)
            }
            .map_err(fail)?;
            let mut packages = parsed.packages;
            // A development requirements file's pins are dev scope (the
            // SBOM marks them optional unless a production file pins them).
            if kind == LockfileKind::RequirementsTxt && requirements::is_dev_file(path) {
                for package in &mut packages {
                    package.dev = true;
                }
            }
            Ok(Lockfile {
                kind,
                path: path.to_string(),
                packages,
                roots: parsed.roots,
                warnings: parsed.warnings,
                os_release: None,
            })
        }
        Some(kind @ (LockfileKind::ApkInstalled | LockfileKind::DpkgStatus)) => {
            let mut lockfile = parse_with_companion(path, bytes, None)?;
            read_os_release(&mut lockfile, kind, read);
            Ok(lockfile)
        }
        Some(kind) => {
            let companion = kind.companion_file_name().and_then(|name| {
                let sibling = match path.rsplit_once('/') {
                    Some((folder, _)) => format!("{folder}/{name}"),
                    None => name.to_string(),
                };
                read(&sibling)
            });
            parse_with_companion(path, bytes, companion.as_deref())
        }
        None => parse_with_companion(path, bytes, None),
    }
}

/// Parses one lockfile; the format comes from [`detect`] on `path`.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Lockfile, ParseError> {
    parse_with_companion(path, bytes, None)
}

/// Like [`parse`], with the bytes of the kind's companion file
/// ([`LockfileKind::companion_file_name`]) when the caller has it.
pub fn parse_with_companion(
    path: &str,
    bytes: &[u8],
    companion: Option<&[u8]>,
) -> Result<Lockfile, ParseError> {
    let fail = |failure: Failure| ParseError {
        path: path.to_string(),
        line: failure.line,
        column: failure.column,
        message: failure.message,
    };
    let kind = detect(path).ok_or_else(|| fail(Failure::new("not a recognised lockfile name")))?;
    let text = text::decode(bytes).map_err(fail)?;
    let parsed = match kind {
        LockfileKind::CargoLock => cargo::parse(text),
        LockfileKind::PackageLock => npm::parse(text),
        LockfileKind::RequirementsTxt => requirements::parse(text),
        LockfileKind::PoetryLock => poetry::parse(text),
        LockfileKind::UvLock => uv::parse(text),
        LockfileKind::PipfileLock => pipfile::parse(text),
        LockfileKind::GoMod => {
            let go_sum = companion.map(text::decode).transpose().map_err(|mut f| {
                f.message = format!("go.sum: {}", f.message);
                fail(f)
            })?;
            gomod::parse(text, go_sum)
        }
        LockfileKind::YarnLock => yarn::parse(text),
        LockfileKind::PnpmLock => pnpm::parse(text),
        LockfileKind::BunLock => bun::parse(text),
        LockfileKind::GemfileLock => gemfile::parse(text),
        LockfileKind::ComposerLock => composer::parse(text),
        LockfileKind::NugetLock => nuget::parse(text),
        LockfileKind::GradleLockfile => gradle::parse_lockfile(text),
        LockfileKind::GradleVerification => gradle::parse_verification(text),
        LockfileKind::PomXml => maven::parse(text),
        LockfileKind::PubspecLock => pubspec::parse(text),
        LockfileKind::MixLock => mix::parse(text),
        LockfileKind::PdmLock => pdm::parse(text),
        LockfileKind::RenvLock => renv::parse(text),
        LockfileKind::ConanLock => conan::parse(text),
        LockfileKind::ApkInstalled => distro::parse_apk(text),
        LockfileKind::DpkgStatus => distro::parse_dpkg(text),
    }
    .map_err(fail)?;
    let mut packages = parsed.packages;
    // A project without a name (npm allows that) is still a node of the
    // graph; it is named after the folder holding its lockfile.
    for &root in &parsed.roots {
        if let Some(package) = packages.get_mut(root)
            && package.name.is_empty()
        {
            package.name = folder_name(path).to_string();
        }
    }
    Ok(Lockfile {
        kind,
        path: path.to_string(),
        packages,
        roots: parsed.roots,
        warnings: parsed.warnings,
        os_release: None,
    })
}

/// Reads the os-release of the root filesystem an installed-package
/// database belongs to, through `read`. A missing or unusable file is a
/// warning: the release of the packages is then unknown.
fn read_os_release(
    lockfile: &mut Lockfile,
    kind: LockfileKind,
    read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
) {
    let database = match kind {
        LockfileKind::ApkInstalled => "lib/apk/db/installed",
        _ => "var/lib/dpkg/status",
    };
    let Some(root) = os_release::root_prefix(&lockfile.path, database) else {
        return;
    };
    let mut unusable = Vec::new();
    for candidate in OS_RELEASE_PATHS {
        let path = format!("{root}{candidate}");
        let Some(bytes) = read(&path) else {
            continue;
        };
        let parsed = text::decode(&bytes)
            .map_err(|failure| format!("{path}: {}", failure.message))
            .and_then(|text| parse_os_release(&path, text));
        match parsed {
            Ok(release) => {
                lockfile.os_release = Some(release);
                return;
            }
            Err(message) => unusable.push(message),
        }
    }
    let why = if unusable.is_empty() {
        format!(
            "no {root}{} or {root}{} beside this database",
            OS_RELEASE_PATHS[0], OS_RELEASE_PATHS[1]
        )
    } else {
        unusable.join("; ")
    };
    lockfile.warnings.push(Warning {
        line: None,
        message: format!("{why}; the distribution release is unknown"),
    });
}

/// Name of the folder that holds `path`, or `workspace` at the top.
fn folder_name(path: &str) -> &str {
    let mut parts = path.rsplit(['/', '\\']);
    parts.next();
    parts
        .next()
        .filter(|p| !p.is_empty() && *p != ".")
        .unwrap_or("workspace")
}
