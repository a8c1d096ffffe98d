//! A buffered, forward-only reader over a [`ByteSource`], so parsers that
//! consume many small fields (pickle opcodes, GGUF keys, protobuf tags) cost
//! one ranged read per window instead of one per field.

use crate::source::{ByteSource, SourceError};

/// Bytes fetched per ranged read.
const WINDOW: usize = 64 * 1024;

/// Why a read through the cursor stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorError {
    /// The data ends before the field that starts at `offset`.
    Truncated { offset: u64, wanted: u64 },
    /// The underlying source failed.
    Source(SourceError),
}

impl std::fmt::Display for CursorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CursorError::Truncated { offset, wanted } => {
                write!(
                    f,
                    "data ends inside a {wanted}-byte field at offset {offset}"
                )
            }
            CursorError::Source(err) => write!(f, "{err}"),
        }
    }
}

impl From<SourceError> for CursorError {
    fn from(err: SourceError) -> Self {
        CursorError::Source(err)
    }
}

pub struct Cursor<'a> {
    source: &'a dyn ByteSource,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over `[start, end)` of `source` (`end` clamped to its size).
    pub fn new(source: &'a dyn ByteSource, start: u64, end: u64) -> Self {
        let end = end.min(source.len());
        Cursor {
            source,
            pos: start.min(end),
            end,
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    pub fn source(&self) -> &'a dyn ByteSource {
        self.source
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    pub fn end(&self) -> u64 {
        self.end
    }

    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    fn buffered(&self) -> &[u8] {
        let buf_end = self.buf_start + self.buf.len() as u64;
        if self.pos >= self.buf_start && self.pos < buf_end {
            &self.buf[(self.pos - self.buf_start) as usize..]
        } else {
            &[]
        }
    }

    fn fill(&mut self, want: usize) -> Result<(), CursorError> {
        let ask = want.max(WINDOW);
        let ask = (ask as u64).min(self.end - self.pos) as usize;
        self.buf = self.source.read_at(self.pos, ask)?;
        self.buf_start = self.pos;
        Ok(())
    }

    /// The next byte without consuming it, `None` at the end.
    pub fn peek(&mut self) -> Result<Option<u8>, CursorError> {
        if self.at_end() {
            return Ok(None);
        }
        if self.buffered().is_empty() {
            self.fill(1)?;
        }
        Ok(self.buffered().first().copied())
    }

    pub fn u8(&mut self) -> Result<u8, CursorError> {
        Ok(self.take(1)?[0])
    }

    /// Exactly `n` bytes, or `Truncated` if the range ends first.
    pub fn take(&mut self, n: usize) -> Result<Vec<u8>, CursorError> {
        if (n as u64) > self.remaining() {
            return Err(CursorError::Truncated {
                offset: self.pos,
                wanted: n as u64,
            });
        }
        if self.buffered().len() < n {
            self.fill(n)?;
        }
        let available = self.buffered();
        if available.len() < n {
            return Err(CursorError::Truncated {
                offset: self.pos,
                wanted: n as u64,
            });
        }
        let out = available[..n].to_vec();
        self.pos += n as u64;
        Ok(out)
    }

    /// Fixed-size little- or big-endian integers.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CursorError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&bytes);
        Ok(out)
    }

    /// Moves past `n` bytes without reading them (large payloads).
    pub fn skip(&mut self, n: u64) -> Result<(), CursorError> {
        if n > self.remaining() {
            return Err(CursorError::Truncated {
                offset: self.pos,
                wanted: n,
            });
        }
        self.pos += n;
        Ok(())
    }

    /// Bytes up to (not including) the next `\n`, which is consumed. Fails
    /// as truncated when no newline appears within `max` bytes.
    pub fn line(&mut self, max: usize) -> Result<Vec<u8>, CursorError> {
        let start = self.pos;
        let mut out = Vec::new();
        loop {
            if self.at_end() || out.len() > max {
                return Err(CursorError::Truncated {
                    offset: start,
                    wanted: out.len() as u64 + 1,
                });
            }
            if self.buffered().is_empty() {
                self.fill(1)?;
                if self.buffered().is_empty() {
                    return Err(CursorError::Truncated {
                        offset: start,
                        wanted: out.len() as u64 + 1,
                    });
                }
            }
            let chunk = self.buffered();
            if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                out.extend_from_slice(&chunk[..i]);
                self.pos += i as u64 + 1;
                return Ok(out);
            }
            let n = chunk.len();
            out.extend_from_slice(chunk);
            self.pos += n as u64;
        }
    }
}
