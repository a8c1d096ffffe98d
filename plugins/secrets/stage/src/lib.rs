//! `secrets`: Cordon's built-in secret scanner as a `wasm32-wasip2`
//! component. A thin shell around the `cordon-secrets` engine: it lists and
//! reads files (or a commit range's added lines) through the host, hands the
//! bytes to the engine and emits its already-redacted findings.
//!
//! Options (`[stages.secrets.options]`), besides every key of the engine's
//! `ScannerConfig` (`rules`, `disabled-rules`, `allow-paths`, `allow-values`,
//! `inline-allow`, `max-decode-depth`, `generic-min-entropy`):
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `baseline` | `.cordon/secrets-baseline.json` if present | workspace-relative path of a baseline JSON file whose fingerprints are suppressed; `false` for none (and for no `.gitleaksignore`) |
//! | `gitleaks-config` | `false` | `true` (for `.gitleaks.toml`) or a workspace-relative path: read that gitleaks configuration's rules and allow-lists (see the engine's `GitleaksConfig`); not read when `baseline = false` |
//! | `include-ignored` | `false` | also scan files `.gitignore` excludes (working-tree scans) |
//! | `max-file-bytes` | 16 MiB | larger files are not scanned and are listed as skipped |
//! | `unsuppressible-rules` | `[]` | rule ids (a trailing `*` matches a prefix) whose findings no baseline, comment or allow-list may suppress; such a finding is reported with the suppression it refused |
//! | `report-suppressed` | `"marked"` | how a suppressed finding is reported: `"marked"` at its own severity, marked suppressed (see below); `true` or `"info"` marked and lowered to `info`, its message naming what suppressed it; `false` or `"none"` not reported, only logged and counted in a note |
//! | `max-suppressed-findings` | 1000 | suppressed findings reported per run, after every live one; the rest are counted in a note |
//! | `archives` | `true` | scan zip (jar, war, apk, whl, nupkg, …), tar and gzip (tar.gz) files member by member; `false` scans them as plain files |
//! | `max-archive-depth` | 4 | archives inside archives followed (the outermost counts as 1) |
//! | `max-archive-bytes` | 256 MiB | bytes decompressed per archive, nested ones included |
//! | `max-archive-members` | 10000 | members looked at per archive |
//!
//! Suppressed findings are reported, not dropped, so SARIF consumers (GitHub
//! code scanning) see them as suppressed and close their alerts instead of
//! reopening them. Each carries the properties `suppression-kind`
//! (`inSource` for a `cordon:allow`/`gitleaks:allow` comment, `external` for
//! the baseline, `.gitleaksignore` and allow-lists), `suppression-justification`
//! (what suppressed it) and, for the baseline, `baseline-state = unchanged`;
//! the report crate renders them as SARIF `suppressions`/`baselineState` and
//! never counts them against `--fail-on`. They are emitted after every live
//! finding, so a live finding is never refused for room a suppressed one
//! took (at the cap the host may still displace a less severe live finding
//! for a more severe suppressed one; the run is then incomplete anyway).
//!
//! Archives are recognised by their first bytes. A member's findings are
//! located at the archive's path with the member (nested ones joined by
//! `!/`, `lib/inner.jar!/app.properties`) in the location's `member`; a
//! member is never larger than `max-file-bytes` once decompressed. What a
//! bound stops, and what cannot be read (encrypted members, compression
//! other than stored/deflate), is listed in `skipped` as
//! `archive!/member`, never left out silently. An archive that cannot be
//! opened is scanned as a plain file, with a note.
//!
//! A `.gitleaksignore` at the workspace root is honoured as gitleaks does
//! (`path:rule-id:line` and `commit:path:rule-id:line` fingerprints) unless
//! `baseline = false`; `gitleaks:allow` comments count like `cordon:allow`.
//!
//! Large files: a file above `max-file-bytes` is listed in `skipped` with its
//! size, never reported clean. Reading it in chunks would bound memory too,
//! but would split multi-line secrets (PEM keys) and line numbering across
//! chunk edges; a skip is honest and the limit is configurable.
//!
//! No raw secret leaves this crate: findings, logs, notes and errors only
//! carry the engine's redacted forms and fingerprints.

use std::collections::HashSet;

