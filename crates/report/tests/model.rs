mod common;

use common::*;
use cordon_report::*;

#[test]
fn severity_counts() {
    let report = sample_report();
    let secrets = report.stages[0].counts_by_severity();
    assert_eq!(secrets.get(Severity::Critical), 1);
    assert_eq!(secrets.get(Severity::High), 1);
    assert_eq!(secrets.get(Severity::Medium), 1);
    assert_eq!(secrets.get(Severity::Low), 0);
    assert_eq!(secrets.total(), 3);
    assert_eq!(secrets.at_or_above(Severity::High), 2);
    assert_eq!(
        secrets.iter().collect::<Vec<_>>(),
        [
            (Severity::Critical, 1),
            (Severity::High, 1),
            (Severity::Medium, 1)
        ]
    );
    let all = report.counts_by_severity();
    assert_eq!(all.total(), 7);
    assert_eq!(all.at_or_above(Severity::High), 4);
    assert_eq!(all.at_or_above(Severity::Info), 7);
    assert_eq!(report.stages[3].counts_by_severity().total(), 0);
}

#[test]
fn max_severity() {
    assert_eq!(sample_report().max_severity(), Some(Severity::Critical));
    assert_eq!(empty_report().max_severity(), None);
    assert_eq!(
        sample_report().stages[2].max_severity(),
        Some(Severity::High)
    );
}

#[test]
fn exit_code_incomplete_wins_over_findings() {
    // Errored and skipped stages, and findings at or above `high`.
    assert_eq!(sample_report().exit_code(), EXIT_INCOMPLETE);

    // Only a skipped stage, no findings: still not clean.
    let mut report = empty_report();
    report.stages.push(sample_report().stages.remove(3));
    assert!(matches!(
        report.stages[0].status,
        StageStatus::Skipped { .. }
    ));
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn exit_code_findings_against_fail_on() {
    let mut report = completed_only();
    assert_eq!(report.stages.len(), 2);
    report.fail_on = Severity::High;
    assert_eq!(report.exit_code(), EXIT_FINDINGS);
    report.fail_on = Severity::Critical;
    assert_eq!(report.exit_code(), 1);
    // Drop the two critical findings: nothing at or above critical is left.
    for stage in &mut report.stages {
        stage.findings.retain(|f| f.severity < Severity::Critical);
    }
    assert_eq!(report.exit_code(), EXIT_OK);
    report.fail_on = Severity::Info;
    assert_eq!(report.exit_code(), 1);
    assert_eq!(empty_report().exit_code(), 0);
}

#[test]
fn exit_code_ignores_unreadable_files_of_completed_stages() {
    let mut report = completed_only();
    for stage in &mut report.stages {
        stage.findings.clear();
    }
    assert!(!report.stages[0].skipped.is_empty());
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn positions() {
    let report = sample_report();
    let secrets = &report.stages[0];
    assert_eq!(secrets.findings[0].position(), "README.md");
    assert_eq!(
        secrets.findings[1].position(),
        "config/prod env/.env:3:5 (commit 0123456789ab)"
    );
    assert_eq!(
        report.stages[1].findings[0].position(),
        "models/bundle.zip (byte 1234) (member inner/model.pkl)"
    );
    assert_eq!(report.stages[1].findings[1].position(), "(no location)");
}
