//! What an analyser reports, shaped to map one-to-one onto the WIT
//! `finding` record (the wrapper adds the file path).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Ordered from least to most severe, like the WIT `severity` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// One problem in one model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFinding {
    /// Stable rule id from [`crate::rules::RULES`], e.g. `models/pickle-code-execution`.
    pub rule_id: String,
    pub severity: Severity,
    /// Human message naming the format and the offending global, op or fragment.
    pub message: String,
    /// The offending thing itself (`os.system`, `ReadFile`, a template
    /// fragment, an anomaly kind). Stable across runs; feeds the fingerprint.
    pub subject: String,
    /// Byte offset in the file or, when `member` is set, in that member's
    /// (uncompressed) data. `None` when no single position applies.
    pub offset: Option<u64>,
    /// Archive member (zip/tar entry name) the finding is in.
    pub member: Option<String>,
    /// Extra facts for SARIF properties, e.g. `cve` = the CVE whose attack
    /// class the finding matches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl ModelFinding {
    pub fn new(
        rule_id: &str,
        severity: Severity,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ModelFinding {
            rule_id: rule_id.to_string(),
            severity,
            message: message.into(),
            subject: subject.into(),
            offset: None,
            member: None,
            properties: BTreeMap::new(),
        }
    }

    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Attaches the archive member, unless the finding already names a
    /// deeper one.
    pub fn in_member(mut self, member: Option<&str>) -> Self {
        if self.member.is_none() {
            self.member = member.map(str::to_string);
        }
        self
    }

    /// Stable fingerprint for baselines: independent of offsets and message
    /// wording, so it survives re-serialisation of the same payload.
    pub fn fingerprint(&self, path: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [
            self.rule_id.as_str(),
            path,
            self.member.as_deref().unwrap_or(""),
            self.subject.as_str(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// Text from a hostile file, made safe to print: control characters are
/// escaped and the length is capped.
pub fn printable(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count >= max_chars {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}
