//! The stage's options table (`[stages.iac.options]`), handed over by the
//! host as JSON. Unknown keys are rejected so that a typo never silently
//! turns a setting off.
//!
//! ```toml
//! [stages.iac.options]
//! disabled-rules = ["iac/docker-no-healthcheck"]
//! severity = { "iac/k8s-no-cpu-limit" = "info" }
//!
//! [[stages.iac.options.ignore]]
//! rule = "iac/aws-s3-public-acl"
//! paths = ["infra/site/**"]
//! reason = "the static website bucket is public by design"
//! ```

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::finding::Severity;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct IacConfig {
    /// Policy ids not to run.
    pub disabled_rules: Vec<String>,
    /// Per-policy severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Findings accepted for some paths, each with a reason.
    pub ignore: Vec<IgnoreConfig>,
    /// Turn off `cordon:allow` / `checkov:skip` / `trivy:ignore` comments
    /// (a policy's `forbid-suppressions`); on by default.
    pub inline_suppressions: Option<bool>,
    /// Policies whose findings no comment or `ignore` entry may suppress.
    pub unsuppressible_rules: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IgnoreConfig {
    pub rule: String,
    /// Globs over workspace-relative paths; empty means every path.
    #[serde(default)]
    pub paths: Vec<String>,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("iac options: {0}")]
    Json(#[from] serde_json::Error),
    #[error("iac options: `{key}` names `{id}`, which is not a policy")]
    UnknownRule { key: &'static str, id: String },
    #[error("iac options: ignore entry for `{0}` needs a non-empty reason")]
    MissingReason(String),
    #[error("iac options: bad glob `{glob}`: {message}")]
    Glob { glob: String, message: String },
}

impl IacConfig {
    pub fn from_json(json: &str) -> Result<IacConfig, ConfigError> {
        if json.trim().is_empty() {
            return Ok(IacConfig::default());
        }
        Ok(serde_json::from_str(json)?)
    }
}

/// An `ignore` entry ready to match.
#[derive(Debug)]
pub(crate) struct CompiledIgnore {
    pub rule: String,
    pub paths: Option<GlobSet>,
    pub reason: String,
}

impl CompiledIgnore {
    pub fn matches(&self, rule: &str, path: &str) -> bool {
        self.rule == rule && self.paths.as_ref().is_none_or(|globs| globs.is_match(path))
    }
}

/// Checks the config against the known policy ids and compiles its globs.
pub(crate) fn compile(
    config: &IacConfig,
    known: &[&str],
) -> Result<Vec<CompiledIgnore>, ConfigError> {
    let check = |key: &'static str, id: &String| {
        if known.contains(&id.as_str()) {
            Ok(())
        } else {
            Err(ConfigError::UnknownRule {
                key,
                id: id.clone(),
            })
        }
    };
    for id in &config.disabled_rules {
        check("disabled-rules", id)?;
    }
    for id in config.severity.keys() {
        check("severity", id)?;
    }
    for id in &config.unsuppressible_rules {
        check("unsuppressible-rules", id)?;
    }
    config
        .ignore
        .iter()
        .map(|entry| {
            check("ignore", &entry.rule)?;
            if entry.reason.trim().is_empty() {
                return Err(ConfigError::MissingReason(entry.rule.clone()));
            }
            let paths = if entry.paths.is_empty() {
                None
            } else {
                let mut builder = GlobSetBuilder::new();
                for glob in &entry.paths {
                    builder.add(Glob::new(glob).map_err(|error| ConfigError::Glob {
                        glob: glob.clone(),
                        message: error.kind().to_string(),
                    })?);
                }
                Some(builder.build().map_err(|error| ConfigError::Glob {
                    glob: entry.paths.join(", "),
                    message: error.kind().to_string(),
                })?)
            };
            Ok(CompiledIgnore {
                rule: entry.rule.clone(),
                paths,
                reason: entry.reason.clone(),
            })
        })
        .collect()
}
