//! The report data model. The JSON report is this model serialised, so field
//! names here are a public, documented schema: change them only with a
//! `schema_version` bump.

use serde::{Deserialize, Serialize};

/// Version of the JSON report schema.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub short_description: String,
    pub full_description: String,
    pub help: String,
    pub default_severity: Severity,
    /// Facts the stage states about the rule (`theme`, `help-uri`, ...), as
    /// `[key, value]` pairs; SARIF shows them in the rule's `properties`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<(String, String)>,
}

/// 1-based lines and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Workspace-relative, `/`-separated.
    pub path: String,
    pub region: Option<Region>,
    pub byte_offset: Option<u64>,
    pub member: Option<String>,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub fingerprint: String,
    /// Already redacted by the stage.
    pub snippet: Option<String>,
    /// In the JSON report, `[key, value]` pairs; the value of a
    /// [`LIST_PROPERTIES`] key that holds a list is a JSON array.
    #[serde(with = "property_pairs")]
    pub properties: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Where a stage's plugin came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// From the plugin's `describe()`.
    pub name: String,
    pub version: String,
    pub description: String,
    /// `builtin:<name>` or the path from the pipeline file.
    pub source: String,
    /// sha256 of the component bytes, hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum StageStatus {
    /// `run` returned a summary.
    Completed,
    /// The stage did not finish: trap, timeout, limit, invalid options,
    /// refused plugin. Its findings so far are kept but it is not clean.
    Errored { kind: ErrorKind, message: String },
    /// Not run because a stage it needs did not complete.
    Skipped { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    InvalidOptions,
    Denied,
    Failed,
    Timeout,
    MemoryLimit,
    Trap,
    Plugin,
}

/// A host call the sandbox refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeniedCall {
    /// `interface.function`, e.g. `workspace.read`.
    pub call: String,
    pub target: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// The pipeline's name for the stage (`stages.<name>`).
    pub name: String,
    /// `None` when the plugin could not be loaded.
    pub plugin: Option<PluginInfo>,
    pub status: StageStatus,
    pub rules: Vec<Rule>,
    pub findings: Vec<Finding>,
    /// True when the finding cap cut the list.
    pub findings_truncated: bool,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
    pub denied: Vec<DeniedCall>,
    pub duration_ms: u64,
    /// What the stage consumed; absent when it never started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceUse>,
}

/// One stage's use of the machine and the host, measured by the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceUse {
    pub wall_ms: u64,
    /// CPU time of the stage's thread.
    pub cpu_ms: u64,
    /// Peak linear memory over all of the stage's memories, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes of workspace files, artifacts, data sets and commits read.
    pub bytes_read: u64,
    pub host_calls: u64,
}

/// The git state of the scanned workspace, for SARIF `versionControlProvenance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionControl {
    /// Remote URL (credentials stripped), if the repository has one.
    pub repository_uri: Option<String>,
    pub revision: String,
    pub branch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactInfo {
    pub name: String,
    pub media_type: String,
    pub producer: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    /// Findings at or above this severity fail the run.
    pub fail_on: Severity,
    pub version_control: Option<VersionControl>,
    pub stages: Vec<StageReport>,
    pub artifacts: Vec<ArtifactInfo>,
    /// Set on one job's part of a sharded run (`--shard K/N`); `cordon
    /// merge` checks that all N parts are there before it says anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
}

/// Which part of a sharded run a report is: `index` of `count`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: u32,
    pub count: u32,
}

impl Severity {
    /// Every severity, highest first (the order reports list them in).
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name used in the JSON report and the pipeline file.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorKind {
    /// The kebab-case name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidOptions => "invalid-options",
            ErrorKind::Denied => "denied",
            ErrorKind::Failed => "failed",
            ErrorKind::Timeout => "timeout",
            ErrorKind::MemoryLimit => "memory-limit",
            ErrorKind::Trap => "trap",
            ErrorKind::Plugin => "plugin",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Number of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityCounts([usize; 5]);

impl SeverityCounts {
    pub fn get(&self, severity: Severity) -> usize {
        self.0[severity.index()]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// Findings at `threshold` or more severe.
    pub fn at_or_above(&self, threshold: Severity) -> usize {
        self.0[threshold.index()..].iter().sum()
    }

    /// Non-zero counts, highest severity first.
    pub fn iter(&self) -> impl Iterator<Item = (Severity, usize)> + '_ {
        Severity::ALL_DESCENDING
            .into_iter()
            .map(|severity| (severity, self.get(severity)))
            .filter(|(_, count)| *count > 0)
    }

    pub(crate) fn add(&mut self, severity: Severity) {
        self.0[severity.index()] += 1;
    }

    fn merge(&mut self, other: &SeverityCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }
}

impl StageReport {
    /// A completed stage with nothing in it yet, named `name`.
    pub fn new(name: &str) -> Self {
        StageReport {
            name: name.to_string(),
            plugin: None,
            status: StageStatus::Completed,
            rules: Vec::new(),
            findings: Vec::new(),
            findings_truncated: false,
            files_scanned: 0,
            bytes_scanned: 0,
            skipped: Vec::new(),
            notes: Vec::new(),
            denied: Vec::new(),
            duration_ms: 0,
            resources: None,
        }
    }
}

impl StageStatus {
    /// True when the stage ran to the end; only then can it be clean.
    pub fn is_completed(&self) -> bool {
        matches!(self, StageStatus::Completed)
    }
}

impl StageReport {
    /// Live (not suppressed) findings per severity: what the gate counts.
    pub fn counts_by_severity(&self) -> SeverityCounts {
        let mut counts = SeverityCounts::default();
        for finding in self.live_findings() {
            counts.add(finding.severity);
        }
        counts
    }

    /// The most severe live finding's severity, if the stage found anything
    /// that is not suppressed.
    pub fn max_severity(&self) -> Option<Severity> {
        self.live_findings().map(|f| f.severity).max()
    }

    /// Findings no suppression hides, in the stage's order.
    pub fn live_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.is_suppressed())
    }

