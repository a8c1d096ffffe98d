//! Decoders for secrets hidden one or two encodings deep.
//!
//! Encoded text has no keywords of its own, so the prefilter also looks for
//! the *encoded forms* of every rule keyword (its base64 at each of the
//! three byte alignments, its hex, its percent-encoding) and for generic
//! escape markers. On such a trigger the surrounding encoded run is decoded
//! and scanned again; anything found there is reported at the run.

use std::ops::Range;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

/// The most encoded text examined on either side of a trigger, so that a
/// huge base64 blob costs a bounded amount per trigger.
const MAX_RUN_SIDE: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Encoding {
    Base64,
    Hex,
    Percent,
    UnicodeEscape,
}

impl Encoding {
    pub(crate) const ALL: [Encoding; 4] = [
        Encoding::Base64,
        Encoding::Hex,
        Encoding::Percent,
        Encoding::UnicodeEscape,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent",
            Encoding::UnicodeEscape => "unicode-escape",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    fn in_run(self, byte: u8) -> bool {
        match self {
            Encoding::Base64 => {
                byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'-' | b'_')
            }
            Encoding::Hex => byte.is_ascii_hexdigit(),
            // Escaped text runs until whitespace or a string delimiter.
            Encoding::Percent | Encoding::UnicodeEscape => {
                !(byte.is_ascii_whitespace() || matches!(byte, b'"' | b'\'' | b'`' | b'<' | b'>'))
            }
        }
    }
}

/// A literal that hints at encoded content.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Trigger {
    pub literal: Vec<u8>,
    pub encoding: Encoding,
    /// Base64: position of the literal's first character within its 4-char
    /// group. Hex: 0. Unused otherwise.
    pub phase: usize,
}

/// Triggers for text that only escape sequences reveal.
pub(crate) fn generic_triggers() -> Vec<Trigger> {
    let percent = ["%2F", "%3A", "%3D", "%2B", "%40", "%20", "%5F", "%2D"];
    percent
        .iter()
        .map(|literal| Trigger {
            literal: literal.as_bytes().to_vec(),
            encoding: Encoding::Percent,
            phase: 0,
        })
        .chain(std::iter::once(Trigger {
            literal: b"\\u00".to_vec(),
            encoding: Encoding::UnicodeEscape,
            phase: 0,
        }))
        .collect()
}

/// Bytes that follow a keyword inside a token.
const TOKEN_BYTES: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";

/// Standard base64 of `lead` zero bytes, `keyword` and optionally one more
/// byte.
fn base64_chars(lead: usize, keyword: &[u8], next: Option<u8>) -> Vec<u8> {
    let mut padded = vec![0u8; lead];
    padded.extend_from_slice(keyword);
    padded.extend(next);
    base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(&padded)
        .into_bytes()
}

/// Encoded triggers keep only the encoding of a keyword's first bytes:
/// that is distinctive enough to point at a run worth decoding (the keyword
/// itself is then matched in the decoded text), and every further character
/// adds a state per trigger to the prefilter's automaton, which is built on
/// every sandboxed run.
const MAX_BASE64_TRIGGER: usize = 8;
const MAX_HEX_TRIGGER_BYTES: usize = 6;
const MAX_PERCENT_TRIGGER_BYTES: usize = 4;

