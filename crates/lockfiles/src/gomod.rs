//! `go.mod`, with module hashes from `go.sum`.
//!
//! Hand-rolled: the go.mod syntax is a small line-oriented format (verbs,
//! `( ... )` blocks, `//` comments, quoted tokens) with no maintained Rust
//! parser. `go.mod` gives the main module's requirement list (all of the
//! build list since Go 1.17, indirect ones marked `// indirect`) and
//! `replace` directives; `go.sum` gives each module's `h1:` hash, which is
//! a base64 SHA-256 (of Go's directory-hash summary) and is reported as
//! SHA-256.

use std::collections::HashMap;

use crate::{Checksum, Ecosystem, Failure, HashAlg, Package, Parsed, Source, Warning, digest};

struct Requirement {
    path: String,
    version: String,
    line: u32,
}

struct Replacement {
    old_path: String,
    /// `None` replaces every version of `old_path`.
    old_version: Option<String>,
    new_path: String,
    /// `None` for a local directory replacement.
    new_version: Option<String>,
}

pub fn parse(go_mod: &str, go_sum: Option<&str>) -> Result<Parsed, Failure> {
    let mut module: Option<(String, u32)> = None;
    let mut requirements = Vec::new();
    let mut replacements = Vec::new();
    let mut warnings = Vec::new();
    let mut block: Option<(String, u32)> = None;

    for (index, raw) in go_mod.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let code = raw.split("//").next().unwrap_or_default();
        let tokens = tokenize(code).map_err(|message| Failure::at(number, None, message))?;
        if tokens.is_empty() {
            continue;
        }
        let (verb, args) = match &block {
            Some(_) if tokens == [")"] => {
                block = None;
                continue;
            }
            Some((verb, _)) => (verb.clone(), tokens.as_slice()),
            None if tokens.last().is_some_and(|t| t == "(") && tokens.len() == 2 => {
                block = Some((tokens[0].clone(), number));
                continue;
            }
            None => (tokens[0].clone(), &tokens[1..]),
        };
        match verb.as_str() {
            "module" => match args {
                [path] => module = Some((path.clone(), number)),
                _ => return Err(Failure::at(number, None, "`module` needs exactly one path")),
            },
            "require" => match args {
                [path, version] => requirements.push(Requirement {
                    path: path.clone(),
                    version: version.clone(),
                    line: number,
                }),
                _ => {
                    return Err(Failure::at(
                        number,
                        None,
                        "`require` needs a module path and a version",
                    ));
                }
            },
            "replace" => replacements.push(replacement(args).ok_or_else(|| {
                Failure::at(
                    number,
                    None,
                    "`replace` needs `path [version] => path [version]`",
                )
            })?),
            "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
            other => warnings.push(Warning {
                line: Some(number),
                message: format!("unknown go.mod directive `{other}` ignored"),
            }),
        }
    }
    if let Some((verb, line)) = block {
        return Err(Failure::at(
            line,
            None,
            format!("`{verb} (` block is never closed"),
        ));
    }
    let Some((module_path, module_line)) = module else {
        return Err(Failure::new("go.mod has no `module` directive"));
    };

    let hashes = match go_sum {
        Some(go_sum) => module_hashes(go_sum, &mut warnings),
        None => {
            if !requirements.is_empty() {
                warnings.push(Warning {
                    line: None,
                    message: "no go.sum beside go.mod: module hashes are not available".to_string(),
                });
            }
            HashMap::new()
        }
    };

    let mut packages = vec![Package {
        ecosystem: Ecosystem::Go,
        name: module_path,
        version: String::new(),
        source: Source::Workspace,
        checksums: Vec::new(),
        dev: false,
        license: None,
        line: Some(module_line),
        dependencies: Vec::new(),
        source_package: None,
    }];
    for requirement in requirements {
        let replaced = replacements.iter().rev().find(|r| {
            r.old_path == requirement.path
                && r.old_version
                    .as_ref()
                    .is_none_or(|v| *v == requirement.version)
        });
        let (name, version, source) = match replaced {
            Some(Replacement {
                new_path,
                new_version: Some(new_version),
                ..
            }) => (
                new_path.clone(),
                new_version.clone(),
                Source::Registry { url: None },
            ),
            Some(Replacement { new_path, .. }) => (
                requirement.path.clone(),
                requirement.version.clone(),
                Source::Path {
                    path: new_path.clone(),
                },
            ),
            None => (
                requirement.path.clone(),
                requirement.version.clone(),
                Source::Registry { url: None },
            ),
        };
        let checksums = hashes
            .get(&(name.clone(), version.clone()))
            .cloned()
            .into_iter()
            .collect();
        packages.push(Package {
            ecosystem: Ecosystem::Go,
            name,
            version,
            source,
            checksums,
            dev: false,
            license: None,
            line: Some(requirement.line),
            dependencies: Vec::new(),
            source_package: None,
        });
    }
    add_go_sum_only_modules(&mut packages, &hashes, &mut warnings);
    packages[0].dependencies = (1..packages.len()).collect();
    Ok(Parsed {
        packages,
        roots: vec![0],
        warnings,
    })
}

