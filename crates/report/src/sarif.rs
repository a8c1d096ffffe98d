//! SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! # Scheme
//!
//! - One `run` per stage that has a plugin, in pipeline order. A stage with
//!   no plugin (skipped, or its component could not be loaded) has no run:
//!   an empty run would tell GitHub the category is clean and close its open
//!   alerts. Those stages still make the exit code 2.
//! - `tool.driver.name` is `cordon-<stage>` and `automationDetails.id` is
//!   `cordon/<stage>/`. GitHub keeps an analysis per (driver name,
//!   category), so every stage is its own category and uploading one stage
//!   never closes another stage's alerts. One job of a sharded run
//!   (`--shard K/N`) uses `cordon/<stage>/shard-K-of-N/`; a merged report
//!   uses the plain category again.
//! - A stage that errored keeps its run (with the findings it reported before
//!   it stopped) and says so: `invocations[0].executionSuccessful` is false
//!   and `toolExecutionNotifications` carries the error. Files the stage
//!   could not scan, denied host calls, the finding cap and the stage's notes
//!   are notifications too.
//! - Levels: critical and high are `error`, medium is `warning`, low and
//!   info are `note`. Rules carry `properties.security-severity`, which
//!   GitHub ranks alerts by: critical 9.5, high 8.0, medium 5.5, low 3.0,
//!   info 0.0 (the middle of GitHub's CVSS-style bands). GitHub reads it
//!   only from the rule, so it is the highest of the rule's default severity
//!   and the severities of its findings in this run.
//! - Findings whose rule is not in the stage's catalogue (the audit stage
//!   has one rule per advisory, known only at run time) get a rule built
//!   from the finding: `rule-short-description`, `rule-help` and
//!   `help-uri` (else `url`) properties when present, the rule id
//!   otherwise. A catalogue rule without a page takes its `helpUri` from
//!   its first finding's `help-uri` property (the runner describes the
//!   audit stage's advisories from the findings, with no address).
//! - Properties listed in `LIST_PROPERTIES` (`aliases`, ...) whose value is
//!   a JSON array of strings are written as arrays.
//! - `partialFingerprints` holds `cordonFingerprint/v1`: the stage's own
//!   fingerprint, stable across line moves. GitHub's
//!   `primaryLocationLineHash` is left to GitHub (it needs file contents).
//! - Locations are relative to `%SRCROOT%`, percent-encoded, `/`-separated.
//!   `originalUriBaseIds` is never written: it would put a machine path in
//!   the log. Regions: line/column when the stage gave them (`columnKind`
//!   is `unicodeCodePoints`, as in the stage contract), `byteOffset` when it
//!   gave only an offset, `startLine: 1` when it gave neither. The redacted
//!   snippet is `region.snippet.text`; nothing else of the file is copied.
//! - GitHub rejects results without a location, so every result has one:
//!   1. the finding's path when it is a workspace path;
//!   2. else the first `lockfile`, `manifest`, `path` or `file` property
//!      holding a workspace path (line 1);
//!   3. else a pseudo-path naming where it came from: the finding's own
//!      non-file path (`artifact:sbom` for the audit stage reading the sbom
//!      artifact) or `stage:<stage>` when the finding has no location, with
//!      percent-encoded as one segment (`artifact%3Asbom`) so the URI stays
//!      relative (line 1).
//!
//!   The original location is then kept in `properties.location`.
//! - Archive members and commits are appended to `message.text` (GitHub
//!   shows nothing else of a result's properties) and kept in `properties`.
//! - A finding its stage reports as suppressed (a `suppression-kind`
//!   property, see [`Finding::suppression`]) is a result with
//!   `suppressions: [{kind, status: "accepted", justification}]`, so GitHub
//!   closes its alert instead of reopening it; its `baseline-state`
//!   property becomes `baselineState`. Once one result of a run carries a
//!   baseline state, the others get `new` (the stage compared them with the
//!   baseline and it did not hold them).

use serde_json::{Map, Value, json};

