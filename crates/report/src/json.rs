//! The JSON report: the [`RunReport`] model serialised as is, pretty-printed.
//! Its schema is documented field by field in `docs/report-json.md`; the
//! `schema_version` field changes whenever a field is renamed or removed.

use crate::model::RunReport;

/// The report as pretty-printed JSON, fields in model order.
pub fn render(report: &RunReport) -> String {
    // The model has no maps with non-string keys and no custom serialisers,
    // so this cannot fail; an error would be a bug worth seeing, not a panic.
    serde_json::to_string_pretty(report).unwrap_or_else(|error| {
        serde_json::json!({ "error": format!("could not serialise the report: {error}") })
            .to_string()
    })
}
