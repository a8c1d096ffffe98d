//! Locating armoured private-key blocks (PEM, OpenSSH, PGP).
//!
//! Parsed by hand rather than with a regex: the body spans many lines and
//! several kilobytes, may sit inside a JSON string with `\n` escapes, and is
//! validated by decoding it, which a regex cannot do.

use std::ops::Range;

use crate::checks::decode_armoured_base64;

/// The longest block considered (a 16384-bit RSA key is about 12 KiB).
const MAX_BLOCK_BYTES: usize = 16 * 1024;
/// Bodies shorter than this are placeholders (`MIIE...`), not keys.
const MIN_BODY_CHARS: usize = 64;

/// A validated private-key block.
pub(crate) struct PrivateKeyBlock {
    /// From the `-` of `-----BEGIN` to the end of the `-----END …-----` line.
    pub span: Range<usize>,
    /// The body's base64 characters without whitespace: the secret, stable
    /// under re-wrapping.
    pub body: Vec<u8>,
    /// The key is encrypted with a passphrase.
    pub encrypted: bool,
}

/// Parses the block that starts at `begin` (the first byte of
/// `-----BEGIN `). `None` if it is not a complete, decodable private key.
pub(crate) fn parse_block(buffer: &[u8], begin: usize) -> Option<PrivateKeyBlock> {
    let after_begin = buffer.get(begin..)?.strip_prefix(b"-----BEGIN ")?;
    let label_len = memchr::memmem::find(&after_begin[..after_begin.len().min(64)], b"-----")?;
    let label = &after_begin[..label_len];
    if !(label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK")) {
        return None;
    }
    let body_start = begin + b"-----BEGIN ".len() + label_len + 5;
    let search_end = buffer.len().min(body_start + MAX_BLOCK_BYTES);
    let mut end_marker = b"-----END ".to_vec();
    end_marker.extend_from_slice(label);
    end_marker.extend_from_slice(b"-----");
    let body_len = memchr::memmem::find(&buffer[body_start..search_end], &end_marker)?;
    let raw_body = &buffer[body_start..body_start + body_len];

    let (body, has_encryption_header) = armoured_body(raw_body, label.starts_with(b"PGP"))?;
    if body.len() < MIN_BODY_CHARS {
        return None;
    }
    let decoded = decode_armoured_base64(&body)?;
    let encrypted = has_encryption_header || label.starts_with(b"ENCRYPTED");
    let structure_ok = match label {
        b"OPENSSH PRIVATE KEY" => decoded.starts_with(b"openssh-key-v1\0"),
        // OpenPGP packets always have the high bit of their tag byte set.
        b"PGP PRIVATE KEY BLOCK" => decoded.first().is_some_and(|b| b & 0x80 != 0),
        // Legacy encrypted PEM bodies are ciphertext; nothing to check.
        _ if has_encryption_header => true,
        // PKCS#1, PKCS#8 and SEC1 keys are DER SEQUENCEs.
        _ => decoded.first() == Some(&0x30),
    };
    structure_ok.then(|| PrivateKeyBlock {
        span: begin..body_start + body_len + end_marker.len(),
        body,
        encrypted,
    })
}

/// Collects the base64 characters of an armoured body. Lines may be split
/// by real newlines or by `\n` escapes (keys pasted into JSON or code), and
/// may carry quotes or `+` from string concatenation. Header lines
/// (`Proc-Type: …`, `Version: …`) are skipped; for PGP so is the `=XXXX`
/// CRC line. Any other character means this is not a key body.
fn armoured_body(raw: &[u8], pgp: bool) -> Option<(Vec<u8>, bool)> {
    let mut body = Vec::with_capacity(raw.len());
    let mut encrypted = false;
    let unescaped = replace_newline_escapes(raw);
    for line in unescaped.split(|&b| b == b'\n') {
        let line = trim_line(line);
        if line.is_empty() {
            continue;
        }
        if line.contains(&b':') {
            encrypted |= memchr::memmem::find(line, b"ENCRYPTED").is_some();
            continue;
        }
        if pgp && line.first() == Some(&b'=') {
            continue;
        }
        if !line
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return None;
        }
        body.extend_from_slice(line);
    }
    Some((body, encrypted))
}

fn replace_newline_escapes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && matches!(raw.get(i + 1), Some(b'n' | b'r')) {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// A line inside a string literal (`"MIIE…" +`) keeps what is between its
/// outermost quotes; otherwise surrounding whitespace and a shell line
/// continuation are dropped. `+` is a base64 character, so it is only
/// dropped when it is all that is left (an operator beside a lone quote).
fn trim_line(line: &[u8]) -> &[u8] {
    let is_quote = |b: &u8| matches!(b, b'"' | b'\'');
    let line = match (
        line.iter().position(is_quote),
        line.iter().rposition(is_quote),
    ) {
        (Some(first), Some(last)) if first < last => &line[first + 1..last],
        (Some(first), Some(_)) if line[..first].iter().all(u8::is_ascii_whitespace) => {
            &line[first + 1..]
        }
        (Some(quote), Some(_)) => &line[..quote],
        _ => line,
    };
    let junk = |b: &u8| b.is_ascii_whitespace() || *b == b'\\';
    let start = line.iter().position(|b| !junk(b)).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !junk(b)).map_or(start, |i| i + 1);
    let line = &line[start..end];
    // What is left beside a lone quote may be only a concatenation operator.
    if line.iter().all(|b| matches!(b, b'+' | b',' | b';')) {
        return &[];
    }
    line
}
