//! `iac`: Cordon's built-in infrastructure-as-code scanner as a
//! `wasm32-wasip2` component. A thin shell around `cordon-iac-engine`: it
//! lists the granted files, reads those the engine would parse (Terraform,
//! CloudFormation, Kubernetes manifests, Dockerfiles, GitHub Actions
//! workflows), scans them as one set (so a Terraform module's variables and
//! references resolve across its files) and emits the findings.
//!
//! Options (`[stages.iac.options]`), besides every key of the engine's
//! `IacConfig` (`disabled-rules`, `severity`, `ignore`,
//! `inline-suppressions`, `unsuppressible-rules`):
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `include-ignored` | `false` | also scan files `.gitignore` excludes |
//! | `max-file-bytes` | 4 MiB | larger files are not scanned and are listed as skipped |
//! | `report-suppressed` | `false` | report each suppressed finding as an `info` finding naming what suppressed it |
//!
//! A file that is infrastructure code but does not parse is listed in
//! `skipped` with the parser's line and column (and reported as a low
//! `iac/parse-error` finding), never as clean. Writes the `iac-inventory`
//! artifact (resources by file and kind) when the pipeline grants it.

use std::collections::BTreeMap;

use cordon_iac_engine::{
    Engine, FileScan, IacConfig, PARSE_ERROR_RULE, Policy, SUPPRESSION_UNKNOWN_RULE,
    SUPPRESSION_WITHOUT_REASON_RULE, ScanReport, Suppressed, builtin_policies, is_candidate,
};
use cordon_sdk::prelude::*;

/// The artifact later stages may read.
pub const INVENTORY_ARTIFACT: &str = "iac-inventory";
pub const INVENTORY_MEDIA_TYPE: &str = "application/json";

/// Infrastructure files are small; a multi-megabyte "template" is generated
/// data, and parsing it whole would only cost memory.
const DEFAULT_MAX_FILE_BYTES: u64 = 4 << 20;
/// Keys this stage handles itself; everything else goes to the engine.
const STAGE_KEYS: [&str; 3] = ["include-ignored", "max-file-bytes", "report-suppressed"];
/// How many uncovered resource kinds a summary note names.
const NOTE_KINDS: usize = 10;

#[derive(Debug)]
struct Options {
    include_ignored: bool,
    max_file_bytes: u64,
    report_suppressed: bool,
    engine: IacConfig,
}

fn parse_options(json: &str) -> Result<Options, StageError> {
    let mut table = options_table(json)?;
    let flag = |table: &mut serde_json::Map<String, serde_json::Value>, key: &str| match table
        .remove(key)
    {
        None => Ok(false),
        Some(serde_json::Value::Bool(value)) => Ok(value),
        Some(_) => Err(StageError::InvalidOptions(format!(
            "`{key}` must be true or false"
        ))),
    };
    let include_ignored = flag(&mut table, "include-ignored")?;
    let report_suppressed = flag(&mut table, "report-suppressed")?;
    let max_file_bytes = match table.remove("max-file-bytes") {
        None => DEFAULT_MAX_FILE_BYTES,
        Some(value) => value.as_u64().filter(|bytes| *bytes > 0).ok_or_else(|| {
            StageError::InvalidOptions("`max-file-bytes` must be a positive integer".into())
        })?,
    };
    // The engine rejects unknown keys; its message names the key, and the
    // stage's own keys are added so the user sees every valid choice.
    let engine =
        IacConfig::from_json(&serde_json::Value::Object(table).to_string()).map_err(|error| {
            StageError::InvalidOptions(format!(
                "{error} (the stage itself also takes {})",
                STAGE_KEYS.map(|key| format!("`{key}`")).join(", ")
            ))
        })?;
    Ok(Options {
        include_ignored,
        max_file_bytes,
        report_suppressed,
        engine,
    })
}

