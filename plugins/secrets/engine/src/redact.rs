//! Turning a raw secret into what may be shown: a redacted form and a
//! fingerprint. These are the only two functions that see the value on its
//! way out of the engine. [`credential_shaped`] finds what else a snippet
//! must not show.

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use sha2::{Digest, Sha256};

use crate::assignment::{Names, parse_at};
use crate::entropy::shannon_entropy;

/// Parts of names that may hold a credential, for finding assignments in a
/// snippet (the grammar then decides with [`Names::Broad`]).
const NAME_PARTS: &[&str] = &[
    "key",
    "pass",
    "pw",
    "secret",
    "token",
    "auth",
    "credential",
    "signature",
];
/// A run of token characters at least this long, mixing letters and digits
/// at this entropy, is masked wherever it stands: every issued key format
/// is such a run, and a snippet loses little by hiding a hash.
const TOKEN_RUN_MIN: usize = 20;
const TOKEN_RUN_MIN_ENTROPY: f64 = 3.5;

fn name_parts() -> Option<&'static AhoCorasick> {
    static PARTS: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    PARTS
        .get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(NAME_PARTS)
                .ok()
        })
        .as_ref()
}

/// Ranges in `window` of `buffer` that a snippet must mask even though no
/// rule reported them: values of credential-named assignments (whatever
/// their strength: `key = '…'` beside a reported `secret = '…'`), and long
/// random-looking token runs. Ranges may overlap and reach past the window.
pub(crate) fn credential_shaped(buffer: &[u8], window: Range<usize>) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let window = window.start.min(buffer.len())..window.end.min(buffer.len());
    if let Some(parts) = name_parts() {
        let mut last_name = None;
        for hit in parts.find_iter(&buffer[window.clone()]) {
            let hit = window.start + hit.start()..window.start + hit.end();
            let Some(assignment) = parse_at(buffer, hit, Names::Broad) else {
                continue;
            };
            if last_name == Some(assignment.name.start) {
                continue;
            }
            last_name = Some(assignment.name.start);
            let value = assignment.value;
            if value.end > window.start && value.start < window.end {
                found.push(value);
            }
        }
    }
    let is_token_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-');
    let mut at = window.start;
    while at < window.end {
        if !is_token_byte(buffer[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < window.end && is_token_byte(buffer[at]) {
            at += 1;
        }
        // Base64 padding belongs to the run; an `=` inside it does not.
        let mut end = at;
        while end < buffer.len() && end < at + 2 && buffer[end] == b'=' {
            end += 1;
        }
        let run = &buffer[start..end];
        if run.len() >= TOKEN_RUN_MIN
            && run.iter().any(u8::is_ascii_digit)
            && run.iter().any(u8::is_ascii_alphabetic)
            && shannon_entropy(run) >= TOKEN_RUN_MIN_ENTROPY
        {
            found.push(start..end);
        }
    }
    found
}

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
    fn credential_shaped_values_and_token_runs() {
        let line = b"key = 'k9Fw2'; secret: weakpass; note = 'hello' id=Zx81QmP0aLr5TnW3vYc7Ud2";
        let shown: Vec<&[u8]> = credential_shaped(line, 0..line.len())
            .into_iter()
            .map(|r| &line[r])
            .collect();
        assert_eq!(
            shown,
            vec![
                &b"k9Fw2"[..],
                &b"weakpass"[..],
                &b"Zx81QmP0aLr5TnW3vYc7Ud2"[..]
            ]
        );
        // Only what touches the window.
        assert!(
            credential_shaped(line, 20..30)
                .iter()
                .all(|r| r.end > 20 && r.start < 30)
        );
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
