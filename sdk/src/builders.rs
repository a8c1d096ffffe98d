//! Constructors for the WIT records, so a stage reads like prose instead of
//! struct literals, plus the two helpers every stage needs: fingerprints and
//! redaction.

use sha2::{Digest, Sha256};

use crate::{
    AccessError, CapabilityRequest, Finding, Location, Region, Rule, Severity, StageError,
    StageInfo, Summary, WalkOptions,
};

impl StageInfo {
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            description: description.to_string(),
            rules: Vec::new(),
            requests: CapabilityRequest {
                workspace: false,
                data: Vec::new(),
                artifacts_read: Vec::new(),
                artifacts_write: Vec::new(),
            },
            shardable: false,
        }
    }

    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// Asks for read access to the workspace.
    pub fn workspace(mut self) -> Self {
        self.requests.workspace = true;
        self
    }

    /// Asks for a named read-only data set.
    pub fn data(mut self, name: &str) -> Self {
        self.requests.data.push(name.to_string());
        self
    }

    pub fn reads_artifact(mut self, name: &str) -> Self {
        self.requests.artifacts_read.push(name.to_string());
        self
    }

    pub fn writes_artifact(mut self, name: &str) -> Self {
        self.requests.artifacts_write.push(name.to_string());
        self
    }

    /// Declares that the stage treats each file and commit on its own, so
    /// the host may split the workspace over several instances of it.
    pub fn shardable(mut self) -> Self {
        self.shardable = true;
        self
    }
}

impl Rule {
    /// A rule whose full description and help default to its short one.
    pub fn new(id: &str, short_description: &str, default_severity: Severity) -> Self {
        Self {
            id: id.to_string(),
            short_description: short_description.to_string(),
            full_description: short_description.to_string(),
            help: short_description.to_string(),
            default_severity,
            properties: Vec::new(),
        }
    }

    /// Adds a fact shown in the rule's SARIF `properties` (e.g. `theme`).
    pub fn property(mut self, key: &str, value: impl Into<String>) -> Self {
        self.properties.push((key.to_string(), value.into()));
        self
    }

    pub fn full_description(mut self, text: &str) -> Self {
        self.full_description = text.to_string();
        self
    }

    pub fn help(mut self, text: &str) -> Self {
        self.help = text.to_string();
        self
    }
}

impl Finding {
    /// A finding with a fingerprint derived from the rule and message; call
    /// [`Finding::fingerprint`] to key it on something steadier.
    pub fn new(rule_id: &str, severity: Severity, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            fingerprint: fingerprint(&[rule_id, &message]),
            rule_id: rule_id.to_string(),
            severity,
            message,
            location: None,
            snippet: None,
            properties: Vec::new(),
        }
    }

    /// Locates the finding in a workspace file.
    pub fn at(mut self, path: &str) -> Self {
        self.location = Some(Location {
            path: path.to_string(),
            region: None,
            byte_offset: None,
            member: None,
            commit: None,
        });
        self
    }

    /// 1-based lines and columns. Needs [`Finding::at`] first.
    pub fn region(
        mut self,
        start_line: u32,
        start_column: u32,
        end_line: u32,
        end_column: u32,
    ) -> Self {
        if let Some(location) = &mut self.location {
            location.region = Some(Region {
                start_line,
                start_column,
                end_line,
                end_column,
            });
        }
        self
    }

    /// Byte offset into the file. Needs [`Finding::at`] first.
    pub fn byte_offset(mut self, offset: u64) -> Self {
        if let Some(location) = &mut self.location {
            location.byte_offset = Some(offset);
        }
        self
    }

    /// Archive member. Needs [`Finding::at`] first.
    pub fn member(mut self, member: &str) -> Self {
        if let Some(location) = &mut self.location {
            location.member = Some(member.to_string());
        }
        self
    }

    /// Commit id. Needs [`Finding::at`] first.
    pub fn commit(mut self, commit: &str) -> Self {
        if let Some(location) = &mut self.location {
            location.commit = Some(commit.to_string());
        }
        self
    }

    pub fn fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = fingerprint.into();
        self
    }

    /// Context to show with the finding. It must already be redacted.
    pub fn snippet(mut self, snippet: impl Into<String>) -> Self {
        self.snippet = Some(snippet.into());
        self
    }

    pub fn property(mut self, key: &str, value: impl Into<String>) -> Self {
        self.properties.push((key.to_string(), value.into()));
        self
    }
}