    /// Findings the stage reported as suppressed (see [`Finding::suppression`]).
    pub fn suppressed_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_suppressed())
    }
}

/// [`RunReport::exit_code`] when every stage completed and nothing reached `fail_on`.
pub const EXIT_OK: i32 = 0;
/// [`RunReport::exit_code`] when a finding is at or above `fail_on`.
pub const EXIT_FINDINGS: i32 = 1;
/// [`RunReport::exit_code`] when a stage errored or was skipped.
pub const EXIT_INCOMPLETE: i32 = 2;

impl RunReport {
    /// Suppressed findings over every stage (kept in reports, not counted).
    pub fn suppressed_count(&self) -> usize {
        self.stages
            .iter()
            .map(|s| s.suppressed_findings().count())
            .sum()
    }

    /// The most severe live finding of the run, over every stage.
    pub fn max_severity(&self) -> Option<Severity> {
        self.stages
            .iter()
            .filter_map(StageReport::max_severity)
            .max()
    }

    /// Live findings per severity, over every stage.
    pub fn counts_by_severity(&self) -> SeverityCounts {
        let mut counts = SeverityCounts::default();
        for stage in &self.stages {
            counts.merge(&stage.counts_by_severity());
        }
        counts
    }

    /// Live findings at or above `fail_on`, over every stage; suppressed
    /// findings never count.
    pub fn failing_findings(&self) -> usize {
        self.counts_by_severity().at_or_above(self.fail_on)
    }

    /// True when a stage errored or was skipped, or its findings were cut
    /// at the cap: the run did not look at (or keep) everything it was
    /// asked to, so it can never be reported clean.
    pub fn is_incomplete(&self) -> bool {
        self.stages
            .iter()
            .any(|s| !s.status.is_completed() || s.findings_truncated)
    }

    /// The process exit code for CI.
    ///
    /// - [`EXIT_INCOMPLETE`] (2): a stage errored, was skipped or reached its
    ///   findings cap. This wins
    ///   over findings: a run that did not finish cannot claim its findings
    ///   are the whole story, and CI scripts that special-case 1 ("fix the
    ///   findings") must not hide a broken scan.
    /// - [`EXIT_FINDINGS`] (1): every stage completed and a finding is at or
    ///   above `fail_on`.
    /// - [`EXIT_OK`] (0): every stage completed and nothing reached `fail_on`.
    ///
    /// Files a completed stage could not read (`skipped`) are also findings
    /// of their own (rule `cordon/unscanned`, added by the runner at the
    /// policy's severity), so `fail_on` acts on them like on any finding.
    pub fn exit_code(&self) -> i32 {
        if self.is_incomplete() {
            EXIT_INCOMPLETE
        } else if self.failing_findings() > 0 {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }
}

impl Location {
    /// `path:line:col`, `path (byte N)` or `path`: where to look, as
    /// terminals and CI logs print it.
    pub fn position(&self) -> String {
        match (self.region, self.byte_offset) {
            (Some(r), _) => format!("{}:{}:{}", self.path, r.start_line, r.start_column),
            (None, Some(offset)) => format!("{} (byte {offset})", self.path),
            (None, None) => self.path.clone(),
        }
    }

