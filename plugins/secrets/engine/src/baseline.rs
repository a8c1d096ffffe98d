//! Baselines: a JSON file of accepted findings, by fingerprint, so that only
//! new findings fail a build.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Finding;

const FORMAT_VERSION: u32 = 1;

/// One accepted finding. The rule id and path are informative (they make
/// the file reviewable); matching is by fingerprint alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub path: String,
}

/// A set of accepted findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeMap<String, BaselineEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<BaselineEntry>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BaselineError {
    #[error("baseline is not valid JSON of the expected shape: {0}")]
    Malformed(String),
    #[error("baseline format version {0} is not supported (expected {FORMAT_VERSION})")]
    UnsupportedVersion(u32),
}

impl Baseline {
    /// A baseline accepting exactly `findings`.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let mut baseline = Baseline::default();
        for finding in findings {
            baseline.insert(finding);
        }
        baseline
    }

    pub fn insert(&mut self, finding: &Finding) {
        self.entries.insert(
            finding.fingerprint.clone(),
            BaselineEntry {
                fingerprint: finding.fingerprint.clone(),
                rule_id: finding.rule_id.clone(),
                path: finding.path.clone(),
            },
        );
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries sorted by fingerprint.
    pub fn entries(&self) -> impl Iterator<Item = &BaselineEntry> {
        self.entries.values()
    }

    pub fn from_json(text: &str) -> Result<Baseline, BaselineError> {
        let file: BaselineFile = serde_json::from_str(text)
            .map_err(|error| BaselineError::Malformed(error.to_string()))?;
        if file.version != FORMAT_VERSION {
            return Err(BaselineError::UnsupportedVersion(file.version));
        }
        Ok(Baseline {
            entries: file
                .findings
                .into_iter()
                .map(|e| (e.fingerprint.clone(), e))
                .collect(),
        })
    }

    /// Pretty JSON with entries sorted by fingerprint, so rewriting a
    /// baseline gives small diffs.
    pub fn to_json(&self) -> String {
        let file = BaselineFile {
            version: FORMAT_VERSION,
            findings: self.entries.values().cloned().collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("baseline serialises");
        text.push('\n');
        text
    }
}
