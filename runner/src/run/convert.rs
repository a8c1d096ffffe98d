//! WIT binding types -> report types.

use cordon_report as report;

use crate::host::bindings::cordon::stage::types as wit;

pub fn severity(severity: wit::Severity) -> report::Severity {
    match severity {
        wit::Severity::Info => report::Severity::Info,
        wit::Severity::Low => report::Severity::Low,
        wit::Severity::Medium => report::Severity::Medium,
        wit::Severity::High => report::Severity::High,
        wit::Severity::Critical => report::Severity::Critical,
    }
}

pub fn rule(rule: wit::Rule) -> report::Rule {
    report::Rule {
        id: rule.id,
        short_description: rule.short_description,
        full_description: rule.full_description,
        help: rule.help,
        default_severity: severity(rule.default_severity),
        properties: rule.properties,
    }
}

/// A plugin-chosen line, inert on a terminal: control characters (a raw
/// `\r` could overwrite Cordon's own output, an escape sequence could
/// recolour or hide it) are shown escaped.
pub fn escape_controls(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

pub fn finding(finding: wit::Finding) -> report::Finding {
    report::Finding {
        rule_id: escape_controls(finding.rule_id),
        severity: severity(finding.severity),
        message: escape_controls(finding.message),
        location: finding.location.map(|l| report::Location {
            path: escape_controls(l.path),
            region: l.region.map(|r| report::Region {
                start_line: r.start_line,
                start_column: r.start_column,
                end_line: r.end_line,
                end_column: r.end_column,
            }),
            byte_offset: l.byte_offset,
            member: l.member,
            commit: l.commit,
        }),
        fingerprint: finding.fingerprint,
        snippet: finding.snippet,
        properties: finding.properties,
    }
}
