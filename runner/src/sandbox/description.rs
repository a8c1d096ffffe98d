//! A stage's `describe()` result in a form the cache can keep.
//!
//! `describe()` runs with no grants, so what it returns depends on nothing
//! but the component: a warm run takes it from the authenticated cache
//! instead of instantiating the plugin a second time (for the built-in
//! `iac` stage, parsing its 263 policies) before the real run.

use serde::{Deserialize, Serialize};

use crate::host::bindings::cordon::stage::types as wit;

#[derive(Serialize, Deserialize)]
struct StoredDescription {
    name: String,
    version: String,
    description: String,
    rules: Vec<StoredRule>,
    workspace: bool,
    data: Vec<String>,
    artifacts_read: Vec<String>,
    artifacts_write: Vec<String>,
    shardable: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredRule {
    id: String,
    short_description: String,
    full_description: String,
    help: String,
    default_severity: u8,
    /// Required: an entry written before rules had properties fails to
    /// parse, so `describe()` runs again rather than losing them.
    properties: Vec<(String, String)>,
}

const SEVERITIES: [wit::Severity; 5] = [
    wit::Severity::Info,
    wit::Severity::Low,
    wit::Severity::Medium,
    wit::Severity::High,
    wit::Severity::Critical,
];

pub fn to_bytes(info: &wit::StageInfo) -> Vec<u8> {
    let stored = StoredDescription {
        name: info.name.clone(),
        version: info.version.clone(),
        description: info.description.clone(),
        rules: info
            .rules
            .iter()
            .map(|rule| StoredRule {
                id: rule.id.clone(),
                short_description: rule.short_description.clone(),
                full_description: rule.full_description.clone(),
                help: rule.help.clone(),
                default_severity: SEVERITIES
                    .iter()
                    .position(|s| *s == rule.default_severity)
                    .unwrap_or_default() as u8,
                properties: rule.properties.clone(),
            })
            .collect(),
        workspace: info.requests.workspace,
        data: info.requests.data.clone(),
        artifacts_read: info.requests.artifacts_read.clone(),
        artifacts_write: info.requests.artifacts_write.clone(),
        shardable: info.shardable,
    };
    serde_json::to_vec(&stored).unwrap_or_default()
}

/// `None` for bytes this module did not write (an older format, say).
pub fn from_bytes(bytes: &[u8]) -> Option<wit::StageInfo> {
    let stored: StoredDescription = serde_json::from_slice(bytes).ok()?;
    let mut rules = Vec::with_capacity(stored.rules.len());
    for rule in stored.rules {
        rules.push(wit::Rule {
            id: rule.id,
            short_description: rule.short_description,
            full_description: rule.full_description,
            help: rule.help,
            default_severity: *SEVERITIES.get(usize::from(rule.default_severity))?,
            properties: rule.properties,
        });
    }
    Some(wit::StageInfo {
        name: stored.name,
        version: stored.version,
        description: stored.description,
        rules,
        requests: wit::CapabilityRequest {
            workspace: stored.workspace,
            data: stored.data,
            artifacts_read: stored.artifacts_read,
            artifacts_write: stored.artifacts_write,
        },
        shardable: stored.shardable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_comes_back_as_it_was_stored() {
        let info = wit::StageInfo {
            name: "demo".into(),
            version: "1.2.3".into(),
            description: "does things".into(),
            rules: vec![wit::Rule {
                id: "demo/one".into(),
                short_description: "one".into(),
                full_description: "the first".into(),
                help: "fix it".into(),
                default_severity: wit::Severity::Critical,
                properties: vec![("theme".into(), "plaintext-secrets".into())],
            }],
            requests: wit::CapabilityRequest {
                workspace: true,
                data: vec!["rustsec".into()],
                artifacts_read: vec!["sbom".into()],
                artifacts_write: vec![],
            },
            shardable: true,
        };
        let back = from_bytes(&to_bytes(&info)).expect("reads its own format");
        assert_eq!(to_bytes(&back), to_bytes(&info));
        assert_eq!(back.rules[0].default_severity, wit::Severity::Critical);
        assert_eq!(back.rules[0].properties, info.rules[0].properties);
        // An entry from before rules had properties is not believed to
        // have none: it does not parse, and describe() runs again.
        let mut older: serde_json::Value = serde_json::from_slice(&to_bytes(&info)).unwrap();
        older["rules"][0]
            .as_object_mut()
            .unwrap()
            .remove("properties");
        assert!(from_bytes(&serde_json::to_vec(&older).unwrap()).is_none());
        assert!(back.shardable && back.requests.workspace);
        assert!(from_bytes(b"{\"name\":1}").is_none());
    }
}
