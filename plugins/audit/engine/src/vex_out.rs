//! VEX out: an OpenVEX 0.2.0 document of the audit's own decisions.
//!
//! | decision | statement |
//! |---|---|
//! | live ignore | `not_affected`, the ignore's reason as `impact_statement`, its expiry as `expires YYYY-MM-DD` in `status_notes` |
//! | expired ignore | `under_investigation` (the finding is reported again) |
//! | applied VEX statement | its own status and justification (or impact statement), its source in `status_notes` |
//! | expired VEX statement | `under_investigation` |
//!
//! Products are the package URLs of the affected packages. The document
//! `@id` is a UUID derived from the statements, so the same decisions give
//! the same bytes for a given timestamp.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{AuditReport, DecisionOrigin};
use crate::vex::{OPENVEX_JUSTIFICATIONS, VexStatus};

pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";
pub const OPENVEX_MEDIA_TYPE: &str = "application/vnd.openvex+json";

/// What the document says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenVexOptions {
    /// `author`: who stands behind the decisions (a team or address).
    pub author: String,
    /// `timestamp` (Unix seconds): when the document was issued; the host
    /// passes `SOURCE_DATE_EPOCH` or the current time.
    pub timestamp: i64,
}

#[derive(Debug, Serialize)]
struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: String,
    timestamp: String,
    version: u32,
    tooling: String,
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Statement {
    vulnerability: Vulnerability,
    products: Vec<Product>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Vulnerability {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Product {
    #[serde(rename = "@id")]
    id: String,
}

/// What one statement says, apart from the packages it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Verdict {
    advisory_id: String,
    status: &'static str,
    status_notes: Option<String>,
    justification: Option<String>,
    impact_statement: Option<String>,
}

/// The OpenVEX JSON (pretty, newline-terminated) of the report's
/// [`decisions`](AuditReport::decisions); `None` when there are none (an
/// OpenVEX document needs at least one statement).
pub fn openvex_from_decisions(
    report: &AuditReport,
    options: &OpenVexOptions,
) -> Result<Option<String>, String> {
    let mut grouped: BTreeMap<Verdict, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for decision in &report.decisions {
        let verdict = match (&decision.origin, decision.suppressed) {
            (DecisionOrigin::Ignore, true) => Verdict {
                advisory_id: decision.advisory_id.clone(),
                status: VexStatus::NotAffected.as_str(),
                status_notes: Some(match decision.expires {
                    Some(expires) => {
                        format!("ignored in the Cordon audit options; expires {expires}")
                    }
                    None => "ignored in the Cordon audit options".to_owned(),
                }),
                justification: None,
                impact_statement: Some(decision.reason.clone()),
            },
            (DecisionOrigin::Vex(statement), true) => {
                let justification = statement
                    .justification
                    .clone()
                    .filter(|j| OPENVEX_JUSTIFICATIONS.contains(&j.as_str()));
                // OpenVEX wants exactly one of the two for not_affected;
                // a CycloneDX justification has no OpenVEX value, so it
                // goes into the impact statement.
                let impact_statement = match (&justification, statement.status) {
                    (None, VexStatus::NotAffected) => Some(
                        match (&statement.justification, &statement.impact_statement) {
                            (Some(j), Some(detail)) => format!("{j}: {detail}"),
                            (Some(j), None) => j.clone(),
                            (None, Some(detail)) => detail.clone(),
                            (None, None) => statement.reason(),
                        },
                    ),
                    _ => None,
                };
                let mut notes = format!("from VEX {}", statement.source);
                if let Some(expires) = statement.expires {
                    notes.push_str(&format!("; expires {expires}"));
                }
                Verdict {
                    advisory_id: decision.advisory_id.clone(),
                    status: statement.status.as_str(),
                    status_notes: Some(notes),
                    justification,
                    impact_statement,
                }
            }
            (origin, false) => {
                let what = match origin {
                    DecisionOrigin::Ignore => "the ignore in the Cordon audit options".to_owned(),
                    DecisionOrigin::Vex(statement) => {
                        format!("the VEX statement {}", statement.source)
                    }
                };
                let when = decision
                    .expires
                    .map(|date| format!(" on {date}"))
                    .unwrap_or_default();
                Verdict {
                    advisory_id: decision.advisory_id.clone(),
                    status: VexStatus::UnderInvestigation.as_str(),
                    status_notes: Some(format!(
                        "{what} expired{when} and the finding is reported again; it said: {}",
                        decision.reason
                    )),
                    justification: None,
                    impact_statement: None,
                }
            }
        };
        let entry = grouped.entry(verdict).or_default();
        entry.0.insert(decision.purl.clone());
        entry.1.extend(
            decision
                .aliases
                .iter()
                .filter(|alias| **alias != decision.advisory_id)
                .cloned(),
        );
    }
    if grouped.is_empty() {
        return Ok(None);
    }
    let statements: Vec<Statement> = grouped
        .into_iter()
        .map(|(verdict, (products, aliases))| Statement {
            vulnerability: Vulnerability {
                name: verdict.advisory_id,
                aliases: aliases.into_iter().collect(),
            },
            products: products.into_iter().map(|id| Product { id }).collect(),
            status: verdict.status,
            status_notes: verdict.status_notes,
            justification: verdict.justification,
            impact_statement: verdict.impact_statement,
        })
        .collect();
    let content = serde_json::to_vec(&statements).map_err(|e| e.to_string())?;
    let timestamp = jiff::Timestamp::from_second(options.timestamp)
        .map_err(|error| format!("timestamp {}: {error}", options.timestamp))?;
    let document = Document {
        context: OPENVEX_CONTEXT,
        id: uuid_of(&content),
        author: options.author.clone(),
        timestamp: timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        version: 1,
        tooling: format!("cordon-audit {}", env!("CARGO_PKG_VERSION")),
        statements,
    };
    let mut text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(Some(text))
}

/// `urn:uuid:` of a version 8 (hash-based) UUID of `content`.
fn uuid_of(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
