//! pip requirements files (`requirements*.txt`, and Rye's `requirements*.lock`).
//!
//! Hand-rolled: this is pip's own line format (continuations, comments,
//! global and per-requirement options such as `--hash`), which no
//! well-kept crate parses; the PEP 508 part needed here is only the name,
//! extras, an exact `==`/`===` pin and where the marker starts.
//!
//! Only exact pins are packages. Anything that does not pin a version
//! (ranges, bare names, URLs, editable installs) is a warning with its
//! line. `-r`/`-c` includes are followed by [`parse_tree`] when the caller
//! can read them (packages of a `-r` file are located at the `-r` line;
//! a `-c` pin gives the version of a requirement that names none), and are
//! warnings otherwise.

use crate::pypi::normalize_pypi_name;
use crate::{Checksum, Ecosystem, Failure, Package, Parsed, Source, Warning, digest};

const PYPI_SIMPLE: &[&str] = &["https://pypi.org/simple", "https://pypi.python.org/simple"];

/// `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, ...,
/// and Rye's lockfiles `requirements.lock` / `requirements-dev.lock`, which
/// are pip-compile output (exact pins with `# via` comments) under another
/// extension.
pub fn is_requirements_file_name(name: &str) -> bool {
    if let Some(stem) = name.strip_suffix(".lock") {
        return stem.starts_with("requirements");
    }
    let Some(stem) = name.strip_suffix(".txt") else {
        return false;
    };
    stem.starts_with("requirements")
        || stem.ends_with("-requirements")
        || stem.ends_with("_requirements")
}

/// Whether a requirements file holds development requirements, by the
/// names pip-tools, Rye and the common layouts give them:
/// `requirements-dev.txt`, `dev-requirements.txt`, `requirements_test.txt`,
/// `requirements/dev.txt`, Rye's `requirements-dev.lock`.
pub fn is_dev_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .strip_suffix(".txt")
        .or_else(|| name.strip_suffix(".lock"))
        .unwrap_or(name);
    let in_requirements_dir = path
        .rsplit('/')
        .nth(1)
        .is_some_and(|parent| parent == "requirements");
    let words: Vec<&str> = stem.split(['-', '_', '.']).collect();
    let dev_word = |word: &&str| {
        matches!(
            word.to_ascii_lowercase().as_str(),
            "dev" | "develop" | "development" | "test" | "tests" | "testing" | "lint" | "docs"
        )
    };
    (words.len() > 1 || in_requirements_dir) && words.iter().any(dev_word)
}

/// One logical line: continuation lines joined, comment removed.
struct LogicalLine {
    /// 1-based line the logical line starts on.
    line: u32,
    text: String,
}

/// A `-r` (requirements) or `-c` (constraints) line.
struct Include {
    constraint: bool,
    flag: String,
    target: String,
    line: u32,
}

/// A requirement that names no single version: a warning unless a
/// constraints file pins it.
struct Unpinned {
    /// `None` for paths and URLs, which no constraint can pin.
    name: Option<String>,
    line: u32,
    why: String,
}

/// One file's packages, warnings, includes and unpinned requirements.
struct FileResult {
    parsed: Parsed,
    includes: Vec<Include>,
    unpinned: Vec<Unpinned>,
}

/// One requirements file on its own: includes are warnings.
pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let mut file = parse_file(text)?;
    for unpinned in file.unpinned.drain(..) {
        file.parsed.warnings.push(Warning {
            line: Some(unpinned.line),
            message: unpinned.why,
        });
    }
    for include in &file.includes {
        file.parsed.warnings.push(Warning {
            line: Some(include.line),
            message: format!(
                "`{} {}` includes another requirements file, which is not read from here; scan `{}` on its own",
                include.flag, include.target, include.target
            ),
        });
    }
    file.parsed.warnings.sort_by_key(|w| w.line);
    Ok(file.parsed)
}

