//! Licences of installed packages, from the metadata they carry inside the
//! workspace: `node_modules/<name>/package.json` (scoped ones under
//! `node_modules/@scope/<name>/`, nested `node_modules` too) and Python
//! `<name>-<version>.dist-info/METADATA` (a virtual environment's
//! `site-packages`).
//!
//! Lockfiles rarely carry licences, but the installed packages do, offline.
//! The licence is what the package declares: npm's `license` (or the
//! legacy `license.type` / `licenses[].type`), Python's
//! `License-Expression` (core metadata 2.4), else a one-line `License`,
//! else its Trove licence classifiers when each names one SPDX licence
//! (`License :: OSI Approved :: MIT License`; `… :: BSD License` names no
//! version, so it gives nothing).

use cordon_lockfiles::{Ecosystem, Lockfile, normalize_pypi_name};
use serde_json::Value;

/// One installed package's licence, as its metadata declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub license: String,
    /// The metadata file it was read from.
    pub path: String,
}

/// Whether a workspace path is installed-package metadata this module
/// reads: a package's own `package.json` directly under `node_modules`, or
/// a `.dist-info/METADATA`.
pub fn is_installed_metadata(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    match *last {
        "package.json" => match parents {
            [.., "node_modules", scope, name] => {
                scope.starts_with('@') && !name.is_empty() && !name.starts_with('.')
            }
            [.., "node_modules", name] => {
                !name.is_empty() && !name.starts_with('.') && !name.starts_with('@')
            }
            _ => false,
        },
        "METADATA" => parents
            .last()
            .is_some_and(|dir| dir.ends_with(".dist-info") && dir.len() > ".dist-info".len()),
        _ => false,
    }
}

/// The package and licence a metadata file declares; `None` when it is not
/// readable or declares no licence.
pub fn parse_installed_metadata(path: &str, bytes: &[u8]) -> Option<InstalledPackage> {
    if path.ends_with("package.json") {
        package_json(path, bytes)
    } else {
        dist_info(path, bytes)
    }
}

fn package_json(path: &str, bytes: &[u8]) -> Option<InstalledPackage> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let name = value.get("name")?.as_str()?.trim();
    let version = value.get("version")?.as_str()?.trim();
    let license = match value.get("license") {
        Some(Value::String(text)) => Some(text.trim().to_owned()),
        // Legacy object form: `{"type": "MIT", "url": …}`.
        Some(Value::Object(object)) => object
            .get("type")
            .and_then(Value::as_str)
            .map(|t| t.trim().to_owned()),
        _ => None,
    }
    .or_else(|| {
        // Legacy list: the package may be used under any one of them.
        let types: Vec<&str> = value
            .get("licenses")?
            .as_array()?
            .iter()
            .filter_map(|entry| entry.get("type")?.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        match types.len() {
            0 => None,
            1 => Some(types[0].to_owned()),
            _ => Some(format!("({})", types.join(" OR "))),
        }
    })?;
    (!name.is_empty() && !version.is_empty() && !license.is_empty()).then(|| InstalledPackage {
        ecosystem: Ecosystem::Npm,
        name: name.to_owned(),
        version: version.to_owned(),
        license,
        path: path.to_owned(),
    })
}

/// Core metadata is RFC 822 headers up to the first blank line;
/// continuation lines start with whitespace.
fn dist_info(path: &str, bytes: &[u8]) -> Option<InstalledPackage> {
    let text = String::from_utf8_lossy(bytes);
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut classifiers: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let key = key.trim().to_ascii_lowercase();
            if key == "classifier" {
                classifiers.push(value.trim().to_owned());
            }
            headers.push((key, value.trim().to_owned()));
        }
    }
    let header = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let name = header("name")?;
    let version = header("version")?;
    let license = header("license-expression")
        .map(str::to_owned)
        .or_else(|| {
            // `License` is free text: often a name (`MIT`, `BSD-3-Clause`),
            // sometimes the whole licence text, which is not a declaration
            // Cordon can name.
            header("license")
                .filter(|text| {
                    !text.contains('\n')
                        && text.len() <= 100
                        && !text.eq_ignore_ascii_case("UNKNOWN")
                })
                .map(str::to_owned)
        })
        .or_else(|| classifier_license(&classifiers))?;
    Some(InstalledPackage {
        ecosystem: Ecosystem::PyPI,
        name: name.to_owned(),
        version: version.to_owned(),
        license,
        path: path.to_owned(),
    })
}

