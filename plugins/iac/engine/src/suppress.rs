//! Inline suppressions in the comment syntaxes users already know:
//!
//! - `# cordon:allow iac/aws-s3-public-acl reason="static site"` (also
//!   `cordon:ignore`);
//! - `#checkov:skip=CKV_AWS_20:static site` (Checkov);
//! - `#trivy:ignore:AVD-AWS-0086 static site` (Trivy).
//!
//! Checkov and Trivy ids are matched through each policy's `aliases`; our
//! own ids work in every syntax. A comment applies to findings on its line
//! or the next, and to the resource whose block contains it or starts on
//! the next line. Suppressed findings are reported as such, never dropped;
//! a suppression without a reason is itself a (low) finding.

use std::sync::OnceLock;

use regex::Regex;

use crate::finding::Suppression;

struct Syntax {
    name: &'static str,
    marker: &'static str,
    pattern: Regex,
}

fn syntaxes() -> &'static [Syntax] {
    static SYNTAXES: OnceLock<Vec<Syntax>> = OnceLock::new();
    SYNTAXES.get_or_init(|| {
        let syntax = |name, marker, pattern: &str| Syntax {
            name,
            marker,
            pattern: Regex::new(pattern).expect("static regex"),
        };
        vec![
            syntax(
                "cordon",
                "cordon:",
                r"(?:#|//)\s*cordon:(?:allow|ignore)\s+([\w./-]+)(?:\s+(.*))?",
            ),
            syntax(
                "checkov",
                "checkov:",
                r"(?:#|//)\s*checkov:skip=([\w./-]+)(?::(.*))?",
            ),
            syntax(
                "trivy",
                "trivy:",
                r"(?:#|//)\s*trivy:ignore:([\w./-]+)(?:\s+(.*))?",
            ),
        ]
    })
}

/// Every suppression comment in the text, by line.
pub fn find(text: &str) -> Vec<Suppression> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for syntax in syntaxes() {
            if !line.contains(syntax.marker) {
                continue;
            }
            if let Some(captures) = syntax.pattern.captures(line) {
                let reason = captures
                    .get(2)
                    .map(|reason| clean_reason(reason.as_str()))
                    .filter(|reason| !reason.is_empty());
                found.push(Suppression {
                    syntax: syntax.name.to_string(),
                    line: crate::node::to_u32(index + 1),
                    id: captures[1].to_string(),
                    reason,
                });
            }
        }
    }
    found
}

/// `reason="static site"` → `static site`; free text is kept as written.
fn clean_reason(text: &str) -> String {
    let text = text.trim();
    let text = text.strip_prefix("reason=").unwrap_or(text);
    text.trim_matches(|ch| ch == '"' || ch == '\'')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_syntaxes_with_and_without_reasons() {
        let found = find(
            "a\n  # cordon:allow iac/aws-s3-public-acl reason=\"static site\"\n#checkov:skip=CKV_AWS_20:public website\n# trivy:ignore:AVD-AWS-0086\n// cordon:ignore iac/x\nnot a # cordonallow\n",
        );
        let summary: Vec<(&str, u32, &str, Option<&str>)> = found
            .iter()
            .map(|s| {
                (
                    s.syntax.as_str(),
                    s.line,
                    s.id.as_str(),
                    s.reason.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("cordon", 2, "iac/aws-s3-public-acl", Some("static site")),
                ("checkov", 3, "CKV_AWS_20", Some("public website")),
                ("trivy", 4, "AVD-AWS-0086", None),
                ("cordon", 5, "iac/x", None),
            ]
        );
    }
}
