//! Licence data as CycloneDX `licenses` entries.

use crate::bom::{Acknowledgement, LicenseChoice, NamedLicense};

/// The canonical SPDX expression when the text reads as one against the
/// SPDX licence list (`MIT`, `MIT OR Apache-2.0`, Cargo's deprecated
/// `MIT/Apache-2.0`, `GPL-2.0+` as `GPL-2.0-or-later`, `LicenseRef-x`) or
/// is the full name of one licence (`Apache License, Version 2.0`,
/// `BSD 3-Clause License`), else a named licence carrying the text as
/// written (`SEE LICENSE IN LICENSE`, `UNLICENSED`, `Dual License`), so the
/// document never holds an expression with an unknown identifier. Either is
/// marked declared: it is what the package says of itself.
pub fn license_choice(text: &str) -> Option<LicenseChoice> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match spdx_of(text) {
        Some(expression) => LicenseChoice::Expression {
            expression,
            acknowledgement: Acknowledgement::Declared,
        },
        None => LicenseChoice::Named {
            license: NamedLicense {
                name: text.to_string(),
                acknowledgement: Acknowledgement::Declared,
            },
        },
    })
}

/// `text` as a canonical SPDX expression: the expression it is, or the id
/// of the one licence it names in full.
pub fn spdx_of(text: &str) -> Option<String> {
    let text = text.trim();
    spdx_expression(text)
        .or_else(|| spdx_id_of_full_name(text).map(str::to_owned))
        .or_else(|| spdx_expression(&with_named_terms(text)?))
}

/// An expression whose one-word terms name a licence without its SPDX id
/// (`(MIT OR Apache2)`, npm's walk 2.3.9) with those terms replaced; `None`
/// when no term was replaced.
fn with_named_terms(text: &str) -> Option<String> {
    let mut changed = false;
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            let start = word.len() - word.trim_start_matches('(').len();
            let end = word.trim_end_matches(')').len().max(start);
            let term = &word[start..end];
            let operator = ["AND", "OR", "WITH"]
                .iter()
                .any(|op| term.eq_ignore_ascii_case(op));
            match spdx_id_of_full_name(term) {
                Some(id) if !operator && spdx::license_id(term).is_none() => {
                    changed = true;
                    format!("{}{id}{}", &word[..start], &word[end..])
                }
                _ => word.to_owned(),
            }
        })
        .collect();
    changed.then(|| words.join(" "))
}

/// `text` as a canonical SPDX expression, if it is one.
///
/// Every licence in it must be an SPDX id (deprecated ones too), as
/// written: the `spdx` crate's imprecise names are refused because they
/// guess a licence the package never named, and some guesses are wrong
/// (`BSD` became BSD-2-Clause, `GPL` GPL-2.0-only, `GNU GPL v2`
/// GPL-3.0-only). Cargo's `/` and GNU's `+` are still read.
pub fn spdx_expression(text: &str) -> Option<String> {
    let as_written = spdx::ParseMode {
        allow_imprecise_license_names: false,
        ..spdx::ParseMode::LAX
    };
    spdx::Expression::parse_mode(text, as_written).ok()?;
    let canonical = spdx::Expression::canonicalize(text)
        .ok()?
        .unwrap_or_else(|| text.to_string());
    let mode = spdx::ParseMode {
        allow_deprecated: true,
        ..spdx::ParseMode::STRICT
    };
    spdx::Expression::parse_mode(&canonical, mode)
        .ok()
        .map(|_| canonical)
}

/// The SPDX id of a licence written out by name, as Python's free-text
/// `License` field and older npm manifests often are. Only names that
/// identify exactly one licence and version are here: `BSD License`,
/// `Apache`, `GPL` or `GNU GPL v3` (only or or-later?) are left as named
/// licences, since choosing a version would claim more than the package did.
fn spdx_id_of_full_name(text: &str) -> Option<&'static str> {
    let key = full_name_key(text);
    Some(match key.as_str() {
        "apache 2.0" | "apache 2" | "apache2" | "apache software 2.0" | "asl 2.0" => "Apache-2.0",
        "mit" | "expat" => "MIT",
        "bsd 3 clause" | "3 clause bsd" | "new bsd" | "modified bsd" | "revised bsd" => {
            "BSD-3-Clause"
        }
        "bsd 2 clause" | "2 clause bsd" | "simplified bsd" | "freebsd" => "BSD-2-Clause",
        "isc" => "ISC",
        "mozilla public 2.0" | "mpl 2.0" => "MPL-2.0",
        "python software foundation" | "psf" => "PSF-2.0",
        "unlicense" => "Unlicense",
        "zlib" => "Zlib",
        "boost software 1.0" => "BSL-1.0",
        "eclipse public 2.0" => "EPL-2.0",
        "cc0 1.0 universal" | "cc0 1.0" => "CC0-1.0",
        _ => return None,
    })
}

