//! The engine: recognises each file's format, lowers it into units,
//! evaluates the policies that apply to each unit and applies inline
//! suppressions.

use std::collections::{BTreeMap, HashSet};

use crate::config::{CompiledIgnore, ConfigError, IacConfig, compile};
use crate::documents;
use crate::finding::{
    FileScan, Finding, Framework, Location, Resource, ScanReport, Severity, Suppressed,
    Suppression, Theme, Unevaluated,
};
use crate::node::{Node, Pos, Value};
use crate::policy::{Policy, PolicyError, Truth, builtin_policies};
use crate::suppress;
use crate::unit::{ParseError, Unit};

/// Rule id of "this file is infrastructure code but does not parse".
pub const PARSE_ERROR_RULE: &str = "iac/parse-error";
/// Rule id of "an inline suppression gives no reason".
pub const SUPPRESSION_WITHOUT_REASON_RULE: &str = "iac/suppression-without-reason";
/// Rule id of "an inline suppression names an `iac/` id that is no policy".
pub const SUPPRESSION_UNKNOWN_RULE: &str = "iac/suppression-unknown-rule";

/// Compiled policies, ready to scan any number of file sets.
pub struct Engine {
    policies: Vec<Policy>,
    ignores: Vec<CompiledIgnore>,
    inline_suppressions: bool,
    unsuppressible: Vec<String>,
    /// Policies turned off by the options: still valid in suppressions.
    disabled: Vec<String>,
}

/// How a path is read before its content is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Candidate {
    Terraform,
    Dockerfile,
    /// `Dockerfile.<suffix>`: a Dockerfile by convention (`Dockerfile.prod`)
    /// only if it has a `FROM` line; `dockerfile.rs` is source code.
    DockerfileVariant,
    Workflow,
    /// `.yaml`, `.yml`, `.json`, `.template`: CloudFormation or Kubernetes
    /// if the content says so.
    Document,
}

fn candidate(path: &str) -> Option<Candidate> {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let lower = file_name.to_ascii_lowercase();
    let extension = lower.rsplit_once('.').map(|(_, extension)| extension);
    if matches!(extension, Some("tf" | "tfvars")) || lower.ends_with(".tf.json") {
        return Some(Candidate::Terraform);
    }
    if lower == "dockerfile" || lower == "containerfile" || extension == Some("dockerfile") {
        return Some(Candidate::Dockerfile);
    }
    if (lower.starts_with("dockerfile.") || lower.starts_with("containerfile."))
        && !extension.is_some_and(names_another_format)
    {
        return Some(Candidate::DockerfileVariant);
    }
    let is_yaml = matches!(extension, Some("yml" | "yaml"));
    if is_yaml && (path.starts_with(".github/workflows/") || path.contains("/.github/workflows/")) {
        return Some(Candidate::Workflow);
    }
    if is_yaml || matches!(extension, Some("json" | "template")) {
        return Some(Candidate::Document);
    }
    None
}

/// Suffixes that make `Dockerfile.<suffix>` a file of another kind (source
/// code, documentation, data, a template) rather than a Dockerfile variant.
fn names_another_format(extension: &str) -> bool {
    matches!(
        extension,
        "rs" | "go"
            | "py"
            | "js"
            | "ts"
            | "java"
            | "kt"
            | "rb"
            | "php"
            | "cs"
            | "c"
            | "h"
            | "cpp"
            | "sh"
            | "md"
            | "rst"
            | "txt"
            | "html"
            | "toml"
            | "json"
            | "yaml"
            | "yml"
            | "xml"
            | "j2"
            | "jinja"
            | "tmpl"
            | "tpl"
            | "erb"
            | "mustache"
            | "hbs"
            | "bak"
            | "orig"
            | "swp"
            | "patch"
            | "diff"
    )
}

/// A Dockerfile has at least one `FROM` instruction at the start of a line.
fn has_from_line(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        line.get(..4)
            .is_some_and(|word| word.eq_ignore_ascii_case("from"))
            && line[4..].starts_with([' ', '\t'])
    })
}

