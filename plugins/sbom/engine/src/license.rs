//! Licence data as CycloneDX `licenses` entries.

use crate::bom::{LicenseChoice, NamedLicense};

/// An SPDX expression when the text reads as one (`MIT`,
/// `MIT OR Apache-2.0`, `(BSD-2-Clause AND ISC)`, `LicenseRef-x`), else a
/// named licence carrying the text as written (`SEE LICENSE IN LICENSE`).
///
/// This only decides which of the two CycloneDX forms fits; it does not
/// check identifiers against the SPDX list, which the data does not
/// promise and the schema does not require for expressions.
pub fn license_choice(text: &str) -> Option<LicenseChoice> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // Cargo's deprecated `MIT/Apache-2.0` means `MIT OR Apache-2.0`.
    let slash_separated = text.contains('/')
        && !text.contains(char::is_whitespace)
        && text.split('/').all(is_identifier);
    if slash_separated {
        return Some(LicenseChoice::Expression {
            expression: text.split('/').collect::<Vec<_>>().join(" OR "),
        });
    }
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|token| !token.is_empty())
        .collect();
    // Identifiers and operators alternate: `id (OP id)*`.
    let is_expression = tokens.len() % 2 == 1
        && tokens.iter().enumerate().all(|(i, token)| {
            let is_operator = matches!(*token, "AND" | "OR" | "WITH");
            if i % 2 == 1 {
                is_operator
            } else {
                !is_operator && is_identifier(token)
            }
        });
    Some(if is_expression {
        LicenseChoice::Expression {
            expression: text.to_string(),
        }
    } else {
        LicenseChoice::Named {
            license: NamedLicense {
                name: text.to_string(),
            },
        }
    })
}

/// An SPDX licence or exception identifier, or a `LicenseRef-`.
fn is_identifier(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_and_names() {
        assert_eq!(
            license_choice("MIT OR Apache-2.0"),
            Some(LicenseChoice::Expression {
                expression: "MIT OR Apache-2.0".into()
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
        assert_eq!(
            license_choice("MIT/Apache-2.0"),
            Some(LicenseChoice::Expression {
                expression: "MIT OR Apache-2.0".into()
            })
        );
    }
}