use crate::model::{
    BaselineState, Finding, HELP_URI_PROPERTY, Location, Rule, RunReport, Severity, ShardInfo,
    StageReport, StageStatus, Suppression, VersionControl, list_property, short_commit,
};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const VERSION: &str = "2.1.0";
/// The `partialFingerprints` key of every result.
pub const FINGERPRINT_KEY: &str = "cordonFingerprint/v1";
/// The `uriBaseId` every location is relative to.
pub const SRCROOT: &str = "%SRCROOT%";
pub const INFORMATION_URI: &str = "https://github.com/cordon-sec/cordon";

/// Properties whose value may name the file a location-less finding is about,
/// in the order they are tried.
const PATH_PROPERTIES: [&str; 4] = ["lockfile", "manifest", "path", "file"];

/// Result property keys Cordon sets itself; a finding property with one of
/// these names is kept under `finding-<name>` instead of being overwritten.
/// `tags` is reserved by SARIF's property bag (an array of strings).
const RESERVED_PROPERTIES: [&str; 6] = [
    "tags",
    "severity",
    "commit",
    "member",
    "byteOffset",
    "location",
];

/// Rule property keys Cordon sets itself; a stage's rule property with one
/// of these names is kept under `rule-<name>`.
const RESERVED_RULE_PROPERTIES: [&str; 2] = ["security-severity", "tags"];

/// `tool.driver.name` of a stage's run.
pub fn driver_name(stage: &str) -> String {
    format!("cordon-{stage}")
}

/// `automationDetails.id` of a stage's run: GitHub's category. One job of
/// a sharded run has a category of its own, so uploading it never closes
/// the alerts another job's upload opened.
pub fn automation_id(stage: &str, shard: Option<ShardInfo>) -> String {
    match shard {
        Some(ShardInfo { index, count }) => format!("cordon/{stage}/shard-{index}-of-{count}/"),
        None => format!("cordon/{stage}/"),
    }
}

/// SARIF `level` of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` of a severity: a CVSS-like score as a string.
/// GitHub's bands are critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low
/// 0.1–3.9; these sit inside them.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The SARIF log of a run.
pub fn render(report: &RunReport) -> Value {
    let runs: Vec<Value> = report
        .stages
        .iter()
        .filter(|stage| stage.plugin.is_some())
        .map(|stage| render_run(report, stage))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": runs,
    })
}

/// [`render`], pretty-printed.
pub fn to_string_pretty(report: &RunReport) -> String {
    // Serialising a `Value` cannot fail: every map key is a string.
    serde_json::to_string_pretty(&render(report)).unwrap_or_default()
}

fn render_run(report: &RunReport, stage: &StageReport) -> Value {
    let rules = RuleTable::new(stage);
    // Once a result says how it compares with a baseline, the others in
    // the run were compared too: what the baseline did not hold is new.
    let compared = stage.findings.iter().any(|f| f.baseline_state().is_some());
    let results: Vec<Value> = stage
        .findings
        .iter()
        .map(|finding| render_result(stage, &rules, finding, compared))
        .collect();

    let mut driver = Map::new();
    driver.insert("name".into(), driver_name(&stage.name).into());
    if let Some(plugin) = &stage.plugin {
        if !plugin.version.is_empty() {
            driver.insert("version".into(), plugin.version.clone().into());
            if is_semantic_version(&plugin.version) {
                driver.insert("semanticVersion".into(), plugin.version.clone().into());
            }
        }
        driver.insert(
            "properties".into(),
            json!({
                "plugin": plugin.name,
                "pluginDescription": plugin.description,
                "source": portable_source(&plugin.source),
                "sha256": plugin.sha256,
                "cordonVersion": report.tool_version,
            }),
        );
    }
    driver.insert("informationUri".into(), INFORMATION_URI.into());
    driver.insert("rules".into(), rules.render());

    let mut run = Map::new();
    run.insert("tool".into(), json!({ "driver": driver }));
    run.insert(
        "automationDetails".into(),
        json!({ "id": automation_id(&stage.name, report.shard) }),
    );
    run.insert("invocations".into(), json!([render_invocation(stage)]));

    let mut properties = Map::new();
    properties.insert("stage".into(), stage.name.clone().into());
    properties.insert("status".into(), status_name(&stage.status).into());
    properties.insert("filesScanned".into(), stage.files_scanned.into());
    properties.insert("bytesScanned".into(), stage.bytes_scanned.into());
    properties.insert("durationMs".into(), stage.duration_ms.into());
    properties.insert("findingsTruncated".into(), stage.findings_truncated.into());
    properties.insert("failOn".into(), report.fail_on.as_str().into());
    if let Some(vcs) = &report.version_control {
        match version_control_provenance(vcs) {
            Some(provenance) => {
                run.insert("versionControlProvenance".into(), json!([provenance]));
            }
            // `repositoryUri` is required by the spec; without a usable one
            // the revision still belongs in the log.
            None => {
                properties.insert("revision".into(), vcs.revision.clone().into());
                if let Some(branch) = &vcs.branch {
                    properties.insert("branch".into(), branch.clone().into());
                }
            }
        }
    }
    run.insert("results".into(), results.into());
    run.insert("columnKind".into(), "unicodeCodePoints".into());
    run.insert("properties".into(), properties.into());
    run.into()
}

