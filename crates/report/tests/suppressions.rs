//! Findings a stage reports as suppressed: kept in every report, marked as
//! suppressed in SARIF, never counted by `fail_on` or the exit code.

mod common;

use common::*;
use cordon_report::text::{TextOptions, render};
use cordon_report::*;
use serde_json::{Value, json};

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn result_at<'a>(log: &'a Value, path: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path)
        .unwrap_or_else(|| panic!("no result at {path}"))
}

#[test]
fn suppression_is_read_from_the_properties() {
    let report = suppressed_report();
    let findings = &report.stages[0].findings;
    assert_eq!(findings[0].suppression(), None);
    assert_eq!(
        findings[1].suppression(),
        Some(Suppression {
            kind: SuppressionKind::External,
            justification: Some("accepted in baseline .cordon/secrets-baseline.json".into()),
        })
    );
    assert_eq!(findings[1].baseline_state(), Some(BaselineState::Unchanged));
    assert_eq!(
        findings[2].suppression().map(|s| s.kind),
        Some(SuppressionKind::InSource)
    );
    assert_eq!(findings[3].suppression().unwrap().justification, None);
}

#[test]
fn an_unknown_suppression_kind_does_not_hide_a_finding() {
    let mut report = suppressed_report();
    report.stages[0].findings[1].properties[0].1 = "whatever".into();
    assert!(!report.stages[0].findings[1].is_suppressed());
    assert_eq!(report.failing_findings(), 1);
    assert_eq!(report.exit_code(), EXIT_FINDINGS);
}

#[test]
fn suppressed_findings_do_not_fail_the_run() {
    let report = suppressed_report();
    // Three high findings, all suppressed; the live one is below `fail_on`.
    assert_eq!(report.failing_findings(), 0);
    assert_eq!(report.exit_code(), EXIT_OK);
    assert_eq!(report.suppressed_count(), 3);
    assert_eq!(report.max_severity(), Some(Severity::Medium));
    assert_eq!(report.counts_by_severity().total(), 1);
    assert_eq!(report.counts_by_severity().get(Severity::High), 0);
}

#[test]
fn sarif_marks_suppressed_results_and_stays_valid() {
    let log = sarif::render(&suppressed_report());
    assert_eq!(results(&log).len(), 4, "suppressed results are kept");

    let live = result_at(&log, "src/live.rs");
    assert!(live.get("suppressions").is_none(), "{live}");
    // The run was compared with a baseline: what it did not hold is new.
    assert_eq!(live["baselineState"], "new");

    let baselined = result_at(&log, "src/old.rs");
    assert_eq!(
        baselined["suppressions"],
        json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "accepted in baseline .cordon/secrets-baseline.json",
        }])
    );
    assert_eq!(baselined["baselineState"], "unchanged");
    assert_eq!(baselined["level"], "error", "the severity is kept");

    let inline = result_at(&log, "tests/fixture.rs");
    assert_eq!(inline["suppressions"][0]["kind"], "inSource");
    assert_eq!(inline["baselineState"], "new");

    let allowed = result_at(&log, "docs/example.md");
    assert_eq!(
        allowed["suppressions"],
        json!([{ "kind": "external", "status": "accepted" }])
    );

    assert_valid_sarif(&log, "suppressed");
}

#[test]
fn without_a_baseline_state_no_result_claims_one() {
    let mut report = suppressed_report();
    report.stages[0].findings[1]
        .properties
        .retain(|(k, _)| k != BASELINE_STATE_PROPERTY);
    let log = sarif::render(&report);
    assert!(
        results(&log)
            .iter()
            .all(|r| r.get("baselineState").is_none())
    );
    assert_eq!(
        result_at(&log, "src/old.rs")["suppressions"][0]["kind"],
        "external"
    );
}

#[test]
fn text_counts_suppressed_findings_and_lists_them_when_verbose() {
    let report = suppressed_report();
    let plain = render(
        &report,
        &TextOptions {
            color: false,
            verbose: false,
        },
    );
    assert!(plain.contains("1 finding (1 medium)"), "{plain}");
    assert!(
        plain.contains("3 suppressed findings not counted (--verbose lists them)"),
        "{plain}"
    );
    assert!(!plain.contains("src/old.rs"), "{plain}");
    assert!(plain.ends_with("ok: nothing at or above high\n"), "{plain}");

    let verbose = render(
        &report,
        &TextOptions {
            color: false,
            verbose: true,
        },
    );
    assert!(
        verbose.contains(
            "src/old.rs:2:1  GitHub token in the baseline  [suppressed, external: accepted in baseline .cordon/secrets-baseline.json]"
        ),
        "{verbose}"
    );
    assert!(
        verbose.contains("[suppressed, inSource: inline cordon:allow on line 3]"),
        "{verbose}"
    );
    assert!(!verbose.contains("not counted (--verbose"), "{verbose}");
    assert!(
        verbose.ends_with("ok: nothing at or above high\n"),
        "{verbose}"
    );
    assert_eq!(text::next_steps(&report), "");
}

#[test]
fn junit_lists_suppressed_findings_without_failing() {
    let xml = junit::render(&suppressed_report());
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(xml.contains("suppressed findings (not counted):"), "{xml}");
    assert!(
        xml.contains("HIGH secrets/github-pat src/old.rs:2:1"),
        "{xml}"
    );
}

#[test]
fn junit_still_fails_on_a_live_finding_beside_suppressed_ones() {
    let mut report = suppressed_report();
    report.fail_on = Severity::Medium;
    let xml = junit::render(&report);
    assert!(xml.contains("<failure"), "{xml}");
    let failure = &xml[xml.find("<failure").unwrap()..xml.find("</failure>").unwrap()];
    assert!(failure.contains("src/live.rs"), "{failure}");
    assert!(!failure.contains("src/old.rs"), "{failure}");
    assert_eq!(report.exit_code(), EXIT_FINDINGS);
}

#[test]
fn json_keeps_suppressed_findings_with_their_properties() {
    let report = suppressed_report();
    let value: Value = serde_json::from_str(&json::render(&report)).unwrap();
    let findings = value["stages"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4);
    let text = findings[1]["properties"].to_string();
    assert!(
        text.contains("suppression-kind") && text.contains("unchanged"),
        "{text}"
    );
    let back: RunReport = serde_json::from_value(value).unwrap();
    assert_eq!(back, report);
}
