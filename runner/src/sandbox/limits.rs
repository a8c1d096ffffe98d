//! The per-stage memory cap. It counts every linear memory and table of the
//! stage's store together (a guest cannot get around a 1 GiB cap by asking
//! for three memories of 1000 MiB), caps how many instances, memories and
//! tables the store may hold, and remembers whether it was hit so a trap
//! after a refused allocation is reported as a memory-limit stop.
//!
//! A stage run as several instances (a shardable stage on several cores)
//! shares one budget: the cap is the stage's, whatever the instance count.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// Bytes of linear memory granted so far to every instance of the
    /// stage together, against `limit`.
    stage_total: Arc<AtomicUsize>,
    /// This instance's share of `stage_total`.
    used: usize,
    table_elements: usize,
    /// The total the guest last asked for past the limit.
    refused: Option<usize>,
}

impl MemoryLimiter {
    pub fn new(limit: u64) -> Self {
        Self::shared(limit, Arc::default())
    }

    /// A limiter for one of several instances of a stage, all of which
    /// draw on `stage_total` against the one `limit`.
    pub fn shared(limit: u64, stage_total: Arc<AtomicUsize>) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            stage_total,
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
        let growth = desired.saturating_sub(current);
        let granted = self
            .stage_total
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |total| {
                let total = total.saturating_add(growth);
                (total <= self.limit).then_some(total)
            });
        match granted {
            Ok(_) => {
                self.used += growth;
                Ok(true)
            }
            Err(total) => {
                self.refused = Some(total.saturating_add(growth));
                Ok(false)
            }
        }
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

    #[test]
    fn instances_of_one_stage_share_its_budget() {
        let total = Arc::new(AtomicUsize::new(0));
        let mut first = MemoryLimiter::shared(1000, total.clone());
        let mut second = MemoryLimiter::shared(1000, total.clone());
        assert!(first.memory_growing(0, 700, None).unwrap());
        assert!(!second.memory_growing(0, 400, None).unwrap());
        assert_eq!(second.limit_hit(), Some(1100));
        assert!(second.memory_growing(0, 300, None).unwrap());
        assert_eq!((first.used(), second.used()), (700, 300));
        assert_eq!(total.load(Ordering::SeqCst), 1000);
    }
}
