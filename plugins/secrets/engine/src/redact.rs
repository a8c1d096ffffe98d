//! Turning a raw secret into what may be shown: a redacted form and a
//! fingerprint. These are the only two functions that see the value on its
//! way out of the engine.

use sha2::{Digest, Sha256};

/// Shows at most 4 leading characters, and never more than a quarter of the
/// value, so short passwords reveal almost nothing; then the length.
pub(crate) fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let length = text.chars().count();
    let shown: String = text
        .chars()
        .take((length / 4).min(4))
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!("{shown}…({length} chars)")
}

/// SHA-256 over the rule id, the path and the SHA-256 of the secret (never
/// the secret itself), hex encoded. Line numbers are deliberately left out
/// so that moving a line does not change the fingerprint.
pub(crate) fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    let secret_hash = Sha256::digest(secret);
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(secret_hash);
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_reveal_less() {
        assert_eq!(redact(b"hunter22"), "hu…(8 chars)");
        assert_eq!(redact(b"abc"), "…(3 chars)");
        assert_eq!(redact(b"abcdefghijklmnopqrstuvwxyz"), "abcd…(26 chars)");
    }

    #[test]
    fn fingerprint_depends_on_rule_path_and_value() {
        let base = fingerprint("secrets/a", "p", b"v");
        assert_ne!(base, fingerprint("secrets/b", "p", b"v"));
        assert_ne!(base, fingerprint("secrets/a", "q", b"v"));
        assert_ne!(base, fingerprint("secrets/a", "p", b"w"));
        assert_eq!(base, fingerprint("secrets/a", "p", b"v"));
        assert_eq!(base.len(), 64);
    }
}
