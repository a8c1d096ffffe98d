//! A tolerant zip reader for model archives.
//!
//! Hand-rolled rather than the `zip` crate on purpose: the crate rejects the
//! very archives a scanner must look into (bad CRCs, local headers that
//! disagree with the central directory, odd flag bits, missing central
//! directory) and hides those inconsistencies, while PyTorch's own reader
//! accepts many of them. This reader keeps going, reports each
//! inconsistency as a finding, and reads only the central directory and the
//! members it is asked for, through ranged reads.

use std::collections::HashMap;

use crate::Limits;
use crate::finding::{ModelFinding, Severity, printable};
use crate::rules;
use crate::source::{ByteSource, SourceError, Window, read_exact_at};

const LOCAL_SIG: &[u8; 4] = b"PK\x03\x04";
const CENTRAL_SIG: &[u8; 4] = b"PK\x01\x02";
const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const ZIP64_LOCATOR_SIG: &[u8; 4] = b"PK\x06\x07";
const ZIP64_EOCD_SIG: &[u8; 4] = b"PK\x06\x06";
const EOCD_LEN: u64 = 22;
const MAX_COMMENT: u64 = 0xffff;
const LOCAL_HEADER_LEN: u64 = 30;
const CENTRAL_HEADER_LEN: usize = 46;

const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;
const FLAG_ENCRYPTED: u16 = 1;

/// One member as the central directory (or, failing that, its local
/// header) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub method: u16,
    pub flags: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_header_offset: u64,
    /// Where the member's data starts, once its local header was read.
    pub data_offset: Option<u64>,
}

#[derive(Debug, Default)]
pub struct ZipArchive {
    pub entries: Vec<ZipEntry>,
}

/// A member's bytes: stored members are read in place, deflated ones are
/// inflated into memory up to the member size limit.
pub enum MemberData<'a> {
    Stored(Window<'a>),
    Inflated(Vec<u8>),
}

impl MemberData<'_> {
    pub fn source(&self) -> &dyn ByteSource {
        match self {
            MemberData::Stored(window) => window,
            MemberData::Inflated(bytes) => bytes,
        }
    }
}

/// Findings about a member carry the member name, and their `offset`
/// means an offset in the member's data; where a member's *header* is at
/// fault, the archive offset goes into the message instead.
trait HeaderAt {
    fn header_at(self, archive_offset: u64) -> Self;
}

impl HeaderAt for ModelFinding {
    fn header_at(mut self, archive_offset: u64) -> Self {
        self.message.push_str(&format!(
            " (local header at archive offset {archive_offset})"
        ));
        self
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(buf)
}

fn anomaly(
    severity: Severity,
    subject: &str,
    member: Option<&str>,
    message: String,
) -> ModelFinding {
    ModelFinding::new(
        rules::ZIP_ANOMALY,
        severity,
        subject,
        format!("zip: {message}"),
    )
    .in_member(member)
}

fn malformed(subject: &str, message: String) -> ModelFinding {
    ModelFinding::new(
        rules::MALFORMED,
        Severity::Medium,
        subject,
        format!("zip: {message}"),
    )
}

/// Whether the file starts like a zip, or ends with an end-of-central-directory
/// record (archives with prepended data).
pub fn looks_like_zip(source: &dyn ByteSource) -> Result<bool, SourceError> {
    if source.read_at(0, 4)?.as_slice() == LOCAL_SIG {
        return Ok(true);
    }
    Ok(find_eocd(source)?.is_some())
}

/// Offset of the end-of-central-directory record, searched backwards over
/// the largest possible comment.
fn find_eocd(source: &dyn ByteSource) -> Result<Option<u64>, SourceError> {
    let len = source.len();
    if len < EOCD_LEN {
        return Ok(None);
    }
    let tail_len = (EOCD_LEN + MAX_COMMENT).min(len);
    let tail_start = len - tail_len;
    let tail = source.read_at(tail_start, tail_len as usize)?;
    let last = tail.len().saturating_sub(EOCD_LEN as usize);
    for at in (0..=last).rev() {
        if &tail[at..at + 4] == EOCD_SIG {
            return Ok(Some(tail_start + at as u64));
        }
    }
    Ok(None)
}

struct Directory {
    offset: u64,
    size: u64,
    entries: u64,
}

fn read_directory_location(source: &dyn ByteSource, eocd: u64) -> Result<Directory, SourceError> {
    let record = read_exact_at(source, eocd, EOCD_LEN as usize)?;
    let mut directory = Directory {
        entries: u64::from(u16_at(&record, 10)),
        size: u64::from(u32_at(&record, 12)),
        offset: u64::from(u32_at(&record, 16)),
    };
    let needs_zip64 = directory.entries == 0xffff
        || directory.size == 0xffff_ffff
        || directory.offset == 0xffff_ffff;
    if needs_zip64 && eocd >= 20 {
        let locator = read_exact_at(source, eocd - 20, 20)?;
        if &locator[..4] == ZIP64_LOCATOR_SIG {
            let zip64_offset = u64_at(&locator, 8);
            let record = read_exact_at(source, zip64_offset, 56)?;
            if &record[..4] == ZIP64_EOCD_SIG {
                directory.entries = u64_at(&record, 32);
                directory.size = u64_at(&record, 40);
                directory.offset = u64_at(&record, 48);
            }
        }
    }
    Ok(directory)
}

/// Applies a zip64 extra field (id 1) to the sizes and offset that are
/// saturated in the fixed header.
fn apply_zip64_extra(extra: &[u8], entry: &mut ZipEntry, has_offset: bool) {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at);
        let size = usize::from(u16_at(extra, at + 2));
        let body = &extra[at + 4..(at + 4 + size).min(extra.len())];
        if id == 1 {
            let mut field = 0;
            let next = |field: &mut usize| -> Option<u64> {
                let value = body.get(*field..*field + 8).map(|b| u64_at(b, 0));
                *field += 8;
                value
            };
            if entry.uncompressed_size == 0xffff_ffff {
                entry.uncompressed_size = next(&mut field).unwrap_or(entry.uncompressed_size);
            }
            if entry.compressed_size == 0xffff_ffff {
                entry.compressed_size = next(&mut field).unwrap_or(entry.compressed_size);
            }
            if has_offset && entry.local_header_offset == 0xffff_ffff {
                entry.local_header_offset = next(&mut field).unwrap_or(entry.local_header_offset);
            }
        }
        at += 4 + size;
    }
}

