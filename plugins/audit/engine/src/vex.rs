//! VEX in: OpenVEX and CycloneDX VEX documents read into statements the
//! audit applies next to the configured ignores.
//!
//! A statement names a vulnerability (by id or alias), the packages it is
//! about (package URLs; none means every package), and a status. A
//! `not_affected` or `fixed` statement (CycloneDX: `not_affected`,
//! `false_positive`, `resolved`, `resolved_with_pedigree`) suppresses the
//! matching findings, with its justification shown; `affected` and
//! `under_investigation` (`exploitable`, `in_triage`) leave them reported.
//! When several statements cover one finding the latest wins (by statement
//! timestamp, then by order), as OpenVEX prescribes.
//!
//! Packages are named by purl: an OpenVEX product's `@id` or
//! `identifiers.purl` (its `subcomponents` instead, when it lists them); a
//! CycloneDX `affects[].ref` that is a purl, a BOM-Link or Cordon bom-ref
//! ending in one, or the bom-ref of a component of the same document. A
//! purl without a version names every version.
//!
//! Neither format has an expiry date, and OpenVEX forbids extra fields, so
//! an expiry is written in the statement's free text (OpenVEX
//! `status_notes`, CycloneDX `analysis.detail`) as `expires YYYY-MM-DD`;
//! Cordon's own VEX output does so for ignores that expire. Past that day
//! the statement no longer suppresses and the audit says so.
//!
//! Statements that cannot be applied (no vulnerability, unknown status,
//! `not_affected` without a justification or impact statement, products
//! without a package URL) are skipped with a warning each.

use std::str::FromStr;

use serde_json::Value;

use crate::config::{Date, parse_date};

/// A statement's VEX status, in OpenVEX's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    /// Whether the statement takes a finding off the report.
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

/// OpenVEX's `not_affected` justifications.
pub const OPENVEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// CycloneDX `analysis.justification` values.
const CYCLONEDX_JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

/// One applicable statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability id the statement names (`CVE-…`, `GHSA-…`,
    /// `RUSTSEC-…`).
    pub vulnerability: String,
    /// Other names the statement gives it.
    pub aliases: Vec<String>,
    /// Package URLs of the packages the statement is about; empty means
    /// every package.
    pub products: Vec<String>,
    pub status: VexStatus,
    pub justification: Option<String>,
    /// Free-text reason (OpenVEX `impact_statement`, CycloneDX
    /// `analysis.detail`).
    pub impact_statement: Option<String>,
    /// When the statement was made, for "latest wins".
    pub timestamp: Option<jiff::Timestamp>,
    /// Last day the statement applies (`expires YYYY-MM-DD` in its text).
    pub expires: Option<Date>,
    /// Where it came from: `path#statements[2]`, `path#vulnerabilities[0]`.
    pub source: String,
}

impl VexStatement {
    /// One line explaining the decision, for the summary and VEX out.
    pub fn reason(&self) -> String {
        let mut reason = format!("VEX {}", self.status.as_str());
        if let Some(justification) = &self.justification {
            reason.push_str(&format!(" ({justification})"));
        }
        if let Some(impact) = &self.impact_statement {
            reason.push_str(&format!(": {impact}"));
        }
        reason.push_str(&format!(" [{}]", self.source));
        reason
    }
}

/// What one document gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VexDocument {
    pub statements: Vec<VexStatement>,
    /// One per statement skipped, with its location.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct VexError {
    pub path: String,
    pub message: String,
}

