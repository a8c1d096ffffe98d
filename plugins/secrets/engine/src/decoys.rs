//! Values that look like secrets but are not: placeholders, documented
//! example keys, hashes, UUIDs, identifiers and public material.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use sha2::{Digest, Sha256};

use crate::entropy::shannon_entropy;

/// SHA-256 of example credentials that vendors print in their
/// documentation (Stripe's API reference keys, jwt.io's default token).
/// Stored as hashes so this file does not itself contain credential-shaped
/// text.
const DOCUMENTED_EXAMPLE_SHA256: &[&str] = &[
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
    "f2d6ca16515033e5dce14eba840b979d27b5cbae24bb3e5bf484339667f86397",
    "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",
    // SSLMate's sslmate-agent.conf example API key.
    "7494a2ab387b99ddfcc65d7db295e08e3a77ff7bae61a566026d566c6bf2ce83",
    // The UUID of RFC 4122's examples, which Polymarket's docs print as an
    // API key.
    "a3a9e1ed9732cab28868127be00f1ce921acaefdd5c3b23a6e9e0072bd9c1a34",
    // Google API keys the Firebase SDKs use as fixtures in their own tests
    // and samples (e.g. firebase-js-sdk's API-key format test): public by
    // publication, and copied into many projects' test code.
    "f56e323494a6ffc2064e7a955908957d84f0755e5f975dabd64328d0359a8f7c",
    "2037abcaffb2b77785da716cf7ccff4ff4d00c4ea930db0167b7d71f50af7eb4",
    "3f370c9dd8225c63b5c77de1f785edc9712958f18bb612d5fa2e0ae33aeca682",
    "e4a5542bb7fd7b67e943c71ad29c34b5972c9840597e7eda53e666f44d5da0b9",
    "a19f89ab3555eac10c40741f6df79ecf0935998f15569f8db9d67bce0181fff6",
    "0b476bdf9acf2123d547b5ae76f1e59884d8ec9553ee0c47e9f31fd4768f3f3c",
    "eb540d2b6ee2a0a47c5779bc8a0141784c6b753840d4c6f4e2428a6e86e9e0b1",
    "37f8f09bdf12c2f2eae4ead7273a62ddb0c23459cbf902892f282b57f7ed6619",
    "8731261cb72d86267a32a532ebd3df429e2144e5e4ced7e13568bc9e6c8fb1b1",
    "49f777db995e8260da7ca9ffdf0c08d66f0453e97ec967018baf2cdfe3b582d0",
    "27a9a42931dff7eb2f8434e20a9bce976ea364e7bee49187f19d5cfeca9c7045",
    "dc0fcf046c61640cbd1e8b999ada3262d722c2ca4bf42dceac999020ffdbb614",
    "4c98242dcadc8b29005c6b4aad526552d5ea1842149154c0694adeec75847583",
    "ea9bb1082cf95663f5faca23b8b15ef2aa0fce0a5c6df9c32dcb85b2e0a4513d",
    "3a8b61d0f636b007840c0d40ba12bcf48465dc054cdc1a68704a33521d84b665",
    "a6c814bc555ae62c7bd8b58ec07bf559c7ed3a009976a1e0acc9cef0d4473b41",
    // The two cleartext passwords of Microsoft's nuget.config reference.
    "dba72c00f41f4e4c435e2491a5e1ce0140c7b5a6a498dc4847396b5e6368970c",
    "a0702bc91d699f600970f4dc4992b13ede1a29d49fa0942dd4bed2b5e4b1016e",
];

/// Words that mark a value as a stand-in rather than a credential. AWS's
/// documented keys (`…EXAMPLE`, `…EXAMPLEKEY`) are caught by `example`.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "dummy",
    "sample",
    "your_",
    "your-",
    "_here",
    "-here",
    "xxxx",
    "****",
    "....",
    "${",
    "{{",
    "}}",
    "%(",
    "$(",
    "#{",
    // References to a secret store, not the secret: an AWS ARN (and the
    // tail of a Secrets Manager ARN, whose `:secret:` the assignment grammar
    // may split at), an Azure Key Vault reference.
    "arn:aws",
    ":secret:",
    "@microsoft.keyvault(",
];

/// Values that are common defaults in sample configuration (docker-compose
/// files, tutorials) rather than real passwords.
const DEFAULT_PASSWORDS: &[&str] = &[
    "password", "pass", "passwd", "postgres", "root", "admin", "secret", "user", "mysql", "test",
    "guest", "changeme", "default", "pwd",
];

