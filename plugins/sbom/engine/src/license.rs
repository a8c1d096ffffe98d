//! Licence data as CycloneDX `licenses` entries.

use crate::bom::{Acknowledgement, LicenseChoice, NamedLicense};

/// The canonical SPDX expression when the text reads as one against the
/// SPDX licence list (`MIT`, `MIT OR Apache-2.0`, Cargo's deprecated
/// `MIT/Apache-2.0`, `GPL-2.0+` as `GPL-2.0-or-later`, `LicenseRef-x`),
/// else a named licence carrying the text as written (`SEE LICENSE IN
/// LICENSE`, `UNLICENSED`, `Apache 2.0`), so the document never holds an
/// expression with an unknown identifier. Either is marked declared: it is
/// what the package says of itself.
pub fn license_choice(text: &str) -> Option<LicenseChoice> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match spdx_expression(text) {
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

/// `text` as a canonical SPDX expression, if it is one.
pub fn spdx_expression(text: &str) -> Option<String> {
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
        for named in ["UNLICENSED", "Apache 2.0 or later", "Not-A-Licence-1.0"] {
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
        assert_eq!(
            license_choice("MIT/Apache-2.0"),
            Some(LicenseChoice::Expression {
                expression: "MIT OR Apache-2.0".into(),
                acknowledgement: Acknowledgement::Declared,
            })
        );
    }
}