use cordon_sdk::prelude::*;
use cordon_secrets::archive::{self, ArchiveLimits, NEST_SEPARATOR};
use cordon_secrets::{
    Baseline, FileScan, GitleaksConfig, GitleaksIgnore, Scanner, ScannerConfig, SuppressionReason,
};

const DEFAULT_MAX_FILE_BYTES: u64 = 16 << 20;
/// Keys this stage handles itself; everything else goes to the engine.
const STAGE_KEYS: [&str; 11] = [
    "baseline",
    "gitleaks-config",
    "include-ignored",
    "max-file-bytes",
    "unsuppressible-rules",
    "report-suppressed",
    "max-suppressed-findings",
    "archives",
    "max-archive-depth",
    "max-archive-bytes",
    "max-archive-members",
];
const DEFAULT_MAX_SUPPRESSED_FINDINGS: u64 = 1000;

/// Which baseline applies.
#[derive(Debug, PartialEq)]
enum BaselineChoice {
    /// [`DEFAULT_BASELINE`] if the workspace has one.
    Default,
    /// `baseline = "path"`.
    File(String),
    /// `baseline = false`: report everything (how `cordon secrets baseline`
    /// collects the findings to accept).
    Off,
}

/// The stage-level options, split off before the engine sees the rest.
#[derive(Debug)]
struct StageOptions {
    baseline: BaselineChoice,
    /// A `.gitleaks.toml` whose rules and allow-lists to read.
    gitleaks_config: Option<String>,
    include_ignored: bool,
    max_file_bytes: u64,
    suppressions: SuppressionPolicy,
    /// `None` when `archives = false`.
    archives: Option<ArchiveLimits>,
    scanner: ScannerConfig,
}

/// What suppressions may do (set by an organisation policy through the runner).
#[derive(Debug, Default, Clone)]
struct SuppressionPolicy {
    /// Rule ids, or prefixes ending in `*`, that cannot be suppressed.
    unsuppressible: Vec<String>,
    /// How suppressed findings are reported.
    report: ReportSuppressed,
    /// Suppressed findings reported per run; the rest are counted.
    max_reported: u64,
}

/// The `report-suppressed` option.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ReportSuppressed {
    /// At their own severity, marked suppressed (the default).
    #[default]
    Marked,
    /// Marked, and lowered to `info` with a message naming the suppression
    /// (`true`, what an organisation policy's `report-suppressions` sets).
    Info,
    /// Not reported; only logged and counted (`false`).
    None,
}

impl SuppressionPolicy {
    fn refuses(&self, rule_id: &str) -> bool {
        self.unsuppressible
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => rule_id.starts_with(prefix),
                None => rule_id == pattern,
            })
    }
}