/// One automaton for all placeholder words, built on first use: this runs
/// for every candidate, and dense files have many.
fn placeholder_words() -> &'static AhoCorasick {
    static WORDS: OnceLock<AhoCorasick> = OnceLock::new();
    WORDS.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_WORDS)
            .expect("placeholder words form a valid automaton")
    })
}

/// True for documented examples and obvious stand-ins.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    if value.first() == Some(&b'$') || value.first() == Some(&b'%') {
        return true;
    }
    if is_format_placeholder(value) || is_bracketed_name(value) || is_elided(value) {
        return true;
    }
    if placeholder_words().is_match(value) || is_angle_bracketed(value) {
        return true;
    }
    if DEFAULT_PASSWORDS
        .iter()
        .any(|word| value.eq_ignore_ascii_case(word.as_bytes()))
    {
        return true;
    }
    is_repetitive(value) || is_documented_example(value)
}

/// A `<…>` stand-in (`<your-token>`, `<%= ENV["KEY"] %>`): an opening
/// bracket with a closing one after it. A lone `<` or `>` is just one more
/// character of a random key (Freemius secret keys draw from all printable
/// ASCII).
fn is_angle_bracketed(value: &[u8]) -> bool {
    memchr::memchr(b'<', value)
        .is_some_and(|open| memchr::memchr(b'>', &value[open + 1..]).is_some())
}

/// A value that starts with a format placeholder (`{}`, `{0}`, `{password}`,
/// `{self.key:>8}`): Rust, Python and C# code building text, not a secret.
fn is_format_placeholder(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"{") else {
        return false;
    };
    let Some(close) = rest.iter().take(64).position(|&b| b == b'}') else {
        return false;
    };
    rest[..close]
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"_.:[]<>^+-#".contains(&b))
}

/// A value cut short for display (`ops_eyJzaWdu...`, `sk-…`): whatever it
/// was, this text is not the credential.
fn is_elided(value: &[u8]) -> bool {
    value.ends_with(b"...") || value.ends_with("\u{2026}".as_bytes())
}

/// A name in square brackets, the way documentation marks what to fill in
/// (`[PASSWORD]`, `[API_KEY]`): upper-case letters, digits, `_`, `-`, spaces.
fn is_bracketed_name(value: &[u8]) -> bool {
    let Some(inner) = value.strip_prefix(b"[").and_then(|v| v.strip_suffix(b"]")) else {
        return false;
    };
    inner.iter().any(u8::is_ascii_uppercase)
        && inner
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"_- ".contains(&b))
}

fn is_documented_example(value: &[u8]) -> bool {
    let digest = hex::encode(Sha256::digest(value));
    DOCUMENTED_EXAMPLE_SHA256.contains(&digest.as_str())
}