fn severity(severity: cordon_iac_engine::Severity) -> Severity {
    match severity {
        cordon_iac_engine::Severity::Info => Severity::Info,
        cordon_iac_engine::Severity::Low => Severity::Low,
        cordon_iac_engine::Severity::Medium => Severity::Medium,
        cordon_iac_engine::Severity::High => Severity::High,
        cordon_iac_engine::Severity::Critical => Severity::Critical,
    }
}

fn to_rule(policy: &Policy) -> Rule {
    let mut help = policy.remediation.clone();
    if !policy.references.is_empty() {
        help.push_str("\n\nReferences: ");
        help.push_str(&policy.references.join(", "));
    }
    Rule::new(&policy.id, &policy.title, severity(policy.severity))
        .full_description(&format!(
            "{} ({}; theme: {}; applies to {})",
            policy.title,
            policy.framework,
            policy.theme,
            policy.kinds.join(", ")
        ))
        .help(&help)
        // In the rule itself, so SARIF shows every rule's theme, not only
        // those of rules that fired.
        .property("theme", policy.theme.to_string())
        .property("framework", policy.framework.to_string())
}

/// The engine's own findings about files and comments, not about resources.
fn hygiene_rules() -> [Rule; 3] {
    [
        Rule::new(
            PARSE_ERROR_RULE,
            "Infrastructure file does not parse",
            Severity::Low,
        )
        .help("Fix the syntax error at the reported line so the file can be checked; until then it is listed as not scanned."),
        Rule::new(
            SUPPRESSION_WITHOUT_REASON_RULE,
            "Suppression without a reason",
            Severity::Low,
        )
        .help("Say why the finding is accepted, e.g. `# cordon:allow iac/aws-s3-public-acl reason=\"static site\"`."),
        Rule::new(
            SUPPRESSION_UNKNOWN_RULE,
            "Suppression names no policy",
            Severity::Low,
        )
        .help("Fix the policy id in the comment (see the rule list) or remove the comment."),
    ]
}

/// Other tools' ids for each policy, to name them in the findings so a
/// team moving from Checkov can map its baselines.
struct Aliases(BTreeMap<String, Vec<String>>);

impl Aliases {
    fn of(engine: &Engine) -> Aliases {
        Aliases(
            engine
                .policies()
                .iter()
                .filter(|policy| !policy.aliases.is_empty())
                .map(|policy| (policy.id.clone(), policy.aliases.clone()))
                .collect(),
        )
    }

    /// Checkov ids are `CKV_*` / `CKV2_*`.
    fn checkov(&self, rule_id: &str) -> Vec<&str> {
        self.0
            .get(rule_id)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|alias| alias.starts_with("CKV"))
            .collect()
    }
}

fn to_finding(finding: &cordon_iac_engine::Finding, aliases: &Aliases) -> Finding {
    let line = finding.location.line;
    let column = finding.location.column;
    let mut out = Finding::new(
        &finding.rule_id,
        severity(finding.severity),
        &finding.message,
    )
    .at(&finding.path)
    .region(line, column, line, column)
    .fingerprint(finding.fingerprint.clone())
    .property("theme", finding.theme.to_string());
    if !finding.resource.is_empty() {
        out = out.property("resource", &finding.resource);
    }
    if !finding.references.is_empty() {
        out = out.property("references", finding.references.join(" "));
    }
    let checkov = aliases.checkov(&finding.rule_id);
    if !checkov.is_empty() {
        out = out.property("checkov-aliases", checkov.join(" "));
    }
    if !finding.remediation.is_empty() {
        out = out.property("remediation", &finding.remediation);
    }
    out
}

/// Emits findings, counts what the host's cap refuses and how findings were
/// suppressed.
struct Reporter<'a> {
    aliases: &'a Aliases,
    report_suppressed: bool,
    emitted: u64,
    over_limit: u64,
    /// Suppressed by `cordon:allow`, `checkov:skip` or `trivy:ignore`.
    inline: u64,
    /// Suppressed by an `ignore` entry of the options.
    by_options: u64,
    unevaluated: u64,
}