/// Reads the archive's member list, reporting every inconsistency. Returns
/// `None` when no member list can be recovered at all (a finding says why).
pub fn read_archive(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> Option<ZipArchive> {
    match read_central_directory(source, limits, findings) {
        Ok(Some(mut archive)) => {
            check_local_headers(source, &mut archive, findings);
            check_overlaps(&archive, findings);
            Some(archive)
        }
        Ok(None) => walk_local_headers(source, limits, findings),
        Err(err) => {
            findings.push(
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "zip-read-failed",
                    format!("zip: {err}"),
                )
                .at(err.offset),
            );
            None
        }
    }
}

fn read_central_directory(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> Result<Option<ZipArchive>, SourceError> {
    let Some(eocd) = find_eocd(source)? else {
        findings.push(malformed(
            "zip-no-central-directory",
            "no end-of-central-directory record; members recovered from local headers".into(),
        ));
        return Ok(None);
    };
    let mut directory = read_directory_location(source, eocd)?;
    if directory
        .offset
        .checked_add(directory.size)
        .is_none_or(|end| end > eocd)
    {
        findings.push(
            malformed(
                "zip-directory-out-of-bounds",
                format!(
                    "central directory ({} bytes at offset {}) lies outside the archive; members recovered from local headers",
                    directory.size, directory.offset
                ),
            )
            .at(eocd),
        );
        return Ok(None);
    }
    // Data prepended to the archive shifts every offset; loaders that
    // locate the directory from the end still open it.
    let expected_start = eocd - directory.size;
    if expected_start != directory.offset
        && source.read_at(expected_start, 4)?.as_slice() == CENTRAL_SIG
        && source.read_at(directory.offset, 4)?.as_slice() != CENTRAL_SIG
    {
        let shift = expected_start - directory.offset;
        findings.push(
            anomaly(
                Severity::Medium,
                "prepended-data",
                None,
                format!("{shift} bytes of data precede the archive"),
            )
            .at(0),
        );
        directory.offset = expected_start;
    }
    if directory.size > limits.max_archive_directory_bytes {
        findings.push(ModelFinding::new(
            rules::UNSCANNABLE,
            Severity::Medium,
            "zip-directory-size-limit",
            format!(
                "zip: central directory of {} bytes exceeds the scan limit",
                directory.size
            ),
        ));
        return Ok(Some(ZipArchive::default()));
    }
    let bytes = read_exact_at(source, directory.offset, directory.size as usize)?;
    let mut archive = ZipArchive::default();
    let mut at = 0usize;
    while at + CENTRAL_HEADER_LEN <= bytes.len() && &bytes[at..at + 4] == CENTRAL_SIG {
        if archive.entries.len() >= limits.max_archive_entries {
            findings.push(ModelFinding::new(
                rules::UNSCANNABLE,
                Severity::Medium,
                "zip-entry-limit",
                format!(
                    "zip: more than {} members; the rest were not scanned",
                    limits.max_archive_entries
                ),
            ));
            break;
        }
        let name_len = usize::from(u16_at(&bytes, at + 28));
        let extra_len = usize::from(u16_at(&bytes, at + 30));
        let comment_len = usize::from(u16_at(&bytes, at + 32));
        let name_start = at + CENTRAL_HEADER_LEN;
        let extra_start = name_start + name_len;
        let next = extra_start + extra_len + comment_len;
        if next > bytes.len() {
            findings.push(
                malformed(
                    "zip-directory-truncated",
                    format!(
                        "central directory entry at offset {} runs past the directory",
                        directory.offset + at as u64
                    ),
                )
                .at(directory.offset + at as u64),
            );
            break;
        }
        let mut entry = ZipEntry {
            name: String::from_utf8_lossy(&bytes[name_start..extra_start]).into_owned(),
            flags: u16_at(&bytes, at + 8),
            method: u16_at(&bytes, at + 10),
            crc32: u32_at(&bytes, at + 16),
            compressed_size: u64::from(u32_at(&bytes, at + 20)),
            uncompressed_size: u64::from(u32_at(&bytes, at + 24)),
            local_header_offset: u64::from(u32_at(&bytes, at + 42)),
            data_offset: None,
        };
        apply_zip64_extra(
            &bytes[extra_start..extra_start + extra_len],
            &mut entry,
            true,
        );
        archive.entries.push(entry);
        at = next;
    }
    if archive.entries.len() as u64 != directory.entries {
        findings.push(
            anomaly(
                Severity::Medium,
                "entry-count-mismatch",
                None,
                format!(
                    "end record declares {} members but the central directory holds {}",
                    directory.entries,
                    archive.entries.len()
                ),
            )
            .at(eocd),
        );
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for entry in &archive.entries {
        *seen.entry(entry.name.as_str()).or_default() += 1;
    }
    let mut duplicates: Vec<_> = seen.into_iter().filter(|(_, count)| *count > 1).collect();
    duplicates.sort();
    for (name, count) in duplicates {
        findings.push(anomaly(
            Severity::High,
            "duplicate-name",
            Some(name),
            format!(
                "member name {:?} appears {count} times; loaders pick different copies",
                printable(name.as_bytes(), 120)
            ),
        ));
    }
    Ok(Some(archive))
}

struct LocalHeader {
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    uncompressed_size: u64,
    name: String,
    data_offset: u64,
}

fn read_local_header(
    source: &dyn ByteSource,
    offset: u64,
) -> Result<Option<LocalHeader>, SourceError> {
    let fixed = source.read_at(offset, LOCAL_HEADER_LEN as usize)?;
    if fixed.len() < LOCAL_HEADER_LEN as usize || &fixed[..4] != LOCAL_SIG {
        return Ok(None);
    }
    let name_len = u64::from(u16_at(&fixed, 26));
    let extra_len = u64::from(u16_at(&fixed, 28));
    let rest = read_exact_at(
        source,
        offset + LOCAL_HEADER_LEN,
        (name_len + extra_len) as usize,
    )?;
    let mut entry = ZipEntry {
        name: String::from_utf8_lossy(&rest[..name_len as usize]).into_owned(),
        method: u16_at(&fixed, 8),
        flags: u16_at(&fixed, 6),
        crc32: u32_at(&fixed, 14),
        compressed_size: u64::from(u32_at(&fixed, 18)),
        uncompressed_size: u64::from(u32_at(&fixed, 22)),
        local_header_offset: offset,
        data_offset: None,
    };
    apply_zip64_extra(&rest[name_len as usize..], &mut entry, false);
    Ok(Some(LocalHeader {
        flags: entry.flags,
        method: entry.method,
        crc32: entry.crc32,
        compressed_size: entry.compressed_size,
        uncompressed_size: entry.uncompressed_size,
        name: entry.name,
        data_offset: offset + LOCAL_HEADER_LEN + name_len + extra_len,
    }))
}

fn check_local_headers(
    source: &dyn ByteSource,
    archive: &mut ZipArchive,
    findings: &mut Vec<ModelFinding>,
) {
    for entry in &mut archive.entries {
        let member = Some(entry.name.as_str());
        let local = match read_local_header(source, entry.local_header_offset) {
            Ok(Some(local)) => local,
            Ok(None) => {
                findings.push(
                    malformed(
                        "zip-missing-local-header",
                        format!(
                            "no local header at offset {} for member {:?}",
                            entry.local_header_offset,
                            printable(entry.name.as_bytes(), 120)
                        ),
                    )
                    .header_at(entry.local_header_offset)
                    .in_member(member),
                );
                continue;
            }
            Err(err) => {
                findings.push(
                    malformed(
                        "zip-local-header-truncated",
                        format!("local header of member is truncated: {err}"),
                    )
                    .header_at(entry.local_header_offset)
                    .in_member(member),
                );
                continue;
            }
        };
        entry.data_offset = Some(local.data_offset);
        if local.name != entry.name {
            findings.push(
                anomaly(
                    Severity::High,
                    "name-mismatch",
                    member,
                    format!(
                        "local header names the member {:?} but the central directory names it {:?}",
                        printable(local.name.as_bytes(), 120),
                        printable(entry.name.as_bytes(), 120)
                    ),
                )
                .header_at(entry.local_header_offset),
            );
        }
        if entry.flags & FLAG_ENCRYPTED != 0 || local.flags & FLAG_ENCRYPTED != 0 {
            findings.push(
                anomaly(
                    Severity::High,
                    "encryption-flag",
                    member,
                    "member is flagged as encrypted; a model loader reads it in the clear, scanners that honour the flag skip it".into(),
                )
                .header_at(entry.local_header_offset),
            );
        }
        if local.flags != entry.flags {
            findings.push(
                anomaly(
                    Severity::Medium,
                    "flag-mismatch",
                    member,
                    format!(
                        "general-purpose flags differ: local 0x{:04x}, central 0x{:04x}",
                        local.flags, entry.flags
                    ),
                )
                .header_at(entry.local_header_offset),
            );
        }
        if local.method != entry.method {
            findings.push(
                anomaly(
                    Severity::High,
                    "method-mismatch",
                    member,
                    format!(
                        "compression method differs: local {}, central {}",
                        local.method, entry.method
                    ),
                )
                .header_at(entry.local_header_offset),
            );
        }
        // Sizes and CRC may be zero in the local header when a data
        // descriptor follows (flag bit 3); otherwise they must agree.
        let descriptor = local.flags & 0x8 != 0;
        if !descriptor
            && (local.compressed_size != entry.compressed_size
                || local.uncompressed_size != entry.uncompressed_size
                || local.crc32 != entry.crc32)
        {
            findings.push(
                anomaly(
                    Severity::Medium,
                    "size-mismatch",
                    member,
                    format!(
                        "local header sizes/CRC ({}/{}/0x{:08x}) differ from the central directory ({}/{}/0x{:08x})",
                        local.compressed_size, local.uncompressed_size, local.crc32,
                        entry.compressed_size, entry.uncompressed_size, entry.crc32
                    ),
                )
                .header_at(entry.local_header_offset),
            );
        }
        if local
            .data_offset
            .checked_add(entry.compressed_size)
            .is_none_or(|end| end > source.len())
        {
            findings.push(
                malformed(
                    "zip-member-out-of-bounds",
                    format!(
                        "member data ({} bytes at offset {}) runs past the end of the archive",
                        entry.compressed_size, local.data_offset
                    ),
                )
                .header_at(entry.local_header_offset)
                .in_member(member),
            );
        }
    }
}

fn check_overlaps(archive: &ZipArchive, findings: &mut Vec<ModelFinding>) {
    let mut spans: Vec<(u64, u64, &str)> = archive
        .entries
        .iter()
        .filter_map(|e| {
            e.data_offset.map(|d| {
                (
                    e.local_header_offset,
                    d.saturating_add(e.compressed_size),
                    e.name.as_str(),
                )
            })
        })
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        let (_, first_end, first) = pair[0];
        let (second_start, _, second) = pair[1];
        if second_start < first_end {
            findings.push(
                anomaly(
                    Severity::High,
                    "overlapping-members",
                    Some(second),
                    format!(
                        "member {:?} starts inside the data of {:?}",
                        printable(second.as_bytes(), 120),
                        printable(first.as_bytes(), 120)
                    ),
                )
                .header_at(second_start),
            );
        }
    }
}

/// Recovers members from consecutive local headers when the central
/// directory is missing or unusable.
fn walk_local_headers(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> Option<ZipArchive> {
    let mut archive = ZipArchive::default();
    let mut offset = 0u64;
    loop {
        if archive.entries.len() >= limits.max_archive_entries {
            break;
        }
        let local = match read_local_header(source, offset) {
            Ok(Some(local)) => local,
            Ok(None) => break,
            Err(err) => {
                findings.push(
                    malformed(
                        "zip-local-header-truncated",
                        format!("local header is truncated: {err}"),
                    )
                    .at(offset),
                );
                break;
            }
        };
        let known_size = local.flags & 0x8 == 0 || local.compressed_size != 0;
        archive.entries.push(ZipEntry {
            name: local.name,
            method: local.method,
            flags: local.flags,
            crc32: local.crc32,
            compressed_size: local.compressed_size,
            uncompressed_size: local.uncompressed_size,
            local_header_offset: offset,
            data_offset: Some(local.data_offset),
        });
        if !known_size {
            findings.push(
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "zip-unknown-member-size",
                    "zip: without a central directory, the size of a member written with a data descriptor is unknown; later members were not recovered",
                )
                .at(offset),
            );
            break;
        }
        offset = local.data_offset.saturating_add(local.compressed_size);
    }
    if archive.entries.is_empty() {
        None
    } else {
        Some(archive)
    }
}

/// The bytes of one member, with CRC verification for members read whole.
/// Failures are findings; `None` means nothing could be read.
pub fn member_data<'a>(
    source: &'a dyn ByteSource,
    entry: &ZipEntry,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> Option<MemberData<'a>> {
    let member = Some(entry.name.as_str());
    let data_offset = entry.data_offset?;
    // Clamped to the archive: a member running past the end (already
    // reported) is scanned as far as it goes.
    let window = Window::new(source, data_offset, entry.compressed_size);
    let data = match entry.method {
        METHOD_STORED => MemberData::Stored(window),
        METHOD_DEFLATED => {
            if entry.compressed_size > limits.max_member_bytes {
                // A loader inflates the whole member: what is not scanned
                // can carry the payload.
                findings.push(
                    ModelFinding::new(
                        rules::UNSCANNABLE,
                        Severity::High,
                        "zip-member-size-limit",
                        format!(
                            "zip: compressed member of {} bytes exceeds the scan limit",
                            entry.compressed_size
                        ),
                    )
                    .in_member(member),
                );
                return None;
            }
            let compressed = match window.read_at(0, window.len() as usize) {
                Ok(bytes) => bytes,
                Err(err) => {
                    findings.push(
                        ModelFinding::new(
                            rules::UNSCANNABLE,
                            Severity::Medium,
                            "zip-read-failed",
                            format!("zip: {err}"),
                        )
                        .in_member(member),
                    );
                    return None;
                }
            };
            match miniz_oxide::inflate::decompress_to_vec_with_limit(
                &compressed,
                limits.max_member_bytes as usize,
            ) {
                Ok(bytes) => MemberData::Inflated(bytes),
                Err(err) => {
                    let limit_hit =
                        matches!(err.status, miniz_oxide::inflate::TINFLStatus::HasMoreOutput);
                    findings.push(
                        ModelFinding::new(
                            if limit_hit { rules::UNSCANNABLE } else { rules::MALFORMED },
                            if limit_hit { Severity::High } else { Severity::Medium },
                            if limit_hit { "zip-member-size-limit" } else { "zip-bad-deflate" },
                            if limit_hit {
                                format!("zip: member inflates beyond the {}-byte limit; only the first part was scanned", limits.max_member_bytes)
                            } else {
                                format!("zip: deflate stream is corrupt ({:?}) after {} bytes; the readable part was scanned", err.status, err.output.len())
                            },
                        )
                        .in_member(member),
                    );
                    return Some(MemberData::Inflated(err.output));
                }
            }
        }
        other => {
            findings.push(
                ModelFinding::new(
                    rules::UNSCANNABLE,
                    Severity::Medium,
                    "zip-unsupported-method",
                    format!("zip: member uses compression method {other}, which cannot be scanned"),
                )
                .in_member(member),
            );
            return None;
        }
    };
    verify_crc(&data, entry, limits, findings);
    Some(data)
}

fn verify_crc(
    data: &MemberData,
    entry: &ZipEntry,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) {
    let source = data.source();
    if source.len() > limits.max_member_bytes {
        return;
    }
    let Ok(bytes) = source.read_at(0, source.len() as usize) else {
        return;
    };
    let actual = crc32fast::hash(&bytes);
    if actual != entry.crc32 {
        findings.push(
            anomaly(
                Severity::Medium,
                "crc-mismatch",
                Some(&entry.name),
                format!(
                    "CRC-32 of the member is 0x{actual:08x} but the archive declares 0x{:08x}",
                    entry.crc32
                ),
            )
            .header_at(entry.local_header_offset),
        );
    }
}
