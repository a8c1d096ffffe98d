//! JUnit XML, for CI test reporters (GitLab `artifacts:reports:junit`,
//! Jenkins `junit`, GitHub test-report actions).
//!
//! # Shape
//!
//! ```xml
//! <testsuites name="cordon" tests="3" failures="1" errors="1" skipped="1" time="4.210">
//!   <testsuite name="secrets" tests="1" failures="1" errors="0" skipped="0" time="1.200">
//!     <properties>…plugin, version, sha256, fail_on…</properties>
//!     <testcase name="secrets" classname="cordon.secrets" time="1.200">
//!       <failure message="2 findings at or above high" type="secrets/github-pat">
//! HIGH secrets/github-pat config/.env:3:5 GitHub token
//! …
//!       </failure>
//!       <system-out>findings below the threshold, files not scanned, denied calls, notes</system-out>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```
//!
//! One `<testsuite>` per stage holding one `<testcase>` for the stage. The
//! findings at or above `fail_on` are listed in a **single** `<failure>`,
//! one per line: Jenkins reads only the first `<failure>` of a testcase and
//! GitLab's parser expects one, so separate elements would lose findings in
//! the UI. `type` is the distinct rule ids, space-separated.
//!
//! A stage that errored gets `<error>` (kind and message, then the findings
//! it reported before stopping) instead of `<failure>`: the Ant schema
//! allows one of `error`/`failure`/`skipped` per testcase, and an
//! incomplete stage is the more important fact. A skipped stage gets
//! `<skipped message=…/>`; reporters show it as skipped, while the run's exit
//! code (2) still fails CI.
//!
//! Times are seconds with millisecond precision. Text is escaped and
//! characters XML 1.0 cannot carry are dropped.

use std::fmt::Write;

use crate::model::{Finding, RunReport, Severity, StageReport, StageStatus};
use crate::xml;

/// The report as a JUnit XML document.
pub fn render(report: &RunReport) -> String {
    let stages: Vec<StageOutcome> = report
        .stages
        .iter()
        .map(|stage| StageOutcome::new(stage, report.fail_on))
        .collect();
    let count = |pick: fn(&StageOutcome) -> bool| stages.iter().filter(|s| pick(s)).count();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `write!` into a `String` cannot fail; the results are ignored.
    let _ = writeln!(
        out,
        "<testsuites name=\"cordon\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        stages.len(),
        count(|s| s.kind == Outcome::Failure),
        count(|s| s.kind == Outcome::Error),
        count(|s| s.kind == Outcome::Skipped),
        seconds(report.duration_ms),
    );
    for stage in &stages {
        render_stage(&mut out, report, stage);
    }
    out.push_str("</testsuites>\n");
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Failure,
    Error,
    Skipped,
}

struct StageOutcome<'a> {
    stage: &'a StageReport,
    kind: Outcome,
    /// Findings at or above `fail_on`, highest severity first.
    failing: Vec<&'a Finding>,
    /// The rest, highest first.
    below: Vec<&'a Finding>,
    /// Findings a suppression hides, highest first: listed, never failures.
    suppressed: Vec<&'a Finding>,
}

impl<'a> StageOutcome<'a> {
    fn new(stage: &'a StageReport, fail_on: Severity) -> StageOutcome<'a> {
        let mut findings: Vec<&Finding> = stage.findings.iter().collect();
        // Stable sort: a stage's own order is kept within a severity.
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let (suppressed, live): (Vec<&Finding>, Vec<&Finding>) =
            findings.into_iter().partition(|f| f.is_suppressed());
        let (failing, below): (Vec<&Finding>, Vec<&Finding>) =
            live.into_iter().partition(|f| f.severity >= fail_on);
        let kind = match stage.status {
            StageStatus::Errored { .. } => Outcome::Error,
            StageStatus::Skipped { .. } => Outcome::Skipped,
            StageStatus::Completed if !failing.is_empty() => Outcome::Failure,
            StageStatus::Completed => Outcome::Pass,
        };
        StageOutcome {
            stage,
            kind,
            failing,
            below,
            suppressed,
        }
    }
}

fn render_stage(out: &mut String, report: &RunReport, outcome: &StageOutcome) {
    let stage = outcome.stage;
    let name = xml::attr(&stage.name);
    let time = seconds(stage.duration_ms);
    let flag = |kind: Outcome| u8::from(outcome.kind == kind);
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"1\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time}\">",
        flag(Outcome::Failure),
        flag(Outcome::Error),
        flag(Outcome::Skipped),
    );