/// `The MIT License (MIT)` -> `mit`, `Apache License, Version 2.0` ->
/// `apache 2.0`: a trailing bracketed abbreviation dropped, lower case,
/// punctuation and the filler words `the`, `license`/`licence` and
/// `version` dropped, `v2.0` read as `2.0`.
fn full_name_key(text: &str) -> String {
    let text = text.trim();
    let text = match (text.ends_with(')'), text.rfind('(')) {
        (true, Some(open)) if open > 0 => &text[..open],
        _ => text,
    };
    text.to_ascii_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '"'))
        .filter(|word| !matches!(*word, "" | "the" | "license" | "licence" | "version"))
        .map(|word| match word.strip_prefix('v') {
            Some(number) if number.starts_with(|c: char| c.is_ascii_digit()) => number,
            _ => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_and_names() {
        assert_eq!(
            license_choice("MIT OR Apache-2.0"),
            Some(LicenseChoice::Expression {
                expression: "MIT OR Apache-2.0".into(),
                acknowledgement: Acknowledgement::Declared,
            })
        );
        assert!(matches!(
            license_choice("(GPL-2.0+ WITH Classpath-exception-2.0)"),
            Some(LicenseChoice::Expression { .. })
        ));
        assert!(matches!(
            license_choice("SEE LICENSE IN LICENSE.md"),
            Some(LicenseChoice::Named { .. })
        ));
        assert_eq!(license_choice("  "), None);
        for named in [
            "UNLICENSED",
            "Apache 2.0 or later",
            "Not-A-Licence-1.0",
            "Dual License",
            "BSD License",
            "Apache",
            "GNU GPL v3",
            "GNU GPL v2",
            "GPL",
            "BSD",
            "lgpl",
            "MIT or whatever",
        ] {
            assert!(
                matches!(license_choice(named), Some(LicenseChoice::Named { .. })),
                "{named}"
            );
        }
        assert_eq!(
            license_choice("GPL-2.0+"),
            Some(LicenseChoice::Expression {
                expression: "GPL-2.0-or-later".into(),
                acknowledgement: Acknowledgement::Declared,
            })
        );
        // Full names of one licence, as free-text `License` fields of
        // published packages write them (distro, pandas, types-pytz).
        for (name, id) in [
            ("Apache License, Version 2.0", "Apache-2.0"),
            ("Apache-2.0 license", "Apache-2.0"),
            ("Apache Software License 2.0", "Apache-2.0"),
            ("Apache License v2.0", "Apache-2.0"),
            // npm's foreachasync 3.0.0 declares `Apache2`.
            ("Apache2", "Apache-2.0"),
            ("Apache-2", "Apache-2.0"),
            ("BSD 3-Clause License", "BSD-3-Clause"),
            ("3-Clause BSD License", "BSD-3-Clause"),
            ("New BSD License", "BSD-3-Clause"),
            ("Simplified BSD License", "BSD-2-Clause"),
            ("The MIT License (MIT)", "MIT"),
            ("MIT License", "MIT"),
            ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
            ("The Unlicense", "Unlicense"),
            ("ISC License", "ISC"),
        ] {
            assert_eq!(
                license_choice(name),
                Some(LicenseChoice::Expression {
                    expression: id.into(),
                    acknowledgement: Acknowledgement::Declared,
                }),
                "{name}"
            );
        }
        assert_eq!(
            license_choice("(MIT OR Apache2)"),
            Some(LicenseChoice::Expression {
                expression: "(MIT OR Apache-2.0)".into(),
                acknowledgement: Acknowledgement::Declared,
            })
        );
        // A term that names a family stays unguessed, so the whole is named.
        assert!(matches!(
            license_choice("(MIT OR BSD)"),
            Some(LicenseChoice::Named { .. })
        ));
        assert_eq!(
            license_choice("MIT/Apache-2.0"),
            Some(LicenseChoice::Expression {
                expression: "MIT OR Apache-2.0".into(),
                acknowledgement: Acknowledgement::Declared,
            })
        );
    }
}