/// Few distinct characters (`aaaaaaaa`, `abababab`) or a counting run
/// (`12345678`, `abcdefgh`).
pub(crate) fn is_repetitive(value: &[u8]) -> bool {
    let mut seen = [false; 256];
    for &b in value {
        seen[usize::from(b)] = true;
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    if distinct <= 3 {
        return true;
    }
    let steps = value
        .windows(2)
        .filter(|w| w[1] == w[0].wrapping_add(1))
        .count();
    value.len() >= 4 && steps * 5 >= (value.len() - 1) * 4
}

/// Extra filters for context rules (`password = "…"`), whose values have no
/// issuer-defined shape: anything that is recognisably something else.
pub(crate) fn is_non_secret_value(value: &[u8]) -> bool {
    is_uuid(value) || is_hex_digest(value) || is_non_secret_unless_hash(value)
}

/// A full UUID or a hex string of a digest's length (32 to 128 digits):
/// an id or a hash beside a generic name, but the credential itself beside
/// a provider's name (`HEROKU_SECRET`, `SENTRY_TOKEN`), since many providers
/// issue their keys in exactly these shapes. Short hex (a git short id)
/// never counts.
pub(crate) fn is_full_hash_or_uuid(value: &[u8]) -> bool {
    is_uuid(value) || (value.len() >= 32 && is_hex_digest(value))
}

/// [`is_non_secret_value`] without its hash and UUID shapes, for values
/// assigned to a provider's name: those shapes then stay in only when
/// [`is_full_hash_or_uuid`] says so.
pub(crate) fn is_non_secret_provider_value(value: &[u8]) -> bool {
    !is_full_hash_or_uuid(value) && is_non_secret_value(value)
}

fn is_non_secret_unless_hash(value: &[u8]) -> bool {
    is_integrity_hash(value)
        || is_public_key_material(value)
        || is_reference(value)
        || is_word_like(value)
        || value.iter().all(u8::is_ascii_digit)
}

/// 8-4-4-4-12 hex groups.
pub(crate) fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Git object ids and message digests: hex only, of a digest's length.
fn is_hex_digest(value: &[u8]) -> bool {
    matches!(value.len(), 7..=12 | 32 | 40 | 56 | 64 | 96 | 128)
        && value.iter().all(u8::is_ascii_hexdigit)
}

/// Subresource-integrity values as lockfiles write them (`sha512-…`).
fn is_integrity_hash(value: &[u8]) -> bool {
    ["sha1-", "sha256-", "sha384-", "sha512-"]
        .iter()
        .any(|prefix| value.starts_with(prefix.as_bytes()))
}

/// SSH public keys (`ssh-rsa AAAAB3NzaC1…`) and their base64 blobs.
fn is_public_key_material(value: &[u8]) -> bool {
    [
        "ssh-rsa",
        "ssh-ed25519",
        "ecdsa-sha2-",
        "AAAAB3NzaC1",
        "AAAAC3NzaC1",
        "AAAAE2VjZHNh",
    ]
    .iter()
    .any(|prefix| value.starts_with(prefix.as_bytes()))
}

/// URLs, paths and code references (`os.environ`, `settings.SECRET_KEY`).
fn is_reference(value: &[u8]) -> bool {
    let starts = |p: &str| value.starts_with(p.as_bytes());
    starts("http://")
        || starts("https://")
        || starts("/")
        || starts("./")
        || starts("../")
        || starts("file:")
}

/// Identifiers and dotted names built from words: letters with `_ . - /`
/// separators and no digits, at modest entropy. Random letter-only secrets
/// have higher entropy and stay in.
fn is_word_like(value: &[u8]) -> bool {
    value
        .iter()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-' | b'/'))
        && shannon_entropy(value) < 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for value in [
            "changeme",
            "<your-token>",
            "sk_live_<secret-key>",
            "<%= ENV['TOKEN'] %>",
            "${GITHUB_TOKEN}",
            "{{ secret }}",
            "xxxxxxxxxxxx",
            "$API_KEY",
            "%(password)s",
            "{password}",
            "{}notreal",
            "{unquoted_code}",
            "{0:>12}",
            "[PASSWORD]",
            "[API_KEY]",
            "aHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20...",
            "q7Lw2vRt9XkP\u{2026}",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
            "eu-west-1:123456789012:secret:db",
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)",
            "your_api_key_here",
            "REDACTED-VALUE",
            "aaaaaaaaaa",
            "12345678",
            "abcdefghij",
            "postgres",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value}");
        }
        for value in [
            "Zq8#vL2!pR5w",
            "k3J9x2mQ7vB1",
            "k3J<9x2mQ7vB1",
            "Zq8>vL2<pR5w",
        ] {
            assert!(!is_placeholder(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn firebase_sdk_fixture_keys_are_documented_examples() {
        // Assembled here so this file holds no key-shaped text.
        for rest in [
            "SyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
            "SyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
            "yDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
        ] {
            let key = format!("AIza{rest}");
            assert!(is_placeholder(key.as_bytes()), "{rest}");
        }
        // One character off is an ordinary key again.
        let other = format!("AIza{}", "SyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIt");
        assert!(!is_placeholder(other.as_bytes()));
    }

    #[test]
    fn non_secret_values() {
        for value in [
            "123e4567-e89b-12d3-a456-426614174000",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            "ssh-ed25519",
            "settings.SECRET_KEY",
            "https://example.org/token",
            "1234567890123",
        ] {
            assert!(is_non_secret_value(value.as_bytes()), "{value}");
        }
        for value in ["k3J9x2mQ7vB1", "Tr0ub4dor&3x"] {
            assert!(!is_non_secret_value(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn provider_named_values_keep_full_hashes_and_uuids_only() {
        // Kept beside a provider's name: a UUID and digest-length hex.
        for value in [
            "123e4567-e89b-12d3-a456-426614174000",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "9f86d081884c7d659a2feaa0c55ad015",
        ] {
            assert!(is_non_secret_value(value.as_bytes()), "{value}");
            assert!(!is_non_secret_provider_value(value.as_bytes()), "{value}");
        }
        // Still dropped: a short git id, digits, references, integrity hashes.
        for value in [
            "da39a3e",
            "1234567890123",
            "https://example.org/token",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
        ] {
            assert!(is_non_secret_provider_value(value.as_bytes()), "{value}");
        }
    }
}
