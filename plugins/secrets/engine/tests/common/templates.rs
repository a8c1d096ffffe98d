//! Rule example templates: `{{generator}}` / `{{generator:argument}}`
//! expansion and the `«…»` secret markers (see `rules/README.md`). Shared
//! by the rule-example tests and the per-family benchmark set
//! (`examples/family_set.rs`), so both read the examples the same way.

#![allow(dead_code)] // Each includer uses a different subset.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::fake_tokens::{self, Rng};

pub const SECRET_START: char = '«';
pub const SECRET_END: char = '»';

/// An example with its templates expanded: the text to scan and where the
/// secret is (for true positives).
pub struct Expanded {
    pub text: String,
    pub secret: Option<std::ops::Range<usize>>,
}

/// Expands `{{generator}}` / `{{generator:argument}}` and removes the
/// `«…»` markers, recording the byte range between them.
pub fn expand(template: &str, rng: &mut Rng) -> Result<Expanded, String> {
    let mut text = String::new();
    let mut start = None;
    let mut secret = None;
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in {template:?}"))?;
            text.push_str(&generate(&after[..close], rng)?);
            rest = &after[close + 2..];
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        match c {
            SECRET_START if start.is_none() && secret.is_none() => start = Some(text.len()),
            SECRET_END if start.is_some() => secret = start.take().map(|s| s..text.len()),
            SECRET_START | SECRET_END => return Err(format!("unbalanced «» in {template:?}")),
            c => text.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    if start.is_some() {
        return Err(format!("unclosed « in {template:?}"));
    }
    Ok(Expanded { text, secret })
}

/// One template generator. Character classes take a length; the others
/// build values whose checksum or structure the rule verifies.
fn generate(spec: &str, rng: &mut Rng) -> Result<String, String> {
    let (name, argument) = spec.split_once(':').unwrap_or((spec, ""));
    let length = || -> Result<usize, String> {
        argument
            .parse()
            .map_err(|_| format!("`{{{{{spec}}}}}` needs a length"))
    };
    let class: Option<&[u8]> = match name {
        "hex" => Some(fake_tokens::HEX),
        "HEX" => Some(b"0123456789ABCDEF"),
        "digits" => Some(fake_tokens::DIGITS),
        "base62" => Some(fake_tokens::BASE62),
        "letters" => Some(fake_tokens::LETTERS),
        "lower" => Some(b"abcdefghijklmnopqrstuvwxyz"),
        "lowernum" => Some(b"abcdefghijklmnopqrstuvwxyz0123456789"),
        "uppernum" => Some(fake_tokens::UPPER_ALNUM),
        "base32" => Some(fake_tokens::BASE32),
        "base32-lower" => Some(b"abcdefghijklmnopqrstuvwxyz234567"),
        "b64" => Some(fake_tokens::B64),
        "b64url" => Some(fake_tokens::B64URL),
        _ => None,
    };
    if let Some(alphabet) = class {
        return Ok(rng.string(alphabet, length()?));
    }
    Ok(match name {
        "base62-crc32" => fake_tokens::checksummed(rng, ""),
        "base62-crc32-bad" => fake_tokens::bad_checksum(&fake_tokens::checksummed(rng, "")),
        "packagist" => fake_tokens::packagist_token(rng, argument),
        "packagist-bad" => fake_tokens::bad_checksum(&fake_tokens::packagist_token(rng, argument)),
        "pypi" => fake_tokens::pypi_token(rng, argument),
        "jwt" => fake_tokens::jwt(rng, true),
        "jwt-no-alg" => fake_tokens::jwt(rng, false),
        "age" => fake_tokens::age_key(rng),
        "cloudflare-tunnel" => STANDARD.encode(format!(
            r#"{{"a":"{}","t":"{}-{}-4{}-a{}-{}","s":"{}"}}"#,
            rng.string(fake_tokens::HEX, 32),
            rng.string(fake_tokens::HEX, 8),
            rng.string(fake_tokens::HEX, 4),
            rng.string(fake_tokens::HEX, 3),
            rng.string(fake_tokens::HEX, 3),
            rng.string(fake_tokens::HEX, 12),
            STANDARD.encode(rng.bytes(32)),
        )),
        "basic-auth" => STANDARD.encode(format!(
            "{}:{}",
            rng.string(fake_tokens::LETTERS, 8),
            rng.string(fake_tokens::BASE62, 20)
        )),
        "discord-bot" => {
            // The bot's user id (a snowflake) in base64, a timestamp, an HMAC.
            let id = format!(
                "{}{}",
                1 + rng.below(9),
                rng.string(fake_tokens::DIGITS, 17)
            );
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(id),
                rng.string(fake_tokens::B64URL, 6),
                rng.string(fake_tokens::B64URL, 27)
            )
        }
        "age-bad" => {
            let mut key = fake_tokens::age_key(rng).into_bytes();
            let last = key.len() - 1;
            key[last] = if key[last] == b'Q' { b'P' } else { b'Q' };
            String::from_utf8(key).expect("ASCII")
        }
        "armour" => {
            let (label, body) = argument
                .rsplit_once(':')
                .ok_or_else(|| format!("`{{{{{spec}}}}}` needs a label and a body kind"))?;
            let body = match body {
                "der" => fake_tokens::der_body(rng, 600),
                "openssh" => fake_tokens::openssh_body(rng),
                "pgp" => fake_tokens::pgp_body(rng),
                other => return Err(format!("unknown armour body {other:?}")),
            };
            fake_tokens::armour(label, &body, 64).trim_end().to_string()
        }
        other => return Err(format!("unknown template generator {other:?}")),
    })
}
