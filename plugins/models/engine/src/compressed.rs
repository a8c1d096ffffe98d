//! Whole-file compression around a model: joblib's compressed dumps
//! (`compress=` zlib, gzip, bz2, xz, lzma, lz4) and `.gz`/`.xz`/... copies
//! of any model file. Recognised by magic bytes, decompressed with
//! pure-Rust decoders into memory up to a bound, and handed back to format
//! detection, so the decompressed file is scanned like any other.

use std::io::Read;

use crate::source::{ByteSource, SourceReader};

/// The compression formats followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    /// The legacy `.lzma` ("alone") format joblib's `lzma` compressor writes.
    LzmaAlone,
    Lz4Frame,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zlib => "zlib",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::LzmaAlone => "lzma",
            Compression::Lz4Frame => "lz4",
        }
    }
}

/// File-name suffixes that only name the compression layer.
const SUFFIXES: &[&str] = &[".gz", ".z", ".zlib", ".bz2", ".xz", ".lzma", ".lz4"];

/// The name of the decompressed file: `model.pkl.gz` -> `model.pkl`.
pub fn inner_name(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    for suffix in SUFFIXES {
        if lower.ends_with(suffix) && lower.len() > suffix.len() {
            return path[..path.len() - suffix.len()].to_string();
        }
    }
    path.to_string()
}

/// The compression a file's first bytes announce. Checks more than the
/// magic where the magic is short (zlib's two header bytes, the `.lzma`
/// header), but the caller still decides by what decompresses.
pub fn sniff(head: &[u8]) -> Option<Compression> {
    if head.starts_with(b"\x1f\x8b\x08") {
        return Some(Compression::Gzip);
    }
    if head.starts_with(b"\xfd7zXZ\x00") {
        return Some(Compression::Xz);
    }
    // "BZh" + block size 1-9 + the block or end-of-stream magic.
    if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
            || head[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
    {
        return Some(Compression::Bzip2);
    }
    if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        return Some(Compression::Lz4Frame);
    }
    if head.len() >= 2
        && head[0] == 0x78
        && matches!(head[1], 0x01 | 0x5e | 0x9c | 0xda)
        && u16::from_be_bytes([head[0], head[1]]).is_multiple_of(31)
    {
        return Some(Compression::Zlib);
    }
    // props byte (lc=3, lp=0, pb=2 as every encoder writes by default), a
    // dictionary size of 2^n or 3*2^(n-1), and an unknown or sane size.
    if head.len() >= 13 && head[0] == 0x5d {
        let dict = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
        let size = u64::from_le_bytes([
            head[5], head[6], head[7], head[8], head[9], head[10], head[11], head[12],
        ]);
        let dict_ok = dict >= 4096
            && (dict.is_power_of_two() || (dict.is_multiple_of(3) && (dict / 3).is_power_of_two()));
        if dict_ok && (size == u64::MAX || size < 1 << 48) {
            return Some(Compression::LzmaAlone);
        }
    }
    None
}

/// What decompressing produced.
pub struct Decompressed {
    pub bytes: Vec<u8>,
    /// The output went on past the bound; `bytes` is the first part.
    pub limit_hit: bool,
    /// The stream is corrupt or truncated after `bytes`.
    pub error: Option<String>,
}

/// Decompresses up to `max` bytes of output.
pub fn decompress(kind: Compression, source: &dyn ByteSource, max: u64) -> Decompressed {
    let input = std::io::BufReader::new(SourceReader::new(source));
    match kind {
        Compression::Gzip => drain(flate2::read::MultiGzDecoder::new(input), max),
        Compression::Zlib => drain(flate2::read::ZlibDecoder::new(input), max),
        Compression::Bzip2 => drain(bzip2::read::MultiBzDecoder::new(input), max),
        Compression::Lz4Frame => drain(lz4_flex::frame::FrameDecoder::new(input), max),
        Compression::Xz => drain(
            lzma_rust2::XzReader::new_mem_limit(input, true, memory_limit_kb(max)),
            max,
        ),
        Compression::LzmaAlone => {
            match lzma_rust2::LzmaReader::new_mem_limit(input, memory_limit_kb(max), None) {
                Ok(reader) => drain(reader, max),
                Err(err) => Decompressed {
                    bytes: Vec::new(),
                    limit_hit: false,
                    error: Some(err.to_string()),
                },
            }
        }
    }
}

/// Decoder dictionaries may not exceed the output bound (nor 1 GiB): a
/// header claiming a 4 GiB dictionary is refused, not allocated.
fn memory_limit_kb(max: u64) -> u32 {
    u32::try_from((max / 1024).clamp(64 * 1024, 1 << 20)).unwrap_or(1 << 20)
}

fn drain(reader: impl Read, max: u64) -> Decompressed {
    let mut bytes = Vec::new();
    let result = reader.take(max.saturating_add(1)).read_to_end(&mut bytes);
    let limit_hit = bytes.len() as u64 > max;
    if limit_hit {
        bytes.truncate(max as usize);
    }
    Decompressed {
        bytes,
        limit_hit,
        error: result.err().map(|err| err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_only_their_compression_suffix() {
        assert_eq!(inner_name("models/clf.pkl.gz"), "models/clf.pkl");
        assert_eq!(inner_name("clf.joblib"), "clf.joblib");
        assert_eq!(inner_name("x.PKL.XZ"), "x.PKL");
    }

    #[test]
    fn text_is_not_sniffed_as_compressed() {
        for text in [&b"x = 1\n"[..], b"BZh9 not bzip2", b"]\x00\x00\x10\x00"] {
            assert_eq!(sniff(text), None, "{text:?}");
        }
        assert_eq!(sniff(b"\x78\x9c\x00"), Some(Compression::Zlib));
    }

    #[test]
    fn output_is_bounded_and_the_bound_is_reported() {
        let data = vec![7u8; 100_000];
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &data).unwrap();
        let gz = encoder.finish().unwrap();
        let out = decompress(Compression::Gzip, &gz, 1000);
        assert!(out.limit_hit);
        assert_eq!(out.bytes.len(), 1000);
        let out = decompress(Compression::Gzip, &gz, 1 << 20);
        assert!(!out.limit_hit && out.error.is_none());
        assert_eq!(out.bytes, data);
        let half = gz[..gz.len() / 2].to_vec();
        let out = decompress(Compression::Gzip, &half, 1 << 20);
        assert!(out.error.is_some(), "a truncated stream is an error");
    }
}
