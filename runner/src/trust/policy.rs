//! The organisation policy: what any pipeline must contain and may do,
//! whoever wrote it. A policy outranks the pipeline file, the repository
//! and the command line.
//!
//! Found, first match wins: `--policy FILE`, `$CORDON_POLICY`,
//! `/etc/cordon/policy.toml`, then the user's configuration directory
//! (`~/.config/cordon/policy.toml` on Linux). With none, [`Policy::default`]
//! applies: no extra required stages, no minimum `fail-on`, any pinned
//! third-party plugin, repository pipelines allowed on request, and files a
//! stage could not scan reported at `high`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use cordon_report::Severity;

use crate::config::{ConfigError, Pipeline, PluginSource};
use crate::trust::files;

#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it came from, for messages (`<default policy>` when none).
    pub source: String,
    /// Stages every run must include (by name; built-in names can only be
    /// the built-in plugin).
    pub require_stages: BTreeSet<String>,
    /// `fail-on` is raised to at least this, whatever the pipeline or the
    /// command line asks for.
    pub min_fail_on: Option<Severity>,
    /// Whether `--repo-pipeline` may use the repository's own `cordon.toml`.
    pub allow_repo_pipeline: bool,
    /// Third-party plugins allowed to run, by sha256; `None` allows any
    /// pinned plugin.
    pub allow_plugins: Option<BTreeSet<String>>,
    /// Plugins loaded from a path must carry a valid signature by one of
    /// these ed25519 public keys (hex). Empty: signatures are not required.
    pub trusted_keys: Vec<String>,
    /// The severity of the finding raised for each file a stage could not scan.
    pub unscanned_severity: Severity,
    /// Whether suppressions the scanned repository controls count: the
    /// secrets stage's `cordon:allow` / `gitleaks:allow` comments, its
    /// in-repository baseline and the repository's `.gitleaksignore` and
    /// `.gitleaks.toml`, and (in a repository's own pipeline) the stages'
    /// allow-lists, ignores, the audit stage's `not-checked-severity` and
    /// the models stage's `allow-globals`. When false they are switched
    /// off, so every finding shows.
    pub allow_repo_suppressions: bool,
    /// Rules (ids, or prefixes ending in `*`) no suppression may hide,
    /// wherever it comes from: such findings are reported, naming the
    /// suppression they refused.
    pub forbid_suppressions: Vec<String>,
    /// Lower every suppressed finding to `info`, with a message naming its
    /// suppression (suppressed findings are in every report anyway, marked
    /// and not counted by the gate).
    pub report_suppressions: bool,
}

pub const DEFAULT_POLICY_NAME: &str = "<default policy>";

