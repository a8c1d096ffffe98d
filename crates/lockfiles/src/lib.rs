//! Lockfile parsers shared by the `sbom` and `audit` stages.
//!
//! Every parser turns one lockfile's bytes into a [`Lockfile`]: the packages
//! it pins, the edges between them, and warnings with line numbers for
//! anything it could not understand (nothing is dropped silently).
//!
//! The parsers never touch the filesystem: callers hand in the bytes (and,
//! for `go.mod`, the sibling `go.sum` through [`parse_with_companion`]).

mod cargo;
mod cargo_manifest;
mod digest;
mod gomod;
mod json_lines;
mod npm;
mod pipfile;
mod poetry;
mod pypi;
mod requirements;
mod text;
mod uv;

use std::fmt;

pub use cargo_manifest::{
    CargoManifest, ManifestLicense, apply_manifest_licenses, parse_cargo_manifest,
};
pub use pypi::normalize_pypi_name;

/// Package ecosystem, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    PyPI,
    Go,
}

impl Ecosystem {
    /// The ecosystem's name in OSV data (`crates.io`, `npm`, `PyPI`, `Go`).
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
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
pub fn detect(path: &str) -> Option<LockfileKind> {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match file_name {
        "Cargo.lock" => Some(LockfileKind::CargoLock),
        "package-lock.json" | "npm-shrinkwrap.json" => Some(LockfileKind::PackageLock),
        "poetry.lock" => Some(LockfileKind::PoetryLock),
        "uv.lock" => Some(LockfileKind::UvLock),
        "Pipfile.lock" => Some(LockfileKind::PipfileLock),
        "go.mod" => Some(LockfileKind::GoMod),
        name if requirements::is_requirements_file_name(name) => {
            Some(LockfileKind::RequirementsTxt)
        }
        _ => None,
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
    })
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
