//! The largest limits a pipeline may set. A pipeline asking for more is
//! refused at load time, at the key's line: an absurd value is a mistake or
//! an attempt to make a limit no limit (a timeout so large it wraps, a
//! memory cap above what the machine has).

use std::time::Duration;

pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
pub const MIN_MEMORY: u64 = 1 << 20;
pub const MAX_MEMORY: u64 = 16 << 30;
pub const MAX_FINDINGS: usize = 1_000_000;
pub const MAX_ARTIFACT_BYTES: u64 = 4 << 30;
pub const MAX_LOG_BYTES: u64 = 64 << 20;
/// Reads are answered in one WIT `list<u8>`, whose length is a u32.
pub const MAX_READ_BYTES: u64 = u32::MAX as u64;
pub const MAX_CACHE_BYTES: u64 = 4 << 30;
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// `value` if it is within `max`, else the message for the pipeline error.
pub fn at_most(key: &str, value: u64, max: u64) -> Result<u64, String> {
    if value > max {
        return Err(format!(
            "`{key}` of {value} is over the largest allowed, {max}"
        ));
    }
    Ok(value)
}
