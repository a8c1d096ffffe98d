//! The per-stage memory cap, which also remembers whether it was hit so a
//! trap after a refused allocation is reported as a memory-limit stop.

use wasmtime::ResourceLimiter;

pub struct MemoryLimiter {
    limit: usize,
    /// The size the guest last asked for past the limit.
    refused: Option<usize>,
}

impl MemoryLimiter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            refused: None,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn limit_hit(&self) -> Option<usize> {
        self.refused
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million entries is far beyond
        // any real stage and bounds host memory per table.
        Ok(desired <= 1_000_000)
    }
}