/// Modules whose source go.sum holds but go.mod does not require: before
/// Go 1.17 go.mod lists only direct dependencies, so the rest of the build
/// list is known from go.sum alone. go.sum may keep hashes of older
/// versions too; the highest one per module is what minimal version
/// selection would build. `/go.mod`-only lines (modules whose go.mod was
/// read, not built) never count.
fn add_go_sum_only_modules(
    packages: &mut Vec<Package>,
    hashes: &HashMap<(String, String), Checksum>,
    warnings: &mut Vec<Warning>,
) {
    let mut highest: HashMap<&str, &str> = HashMap::new();
    for (module, version) in hashes.keys() {
        if packages.iter().any(|p| p.name == *module) {
            continue;
        }
        let entry = highest.entry(module.as_str()).or_insert(version.as_str());
        if go_version_key(version) > go_version_key(entry) {
            *entry = version.as_str();
        }
    }
    let mut added: Vec<(&str, &str)> = highest.into_iter().collect();
    added.sort_unstable();
    if !added.is_empty() {
        warnings.push(Warning {
            line: None,
            message: format!(
                "{} module(s) not required in go.mod are listed from go.sum (the build list of a go.mod before Go 1.17 is incomplete): {}",
                added.len(),
                added
                    .iter()
                    .map(|(module, version)| format!("{module}@{version}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    for (module, version) in added {
        packages.push(Package {
            ecosystem: Ecosystem::Go,
            name: module.to_string(),
            version: version.to_string(),
            source: Source::Registry { url: None },
            checksums: hashes
                .get(&(module.to_string(), version.to_string()))
                .cloned()
                .into_iter()
                .collect(),
            dev: false,
            license: None,
            line: None,
            dependencies: Vec::new(),
            source_package: None,
        });
    }
}

/// Orders Go module versions (`v1.2.3`, pseudo-versions, `+incompatible`);
/// text that is not SemVer sorts first.
fn go_version_key(version: &str) -> Option<semver::Version> {
    let version = version.strip_prefix('v').unwrap_or(version);
    let version = version.strip_suffix("+incompatible").unwrap_or(version);
    semver::Version::parse(version).ok()
}

/// `old [v] => new [v]`.
fn replacement(args: &[String]) -> Option<Replacement> {
    let arrow = args.iter().position(|a| a == "=>")?;
    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
    let (old_path, old_version) = match old {
        [path] => (path.clone(), None),
        [path, version] => (path.clone(), Some(version.clone())),
        _ => return None,
    };
    let (new_path, new_version) = match new {
        [path] => (path.clone(), None),
        [path, version] => (path.clone(), Some(version.clone())),
        _ => return None,
    };
    Some(Replacement {
        old_path,
        old_version,
        new_path,
        new_version,
    })
}

/// Splits a go.mod line into tokens; `"..."` and `` `...` `` are single
/// tokens (unquoted).
fn tokenize(code: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut chars = code.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' || c == '`' {
            chars.next();
            let mut token = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == c {
                    closed = true;
                    break;
                }
                if d == '\\' && c == '"' {
                    token.extend(chars.next().map(|(_, e)| e));
                } else {
                    token.push(d);
                }
            }
            if !closed {
                return Err(format!("unterminated {c}-quoted string"));
            }
            tokens.push(token);
            continue;
        }
        let mut end = code.len();
        while let Some(&(i, d)) = chars.peek() {
            if d.is_whitespace() {
                end = i;
                break;
            }
            chars.next();
        }
        tokens.push(code[start..end].to_string());
    }
    Ok(tokens)
}

/// `go.sum` lines: `module version h1:base64` for the module's files and
/// `module version/go.mod h1:base64` for its go.mod alone (skipped).
fn module_hashes(go_sum: &str, warnings: &mut Vec<Warning>) -> HashMap<(String, String), Checksum> {
    let mut hashes = HashMap::new();
    for (index, line) in go_sum.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        match fields.as_slice() {
            [] => {}
            [_, version, _] if version.ends_with("/go.mod") => {}
            [module, version, hash] => {
                let checksum = hash
                    .strip_prefix("h1:")
                    .and_then(|encoded| digest::from_base64(HashAlg::Sha256, encoded));
                match checksum {
                    Some(sum) => {
                        hashes.insert((module.to_string(), version.to_string()), sum);
                    }
                    // Lines of go.sum are not lines of go.mod: named in the message.
                    None => warnings.push(Warning {
                        line: None,
                        message: format!("go.sum line {number}: unrecognised hash `{hash}`"),
                    }),
                }
            }
            _ => warnings.push(Warning {
                line: None,
                message: format!("go.sum line {number}: expected `module version hash`"),
            }),
        }
    }
    hashes
}
