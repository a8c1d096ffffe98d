//! The per-stage memory cap. It counts every linear memory and table of the
//! stage's store together (a guest cannot get around a 1 GiB cap by asking
//! for three memories of 1000 MiB), caps how many instances, memories and
//! tables the store may hold, and remembers whether it was hit so a trap
//! after a refused allocation is reported as a memory-limit stop.

use wasmtime::ResourceLimiter;

/// Core instances, memories and tables one stage's store may hold. A Rust
/// component for wasm32-wasip2 uses a handful of each (its own module, the
/// WASI adapter and shims); these leave room without letting a guest
/// multiply its allocations.
const MAX_INSTANCES: usize = 32;
const MAX_MEMORIES: usize = 8;
const MAX_TABLES: usize = 32;
/// Table elements, over all tables (function references, a few bytes each).
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

pub struct MemoryLimiter {
    limit: usize,
    /// Bytes of linear memory granted so far, over every memory.
    used: usize,
    table_elements: usize,
    /// The total the guest last asked for past the limit.
    refused: Option<usize>,
}

impl MemoryLimiter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            used: 0,
            table_elements: 0,
            refused: None,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn limit_hit(&self) -> Option<usize> {
        self.refused
    }

    /// Peak linear memory, in bytes.
    pub fn used(&self) -> usize {
        self.used
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used.saturating_add(desired.saturating_sub(current));
        if total > self.limit {
            self.refused = Some(total);
            return Ok(false);
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .table_elements
            .saturating_add(desired.saturating_sub(current));
        if total > MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        self.table_elements = total;
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_count_together() {
        let mut limiter = MemoryLimiter::new(1000);
        assert!(limiter.memory_growing(0, 600, None).unwrap());
        // A second memory of 600 would be under the cap alone, not together.
        assert!(!limiter.memory_growing(0, 600, None).unwrap());
        assert_eq!(limiter.limit_hit(), Some(1200));
        assert!(limiter.memory_growing(600, 1000, None).unwrap());
        assert_eq!(limiter.used(), 1000);
    }
}
