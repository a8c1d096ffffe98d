//! The built-in rule catalogue. The rules themselves are data, in
//! `rules/*.toml`; `build.rs` turns them into [`BUILTIN_RULES`], so nothing
//! is parsed at run time. `tests/rule_examples.rs` runs every rule's
//! examples.
//!
//! Each rule names the structure its issuer documents; regexes are written
//! for this catalogue. Keywords are literal strings that occur in (or right
//! next to) every match: the prefilter looks for them and the regex only
//! runs in a window around each occurrence.
//!
//! Regexes run over bytes with Unicode off, so `\w`, `\d`, `\s` and `\b` are
//! ASCII. A group named `secret` marks the secret; without it the whole match
//! is the secret.

use crate::{RuleDescriptor, Severity};

/// How a rule locates candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matcher {
    /// A regex run around keyword occurrences.
    Regex(&'static str),
    /// A PEM / OpenSSH / PGP armoured private-key block, parsed by hand
    /// because its body spans many lines and up to several kilobytes.
    PrivateKeyBlock,
}

/// Offline validation a candidate must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    None,
    /// GitHub / npm style: 30 base62 characters followed by the CRC32 of
    /// those characters in 6 base62 digits.
    Base62Crc32,
    /// PyPI API token: a base64url macaroon whose location is `pypi.org`
    /// (or `test.pypi.org`).
    PypiMacaroon,
    /// JSON Web Token whose header and payload decode to JSON objects and
    /// whose header names an `alg`.
    Jwt,
    /// age secret key: Bech32 checksum over the `age-secret-key-` prefix.
    Bech32,
    /// The secret is, or ends with, an RFC 9562 UUID: hex groups 8-4-4-4-12
    /// with a version digit of 1 to 8 and the `10xx` variant bits, as the
    /// providers that issue UUID keys generate them.
    Uuid,
    /// Discord bot token: its first part is the bot's numeric user id in
    /// base64.
    DiscordBotToken,
    /// Cloudflare Tunnel token: base64 of a JSON object holding the account
    /// tag `a`, the tunnel id `t` and the tunnel secret `s`.
    CloudflareTunnelToken,
    /// HTTP Basic credentials: base64 of printable `user:password`.
    BasicAuth,
    /// Private Packagist: prefix, 60 hex and 8 hex digits of the CRC32 of
    /// the prefix and the random part (lower case, zero-padded).
    PackagistCrc32,
}

/// One built-in rule.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinRule {
    /// Stable id, `secrets/<name>`.
    pub id: &'static str,
    /// Short, human title (SARIF short description).
    pub title: &'static str,
    /// The documented structure the rule looks for.
    pub structure: &'static str,
    /// Who issues the credential; used in the remediation text.
    pub issuer: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    /// Keywords match regardless of ASCII case (context words such as
    /// `password`); otherwise they must match exactly.
    pub keywords_ignore_case: bool,
    pub matcher: Matcher,
    /// Minimum Shannon entropy of the secret, bits per character.
    pub min_entropy: f64,
    pub check: Check,
    /// Found by context rather than shape: yields to any rule without this
    /// flag that matched overlapping bytes.
    pub yields: bool,
    /// How many bytes before a keyword a match may start. Small for
    /// keywords that start the match (room for the boundary character the
    /// regex looks at); larger where the keyword sits inside the match.
    /// Regexes only run in these windows, so this is much of the cost.
    pub context_before: usize,
    /// A generic assignment rule: the scanner matches it with the
    /// assignment grammar (`assignment.rs`), so its regex only documents
    /// the core form. Its values also go through the hash/UUID/identifier
    /// decoy filters and the configurable `generic-min-entropy` replaces
    /// `min_entropy`.
    pub generic: bool,
    /// Ids of rules whose findings on overlapping bytes this rule replaces:
    /// a more specific reading of the same value (a Firebase client key is
    /// also a Google API key, but one meant to be public).
    pub overrides: &'static [&'static str],
    /// Replaces the issuer's default remediation text.
    pub remediation: Option<&'static str>,
}

impl BuiltinRule {
    /// The rule as the stage lists it.
    pub fn descriptor(&self) -> RuleDescriptor {
        RuleDescriptor {
            id: self.id.to_string(),
            short_description: self.title.to_string(),
            full_description: format!("{}: {}.", self.title, self.structure),
            help: self
                .remediation
                .map_or_else(|| remediation(self.issuer), str::to_string),
            default_severity: self.severity,
        }
    }
}

/// Remediation text shared by all rules of one issuer.
pub(crate) fn remediation(issuer: &str) -> String {
    format!(
        "Revoke or rotate this {issuer} credential first: once committed it must be treated \
         as exposed. Then remove it from the file (and from git history if it was pushed) and \
         load it from a secret store or the environment. If the value is not a secret, add a \
         `cordon:allow` comment on its line or an `allow-values` pattern."
    )
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_has_forty_or_more_unique_ids() {
        let ids: HashSet<_> = BUILTIN_RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), BUILTIN_RULES.len(), "duplicate rule id");
        assert!(
            BUILTIN_RULES.len() >= 40,
            "only {} rules",
            BUILTIN_RULES.len()
        );
        for rule in BUILTIN_RULES {
            assert!(rule.id.starts_with("secrets/"), "{}", rule.id);
            assert!(!rule.keywords.is_empty(), "{} has no keyword", rule.id);
            assert!(rule.keywords.iter().all(|k| k.len() >= 2), "{}", rule.id);
        }
    }
}