fn parse_options(json: &str) -> Result<StageOptions, StageError> {
    let mut table = options_table(json)?;
    let baseline = match table.remove("baseline") {
        None | Some(serde_json::Value::Bool(true)) => BaselineChoice::Default,
        Some(serde_json::Value::Bool(false)) => BaselineChoice::Off,
        Some(serde_json::Value::String(path)) if !path.trim().is_empty() => {
            BaselineChoice::File(path)
        }
        Some(_) => {
            return Err(StageError::InvalidOptions(
                "`baseline` must be a workspace-relative path, or false".into(),
            ));
        }
    };
    let gitleaks_config = match table.remove("gitleaks-config") {
        None | Some(serde_json::Value::Bool(false)) => None,
        Some(serde_json::Value::Bool(true)) => Some(DEFAULT_GITLEAKS_CONFIG.to_string()),
        Some(serde_json::Value::String(path)) if !path.trim().is_empty() => Some(path),
        Some(_) => {
            return Err(StageError::InvalidOptions(
                "`gitleaks-config` must be true (for .gitleaks.toml), a workspace-relative path, or false".into(),
            ));
        }
    };
    let include_ignored = match table.remove("include-ignored") {
        None => false,
        Some(serde_json::Value::Bool(value)) => value,
        Some(_) => {
            return Err(StageError::InvalidOptions(
                "`include-ignored` must be true or false".into(),
            ));
        }
    };
    let unsuppressible = match table.remove("unsuppressible-rules") {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(rule) => Ok(rule),
                _ => Err(StageError::InvalidOptions(
                    "`unsuppressible-rules` must be a list of rule ids".into(),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(StageError::InvalidOptions(
                "`unsuppressible-rules` must be a list of rule ids".into(),
            ));
        }
    };
    let report_suppressed = match table.remove("report-suppressed") {
        None => ReportSuppressed::Marked,
        Some(serde_json::Value::Bool(true)) => ReportSuppressed::Info,
        Some(serde_json::Value::Bool(false)) => ReportSuppressed::None,
        Some(serde_json::Value::String(value)) if value == "marked" => ReportSuppressed::Marked,
        Some(serde_json::Value::String(value)) if value == "info" => ReportSuppressed::Info,
        Some(serde_json::Value::String(value)) if value == "none" => ReportSuppressed::None,
        Some(_) => {
            return Err(StageError::InvalidOptions(
                "`report-suppressed` must be \"marked\", \"info\" (or true), or \"none\" (or false)"
                    .into(),
            ));
        }
    };
    let max_suppressed = match table.remove("max-suppressed-findings") {
        None => DEFAULT_MAX_SUPPRESSED_FINDINGS,
        Some(value) => value.as_u64().ok_or_else(|| {
            StageError::InvalidOptions(
                "`max-suppressed-findings` must be a non-negative integer".into(),
            )
        })?,
    };
    let archives = match table.remove("archives") {
        None | Some(serde_json::Value::Bool(true)) => true,
        Some(serde_json::Value::Bool(false)) => false,
        Some(_) => {
            return Err(StageError::InvalidOptions(
                "`archives` must be true or false".into(),
            ));
        }
    };
    let defaults = ArchiveLimits::default();
    let mut positive = |key: &str, default: u64| -> Result<u64, StageError> {
        match table.remove(key) {
            None => Ok(default),
            Some(value) => value.as_u64().filter(|&n| n > 0).ok_or_else(|| {
                StageError::InvalidOptions(format!("`{key}` must be a positive integer"))
            }),
        }
    };
    let max_depth = positive("max-archive-depth", u64::from(defaults.max_depth))?;
    let max_total_bytes = positive("max-archive-bytes", defaults.max_total_bytes)?;
    let max_members = positive("max-archive-members", defaults.max_members)?;
    let max_file_bytes = match table.remove("max-file-bytes") {
        None => DEFAULT_MAX_FILE_BYTES,
        Some(value) => value.as_u64().filter(|&n| n > 0).ok_or_else(|| {
            StageError::InvalidOptions("`max-file-bytes` must be a positive integer".into())
        })?,
    };
    let scanner = ScannerConfig::from_json(&serde_json::Value::Object(table).to_string()).map_err(
        |error| {
            // The engine lists only its own keys; name the stage's too.
            let message = error.to_string();
            if message.contains("unknown field") {
                StageError::InvalidOptions(format!(
                    "{message}; this stage also accepts {}",
                    STAGE_KEYS.map(|k| format!("`{k}`")).join(", ")
                ))
            } else {
                StageError::InvalidOptions(message)
            }
        },
    )?;
    Ok(StageOptions {
        baseline,
        gitleaks_config,
        include_ignored,
        max_file_bytes,
        suppressions: SuppressionPolicy {
            unsuppressible,
            report: report_suppressed,
            max_reported: max_suppressed,
        },
        archives: archives.then_some(ArchiveLimits {
            max_depth: u32::try_from(max_depth).unwrap_or(u32::MAX),
            max_total_bytes,
            // A member is a file: it gets no more room than one.
            max_member_bytes: max_file_bytes,
            max_members,
        }),
        scanner,
    })
}

fn severity(severity: cordon_secrets::Severity) -> Severity {
    match severity {
        cordon_secrets::Severity::Info => Severity::Info,
        cordon_secrets::Severity::Low => Severity::Low,
        cordon_secrets::Severity::Medium => Severity::Medium,
        cordon_secrets::Severity::High => Severity::High,
        cordon_secrets::Severity::Critical => Severity::Critical,
    }
}

fn to_rule(rule: cordon_secrets::RuleDescriptor) -> Rule {
    Rule::new(
        &rule.id,
        &rule.short_description,
        severity(rule.default_severity),
    )
    .full_description(&rule.full_description)
    .help(&rule.help)
}

/// An archive member a finding is in: the engine scanned it under
/// `archive!/member`, the report locates it at the archive with the member.
struct Member<'a> {
    archive: &'a str,
    name: &'a str,
}

