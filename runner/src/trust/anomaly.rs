//! What is normal for a plugin, and what is not: the seed of continuous
//! monitoring of the stages themselves.
//!
//! Every stage's host calls are summed up in an [`AccessProfile`]: the
//! interfaces it used, the families of paths it read (`*.rs`, `.env`,
//! `Cargo.lock`, …), the artifacts and data sets it touched, and how many
//! bytes it read. `cordon audit baseline --from AUDIT.jsonl` stores each
//! stage's profile from an audit log; `--audit-baseline FILE` compares each
//! run against it, and what is new becomes a finding of its own, so an
//! updated or compromised plugin that starts reaching for new data fails
//! the gate like any other finding.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use cordon_report::{Finding, Location, Rule, Severity};

pub const NEW_INTERFACE: &str = "cordon.anomaly.new-interface";
pub const NEW_PATH: &str = "cordon.anomaly.new-path";
pub const VOLUME: &str = "cordon.anomaly.volume";

/// Families kept per profile; a plugin touching more is itself an anomaly
/// the count already shows, and the host must not grow without bound.
const MAX_FAMILIES: usize = 4096;
/// Reading this many times the baseline's bytes (and at least 1 MiB more)
/// is a volume anomaly.
const VOLUME_FACTOR: u64 = 10;
const VOLUME_SLACK: u64 = 1 << 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AccessProfile {
    /// The plugin digest the profile was taken from.
    #[serde(default)]
    pub plugin: String,
    pub interfaces: BTreeSet<String>,
    pub path_families: BTreeSet<String>,
    pub artifacts: BTreeSet<String>,
    pub data_sets: BTreeSet<String>,
    pub bytes_read: u64,
}

/// The family a workspace path belongs to: its extension (`*.rs`), or for
/// a name without one the name itself when it is a dotfile or a well-known
/// file (`.env`, `Makefile`), else `(no extension)`.
pub fn path_family(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some(("", _)) => name.to_string(),
        Some((_, extension)) => format!("*.{extension}"),
        None if name.chars().next().is_some_and(char::is_uppercase) => name.to_string(),
        None => "(no extension)".to_string(),
    }
}

impl AccessProfile {
    /// Adds what another instance of the same stage did: a stage run as
    /// several instances is compared to its baseline as one.
    pub fn absorb(&mut self, other: &AccessProfile) {
        for (mine, theirs) in [
            (&mut self.interfaces, &other.interfaces),
            (&mut self.path_families, &other.path_families),
            (&mut self.artifacts, &other.artifacts),
            (&mut self.data_sets, &other.data_sets),
        ] {
            for value in theirs {
                if mine.len() >= MAX_FAMILIES {
                    break;
                }
                mine.insert(value.clone());
            }
        }
        self.bytes_read += other.bytes_read;
    }

    /// Adds one allowed host call.
    pub fn observe(&mut self, call: &str, target: &str, bytes: u64) {
        if !self.interfaces.contains(call) {
            self.interfaces.insert(call.to_string());
        }
        let (set, value) = match call {
            "workspace.read" | "workspace.read-at" | "workspace.sha256" | "workspace.stat" => {
                (&mut self.path_families, path_family(target))
            }
            "artifacts.get" | "artifacts.put" => (&mut self.artifacts, target.to_string()),
            "data.read" | "data.info" | "data.list-files" => (
                &mut self.data_sets,
                target.split(':').next().unwrap_or(target).to_string(),
            ),
            _ => return,
        };
        if set.len() < MAX_FAMILIES {
            set.insert(value);
        }
        if matches!(
            call,
            "workspace.read"
                | "workspace.read-at"
                | "workspace.sha256"
                | "artifacts.get"
                | "data.read"
        ) {
            self.bytes_read += bytes;
        }
    }

    /// Findings for what `self` (this run) did that `baseline` did not.
    pub fn deviations(&self, baseline: &AccessProfile, stage: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut finding = |rule: &str, message: String, subject: &str| {
            findings.push(Finding {
                rule_id: rule.to_string(),
                severity: Severity::High,
                message,
                location: None::<Location>,
                fingerprint: format!("{rule}:{stage}:{subject}"),
                snippet: None,
                properties: vec![("stage".into(), stage.to_string())],
            });
        };
        for interface in self.interfaces.difference(&baseline.interfaces) {
            finding(
                NEW_INTERFACE,
                format!("stage `{stage}` called `{interface}`, which its audit baseline never saw"),
                interface,
            );
        }
        for (what, now, before) in [
            (
                "files of the family",
                &self.path_families,
                &baseline.path_families,
            ),
            ("artifact", &self.artifacts, &baseline.artifacts),
            ("data set", &self.data_sets, &baseline.data_sets),
        ] {
            for new in now.difference(before) {
                finding(
                    NEW_PATH,
                    format!(
                        "stage `{stage}` read {what} `{new}`, which its audit baseline never saw"
                    ),
                    new,
                );
            }
        }
        let limit = baseline
            .bytes_read
            .saturating_mul(VOLUME_FACTOR)
            .max(baseline.bytes_read.saturating_add(VOLUME_SLACK));
        if self.bytes_read > limit {
            finding(
                VOLUME,
                format!(
                    "stage `{stage}` read {} bytes, over {VOLUME_FACTOR}x its audit baseline's {}",
                    self.bytes_read, baseline.bytes_read
                ),
                "bytes",
            );
        }
        findings
    }
}

