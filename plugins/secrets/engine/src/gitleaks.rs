//! Reading a repository's gitleaks setup, so that moving to Cordon keeps
//! its reviewed exceptions and custom rules: `.gitleaksignore` fingerprints
//! ([`GitleaksIgnore`]) and `.gitleaks.toml` rules and allow-lists
//! ([`GitleaksConfig`]). `gitleaks:allow` comments are honoured by the
//! scanner like `cordon:allow` (see [`crate::GITLEAKS_ALLOW_MARKER`]).
//!
//! The engine never opens files: the stage reads `.gitleaksignore` and
//! `.gitleaks.toml` from the workspace root and passes their text here.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::config::{ConfigError, CustomRuleConfig, ScannerConfig};
use crate::{BUILTIN_RULES, FileScan, Finding, Severity, Suppressed, SuppressionReason};

/// Cordon rules that report what a gitleaks default rule reports, by
/// gitleaks rule id, for fingerprints and `disabledRules` that name them.
/// Ids that are the same in both (`github-pat`, `jwt`, ...) need no entry.
const RULE_EQUIVALENTS: &[(&str, &[&str])] = &[
    ("aws-access-token", &["aws-access-key-id"]),
    ("github-oauth", &["github-oauth-token"]),
    ("gitlab-ptt", &["gitlab-pipeline-trigger-token"]),
    ("gitlab-rrt", &["gitlab-runner-token"]),
    (
        "stripe-access-token",
        &[
            "stripe-secret-key",
            "stripe-restricted-key",
            "stripe-test-key",
        ],
    ),
    ("npm-access-token", &["npm-token", "npmrc-auth-token"]),
    ("pypi-upload-token", &["pypi-token"]),
    (
        "private-key",
        &["private-key", "openssh-private-key", "pgp-private-key"],
    ),
    (
        "generic-api-key",
        &["generic-assignment", "dotenv-assignment"],
    ),
    ("gcp-api-key", &["google-api-key"]),
    ("sendgrid-api-token", &["sendgrid-api-key"]),
    ("digitalocean-access-token", &["digitalocean-oauth-token"]),
    ("telegram-bot-api-token", &["telegram-bot-token"]),
    ("hashicorp-tf-api-token", &["terraform-cloud-token"]),
    ("vault-service-token", &["vault-token"]),
    ("doppler-api-token", &["doppler-token"]),
    ("mailgun-private-api-token", &["mailgun-api-key"]),
    ("postman-api-token", &["postman-api-key"]),
    ("pulumi-api-token", &["pulumi-token"]),
    ("databricks-api-token", &["databricks-token"]),
    ("grafana-cloud-api-token", &["grafana-cloud-token"]),
    ("sentry-access-token", &["sentry-auth-token"]),
    ("sentry-org-token", &["sentry-auth-token"]),
    ("sentry-user-token", &["sentry-auth-token"]),
    ("huggingface-access-token", &["huggingface-token"]),
    ("rubygems-api-token", &["rubygems-api-key"]),
    ("flyio-access-token", &["flyio-token"]),
    ("new-relic-user-api-key", &["new-relic-user-key"]),
];

/// Prefix of the ids given to rules imported from `.gitleaks.toml`, so they
/// never clash with a built-in id.
const IMPORTED_PREFIX: &str = "secrets/gitleaks/";

/// Whether a gitleaks rule id names the Cordon rule `cordon_id`: the same
/// name, an imported rule of that id, or a listed equivalent.
pub fn gitleaks_rule_matches(gitleaks_id: &str, cordon_id: &str) -> bool {
    if let Some(imported) = cordon_id.strip_prefix(IMPORTED_PREFIX) {
        return imported == gitleaks_id;
    }
    let name = cordon_id.strip_prefix("secrets/").unwrap_or(cordon_id);
    name == gitleaks_id
        || RULE_EQUIVALENTS
            .iter()
            .any(|(id, names)| *id == gitleaks_id && names.contains(&name))
}

/// One `.gitleaksignore` fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IgnoreEntry {
    /// Full or abbreviated commit; `None` matches every commit and
    /// directory scans.
    commit: Option<String>,
    path: String,
    rule: String,
    line: u32,
    /// The line as written, for the suppression reason.
    text: String,
}