/// The engine finding as a WIT finding. Every text field comes from the
/// engine, which only ever holds redacted forms.
fn to_finding(
    finding: &cordon_secrets::Finding,
    origin: Option<&Origin>,
    member: Option<&Member>,
) -> Finding {
    let region = finding.region;
    let mut out = Finding::new(
        &finding.rule_id,
        severity(finding.severity),
        &finding.message,
    )
    .at(&finding.path)
    .region(
        region.start_line,
        region.start_column,
        region.end_line,
        region.end_column,
    )
    .fingerprint(&finding.fingerprint)
    .property("redacted", &finding.redacted);
    if let Some(offset) = finding.byte_offset {
        out = out.byte_offset(offset);
    }
    if let Some(origin) = origin {
        out = out
            .commit(origin.commit)
            .property("author-date", &origin.author_date);
        out.message = format!(
            "{} (added in commit {} on {})",
            out.message,
            &origin.commit[..origin.commit.len().min(12)],
            origin.author_date
        );
    }
    if let Some(snippet) = &finding.snippet {
        out = out.snippet(snippet);
    }
    if let Some(via) = &finding.decoded_via {
        out = out.property("decoded-via", via);
    }
    for (key, value) in &finding.properties {
        out = out.property(key, value);
    }
    if let (Some(member), Some(location)) = (member, out.location.as_mut()) {
        location.path = member.archive.to_string();
        location.member = Some(member.name.to_string());
    }
    out
}

/// The SARIF suppression kind of a reason: a comment in the scanned file
/// is `inSource`; everything kept outside it is `external`.
fn suppression_kind(reason: &SuppressionReason) -> &'static str {
    match reason {
        SuppressionReason::InlineAllow { .. } => "inSource",
        SuppressionReason::Baseline
        | SuppressionReason::GitleaksIgnore { .. }
        | SuppressionReason::PathAllowlist { .. }
        | SuppressionReason::PathPattern { .. }
        | SuppressionReason::ValueAllowlist { .. } => "external",
    }
}

/// A suppressed engine finding as a WIT finding marked with the
/// `suppression-*` properties (and `baseline-state` for the baseline) the
/// report crate reads; `baseline` names the baseline file.
fn to_suppressed_finding(
    suppressed: &cordon_secrets::Suppressed,
    origin: Option<&Origin>,
    member: Option<&Member>,
    baseline: Option<&str>,
    report: ReportSuppressed,
) -> Finding {
    let reason = &suppressed.reason;
    let justification = match (reason, baseline) {
        (SuppressionReason::Baseline, Some(path)) => format!("accepted in baseline {path}"),
        _ => reason.to_string(),
    };
    let mut finding = to_finding(&suppressed.finding, origin, member)
        .property("suppression-kind", suppression_kind(reason))
        .property("suppression-justification", &justification);
    if *reason == SuppressionReason::Baseline {
        finding = finding.property("baseline-state", "unchanged");
    }
    if report == ReportSuppressed::Info {
        finding = finding.property("suppressed-by", reason.to_string());
        finding.severity = Severity::Info;
        finding.message = format!("suppressed ({reason}): {}", finding.message);
    }
    finding
}

/// Counts and emits across files; stops emitting (but keeps scanning, so the
/// summary stays true) when the host's finding cap is reached.
#[derive(Default)]
struct Reporter {
    suppressions: SuppressionPolicy,
    /// The baseline file in use, for the justification of what it accepts.
    baseline_path: Option<String>,
    /// Suppressed findings held back until every live one is emitted, so
    /// that none can take a live finding's place under the host's cap.
    deferred: Vec<(String, Finding)>,
    /// Suppressed findings over `max-suppressed-findings`, not reported.
    suppressed_unreported: u64,
    /// Suppressions refused because the rule is unsuppressible.
    refused: u64,
    emitted: u64,
    over_limit: u64,
    baseline: u64,
    inline: u64,
    allowlisted: u64,
    /// Fingerprints already reported: in a history scan the same secret in
    /// the same file is reported once, at the oldest commit that added it.
    seen: HashSet<String>,
    duplicates: u64,
    /// Archives expanded, and their members scanned.
    archives: u64,
    archive_members: u64,
}