fn status_name(status: &StageStatus) -> &'static str {
    match status {
        StageStatus::Completed => "completed",
        StageStatus::Errored { .. } => "errored",
        StageStatus::Skipped { .. } => "skipped",
    }
}

fn render_invocation(stage: &StageReport) -> Value {
    let mut notifications = Vec::new();
    match &stage.status {
        StageStatus::Completed => {}
        StageStatus::Errored { kind, message } => notifications.push(json!({
            "level": "error",
            "message": { "text": non_empty(
                format!("stage `{}` did not complete ({kind}): {message}", stage.name),
            ) },
            "properties": { "errorKind": kind.as_str() },
        })),
        StageStatus::Skipped { reason } => notifications.push(json!({
            "level": "error",
            "message": { "text": format!("stage `{}` was not run: {reason}", stage.name) },
        })),
    }
    if stage.findings_truncated {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "the finding cap was reached: only the first {} findings are reported",
                stage.findings.len()
            ) },
        }));
    }
    for skipped in &stage.skipped {
        let mut notification = json!({
            "level": "warning",
            "message": { "text": format!("could not scan: {} — {}", skipped.path, skipped.reason) },
        });
        if let Some(uri) = workspace_uri(&skipped.path) {
            notification["locations"] = json!([{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT },
                },
            }]);
        }
        notifications.push(notification);
    }
    for denied in &stage.denied {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "host call denied: {} {} — {}",
                denied.call, denied.target, denied.reason
            ) },
        }));
    }
    for note in &stage.notes {
        notifications.push(json!({
            "level": "note",
            "message": { "text": non_empty(note.clone()) },
        }));
    }
    let mut invocation = Map::new();
    invocation.insert(
        "executionSuccessful".into(),
        stage.status.is_completed().into(),
    );
    if !notifications.is_empty() {
        invocation.insert("toolExecutionNotifications".into(), notifications.into());
    }
    invocation.into()
}

/// SARIF `versionControlDetails`, or `None` when the remote is not a URI
/// SARIF can carry.
fn version_control_provenance(vcs: &VersionControl) -> Option<Value> {
    let uri = repository_uri(vcs.repository_uri.as_deref()?)?;
    let mut details = Map::new();
    details.insert("repositoryUri".into(), uri.into());
    if !vcs.revision.is_empty() {
        details.insert("revisionId".into(), vcs.revision.clone().into());
    }
    if let Some(branch) = vcs.branch.as_ref().filter(|b| !b.is_empty()) {
        details.insert("branch".into(), branch.clone().into());
    }
    // Locations are relative to %SRCROOT%, which is the repository root:
    // saying so lets consumers map results to repository files.
    details.insert("mappedTo".into(), json!({ "uriBaseId": SRCROOT }));
    Some(details.into())
}