/// Whether the engine would read `path` (a workspace-relative,
/// `/`-separated path) as possible infrastructure code: Terraform
/// (`.tf`, `.tf.json`, `.tfvars`), Dockerfiles, workflows and YAML/JSON
/// documents (CloudFormation or Kubernetes when their content says so).
/// A host uses it to read only these files.
pub fn is_candidate(path: &str) -> bool {
    candidate(path).is_some()
}

/// A document can only be CloudFormation if it names `AWSTemplateFormatVersion`
/// or an `AWS::` type, and only Kubernetes if it has `apiVersion` and `kind`
/// keys: other YAML and JSON (lockfiles, package manifests) is not parsed.
fn may_be_infrastructure(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || text.contains("AWS::")
        || (text.contains("apiVersion") && text.contains("kind"))
}

impl Engine {
    /// The engine with the built-in policies.
    pub fn new() -> Result<Engine, PolicyError> {
        Ok(Engine::with_policies(builtin_policies()?))
    }

    /// Applies the stage options: disabled policies are dropped, severities
    /// overridden, `ignore` entries and suppression switches recorded. Ids
    /// that name no policy are an error, so a typo never goes unnoticed.
    pub fn configure(mut self, config: &IacConfig) -> Result<Engine, ConfigError> {
        let known: Vec<&str> = self
            .policies
            .iter()
            .map(|policy| policy.id.as_str())
            .collect();
        let ignores = compile(config, &known)?;
        self.policies
            .retain(|policy| !config.disabled_rules.contains(&policy.id));
        for policy in &mut self.policies {
            if let Some(severity) = config.severity.get(&policy.id) {
                policy.severity = *severity;
            }
        }
        self.ignores = ignores;
        self.inline_suppressions = config.inline_suppressions.unwrap_or(true);
        self.unsuppressible = config.unsuppressible_rules.clone();
        self.disabled = config.disabled_rules.clone();
        Ok(self)
    }

    fn is_known(&self, id: &str) -> bool {
        [
            PARSE_ERROR_RULE,
            SUPPRESSION_WITHOUT_REASON_RULE,
            SUPPRESSION_UNKNOWN_RULE,
        ]
        .contains(&id)
            || self.disabled.iter().any(|disabled| disabled == id)
            || self.policies.iter().any(|policy| policy.id == id)
    }