impl Reporter<'_> {
    fn report(&mut self, scan: &FileScan) -> Result<(), StageError> {
        for finding in &scan.findings {
            self.emit(to_finding(finding, self.aliases))?;
        }
        for suppressed in &scan.suppressed {
            self.suppressed(suppressed)?;
        }
        for unevaluated in &scan.unevaluated {
            // A value only known at deploy time: listed under --verbose,
            // never guessed into a finding or a pass.
            self.unevaluated += 1;
            log::debug(&format!(
                "{} not evaluated on {} at {}:{}: depends on `{}`",
                unevaluated.rule_id,
                unevaluated.resource,
                scan.path,
                unevaluated.location.line,
                unevaluated.expression
            ));
        }
        Ok(())
    }

    fn suppressed(&mut self, suppressed: &Suppressed) -> Result<(), StageError> {
        let by = &suppressed.by;
        let how = if by.syntax == "options" {
            self.by_options += 1;
            format!("an `ignore` option: {}", by.reason.as_deref().unwrap_or(""))
        } else {
            self.inline += 1;
            format!(
                "a {} comment on line {}{}",
                by.syntax,
                by.line,
                by.reason
                    .as_deref()
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_default()
            )
        };
        let f = &suppressed.finding;
        log::info(&format!(
            "suppressed {} at {}:{} by {how}",
            f.rule_id, f.path, f.location.line
        ));
        if self.report_suppressed {
            let mut finding = to_finding(f, self.aliases).property("suppressed-by", how.clone());
            finding.severity = Severity::Info;
            finding.message = format!("suppressed by {how}: {}", finding.message);
            self.emit(finding)?;
        }
        Ok(())
    }

    fn emit(&mut self, finding: Finding) -> Result<(), StageError> {
        if self.over_limit > 0 {
            self.over_limit += 1;
            return Ok(());
        }
        match findings::emit(&finding) {
            Ok(()) => self.emitted += 1,
            Err(AccessError::Limit(_)) => self.over_limit += 1,
            Err(error) => return Err(error.into()),
        }
        Ok(())
    }

    fn notes(&self, summary: &mut Summary) {
        let suppressed = self.inline + self.by_options;
        if suppressed > 0 {
            summary.note(format!(
                "{suppressed} finding(s) suppressed: {} by comments in the files, {} by `ignore` options",
                self.inline, self.by_options
            ));
        }
        if self.unevaluated > 0 {
            summary.note(format!(
                "{} check(s) not evaluated: they depend on values only known at deploy time (variables without defaults, intrinsic functions); `--verbose` lists them",
                self.unevaluated
            ));
        }
        if self.over_limit > 0 {
            summary.note(format!(
                "finding limit reached: {} further finding(s) were not reported",
                self.over_limit
            ));
        }
    }
}

/// Resource kinds no policy covers, counted rather than failed on.
fn uncovered_note(report: &ScanReport) -> Option<String> {
    if report.uncovered_kinds.is_empty() {
        return None;
    }
    let resources: usize = report.uncovered_kinds.values().sum();
    let mut kinds: Vec<(&String, &usize)> = report.uncovered_kinds.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let named: Vec<String> = kinds
        .iter()
        .take(NOTE_KINDS)
        .map(|(kind, count)| format!("{kind} ({count})"))
        .collect();
    let more = kinds.len().saturating_sub(NOTE_KINDS);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(format!(
        "{resources} resource(s) of {} kind(s) no policy covers: {}{more}",
        kinds.len(),
        named.join(", ")
    ))
}

/// The parse finding's message names the parser's line and column; the
/// engine's `not_scanned` alone does not.
fn skip_reason(scan: &FileScan, reason: &str) -> String {
    scan.findings
        .iter()
        .find(|finding| finding.rule_id == PARSE_ERROR_RULE)
        .map_or_else(|| reason.to_string(), |finding| finding.message.clone())
}

