//! The wasmtime configuration of Cordon's sandbox, in one place.
//!
//! Compiled code is only loadable by an engine whose settings match the
//! engine that compiled it. The runner's build script precompiles the
//! built-in stages with this configuration, and the runner runs them with
//! it, so the two can never drift apart.

use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The engine settings for every stage: the component model, timeouts by
/// epoch interruption, and a pooling allocator sized for a pipeline.
pub fn config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    let mut pooling = PoolingAllocationConfig::default();
    // Per-stage memory caps are enforced by the runner's memory limiter; the
    // pool only bounds what any one linear memory could ever reach.
    pooling.max_memory_size(4 << 30);
    pooling.total_component_instances(64);
    pooling.total_core_instances(512);
    pooling.total_memories(128);
    pooling.total_tables(512);
    // Stages run synchronously, so the pool's async fiber stacks are unused;
    // each one costs a guard-page mprotect at start-up, and the default of
    // 1000 was most of a warm run's fixed cost.
    pooling.total_stacks(1);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    config
}