    /// The archive member and commit, when there are any:
    /// `member inner/model.pkl, commit 0123456789ab`.
    pub fn context(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(member) = self.member.as_deref().filter(|m| !m.is_empty()) {
            parts.push(format!("member {member}"));
        }
        if let Some(commit) = self.commit.as_deref().filter(|c| !c.is_empty()) {
            parts.push(format!("commit {}", short_commit(commit)));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The first 12 hex digits of a commit id: unambiguous in practice, short
/// enough for a line.
pub fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// The finding property naming how a reported finding is suppressed:
/// `inSource` (a comment in the scanned file) or `external` (a baseline, an
/// ignore file, an allow-list). A finding carrying it is kept in every
/// report, rendered as suppressed in SARIF, and never counted by `fail_on`.
pub const SUPPRESSION_KIND_PROPERTY: &str = "suppression-kind";
/// The finding property saying why or by what it is suppressed.
pub const SUPPRESSION_JUSTIFICATION_PROPERTY: &str = "suppression-justification";
/// The finding property comparing it with a baseline: `new`, `unchanged`,
/// `updated` or `absent` (SARIF's `baselineState`).
pub const BASELINE_STATE_PROPERTY: &str = "baseline-state";

/// The finding property holding the web page of the rule that reported
/// it, when the rule is known only at run time (an advisory's own page):
/// it becomes the SARIF rule's `helpUri`.
pub const HELP_URI_PROPERTY: &str = "help-uri";

/// Finding properties whose value is a list. The stage contract carries
/// property values as strings, so a stage hands such a value over as a JSON
/// array of strings (`["CVE-2019-1010083","GHSA-5wv5-4vpf-pj6m"]`); the
/// SARIF and JSON reports write it as an array.
pub const LIST_PROPERTIES: [&str; 4] = [
    "aliases",
    "fixed-versions",
    "dependency-path",
    "upgrade-leaves",
];

/// The list a [`LIST_PROPERTIES`] value holds, or `None` when the key is
/// not a list key or the value is not a JSON array of strings (then it is
/// an ordinary string).
pub fn list_property(key: &str, value: &str) -> Option<Vec<String>> {
    if !LIST_PROPERTIES.contains(&key) || !value.trim_start().starts_with('[') {
        return None;
    }
    serde_json::from_str(value).ok()
}

/// Serde for [`Finding::properties`]: list values as JSON arrays, read
/// back into the stage's encoding so a report round-trips.
mod property_pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Value {
        Text(String),
        List(Vec<String>),
    }

    pub fn serialize<S: Serializer>(
        properties: &[(String, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(properties.iter().map(|(key, value)| {
            let value = match super::list_property(key, value) {
                Some(list) => Value::List(list),
                None => Value::Text(value.clone()),
            };
            (key, value)
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        let pairs: Vec<(String, Value)> = Vec::deserialize(deserializer)?;
        pairs
            .into_iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::Text(text) => text,
                    Value::List(list) => {
                        serde_json::to_string(&list).map_err(serde::de::Error::custom)?
                    }
                };
                Ok((key, value))
            })
            .collect()
    }
}

/// SARIF's `suppression.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    /// Suppressed in the scanned source itself (`cordon:allow` comments).
    InSource,
    /// Suppressed outside it (baseline, ignore file, allow-list, policy).
    External,
}

impl SuppressionKind {
    /// The SARIF spelling, also the property value a stage sets.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        }
    }

    /// Reads a property value; `None` for anything else, so a misspelt
    /// kind never hides a finding from the gate.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            v if v.eq_ignore_ascii_case("inSource") || v.eq_ignore_ascii_case("in-source") => {
                Some(SuppressionKind::InSource)
            }
            v if v.eq_ignore_ascii_case("external") => Some(SuppressionKind::External),
            _ => None,
        }
    }
}

/// How a finding is suppressed, read from its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// Why, when the stage said (empty justifications are `None`).
    pub justification: Option<String>,
}

/// SARIF's `result.baselineState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineState {
    New,
    Unchanged,
    Updated,
    Absent,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Updated => "updated",
            BaselineState::Absent => "absent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "new" => Some(BaselineState::New),
            "unchanged" => Some(BaselineState::Unchanged),
            "updated" => Some(BaselineState::Updated),
            "absent" => Some(BaselineState::Absent),
            _ => None,
        }
    }
}

impl Finding {
    /// The value of property `key`, the first if it is repeated.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// How the finding is suppressed, when its stage says it is (a
    /// [`SUPPRESSION_KIND_PROPERTY`] of a known kind).
    pub fn suppression(&self) -> Option<Suppression> {
        let kind = SuppressionKind::parse(self.property(SUPPRESSION_KIND_PROPERTY)?)?;
        let justification = self
            .property(SUPPRESSION_JUSTIFICATION_PROPERTY)
            .map(str::trim)
            .filter(|j| !j.is_empty())
            .map(str::to_string);
        Some(Suppression {
            kind,
            justification,
        })
    }

    /// True when a suppression hides the finding from the gate.
    pub fn is_suppressed(&self) -> bool {
        self.suppression().is_some()
    }

    /// The finding's state against a baseline, when its stage knows it.
    pub fn baseline_state(&self) -> Option<BaselineState> {
        BaselineState::parse(self.property(BASELINE_STATE_PROPERTY)?)
    }

    /// `path:line:col (member …, commit …)`, or `(no location)`.
    pub fn position(&self) -> String {
        match &self.location {
            Some(location) => match location.context() {
                Some(context) => format!("{} ({context})", location.position()),
                None => location.position(),
            },
            None => "(no location)".to_string(),
        }
    }
}
