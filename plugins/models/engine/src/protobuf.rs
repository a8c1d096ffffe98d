//! A minimal protobuf wire-format walker over ranged reads, for ONNX and
//! TensorFlow graphs. Fields are visited without decoding whole messages,
//! so large tensor payloads (`raw_data`) are skipped, never read.

use crate::cursor::{Cursor, CursorError};
use crate::source::ByteSource;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Varint(u64),
    Fixed64,
    /// A length-delimited field: bytes `[start, start + len)` of the source.
    Bytes {
        start: u64,
        len: u64,
    },
    Fixed32,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub number: u32,
    /// Offset of the field's tag.
    pub offset: u64,
    pub wire: Wire,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    Invalid { offset: u64, what: String },
    Cursor(CursorError),
}

impl From<CursorError> for ProtoError {
    fn from(err: CursorError) -> Self {
        ProtoError::Cursor(err)
    }
}

impl std::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtoError::Invalid { what, .. } => f.write_str(what),
            ProtoError::Cursor(err) => write!(f, "{err}"),
        }
    }
}

impl ProtoError {
    pub fn offset(&self) -> u64 {
        match self {
            ProtoError::Invalid { offset, .. } => *offset,
            ProtoError::Cursor(CursorError::Truncated { offset, .. }) => *offset,
            ProtoError::Cursor(CursorError::Source(err)) => err.offset,
        }
    }
}

/// Iterates the fields of one message (the byte range of a cursor).
pub struct Message<'a> {
    cursor: Cursor<'a>,
}

fn varint(cursor: &mut Cursor) -> Result<u64, ProtoError> {
    let start = cursor.pos();
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = cursor.u8()?;
        if shift == 63 && byte > 1 {
            break;
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(ProtoError::Invalid {
        offset: start,
        what: format!("varint at offset {start} is longer than 10 bytes"),
    })
}

impl<'a> Message<'a> {
    pub fn new(source: &'a dyn ByteSource, start: u64, end: u64) -> Self {
        Message {
            cursor: Cursor::new(source, start, end),
        }
    }

    /// The message nested in a length-delimited field.
    pub fn nested(&self, start: u64, len: u64) -> Message<'a> {
        Message::new(self.cursor.source(), start, start.saturating_add(len))
    }

    pub fn next_field(&mut self) -> Result<Option<Field>, ProtoError> {
        if self.cursor.at_end() {
            return Ok(None);
        }
        let offset = self.cursor.pos();
        let tag = varint(&mut self.cursor)?;
        let number = u32::try_from(tag >> 3)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ProtoError::Invalid {
                offset,
                what: format!("field number 0 or out of range at offset {offset}"),
            })?;
        let wire = match tag & 7 {
            0 => Wire::Varint(varint(&mut self.cursor)?),
            1 => {
                self.cursor.skip(8)?;
                Wire::Fixed64
            }
            2 => {
                let len = varint(&mut self.cursor)?;
                let start = self.cursor.pos();
                self.cursor.skip(len)?;
                Wire::Bytes { start, len }
            }
            5 => {
                self.cursor.skip(4)?;
                Wire::Fixed32
            }
            other => {
                return Err(ProtoError::Invalid {
                    offset,
                    what: format!("unsupported wire type {other} at offset {offset}"),
                });
            }
        };
        Ok(Some(Field {
            number,
            offset,
            wire,
        }))
    }

    /// The bytes of a length-delimited field, up to `max`.
    pub fn bytes(&self, start: u64, len: u64, max: usize) -> Result<Vec<u8>, ProtoError> {
        let want = len.min(max as u64) as usize;
        let mut cursor = Cursor::new(
            self.cursor.source(),
            start,
            start.saturating_add(want as u64),
        );
        Ok(cursor.take(want)?)
    }
}
