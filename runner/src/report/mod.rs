//! `--report FORMAT=PATH` and the terminal summary. The renderings live in
//! the `cordon-report` crate; this module picks one and writes it, plus
//! `cyclonedx`, which is the `sbom` artifact itself, and `openvex`, which
//! is the audit stage's `openvex` artifact.

use std::path::PathBuf;
use std::str::FromStr;

use cordon_report::RunReport;

use crate::host::artifacts::ArtifactStore;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReportFormat {
    Sarif,
    Json,
    Junit,
    Text {
        color: bool,
        verbose: bool,
    },
    CycloneDx,
    /// SPDX 2.3 JSON, converted from the `sbom` artifact.
    Spdx,
    /// The audit stage's OpenVEX document of its own decisions.
    OpenVex,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportTarget {
    pub format: ReportFormat,
    pub path: PathBuf,
}

impl FromStr for ReportTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (format, path) = text
            .split_once('=')
            .ok_or_else(|| format!("expected FORMAT=PATH, got `{text}`"))?;
        let format = match format {
            "sarif" => ReportFormat::Sarif,
            "json" => ReportFormat::Json,
            "junit" => ReportFormat::Junit,
            "text" => ReportFormat::Text {
                color: false,
                verbose: true,
            },
            "cyclonedx" => ReportFormat::CycloneDx,
            "spdx" => ReportFormat::Spdx,
            "openvex" => ReportFormat::OpenVex,
            other => {
                return Err(format!(
                    "unknown report format `{other}` (sarif, json, junit, text, cyclonedx, spdx, openvex)"
                ));
            }
        };
        if path.is_empty() {
            return Err(format!("--report {text}: the path is empty"));
        }
        Ok(ReportTarget {
            format,
            path: PathBuf::from(path),
        })
    }
}

pub fn render(
    format: ReportFormat,
    report: &RunReport,
    artifacts: &ArtifactStore,
) -> Result<String, String> {
    Ok(match format {
        ReportFormat::Sarif => cordon_report::sarif::to_string_pretty(report),
        ReportFormat::Json => cordon_report::json::render(report),
        ReportFormat::Junit => cordon_report::junit::render(report),
        ReportFormat::Text { color, verbose } => cordon_report::text::render(
            report,
            &cordon_report::text::TextOptions { color, verbose },
        ),
        ReportFormat::CycloneDx => {
            let sbom = sbom_artifact(artifacts, "cyclonedx")?;
            String::from_utf8(sbom.bytes.as_ref().clone())
                .map_err(|_| "the sbom artifact is not UTF-8 JSON".to_string())?
        }
        ReportFormat::Spdx => {
            let sbom = sbom_artifact(artifacts, "spdx")?;
            cordon_sbom::spdx_from_cyclonedx(&sbom.bytes)
                .map_err(|e| format!("--report spdx: {e}"))?
        }
        ReportFormat::OpenVex => {
            let vex = artifacts.get(OPENVEX_ARTIFACT).ok_or_else(|| {
                format!("--report openvex: no stage of this run produced the `{OPENVEX_ARTIFACT}` artifact (the audit stage writes it when an ignore or a VEX statement decided about a finding; its notes say why not)")
            })?;
            String::from_utf8(vex.bytes.as_ref().clone())
                .map_err(|_| "the openvex artifact is not UTF-8 JSON".to_string())?
        }
    })
}

/// The audit stage's artifact (`vex-out = true`), media type
/// `application/vnd.openvex+json`.
pub const OPENVEX_ARTIFACT: &str = "openvex";

/// The SBOM stage's document, which the `cyclonedx` and `spdx` reports are.
fn sbom_artifact(
    artifacts: &ArtifactStore,
    format: &str,
) -> Result<crate::host::artifacts::StoredArtifact, String> {
    artifacts.get("sbom").ok_or_else(|| {
        format!("--report {format}: no stage of this run produced the `sbom` artifact (is the sbom stage in the pipeline and did it complete?)")
    })
}

pub fn write(
    target: &ReportTarget,
    report: &RunReport,
    artifacts: &ArtifactStore,
) -> Result<(), String> {
    let text = render(target.format, report, artifacts)?;
    if target.path.as_os_str() == "-" {
        use std::io::Write;
        return std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the report to standard output: {e}"));
    }
    if let Some(parent) = target.path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&target.path, text)
        .map_err(|e| format!("cannot write report {}: {e}", target.path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            "sarif=out/cordon.sarif".parse::<ReportTarget>().unwrap(),
            ReportTarget {
                format: ReportFormat::Sarif,
                path: "out/cordon.sarif".into()
            }
        );
        assert!(
            "xml=a"
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("unknown report format")
        );
        assert!(
            "sarif"
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("FORMAT=PATH")
        );
        assert!(
            "json="
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("empty")
        );
    }
}