fn write_inventory(report: &ScanReport, summary: &mut Summary) -> Result<(), StageError> {
    let inventory = report.inventory();
    let resources: usize = inventory.by_kind.values().sum();
    summary.note(format!(
        "{resources} resource(s) in {} infrastructure file(s)",
        inventory.files.len()
    ));
    let bytes = serde_json::to_vec_pretty(&inventory)
        .map_err(|error| StageError::Failed(format!("iac inventory: {error}")))?;
    match artifacts::put(INVENTORY_ARTIFACT, INVENTORY_MEDIA_TYPE, &bytes) {
        Ok(()) => Ok(()),
        Err(AccessError::Denied(reason)) => {
            log::info(&format!(
                "`{INVENTORY_ARTIFACT}` artifact not written (not granted): {reason}"
            ));
            summary.note(format!(
                "`{INVENTORY_ARTIFACT}` artifact not written: the pipeline does not grant it"
            ));
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

struct Iac;

impl Stage for Iac {
    fn describe() -> StageInfo {
        // The built-in policies are checked by the engine's tests, so this
        // does not fail in a released build; if it ever did, `run` reports
        // the error instead of describe panicking.
        let policies = builtin_policies().unwrap_or_default();
        StageInfo::new(
            "iac",
            env!("CARGO_PKG_VERSION"),
            "Finds misconfigurations in Terraform, CloudFormation, Kubernetes manifests, Dockerfiles and GitHub Actions workflows, and inventories the resources they declare",
        )
        .rules(policies.iter().map(to_rule))
        .rules(hygiene_rules())
        .workspace()
        .writes_artifact(INVENTORY_ARTIFACT)
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let options = parse_options(&options)?;
        let engine = Engine::new()
            .map_err(|error| StageError::Failed(format!("built-in policies: {error}")))?
            .configure(&options.engine)
            .map_err(StageError::options)?;
        let aliases = Aliases::of(&engine);
        let mut summary = Summary::default();

        // Hidden files too: workflows live in `.github/`.
        let listed = workspace::list_files(WalkOptions {
            include_ignored: options.include_ignored,
            include_hidden: true,
        })?;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for file in listed {
            if !is_candidate(&file.path) {
                continue;
            }
            if file.size > options.max_file_bytes {
                summary.skip(
                    &file.path,
                    format!(
                        "{} bytes, more than max-file-bytes ({}); not scanned",
                        file.size, options.max_file_bytes
                    ),
                );
                continue;
            }
            match workspace::read(&file.path) {
                Ok(bytes) => files.push((file.path, bytes)),
                Err(error) => summary.skip(&file.path, error.describe()),
            }
        }

        let report = engine.scan(&files);
        let mut reporter = Reporter {
            aliases: &aliases,
            report_suppressed: options.report_suppressed,
            emitted: 0,
            over_limit: 0,
            inline: 0,
            by_options: 0,
            unevaluated: 0,
        };
        let mut unscanned = Vec::new();
        for scan in &report.files {
            if let Some(reason) = &scan.not_scanned {
                summary.skip(&scan.path, skip_reason(scan, reason));
                unscanned.push(scan.path.as_str());
            }
            reporter.report(scan)?;
        }
        // Every candidate read and not refused was examined, IaC or not
        // (a YAML file that is neither Kubernetes nor CloudFormation).
        for (path, bytes) in &files {
            if !unscanned.contains(&path.as_str()) {
                summary.files_scanned += 1;
                summary.bytes_scanned += bytes.len() as u64;
            }
        }

        write_inventory(&report, &mut summary)?;
        if let Some(note) = uncovered_note(&report) {
            summary.note(note);
        }
        reporter.notes(&mut summary);
        log::info(&format!(
            "{} finding(s) in {} infrastructure file(s), {} skipped",
            reporter.emitted,
            report.files.len(),
            summary.skipped.len()
        ));
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Iac);

#[cfg(test)]
mod tests;