    /// An engine with the given policies (built-in plus a user's own, or a
    /// subset).
    pub fn with_policies(policies: Vec<Policy>) -> Engine {
        Engine {
            policies,
            ignores: Vec::new(),
            inline_suppressions: true,
            unsuppressible: Vec::new(),
            disabled: Vec::new(),
        }
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Scans a set of workspace-relative `/`-separated paths with their
    /// bytes. Files that are not infrastructure code are left out of the
    /// report; Terraform files are read per directory (module) so
    /// variables, locals and references resolve across them.
    pub fn scan<P: AsRef<str>, B: AsRef<[u8]>>(&self, files: &[(P, B)]) -> ScanReport {
        let mut report = ScanReport::default();
        let network_policy_namespaces = network_policy_namespaces(files);
        // Terraform files by directory: a module is read as a whole.
        let mut modules: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        for (path, bytes) in files {
            let path = path.as_ref();
            let Some(candidate) = candidate(path) else {
                continue;
            };
            let text = match std::str::from_utf8(bytes.as_ref()) {
                Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
                Err(error) => {
                    if !matches!(
                        candidate,
                        Candidate::Document | Candidate::DockerfileVariant
                    ) {
                        let framework = match candidate {
                            Candidate::Terraform => Framework::Terraform,
                            Candidate::Dockerfile => Framework::Dockerfile,
                            _ => Framework::GithubActions,
                        };
                        let pos = Pos { line: 1, column: 1 };
                        let message = format!(
                            "not UTF-8 text (invalid byte at offset {})",
                            error.valid_up_to()
                        );
                        report.files.push(self.unparsed(
                            path,
                            framework,
                            &ParseError { message, pos },
                        ));
                    }
                    continue;
                }
            };
            match candidate {
                Candidate::Terraform => {
                    let directory = path.rsplit_once('/').map_or("", |(directory, _)| directory);
                    modules.entry(directory).or_default().push((path, text));
                }
                Candidate::DockerfileVariant if !has_from_line(text) => {}
                Candidate::Dockerfile | Candidate::DockerfileVariant => {
                    let scan = match crate::dockerfile::parse(text) {
                        Ok(units) => self.evaluate(path, text, Framework::Dockerfile, &units),
                        Err(error) => self.unparsed(path, Framework::Dockerfile, &error),
                    };
                    report.files.push(scan);
                }
                Candidate::Workflow | Candidate::Document => {
                    if let Some(scan) =
                        self.scan_document(path, text, candidate, &network_policy_namespaces)
                    {
                        report.files.push(scan);
                    }
                }
            }
        }
        for module in modules.values() {
            for ((path, text), result) in module.iter().zip(crate::terraform::scan_module(module)) {
                report.files.push(match result {
                    Ok(units) => self.evaluate(path, text, Framework::Terraform, &units),
                    Err(error) => self.unparsed(path, Framework::Terraform, &error),
                });
            }
        }
        report.files.sort_by(|a, b| a.path.cmp(&b.path));
        for resource in report.files.iter().flat_map(|file| &file.resources) {
            if !resource.covered {
                *report
                    .uncovered_kinds
                    .entry(resource.kind.clone())
                    .or_default() += 1;
            }
        }
        report
    }

    fn scan_document(
        &self,
        path: &str,
        text: &str,
        candidate: Candidate,
        network_policy_namespaces: &HashSet<String>,
    ) -> Option<FileScan> {
        if candidate == Candidate::Document && !may_be_infrastructure(text) {
            return None;
        }
        let docs = match crate::yaml::load_documents(text) {
            Ok(docs) => docs,
            Err(error) => {
                // A YAML file that fails to parse is reported only when it
                // looks like infrastructure code; other YAML is not ours.
                let framework = if candidate == Candidate::Workflow {
                    Some(Framework::GithubActions)
                } else if text.contains("AWSTemplateFormatVersion") || text.contains("AWS::") {
                    Some(Framework::Cloudformation)
                } else if text.contains("apiVersion") && text.contains("kind") {
                    Some(Framework::Kubernetes)
                } else {
                    None
                };
                if is_go_template(text) {
                    // A Helm chart template is not YAML until rendered:
                    // listed as not scanned, but not a syntax error.
                    return framework.map(|framework| FileScan {
                        path: path.to_string(),
                        framework: Some(framework),
                        not_scanned: Some(
                            "Go/Helm template: render it (`helm template`) and scan the output"
                                .into(),
                        ),
                        ..FileScan::default()
                    });
                }
                let error = ParseError {
                    message: error.message,
                    pos: error.pos,
                };
                return framework.map(|framework| self.unparsed(path, framework, &error));
            }
        };
        if candidate == Candidate::Workflow {
            let units = docs
                .iter()
                .flat_map(documents::workflow_units)
                .collect::<Vec<_>>();
            return Some(self.evaluate(path, text, Framework::GithubActions, &units));
        }
        let mut framework = None;
        let mut units = Vec::new();
        for doc in &docs {
            if documents::is_cloudformation(doc) {
                framework = framework.or(Some(Framework::Cloudformation));
                if framework == Some(Framework::Cloudformation) {
                    units.extend(documents::cloudformation_units(doc));
                }
            } else if documents::is_kubernetes(doc) {
                framework = framework.or(Some(Framework::Kubernetes));
                if framework == Some(Framework::Kubernetes) {
                    units.extend(documents::kubernetes_units(doc));
                }
            }
        }
        // A Namespace learns whether any NetworkPolicy of the scanned files
        // selects pods in it.
        for unit in units.iter_mut().filter(|unit| unit.kind == "Namespace") {
            let name = unit
                .node
                .get("metadata")
                .and_then(|metadata| metadata.get("name"))
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            let covered = network_policy_namespaces.contains(&name);
            unit.node.set(
                "_network_policy",
                Node::scalar(Value::Bool(covered), unit.pos),
            );
        }
        framework.map(|framework| self.evaluate(path, text, framework, &units))
    }

    fn unparsed(&self, path: &str, framework: Framework, error: &ParseError) -> FileScan {
        let location = Location {
            line: error.pos.line.max(1),
            column: error.pos.column.max(1),
        };
        let message = format!(
            "{framework} file does not parse at line {}, column {}: {}; it was not scanned",
            location.line, location.column, error.message
        );
        FileScan {
            path: path.to_string(),
            framework: Some(framework),
            findings: vec![Finding {
                rule_id: PARSE_ERROR_RULE.into(),
                severity: Severity::Low,
                theme: Theme::Hygiene,
                title: "File does not parse".into(),
                message,
                path: path.to_string(),
                location,
                resource: String::new(),
                remediation: "Fix the syntax error so the file can be checked.".into(),
                references: Vec::new(),
                fingerprint: Finding::fingerprint_of(PARSE_ERROR_RULE, path, ""),
            }],
            not_scanned: Some(error.message.clone()),
            ..FileScan::default()
        }
    }

    fn evaluate(&self, path: &str, text: &str, framework: Framework, units: &[Unit]) -> FileScan {
        let policies: Vec<&Policy> = self
            .policies
            .iter()
            .filter(|policy| policy.framework == framework)
            .collect();
        let covered: HashSet<&str> = policies
            .iter()
            .flat_map(|policy| policy.kinds.iter().map(String::as_str))
            .collect();
        let suppressions = if self.inline_suppressions {
            suppress::find(text)
        } else {
            Vec::new()
        };
        let mut scan = FileScan {
            path: path.to_string(),
            framework: Some(framework),
            ..FileScan::default()
        };
        for unit in units {
            if unit.inventory {
                // A Deployment is covered through its pod spec and
                // containers, which are units of their own at the same
                // address (or `<address> container <name>`).
                let part_of = |other: &Unit| {
                    other.address == unit.address
                        || other
                            .address
                            .strip_prefix(unit.address.as_str())
                            .is_some_and(|rest| rest.starts_with(' '))
                };
                let is_covered = units
                    .iter()
                    .any(|other| part_of(other) && covered.contains(other.kind.as_str()));
                scan.resources.push(Resource {
                    kind: unit.kind.clone(),
                    address: unit.address.clone(),
                    line: unit.pos.line,
                    covered: is_covered,
                });
            }
            for policy in policies
                .iter()
                .filter(|policy| policy.kinds.contains(&unit.kind))
            {
                let truth = match policy.condition.get() {
                    Ok(condition) => condition.eval(&unit.node),
                    Err(error) => Truth::Unknown(unit.pos, format!("policy condition: {error}")),
                };
                let pos = match truth {
                    Truth::True(pos) => pos.unwrap_or(unit.pos),
                    Truth::False(_) => continue,
                    Truth::Unknown(pos, expression) => {
                        scan.unevaluated.push(Unevaluated {
                            rule_id: policy.id.clone(),
                            resource: unit.address.clone(),
                            location: location(pos),
                            expression,
                        });
                        continue;
                    }
                };
                let finding = Finding {
                    rule_id: policy.id.clone(),
                    severity: policy.severity,
                    theme: policy.theme,
                    title: policy.title.clone(),
                    message: format!("{}: {}", unit.address, policy.title),
                    path: path.to_string(),
                    location: location(pos),
                    resource: unit.address.clone(),
                    remediation: policy.remediation.clone(),
                    references: policy.references.clone(),
                    fingerprint: Finding::fingerprint_of(&policy.id, path, &unit.address),
                };
                let applies = |line: u32| {
                    line == finding.location.line
                        || line + 1 == finding.location.line
                        || (unit.pos.line..=unit.end_line).contains(&line)
                        || line + 1 == unit.pos.line
                };
                let names = |id: &str| {
                    id.eq_ignore_ascii_case(&policy.id)
                        || policy
                            .aliases
                            .iter()
                            .any(|alias| alias.eq_ignore_ascii_case(id))
                };
                let inline = suppressions
                    .iter()
                    .find(|by| names(&by.id) && applies(by.line))
                    .cloned();
                let by_options = || {
                    self.ignores
                        .iter()
                        .find(|ignore| ignore.matches(&policy.id, path))
                        .map(|ignore| Suppression {
                            syntax: "options".into(),
                            line: 0,
                            id: ignore.rule.clone(),
                            reason: Some(ignore.reason.clone()),
                        })
                };
                match inline.or_else(by_options) {
                    Some(by) if !self.unsuppressible.contains(&policy.id) => {
                        scan.suppressed.push(Suppressed { finding, by });
                    }
                    _ => scan.findings.push(finding),
                }
            }
        }
        for by in &suppressions {
            if by.reason.is_none() {
                scan.findings.push(hygiene_finding(
                    SUPPRESSION_WITHOUT_REASON_RULE,
                    "Suppression without a reason",
                    format!(
                        "the {} suppression of `{}` gives no reason",
                        by.syntax, by.id
                    ),
                    "Say why the finding is accepted, e.g. `# cordon:allow ID reason=\"...\"`.",
                    path,
                    by,
                ));
            }
            // Our own ids are checked for typos; other tools' ids without
            // an alias here are simply not ours to judge.
            if by.id.starts_with("iac/") && !self.is_known(&by.id) {
                scan.findings.push(hygiene_finding(
                    SUPPRESSION_UNKNOWN_RULE,
                    "Suppression names no policy",
                    format!(
                        "the {} suppression names `{}`, which is not a policy",
                        by.syntax, by.id
                    ),
                    "Fix the id (see the rule list) or remove the comment.",
                    path,
                    by,
                ));
            }
        }
        scan.findings
            .sort_by_key(|finding| (finding.location.line, finding.location.column));
        scan
    }
}

/// `{{ .Values.x }}`, `{{- if ... }}`, `{{ include ... }}`: Go template
/// actions, as in Helm charts.
/// The namespaces that some NetworkPolicy in the scanned files applies to
/// (`metadata.namespace`, `default` when unset): a Namespace without one
/// lets every pod talk to every pod in it.
fn network_policy_namespaces<P: AsRef<str>, B: AsRef<[u8]>>(files: &[(P, B)]) -> HashSet<String> {
    let mut namespaces = HashSet::new();
    for (path, bytes) in files {
        if candidate(path.as_ref()) != Some(Candidate::Document) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes.as_ref()) else {
            continue;
        };
        if !text.contains("NetworkPolicy") {
            continue;
        }
        let Ok(docs) = crate::yaml::load_documents(text) else {
            continue;
        };
        let mut pending: Vec<&Node> = docs.iter().collect();
        while let Some(doc) = pending.pop() {
            match doc.get("kind").and_then(Node::as_str) {
                Some("List") => {
                    pending.extend(doc.get("items").and_then(Node::as_list).unwrap_or_default())
                }
                Some("NetworkPolicy") => {
                    let namespace = doc
                        .get("metadata")
                        .and_then(|metadata| metadata.get("namespace"))
                        .and_then(Node::scalar_text)
                        .unwrap_or_else(|| "default".into());
                    namespaces.insert(namespace);
                }
                _ => {}
            }
        }
    }
    namespaces
}