// `Summary` is generated from the WIT by wit-bindgen, so it cannot simply
// `#[derive(Default)]` here; clippy only sees that every field is a default.
#[allow(clippy::derivable_impls)]
impl Default for Summary {
    fn default() -> Self {
        Self {
            files_scanned: 0,
            bytes_scanned: 0,
            skipped: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// The usual walk: files ignored by `.gitignore` and hidden (dot) files are left out.
impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            include_ignored: false,
            include_hidden: false,
        }
    }
}

impl Summary {
    /// Records a file the stage could not scan; it is reported, never clean.
    pub fn skip(&mut self, path: &str, reason: impl Into<String>) {
        self.skipped.push(crate::Skipped {
            path: path.to_string(),
            reason: reason.into(),
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

impl AccessError {
    /// A one-line, human description (the generated `Display` is `Debug`-shaped).
    pub fn describe(&self) -> String {
        match self {
            AccessError::Denied(m) => format!("denied: {m}"),
            AccessError::NotFound(m) => format!("not found: {m}"),
            AccessError::Limit(m) => format!("limit reached: {m}"),
            AccessError::Io(m) => format!("I/O error: {m}"),
        }
    }
}

impl From<AccessError> for StageError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Denied(m) => StageError::Denied(m),
            other => StageError::Failed(other.describe()),
        }
    }
}

impl StageError {
    /// Invalid `options`, from a serde error.
    pub fn options(error: impl std::fmt::Display) -> Self {
        StageError::InvalidOptions(error.to_string())
    }
}

/// The `options` string `run` receives, as a JSON table. An empty string
/// or `null` (no `[stages.NAME.options]` in the pipeline) is an empty table;
/// anything else that is not a table is [`StageError::InvalidOptions`].
pub fn options_table(json: &str) -> Result<serde_json::Map<String, serde_json::Value>, StageError> {
    let value: serde_json::Value = if json.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(json).map_err(StageError::options)?
    };
    match value {
        serde_json::Value::Null => Ok(serde_json::Map::new()),
        serde_json::Value::Object(table) => Ok(table),
        other => Err(StageError::InvalidOptions(format!(
            "expected a table of options, got {other}"
        ))),
    }
}

/// A stable hex fingerprint of `parts` (sha256, parts separated by NUL so
/// `["ab", "c"]` and `["a", "bc"]` differ).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update([0u8]);
        }
        hasher.update(part.as_bytes());
    }
    hex::encode(&hasher.finalize()[..16])
}

/// A form of `secret` that is safe to print: at most its first 4 characters
/// (fewer for short values), an ellipsis and its length.
pub fn redact(secret: &str) -> String {
    let count = secret.chars().count();
    let shown = (count / 4).min(4);
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}…({count} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_the_whole_value() {
        let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let red = redact(secret);
        assert_eq!(red, "ghp_…(40 chars)");
        assert!(!red.contains("abcdefgh"));
        assert_eq!(redact("abc"), "…(3 chars)");
        assert_eq!(redact("abcdefgh"), "ab…(8 chars)");
    }

    #[test]
    fn fingerprints_separate_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["x"]), fingerprint(&["x"]));
        assert_eq!(fingerprint(&["x"]).len(), 32);
    }

    #[test]
    fn access_errors_map_to_stage_errors() {
        let denied: StageError = AccessError::Denied("x".into()).into();
        assert!(matches!(denied, StageError::Denied(m) if m == "x"));
        let io: StageError = AccessError::Io("disk".into()).into();
        assert!(matches!(io, StageError::Failed(m) if m.contains("disk")));
    }
}

#[cfg(test)]
mod options_tests {
    use super::*;

    #[test]
    fn options_are_a_table_or_nothing() {
        assert!(options_table("").unwrap().is_empty());
        assert!(options_table("null").unwrap().is_empty());
        assert_eq!(options_table(r#"{"a": 1}"#).unwrap()["a"], 1);
        assert!(
            matches!(options_table("[1]"), Err(StageError::InvalidOptions(m)) if m.contains("expected a table"))
        );
        assert!(matches!(
            options_table("{"),
            Err(StageError::InvalidOptions(_))
        ));
    }
}
