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
    }
}

pub fn finding(finding: wit::Finding) -> report::Finding {
    report::Finding {
        rule_id: finding.rule_id,
        severity: severity(finding.severity),
        message: finding.message,
        location: finding.location.map(|l| report::Location {
            path: l.path,
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
