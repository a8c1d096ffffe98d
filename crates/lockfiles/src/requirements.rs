//! pip requirements files (`requirements*.txt`).
//!
//! Hand-rolled: this is pip's own line format (continuations, comments,
//! global and per-requirement options such as `--hash`), which no
//! well-kept crate parses; the PEP 508 part needed here is only the name,
//! extras, an exact `==`/`===` pin and where the marker starts.
//!
//! Only exact pins are packages. Anything that does not pin a version
//! (ranges, bare names, URLs, editable installs) and `-r`/`-c` includes are
//! reported as warnings with their line, since this parser sees one file.

use crate::pypi::normalize_pypi_name;
use crate::{Checksum, Ecosystem, Failure, Package, Parsed, Source, Warning, digest};

const PYPI_SIMPLE: &[&str] = &["https://pypi.org/simple", "https://pypi.python.org/simple"];

/// `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, ...
pub fn is_requirements_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".txt") else {
        return false;
    };
    stem.starts_with("requirements")
        || stem.ends_with("-requirements")
        || stem.ends_with("_requirements")
}

/// One logical line: continuation lines joined, comment removed.
struct LogicalLine {
    /// 1-based line the logical line starts on.
    line: u32,
    text: String,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let mut packages: Vec<Package> = Vec::new();
    let mut warnings = Vec::new();
    let mut index_url: Option<String> = None;

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
                GlobalOption::Include { flag, target } => warn(
                    &mut warnings,
                    format!(
                        "`{flag} {target}` includes another requirements file, which is not read from here; scan `{target}` on its own"
                    ),
                ),
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
                });
            }
            Requirement::Unpinned(why) => warn(&mut warnings, why),
            Requirement::Malformed(why) => warn(&mut warnings, why),
        }
    }

    if let Some(url) = index_url.filter(|u| !PYPI_SIMPLE.contains(&u.trim_end_matches('/'))) {
        for package in &mut packages {
            package.source = Source::Registry {
                url: Some(url.clone()),
            };
        }
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
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
    Pinned { name: String, version: String },
    Unpinned(String),
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
        return Requirement::Unpinned(format!("`{spec}` is a path or URL, not a pinned version"));
    }
    let mut rest = spec[name_len..].trim_start();
    if let Some(after_bracket) = rest.strip_prefix('[') {
        match after_bracket.split_once(']') {
            Some((_extras, after)) => rest = after.trim_start(),
            None => return Requirement::Malformed(format!("`{spec}`: unclosed `[` in extras")),
        }
    }
    if rest.starts_with('@') {
        return Requirement::Unpinned(format!(
            "`{name}` is installed from a URL, not a pinned version"
        ));
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
    if version_spec.is_empty() {
        Requirement::Unpinned(format!("`{name}` has no version pin"))
    } else {
        Requirement::Unpinned(format!(
            "`{name}{version_spec}` is not pinned to one version"
        ))
    }
}
