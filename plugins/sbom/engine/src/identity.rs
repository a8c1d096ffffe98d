//! The document's serial number and timestamp, both derived from inputs
//! only, so the same inputs give the same bytes.

use sha2::{Digest, Sha256};

use crate::SbomError;

/// `urn:uuid:` of a version 8 UUID (RFC 9562's custom, hash-based layout)
/// made from the SHA-256 of the document's content.
pub fn serial_number(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC variant
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

/// RFC 3339 UTC time of a Unix timestamp (e.g. `SOURCE_DATE_EPOCH`).
pub fn timestamp(unix_seconds: i64) -> Result<String, SbomError> {
    jiff::Timestamp::from_second(unix_seconds)
        .map(|t| t.to_string())
        .map_err(|err| SbomError::Timestamp(format!("{unix_seconds}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_is_a_version_8_uuid_of_the_content() {
        let a = serial_number(b"one");
        assert_eq!(a, serial_number(b"one"));
        assert_ne!(a, serial_number(b"two"));
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
        assert_eq!(&a[23..24], "8");
        assert!(matches!(&a[28..29], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_700_000_000).unwrap(), "2023-11-14T22:13:20Z");
        assert!(timestamp(i64::MAX).is_err());
    }
}