/// Includes nested deeper than this are not followed (a cycle is caught
/// earlier; this bounds pathological chains).
const MAX_INCLUDE_DEPTH: usize = 16;

/// A requirements file with its `-r` and `-c` includes, read through
/// `read` (a workspace-relative path in, the bytes out when the caller may
/// read the file). Include paths are relative to the including file and
/// may not leave the workspace.
pub fn parse_tree(
    path: &str,
    text: &str,
    read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
) -> Result<Parsed, Failure> {
    let mut root = parse_file(text)?;
    let mut visited = vec![crate::paths::normalize(path).unwrap_or_else(|| path.to_string())];
    let mut constraints: Vec<Package> = Vec::new();
    let includes = std::mem::take(&mut root.includes);
    for include in includes {
        follow(
            path,
            &include,
            include.line,
            read,
            &mut visited,
            0,
            &mut root,
            &mut constraints,
        );
    }
    // A constraint pins a requirement that names no version.
    for unpinned in std::mem::take(&mut root.unpinned) {
        let pin = unpinned.name.as_deref().and_then(|name| {
            let key = normalize_pypi_name(name);
            constraints
                .iter()
                .find(|c| normalize_pypi_name(&c.name) == key)
        });
        match (pin, unpinned.name) {
            (Some(pin), Some(name)) => root.parsed.packages.push(Package {
                name,
                line: Some(unpinned.line),
                // Its edges index the constraints file's packages.
                dependencies: Vec::new(),
                ..pin.clone()
            }),
            _ => root.parsed.warnings.push(Warning {
                line: Some(unpinned.line),
                message: unpinned.why,
            }),
        }
    }
    root.parsed.warnings.sort_by_key(|w| w.line);
    // The same pin reached twice (a file and its include) is one package,
    // with the edges of both.
    root.parsed.packages = merge_duplicates(std::mem::take(&mut root.parsed.packages));
    Ok(root.parsed)
}

/// Keeps the first of each (name, version), moving the others' edges onto
/// it and renumbering every edge.
fn merge_duplicates(packages: Vec<Package>) -> Vec<Package> {
    let mut first: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    let mut renumber = Vec::with_capacity(packages.len());
    let mut kept: Vec<Package> = Vec::new();
    for package in packages {
        let key = (normalize_pypi_name(&package.name), package.version.clone());
        match first.get(&key) {
            Some(&index) => {
                renumber.push(index);
                kept[index].dependencies.extend(package.dependencies);
            }
            None => {
                first.insert(key, kept.len());
                renumber.push(kept.len());
                kept.push(package);
            }
        }
    }
    for package in &mut kept {
        let mut dependencies: Vec<usize> = package
            .dependencies
            .iter()
            .filter_map(|&old| renumber.get(old).copied())
            .collect();
        dependencies.sort_unstable();
        dependencies.dedup();
        package.dependencies = dependencies;
    }
    kept
}

