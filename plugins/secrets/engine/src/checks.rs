//! Offline structural validation of candidates: checksums and decodable
//! payloads that random look-alikes almost never satisfy.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::catalogue::Check;

/// Outcome of a rule's check, reported as the `checksum` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckOutcome {
    /// The rule has no offline check.
    NotApplicable,
    Valid,
    Invalid,
}

pub(crate) fn run_check(check: Check, secret: &[u8]) -> CheckOutcome {
    let passed = match check {
        Check::None => return CheckOutcome::NotApplicable,
        Check::Base62Crc32 => base62_crc32_is_valid(secret),
        Check::PypiMacaroon => pypi_macaroon_is_valid(secret),
        Check::Jwt => jwt_is_valid(secret),
        Check::Bech32 => bech32_is_valid(secret),
        Check::Uuid => ends_with_uuid(secret),
        Check::DiscordBotToken => discord_bot_token_is_valid(secret),
        Check::CloudflareTunnelToken => cloudflare_tunnel_token_is_valid(secret),
        Check::BasicAuth => basic_auth_is_valid(secret),
        Check::PackagistCrc32 => packagist_crc32_is_valid(secret),
    };
    if passed {
        CheckOutcome::Valid
    } else {
        CheckOutcome::Invalid
    }
}

const BASE62_DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `value` as exactly six base62 digits, most significant first.
pub(crate) fn base62_six(mut value: u32) -> [u8; 6] {
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62_DIGITS[(value % 62) as usize];
        value /= 62;
    }
    digits
}

/// `<prefix>_<30 base62><6 base62 CRC32 of the 30>` as GitHub and npm
/// document for their token formats.
fn base62_crc32_is_valid(token: &[u8]) -> bool {
    let Some(underscore) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[underscore + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, checksum) = body.split_at(30);
    base62_six(crc32fast::hash(random)) == checksum
}

/// Private Packagist documents its token checksum: the CRC32 of the prefix
/// and the 60-hex random part, as 8 lower-case hex digits.
fn packagist_crc32_is_valid(token: &[u8]) -> bool {
    let Some(split) = token.len().checked_sub(8) else {
        return false;
    };
    let (signed, checksum) = token.split_at(split);
    format!("{:08x}", crc32fast::hash(signed)).as_bytes() == checksum
}

/// Base64url without padding, tolerant of trailing bits, as PyPI and JWTs
/// use it.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A PyPI token is `pypi-` + base64url(macaroon v2). The v2 binary format
/// starts with version byte 2, then an optional location field (type 1) and
/// the identifier field (type 2), each as type, varint length, bytes.
fn pypi_macaroon_is_valid(token: &[u8]) -> bool {
    let Some(encoded) = token.strip_prefix(b"pypi-") else {
        return false;
    };
    let Ok(macaroon) = URL_SAFE_LENIENT.decode(encoded) else {
        return false;
    };
    let mut fields = macaroon.as_slice();
    if fields.first() != Some(&2) {
        return false;
    }
    fields = &fields[1..];
    let Some((1, location, rest)) = read_field(fields) else {
        return false;
    };
    if location != b"pypi.org" && location != b"test.pypi.org" {
        return false;
    }
    matches!(read_field(rest), Some((2, identifier, _)) if !identifier.is_empty())
}

/// Reads one macaroon v2 field: type byte, unsigned LEB128 length, bytes.
fn read_field(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&field_type, mut rest) = bytes.split_first()?;
    let mut length: usize = 0;
    for shift in (0..).step_by(7).take(4) {
        let (&byte, tail) = rest.split_first()?;
        rest = tail;
        length |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (length <= rest.len()).then(|| (field_type, &rest[..length], &rest[length..]));
        }
    }
    None
}

fn jwt_is_valid(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let decode_object = |part: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        let json = URL_SAFE_LENIENT.decode(part).ok()?;
        match serde_json::from_slice(&json).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    matches!(decode_object(header), Some(h) if h.get("alg").is_some_and(|a| a.is_string()))
        && decode_object(payload).is_some()
}

