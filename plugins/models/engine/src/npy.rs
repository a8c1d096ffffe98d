//! NumPy `.npy`: the header dict is checked against the data that follows,
//! and object arrays — which are a pickle after the header — go through the
//! pickle analyser.

use crate::Limits;
use crate::finding::{ModelFinding, Severity, printable};
use crate::inventory::ModelMetadata;
use crate::pickle;
use crate::rules;
use crate::source::{ByteSource, Window, read_exact_at};

pub const MAGIC: &[u8; 6] = b"\x93NUMPY";
const MAX_HEADER: u64 = 1 << 20;

fn malformed(subject: &str, message: String) -> ModelFinding {
    ModelFinding::new(
        rules::MALFORMED,
        Severity::Medium,
        subject,
        format!("npy: {message}"),
    )
}

/// The value after `'key':` in the header dict literal.
fn dict_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let pattern_single = format!("'{key}'");
    let pattern_double = format!("\"{key}\"");
    let at = header
        .find(&pattern_single)
        .map(|i| i + pattern_single.len())
        .or_else(|| {
            header
                .find(&pattern_double)
                .map(|i| i + pattern_double.len())
        })?;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    Some(rest)
}

fn quoted(value: &str) -> Option<&str> {
    let quote = value.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &value[1..];
    inner.find(quote).map(|end| &inner[..end])
}

fn shape(value: &str) -> Option<Vec<u64>> {
    let inner = value.strip_prefix('(')?;
    let inner = &inner[..inner.find(')')?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.trim_end_matches('L').parse().ok())
        .collect()
}

/// Bytes per element of a simple dtype string such as `<f4`, `|S10`, `<U3`.
fn itemsize(descr: &str) -> Option<u64> {
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    let kind = body.chars().next()?;
    let digits: String = body[kind.len_utf8()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let count: u64 = if digits.is_empty() {
        match kind {
            '?' | 'b' | 'B' => 1,
            _ => return None,
        }
    } else {
        digits.parse().ok()?
    };
    Some(if kind == 'U' {
        count.checked_mul(4)?
    } else {
        count
    })
}

pub fn analyse(
    source: &dyn ByteSource,
    member: Option<&str>,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> ModelMetadata {
    let mut metadata = ModelMetadata::default();
    let fixed = match read_exact_at(source, 0, 10) {
        Ok(fixed) => fixed,
        Err(err) => {
            findings.push(
                malformed("npy-truncated", format!("header is truncated: {err}"))
                    .at(0)
                    .in_member(member),
            );
            return metadata;
        }
    };
    let major = fixed[6];
    let (header_len, header_start) = match major {
        1 => (u64::from(u16::from_le_bytes([fixed[8], fixed[9]])), 10u64),
        2 | 3 => match read_exact_at(source, 8, 4) {
            Ok(b) => (
                u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                12u64,
            ),
            Err(err) => {
                findings.push(
                    malformed("npy-truncated", format!("header is truncated: {err}"))
                        .at(8)
                        .in_member(member),
                );
                return metadata;
            }
        },
        other => {
            findings.push(
                malformed("npy-version", format!("unsupported format version {other}"))
                    .at(6)
                    .in_member(member),
            );
            return metadata;
        }
    };
    if header_len > MAX_HEADER {
        findings.push(
            malformed(
                "npy-header-size",
                format!("header length {header_len} is implausible"),
            )
            .at(8)
            .in_member(member),
        );
        return metadata;
    }
    let header = match read_exact_at(source, header_start, header_len as usize) {
        Ok(header) => String::from_utf8_lossy(&header).into_owned(),
        Err(err) => {
            findings.push(
                malformed("npy-truncated", format!("header is truncated: {err}"))
                    .at(header_start)
                    .in_member(member),
            );
            return metadata;
        }
    };
    let data_start = header_start + header_len;
    let descr_value = dict_value(&header, "descr");
    let shape = dict_value(&header, "shape").and_then(shape);
    let (Some(descr_value), Some(shape)) = (descr_value, shape) else {
        findings.push(
            malformed(
                "npy-header",
                format!(
                    "header dict lacks a readable 'descr' or 'shape': {:?}",
                    printable(header.as_bytes(), 160)
                ),
            )
            .at(header_start)
            .in_member(member),
        );
        return metadata;
    };
    let simple_descr = quoted(descr_value);
    let descr_shown =
        simple_descr.map_or_else(|| "structured".to_string(), |d| printable(d.as_bytes(), 40));
    let elements = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    metadata.tensor_count = Some(1);
    metadata.parameter_count = elements;
    metadata.dtypes = vec![descr_shown.clone()];
    metadata
        .properties
        .insert("shape".into(), format!("{shape:?}"));
    // An object dtype (alone or inside a structured dtype) means the data
    // is a pickle that np.load(allow_pickle=True) will run.
    let is_object = match simple_descr {
        Some(d) => d.trim_start_matches(['<', '>', '|', '=']).starts_with('O'),
        None => {
            descr_value.contains("'O") || descr_value.contains("|O") || descr_value.contains("\"O")
        }
    };
    let data = Window::new(source, data_start, source.len().saturating_sub(data_start));
    if is_object {
        metadata
            .properties
            .insert("object-array".into(), "true".into());
        let first = findings.len();
        pickle::analyse(&data, member, limits, findings);
        for finding in &mut findings[first..] {
            finding.offset = finding.offset.map(|o| o + data_start);
        }
        return metadata;
    }
    if let (Some(descr), Some(elements)) = (simple_descr, elements) {
        match itemsize(descr).and_then(|size| size.checked_mul(elements)) {
            Some(expected) if expected > data.len() => findings.push(
                malformed(
                    "npy-truncated-data",
                    format!("array of dtype {descr_shown} and shape {shape:?} needs {expected} data bytes but {} follow the header", data.len()),
                )
                .at(data_start)
                .in_member(member),
            ),
            _ => {}
        }
    }
    metadata
}