/// Reads one include and merges it into `root`: `-r` packages (located at
/// `at_line` of the root file), `-c` pins into `constraints`, and its own
/// includes in turn.
#[allow(clippy::too_many_arguments)]
fn follow(
    from: &str,
    include: &Include,
    at_line: u32,
    read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
    visited: &mut Vec<String>,
    depth: usize,
    root: &mut FileResult,
    constraints: &mut Vec<Package>,
) {
    let warn = |root: &mut FileResult, message: String| {
        root.parsed.warnings.push(Warning {
            line: Some(at_line),
            message,
        })
    };
    let Some(target) = crate::paths::resolve_relative(from, &include.target) else {
        warn(
            root,
            format!(
                "`{} {}` is a URL or leaves the workspace; not read",
                include.flag, include.target
            ),
        );
        return;
    };
    if visited.contains(&target) {
        // pip would loop; every package is already counted.
        return;
    }
    if depth >= MAX_INCLUDE_DEPTH {
        warn(
            root,
            format!("`{target}`: includes nested too deeply; not read"),
        );
        return;
    }
    let Some(bytes) = read(&target) else {
        warn(
            root,
            format!(
                "`{} {}`: `{target}` could not be read (missing, or outside the stage's read grant), so its requirements were not checked",
                include.flag, include.target
            ),
        );
        return;
    };
    visited.push(target.clone());
    let text = match crate::text::decode(&bytes) {
        Ok(text) => text,
        Err(failure) => {
            warn(root, format!("`{target}`: {}", failure.message));
            return;
        }
    };
    let mut file = match parse_file(text) {
        Ok(file) => file,
        Err(failure) => {
            let at = failure.line.map(|l| format!(":{l}")).unwrap_or_default();
            warn(root, format!("`{target}{at}`: {}", failure.message));
            return;
        }
    };
    for warning in file.parsed.warnings.drain(..) {
        let at = warning.line.map(|l| format!(":{l}")).unwrap_or_default();
        warn(root, format!("{target}{at}: {}", warning.message));
    }
    // Edges index the included file's packages: shift them to where those
    // land in `root` (a constraints file's edges are not kept).
    let offset = root.parsed.packages.len();
    for mut package in file.parsed.packages.drain(..) {
        package.line = Some(at_line);
        if include.constraint {
            package.dependencies.clear();
            constraints.push(package);
        } else {
            for dependency in &mut package.dependencies {
                *dependency += offset;
            }
            root.parsed.packages.push(package);
        }
    }
    // Unpinned requirements of an included file may be pinned by a
    // constraint too; a constraints file's own unpinned lines pin nothing.
    for unpinned in file.unpinned.drain(..) {
        let why = format!("{target}:{}: {}", unpinned.line, unpinned.why);
        if include.constraint {
            warn(root, why);
        } else {
            root.unpinned.push(Unpinned {
                name: unpinned.name,
                line: at_line,
                why,
            });
        }
    }
    for nested in std::mem::take(&mut file.includes) {
        let nested = Include {
            // A constraint file's `-r` lines are constraints too.
            constraint: include.constraint || nested.constraint,
            ..nested
        };
        follow(
            &target,
            &nested,
            at_line,
            read,
            visited,
            depth + 1,
            root,
            constraints,
        );
    }
}

fn parse_file(text: &str) -> Result<FileResult, Failure> {
    let mut packages: Vec<Package> = Vec::new();
    let mut warnings = Vec::new();
    let mut index_url: Option<String> = None;
    let mut includes = Vec::new();
    let mut unpinned = Vec::new();

    for logical in logical_lines(text) {
        let warn = |warnings: &mut Vec<Warning>, message: String| {
            warnings.push(Warning {
                line: Some(logical.line),
                message,
            });
        };
        let line = logical.text.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            match global_option(line) {
                GlobalOption::Include { flag, target } => includes.push(Include {
                    constraint: matches!(flag.as_str(), "-c" | "--constraint"),
                    flag,
                    target,
                    line: logical.line,
                }),
                GlobalOption::Editable(target) => warn(
                    &mut warnings,
                    format!("editable requirement `{target}` pins no version"),
                ),
                GlobalOption::IndexUrl(url) => index_url = Some(url),
                GlobalOption::Known => {}
                GlobalOption::Unknown(option) => {
                    warn(&mut warnings, format!("unknown option `{option}` ignored"))
                }
            }
            continue;
        }
        let (spec, options) = split_options(line);
        let mut checksums: Vec<Checksum> = Vec::new();
        let mut tokens = options.split_whitespace();
        while let Some(token) = tokens.next() {
            let value = match token.strip_prefix("--hash") {
                Some("") => tokens.next(),
                Some(rest) => rest.strip_prefix('='),
                None => continue,
            };
            match value.and_then(digest::from_prefixed_hex) {
                Some(sum) => checksums.push(sum),
                None => warn(
                    &mut warnings,
                    format!("malformed `--hash` value `{}`", value.unwrap_or_default()),
                ),
            }
        }
        match requirement(spec) {
            Requirement::Pinned { name, version } => {
                let normalized = normalize_pypi_name(&name);
                if packages
                    .iter()
                    .any(|p| normalize_pypi_name(&p.name) == normalized)
                {
                    warn(
                        &mut warnings,
                        format!("`{name}` is required more than once"),
                    );
                }
                packages.push(Package {
                    ecosystem: Ecosystem::PyPI,
                    name,
                    version,
                    source: Source::Registry { url: None },
                    checksums,
                    dev: false,
                    license: None,
                    line: Some(logical.line),
                    dependencies: Vec::new(),
                    source_package: None,
                });
            }
            Requirement::Unpinned { name, why } => unpinned.push(Unpinned {
                name,
                line: logical.line,
                why,
            }),
            Requirement::Malformed(why) => warn(&mut warnings, why),
        }
    }

    link_via_annotations(text, &mut packages);

    if let Some(url) = index_url.filter(|u| !PYPI_SIMPLE.contains(&u.trim_end_matches('/'))) {
        for package in &mut packages {
            package.source = Source::Registry {
                url: Some(url.clone()),
            };
        }
    }
    Ok(FileResult {
        parsed: Parsed {
            packages,
            roots: Vec::new(),
            warnings,
        },
        includes,
        unpinned,
    })
}