/// The SPDX expression the Trove licence classifiers state: one id, or
/// several as alternatives (packages list each licence they offer). Only
/// when every licence classifier names exactly one SPDX licence.
fn classifier_license(classifiers: &[String]) -> Option<String> {
    let ids: Option<Vec<&str>> = classifiers
        .iter()
        .filter_map(|classifier| classifier.strip_prefix("License ::"))
        .map(|rest| {
            let name = rest.rsplit("::").next().unwrap_or_default().trim();
            trove_spdx_id(name)
        })
        .collect();
    let mut ids = ids?;
    ids.sort_unstable();
    ids.dedup();
    match ids.len() {
        0 => None,
        1 => Some(ids[0].to_owned()),
        _ => Some(ids.join(" OR ")),
    }
}

/// Trove licence classifiers that name one SPDX licence; those that name a
/// family without a version (`BSD License`, `Apache Software License`,
/// `GNU General Public License (GPL)`) are not here on purpose.
fn trove_spdx_id(name: &str) -> Option<&'static str> {
    Some(match name {
        "MIT License" => "MIT",
        "MIT No Attribution License (MIT-0)" => "MIT-0",
        "ISC License (ISCL)" => "ISC",
        "The Unlicense (Unlicense)" => "Unlicense",
        "Python Software Foundation License" => "PSF-2.0",
        "zlib/libpng License" => "Zlib",
        "Boost Software License 1.0 (BSL-1.0)" => "BSL-1.0",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "Eclipse Public License 2.0 (EPL-2.0)" => "EPL-2.0",
        "European Union Public Licence 1.2 (EUPL 1.2)" => "EUPL-1.2",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU General Public License v2 or later (GPLv2+)" => "GPL-2.0-or-later",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v3 or later (GPLv3+)" => "GPL-3.0-or-later",
        "GNU Lesser General Public License v2 (LGPLv2)" => "LGPL-2.0-only",
        "GNU Lesser General Public License v2 or later (LGPLv2+)" => "LGPL-2.0-or-later",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "GNU Lesser General Public License v3 or later (LGPLv3+)" => "LGPL-3.0-or-later",
        "GNU Affero General Public License v3" => "AGPL-3.0-only",
        "GNU Affero General Public License v3 or later (AGPLv3+)" => "AGPL-3.0-or-later",
        _ => return None,
    })
}