/// Encoded forms of one keyword. Base64 literals are at least 4 characters;
/// 2-byte keywords get none.
pub(crate) fn keyword_triggers(keyword: &[u8]) -> Vec<Trigger> {
    let mut triggers = Vec::new();
    for lead in 0..3usize {
        // Characters 6j..6j+6 bits are fixed by the keyword alone only when
        // they lie entirely inside its bits.
        let first = (8 * lead).div_ceil(6);
        let last = 8 * (lead + keyword.len()) / 6;
        let literals: Vec<Vec<u8>> = if last >= first + 4 {
            let last = last.min(first + MAX_BASE64_TRIGGER);
            vec![base64_chars(lead, keyword, None)[first..last].to_vec()]
        } else if last + 1 >= first + 4 {
            // Too short (3-byte keywords such as `hf_` at two of the three
            // alignments): add the next character, which also depends on
            // the top bits of the byte after the keyword. Token bytes are
            // `[0-9A-Za-z_-]`, whose top bits take only a few values.
            let mut variants: Vec<Vec<u8>> = TOKEN_BYTES
                .iter()
                .map(|&next| base64_chars(lead, keyword, Some(next))[first..=last].to_vec())
                .collect();
            variants.sort();
            variants.dedup();
            variants
        } else {
            Vec::new()
        };
        for literal in literals {
            let url_safe: Vec<u8> = literal
                .iter()
                .map(|&b| match b {
                    b'+' => b'-',
                    b'/' => b'_',
                    other => other,
                })
                .collect();
            if url_safe != literal {
                triggers.push(Trigger {
                    literal: url_safe,
                    encoding: Encoding::Base64,
                    phase: first % 4,
                });
            }
            triggers.push(Trigger {
                literal,
                encoding: Encoding::Base64,
                phase: first % 4,
            });
        }
    }
    if keyword.len() >= 3 {
        triggers.push(Trigger {
            literal: hex::encode(&keyword[..keyword.len().min(MAX_HEX_TRIGGER_BYTES)]).into_bytes(),
            encoding: Encoding::Hex,
            phase: 0,
        });
        let percent: String = keyword
            .iter()
            .take(MAX_PERCENT_TRIGGER_BYTES)
            .map(|b| format!("%{b:02X}"))
            .collect();
        triggers.push(Trigger {
            literal: percent.into_bytes(),
            encoding: Encoding::Percent,
            phase: 0,
        });
    }
    triggers
}

/// An encoded run and what it decodes to.
pub(crate) struct DecodedRun {
    pub span: Range<usize>,
    /// `None` when the run does not decode (or decodes to itself).
    pub bytes: Option<Vec<u8>>,
}

/// Finds the run of `encoding` around `hit` and decodes it. The span is
/// returned even when decoding fails, so the caller can skip later triggers
/// inside the same run instead of re-examining it.
pub(crate) fn decode_around(buffer: &[u8], hit: Range<usize>, trigger: &Trigger) -> DecodedRun {
    let encoding = trigger.encoding;
    let floor = hit.start.saturating_sub(MAX_RUN_SIDE);
    let mut start = hit.start;
    while start > floor && encoding.in_run(buffer[start - 1]) {
        start -= 1;
    }
    let ceiling = buffer.len().min(hit.end + MAX_RUN_SIDE);
    let mut end = hit.end;
    while end < ceiling && encoding.in_run(buffer[end]) {
        end += 1;
    }
    let bytes = match encoding {
        Encoding::Base64 => {
            // Start on a group boundary consistent with the trigger's phase.
            let group_start = (hit.start + 4 - trigger.phase % 4) % 4;
            start += (group_start + 4 - start % 4) % 4;
            decode_base64(&buffer[start..end])
        }
        Encoding::Hex => {
            start += (hit.start - start) % 2;
            let usable = (end - start) / 2 * 2;
            end = start + usable;
            hex::decode(&buffer[start..end]).ok()
        }
        Encoding::Percent => Some(percent_encoding::percent_decode(&buffer[start..end]).collect()),
        Encoding::UnicodeEscape => Some(decode_unicode_escapes(&buffer[start..end])),
    };
    let span = start..end;
    let bytes = bytes.filter(|decoded| decoded.as_slice() != &buffer[span.clone()]);
    DecodedRun { span, bytes }
}

