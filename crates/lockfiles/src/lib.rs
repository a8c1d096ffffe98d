//! Lockfile parsers shared by the `sbom` and `audit` stages.
//!
//! Every parser turns one lockfile's bytes into a [`Lockfile`]: the packages
//! it pins, the edges between them, and warnings with line numbers for
//! anything it could not understand (nothing is dropped silently).

/// Package ecosystem, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    PyPI,
    Go,
}

/// Where a package comes from. Only `Registry` packages can match registry
/// advisories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Registry { url: Option<String> },
    Git { url: String, rev: Option<String> },
    Path { path: String },
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
    PackageLock,
    RequirementsTxt,
    PoetryLock,
    UvLock,
    PipfileLock,
    GoMod,
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