impl Reporter {
    fn report(
        &mut self,
        scan: &FileScan,
        origin: Option<&Origin>,
        member: Option<&Member>,
    ) -> Result<(), StageError> {
        for suppressed in &scan.suppressed {
            // Listed (at info level, shown by `cordon run --verbose`) so a
            // suppression never hides a finding silently; the finding is
            // already redacted.
            let f = &suppressed.finding;
            if self.suppressions.refuses(&f.rule_id) {
                // Reported like any finding, saying what tried to hide it.
                let finding = to_finding(f, origin, member)
                    .property("suppression-refused", suppressed.reason.to_string());
                self.refused += 1;
                self.emit(&f.fingerprint, finding)?;
                continue;
            }
            log::info(&format!(
                "suppressed {} at {}:{} ({}): {}",
                f.rule_id, f.path, f.region.start_line, suppressed.reason, f.redacted
            ));
            if self.suppressions.report != ReportSuppressed::None {
                if (self.deferred.len() as u64) < self.suppressions.max_reported {
                    let finding = to_suppressed_finding(
                        suppressed,
                        origin,
                        member,
                        self.baseline_path.as_deref(),
                        self.suppressions.report,
                    );
                    self.deferred.push((f.fingerprint.clone(), finding));
                } else {
                    self.suppressed_unreported += 1;
                }
            }
            match suppressed.reason {
                SuppressionReason::Baseline | SuppressionReason::GitleaksIgnore { .. } => {
                    self.baseline += 1
                }
                SuppressionReason::InlineAllow { .. } => self.inline += 1,
                SuppressionReason::PathAllowlist { .. }
                | SuppressionReason::PathPattern { .. }
                | SuppressionReason::ValueAllowlist { .. } => self.allowlisted += 1,
            }
        }
        for finding in &scan.findings {
            self.emit(&finding.fingerprint, to_finding(finding, origin, member))?;
        }
        Ok(())
    }

    /// Emits the suppressed findings held back, after every live one.
    fn flush_suppressed(&mut self) -> Result<(), StageError> {
        for (fingerprint, finding) in std::mem::take(&mut self.deferred) {
            self.emit(&fingerprint, finding)?;
        }
        Ok(())
    }

