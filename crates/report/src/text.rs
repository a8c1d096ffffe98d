//! The terminal summary.
//!
//! ```text
//! secrets  completed  2 findings (1 critical, 1 high)  42 files, 1.2 MiB  1.20s
//!   CRITICAL secrets/aws-access-key  config/prod env/.env:3:5  AWS access key
//!   HIGH     secrets/github-pat      src/main.rs:10:1  GitHub token (commit 0123456789ab)
//!   could not scan: assets/huge.bin — larger than max_file_bytes
//!   denied: 2 host calls (workspace.read ×2)
//!   note: 3 rules disabled by configuration
//! audit    ERRORED (timeout)  the stage ran longer than 30s
//!
//! 2 stages, 2 findings (1 critical, 1 high), 1 file not scanned, 3.40s
//! FAIL: stage audit did not complete; 2 findings at or above high
//! ```
//!
//! Stages in pipeline order, findings by severity (highest first, the
//! stage's order within a severity), the first 20 of a stage listed and the
//! rest counted; files not scanned grouped by reason and repeated notes
//! counted, so a large run stays readable. Findings a suppression hides are
//! counted per stage and never in the totals or the verdict; `verbose` lists
//! them, marked `[suppressed, kind: justification]`. `verbose` adds each finding's redacted
//! snippet, each denied call with its target and reason, and the plugin's
//! identity. Everything a plugin wrote is shown with control and
//! bidirectional-override characters escaped, so a stage cannot move the
//! cursor, recolour or fake the verdict line.

use std::fmt::Write;

use owo_colors::{OwoColorize, Style};

use crate::model::{RunReport, Severity, SeverityCounts, StageReport, StageStatus};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours (the caller decides: a TTY, `NO_COLOR`, `--color`).
    pub color: bool,
    pub verbose: bool,
}

/// The summary, ending with the verdict line and a newline.
pub fn render(report: &RunReport, options: &TextOptions) -> String {
    let painter = Painter {
        color: options.color,
    };
    let name_width = report
        .stages
        .iter()
        .map(|s| clean(&s.name).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for stage in &report.stages {
        render_stage(&mut out, stage, name_width, options, &painter);
    }
    if !report.stages.is_empty() {
        out.push('\n');
    }
    render_totals(&mut out, report, &painter);
    out
}

/// How many failing findings [`next_steps`] spells out; the rest are counted.
const NEXT_STEPS_SHOWN: usize = 3;

/// What to do about a failing run, for a person at a terminal or behind a
/// blocked push: for the worst findings at or above `fail_on`, the rule's
/// remediation, the fingerprint, and the commands that explain, accept or
/// allow it. Empty when nothing fails on findings. Everything a plugin
/// wrote is escaped, as in [`render`].
pub fn next_steps(report: &RunReport) -> String {
    let mut failing: Vec<(&StageReport, &crate::model::Finding)> = report
        .stages
        .iter()
        .flat_map(|stage| stage.live_findings().map(move |f| (stage, f)))
        .filter(|(_, f)| f.severity >= report.fail_on)
        .collect();
    if failing.is_empty() {
        return String::new();
    }
    failing.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    let mut out = String::from("What to do next:\n");
    for (stage, finding) in failing.iter().take(NEXT_STEPS_SHOWN) {
        let place = finding
            .location
            .as_ref()
            .map_or_else(|| "(no location)".to_string(), |l| clean(&l.position()));
        let _ = writeln!(
            out,
            "  {} {}  {place}\n    fingerprint {}",
            finding.severity.as_str().to_uppercase(),
            clean(&finding.rule_id),
            clean(&finding.fingerprint)
        );
        if let Some(rule) = stage.rules.iter().find(|r| r.id == finding.rule_id)
            && !rule.help.is_empty()
        {
            let _ = writeln!(out, "    fix: {}", clean(&rule.help));
        }
        let rule = clean(&finding.rule_id);
        let _ = writeln!(out, "    more: cordon explain {rule}");
        match stage.name.as_str() {
            "secrets" => {
                let _ = writeln!(
                    out,
                    "    not a secret: add a `cordon:allow` comment on that line, or an `allow-values` pattern in [stages.secrets.options]\n    \
                     accept what is there today: cordon secrets baseline (commit .cordon/secrets-baseline.json; only new ones fail)"
                );
            }
            "audit" => {
                let _ = writeln!(
                    out,
                    "    accept the risk for now: [stages.audit.options] ignore = [{{ id = \"{rule}\", reason = \"…\", until = \"YYYY-MM-DD\" }}]"
                );
            }
            _ => {}
        }
    }
    if failing.len() > NEXT_STEPS_SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more at or above {} (see the summary above)",
            failing.len() - NEXT_STEPS_SHOWN,
            report.fail_on
        );
    }
    out.push_str(
        "  from the pre-push hook, after fixing: rewrite the commit (git commit --amend, or git rebase -i) so the secret is not in history; `git push --no-verify` skips the hook once\n",
    );
    out
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::new().bright_red().bold(),
        Severity::High => Style::new().red(),
        Severity::Medium => Style::new().yellow(),
        Severity::Low => Style::new().blue(),
        Severity::Info => Style::new().dimmed(),
    }
}