    out.push_str("    <properties>\n");
    let mut property = |key: &str, value: &str| {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            xml::attr(key),
            xml::attr(value)
        );
    };
    if let Some(plugin) = &stage.plugin {
        property("plugin", &plugin.name);
        property("plugin.version", &plugin.version);
        property("plugin.source", &plugin.source);
        property("plugin.sha256", &plugin.sha256);
    }
    property("fail_on", report.fail_on.as_str());
    property("files_scanned", &stage.files_scanned.to_string());
    property("bytes_scanned", &stage.bytes_scanned.to_string());
    out.push_str("    </properties>\n");

    let _ = writeln!(
        out,
        "    <testcase name=\"{name}\" classname=\"cordon.{name}\" time=\"{time}\">"
    );
    match &stage.status {
        StageStatus::Errored { kind, message } => {
            let mut body = format!("stage did not complete ({kind}): {message}\n");
            if !outcome.failing.is_empty() {
                let _ = writeln!(
                    body,
                    "findings at or above {} before it stopped:",
                    report.fail_on
                );
                push_findings(&mut body, &outcome.failing);
            }
            let _ = writeln!(
                out,
                "      <error message=\"{}\" type=\"{}\">{}</error>",
                xml::attr(&format!("{kind}: {message}")),
                xml::attr(kind.as_str()),
                xml::text(&body),
            );
        }
        StageStatus::Skipped { reason } => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                xml::attr(&format!("not run: {reason}"))
            );
        }
        StageStatus::Completed if !outcome.failing.is_empty() => {
            let mut rules: Vec<&str> = Vec::new();
            for finding in &outcome.failing {
                if !rules.contains(&finding.rule_id.as_str()) {
                    rules.push(&finding.rule_id);
                }
            }
            let mut body = String::new();
            push_findings(&mut body, &outcome.failing);
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                xml::attr(&format!(
                    "{} finding(s) at or above {}",
                    outcome.failing.len(),
                    report.fail_on
                )),
                xml::attr(&rules.join(" ")),
                xml::text(&body),
            );
        }
        StageStatus::Completed => {}
    }

    let system_out = system_out(report, outcome);
    if !system_out.is_empty() {
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml::text(&system_out)
        );
    }
    out.push_str("    </testcase>\n  </testsuite>\n");
}

/// What a reader of the test report should know besides pass/fail: the
/// findings under the threshold, what could not be scanned, what the
/// sandbox refused, and the stage's notes.
fn system_out(report: &RunReport, outcome: &StageOutcome) -> String {
    let stage = outcome.stage;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} file(s), {} byte(s) scanned",
        stage.files_scanned, stage.bytes_scanned
    );
    if !outcome.below.is_empty() {
        let _ = writeln!(out, "findings below {}:", report.fail_on);
        push_findings(&mut out, &outcome.below);
    }
    if !outcome.suppressed.is_empty() {
        let _ = writeln!(out, "suppressed findings (not counted):");
        push_findings(&mut out, &outcome.suppressed);
    }
    if stage.findings_truncated {
        let _ = writeln!(
            out,
            "the finding cap was reached: only the first {} findings are reported",
            stage.findings.len()
        );
    }
    for skipped in &stage.skipped {
        let _ = writeln!(out, "could not scan: {} — {}", skipped.path, skipped.reason);
    }
    for denied in &stage.denied {
        let _ = writeln!(
            out,
            "denied: {} {} — {}",
            denied.call, denied.target, denied.reason
        );
    }
    for note in &stage.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// One line per finding: `HIGH rule path:line:col message`. Only the
/// (already redacted) snippet could hold file content, and it is not shown.
fn push_findings(out: &mut String, findings: &[&Finding]) {
    for finding in findings {
        let _ = writeln!(
            out,
            "{} {} {} {}",
            finding.severity.as_str().to_uppercase(),
            finding.rule_id,
            finding.position(),
            finding.message
        );
    }
}

/// Milliseconds as JUnit's decimal seconds.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}