    /// Emits once per fingerprint, counting what the host's cap refuses.
    fn emit(&mut self, fingerprint: &str, finding: Finding) -> Result<(), StageError> {
        if !self.seen.insert(fingerprint.to_string()) {
            self.duplicates += 1;
            return Ok(());
        }
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
        if self.refused > 0 {
            summary.note(format!(
                "{} suppression(s) refused: the rule may not be suppressed here (policy)",
                self.refused
            ));
        }
        let suppressed = self.baseline + self.inline + self.allowlisted;
        if suppressed > 0 {
            summary.note(format!(
                "{suppressed} finding(s) suppressed: {} by the baseline or {GITLEAKS_IGNORE}, {} by `cordon:allow`/`gitleaks:allow` comments, {} by allow-paths/allow-values",
                self.baseline, self.inline, self.allowlisted
            ));
        }
        if self.suppressed_unreported > 0 {
            summary.note(format!(
                "{} suppressed finding(s) over max-suppressed-findings ({}) were not reported",
                self.suppressed_unreported, self.suppressions.max_reported
            ));
        }
        if self.duplicates > 0 {
            summary.note(format!(
                "{} repeated finding(s) of the same secret in the same file reported once",
                self.duplicates
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

/// Where `cordon secrets baseline` writes, and where the stage looks when
/// no `baseline` option is given.
pub const DEFAULT_BASELINE: &str = ".cordon/secrets-baseline.json";

/// The default baseline when it exists and is readable under the grant.
fn default_baseline() -> Result<Option<Baseline>, StageError> {
    match workspace::stat(DEFAULT_BASELINE) {
        Ok(_) => load_baseline(DEFAULT_BASELINE).map(Some),
        Err(_) => Ok(None),
    }
}

fn load_baseline(path: &str) -> Result<Baseline, StageError> {
    let bytes = workspace::read(path).map_err(|error| match error {
        AccessError::Denied(message) => StageError::Denied(format!("baseline `{path}`: {message}")),
        other => StageError::Failed(format!("baseline `{path}`: {}", other.describe())),
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| StageError::Failed(format!("baseline `{path}` is not UTF-8")))?;
    Baseline::from_json(text)
        .map_err(|error| StageError::Failed(format!("baseline `{path}`: {error}")))
}

/// gitleaks' ignore file, honoured when the workspace has one (as gitleaks
/// does), so a repository moving from gitleaks keeps its exceptions. It is
/// a suppression the scanned repository controls, like the baseline, so
/// `baseline = false` (which a policy forbidding repository suppressions
/// sets) turns it off too.
pub const GITLEAKS_IGNORE: &str = ".gitleaksignore";

/// The workspace's `.gitleaksignore`, if it exists and is readable; lines
/// that are not fingerprints are named in a note rather than failing the run.
fn gitleaks_ignore(summary: &mut Summary) -> Result<Option<GitleaksIgnore>, StageError> {
    if workspace::stat(GITLEAKS_IGNORE).is_err() {
        return Ok(None);
    }
    let bytes = workspace::read(GITLEAKS_IGNORE).map_err(|error| match error {
        AccessError::Denied(message) => StageError::Denied(format!("{GITLEAKS_IGNORE}: {message}")),
        other => StageError::Failed(format!("{GITLEAKS_IGNORE}: {}", other.describe())),
    })?;
    let ignore = GitleaksIgnore::parse(&String::from_utf8_lossy(&bytes));
    if !ignore.invalid_lines().is_empty() {
        summary.note(format!(
            "{GITLEAKS_IGNORE}: {} line(s) are not fingerprints and were ignored",
            ignore.invalid_lines().len()
        ));
    }
    summary.note(format!(
        "{GITLEAKS_IGNORE} holds {} fingerprint(s)",
        ignore.len()
    ));
    Ok(Some(ignore))
}

/// The file `gitleaks-config = true` reads.
pub const DEFAULT_GITLEAKS_CONFIG: &str = ".gitleaks.toml";

/// Adds a `.gitleaks.toml`'s rules and allow-lists to `config`; what it
/// holds that Cordon cannot apply is noted. Its allow-lists and disabled
/// rules are suppressions the repository controls, so with
/// `baseline = false` (set by a policy that forbids those) the file is not
/// read at all.
fn apply_gitleaks_config(
    path: &str,
    options: &StageOptions,
    config: &mut ScannerConfig,
    summary: &mut Summary,
) -> Result<(), StageError> {
    if options.baseline == BaselineChoice::Off {
        summary.note(format!(
            "{path} not read: repository suppressions are off (baseline = false)"
        ));
        return Ok(());
    }
    let bytes = workspace::read(path).map_err(|error| match error {
        AccessError::Denied(message) => StageError::Denied(format!("{path}: {message}")),
        other => StageError::Failed(format!("{path}: {}", other.describe())),
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| StageError::InvalidOptions(format!("{path} is not UTF-8")))?;
    let imported = GitleaksConfig::from_toml(text)
        .map_err(|error| StageError::InvalidOptions(format!("{path}: {error}")))?;
    for note in &imported.notes {
        summary.note(format!("{path}: {note}"));
    }
    summary.note(format!("{path}: {} rule(s) imported", imported.rules.len()));
    imported.apply_to(config);
    Ok(())
}

/// What suppresses findings besides the engine's own allow-lists.
struct Exceptions<'a> {
    baseline: Option<&'a Baseline>,
    gitleaks: Option<&'a GitleaksIgnore>,
}

impl Exceptions<'_> {
    fn apply(&self, scan: &mut FileScan, commit: Option<&str>) {
        if let Some(baseline) = self.baseline {
            scan.apply_baseline(baseline);
        }
        if let Some(ignore) = self.gitleaks {
            scan.apply_gitleaks_ignore(ignore, commit);
        }
    }
}

/// Working tree: every granted file, dotfiles included (`.env` is where
/// secrets live), `.gitignore` honoured unless `include-ignored`.
fn scan_tree(
    scanner: &Scanner,
    options: &StageOptions,
    exceptions: &Exceptions<'_>,
    reporter: &mut Reporter,
    summary: &mut Summary,
) -> Result<(), StageError> {
    let files = workspace::list_files(WalkOptions {
        include_ignored: options.include_ignored,
        include_hidden: true,
    })?;
    for file in files {
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
        let bytes = match workspace::read(&file.path) {
            Ok(bytes) => bytes,
            Err(error) => {
                summary.skip(&file.path, error.describe());
                continue;
            }
        };
        if let Some(limits) = &options.archives
            && archive::sniff(&bytes).is_some()
        {
            let context = Context {
                scanner,
                exceptions,
            };
            match scan_archive(&context, limits, &file.path, &bytes, reporter, summary)? {
                ArchiveOutcome::Expanded => continue,
                ArchiveOutcome::NotAnArchive(reason) => summary.note(format!(
                    "{}: not expanded ({reason}); scanned as a plain file",
                    file.path
                )),
            }
        }
        let mut scan = scanner.scan_file(&file.path, &bytes);
        if let Some(reason) = &scan.skipped {
            summary.skip(&file.path, reason.clone());
            continue;
        }
        exceptions.apply(&mut scan, None);
        summary.files_scanned += 1;
        summary.bytes_scanned += scan.bytes_scanned;
        reporter.report(&scan, None, None)?;
    }
    if reporter.archives > 0 {
        summary.note(format!(
            "{} member(s) of {} archive(s) scanned",
            reporter.archive_members, reporter.archives
        ));
    }
    Ok(())
}

/// What a scan of one file needs besides the file.
struct Context<'a> {
    scanner: &'a Scanner,
    exceptions: &'a Exceptions<'a>,
}

enum ArchiveOutcome {
    /// Its members were scanned (or listed as skipped).
    Expanded,
    /// It looked like an archive but could not be opened.
    NotAnArchive(String),
}

/// Scans each member of the archive at `path`; what the bounds stop or
/// cannot be read is listed as skipped under `path!/member`.
fn scan_archive(
    context: &Context<'_>,
    limits: &ArchiveLimits,
    path: &str,
    bytes: &[u8],
    reporter: &mut Reporter,
    summary: &mut Summary,
) -> Result<ArchiveOutcome, StageError> {
    // Members with something to report, kept until the walk ends (the
    // visitor cannot fail); only findings are kept, never content.
    let mut scans: Vec<(String, FileScan)> = Vec::new();
    let mut unscannable: Vec<(String, String)> = Vec::new();
    let mut scanned_bytes = 0u64;
    let expansion = archive::expand(path, bytes, limits, &mut |member, content| {
        // Scanned under `archive!/member`, so allow-paths globs, inline
        // comments, the baseline and fingerprints see a path of its own.
        let scan_path = format!("{path}{NEST_SEPARATOR}{member}");
        let mut scan = context.scanner.scan_file(&scan_path, content);
        if let Some(reason) = scan.skipped.take() {
            unscannable.push((member.to_string(), reason));
            return;
        }
        context.exceptions.apply(&mut scan, None);
        scanned_bytes += scan.bytes_scanned;
        if !scan.findings.is_empty() || !scan.suppressed.is_empty() {
            scans.push((member.to_string(), scan));
        }
    });
    let expansion = match expansion {
        Ok(expansion) => expansion,
        Err(reason) => return Ok(ArchiveOutcome::NotAnArchive(reason)),
    };
    for (member, reason) in unscannable {
        summary.skip(&format!("{path}{NEST_SEPARATOR}{member}"), reason);
    }
    for skip in &expansion.skipped {
        let where_ = if skip.member.is_empty() {
            path.to_string()
        } else {
            format!("{path}{NEST_SEPARATOR}{}", skip.member)
        };
        summary.skip(&where_, skip.reason.clone());
    }
    summary.files_scanned += 1;
    summary.bytes_scanned += scanned_bytes;
    reporter.archives += 1;
    reporter.archive_members += expansion.members;
    for (member, scan) in &scans {
        let member = Member {
            archive: path,
            name: member,
        };
        reporter.report(scan, None, Some(&member))?;
    }
    Ok(ArchiveOutcome::Expanded)
}

/// History or pre-push: the lines each commit added, oldest commit first.
fn scan_history(
    scanner: &Scanner,
    exceptions: &Exceptions<'_>,
    reporter: &mut Reporter,
    summary: &mut Summary,
) -> Result<u64, StageError> {
    let commits = git::commits()?;
    for commit in &commits {
        for added in git::added(commit)? {
            let lines: Vec<(u32, &str)> = added
                .lines
                .iter()
                .map(|(number, text)| (*number, text.as_str()))
                .collect();
            let mut scan = scanner.scan_lines(&added.path, &lines);
            if let Some(reason) = &scan.skipped {
                summary.skip(&added.path, format!("commit {}: {reason}", added.commit));
                continue;
            }
            exceptions.apply(&mut scan, Some(&added.commit));
            summary.files_scanned += 1;
            summary.bytes_scanned += scan.bytes_scanned;
            let origin = Origin {
                commit: &added.commit,
                author_date: civil_date(added.author_time),
            };
            reporter.report(&scan, Some(&origin), None)?;
        }
    }
    Ok(commits.len() as u64)
}

/// Where a history finding came from.
struct Origin<'a> {
    commit: &'a str,
    /// `YYYY-MM-DD`, UTC.
    author_date: String,
}

/// `YYYY-MM-DD` of a Unix time, UTC (Howard Hinnant's civil-from-days; a
/// date library for one conversion would grow every component).
fn civil_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The engine's keyword automaton for the built-in rules, from `build.rs`.
static PREFILTER_IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/prefilter.image"));

struct Secrets;

impl Stage for Secrets {
    fn describe() -> StageInfo {
        StageInfo::new(
            "secrets",
            env!("CARGO_PKG_VERSION"),
            "Finds API keys, tokens, passwords and private keys in files and in git history",
        )
        .rules(
            cordon_secrets::BUILTIN_RULES
                .iter()
                .map(|rule| to_rule(rule.descriptor())),
        )
        .workspace()
        // Each file and commit is scanned on its own; the baseline and
        // gitleaks configuration are read (not listed) by every instance.
        .shardable()
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let options = parse_options(&options)?;
        let mut summary = Summary::default();
        let mut scanner_config = options.scanner.clone();
        if let Some(path) = &options.gitleaks_config {
            apply_gitleaks_config(path, &options, &mut scanner_config, &mut summary)?;
        }
        let scanner = Scanner::with_prefilter_image(scanner_config, Some(PREFILTER_IMAGE))
            .map_err(|error| StageError::InvalidOptions(error.to_string()))?;
        let baseline = match &options.baseline {
            BaselineChoice::File(path) => Some((path.as_str(), load_baseline(path)?)),
            BaselineChoice::Default => default_baseline()?.map(|b| (DEFAULT_BASELINE, b)),
            BaselineChoice::Off => None,
        };
        let (baseline_path, baseline) = baseline.unzip();

        let gitleaks = match options.baseline {
            BaselineChoice::Off => None,
            _ => gitleaks_ignore(&mut summary)?,
        };
        let exceptions = Exceptions {
            baseline: baseline.as_ref(),
            gitleaks: gitleaks.as_ref(),
        };
        let mut reporter = Reporter {
            suppressions: options.suppressions.clone(),
            baseline_path: baseline_path.map(str::to_string),
            ..Reporter::default()
        };
        match git::scope() {
            Some(scope) => {
                let commits = scan_history(&scanner, &exceptions, &mut reporter, &mut summary)?;
                summary.note(format!(
                    "scanned lines added by {commits} commit(s) ({scope})"
                ));
            }
            None => scan_tree(&scanner, &options, &exceptions, &mut reporter, &mut summary)?,
        }
        reporter.flush_suppressed()?;
        if let (Some(path), Some(baseline)) = (baseline_path, &baseline) {
            summary.note(format!(
                "baseline {path} holds {} accepted finding(s)",
                baseline.len()
            ));
        }
        reporter.notes(&mut summary);
        log::info(&format!(
            "{} finding(s) reported from {} file(s), {} skipped",
            reporter.emitted,
            summary.files_scanned,
            summary.skipped.len()
        ));
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Secrets);

#[cfg(test)]
mod tests;