/// Gives every lockfile package without a licence the one its installed
/// copy declares (same ecosystem, name — PyPI names normalised — and
/// version). Returns how many packages got one.
pub fn apply_installed_licenses(
    lockfiles: &mut [Lockfile],
    installed: &[InstalledPackage],
) -> usize {
    let key = |ecosystem: Ecosystem, name: &str| match ecosystem {
        Ecosystem::PyPI => normalize_pypi_name(name),
        _ => name.to_owned(),
    };
    let mut applied = 0;
    for package in lockfiles.iter_mut().flat_map(|l| l.packages.iter_mut()) {
        if package.license.is_some() {
            continue;
        }
        let name = key(package.ecosystem, &package.name);
        if let Some(found) = installed.iter().find(|found| {
            found.ecosystem == package.ecosystem
                && found.version == package.version
                && key(found.ecosystem, &found.name) == name
        }) {
            package.license = Some(found.license.clone());
            applied += 1;
        }
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_installed_metadata_paths() {
        for yes in [
            "node_modules/lodash/package.json",
            "web/node_modules/@babel/core/package.json",
            "node_modules/a/node_modules/b/package.json",
            ".venv/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA",
        ] {
            assert!(is_installed_metadata(yes), "{yes}");
        }
        for no in [
            "package.json",
            "node_modules/lodash/lib/package.json",
            "node_modules/@babel/package.json",
            "node_modules/.package-lock.json",
            "node_modules/.bin/package.json",
            "site-packages/.dist-info/METADATA",
            "site-packages/requests/METADATA",
        ] {
            assert!(!is_installed_metadata(no), "{no}");
        }
    }

    #[test]
    fn reads_npm_licences_in_every_form() {
        let read = |json: &str| {
            parse_installed_metadata("node_modules/x/package.json", json.as_bytes())
                .map(|p| (p.name, p.version, p.license))
        };
        assert_eq!(
            read(r#"{"name": "lodash", "version": "4.17.21", "license": "MIT"}"#),
            Some(("lodash".into(), "4.17.21".into(), "MIT".into()))
        );
        assert_eq!(
            read(r#"{"name": "old", "version": "1.0.0", "license": {"type": "BSD-3-Clause", "url": "x"}}"#)
                .unwrap()
                .2,
            "BSD-3-Clause"
        );
        assert_eq!(
            read(r#"{"name": "dual", "version": "1.0.0", "licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}"#)
                .unwrap()
                .2,
            "(MIT OR Apache-2.0)"
        );
        assert_eq!(read(r#"{"name": "none", "version": "1.0.0"}"#), None);
        assert_eq!(read(r#"{"version": "1.0.0", "license": "MIT"}"#), None);
        assert_eq!(read("{ not json"), None);
    }

    #[test]
    fn reads_python_core_metadata() {
        let path = "venv/site-packages/x-1.dist-info/METADATA";
        let modern = "Metadata-Version: 2.4\nName: Flask\nVersion: 3.0.0\nLicense-Expression: BSD-3-Clause\nLicense: ignored\n\nLicense-Expression: body text\n";
        let package = parse_installed_metadata(path, modern.as_bytes()).unwrap();
        assert_eq!(
            (
                package.ecosystem,
                package.name.as_str(),
                package.version.as_str(),
                package.license.as_str()
            ),
            (Ecosystem::PyPI, "Flask", "3.0.0", "BSD-3-Clause")
        );
        let older = "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n";
        assert_eq!(
            parse_installed_metadata(path, older.as_bytes())
                .unwrap()
                .license,
            "Apache 2.0"
        );
        let full_text = "Name: x\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is hereby granted\n";
        assert_eq!(parse_installed_metadata(path, full_text.as_bytes()), None);
        let unknown = "Name: x\nVersion: 1\nLicense: UNKNOWN\n";
        assert_eq!(parse_installed_metadata(path, unknown.as_bytes()), None);
        let license = |text: &str| {
            parse_installed_metadata(path, text.as_bytes()).map(|package| package.license)
        };
        assert_eq!(
            license(
                "Name: x\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: ISC License (ISCL)\nClassifier: Programming Language :: Python\n"
            ),
            Some("ISC".into())
        );
        assert_eq!(
            license(
                "Name: x\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\n"
            ),
            Some("GPL-2.0-or-later OR MIT".into())
        );
        // A family without a version names no licence, even beside one that does.
        assert_eq!(
            license("Name: x\nVersion: 1\nClassifier: License :: OSI Approved :: BSD License\n"),
            None
        );
        assert_eq!(
            license(
                "Name: x\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: Apache Software License\n"
            ),
            None
        );
        assert_eq!(parse_installed_metadata(path, b"\xff\xfe"), None);
    }

    #[test]
    fn every_classifier_maps_to_a_listed_spdx_id() {
        let names = [
            "MIT License",
            "MIT No Attribution License (MIT-0)",
            "ISC License (ISCL)",
            "The Unlicense (Unlicense)",
            "Python Software Foundation License",
            "zlib/libpng License",
            "Boost Software License 1.0 (BSL-1.0)",
            "Mozilla Public License 2.0 (MPL 2.0)",
            "Eclipse Public License 2.0 (EPL-2.0)",
            "European Union Public Licence 1.2 (EUPL 1.2)",
            "GNU General Public License v2 (GPLv2)",
            "GNU General Public License v2 or later (GPLv2+)",
            "GNU General Public License v3 (GPLv3)",
            "GNU General Public License v3 or later (GPLv3+)",
            "GNU Lesser General Public License v2 (LGPLv2)",
            "GNU Lesser General Public License v2 or later (LGPLv2+)",
            "GNU Lesser General Public License v3 (LGPLv3)",
            "GNU Lesser General Public License v3 or later (LGPLv3+)",
            "GNU Affero General Public License v3",
            "GNU Affero General Public License v3 or later (AGPLv3+)",
        ];
        for name in names {
            let id = trove_spdx_id(name).unwrap_or_else(|| panic!("{name}"));
            let known = spdx::license_id(id).unwrap_or_else(|| panic!("{id}"));
            assert!(!known.is_deprecated(), "{id}");
        }
    }

    #[test]
    fn fills_only_missing_licences_of_the_same_release() {
        let mut lockfiles = vec![
            cordon_lockfiles::parse(
                "requirements.txt",
                b"Flask_Login==0.6.3\nrequests==2.31.0\nidna==3.4\n",
            )
            .unwrap(),
        ];
        lockfiles[0].packages[2].license = Some("BSD-3-Clause".into());
        let installed = vec![
            InstalledPackage {
                ecosystem: Ecosystem::PyPI,
                name: "flask-login".into(),
                version: "0.6.3".into(),
                license: "MIT".into(),
                path: "a".into(),
            },
            InstalledPackage {
                ecosystem: Ecosystem::PyPI,
                name: "requests".into(),
                version: "2.30.0".into(),
                license: "Apache-2.0".into(),
                path: "b".into(),
            },
            InstalledPackage {
                ecosystem: Ecosystem::PyPI,
                name: "idna".into(),
                version: "3.4".into(),
                license: "Other".into(),
                path: "c".into(),
            },
        ];
        assert_eq!(apply_installed_licenses(&mut lockfiles, &installed), 1);
        let licenses: Vec<Option<&str>> = lockfiles[0]
            .packages
            .iter()
            .map(|p| p.license.as_deref())
            .collect();
        assert_eq!(licenses, [Some("MIT"), None, Some("BSD-3-Clause")]);
    }
}
