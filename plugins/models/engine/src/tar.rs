//! A minimal ustar/GNU tar reader for the legacy `torch.save` tar format,
//! reading 512-byte headers through ranged reads and never member bodies
//! unless asked.

use crate::Limits;
use crate::finding::{ModelFinding, Severity};
use crate::rules;
use crate::source::{ByteSource, SourceError, read_exact_at};

const BLOCK: u64 = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    pub name: String,
    pub data_offset: u64,
    pub size: u64,
}

/// Whether a 512-byte header block is a ustar/GNU tar header.
pub fn looks_like_tar(header: &[u8]) -> bool {
    header.len() >= 512 && &header[257..262] == b"ustar" && checksum_ok(header)
}

fn checksum_ok(header: &[u8]) -> bool {
    let Some(stored) = octal(&header[148..156]) else {
        return false;
    };
    let sum: u64 = header[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u64::from(b' ')
            } else {
                u64::from(b)
            }
        })
        .sum();
    sum == stored
}

/// Octal number field, or GNU base-256 when the high bit is set.
fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

fn malformed(subject: &str, offset: u64, message: String) -> ModelFinding {
    ModelFinding::new(
        rules::MALFORMED,
        Severity::Medium,
        subject,
        format!("tar: {message}"),
    )
    .at(offset)
}

/// Regular-file members of the archive; problems become findings.
pub fn entries(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> Vec<TarEntry> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    let mut long_name: Option<String> = None;
    while offset.saturating_add(BLOCK) <= source.len() {
        if out.len() >= limits.max_archive_entries {
            findings.push(
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "tar-entry-limit",
                    format!(
                        "tar: more than {} members; the rest were not scanned",
                        limits.max_archive_entries
                    ),
                )
                .at(offset),
            );
            break;
        }
        let header = match read_exact_at(source, offset, BLOCK as usize) {
            Ok(header) => header,
            Err(err) => {
                findings.push(read_failed(err));
                break;
            }
        };
        if header.iter().all(|&b| b == 0) {
            break;
        }
        if !checksum_ok(&header) {
            findings.push(malformed(
                "tar-bad-checksum",
                offset,
                format!("header at offset {offset} has a bad checksum"),
            ));
            break;
        }
        let Some(size) = octal(&header[124..136]) else {
            findings.push(malformed(
                "tar-bad-size",
                offset,
                format!("header at offset {offset} has an unreadable size"),
            ));
            break;
        };
        let data_offset = offset + BLOCK;
        if data_offset.saturating_add(size) > source.len() {
            findings.push(malformed(
                "tar-truncated",
                offset,
                format!("member of {size} bytes at offset {data_offset} runs past the end of the archive"),
            ));
        }
        let kind = header[156];
        let mut name = cstr(&header[..100]);
        if &header[257..262] == b"ustar" {
            let prefix = cstr(&header[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        match kind {
            b'L' => {
                let want = size.min(4096) as usize;
                match read_exact_at(source, data_offset, want) {
                    Ok(bytes) => long_name = Some(cstr(&bytes)),
                    Err(err) => {
                        findings.push(read_failed(err));
                        break;
                    }
                }
            }
            b'0' | 0 | b'7' => out.push(TarEntry {
                name: long_name.take().unwrap_or(name),
                data_offset,
                size,
            }),
            _ => {
                long_name = None;
            }
        }
        offset = data_offset.saturating_add(size.div_ceil(BLOCK).saturating_mul(BLOCK));
    }
    out
}

fn read_failed(err: SourceError) -> ModelFinding {
    ModelFinding::new(
        rules::MALFORMED,
        Severity::Medium,
        "tar-truncated",
        format!("tar: {err}"),
    )
    .at(err.offset)
}
