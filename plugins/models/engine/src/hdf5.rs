//! Just enough HDF5 to read the root group's `model_config` attribute of a
//! Keras `.h5` file: superblock, object headers (v1 and v2, with
//! continuation blocks), attribute messages with fixed- or variable-length
//! string values, and global heap collections.
//!
//! Hand-rolled because the maintained HDF5 crates bind the C library, which
//! does not build for wasm32-wasip2. Attributes kept in dense storage
//! (fractal heaps) are not decoded; such files get an `unscannable` finding
//! instead of passing as clean.

use crate::finding::{ModelFinding, Severity};
use crate::keras;
use crate::rules;
use crate::source::{ByteSource, SourceError, read_exact_at};

pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";
const MAX_CHUNK: u64 = 1 << 20;
const MAX_CONTINUATIONS: usize = 64;
const MSG_CONTINUATION: u16 = 0x10;
const MSG_ATTRIBUTE: u16 = 0x0c;
const MSG_ATTRIBUTE_INFO: u16 = 0x15;
/// Attributes that hold Keras model JSON.
const CONFIG_ATTRIBUTES: &[&str] = &["model_config", "training_config"];

/// Offset of the superblock: 0, or a power of two from 512 when a user
/// block precedes it.
pub fn find_superblock(source: &dyn ByteSource) -> Result<Option<u64>, SourceError> {
    let mut at = 0u64;
    while at + 8 <= source.len() && at <= 1 << 16 {
        if source.read_at(at, 8)?.as_slice() == SIGNATURE {
            return Ok(Some(at));
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
    Ok(None)
}

struct File<'a> {
    source: &'a dyn ByteSource,
    offset_size: usize,
    length_size: usize,
    base: u64,
}

#[derive(Debug)]
enum Problem {
    Malformed(String),
    Unsupported(String),
    Read(SourceError),
}

impl From<SourceError> for Problem {
    fn from(err: SourceError) -> Self {
        Problem::Read(err)
    }
}

fn uint(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

struct Message {
    kind: u16,
    data: Vec<u8>,
}

impl File<'_> {
    fn read(&self, address: u64, len: u64) -> Result<Vec<u8>, Problem> {
        if len > MAX_CHUNK * 64 {
            return Err(Problem::Unsupported(format!(
                "a {len}-byte structure exceeds the scan limit"
            )));
        }
        let absolute = self
            .base
            .checked_add(address)
            .ok_or_else(|| Problem::Malformed(format!("address {address} overflows")))?;
        Ok(read_exact_at(self.source, absolute, len as usize)?)
    }

    fn field(&self, bytes: &[u8], at: &mut usize, size: usize) -> Result<u64, Problem> {
        let value = bytes
            .get(*at..*at + size)
            .ok_or_else(|| Problem::Malformed("structure is truncated".into()))?;
        *at += size;
        Ok(uint(value))
    }

    /// Every message of the object header at `address`, following
    /// continuation blocks.
    fn messages(&self, address: u64) -> Result<Vec<Message>, Problem> {
        let prefix = self.read(address, 16)?;
        let mut messages = Vec::new();
        let mut blocks: Vec<(u64, u64, bool)> = Vec::new();
        let version2 = &prefix[..4] == b"OHDR";
        let mut v2_flags = 0u8;
        if version2 {
            v2_flags = prefix[5];
            let mut at = 6usize;
            if v2_flags & 0x20 != 0 {
                at += 16;
            }
            if v2_flags & 0x10 != 0 {
                at += 4;
            }
            let width = 1usize << (v2_flags & 0x3);
            let head = self.read(address, (at + width) as u64)?;
            let size = uint(&head[at..at + width]);
            blocks.push((address.saturating_add((at + width) as u64), size, false));
        } else {
            if prefix[0] != 1 {
                return Err(Problem::Malformed(format!(
                    "object header at {address} has unknown version {}",
                    prefix[0]
                )));
            }
            let size = uint(&prefix[8..12]);
            blocks.push((address.saturating_add(16), size, false));
        }
        let mut visited = 0;
        while let Some((start, size, continuation)) = blocks.pop() {
            visited += 1;
            if visited > MAX_CONTINUATIONS {
                return Err(Problem::Unsupported(
                    "too many object header continuation blocks".into(),
                ));
            }
            if size > MAX_CHUNK {
                return Err(Problem::Unsupported(format!(
                    "object header block of {size} bytes exceeds the scan limit"
                )));
            }
            let block = self.read(start, size)?;
            let mut at = 0usize;
            // A v2 continuation block is framed by an `OCHK` signature and
            // a checksum; the first block's checksum lies after its size.
            let (body_start, body_end) = if version2 && continuation {
                (4, block.len().saturating_sub(4))
            } else {
                (0, block.len())
            };
            at += body_start;
            while at < body_end {
                let (kind, size, header_len) = if version2 {
                    if at + 4 > body_end {
                        break;
                    }
                    let kind = u16::from(block[at]);
                    let size = usize::from(u16::from_le_bytes([block[at + 1], block[at + 2]]));
                    let creation = if v2_flags & 0x4 != 0 { 2 } else { 0 };
                    (kind, size, 4 + creation)
                } else {
                    if at + 8 > body_end {
                        break;
                    }
                    let kind = u16::from_le_bytes([block[at], block[at + 1]]);
                    let size = usize::from(u16::from_le_bytes([block[at + 2], block[at + 3]]));
                    (kind, size, 8)
                };
                let data_start = at + header_len;
                let data_end = data_start + size;
                if data_end > block.len() {
                    return Err(Problem::Malformed(format!(
                        "object header message at {} runs past its block",
                        start.saturating_add(at as u64)
                    )));
                }
                let data = block[data_start..data_end].to_vec();
                if kind == MSG_CONTINUATION {
                    let mut p = 0;
                    let next = self.field(&data, &mut p, self.offset_size)?;
                    let len = self.field(&data, &mut p, self.length_size)?;
                    blocks.push((next, len, true));
                } else {
                    messages.push(Message { kind, data });
                }
                at = data_end;
            }
        }
        Ok(messages)
    }

    /// Name and string value of an attribute message, if it is a string.
    fn attribute(&self, data: &[u8]) -> Result<(String, Option<Vec<u8>>), Problem> {
        let version = *data
            .first()
            .ok_or_else(|| Problem::Malformed("empty attribute message".into()))?;
        let short = || Problem::Malformed("attribute message is truncated".into());
        let name_size = usize::from(u16::from_le_bytes([
            *data.get(2).ok_or_else(short)?,
            *data.get(3).ok_or_else(short)?,
        ]));
        let type_size = usize::from(u16::from_le_bytes([
            *data.get(4).ok_or_else(short)?,
            *data.get(5).ok_or_else(short)?,
        ]));
        let space_size = usize::from(u16::from_le_bytes([
            *data.get(6).ok_or_else(short)?,
            *data.get(7).ok_or_else(short)?,
        ]));
        let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
        let mut at = match version {
            1 | 2 => 8,
            3 => 9,
            other => {
                return Err(Problem::Malformed(format!(
                    "attribute message version {other}"
                )));
            }
        };
        let name_bytes = data.get(at..at + name_size).ok_or_else(short)?;
        let name = String::from_utf8_lossy(name_bytes)
            .trim_end_matches('\0')
            .to_string();
        at += pad(name_size);
        let datatype = data.get(at..at + type_size).ok_or_else(short)?;
        at += pad(type_size);
        at += pad(space_size);
        let value = data.get(at..).unwrap_or(&[]);
        if !CONFIG_ATTRIBUTES.contains(&name.as_str()) || datatype.len() < 8 {
            return Ok((name, None));
        }
        let class = datatype[0] & 0x0f;
        let element_size = uint(&datatype[4..8]) as usize;
        match class {
            // Fixed-length string: the bytes are inline.
            3 => Ok((name, Some(value[..element_size.min(value.len())].to_vec()))),
            // Variable-length string: a global heap reference.
            9 if datatype[1] & 0x0f == 1 => {
                let mut p = 4;
                let collection = self.field(value, &mut p, self.offset_size)?;
                let index = self.field(value, &mut p, 4)?;
                Ok((name, Some(self.global_heap_object(collection, index)?)))
            }
            _ => Ok((name, None)),
        }
    }

    fn global_heap_object(&self, collection: u64, index: u64) -> Result<Vec<u8>, Problem> {
        let head = self.read(collection, 8 + self.length_size as u64)?;
        if &head[..4] != b"GCOL" {
            return Err(Problem::Malformed(format!(
                "no global heap collection at address {collection}"
            )));
        }
        let size = uint(&head[8..8 + self.length_size]);
        let body = self.read(collection, size)?;
        let mut at = 8 + self.length_size;
        while at
            .checked_add(8 + self.length_size)
            .is_some_and(|end| end <= body.len())
        {
            let object_index = u64::from(u16::from_le_bytes([body[at], body[at + 1]]));
            let mut p = at + 8;
            let object_size = self.field(&body, &mut p, self.length_size)? as usize;
            if object_index == 0 {
                break;
            }
            if object_index == index {
                return body
                    .get(p..p.saturating_add(object_size))
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| {
                        Problem::Malformed("global heap object runs past its collection".into())
                    });
            }
            at = p.saturating_add(object_size.div_ceil(8).saturating_mul(8));
        }
        Err(Problem::Malformed(format!(
            "global heap object {index} not found in collection at {collection}"
        )))
    }
}