/// The fingerprints of a `.gitleaksignore` file: `path:rule-id:line` (a
/// directory scan's form, which gitleaks also applies to every commit) and
/// `commit:path:rule-id:line` (a git scan's, with the full or the 7-character
/// commit). Blank lines and `#` comments are skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitleaksIgnore {
    entries: Vec<IgnoreEntry>,
    invalid: Vec<String>,
}

impl GitleaksIgnore {
    /// Parses the file's text. Lines that are not fingerprints are kept
    /// aside ([`GitleaksIgnore::invalid_lines`]) rather than failing the
    /// whole file, as gitleaks does.
    pub fn parse(text: &str) -> GitleaksIgnore {
        let mut ignore = GitleaksIgnore::default();
        for raw in text.lines() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            match parse_fingerprint(line) {
                Some(entry) => ignore.entries.push(entry),
                None => ignore.invalid.push(line.to_string()),
            }
        }
        ignore
    }

    /// Lines that were neither fingerprints, comments nor blank.
    pub fn invalid_lines(&self) -> &[String] {
        &self.invalid
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fingerprint that covers `finding`, found in `commit` (`None` for
    /// a scan of the working tree, where only entries without a commit
    /// apply).
    pub fn entry_for(&self, finding: &Finding, commit: Option<&str>) -> Option<&str> {
        let path = finding.path.trim_start_matches("./");
        self.entries
            .iter()
            .find(|entry| {
                entry.line == finding.region.start_line
                    && entry.path == path
                    && gitleaks_rule_matches(&entry.rule, &finding.rule_id)
                    && match (&entry.commit, commit) {
                        (None, _) => true,
                        (Some(wanted), Some(found)) => commit_matches(wanted, found),
                        (Some(_), None) => false,
                    }
            })
            .map(|entry| entry.text.as_str())
    }
}

/// A `#` starts a comment at the start of a line or after a blank (a `#`
/// inside a path is kept).
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Splits from the right, since paths may hold `:` themselves.
fn parse_fingerprint(line: &str) -> Option<IgnoreEntry> {
    let (rest, number) = line.rsplit_once(':')?;
    let number: u32 = number.parse().ok()?;
    let (rest, rule) = rest.rsplit_once(':')?;
    if rule.is_empty() || rest.is_empty() {
        return None;
    }
    let (commit, path) = match rest.split_once(':') {
        Some((first, path)) if is_commit(first) && !path.is_empty() => {
            (Some(first.to_ascii_lowercase()), path)
        }
        _ => (None, rest),
    };
    Some(IgnoreEntry {
        commit,
        path: path.trim_start_matches("./").to_string(),
        rule: rule.to_string(),
        line: number,
        text: line.to_string(),
    })
}

fn is_commit(text: &str) -> bool {
    (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A full or abbreviated commit id against the scanned commit.
fn commit_matches(wanted: &str, found: &str) -> bool {
    found.len() >= wanted.len() && found[..wanted.len()].eq_ignore_ascii_case(wanted)
}

impl FileScan {
    /// Moves every finding that a `.gitleaksignore` fingerprint covers to
    /// `suppressed`, with [`SuppressionReason::GitleaksIgnore`]. `commit`
    /// is the commit the findings were found in, if any.
    pub fn apply_gitleaks_ignore(&mut self, ignore: &GitleaksIgnore, commit: Option<&str>) {
        if ignore.is_empty() {
            return;
        }
        let mut kept = Vec::with_capacity(self.findings.len());
        for finding in std::mem::take(&mut self.findings) {
            match ignore.entry_for(&finding, commit).map(str::to_string) {
                Some(entry) => self.suppressed.push(Suppressed {
                    finding,
                    reason: SuppressionReason::GitleaksIgnore { entry },
                }),
                None => kept.push(finding),
            }
        }
        self.findings = kept;
    }
}

/// A `.gitleaks.toml` as far as Cordon reads it. Unknown keys are kept out
/// of the way (gitleaks adds keys across versions); what is read but has no
/// Cordon equivalent is listed in [`GitleaksConfig::notes`].
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct GitleaksFile {
    extend: Option<Extend>,
    rules: Vec<GitleaksRule>,
    allowlist: Option<GitleaksAllowlist>,
    allowlists: Vec<GitleaksAllowlist>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Extend {
    use_default: bool,
    path: Option<String>,
    url: Option<String>,
    disabled_rules: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct GitleaksRule {
    id: String,
    description: Option<String>,
    regex: Option<String>,
    secret_group: Option<usize>,
    entropy: Option<f64>,
    keywords: Vec<String>,
    path: Option<String>,
    allowlist: Option<GitleaksAllowlist>,
    allowlists: Vec<GitleaksAllowlist>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct GitleaksAllowlist {
    paths: Vec<String>,
    regexes: Vec<String>,
    regex_target: Option<String>,
    stopwords: Vec<String>,
    commits: Vec<String>,
    condition: Option<String>,
    target_rules: Vec<String>,
}

/// What a `.gitleaks.toml` adds to a [`ScannerConfig`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GitleaksConfig {
    /// Its `[[rules]]`, with ids under `secrets/gitleaks/`.
    pub rules: Vec<CustomRuleConfig>,
    /// Built-in rules it turns off (`useDefault = false` turns off all,
    /// `disabledRules` those that report what the named rules report).
    pub disabled_rules: Vec<String>,
    /// Global allow-list `paths` (regexes).
    pub allow_path_patterns: Vec<String>,
    /// Global allow-list `regexes` and `stopwords` (as patterns).
    pub allow_values: Vec<String>,
    /// What was read but is not applied, one note each, for the log.
    pub notes: Vec<String>,
}

impl GitleaksConfig {
    /// Reads a `.gitleaks.toml`. Malformed TOML and unusable rules are
    /// errors naming the rule; fields Cordon cannot apply become notes.
    pub fn from_toml(text: &str) -> Result<GitleaksConfig, ConfigError> {
        let file: GitleaksFile =
            toml::from_str(text).map_err(|error| ConfigError::Gitleaks(error.to_string()))?;
        let mut config = GitleaksConfig::default();
        // gitleaks without `[extend]` uses only the file's rules.
        let extend = file.extend.unwrap_or_default();
        if !extend.use_default {
            config.disabled_rules = BUILTIN_RULES.iter().map(|r| r.id.to_string()).collect();
            config.notes.push(
                "`[extend] useDefault` is not true: Cordon's built-in rules are turned off, as gitleaks' defaults would be"
                    .to_string(),
            );
        } else {
            let mut disabled = BTreeSet::new();
            for id in &extend.disabled_rules {
                let matching: Vec<&str> = BUILTIN_RULES
                    .iter()
                    .map(|r| r.id)
                    .filter(|cordon| gitleaks_rule_matches(id, cordon))
                    .collect();
                if matching.is_empty() {
                    config.notes.push(format!(
                        "`[extend] disabledRules`: no Cordon rule corresponds to `{id}`"
                    ));
                }
                disabled.extend(matching.into_iter().map(str::to_string));
            }
            config.disabled_rules = disabled.into_iter().collect();
        }
        if extend.path.is_some() || extend.url.is_some() {
            config
                .notes
                .push("`[extend] path`/`url` are not followed".to_string());
        }
        for rule in file.rules {
            if let Some(custom) = convert_rule(rule, &mut config.notes)? {
                config.rules.push(custom);
            }
        }
        for list in file.allowlist.into_iter().chain(file.allowlists) {
            convert_allowlist(list, "[allowlist]", &mut config);
        }
        Ok(config)
    }

    /// Adds these rules and allow-lists to `config`.
    pub fn apply_to(self, config: &mut ScannerConfig) {
        config.rules.extend(self.rules);
        for id in self.disabled_rules {
            if !config.disabled_rules.contains(&id) {
                config.disabled_rules.push(id);
            }
        }
        config.allow_path_patterns.extend(self.allow_path_patterns);
        config.allow_values.extend(self.allow_values);
    }
}

/// A gitleaks rule as a custom rule; `None` (with a note) for rules Cordon
/// cannot run: path-only rules, and rules without keywords (Cordon runs a
/// regex only next to its keywords).
fn convert_rule(
    rule: GitleaksRule,
    notes: &mut Vec<String>,
) -> Result<Option<CustomRuleConfig>, ConfigError> {
    let id = rule.id.trim().to_ascii_lowercase();
    if id.is_empty() {
        return Err(ConfigError::Gitleaks("a [[rules]] entry has no id".into()));
    }
    let Some(regex) = rule.regex else {
        notes.push(format!(
            "rule `{id}`: has no regex (path-only rules are not supported); skipped"
        ));
        return Ok(None);
    };
    let keywords: Vec<String> = rule.keywords.into_iter().filter(|k| k.len() >= 3).collect();
    if keywords.is_empty() {
        notes.push(format!(
            "rule `{id}`: has no keyword of 3 or more characters, and Cordon runs regexes only next to keywords; skipped"
        ));
        return Ok(None);
    }
    if rule.path.is_some() {
        notes.push(format!(
            "rule `{id}`: `path` is not supported; the rule applies to every path"
        ));
    }
    if rule.allowlist.is_some() || !rule.allowlists.is_empty() {
        notes.push(format!(
            "rule `{id}`: per-rule allow-lists are not supported; use the global [allowlist]"
        ));
    }
    Ok(Some(CustomRuleConfig {
        id: format!("{IMPORTED_PREFIX}{id}"),
        // Go's RE2 reads `\w`, `\d`, `\s` and `\b` as ASCII, as Cordon's
        // engine does, so the regex is used as written.
        regex,
        keywords,
        min_entropy: rule.entropy,
        severity: Severity::High,
        description: rule.description,
        secret_group: rule.secret_group.filter(|group| *group > 0),
    }))
}

fn convert_allowlist(list: GitleaksAllowlist, section: &str, config: &mut GitleaksConfig) {
    config.allow_path_patterns.extend(list.paths);
    match list.regex_target.as_deref() {
        None | Some("secret") => config.allow_values.extend(list.regexes),
        Some(target) => {
            config.notes.push(format!(
                "{section}: regexTarget `{target}` is not supported; its regexes are matched against the secret"
            ));
            config.allow_values.extend(list.regexes);
        }
    }
    config.allow_values.extend(
        list.stopwords
            .iter()
            .filter(|word| !word.is_empty())
            .map(|word| format!("(?i){}", regex::escape(word))),
    );
    if !list.target_rules.is_empty() {
        config.notes.push(format!(
            "{section}: `targetRules` is not supported; the allow-list applies to every rule"
        ));
    }
    if !list.commits.is_empty() {
        config.notes.push(format!(
            "{section}: `commits` are not supported by the engine; use .gitleaksignore fingerprints"
        ));
    }
    if list
        .condition
        .as_deref()
        .is_some_and(|c| !c.eq_ignore_ascii_case("OR"))
    {
        config.notes.push(format!(
            "{section}: condition `AND` is read as `OR` (any one criterion allows a finding)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_in_both_forms_and_comments() {
        let ignore = GitleaksIgnore::parse(
            "# reviewed\n\nconfig/a.env:generic-api-key:3\n\
             0123456789abcdef0123456789abcdef01234567:src/b.py:github-pat:10 # fixture\n\
             abc1234:C:/x.txt:jwt:2\nnot a fingerprint\n",
        );
        assert_eq!(ignore.len(), 3);
        assert_eq!(ignore.invalid_lines(), ["not a fingerprint"]);
        assert_eq!(ignore.entries[2].path, "C:/x.txt");
        assert_eq!(ignore.entries[2].commit.as_deref(), Some("abc1234"));
        assert!(commit_matches("abc1234", "ABC1234ffff"));
        assert!(!commit_matches("abc1234", "abc12"));
    }

    #[test]
    fn rule_ids_match_across_tools() {
        assert!(gitleaks_rule_matches("github-pat", "secrets/github-pat"));
        assert!(gitleaks_rule_matches(
            "generic-api-key",
            "secrets/dotenv-assignment"
        ));
        assert!(gitleaks_rule_matches("acme", "secrets/gitleaks/acme"));
        assert!(!gitleaks_rule_matches("acme", "secrets/acme-other"));
        assert!(!gitleaks_rule_matches("jwt", "secrets/gitleaks/github-pat"));
        // Every equivalent names a real built-in rule.
        for (_, names) in RULE_EQUIVALENTS {
            for name in *names {
                let id = format!("secrets/{name}");
                assert!(BUILTIN_RULES.iter().any(|r| r.id == id), "{id}");
            }
        }
    }
}