/// The dependency graph that pip-compile, `uv pip compile` and Rye record
/// as comments under each pin: `# via httpx` (one parent a line, or
/// several comma-separated), or `# via` followed by `#   httpx` lines.
/// Each parent that is pinned in the same file gains an edge to the pin;
/// `-r file`, `-c file` and the project itself (`openai (pyproject.toml)`,
/// unpinned here) give none.
fn link_via_annotations(text: &str, packages: &mut [Package]) {
    let by_name: std::collections::HashMap<String, usize> = packages
        .iter()
        .enumerate()
        .map(|(index, package)| (normalize_pypi_name(&package.name), index))
        .collect();
    let by_line: std::collections::HashMap<u32, usize> = packages
        .iter()
        .enumerate()
        .filter_map(|(index, package)| Some((package.line?, index)))
        .collect();
    // The pin the comments below belong to, and whether a bare `# via`
    // opened a list of `#   parent` lines.
    let mut current: Option<usize> = None;
    let mut in_list = false;
    let mut continued = false;
    for (number, raw) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        let Some(comment) = trimmed.strip_prefix('#') else {
            // A pin starts a new owner (its `\`-continued `--hash` lines
            // keep it); any other line ends the last one.
            if !continued {
                current = by_line.get(&number).copied();
            }
            continued = trimmed.ends_with('\\');
            in_list = false;
            continue;
        };
        let Some(child) = current else {
            continue;
        };
        let comment = comment.trim();
        let parents = if let Some(rest) = comment.strip_prefix("via") {
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                continue;
            }
            in_list = rest.trim().is_empty();
            rest
        } else if in_list {
            comment
        } else {
            continue;
        };
        for parent in parents.split(',') {
            let parent = parent.trim();
            if parent.starts_with('-') {
                continue;
            }
            // `name (pyproject.toml)` or `name[extra]`: the name alone.
            let name = parent
                .split(|c: char| c.is_whitespace() || c == '[' || c == '(')
                .next()
                .unwrap_or_default();
            if let Some(&parent) = by_name.get(&normalize_pypi_name(name))
                && parent != child
                && !packages[parent].dependencies.contains(&child)
            {
                packages[parent].dependencies.push(child);
            }
        }
    }
    for package in packages.iter_mut() {
        package.dependencies.sort_unstable();
    }
}

fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut lines = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let without_comment = strip_comment(raw);
        let (content, continues) = match without_comment.trim_end().strip_suffix('\\') {
            Some(before) => (before, true),
            None => (without_comment, false),
        };
        let logical = current.get_or_insert_with(|| LogicalLine {
            line: number,
            text: String::new(),
        });
        logical.text.push_str(content);
        logical.text.push(' ');
        if !continues {
            lines.extend(current.take());
        }
    }
    lines.extend(current);
    lines
}

