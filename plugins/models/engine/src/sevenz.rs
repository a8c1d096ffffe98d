//! 7z archives, read with the pure-Rust `sevenz-rust2` decoder: the
//! nullifAI attack shipped PyTorch models as 7z archives, which scanners
//! that only know zip skipped. Each entry is decompressed into memory up to
//! a bound and handed back to format detection.

use std::io::Read;

use crate::compressed::Decompressed;
use crate::source::{ByteSource, SourceReader};

/// Signature at the start of every 7z archive.
pub const MAGIC: &[u8] = b"7z\xbc\xaf\x27\x1c";

/// Decoder dictionaries and header buffers, at most (KiB).
const MEMORY_LIMIT_KB: usize = 256 * 1024;

/// Calls `visit` with each file entry's name and its first `max_entry()`
/// bytes (asked again before every entry, so a shrinking budget applies),
/// in archive order. `visit` returns `false` to stop early. An error is
/// the archive's own: corrupt, encrypted or unsupported.
pub fn each_entry(
    source: &dyn ByteSource,
    max_entries: usize,
    mut max_entry: impl FnMut() -> u64,
    mut visit: impl FnMut(&str, Decompressed) -> bool,
) -> Result<usize, String> {
    let mut reader = sevenz_rust2::ArchiveReader::new_with_memory_limit(
        SourceReader::new(source),
        sevenz_rust2::Password::empty(),
        MEMORY_LIMIT_KB,
    )
    .map_err(|err| err.to_string())?;
    // The engine runs in a single-threaded wasm component.
    reader.set_thread_count(1);
    let mut seen = 0usize;
    let mut stopped = false;
    reader
        .for_each_entries(|entry, data| {
            if entry.is_directory || !entry.has_stream {
                return Ok(true);
            }
            if seen >= max_entries {
                stopped = true;
                return Ok(false);
            }
            seen += 1;
            let max = max_entry();
            let mut bytes = Vec::new();
            let result = data.take(max.saturating_add(1)).read_to_end(&mut bytes);
            let limit_hit = bytes.len() as u64 > max;
            if limit_hit {
                bytes.truncate(max as usize);
            }
            let error = result.err().map(|err| err.to_string());
            let failed = error.is_some();
            let go_on = visit(
                &entry.name,
                Decompressed {
                    bytes,
                    limit_hit,
                    error,
                },
            );
            // After a short read the solid stream is out of step: stop.
            Ok(go_on && !limit_hit && !failed)
        })
        .map_err(|err| err.to_string())?;
    if stopped {
        return Err(format!("more than {max_entries} entries"));
    }
    Ok(seen)
}