/// The remote as an absolute URI without credentials. scp-like remotes
/// (`git@host:org/repo.git`) become `ssh://git@host/org/repo.git`.
/// The runner strips credentials already; a password left in the userinfo
/// is dropped here too, because this log is uploaded.
fn repository_uri(remote: &str) -> Option<String> {
    let remote = remote.trim();
    if remote.is_empty() || remote.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if let Some((scheme, rest)) = remote.split_once("://") {
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !scheme_ok || rest.is_empty() {
            return None;
        }
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        let authority = match authority.rsplit_once('@') {
            Some((userinfo, host)) if userinfo.contains(':') => host,
            _ => authority,
        };
        if authority.is_empty() && scheme != "file" {
            return None;
        }
        return Some(format!("{scheme}://{authority}{path}"));
    }
    // scp-like syntax: `[user@]host:path`, with no slash before the colon.
    let (host, path) = remote.split_once(':')?;
    if host.is_empty() || host.contains('/') || path.is_empty() {
        return None;
    }
    let host = match host.rsplit_once('@') {
        Some((user, host)) if !user.contains(':') => format!("{user}@{host}"),
        Some((_, host)) => host.to_string(),
        None => host.to_string(),
    };
    Some(format!("ssh://{host}/{}", path.trim_start_matches('/')))
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre`/`+build` suffix.
/// The plugin's source as SARIF may carry it: a built-in's name, or a
/// plugin file's name without the directories of the machine that ran the
/// scan (the digest beside it says exactly which component it was).
fn portable_source(source: &str) -> &str {
    if source.starts_with("builtin:") {
        return source;
    }
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

fn is_semantic_version(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// SARIF requires message texts; an empty one is replaced by a dash rather
/// than dropped.
fn non_empty(text: String) -> String {
    if text.trim().is_empty() {
        "-".to_string()
    } else {
        text
    }
}

/// The run's rules: the stage's catalogue first, then one rule per rule id
/// that findings use but the catalogue lacks.
struct RuleTable {
    rules: Vec<RuleEntry>,
}

struct RuleEntry {
    rule: Rule,
    help_uri: Option<String>,
    /// Highest of the default and the findings' severities.
    max_severity: Severity,
    /// The family the rule belongs to (its `theme` property, else the first
    /// finding's, e.g. `public-exposure`), shown as a rule property and tag.
    theme: Option<String>,
}

impl RuleTable {
    fn new(stage: &StageReport) -> RuleTable {
        let mut table = RuleTable { rules: Vec::new() };
        for rule in &stage.rules {
            if table.index(&rule_id(&rule.id)).is_none() {
                let mut rule = rule.clone();
                rule.id = rule_id(&rule.id);
                let stated = |key: &str| {
                    rule.properties
                        .iter()
                        .find(|(name, _)| name == key)
                        .map(|(_, value)| value.as_str())
                };
                let theme = stated("theme").map(str::to_string);
                let help_uri = web_address(stated(HELP_URI_PROPERTY));
                table.rules.push(RuleEntry {
                    max_severity: rule.default_severity,
                    rule,
                    help_uri,
                    theme,
                });
            }
        }
        for finding in &stage.findings {
            let id = rule_id(&finding.rule_id);
            match table.index(&id) {
                Some(index) => {
                    let entry = &mut table.rules[index];
                    entry.max_severity = entry.max_severity.max(finding.severity);
                    if entry.theme.is_none() {
                        entry.theme = theme(finding);
                    }
                    // A rule known only at run time (an advisory the runner
                    // described from the finding) names its page here.
                    if entry.help_uri.is_none() {
                        entry.help_uri = web_address(property(finding, HELP_URI_PROPERTY));
                    }
                }
                None => table.rules.push(rule_from_finding(id, finding)),
            }
        }
        table
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|entry| entry.rule.id == id)
    }

    fn render(&self) -> Value {
        self.rules
            .iter()
            .map(|entry| {
                let rule = &entry.rule;
                let short = first_non_empty(&[&rule.short_description, &rule.id]);
                let full = first_non_empty(&[&rule.full_description, short]);
                let help = first_non_empty(&[&rule.help, full]);
                let mut value = json!({
                    "id": rule.id,
                    "name": pascal_case(&rule.id),
                    "shortDescription": { "text": short },
                    "fullDescription": { "text": full },
                    "help": {
                        "text": help,
                        "markdown": format!("**{}**\n\n{}", markdown_escape(short), help),
                    },
                    "defaultConfiguration": { "level": level(rule.default_severity) },
                    "properties": {
                        "security-severity": security_severity(entry.max_severity),
                        "tags": ["security"],
                    },
                });
                for (key, text) in &rule.properties {
                    if key == "theme" || key == HELP_URI_PROPERTY {
                        continue; // shown below, as a tag and as `helpUri`
                    }
                    let key = if RESERVED_RULE_PROPERTIES.contains(&key.as_str()) {
                        format!("rule-{key}")
                    } else {
                        key.clone()
                    };
                    value["properties"][key] = text.clone().into();
                }
                if let Some(theme) = &entry.theme {
                    value["properties"]["theme"] = theme.clone().into();
                    value["properties"]["tags"] = json!(["security", theme]);
                }
                if let Some(uri) = &entry.help_uri {
                    value["helpUri"] = uri.clone().into();
                }
                value
            })
            .collect()
    }
}

/// Rule ids are never empty in SARIF results.
fn rule_id(id: &str) -> String {
    if id.trim().is_empty() {
        "cordon/unknown-rule".to_string()
    } else {
        id.to_string()
    }
}

fn rule_from_finding(id: String, finding: &Finding) -> RuleEntry {
    let short = property(finding, "rule-short-description")
        .unwrap_or(&id)
        .to_string();
    let help = property(finding, "rule-help")
        .unwrap_or_default()
        .to_string();
    let help_uri = web_address(property(finding, HELP_URI_PROPERTY))
        .or_else(|| web_address(property(finding, "url")));
    RuleEntry {
        rule: Rule {
            id,
            short_description: short.clone(),
            full_description: short,
            help,
            default_severity: finding.severity,
            properties: Vec::new(),
        },
        help_uri,
        max_severity: finding.severity,
        theme: theme(finding),
    }
}

/// An `http(s)` address without spaces or control characters; anything
/// else never becomes a `helpUri`.
fn web_address(candidate: Option<&str>) -> Option<String> {
    candidate
        .filter(|url| {
            (url.starts_with("https://") || url.starts_with("http://"))
                && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        })
        .map(str::to_string)
}

/// A finding's `theme` property, when it is a plain tag (lower-case words
/// and dashes, as the iac stage's themes are).
fn theme(finding: &Finding) -> Option<String> {
    property(finding, "theme")
        .filter(|t| {
            t.len() <= 64
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_string)
}

fn property<'a>(finding: &'a Finding, key: &str) -> Option<&'a str> {
    finding
        .properties
        .iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

fn first_non_empty<'a>(candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .copied()
        .find(|text| !text.trim().is_empty())
        .unwrap_or("-")
}

/// `secrets/github-pat` → `SecretsGithubPat`: words split at anything that
/// is not a letter or digit, each capitalised.
pub fn pascal_case(id: &str) -> String {
    let name: String = id
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            first.unwrap_or_default() + &chars.as_str().to_lowercase()
        })
        .collect();
    if name.is_empty() {
        "Rule".to_string()
    } else {
        name
    }
}

/// Escapes the characters that would turn a plain title into markup.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]<>()#+!|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn render_result(
    stage: &StageReport,
    rules: &RuleTable,
    finding: &Finding,
    baseline_compared: bool,
) -> Value {
    let id = rule_id(&finding.rule_id);
    let index = rules.index(&id);

    let mut text = finding.message.trim().to_string();
    if text.is_empty() {
        // A result must say something; the rule title is the best stand-in.
        text = index
            .and_then(|i| rules.rules.get(i))
            .map(|entry| first_non_empty(&[&entry.rule.short_description, &id]).to_string())
            .unwrap_or_else(|| id.clone());
    }
    if let Some(location) = &finding.location {
        if let Some(member) = location.member.as_deref().filter(|m| !m.is_empty()) {
            text.push_str(&format!(" (archive member `{member}`)"));
        }
        if let Some(commit) = location.commit.as_deref().filter(|c| !c.is_empty()) {
            text.push_str(&format!(" (commit {})", short_commit(commit)));
        }
    }

    let mut properties = Map::new();
    for (key, value) in &finding.properties {
        let key = if RESERVED_PROPERTIES.contains(&key.as_str()) {
            format!("finding-{key}")
        } else {
            key.clone()
        };
        let value = match list_property(&key, value) {
            Some(list) => list.into(),
            None => value.clone().into(),
        };
        properties.insert(key, value);
    }
    properties.insert("severity".into(), finding.severity.as_str().into());

    let (uri, located) = result_uri(stage, finding);
    if let Some(location) = &finding.location {
        if let Some(commit) = &location.commit {
            properties.insert("commit".into(), commit.clone().into());
        }
        if let Some(member) = &location.member {
            properties.insert("member".into(), member.clone().into());
        }
        if let Some(offset) = location.byte_offset {
            properties.insert("byteOffset".into(), offset.into());
        }
    }
    if !located {
        let original = finding
            .location
            .as_ref()
            .map(|l| l.path.clone())
            .unwrap_or_default();
        properties.insert("location".into(), original.into());
    }

    let region = match finding.location.as_ref().filter(|_| located) {
        Some(location) => region(location, finding.snippet.as_deref()),
        None => with_snippet(json!({ "startLine": 1 }), finding.snippet.as_deref()),
    };

    let mut result = Map::new();
    result.insert("ruleId".into(), id.into());
    if let Some(index) = index {
        result.insert("ruleIndex".into(), index.into());
    }
    result.insert("level".into(), level(finding.severity).into());
    result.insert("message".into(), json!({ "text": text }));
    result.insert(
        "locations".into(),
        json!([{
            "physicalLocation": {
                "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT },
                "region": region,
            },
        }]),
    );
    if !finding.fingerprint.is_empty() {
        result.insert(
            "partialFingerprints".into(),
            json!({ FINGERPRINT_KEY: finding.fingerprint }),
        );
    }
    if let Some(suppression) = finding.suppression() {
        result.insert(
            "suppressions".into(),
            json!([render_suppression(&suppression)]),
        );
    }
    match finding.baseline_state() {
        Some(state) => {
            result.insert("baselineState".into(), state.as_str().into());
        }
        None if baseline_compared => {
            result.insert("baselineState".into(), BaselineState::New.as_str().into());
        }
        None => {}
    }
    result.insert("properties".into(), properties.into());
    result.into()
}

/// A SARIF `suppression`. Its status is `accepted`: a stage reports a
/// finding as suppressed only when the suppression took effect (one a
/// policy refused is reported as a live finding instead).
fn render_suppression(suppression: &Suppression) -> Value {
    let mut out = Map::new();
    out.insert("kind".into(), suppression.kind.as_str().into());
    out.insert("status".into(), "accepted".into());
    if let Some(justification) = &suppression.justification {
        out.insert("justification".into(), justification.clone().into());
    }
    out.into()
}

/// The result's URI and whether it is the finding's own workspace path (so
/// its region applies). See the module docs for the fallbacks.
fn result_uri(stage: &StageReport, finding: &Finding) -> (String, bool) {
    if let Some(uri) = finding
        .location
        .as_ref()
        .and_then(|l| workspace_uri(&l.path))
    {
        return (uri, true);
    }
    for key in PATH_PROPERTIES {
        if let Some(uri) = property(finding, key).and_then(workspace_uri) {
            return (uri, false);
        }
    }
    let pseudo = match &finding.location {
        Some(location) if !location.path.trim().is_empty() => location.path.clone(),
        _ => format!("stage:{}", stage.name),
    };
    // Slashes are encoded too: a pseudo-path is one opaque segment, and a
    // stray absolute path can never read as one.
    (encode(&pseudo, b"-._~"), false)
}

fn region(location: &Location, snippet: Option<&str>) -> Value {
    let region = match (location.region, location.byte_offset) {
        // Lines are 1-based; a region starting at line 0 is no region.
        (Some(r), _) if r.start_line >= 1 => {
            let start_column = r.start_column.max(1);
            let end_line = r.end_line.max(r.start_line);
            let end_column = if end_line == r.start_line {
                r.end_column.max(start_column)
            } else {
                r.end_column.max(1)
            };
            json!({
                "startLine": r.start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            })
        }
        (_, Some(offset)) => json!({ "byteOffset": offset }),
        _ => json!({ "startLine": 1 }),
    };
    with_snippet(region, snippet)
}

fn with_snippet(mut region: Value, snippet: Option<&str>) -> Value {
    if let Some(snippet) = snippet.filter(|s| !s.is_empty()) {
        region["snippet"] = json!({ "text": snippet });
    }
    region
}

/// A workspace-relative path as a relative URI, or `None` when the path is
/// not a workspace file (empty, absolute, or a pseudo-path like
/// `artifact:sbom`).
pub fn workspace_uri(path: &str) -> Option<String> {
    let path = path.trim_start_matches("./");
    if path.is_empty() || path.starts_with('/') || path.starts_with('\\') {
        return None;
    }
    let first = path.split('/').next().unwrap_or_default();
    // `artifact:sbom`, `C:` and URLs: not a path under the workspace root.
    if first.contains(':') {
        return None;
    }
    Some(encode_path(path))
}

/// Percent-encodes every byte of each `/`-separated segment except RFC
/// 3986's unreserved characters, so the result is always a valid relative
/// reference (`:` included, which would otherwise read as a scheme).
pub fn encode_path(path: &str) -> String {
    encode(path, b"-._~/")
}

/// Percent-encodes every byte but ASCII letters, digits and `keep`.
fn encode(text: &str, keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uris() {
        assert_eq!(workspace_uri("src/a b.rs").as_deref(), Some("src/a%20b.rs"));
        assert_eq!(workspace_uri("./x/ü.txt").as_deref(), Some("x/%C3%BC.txt"));
        assert_eq!(
            workspace_uri("a/b:c#d?e%f").as_deref(),
            Some("a/b%3Ac%23d%3Fe%25f")
        );
        assert_eq!(workspace_uri("artifact:sbom"), None);
        assert_eq!(workspace_uri("/etc/passwd"), None);
        assert_eq!(workspace_uri(""), None);
        assert_eq!(encode_path("artifact:sbom"), "artifact%3Asbom");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("secrets/github-pat"), "SecretsGithubPat");
        assert_eq!(pascal_case("RUSTSEC-2024-0001"), "Rustsec20240001");
        assert_eq!(pascal_case("--"), "Rule");
    }

    #[test]
    fn a_findings_theme_becomes_a_rule_property_and_tag() {
        let mut stage = StageReport::new("iac");
        let finding = |theme: &str| Finding {
            rule_id: "iac/aws-s3-public-acl".into(),
            severity: Severity::High,
            message: "public".into(),
            location: None,
            fingerprint: "f".into(),
            snippet: None,
            properties: vec![("theme".into(), theme.into())],
        };
        stage.findings = vec![finding("public-exposure")];
        let rules = RuleTable::new(&stage).render();
        assert_eq!(rules[0]["properties"]["theme"], "public-exposure");
        assert_eq!(
            rules[0]["properties"]["tags"],
            json!(["security", "public-exposure"])
        );
        // Not a tag: left out rather than copied into the log.
        stage.findings = vec![finding("Public <b>exposure</b>")];
        let rules = RuleTable::new(&stage).render();
        assert!(rules[0]["properties"].get("theme").is_none());
    }

    #[test]
    fn remotes_become_uris_without_credentials() {
        assert_eq!(
            repository_uri("https://github.com/o/r.git").as_deref(),
            Some("https://github.com/o/r.git")
        );
        assert_eq!(
            repository_uri("https://user:token@github.com/o/r").as_deref(),
            Some("https://github.com/o/r")
        );
        assert_eq!(
            repository_uri("git@github.com:o/r.git").as_deref(),
            Some("ssh://git@github.com/o/r.git")
        );
        assert_eq!(repository_uri("not a uri"), None);
        assert_eq!(repository_uri(""), None);
    }

    #[test]
    fn semantic_versions() {
        assert!(is_semantic_version("1.2.3"));
        assert!(is_semantic_version("0.1.0-alpha.1+b5"));
        assert!(!is_semantic_version("1.2"));
        assert!(!is_semantic_version("v1.2.3"));
    }
}