/// Bech32 checksum (BIP-173). Hand-written: it is a dozen lines of the
/// published algorithm and only the verification half is needed.
fn bech32_is_valid(text: &[u8]) -> bool {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GENERATOR: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let lower = text.to_ascii_lowercase();
    let Some(separator) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = (&lower[..separator], &lower[separator + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = hrp.iter().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.iter().map(|b| b & 31));
    for byte in data {
        match CHARSET.iter().position(|c| c == byte) {
            Some(value) => values.push(value as u8),
            None => return false,
        }
    }
    let mut checksum: u32 = 1;
    for value in values {
        let top = checksum >> 25;
        checksum = ((checksum & 0x1ff_ffff) << 5) ^ u32::from(value);
        for (bit, generator) in GENERATOR.iter().enumerate() {
            if (top >> bit) & 1 == 1 {
                checksum ^= generator;
            }
        }
    }
    checksum == 1
}

/// True if `value` ends with a UUID whose version is 1 to 8 and whose
/// variant is the RFC one (`8`, `9`, `a` or `b`). Random hex in UUID shape
/// fails this three times in four.
fn ends_with_uuid(value: &[u8]) -> bool {
    let Some(uuid) = value.len().checked_sub(36).map(|start| &value[start..]) else {
        return false;
    };
    crate::decoys::is_uuid(uuid)
        && matches!(uuid[14], b'1'..=b'8')
        && matches!(uuid[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

/// True if `value` ends with a UUID whose 32 hex digits look generated:
/// letters and digits both present and no counting or repeating run
/// (`12345678-1234-…`, `01234567-89ab-cdef-…`, `aaaaaaaa-…`), the shapes of
/// hand-typed examples.
pub(crate) fn uuid_digits_look_random(value: &[u8]) -> bool {
    let Some(uuid) = value.len().checked_sub(36).map(|start| &value[start..]) else {
        return false;
    };
    if !crate::decoys::is_uuid(uuid) {
        return false;
    }
    let digits: Vec<u8> = uuid
        .iter()
        .filter(|&&b| b != b'-')
        .map(u8::to_ascii_lowercase)
        .collect();
    digits.iter().any(u8::is_ascii_digit)
        && digits.iter().any(u8::is_ascii_alphabetic)
        && !crate::decoys::is_repetitive(&digits)
}

/// The first part of a Discord bot token is the bot's user id (a snowflake
/// of 17 to 20 digits) in base64.
fn discord_bot_token_is_valid(token: &[u8]) -> bool {
    let Some(id) = token.split(|&b| b == b'.').next() else {
        return false;
    };
    match URL_SAFE_LENIENT.decode(id) {
        Ok(digits) => {
            (17..=20).contains(&digits.len())
                && digits.iter().all(u8::is_ascii_digit)
                && digits[0] != b'0'
        }
        Err(_) => false,
    }
}

/// Standard base64, padding optional: tunnel tokens and `auth` values are
/// written both ways.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn cloudflare_tunnel_token_is_valid(token: &[u8]) -> bool {
    let Ok(json) = STANDARD_LENIENT.decode(token) else {
        return false;
    };
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(&json) else {
        return false;
    };
    ["a", "t", "s"].iter().all(|key| {
        fields
            .get(*key)
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    })
}

/// `user:password`, both parts printable ASCII and the password non-empty.
fn basic_auth_is_valid(encoded: &[u8]) -> bool {
    let Ok(decoded) = STANDARD_LENIENT.decode(encoded) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && colon + 1 < decoded.len()
        && decoded.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
}

/// Decodes standard base64 ignoring whitespace and escaped newlines, for
/// private-key bodies.
pub(crate) fn decode_armoured_base64(body: &[u8]) -> Option<Vec<u8>> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    general_purpose::STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_digits_are_fixed_width() {
        assert_eq!(&base62_six(0), b"000000");
        assert_eq!(&base62_six(61), b"00000z");
        assert_eq!(&base62_six(62), b"000010");
        assert_eq!(&base62_six(u32::MAX), b"4gfFC3");
    }

    #[test]
    fn bech32_reference_vectors() {
        // Valid and invalid strings from BIP-173's test vectors.
        assert!(bech32_is_valid(b"A12UEL5L"));
        assert!(bech32_is_valid(
            b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"
        ));
        assert!(!bech32_is_valid(b"A12UEL5M"));
        assert!(!bech32_is_valid(
            b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx"
        ));
        assert!(!bech32_is_valid(b"nohrp"));
    }

    #[test]
    fn uuid_versions_and_variants() {
        assert!(ends_with_uuid(b"123e4567-e89b-42d3-a456-426614174000"));
        assert!(ends_with_uuid(b"key-123e4567-e89b-42d3-b456-426614174000"));
        assert!(!ends_with_uuid(b"123e4567-e89b-02d3-a456-426614174000"));
        assert!(!ends_with_uuid(b"123e4567-e89b-42d3-c456-426614174000"));
        assert!(!ends_with_uuid(b"123e4567e89b42d3a456426614174000"));
        assert!(!ends_with_uuid(b"short"));
    }

    #[test]
    fn packagist_checksums() {
        let random = "0123456789abcdef".repeat(4);
        let signed = format!("packagist_ort_{}", &random[..60]);
        let good = format!("{signed}{:08x}", crc32fast::hash(signed.as_bytes()));
        assert!(packagist_crc32_is_valid(good.as_bytes()));
        let mut bad = good.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert!(!packagist_crc32_is_valid(&bad));
        // The prefix is signed too: the same digits under another prefix fail.
        let swapped = good.replacen("_ort_", "_out_", 1);
        assert!(!packagist_crc32_is_valid(swapped.as_bytes()));
        assert!(!packagist_crc32_is_valid(b"short"));
    }

    #[test]
    fn uuid_digits_that_look_hand_typed() {
        assert!(uuid_digits_look_random(
            b"5b836465-1c2d-9e3f-7a1b-3c4d5e6f7a8b"
        ));
        assert!(uuid_digits_look_random(
            b"key-123e4567-e89b-02d3-c456-426614174000"
        ));
        assert!(!uuid_digits_look_random(
            b"12345678-1234-1234-1234-123456789012"
        ));
        assert!(!uuid_digits_look_random(
            b"01234567-89ab-cdef-0123-456789abcdef"
        ));
        assert!(!uuid_digits_look_random(
            b"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
        ));
        assert!(!uuid_digits_look_random(
            b"123e4567e89b42d3a456426614174000"
        ));
    }

    #[test]
    fn discord_bot_token_ids_are_digits() {
        // base64("123456789012345678") = MTIzNDU2Nzg5MDEyMzQ1Njc4
        assert!(discord_bot_token_is_valid(
            b"MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.x"
        ));
        // base64("12345678901234567a"): not all digits.
        assert!(!discord_bot_token_is_valid(
            b"MTIzNDU2Nzg5MDEyMzQ1Njdh.abcdef.x"
        ));
        assert!(!discord_bot_token_is_valid(b"MTIz.abcdef.x"));
    }

    #[test]
    fn tunnel_tokens_and_basic_auth_decode() {
        let encode = |text: &str| general_purpose::STANDARD.encode(text);
        let tunnel = encode(r#"{"a":"0123abcd","t":"6f1e-uuid","s":"c2VjcmV0"}"#);
        assert!(cloudflare_tunnel_token_is_valid(tunnel.as_bytes()));
        let no_secret = encode(r#"{"a":"0123abcd","t":"6f1e-uuid"}"#);
        assert!(!cloudflare_tunnel_token_is_valid(no_secret.as_bytes()));
        assert!(!cloudflare_tunnel_token_is_valid(b"eyJhIjoi!!"));
        assert!(basic_auth_is_valid(encode("deploy:s3cr3t").as_bytes()));
        assert!(!basic_auth_is_valid(encode("no-colon").as_bytes()));
        assert!(!basic_auth_is_valid(encode("user:").as_bytes()));
        assert!(!basic_auth_is_valid(encode("u:\u{1}x").as_bytes()));
    }

    #[test]
    fn macaroon_fields_are_bounds_checked() {
        assert_eq!(read_field(&[1, 3, b'a', b'b']), None);
        assert_eq!(
            read_field(&[1, 2, b'a', b'b']),
            Some((1, &b"ab"[..], &b""[..]))
        );
        assert_eq!(read_field(&[1, 0x80, 0x80, 0x80, 0x80, 0]), None);
    }
}