/// Reads an OpenVEX (`@context` naming openvex) or CycloneDX
/// (`bomFormat: CycloneDX` with `vulnerabilities`) JSON document. `path` is
/// only for messages.
pub fn parse_vex(path: &str, bytes: &[u8]) -> Result<VexDocument, VexError> {
    let error = |message: String| VexError {
        path: path.to_owned(),
        message,
    };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| error(format!("not a JSON VEX document: {e}")))?;
    let is_openvex = value
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|context| context.contains("openvex"));
    if is_openvex {
        return Ok(openvex(path, &value));
    }
    if value.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return Ok(cyclonedx(path, &value));
    }
    Err(error(
        "neither OpenVEX (an `@context` naming openvex) nor CycloneDX (`bomFormat`)".to_owned(),
    ))
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn timestamp(text: Option<String>) -> Option<jiff::Timestamp> {
    text.and_then(|text| jiff::Timestamp::from_str(&text).ok())
}

/// `expires YYYY-MM-DD` anywhere in a free-text field; `expires` followed
/// by anything but a date is prose, a date-shaped token that is no date
/// (`2024-13-01`) an error.
fn expiry(texts: &[Option<&str>]) -> Result<Option<Date>, String> {
    const MARKER: &str = "expires ";
    for text in texts.iter().flatten() {
        let lower = text.to_ascii_lowercase();
        for (at, _) in lower.match_indices(MARKER) {
            let candidate: String = lower[at + MARKER.len()..].chars().take(10).collect();
            let date_shaped = candidate.len() == 10
                && candidate.char_indices().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if date_shaped {
                return parse_date(&candidate).map(Some);
            }
        }
    }
    Ok(None)
}

/// The package URL a VEX product or `affects` reference names: a purl,
/// a BOM-Link (`urn:cdx:…#pkg:…`) or a Cordon bom-ref (`path#pkg:…`).
fn package_url(reference: &str) -> Option<String> {
    let at = reference.find("pkg:")?;
    let purl = &reference[at..];
    packageurl::PackageUrl::from_str(purl)
        .ok()
        .map(|_| purl.to_owned())
}

fn openvex(path: &str, document: &Value) -> VexDocument {
    let mut result = VexDocument::default();
    let document_time = text(document, "last_updated").or_else(|| text(document, "timestamp"));
    let Some(statements) = document.get("statements").and_then(Value::as_array) else {
        result
            .warnings
            .push(format!("{path}: OpenVEX document without `statements`"));
        return result;
    };
    for (position, statement) in statements.iter().enumerate() {
        let source = format!("{path}#statements[{position}]");
        match openvex_statement(statement, &source, document_time.clone()) {
            Ok(statement) => result.statements.push(statement),
            Err(message) => result
                .warnings
                .push(format!("VEX {source} skipped: {message}")),
        }
    }
    result
}