/// Accepts both the standard and the URL-safe alphabet, with or without
/// padding.
fn decode_base64(run: &[u8]) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut normalised: Vec<u8> = run
        .iter()
        .map(|&b| match b {
            b'-' => b'+',
            b'_' => b'/',
            other => other,
        })
        .collect();
    if normalised.len() % 4 == 1 {
        normalised.pop();
    }
    LENIENT.decode(normalised).ok()
}

/// Decodes `\uXXXX` (with surrogate pairs) and `\/`; other bytes pass
/// through. Invalid escapes are kept as they are.
fn decode_unicode_escapes(run: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.len());
    let mut i = 0;
    while i < run.len() {
        if run[i] == b'\\' {
            if run.get(i + 1) == Some(&b'/') {
                out.push(b'/');
                i += 2;
                continue;
            }
            if let Some(unit) = hex_unit(run, i) {
                let (scalar, used) = match (unit, hex_unit(run, i + 6)) {
                    (0xD800..=0xDBFF, Some(low @ 0xDC00..=0xDFFF)) => {
                        (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), 12)
                    }
                    _ => (unit, 6),
                };
                if let Some(c) = char::from_u32(scalar) {
                    let mut utf8 = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                    i += used;
                    continue;
                }
            }
        }
        out.push(run[i]);
        i += 1;
    }
    out
}

/// The code unit of a `\uXXXX` escape starting at `at`.
fn hex_unit(run: &[u8], at: usize) -> Option<u32> {
    let escape = run.get(at..at + 6)?;
    if &escape[..2] != b"\\u" {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(&escape[2..]).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_and_decode(text: &[u8], trigger: &Trigger) -> Option<(Range<usize>, Vec<u8>)> {
        let literal = trigger.literal.to_ascii_lowercase();
        let lower = text.to_ascii_lowercase();
        let at = memchr::memmem::find(&lower, &literal)?;
        let run = decode_around(text, at..at + literal.len(), trigger);
        run.bytes.map(|bytes| (run.span, bytes))
    }

    #[test]
    fn base64_triggers_find_the_keyword_at_every_alignment() {
        let keyword = b"marker_word";
        let triggers = keyword_triggers(keyword);
        for lead in ["", "a", "ab", "abc"] {
            let plain = format!("{lead}marker_word and more");
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE,
            ] {
                let text = format!("x = \"{}\";", engine.encode(&plain));
                let decoded = triggers
                    .iter()
                    .filter(|t| t.encoding == Encoding::Base64)
                    .find_map(|t| find_and_decode(text.as_bytes(), t))
                    .expect("a trigger matches");
                assert!(
                    memchr::memmem::find(&decoded.1, keyword).is_some(),
                    "lead {lead:?}: {:?}",
                    String::from_utf8_lossy(&decoded.1)
                );
                assert_eq!(
                    &text.as_bytes()[decoded.0.start - 1..decoded.0.start],
                    b"\""
                );
            }
        }
    }

    #[test]
    fn hex_percent_and_unicode_escapes() {
        let keyword = b"marker_word";
        let triggers = keyword_triggers(keyword);
        let hex_text = format!("0{}", hex::encode(b" marker_word!"));
        let hex = triggers
            .iter()
            .find(|t| t.encoding == Encoding::Hex)
            .unwrap();
        let (_, decoded) = find_and_decode(hex_text.as_bytes(), hex).unwrap();
        assert!(memchr::memmem::find(&decoded, keyword).is_some());

        let percent = &generic_triggers()[0];
        let (span, decoded) = find_and_decode(b"url=\"a%2Fmarker%3Dword\"", percent).unwrap();
        assert_eq!(decoded, b"a/marker=word".to_vec());
        assert_eq!(span, 5..22);

        let escape = generic_triggers().pop().unwrap();
        let (_, decoded) =
            find_and_decode(br#"s: "\u006d\u0061rk\ud83d\ude00\/""#, &escape).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "mark\u{1F600}/");
    }

    #[test]
    fn short_keywords_get_no_base64_trigger() {
        assert!(keyword_triggers(b"ab").is_empty());
    }
}
