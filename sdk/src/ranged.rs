//! Reading a large workspace file in ranges.

use std::cell::{Cell, RefCell};

use crate::AccessError;
use crate::host::workspace;

/// Largest single `read-at` request: big enough to amortise the host call,
/// small enough that guest memory stays bounded.
const MAX_READ: usize = 8 << 20;

/// A workspace file read through `read-at`, so a 10 GB model is never
/// copied whole into guest memory. It counts the bytes actually read and
/// keeps the first host error, so a stage can report the file as not
/// scanned instead of clean.
pub struct RangedFile<'a> {
    path: &'a str,
    len: u64,
    bytes_read: Cell<u64>,
    error: RefCell<Option<AccessError>>,
}

impl<'a> RangedFile<'a> {
    /// `len` is the file's size (from `list-files` or `stat`).
    pub fn new(path: &'a str, len: u64) -> Self {
        Self {
            path,
            len,
            bytes_read: Cell::new(0),
            error: RefCell::new(None),
        }
    }

    pub fn path(&self) -> &str {
        self.path
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.get()
    }

    /// The first host error any read hit, if any (taken).
    pub fn take_error(&self) -> Option<AccessError> {
        self.error.borrow_mut().take()
    }

    /// Up to `len` bytes from `offset` (fewer at the end of the file), in
    /// requests of at most 8 MiB.
    pub fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, AccessError> {
        let len = usize::try_from((len as u64).min(self.len.saturating_sub(offset))).unwrap_or(0);
        let mut out = Vec::with_capacity(len.min(MAX_READ));
        while out.len() < len {
            let at = offset + out.len() as u64;
            let want = (len - out.len()).min(MAX_READ) as u32;
            match workspace::read_at(self.path, at, want) {
                Ok(bytes) if bytes.is_empty() => break,
                Ok(bytes) => {
                    self.bytes_read
                        .set(self.bytes_read.get() + bytes.len() as u64);
                    out.extend_from_slice(&bytes);
                }
                Err(error) => {
                    self.error.borrow_mut().get_or_insert_with(|| error.clone());
                    return Err(error);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;
    use crate::{Stage, StageError, StageInfo, Summary};

    struct ReadsRanges;

    impl Stage for ReadsRanges {
        fn describe() -> StageInfo {
            StageInfo::new("ranges", "0", "test")
        }

        fn run(_: String) -> Result<Summary, StageError> {
            let file = RangedFile::new("big.bin", 20 << 20);
            let middle = file.read(9 << 20, 3 << 20)?;
            assert_eq!(middle.len(), 3 << 20);
            assert!(middle.iter().all(|&b| b == 7));
            let tail = file.read((20 << 20) - 4, 100)?;
            assert_eq!(tail.len(), 4);
            assert_eq!(file.bytes_read(), (3 << 20) + 4);
            assert!(file.take_error().is_none());
            let hidden = RangedFile::new("secret.bin", 10);
            assert!(hidden.read(0, 10).is_err());
            assert!(matches!(hidden.take_error(), Some(AccessError::Denied(_))));
            Ok(Summary::default())
        }
    }

    #[test]
    fn reads_ranges_in_chunks_and_keeps_the_first_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.bin"), vec![7u8; 20 << 20]).unwrap();
        std::fs::write(dir.path().join("secret.bin"), b"0123456789").unwrap();
        let outcome = Harness::new(dir.path())
            .read(&["big.bin"])
            .run::<ReadsRanges>(serde_json::json!({}));
        outcome.summary();
    }
}