/// Opens the superblock; returns the file view and the root group's
/// object header address.
fn open(source: &dyn ByteSource, superblock: u64) -> Result<(File<'_>, u64), Problem> {
    let head = read_exact_at(source, superblock, 16)?;
    let version = head[8];
    let (offset_size, length_size) = match version {
        0 | 1 => (usize::from(head[13]), usize::from(head[14])),
        2 | 3 => (usize::from(head[9]), usize::from(head[10])),
        other => {
            return Err(Problem::Malformed(format!(
                "unknown superblock version {other}"
            )));
        }
    };
    if !matches!(offset_size, 2 | 4 | 8) || !matches!(length_size, 2 | 4 | 8) {
        return Err(Problem::Malformed(format!(
            "superblock declares {offset_size}-byte offsets and {length_size}-byte lengths"
        )));
    }
    let mut file = File {
        source,
        offset_size,
        length_size,
        base: 0,
    };
    let fixed = match version {
        0 => 24,
        1 => 28,
        _ => 12,
    };
    let block = read_exact_at(source, superblock, fixed + 6 * offset_size)?;
    let mut at = fixed;
    file.base = file.field(&block, &mut at, offset_size)?;
    // v0/v1: free space, end of file and driver info addresses, then the
    // root symbol table entry (link name offset, object header address).
    // v2/v3: superblock extension and end of file, then the root header.
    at += if version <= 1 {
        4 * offset_size
    } else {
        2 * offset_size
    };
    let root = file.field(&block, &mut at, offset_size)?;
    Ok((file, root))
}