fn render_stage(
    out: &mut String,
    stage: &StageReport,
    name_width: usize,
    options: &TextOptions,
    painter: &Painter,
) {
    let name = format!("{:<name_width$}", clean(&stage.name));
    let name = painter.paint(&name, Style::new().bold());
    let counts = stage.counts_by_severity();
    // `write!` into a `String` cannot fail; the results are ignored.
    match &stage.status {
        StageStatus::Completed => {
            let _ = writeln!(
                out,
                "{name}  {}  {}  {} {}, {}  {}",
                painter.paint("completed", Style::new().green()),
                findings_phrase(&counts),
                stage.files_scanned,
                plural(stage.files_scanned, "file", "files"),
                bytes(stage.bytes_scanned),
                duration(stage.duration_ms),
            );
        }
        StageStatus::Errored { kind, message } => {
            let _ = writeln!(
                out,
                "{name}  {}  {}  {}  {}",
                painter.paint(&format!("ERRORED ({kind})"), Style::new().red().bold()),
                clean(message),
                findings_phrase(&counts),
                duration(stage.duration_ms),
            );
        }
        StageStatus::Skipped { reason } => {
            let _ = writeln!(
                out,
                "{name}  {}  {}",
                painter.paint("SKIPPED", Style::new().yellow().bold()),
                clean(reason),
            );
        }
    }

    if options.verbose
        && let Some(plugin) = &stage.plugin
    {
        let _ = writeln!(
            out,
            "  plugin {} {} from {} (sha256 {})",
            clean(&plugin.name),
            clean(&plugin.version),
            clean(&plugin.source),
            clean(plugin.sha256.get(..16).unwrap_or(&plugin.sha256)),
        );
    }
    if options.verbose
        && let Some(used) = &stage.resources
    {
        let _ = writeln!(
            out,
            "  resources: {} wall, {} cpu, {} peak memory, {} read, {} host calls",
            duration(used.wall_ms),
            duration(used.cpu_ms),
            bytes(used.peak_memory_bytes),
            bytes(used.bytes_read),
            used.host_calls
        );
    }

    // Suppressed findings are listed only when verbose (marked), and
    // counted otherwise: they are not what a reader must act on.
    let suppressed: Vec<_> = stage.suppressed_findings().collect();
    let mut findings: Vec<_> = stage.live_findings().collect();
    if options.verbose {
        findings.extend(suppressed.iter().copied());
    }
    // Stable: the stage's order is kept within a severity.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let rule_width = findings
        .iter()
        .map(|f| clean(&f.rule_id).chars().count())
        .max()
        .unwrap_or(0);
    let hidden = if options.verbose {
        0
    } else {
        findings.len().saturating_sub(MAX_FINDINGS_SHOWN)
    };
    let hidden_findings = findings.split_off(findings.len() - hidden);
    for finding in findings {
        let label = format!("{:<8}", finding.severity.as_str().to_uppercase());
        let suppression = match finding.suppression() {
            Some(suppression) => {
                let justification = suppression
                    .justification
                    .map(|j| format!(": {}", clean(&j)))
                    .unwrap_or_default();
                let mark = format!("[suppressed, {}{justification}]", suppression.kind.as_str());
                format!("  {}", painter.paint(&mark, Style::new().dimmed()))
            }
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {:<rule_width$}  {}  {}{}",
            painter.paint(&label, severity_style(finding.severity)),
            clean(&finding.rule_id),
            clean(&finding.position()),
            clean(&finding.message),
            suppression,
        );
        if options.verbose
            && let Some(snippet) = finding.snippet.as_deref().filter(|s| !s.is_empty())
        {
            // The stage redacted the snippet; it is the only file content shown.
            let _ = writeln!(out, "           | {}", clean(snippet));
        }
    }
    if !hidden_findings.is_empty() {
        let mut counts = SeverityCounts::default();
        for finding in &hidden_findings {
            counts.add(finding.severity);
        }
        let _ = writeln!(
            out,
            "  … and {} more ({}); --verbose or a --report lists every one",
            hidden_findings.len(),
            severity_list(&counts)
        );
    }
    if !options.verbose && !suppressed.is_empty() {
        let _ = writeln!(
            out,
            "  {} suppressed {} not counted (--verbose lists them)",
            suppressed.len(),
            plural(suppressed.len() as u64, "finding", "findings"),
        );
    }
    if stage.findings_truncated {
        let _ = writeln!(
            out,
            "  {}",
            painter.paint(
                &format!(
                    "the finding cap was reached: only the first {} findings are shown",
                    stage.findings.len()
                ),
                Style::new().yellow(),
            )
        );
    }
    render_skipped(out, stage, options, painter);
    render_denied(out, stage, options, painter);
    for (note, count) in grouped(stage.notes.iter().map(String::as_str)) {
        match count {
            1 => {
                let _ = writeln!(out, "  note: {}", clean(note));
            }
            n => {
                let _ = writeln!(out, "  note: {} (×{n})", clean(note));
            }
        }
    }
}