/// The rules of the anomaly findings, for the report.
pub fn rules() -> Vec<Rule> {
    let rule = |id: &str, short: &str, full: &str| {
        Rule {
        id: id.to_string(),
        short_description: short.to_string(),
        full_description: full.to_string(),
        help: "If the plugin changed on purpose, review what it now reads and record a new baseline with `cordon audit baseline --from AUDIT.jsonl`; otherwise treat the plugin as compromised and pin the previous digest.".to_string(),
        default_severity: Severity::High,
        properties: Vec::new(),
    }
    };
    vec![
        rule(
            NEW_INTERFACE,
            "Stage used a new host interface",
            "The stage called a host interface its audit baseline never saw.",
        ),
        rule(
            NEW_PATH,
            "Stage read a new kind of data",
            "The stage read a family of files, an artifact or a data set its audit baseline never saw.",
        ),
        rule(
            VOLUME,
            "Stage read far more than usual",
            "The stage read more than ten times the bytes of its audit baseline.",
        ),
    ]
}

/// Stage name -> its profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditBaseline {
    pub version: u32,
    pub stages: BTreeMap<String, AccessProfile>,
}

impl AuditBaseline {
    /// The profiles of every stage in an audit log (`--audit-log` output):
    /// allowed calls only.
    pub fn from_audit_log(text: &str) -> Result<AuditBaseline, String> {
        let mut stages: BTreeMap<String, AccessProfile> = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let entry: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("line {}: not an audit-log entry: {e}", index + 1))?;
            let field = |key: &str| entry[key].as_str().unwrap_or_default();
            if field("outcome") != "allowed" {
                continue;
            }
            let profile = stages.entry(field("stage").to_string()).or_default();
            profile.plugin = field("plugin").to_string();
            profile.observe(
                field("call"),
                field("target"),
                entry["bytes"].as_u64().unwrap_or(0),
            );
        }
        if stages.is_empty() {
            return Err(
                "the audit log records no allowed calls, so it says nothing about what is normal"
                    .into(),
            );
        }
        Ok(AuditBaseline { version: 1, stages })
    }

    pub fn load(path: &Path) -> Result<AuditBaseline, String> {
        let bytes = crate::trust::files::read_regular(path, "audit baseline", 16 << 20)
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not an audit baseline: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_group_paths_by_kind() {
        assert_eq!(path_family("src/lib.rs"), "*.rs");
        assert_eq!(path_family("deploy/.env"), ".env");
        assert_eq!(path_family("Makefile"), "Makefile");
        assert_eq!(path_family("bin/tool"), "(no extension)");
    }

    #[test]
    fn a_plugin_reaching_for_new_data_deviates() {
        let log = [
            r#"{"stage":"audit","plugin":"aa","call":"workspace.read","target":"Cargo.lock","bytes":100,"outcome":"allowed"}"#,
            r#"{"stage":"audit","plugin":"aa","call":"workspace.read","target":"../x","bytes":0,"outcome":"denied"}"#,
        ]
        .join("\n");
        let baseline = AuditBaseline::from_audit_log(&log).unwrap();
        let normal = &baseline.stages["audit"];
        assert!(normal.path_families.contains("*.lock"));
        assert_eq!(normal.bytes_read, 100);

        let mut now = AccessProfile::default();
        now.observe("workspace.read", "Cargo.lock", 100);
        assert!(now.deviations(normal, "audit").is_empty());
        now.observe("workspace.read", ".env", 10);
        now.observe("cache.put", "k", 0);
        now.observe("workspace.read-at", "big.bin", 50 << 20);
        let rules: Vec<String> = now
            .deviations(normal, "audit")
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        for expected in [NEW_INTERFACE, NEW_PATH, VOLUME] {
            assert!(rules.iter().any(|r| r == expected), "{expected}: {rules:?}");
        }
    }
}