/// What the HDF5 file revealed, for the inventory.
pub struct Hdf5Summary {
    /// Keras model class when `model_config` was found.
    pub keras_model: Option<String>,
    pub has_model_config: bool,
}

pub fn analyse(
    source: &dyn ByteSource,
    superblock: u64,
    findings: &mut Vec<ModelFinding>,
) -> Hdf5Summary {
    let mut summary = Hdf5Summary {
        keras_model: None,
        has_model_config: false,
    };
    let result = open(source, superblock).and_then(|(file, root)| {
        let messages = file.messages(root)?;
        let mut dense = false;
        for message in &messages {
            match message.kind {
                MSG_ATTRIBUTE => {
                    let (name, value) = file.attribute(&message.data)?;
                    if let Some(value) = value {
                        let value = trim_nul(&value);
                        if name == "model_config" {
                            summary.has_model_config = true;
                            summary.keras_model = keras::analyse_config(
                                value,
                                "model_config attribute",
                                None,
                                findings,
                            );
                        } else {
                            keras::analyse_config(
                                value,
                                "training_config attribute",
                                None,
                                findings,
                            );
                        }
                    }
                }
                MSG_ATTRIBUTE_INFO => dense = true,
                _ => {}
            }
        }
        if dense && !summary.has_model_config {
            return Err(Problem::Unsupported(
                "root group attributes are in dense storage, which this reader does not decode"
                    .into(),
            ));
        }
        Ok(())
    });
    if let Err(problem) = result {
        let (rule, subject, what) = match problem {
            Problem::Malformed(what) => (rules::MALFORMED, "hdf5-malformed", what),
            Problem::Unsupported(what) => (rules::UNSCANNABLE, "hdf5-unsupported", what),
            Problem::Read(err) => (rules::MALFORMED, "hdf5-truncated", err.to_string()),
        };
        findings.push(
            ModelFinding::new(rule, Severity::Medium, subject, format!("hdf5: {what}"))
                .at(superblock),
        );
    }
    summary
}

fn trim_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}
