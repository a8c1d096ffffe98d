//! Plugin signatures: ed25519 over the component's sha256, detached.
//!
//! The signed message is `cordon-plugin-signature-v1:` followed by the
//! component's sha256 in lowercase hex, so a signature can only ever vouch
//! for one exact component, and never for a different kind of object.
//! Keys and signatures are stored as lowercase hex text (64 hex characters
//! for a key, 128 for a signature); a signature sits beside its plugin as
//! `PLUGIN.sig` unless the pipeline names another file.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

const CONTEXT: &str = "cordon-plugin-signature-v1:";

fn message(sha256: &str) -> Vec<u8> {
    format!("{CONTEXT}{}", sha256.to_ascii_lowercase()).into_bytes()
}

fn decode_hex<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes =
        hex::decode(text.trim()).map_err(|_| format!("the {what} is not hexadecimal text"))?;
    bytes
        .try_into()
        .map_err(|_| format!("the {what} must be {} hexadecimal characters", N * 2))
}

pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = decode_hex::<32>(text, "ed25519 public key")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid ed25519 public key".into())
}

pub fn parse_secret_key(text: &str) -> Result<SigningKey, String> {
    Ok(SigningKey::from_bytes(&decode_hex::<32>(
        text,
        "ed25519 secret key",
    )?))
}

/// A new key pair as (secret hex, public hex).
pub fn generate() -> Result<(String, String), String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    Ok((
        hex::encode(key.to_bytes()),
        hex::encode(key.verifying_key().to_bytes()),
    ))
}

pub fn sign(secret: &SigningKey, sha256: &str) -> String {
    hex::encode(secret.sign(&message(sha256)).to_bytes())
}

/// Where a plugin's detached signature is looked for by default.
pub fn default_signature_path(plugin: &Path) -> PathBuf {
    let mut name = plugin.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Which of `trusted` (hex public keys) signed `sha256`, or why none did.
pub fn verify(signature: &str, sha256: &str, trusted: &[String]) -> Result<String, String> {
    let signature = Signature::from_bytes(&decode_hex::<64>(signature, "signature")?);
    for key_text in trusted {
        let key = parse_public_key(key_text)?;
        if key.verify(&message(sha256), &signature).is_ok() {
            return Ok(hex::encode(key.to_bytes()));
        }
    }
    Err("the signature is not valid for this plugin under any trusted key".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_digest_and_key() {
        let (secret, public) = generate().unwrap();
        let (_, other_public) = generate().unwrap();
        let key = parse_secret_key(&secret).unwrap();
        let digest = "ab".repeat(32);
        let signature = sign(&key, &digest);
        assert_eq!(
            verify(&signature, &digest, &[other_public.clone(), public.clone()]).unwrap(),
            public
        );
        assert!(verify(&signature, &"cd".repeat(32), std::slice::from_ref(&public)).is_err());
        assert!(verify(&signature, &digest, &[other_public]).is_err());
        assert!(verify("zz", &digest, &[public]).is_err());
    }
}
