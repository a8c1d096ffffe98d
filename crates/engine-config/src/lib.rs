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
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    config.with_custom_code_memory(Some(std::sync::Arc::new(in_place::PageProtection)));
    config
}

/// Whether [`config`]'s engines can run precompiled code where it lies in
/// memory (`Component::deserialize_raw`) instead of copying it first.
pub const RUNS_CODE_IN_PLACE: bool = cfg!(all(target_os = "linux", target_arch = "x86_64"));

/// The page size code is made executable in.
pub const CODE_PAGE: usize = 4096;

/// Making code executable where it lies. Copying the built-in stages'
/// native code (48 MB) out of the binary into fresh memory before running
/// it was a fifth of a warm run's CPU; the binary's own read-only pages
/// can be made executable instead. This does what wasmtime's default does
/// on this target (`mprotect` to read + execute; x86-64 keeps instruction
/// caches coherent by itself), and is therefore only used on it.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod in_place {
    use rustix::mm::{MprotectFlags, mprotect};

    pub struct PageProtection;

    impl wasmtime::CustomCodeMemory for PageProtection {
        fn required_alignment(&self) -> usize {
            super::CODE_PAGE
        }

        fn publish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
            // SAFETY: wasmtime hands over the page-aligned text section of
            // code it has finished loading and will not write again.
            unsafe {
                mprotect(
                    ptr as *mut _,
                    len,
                    MprotectFlags::READ | MprotectFlags::EXEC,
                )
            }
            .map_err(|error| wasmtime::format_err!("making code executable: {error}"))
        }

        fn unpublish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
            // Wasmtime's own default: back to read + write, for code it is
            // about to edit (Cordon never asks it to).
            // SAFETY: as above; no code runs from the region any more.
            unsafe {
                mprotect(
                    ptr as *mut _,
                    len,
                    MprotectFlags::READ | MprotectFlags::WRITE,
                )
            }
            .map_err(|error| wasmtime::format_err!("making code writable: {error}"))
        }
    }
}