impl Default for Policy {
    fn default() -> Self {
        Policy {
            source: DEFAULT_POLICY_NAME.into(),
            require_stages: BTreeSet::new(),
            min_fail_on: None,
            allow_repo_pipeline: true,
            allow_plugins: None,
            trusted_keys: Vec::new(),
            unscanned_severity: Severity::High,
            allow_repo_suppressions: true,
            forbid_suppressions: Vec::new(),
            report_suppressions: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicyFile {
    policy: RawPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    #[serde(default)]
    require_stages: Vec<String>,
    min_fail_on: Option<Severity>,
    allow_repo_pipeline: Option<bool>,
    allow_plugins: Option<Vec<String>>,
    #[serde(default)]
    trusted_keys: Vec<String>,
    unscanned_severity: Option<Severity>,
    allow_repo_suppressions: Option<bool>,
    #[serde(default)]
    forbid_suppressions: Vec<String>,
    report_suppressions: Option<bool>,
}

/// A policy violation: the run does not start.
#[derive(Debug, thiserror::Error)]
#[error("policy {policy}: {message}")]
pub struct PolicyError {
    pub policy: String,
    pub message: String,
}

impl Policy {
    /// The policy file this run is bound by, if any: `explicit`, then
    /// `$CORDON_POLICY`, then the system and user locations.
    pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
        if let Some(path) = explicit {
            return Some(path.to_path_buf());
        }
        if let Some(path) = std::env::var_os("CORDON_POLICY").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
        let system = Path::new("/etc/cordon/policy.toml");
        if system.exists() {
            return Some(system.to_path_buf());
        }
        directories::ProjectDirs::from("dev", "cordon", "cordon")
            .map(|dirs| dirs.config_dir().join("policy.toml"))
            .filter(|user| user.exists())
    }

    /// Loads the policy at `path`; a policy that cannot be read is an error,
    /// never silently "no policy".
    pub fn load(path: &Path) -> Result<Policy, ConfigError> {
        let display = path.display().to_string();
        let whole_file = |message: String| ConfigError::whole_file(&display, message);
        let bytes = files::read_regular(path, "policy", files::MAX_CONFIG_BYTES)
            .map_err(|e| whole_file(e.to_string()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| whole_file("the policy file is not UTF-8 text".into()))?;
        Self::parse(&text, &display)
    }

    /// Parses policy text; `display` names it in errors.
    pub fn parse(text: &str, display: &str) -> Result<Policy, ConfigError> {
        let whole_file = |message: String| ConfigError::whole_file(display, message);
        let raw: RawPolicyFile = toml::from_str(text).map_err(|e| {
            crate::config::located(
                text,
                display,
                e.span(),
                e.message().trim().to_string(),
                Some("see \"Policy\" in docs/SECURITY.md; keys are kebab-case".into()),
            )
        })?;
        let raw = raw.policy;
        for key in &raw.trusted_keys {
            crate::trust::signing::parse_public_key(key)
                .map_err(|e| whole_file(format!("trusted-keys: {e}")))?;
        }
        let defaults = Policy::default();
        Ok(Policy {
            source: display.to_string(),
            require_stages: raw.require_stages.into_iter().collect(),
            min_fail_on: raw.min_fail_on,
            allow_repo_pipeline: raw
                .allow_repo_pipeline
                .unwrap_or(defaults.allow_repo_pipeline),
            allow_plugins: raw
                .allow_plugins
                .map(|digests| digests.iter().map(|d| normalise_digest(d)).collect()),
            trusted_keys: raw.trusted_keys,
            unscanned_severity: raw
                .unscanned_severity
                .unwrap_or(defaults.unscanned_severity),
            allow_repo_suppressions: raw
                .allow_repo_suppressions
                .unwrap_or(defaults.allow_repo_suppressions),
            forbid_suppressions: raw.forbid_suppressions,
            report_suppressions: raw
                .report_suppressions
                .unwrap_or(defaults.report_suppressions),
        })
    }

    fn error(&self, message: String) -> PolicyError {
        PolicyError {
            policy: self.source.clone(),
            message,
        }
    }

    /// Checks a pipeline (after `--only`) against the policy.
    pub fn admit(&self, pipeline: &Pipeline) -> Result<(), PolicyError> {
        for required in &self.require_stages {
            if pipeline.stage(required).is_none() {
                return Err(self.error(format!(
                    "stage `{required}` is required, but {} does not run it",
                    pipeline.source
                )));
            }
        }
        for stage in &pipeline.stages {
            let PluginSource::Path { sha256, .. } = &stage.plugin else {
                continue;
            };
            if let Some(allowed) = &self.allow_plugins
                && !allowed.contains(sha256)
            {
                return Err(self.error(format!(
                    "stage `{}` runs plugin sha256 {sha256}, which is not in allow-plugins",
                    stage.name
                )));
            }
        }
        Ok(())
    }

    /// Switches off the suppressions a repository controls, when the
    /// policy says they do not count. `from_repository` is true for the
    /// repository's own pipeline, whose stage options the repository wrote.
    pub fn apply_suppressions(&self, pipeline: &mut Pipeline, from_repository: bool) {
        for stage in &mut pipeline.stages {
            let Some(options) = stage.options.as_object_mut() else {
                continue;
            };
            if stage.plugin == PluginSource::Builtin("iac".into()) && self.report_suppressions {
                options.insert("report-suppressed".into(), true.into());
            }
            if stage.plugin == PluginSource::Builtin("secrets".into()) {
                if !self.forbid_suppressions.is_empty() {
                    options.insert(
                        "unsuppressible-rules".into(),
                        self.forbid_suppressions.clone().into(),
                    );
                }
                if self.report_suppressions {
                    options.insert("report-suppressed".into(), true.into());
                }
            }
            if self.allow_repo_suppressions {
                continue;
            }
            match &stage.plugin {
                PluginSource::Builtin(name) if name == "secrets" => {
                    options.insert("inline-allow".into(), false.into());
                    options.insert("baseline".into(), false.into());
                    if from_repository {
                        for key in ["allow-paths", "allow-values", "disabled-rules"] {
                            options.remove(key);
                        }
                    }
                }
                PluginSource::Builtin(name) if name == "audit" && from_repository => {
                    // Accepting an advisory (by ignore or VEX), or an
                    // ecosystem no advisory data covers, is the operator's call.
                    options.remove("ignore");
                    options.remove("not-checked-severity");
                    options.remove("vex-documents");
                }
                PluginSource::Builtin(name) if name == "iac" => {
                    // `checkov:skip`, `trivy:ignore` and `cordon:allow`
                    // comments are the repository's own.
                    options.insert("inline-suppressions".into(), false.into());
                    if from_repository {
                        for key in ["ignore", "disabled-rules", "severity"] {
                            options.remove(key);
                        }
                    }
                }
                PluginSource::Builtin(name) if name == "models" && from_repository => {
                    // Trusting a pickle global the allow-list does not know.
                    options.remove("allow-globals");
                }
                _ => {}
            }
        }
    }

    /// The threshold a run fails at: what was asked, raised to the policy's minimum.
    pub fn fail_on(&self, requested: Severity) -> Severity {
        match self.min_fail_on {
            // A lower severity is a stricter gate.
            Some(min) if min < requested => min,
            _ => requested,
        }
    }
}

fn normalise_digest(digest: &str) -> String {
    digest
        .trim()
        .trim_start_matches("sha256:")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Result<Policy, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, text).unwrap();
        Policy::load(&path)
    }

    #[test]
    fn a_policy_file_sets_every_key() {
        let p = policy(
            "[policy]\nrequire-stages = [\"secrets\"]\nmin-fail-on = \"medium\"\n\
             allow-repo-pipeline = false\nallow-plugins = [\"sha256:ABCD\"]\nunscanned-severity = \"critical\"\n\
             allow-repo-suppressions = false\n",
        )
        .unwrap();
        assert!(p.require_stages.contains("secrets"));
        assert_eq!(p.fail_on(Severity::Critical), Severity::Medium);
        assert_eq!(p.fail_on(Severity::Low), Severity::Low);
        assert!(!p.allow_repo_pipeline);
        assert!(p.allow_plugins.unwrap().contains("abcd"));
        assert_eq!(p.unscanned_severity, Severity::Critical);
        assert!(!p.allow_repo_suppressions);
    }

    #[test]
    fn forbidden_repository_suppressions_are_switched_off() {
        let p = policy("[policy]\nallow-repo-suppressions = false\n").unwrap();
        let mut pipeline = Pipeline::parse(
            "[stages.secrets]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"] }\n\
             [stages.secrets.options]\nallow-paths = [\"**\"]\n",
            "cordon.toml",
            Path::new("."),
        )
        .unwrap();
        p.apply_suppressions(&mut pipeline, true);
        let options = &pipeline.stage("secrets").unwrap().options;
        assert_eq!(options["inline-allow"], false);
        assert_eq!(options["baseline"], false);
        assert!(options.get("allow-paths").is_none());

        let mut pipeline = Pipeline::parse(
            "[stages.audit]\nplugin = \"builtin:audit\"\ngrants = { data = [\"osv\"] }\n\
             [stages.audit.options]\nnot-checked-severity = \"info\"\n\
             [stages.models]\nplugin = \"builtin:models\"\ngrants = { read = [\"**\"] }\n\
             [stages.models.options]\nallow-globals = [\"evil.Payload\"]\n",
            "cordon.toml",
            Path::new("."),
        )
        .unwrap();
        p.apply_suppressions(&mut pipeline, true);
        let audit = &pipeline.stage("audit").unwrap().options;
        assert!(audit.get("not-checked-severity").is_none(), "{audit}");
        let models = &pipeline.stage("models").unwrap().options;
        assert!(models.get("allow-globals").is_none(), "{models}");

        let mut pipeline = Pipeline::parse(
            "[stages.iac]\nplugin = \"builtin:iac\"\ngrants = { read = [\"**\"] }\n\
             [stages.iac.options]\ndisabled-rules = [\"iac/aws-s3-public-acl\"]\n",
            "cordon.toml",
            Path::new("."),
        )
        .unwrap();
        p.apply_suppressions(&mut pipeline, true);
        let iac = &pipeline.stage("iac").unwrap().options;
        assert_eq!(iac["inline-suppressions"], false, "{iac}");
        assert!(iac.get("disabled-rules").is_none(), "{iac}");

        let p = policy(
            "[policy]\nforbid-suppressions = [\"secrets/github-*\"]\nreport-suppressions = true\n",
        )
        .unwrap();
        let mut pipeline = Pipeline::default_pipeline();
        p.apply_suppressions(&mut pipeline, false);
        let options = &pipeline.stage("secrets").unwrap().options;
        assert_eq!(
            options["unsuppressible-rules"],
            serde_json::json!(["secrets/github-*"])
        );
        assert_eq!(options["report-suppressed"], true);
        assert!(
            options.get("inline-allow").is_none(),
            "allowed unless the policy says otherwise"
        );
    }

    #[test]
    fn a_misspelt_key_is_an_error_at_its_line() {
        let error = policy("[policy]\nrequire-stage = [\"secrets\"]\n").unwrap_err();
        assert_eq!(error.position.map(|p| p.0), Some(2), "{error}");
        assert!(error.to_string().contains("unknown field"), "{error}");
    }

    #[test]
    fn required_stages_must_run() {
        let p = policy("[policy]\nrequire-stages = [\"secrets\", \"audit\"]\n").unwrap();
        let mut pipeline = Pipeline::default_pipeline();
        assert!(p.admit(&pipeline).is_ok());
        pipeline.retain(&["secrets".into()]).unwrap();
        let error = p.admit(&pipeline).unwrap_err().to_string();
        assert!(error.contains("stage `audit` is required"), "{error}");
    }
}