/// pip treats `#` as a comment at the start of a line or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

enum GlobalOption {
    Include {
        flag: String,
        target: String,
    },
    Editable(String),
    IndexUrl(String),
    /// Options that change how pip installs but add no package.
    Known,
    Unknown(String),
}

fn global_option(line: &str) -> GlobalOption {
    let (flag, value) = match line.split_once(|c: char| c == '=' || c.is_whitespace()) {
        Some((flag, value)) => (flag, value.trim()),
        None => (line, ""),
    };
    match flag {
        "-r" | "--requirement" | "-c" | "--constraint" => GlobalOption::Include {
            flag: flag.to_string(),
            target: value.to_string(),
        },
        "-e" | "--editable" => GlobalOption::Editable(value.to_string()),
        "-i" | "--index-url" => GlobalOption::IndexUrl(value.to_string()),
        "--extra-index-url" | "--no-index" | "-f" | "--find-links" | "--pre" | "--trusted-host"
        | "--prefer-binary" | "--only-binary" | "--no-binary" | "--require-hashes"
        | "--use-feature" => GlobalOption::Known,
        _ => GlobalOption::Unknown(flag.to_string()),
    }
}

/// Splits a requirement line into its PEP 508 part and its pip options
/// (which start at the first ` -` outside quotes).
fn split_options(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for i in 0..bytes.len() {
        match (quote, bytes[i]) {
            (Some(q), b) if b == q => quote = None,
            (None, b'\'' | b'"') => quote = Some(bytes[i]),
            (None, b'-')
                if i > 0
                    && bytes[i - 1].is_ascii_whitespace()
                    && bytes.get(i + 1) == Some(&b'-') =>
            {
                return (line[..i].trim(), &line[i..]);
            }
            _ => {}
        }
    }
    (line.trim(), "")
}

enum Requirement {
    Pinned {
        name: String,
        version: String,
    },
    /// `name` when the requirement names a registry package (a constraint
    /// may pin it), `None` for paths and URLs.
    Unpinned {
        name: Option<String>,
        why: String,
    },
    Malformed(String),
}

fn requirement(spec: &str) -> Requirement {
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_len];
    if name.is_empty()
        || (spec.contains("://") && !spec[name_len..].trim_start().starts_with(['@', '[']))
    {
        return Requirement::Unpinned {
            name: None,
            why: format!("`{spec}` is a path or URL, not a pinned version"),
        };
    }
    let mut rest = spec[name_len..].trim_start();
    if let Some(after_bracket) = rest.strip_prefix('[') {
        match after_bracket.split_once(']') {
            Some((_extras, after)) => rest = after.trim_start(),
            None => return Requirement::Malformed(format!("`{spec}`: unclosed `[` in extras")),
        }
    }
    if rest.starts_with('@') {
        return Requirement::Unpinned {
            name: None,
            why: format!("`{name}` is installed from a URL, not a pinned version"),
        };
    }
    let version_spec = rest.split(';').next().unwrap_or_default().trim();
    let version_spec = version_spec
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(version_spec)
        .trim();
    let clauses: Vec<&str> = version_spec
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let [clause] = clauses.as_slice() {
        let exact = clause
            .strip_prefix("===")
            .or_else(|| clause.strip_prefix("=="))
            .map(str::trim);
        if let Some(version) = exact
            && !version.is_empty()
            && !version.contains('*')
            && !version.contains(char::is_whitespace)
        {
            return Requirement::Pinned {
                name: name.to_string(),
                version: version.to_string(),
            };
        }
    }
    let why = if version_spec.is_empty() {
        format!("`{name}` has no version pin")
    } else {
        format!("`{name}{version_spec}` is not pinned to one version")
    };
    Requirement::Unpinned {
        name: Some(name.to_string()),
        why,
    }
}