fn is_go_template(text: &str) -> bool {
    static ACTION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    ACTION
        .get_or_init(|| {
            regex::Regex::new(
                r"\{\{-?\s*(?:[.$]|(?:if|range|with|include|template|define|end|toYaml|tpl)\b)",
            )
            .expect("static regex")
        })
        .is_match(text)
}

/// A finding about a suppression comment itself.
fn hygiene_finding(
    rule_id: &str,
    title: &str,
    message: String,
    remediation: &str,
    path: &str,
    by: &Suppression,
) -> Finding {
    Finding {
        rule_id: rule_id.into(),
        severity: Severity::Low,
        theme: Theme::Hygiene,
        title: title.into(),
        message,
        path: path.to_string(),
        location: Location {
            line: by.line,
            column: 1,
        },
        resource: String::new(),
        remediation: remediation.into(),
        references: Vec::new(),
        fingerprint: Finding::fingerprint_of(rule_id, path, &format!("{}:{}", by.id, by.line)),
    }
}

fn location(pos: Pos) -> Location {
    Location {
        line: pos.line.max(1),
        column: pos.column.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_routed_by_name() {
        assert_eq!(candidate("infra/main.tf"), Some(Candidate::Terraform));
        assert_eq!(
            candidate("infra/terraform.tfvars"),
            Some(Candidate::Terraform)
        );
        assert_eq!(candidate("Dockerfile"), Some(Candidate::Dockerfile));
        assert_eq!(
            candidate("svc/Dockerfile.prod"),
            Some(Candidate::DockerfileVariant)
        );
        assert_eq!(candidate("src/dockerfile.rs"), None);
        assert_eq!(candidate("docs/Dockerfile.md"), None);
        assert_eq!(
            candidate("deploy/dockerfile.yaml"),
            Some(Candidate::Document)
        );
        assert_eq!(candidate("svc/api.dockerfile"), Some(Candidate::Dockerfile));
        assert_eq!(
            candidate(".github/workflows/ci.yml"),
            Some(Candidate::Workflow)
        );
        assert_eq!(candidate("k8s/deploy.yaml"), Some(Candidate::Document));
        assert_eq!(candidate("cfn/stack.json"), Some(Candidate::Document));
        assert_eq!(candidate("src/main.rs"), None);
        assert!(is_candidate("infra/prod.tf.json"));
        assert!(!is_candidate("src/lib.rs"));
    }

    #[test]
    fn dockerfile_variants_without_from_are_not_dockerfiles() {
        let engine = Engine::new().unwrap();
        let report = engine.scan(&[
            ("svc/Dockerfile.notes", "Build with make image.\n"),
            (
                "svc/Dockerfile.prod",
                "# syntax=docker/dockerfile:1\nfrom alpine:3.20\nUSER app\n",
            ),
            ("Dockerfile", "Build with make image.\n"),
        ]);
        let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
        // A file named exactly `Dockerfile` that does not parse is still
        // reported; a `Dockerfile.*` without FROM is not a Dockerfile.
        assert_eq!(paths, ["Dockerfile", "svc/Dockerfile.prod"]);
        assert!(report.files[0].not_scanned.is_some());
        assert!(report.files[1].not_scanned.is_none());
    }

    #[test]
    fn documents_without_infrastructure_markers_are_not_parsed() {
        assert!(!may_be_infrastructure(
            "{\"name\": \"web\", \"lockfileVersion\": 3}"
        ));
        assert!(may_be_infrastructure("apiVersion: v1\nkind: Pod\n"));
        assert!(may_be_infrastructure(
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
        ));
        // Broken YAML without markers is not ours either: no parse finding.
        let engine = Engine::new().unwrap();
        let report = engine.scan(&[("config/app.yaml", "a: [unclosed\n")]);
        assert!(report.files.is_empty());
    }

    #[test]
    fn a_network_policy_in_another_file_covers_its_namespace() {
        let engine = Engine::new().unwrap();
        let namespaces = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cache\n";
        let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: payments\nspec:\n  podSelector: {}\n";
        let report = engine.scan(&[
            ("k8s/namespaces.yaml", namespaces),
            ("k8s/policies/deny.yaml", policy),
        ]);
        let flagged: Vec<&str> = report
            .findings()
            .filter(|finding| finding.rule_id == "iac/k8s-namespace-without-network-policy")
            .map(|finding| finding.resource.as_str())
            .collect();
        assert_eq!(flagged, ["Namespace/cache"]);
    }
}