/// Findings listed per stage before the rest are only counted (all are
/// listed with `verbose`, and every report format has them all).
const MAX_FINDINGS_SHOWN: usize = 20;

/// Files listed per reason a stage could not scan them, before the rest
/// are only counted (all with `verbose`).
const MAX_SKIPPED_SHOWN: usize = 3;

/// Files a stage could not scan, grouped by reason: a registry of 259
/// binary files is one line, not 259.
fn render_skipped(out: &mut String, stage: &StageReport, options: &TextOptions, painter: &Painter) {
    let label = painter.paint("could not scan:", Style::new().yellow());
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for skipped in &stage.skipped {
        match reasons.iter_mut().find(|(r, _)| *r == skipped.reason) {
            Some((_, paths)) => paths.push(&skipped.path),
            None => reasons.push((&skipped.reason, vec![&skipped.path])),
        }
    }
    for (reason, paths) in reasons {
        if options.verbose || paths.len() <= MAX_SKIPPED_SHOWN {
            for path in paths {
                let _ = writeln!(out, "  {label} {} — {}", clean(path), clean(reason));
            }
            continue;
        }
        let examples: Vec<String> = paths
            .iter()
            .take(MAX_SKIPPED_SHOWN)
            .map(|p| clean(p))
            .collect();
        let _ = writeln!(
            out,
            "  {label} {} files — {} (e.g. {}, …)",
            paths.len(),
            clean(reason),
            examples.join(", ")
        );
    }
}

/// Each distinct line once, with how often it came, in first-seen order.
fn grouped<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for line in lines {
        match groups.iter_mut().find(|(l, _)| *l == line) {
            Some((_, count)) => *count += 1,
            None => groups.push((line, 1)),
        }
    }
    groups
}

