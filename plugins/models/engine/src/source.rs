//! Ranged reads: the only way analysers see a file, so a multi-gigabyte
//! model is checked by reading its header, never by loading it whole.

use sha2::{Digest, Sha256};

/// Why a ranged read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("read of {len} bytes at offset {offset} failed: {reason}")]
pub struct SourceError {
    pub offset: u64,
    pub len: usize,
    pub reason: String,
}

/// Random-access, read-only bytes of one file.
///
/// `read_at` returns up to `len` bytes starting at `offset`; it returns fewer
/// only when the end of the source is reached (an empty vector at or past
/// the end). The component implements this over the host's `read-at` call.
pub trait ByteSource {
    fn len(&self) -> u64;
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let total = <[u8]>::len(self) as u64;
        let start = offset.min(total) as usize;
        let end = start.saturating_add(len).min(total as usize);
        Ok(self[start..end].to_vec())
    }
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.as_slice().read_at(offset, len)
    }
}

impl<T: ByteSource + ?Sized> ByteSource for &T {
    fn len(&self) -> u64 {
        (**self).len()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        (**self).read_at(offset, len)
    }
}

/// A byte range of another source, e.g. a stored (uncompressed) archive
/// member, read in place without copying it.
pub struct Window<'a> {
    inner: &'a dyn ByteSource,
    start: u64,
    len: u64,
}

impl<'a> Window<'a> {
    /// The range is clamped to the inner source, so a member that claims to
    /// run past the end of the archive reads as truncated, not as garbage.
    pub fn new(inner: &'a dyn ByteSource, start: u64, len: u64) -> Self {
        let total = inner.len();
        let start = start.min(total);
        let len = len.min(total - start);
        Window { inner, start, len }
    }
}

impl ByteSource for Window<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        if offset >= self.len {
            return Ok(Vec::new());
        }
        let len = (len as u64).min(self.len - offset) as usize;
        self.inner.read_at(self.start + offset, len)
    }
}

/// `std::io::Read` + `Seek` over a source, for decoders that want a stream
/// (7z, the compressed joblib variants). Reads stay ranged.
pub struct SourceReader<'a> {
    source: &'a dyn ByteSource,
    pos: u64,
}

impl<'a> SourceReader<'a> {
    pub fn new(source: &'a dyn ByteSource) -> Self {
        SourceReader { source, pos: 0 }
    }
}

impl std::io::Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let bytes = self
            .source
            .read_at(self.pos, buf.len())
            .map_err(std::io::Error::other)?;
        buf[..bytes.len()].copy_from_slice(&bytes);
        self.pos += bytes.len() as u64;
        Ok(bytes.len())
    }
}

impl std::io::Seek for SourceReader<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(at) => Some(at),
            std::io::SeekFrom::End(delta) => self.source.len().checked_add_signed(delta),
            std::io::SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        match target {
            Some(at) => {
                self.pos = at;
                Ok(at)
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

/// Reads exactly `len` bytes at `offset`, or fails naming the short read.
pub fn read_exact_at(
    source: &dyn ByteSource,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, SourceError> {
    let bytes = source.read_at(offset, len)?;
    if bytes.len() < len {
        return Err(SourceError {
            offset,
            len,
            reason: format!(
                "file ends after {} of {len} bytes (file size {})",
                bytes.len(),
                source.len()
            ),
        });
    }
    Ok(bytes)
}

/// SHA-256 (lowercase hex) of a whole source, read in `chunk`-sized ranged
/// reads so the file is never held in memory at once.
pub fn sha256_hex(source: &dyn ByteSource, chunk: usize) -> Result<String, SourceError> {
    let chunk = chunk.max(1);
    let mut hasher = Sha256::new();
    let mut offset = 0u64;
    let total = source.len();
    while offset < total {
        let want = (chunk as u64).min(total - offset) as usize;
        let bytes = read_exact_at(source, offset, want)?;
        hasher.update(&bytes);
        offset += want as u64;
    }
    Ok(hex::encode(hasher.finalize()))
}

/// A workspace file read through the Cordon host's `read-at`, for the
/// stages that scan models inside the sandbox (feature `sdk`).
#[cfg(feature = "sdk")]
impl ByteSource for cordon_sdk::RangedFile<'_> {
    fn len(&self) -> u64 {
        cordon_sdk::RangedFile::len(self)
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.read(offset, len).map_err(|error| SourceError {
            offset,
            len,
            reason: error.describe(),
        })
    }
}
