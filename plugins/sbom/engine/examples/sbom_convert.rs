//! Converts and compares CycloneDX SBOMs, as `cordon sbom` does, for
//! benchmarks and manual checks:
//!
//! ```text
//! cargo run -p cordon-sbom --example sbom_convert -- spdx IN.cdx.json [OUT.spdx.json]
//! cargo run -p cordon-sbom --example sbom_convert -- diff OLD.cdx.json NEW.cdx.json [--json]
//! ```
//!
//! A document without `metadata.timestamp` is dated by `SOURCE_DATE_EPOCH`
//! (or 0). Counts and the time taken go to stderr.

use std::time::Instant;

use cordon_sbom::spdx::{SpdxOptions, from_cyclonedx_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: sbom_convert spdx IN [OUT] | diff OLD NEW [--json]";
    match args.first().map(String::as_str) {
        Some("spdx") => {
            let input = std::fs::read(args.get(1).ok_or(usage)?)?;
            let created = std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let started = Instant::now();
            let spdx = from_cyclonedx_with(
                &input,
                &SpdxOptions {
                    created_when_missing: Some(created),
                },
            )?;
            let elapsed = started.elapsed();
            let value: serde_json::Value = serde_json::from_str(&spdx)?;
            eprintln!(
                "{} package(s), {} relationship(s), {} extracted licence(s) in {:.1} ms",
                value["packages"].as_array().map_or(0, Vec::len),
                value["relationships"].as_array().map_or(0, Vec::len),
                value["hasExtractedLicensingInfos"]
                    .as_array()
                    .map_or(0, Vec::len),
                elapsed.as_secs_f64() * 1000.0
            );
            match args.get(2) {
                Some(out) => std::fs::write(out, spdx)?,
                None => print!("{spdx}"),
            }
        }
        Some("diff") => {
            let old = std::fs::read(args.get(1).ok_or(usage)?)?;
            let new = std::fs::read(args.get(2).ok_or(usage)?)?;
            let diff = cordon_sbom::diff(&old, &new)?;
            if args.get(3).map(String::as_str) == Some("--json") {
                print!("{}", diff.to_json());
            } else {
                print!("{}", diff.to_text());
            }
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