/// Denied host calls: counted per call, or listed one by one when verbose.
fn render_denied(out: &mut String, stage: &StageReport, options: &TextOptions, painter: &Painter) {
    if stage.denied.is_empty() {
        return;
    }
    let label = painter.paint("denied:", Style::new().magenta());
    if options.verbose {
        for denied in &stage.denied {
            let _ = writeln!(
                out,
                "  {label} {} {} — {}",
                clean(&denied.call),
                clean(&denied.target),
                clean(&denied.reason)
            );
        }
        return;
    }
    let mut per_call: Vec<(&str, usize)> = Vec::new();
    for denied in &stage.denied {
        match per_call.iter_mut().find(|(call, _)| *call == denied.call) {
            Some((_, count)) => *count += 1,
            None => per_call.push((&denied.call, 1)),
        }
    }
    let calls: Vec<String> = per_call
        .iter()
        .map(|(call, count)| format!("{} ×{count}", clean(call)))
        .collect();
    let total = stage.denied.len() as u64;
    let _ = writeln!(
        out,
        "  {label} {total} host {} ({})",
        plural(total, "call", "calls"),
        calls.join(", ")
    );
}

fn render_totals(out: &mut String, report: &RunReport, painter: &Painter) {
    let counts = report.counts_by_severity();
    let stages = report.stages.len() as u64;
    let not_scanned: u64 = report.stages.iter().map(|s| s.skipped.len() as u64).sum();
    let mut totals = format!(
        "{stages} {}, {}",
        plural(stages, "stage", "stages"),
        findings_phrase(&counts)
    );
    if not_scanned > 0 {
        let _ = write!(
            totals,
            ", {not_scanned} {} not scanned",
            plural(not_scanned, "file", "files")
        );
    }
    let _ = writeln!(out, "{totals}, {}", duration(report.duration_ms));

    let mut problems = Vec::new();
    for stage in &report.stages {
        match stage.status {
            StageStatus::Completed => {}
            StageStatus::Errored { .. } => {
                problems.push(format!("stage {} did not complete", clean(&stage.name)))
            }
            StageStatus::Skipped { .. } => {
                problems.push(format!("stage {} was not run", clean(&stage.name)))
            }
        }
    }
    for stage in report.stages.iter().filter(|s| s.findings_truncated) {
        problems.push(format!(
            "stage {} reached its findings cap",
            clean(&stage.name)
        ));
    }
    let failing = counts.at_or_above(report.fail_on);
    if failing > 0 {
        problems.push(format!(
            "{failing} {} at or above {}",
            plural(failing as u64, "finding", "findings"),
            report.fail_on
        ));
    }
    let verdict = if problems.is_empty() {
        painter.paint(
            &format!("ok: nothing at or above {}", report.fail_on),
            Style::new().green().bold(),
        )
    } else {
        painter.paint(
            &format!("FAIL: {}", problems.join("; ")),
            Style::new().red().bold(),
        )
    };
    let _ = writeln!(out, "{verdict}");
}

/// `no findings` or `3 findings (1 critical, 2 high)`.
fn findings_phrase(counts: &SeverityCounts) -> String {
    let total = counts.total();
    if total == 0 {
        return "no findings".to_string();
    }
    format!(
        "{total} {} ({})",
        plural(total as u64, "finding", "findings"),
        severity_list(counts)
    )
}

/// `1 critical, 2 high`: the non-zero counts, highest first.
fn severity_list(counts: &SeverityCounts) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    parts.join(", ")
}

fn plural<'a>(count: u64, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}.{:02}s", ms / 1000, (ms % 1000) / 10)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Plugin-controlled text made safe for a terminal: control characters
/// (ESC, CR, newlines…) and bidirectional overrides are shown escaped.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_control() {
        assert_eq!(clean("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\\nc");
        assert_eq!(clean("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(clean("ünï <&>"), "ünï <&>");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(1234), "1.23s");
        assert_eq!(duration(123_000), "2m03s");
        assert_eq!(bytes(10), "10 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(u64::MAX), "16777216.0 TiB");
    }
}
