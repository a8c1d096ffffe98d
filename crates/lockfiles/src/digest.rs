//! Checksum notations found in lockfiles.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Checksum, HashAlg};

/// `sha256:<hex>` (pip `--hash`, poetry, uv, Pipfile.lock).
pub fn from_prefixed_hex(value: &str) -> Option<Checksum> {
    let (alg, hex) = value.split_once([':', '='])?;
    let alg = alg_named(alg)?;
    let well_formed = hex.len() == hex_len(&alg) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| Checksum {
        alg,
        hex: hex.to_ascii_lowercase(),
    })
}

/// One Subresource-Integrity token, `sha512-<base64>` (npm `integrity`).
pub fn from_sri(token: &str) -> Option<Checksum> {
    let (alg, encoded) = token.split_once('-')?;
    let alg = alg_named(alg)?;
    from_base64(alg, encoded)
}

/// A base64 digest of a known algorithm, checked for the right length.
pub fn from_base64(alg: HashAlg, encoded: &str) -> Option<Checksum> {
    let digest = STANDARD.decode(encoded.trim()).ok()?;
    (digest.len() * 2 == hex_len(&alg)).then(|| Checksum {
        alg,
        hex: digest.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

fn alg_named(name: &str) -> Option<HashAlg> {
    match name.to_ascii_lowercase().as_str() {
        "sha1" => Some(HashAlg::Sha1),
        "sha256" => Some(HashAlg::Sha256),
        "sha384" => Some(HashAlg::Sha384),
        "sha512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn hex_len(alg: &HashAlg) -> usize {
    match alg {
        HashAlg::Sha1 => 40,
        HashAlg::Sha256 => 64,
        HashAlg::Sha384 => 96,
        HashAlg::Sha512 => 128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_sha512() {
        let sum = from_sri("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==").unwrap();
        assert_eq!(sum.alg, HashAlg::Sha512);
        assert_eq!(&sum.hex[..8], "cf83e135");
    }

    #[test]
    fn prefixed_hex_checks_length_and_digits() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            from_prefixed_hex(&format!("sha256:{hex}")).unwrap().hex,
            hex
        );
        assert!(from_prefixed_hex("sha256:abc").is_none());
        assert!(from_prefixed_hex(&format!("md5:{hex}")).is_none());
        assert!(from_sri("sha512-???").is_none());
    }
}
