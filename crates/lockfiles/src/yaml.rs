//! YAML lockfiles (pnpm, yarn berry, pubspec): parsing with positions in
//! errors, and the lines of the keys that name packages.

use std::collections::HashMap;

use crate::Failure;

/// Parses YAML into a generic value; an error carries the line and column
/// the parser stopped at.
pub fn parse(text: &str) -> Result<serde_yaml_ng::Value, Failure> {
    serde_yaml_ng::from_str(text).map_err(|err| match err.location() {
        Some(at) => Failure::at(
            u32::try_from(at.line()).unwrap_or(u32::MAX),
            u32::try_from(at.column()).ok(),
            err.to_string(),
        ),
        None => Failure::new(err.to_string()),
    })
}

/// Lines of the mapping keys at `indent` spaces that sit inside the
/// top-level `section:` (or at the top level when `section` is `None`).
/// Keys are unquoted; a key naming several descriptors keeps its full text.
pub fn key_lines(text: &str, section: Option<&str>, indent: usize) -> HashMap<String, u32> {
    let mut lines = HashMap::new();
    let mut inside = section.is_none();
    for (number, line) in text.lines().enumerate() {
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let depth = line.len() - trimmed.len();
        if let Some(section) = section
            && depth == 0
        {
            inside = trimmed.trim_end() == format!("{section}:");
            continue;
        }
        if !inside || depth != indent {
            continue;
        }
        if let Some(key) = mapping_key(trimmed) {
            lines.entry(key).or_insert(number);
        }
    }
    lines
}

/// The key of a `key:` or `key: value` line, without quotes.
fn mapping_key(line: &str) -> Option<String> {
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix(['"', '\'']) {
        let quote = line.chars().next()?;
        let end = rest.find(quote)?;
        return Some(rest[..end].to_string());
    }
    let end = line
        .find(": ")
        .or_else(|| line.strip_suffix(':').map(str::len))?;
    Some(line[..end].to_string())
}

/// A string field of a YAML mapping (numbers and booleans as text).
pub fn string(value: &serde_yaml_ng::Value, key: &str) -> Option<String> {
    scalar_text(value.get(key)?)
}

pub fn scalar_text(value: &serde_yaml_ng::Value) -> Option<String> {
    match value {
        serde_yaml_ng::Value::String(text) => Some(text.clone()),
        serde_yaml_ng::Value::Number(number) => Some(number.to_string()),
        serde_yaml_ng::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// `(key, value)` pairs of a mapping field, keys as text; empty when absent.
pub fn entries<'a>(
    value: &'a serde_yaml_ng::Value,
    key: &str,
) -> Vec<(String, &'a serde_yaml_ng::Value)> {
    value
        .get(key)
        .and_then(serde_yaml_ng::Value::as_mapping)
        .map(|mapping| {
            mapping
                .iter()
                .filter_map(|(k, v)| Some((scalar_text(k)?, v)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_of_a_section_at_their_indent() {
        let text =
            "a: 1\npackages:\n  /x@1.0.0:\n    dev: true\n  'y@2':\n    z: 1\nother:\n  w: 1\n";
        let lines = key_lines(text, Some("packages"), 2);
        assert_eq!(lines.get("/x@1.0.0"), Some(&3));
        assert_eq!(lines.get("y@2"), Some(&5));
        assert!(!lines.contains_key("w"));
        assert_eq!(key_lines(text, None, 0).get("other"), Some(&7));
    }
}
