//! What a scan reports. Shaped like the other engines' findings so the
//! stage maps them one-to-one onto the WIT `finding` record.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Ordered from least to most severe, like the WIT `severity` enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// The input formats the engine understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    Terraform,
    Cloudformation,
    Kubernetes,
    Dockerfile,
    GithubActions,
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Framework::Terraform => "terraform",
            Framework::Cloudformation => "cloudformation",
            Framework::Kubernetes => "kubernetes",
            Framework::Dockerfile => "dockerfile",
            Framework::GithubActions => "github-actions",
        })
    }
}

/// Rule families; they become a SARIF rule property so reports can group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    EncryptionAtRest,
    EncryptionInTransit,
    PublicExposure,
    IamLeastPrivilege,
    LoggingMonitoring,
    PlaintextSecrets,
    ContainerPrivilege,
    NetworkSegmentation,
    CiSupplyChain,
    /// Engine findings: unparsable files, suppressions without a reason.
    Hygiene,
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Theme::EncryptionAtRest => "encryption-at-rest",
            Theme::EncryptionInTransit => "encryption-in-transit",
            Theme::PublicExposure => "public-exposure",
            Theme::IamLeastPrivilege => "iam-least-privilege",
            Theme::LoggingMonitoring => "logging-monitoring",
            Theme::PlaintextSecrets => "plaintext-secrets",
            Theme::ContainerPrivilege => "container-privilege",
            Theme::NetworkSegmentation => "network-segmentation",
            Theme::CiSupplyChain => "ci-supply-chain",
            Theme::Hygiene => "hygiene",
        })
    }
}

/// 1-based line and column of the offending attribute (or of the resource
/// when the attribute is missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: u32,
    pub column: u32,
}

/// One misconfiguration (or engine problem) in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id such as `iac/aws-s3-public-acl`; SARIF `ruleId`.
    pub rule_id: String,
    pub severity: Severity,
    pub theme: Theme,
    pub title: String,
    /// Names the resource address and what is wrong with it.
    pub message: String,
    /// Workspace-relative path as given by the caller.
    pub path: String,
    pub location: Location,
    /// Resource address: `aws_s3_bucket.logs`, `Deployment/web`,
    /// `jobs.build.steps[2]`, `stage 1 (builder)`; empty for file-level
    /// findings.
    pub resource: String,
    pub remediation: String,
    /// Public benchmark ids (CIS, ...) and documentation.
    pub references: Vec<String>,
    /// Hex SHA-256 over rule id, path and resource: stable under line moves.
    pub fingerprint: String,
}

impl Finding {
    pub(crate) fn fingerprint_of(rule_id: &str, path: &str, resource: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [rule_id, path, resource] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// How a finding was suppressed in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `cordon`, `checkov` or `trivy` (whose comment syntax was used), or
    /// `options` for an `ignore` entry of the stage options (line 0).
    pub syntax: String,
    /// Line of the suppressing comment.
    pub line: u32,
    /// The id as written (ours, or a Checkov/Trivy alias).
    pub id: String,
    pub reason: Option<String>,
}

/// A finding that an inline comment suppressed: listed, never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    pub finding: Finding,
    pub by: Suppression,
}

/// A policy whose outcome depended on a value the engine could not
/// evaluate statically (a variable without a default, an intrinsic
/// function): reported instead of guessed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unevaluated {
    pub rule_id: String,
    pub resource: String,
    pub location: Location,
    /// The expression as written, e.g. `var.acl` or `{Ref: AclParam}`.
    pub expression: String,
}

/// One resource the file declares, for the `iac-inventory` artifact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Type as the format names it: `aws_s3_bucket`, `AWS::S3::Bucket`,
    /// `Deployment`, `stage`, `job`.
    pub kind: String,
    pub address: String,
    pub line: u32,
    /// Whether any built-in policy applies to this kind.
    pub covered: bool,
}

/// Result for one input file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileScan {
    pub path: String,
    /// `None` when the file is not infrastructure code the engine knows.
    pub framework: Option<Framework>,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub unevaluated: Vec<Unevaluated>,
    pub resources: Vec<Resource>,
    /// Set when the file is IaC but could not be scanned (parse error); the
    /// file is then never clean. The parse finding is in `findings`.
    pub not_scanned: Option<String>,
}

/// Result for a whole set of files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Only files recognised as IaC (or failing to parse as such).
    pub files: Vec<FileScan>,
    /// Resource kinds seen that no policy covers, with how many: counted,
    /// never an error.
    pub uncovered_kinds: BTreeMap<String, usize>,
}

/// The `iac-inventory` artifact: what infrastructure the workspace
/// declares, by file and by kind, for later stages to read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub files: Vec<InventoryFile>,
    /// Resource kind → how many, over all files.
    pub by_kind: BTreeMap<String, usize>,
    /// Kinds no policy covers, with how many.
    pub uncovered_kinds: BTreeMap<String, usize>,
    /// Paths recognised as IaC that could not be scanned.
    pub not_scanned: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryFile {
    pub path: String,
    pub framework: Option<Framework>,
    pub resources: Vec<Resource>,
}

impl ScanReport {
    pub fn inventory(&self) -> Inventory {
        let mut inventory = Inventory {
            uncovered_kinds: self.uncovered_kinds.clone(),
            ..Inventory::default()
        };
        for file in &self.files {
            if file.not_scanned.is_some() {
                inventory.not_scanned.push(file.path.clone());
            }
            for resource in &file.resources {
                *inventory.by_kind.entry(resource.kind.clone()).or_default() += 1;
            }
            inventory.files.push(InventoryFile {
                path: file.path.clone(),
                framework: file.framework,
                resources: file.resources.clone(),
            });
        }
        inventory
    }

    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|file| file.findings.iter())
    }

    pub fn suppressed(&self) -> impl Iterator<Item = &Suppressed> {
        self.files.iter().flat_map(|file| file.suppressed.iter())
    }
}
