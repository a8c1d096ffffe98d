//! Turning lockfile bytes into text, and byte offsets into 1-based positions.

use crate::Failure;

/// Decodes a lockfile as UTF-8 (dropping a leading BOM). Binary or non-UTF-8
/// input is an error at the first offending byte, never an empty lockfile.
pub fn decode(bytes: &[u8]) -> Result<&str, Failure> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = position(bytes, nul);
        return Err(Failure::at(
            line,
            Some(column),
            "binary data (NUL byte) in a text lockfile",
        ));
    }
    std::str::from_utf8(bytes).map_err(|err| {
        let (line, column) = position(bytes, err.valid_up_to());
        Failure::at(line, Some(column), "invalid UTF-8")
    })
}

/// 1-based line and column (in bytes) of `offset` within `bytes`.
pub fn position(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (to_u32(line), to_u32(before.len() - line_start + 1))
}

/// 1-based line of `offset` within `text`.
pub fn line_of(text: &str, offset: usize) -> u32 {
    position(text.as_bytes(), offset).0
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Maps a `toml` error to a failure at the position of its span.
pub fn toml_failure(text: &str, err: &toml::de::Error) -> Failure {
    let message = err.message().to_string();
    match err.span() {
        Some(span) => {
            let (line, column) = position(text.as_bytes(), span.start);
            Failure::at(line, Some(column), message)
        }
        None => Failure::new(message),
    }
}

/// Maps a `serde_json` error to a failure at its line and column.
pub fn json_failure(err: &serde_json::Error) -> Failure {
    let message = err.to_string();
    match u32::try_from(err.line()) {
        Ok(line) if line > 0 => Failure::at(line, u32::try_from(err.column()).ok(), message),
        _ => Failure::new(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position(b"ab\ncd", 0), (1, 1));
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
    }

    #[test]
    fn binary_input_is_rejected_with_its_position() {
        let err = decode(b"[[package]]\nname = \"a\0\"").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(10)));
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let err = decode(b"ok\n\xff").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBFx").unwrap(), "x");
    }
}