fn openvex_statement(
    statement: &Value,
    source: &str,
    document_time: Option<String>,
) -> Result<VexStatement, String> {
    // OpenVEX 0.0.x wrote the vulnerability as a plain string.
    let vulnerability = statement.get("vulnerability");
    let (name, aliases) = match vulnerability {
        Some(Value::String(name)) => (Some(name.trim().to_owned()), Vec::new()),
        Some(object @ Value::Object(_)) => (
            text(object, "name").or_else(|| text(object, "@id")),
            object
                .get("aliases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => (None, Vec::new()),
    };
    let vulnerability = name
        .filter(|name| !name.is_empty())
        .ok_or("no `vulnerability.name`")?;
    let status = match text(statement, "status").as_deref() {
        Some("not_affected") => VexStatus::NotAffected,
        Some("affected") => VexStatus::Affected,
        Some("fixed") => VexStatus::Fixed,
        Some("under_investigation") => VexStatus::UnderInvestigation,
        Some(other) => return Err(format!("unknown status `{other}`")),
        None => return Err("no `status`".to_owned()),
    };
    let justification = text(statement, "justification");
    if let Some(justification) = &justification
        && !OPENVEX_JUSTIFICATIONS.contains(&justification.as_str())
    {
        return Err(format!("unknown justification `{justification}`"));
    }
    let impact_statement = text(statement, "impact_statement");
    if status == VexStatus::NotAffected && justification.is_none() && impact_statement.is_none() {
        return Err("`not_affected` needs a `justification` or an `impact_statement`".to_owned());
    }
    let status_notes = text(statement, "status_notes");
    let expires = expiry(&[status_notes.as_deref(), impact_statement.as_deref()])?;

    let mut products = Vec::new();
    let listed = statement.get("products").and_then(Value::as_array);
    for product in listed.into_iter().flatten() {
        // The product is what ships; its subcomponents, when listed, are
        // the packages the vulnerability is in.
        let subcomponents = product.get("subcomponents").and_then(Value::as_array);
        match subcomponents {
            Some(subcomponents) if !subcomponents.is_empty() => {
                products.extend(subcomponents.iter().filter_map(component_purl));
            }
            _ => products.extend(component_purl(product)),
        }
    }
    if listed.is_some_and(|listed| !listed.is_empty()) && products.is_empty() {
        return Err("no product or subcomponent has a package URL, so it names no package".into());
    }
    products.sort();
    products.dedup();
    Ok(VexStatement {
        vulnerability,
        aliases,
        products,
        status,
        justification,
        impact_statement,
        timestamp: timestamp(
            text(statement, "last_updated")
                .or_else(|| text(statement, "timestamp"))
                .or(document_time),
        ),
        expires,
        source: source.to_owned(),
    })
}

/// A product or subcomponent's purl: `@id`, or `identifiers.purl`; the
/// 0.0.x form is a plain string.
fn component_purl(component: &Value) -> Option<String> {
    match component {
        Value::String(id) => package_url(id),
        Value::Object(_) => text(component, "@id")
            .and_then(|id| package_url(&id))
            .or_else(|| {
                component
                    .get("identifiers")
                    .and_then(|ids| text(ids, "purl"))
                    .and_then(|purl| package_url(&purl))
            }),
        _ => None,
    }
}

fn cyclonedx(path: &str, document: &Value) -> VexDocument {
    let mut result = VexDocument::default();
    // A VEX inside an SBOM points at its components by bom-ref.
    let mut purls_by_ref = std::collections::HashMap::new();
    let mut pending: Vec<&Value> = document
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    pending.extend(
        document
            .get("metadata")
            .and_then(|metadata| metadata.get("component")),
    );
    while let Some(component) = pending.pop() {
        if let (Some(bom_ref), Some(purl)) = (text(component, "bom-ref"), text(component, "purl")) {
            purls_by_ref.insert(bom_ref, purl);
        }
        pending.extend(
            component
                .get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    let document_time = document
        .get("metadata")
        .and_then(|metadata| text(metadata, "timestamp"));
    let Some(vulnerabilities) = document.get("vulnerabilities").and_then(Value::as_array) else {
        result.warnings.push(format!(
            "{path}: CycloneDX document without `vulnerabilities`"
        ));
        return result;
    };
    for (position, vulnerability) in vulnerabilities.iter().enumerate() {
        let source = format!("{path}#vulnerabilities[{position}]");
        match cyclonedx_statement(vulnerability, &source, document_time.clone(), &purls_by_ref) {
            Ok(statement) => result.statements.push(statement),
            Err(message) => result
                .warnings
                .push(format!("VEX {source} skipped: {message}")),
        }
    }
    result
}

fn cyclonedx_statement(
    vulnerability: &Value,
    source: &str,
    document_time: Option<String>,
    purls_by_ref: &std::collections::HashMap<String, String>,
) -> Result<VexStatement, String> {
    let id = text(vulnerability, "id").ok_or("no `id`")?;
    let aliases = vulnerability
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|reference| text(reference, "id"))
        .collect();
    let analysis = vulnerability.get("analysis").ok_or("no `analysis`")?;
    let state = text(analysis, "state").ok_or("no `analysis.state`")?;
    let status = match state.as_str() {
        "not_affected" | "false_positive" => VexStatus::NotAffected,
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "exploitable" => VexStatus::Affected,
        "in_triage" => VexStatus::UnderInvestigation,
        other => return Err(format!("unknown `analysis.state` `{other}`")),
    };
    let mut justification = text(analysis, "justification");
    if let Some(value) = &justification
        && !CYCLONEDX_JUSTIFICATIONS.contains(&value.as_str())
    {
        return Err(format!("unknown `analysis.justification` `{value}`"));
    }
    if state == "false_positive" && justification.is_none() {
        justification = Some("false_positive".to_owned());
    }
    let detail = text(analysis, "detail");
    if status == VexStatus::NotAffected && justification.is_none() && detail.is_none() {
        return Err("`not_affected` needs an `analysis.justification` or `analysis.detail`".into());
    }
    let expires = expiry(&[detail.as_deref()])?;
    let affects = vulnerability.get("affects").and_then(Value::as_array);
    let mut products: Vec<String> = affects
        .into_iter()
        .flatten()
        .filter_map(|affected| text(affected, "ref"))
        .filter_map(|reference| {
            purls_by_ref
                .get(&reference)
                .and_then(|purl| package_url(purl))
                .or_else(|| package_url(&reference))
        })
        .collect();
    if affects.is_some_and(|affects| !affects.is_empty()) && products.is_empty() {
        return Err("no `affects[].ref` is a package URL, so it names no package".into());
    }
    products.sort();
    products.dedup();
    Ok(VexStatement {
        vulnerability: id,
        aliases,
        products,
        status,
        justification,
        impact_statement: detail,
        timestamp: timestamp(
            text(analysis, "lastUpdated")
                .or_else(|| text(analysis, "firstIssued"))
                .or_else(|| text(vulnerability, "updated"))
                .or(document_time),
        ),
        expires,
        source: source.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openvex_statements_and_skips_invalid_ones() {
        let document = parse_vex(
            "vex/app.openvex.json",
            br#"{
              "@context": "https://openvex.dev/ns/v0.2.0",
              "@id": "https://example.com/vex/1", "author": "sec", "version": 1,
              "timestamp": "2024-01-01T00:00:00Z",
              "statements": [
                {"vulnerability": {"name": "CVE-2020-26235", "aliases": ["GHSA-wcg3-cvx6-7396"]},
                 "products": [{"@id": "pkg:cargo/app@1.0.0",
                               "subcomponents": [{"@id": "pkg:cargo/time@0.1.45"}]}],
                 "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
                 "status_notes": "reviewed; expires 2099-12-31"},
                {"vulnerability": {"name": "CVE-1"}, "status": "affected", "action_statement": "upgrade",
                 "timestamp": "2024-06-01T00:00:00Z",
                 "products": [{"identifiers": {"purl": "pkg:npm/lodash@4.17.15"}}]},
                {"vulnerability": {"name": "CVE-2"}, "status": "not_affected"},
                {"vulnerability": {"name": "CVE-3"}, "status": "maybe"},
                {"status": "fixed"},
                {"vulnerability": {"name": "CVE-4"}, "status": "fixed", "products": [{"@id": "https://example.com/app"}]},
                {"vulnerability": "CVE-5", "status": "not_affected", "impact_statement": "never loaded"}
              ]}"#,
        )
        .unwrap();
        assert_eq!(document.statements.len(), 3, "{:?}", document.warnings);
        let first = &document.statements[0];
        assert_eq!(first.vulnerability, "CVE-2020-26235");
        assert_eq!(first.aliases, ["GHSA-wcg3-cvx6-7396"]);
        assert_eq!(first.products, ["pkg:cargo/time@0.1.45"]);
        assert_eq!(first.status, VexStatus::NotAffected);
        assert_eq!(first.expires, Some(jiff::civil::date(2099, 12, 31)));
        assert_eq!(first.source, "vex/app.openvex.json#statements[0]");
        assert_eq!(
            first.timestamp,
            Some("2024-01-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(document.statements[1].products, ["pkg:npm/lodash@4.17.15"]);
        assert_eq!(
            document.statements[1].timestamp,
            Some("2024-06-01T00:00:00Z".parse().unwrap())
        );
        assert!(document.statements[2].products.is_empty());
        assert_eq!(document.warnings.len(), 4, "{:?}", document.warnings);
        for (warning, expected) in document.warnings.iter().zip([
            "statements[2] skipped: `not_affected` needs",
            "statements[3] skipped: unknown status `maybe`",
            "statements[4] skipped: no `vulnerability.name`",
            "statements[5] skipped: no product or subcomponent has a package URL",
        ]) {
            assert!(warning.contains(expected), "{warning}");
        }
    }

    #[test]
    fn reads_cyclonedx_vex() {
        let document = parse_vex(
            "bom.vex.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
                 "components": [{"bom-ref": "lib-1", "name": "idna", "purl": "pkg:pypi/idna@2.7",
                                 "components": [{"bom-ref": "lib-2", "name": "six", "purl": "pkg:pypi/six@1.0"}]}],
                 "vulnerabilities": [
                   {"id": "GHSA-xxxx-yyyy-zzzz", "references": [{"id": "CVE-2021-1", "source": {"name": "NVD"}}],
                    "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                 "detail": "only the parser is used"},
                    "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:pypi/requests@2.19.0"},
                                {"ref": "py/poetry.lock#pkg:pypi/urllib3@1.24.1"},
                                {"ref": "lib-2"}]},
                   {"id": "CVE-2", "analysis": {"state": "false_positive"}},
                   {"id": "CVE-3", "analysis": {"state": "resolved"}, "affects": []},
                   {"id": "CVE-4", "analysis": {"state": "in_triage"}},
                   {"id": "CVE-5"},
                   {"id": "CVE-6", "analysis": {"state": "not_affected"}},
                   {"id": "CVE-7", "analysis": {"state": "not_affected", "justification": "because"}},
                   {"id": "CVE-8", "analysis": {"state": "not_affected", "detail": "expires 2024-13-01"}}
                 ]}"#,
        )
        .unwrap();
        let statuses: Vec<(&str, VexStatus)> = document
            .statements
            .iter()
            .map(|s| (s.vulnerability.as_str(), s.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("GHSA-xxxx-yyyy-zzzz", VexStatus::NotAffected),
                ("CVE-2", VexStatus::NotAffected),
                ("CVE-3", VexStatus::Fixed),
                ("CVE-4", VexStatus::UnderInvestigation),
            ]
        );
        let first = &document.statements[0];
        assert_eq!(
            first.products,
            [
                "pkg:pypi/requests@2.19.0",
                "pkg:pypi/six@1.0",
                "pkg:pypi/urllib3@1.24.1"
            ]
        );
        assert_eq!(first.aliases, ["CVE-2021-1"]);
        assert_eq!(first.justification.as_deref(), Some("code_not_reachable"));
        assert_eq!(
            document.statements[1].justification.as_deref(),
            Some("false_positive")
        );
        assert_eq!(document.warnings.len(), 4, "{:?}", document.warnings);
        assert!(document.warnings[3].contains("2024-13-01"));
    }

    #[test]
    fn rejects_documents_of_other_formats() {
        assert!(parse_vex("x", b"nope").is_err());
        assert_eq!(expiry(&[Some("expires when we upgrade")]), Ok(None));
        assert_eq!(
            expiry(&[None, Some("ok; Expires 2030-01-02.")]),
            Ok(Some(jiff::civil::date(2030, 1, 2)))
        );
        assert!(parse_vex("x", br#"{"spdxVersion": "SPDX-2.3"}"#).is_err());
        let empty = parse_vex("x", br#"{"bomFormat": "CycloneDX"}"#).unwrap();
        assert!(empty.statements.is_empty());
        assert_eq!(empty.warnings.len(), 1);
    }
}
